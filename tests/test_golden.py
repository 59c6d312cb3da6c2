"""Golden files: the generated source of reference functions.

A change in what users read shows up in review as a diff of these files.
Regenerate them with ``WENGERT_UPDATE_GOLDEN=1 make test`` and read the diff.
"""

import os

import pytest

import wengert
from wengert.analysis import FLOAT

from golden import seeds

HERE = os.path.join(os.path.dirname(__file__), "golden")
UPDATE = os.environ.get("WENGERT_UPDATE_GOLDEN") == "1"

CASES = [
    ("g", seeds.g, (0,)),
    ("f", seeds.f, (0, 1)),
    ("z", seeds.z, (0, 1)),
    ("loop", seeds.loop, (0,)),
]
MODES = ["wengert", "forward", "reverse", "reverse-unoptimized"]


def generated(fn, wrt, mode):
    kinds = tuple(FLOAT for _ in wrt) if fn is not seeds.g and fn is not seeds.loop else (FLOAT,)
    if mode == "wengert":
        return str(wengert.lower(fn))
    if mode == "reverse-unoptimized":
        return wengert.derivative_source(fn, "reverse", wrt=wrt, kinds=kinds, optimize=False)
    return wengert.derivative_source(fn, mode, wrt=wrt, kinds=kinds)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name,fn,wrt", CASES, ids=[c[0] for c in CASES])
def test_golden(name, fn, wrt, mode):
    path = os.path.join(HERE, f"{name}.{mode}.py")
    text = generated(fn, wrt, mode)
    if UPDATE or not os.path.exists(path):
        with open(path, "w") as fh:
            fh.write(text)
        if not UPDATE:
            pytest.fail(f"golden file {path} was missing and has been written; "
                        "review it and run again")
    with open(path) as fh:
        assert text == fh.read(), f"generated source changed: diff it against {path}"


@pytest.mark.parametrize("name,fn,wrt", CASES, ids=[c[0] for c in CASES])
def test_golden_source_is_deterministic(name, fn, wrt):
    kinds = tuple(FLOAT for _ in wrt)
    a = wengert.derivative_source(fn, "reverse", wrt=wrt, kinds=kinds)
    wengert.api._BUILT.pop(fn, None)
    wengert.api._LOWERED.pop(fn, None)
    b = wengert.derivative_source(fn, "reverse", wrt=wrt, kinds=kinds)
    assert a == b
