"""docs/how-it-works.md shows what the tool prints: its generated regions are
regenerated here, in memory, and must equal the file."""

import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def generator():
    path = os.path.join(ROOT, "docs", "gen_how_it_works.py")
    spec = importlib.util.spec_from_file_location("gen_how_it_works", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_how_it_works_is_up_to_date():
    gen = generator()
    with open(gen.PAGE) as fh:
        current = fh.read()
    fresh = gen.render(current)
    if fresh != current:
        import difflib
        diff = "".join(difflib.unified_diff(current.splitlines(True), fresh.splitlines(True),
                                            "docs/how-it-works.md", "regenerated", n=1))
        raise AssertionError("docs/how-it-works.md is stale: run "
                             "python docs/gen_how_it_works.py\n" + diff[:4000])


def test_every_region_is_filled():
    gen = generator()
    with open(gen.PAGE) as fh:
        text = fh.read()
    for name in gen.REGIONS:
        begin = f"<!-- generated: {name} -->\n"
        assert begin in text
        body = text.split(begin, 1)[1].split(f"<!-- end generated: {name} -->", 1)[0]
        assert body.strip(), f"region {name} is empty"


def test_the_seed_examples_are_shown_as_printed():
    gen = generator()
    with open(gen.PAGE) as fh:
        text = fh.read()
    assert gen.wengert("show examples/quickstart.py:f --mode wengert") in text
    assert "2.0000000000000004" in text
