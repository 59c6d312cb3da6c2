"""The documentation says what the code does."""

import os
import re
import subprocess
import sys

import gast
import pytest

from wengert.frontend import lower as L

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(path):
    with open(os.path.join(ROOT, path)) as fh:
        return fh.read()


def documented_rows(text):
    """construct name -> status, from the tables of supported-python.md."""
    rows = {}
    for m in re.finditer(r"^\| (`[^|]+`) \| (supported|rejected) \|", text, re.M):
        for name in re.findall(r"`(\w+)`", m.group(1)):
            rows[name] = m.group(2)
    return rows


def test_supported_python_matches_the_checker():
    rows = documented_rows(read("docs/supported-python.md"))
    handled = {n.split("_", 1)[1] for n in dir(L.Lowerer) if n.startswith(("stmt_", "expr_"))}
    handled.discard("Lambda")          # rejected as a value, supported when assigned
    rejected = {k.__name__ for k in list(L.UNSUPPORTED_STMTS) + list(L.UNSUPPORTED_EXPRS)}
    for name in handled:
        assert rows.get(name) == "supported", f"{name} is handled but not documented as supported"
    for name in rejected:
        assert rows.get(name) == "rejected", f"{name} is rejected but not documented so"
    for name in ("Break", "Continue", "Match", "TryStar"):
        assert name in rows


def test_readme_example_prints_what_the_readme_says(tmp_path):
    text = read("README.md")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    program, expected = blocks[0], blocks[1]
    script = tmp_path / "readme_example.py"
    script.write_text(program)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         check=True).stdout
    assert expected.strip() in out


def test_readme_shows_the_two_commands_first():
    text = read("README.md")
    first_block = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    assert "make demo" in first_block and "make test" in first_block


def test_rules_page_is_generated_from_the_table():
    import numpy
    page = read("docs/rules.md")
    if f"with NumPy {numpy.__version__})" not in page:
        pytest.skip("docs/rules.md was generated with another NumPy version, whose "
                    "namespace (and so the table) differs")
    # in a fresh process: tests register rules of their own in this one
    fresh = subprocess.run([sys.executable, "-m", "wengert.rules.doc"], capture_output=True,
                           text=True, check=True).stdout
    assert read("docs/rules.md") == fresh, \
        "docs/rules.md is stale: python -m wengert.rules.doc > docs/rules.md"


def test_readme_counts_the_rules_the_rules_page_lists():
    count = re.search(r"\*\*(\d+)\*\* functions with reverse-mode rules",
                      read("docs/rules.md")).group(1)
    assert f"- {count} functions and methods with derivative rules" in read("README.md")
