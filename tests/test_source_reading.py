"""Reading a function's source (``frontend.parse._source_lines``) cuts out
the same definition ``inspect`` does, in the layouts that make cutting hard,
and the derivative of what it read is right."""

import ast
import importlib.util
import inspect
import textwrap

import numpy as np
import pytest

import wengert
from wengert.frontend.parse import _source_lines

MODULE = '''
import math


def deco(f):
    return f


@deco
@deco
def decorated(x):
    return x * x  # a comment


# a comment at column 0 after it
def after_comment(x):
    return 3.0 * x


def string_at_column_0(x):
    s = """
text at column 0
"""
    return x * len(s)


def low_continuation(x):
    y = math.sin(x +
1.0)
    return y * x


def low_return(x):
    return math.sin(x +
1.0) * x


def nested_last(x):
    def inner(t):
        return t * t
    return inner(x) + x


def docstring_only(x):
    "Nothing but a docstring."


def one_line(x): return x ** 3


class Holder:
    def method(self, x):
        return x * 2.0

    @staticmethod
    def static(x):
        return math.exp(x)
'''


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    path = tmp_path_factory.mktemp("src") / "laid_out.py"
    path.write_text(MODULE)
    spec = importlib.util.spec_from_file_location("laid_out", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


NAMES = ["decorated", "after_comment", "string_at_column_0", "low_continuation",
         "nested_last", "docstring_only", "one_line", "Holder.method", "Holder.static"]


def _get(module, name):
    obj = module
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _def_node(lines):
    try:
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:
        return None
    return ast.dump(tree.body[0])


@pytest.mark.parametrize("name", NAMES)
def test_the_same_definition_as_inspect(module, name):
    code = _get(module, name).__code__
    ours, start = _source_lines(code)
    theirs, their_start = inspect.getsourcelines(code)
    assert start == their_start
    assert _def_node(ours) == _def_node(theirs)


@pytest.mark.parametrize("name, x, expected", [
    ("decorated", 1.5, 3.0),
    ("after_comment", 0.2, 3.0),
    ("string_at_column_0", 0.7, len('\ntext at column 0\n')),
    ("nested_last", 0.5, 2.0),
    ("one_line", 2.0, 12.0),
    ("Holder.static", 0.3, float(np.exp(0.3))),
])
def test_derivatives_of_what_was_read(module, name, x, expected):
    f = _get(module, name)
    assert wengert.grad(f)(x) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ["low_continuation", "low_return"])
def test_a_continuation_indented_less(module, name):
    # where the cut ends at a line indented less, it does not parse, and the
    # whole file is parsed instead: the derivative is of the whole body
    x = 0.4
    expected = np.sin(x + 1.0) + x * np.cos(x + 1.0)
    assert wengert.grad(_get(module, name))(x) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("mode", ("reverse", "forward"))
def test_a_file_edited_after_import_is_refused(tmp_path, monkeypatch, mode):
    # the derivative was the new text's (27.0 for x*x*x) while the old code ran
    path = tmp_path / f"edited_after_import_{mode}.py"
    path.write_text("from __future__ import annotations\n\n"
                    "def f(x: float) -> float:\n    return x * x\n\n"
                    "def g(x):\n    return x + 1.0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(path.stem)
    assert wengert.grad(module.g, mode=mode)(3.0) == 1.0      # as read: accepted
    path.write_text("from __future__ import annotations\n\n"
                    "def f(x: float) -> float:\n    return x * x * x\n\n"
                    "def g(x):\n    return x + 1.0\n")
    with pytest.raises(wengert.SourceUnavailableError, match=r"has changed since the function"):
        wengert.grad(module.f, mode=mode)(3.0)
    module = importlib.reload(module)
    assert wengert.grad(module.f, mode=mode)(3.0) == pytest.approx(27.0)


@pytest.mark.parametrize("mode", ("reverse", "forward"))
def test_an_edited_method_or_closure_is_refused(tmp_path, monkeypatch, mode):
    # what was read before the edit (cached) is the code that runs: kept
    path = tmp_path / f"edited_method_{mode}.py"
    text = ("class M:\n    def energy(self, x):\n        return x * x\n\n"
            "    def power(self, x):\n        return x * x\n\n"
            "def make(k):\n    def inner(x):\n        return k * x * x\n    return inner\n")
    path.write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(path.stem)
    m = module.M()
    assert wengert.grad(m.energy, mode=mode)(3.0) == 6.0
    path.write_text(text.replace("return x * x\n", "return x * x * x\n")
                        .replace("return k * x * x", "return k * x"))
    assert wengert.grad(m.energy, mode=mode)(3.0) == 6.0           # read before: as it runs
    with pytest.raises(wengert.SourceUnavailableError, match=r"has changed since the function"):
        wengert.grad(m.power, mode=mode)(3.0)
    with pytest.raises(wengert.SourceUnavailableError, match=r"has changed since the function"):
        wengert.grad(module.make(3.0), mode=mode)(3.0)
