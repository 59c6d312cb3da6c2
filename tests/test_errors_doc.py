"""docs/errors.md shows real messages: each example is triggered here and the
page must contain it verbatim.

    python tests/test_errors_doc.py      # rewrite the examples in docs/errors.md

Each example program is compiled under a short file name (``model.py``)
registered with ``linecache``, so the messages do not depend on where the
repository lives.
"""

import contextlib
import io
import linecache
import os
import re
import sys
import textwrap

import numpy as np
import pytest

import wengert

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "errors.md")


def load(source: str, filename: str = "model.py") -> dict:
    """Run ``source`` as a module whose file is ``filename`` (via linecache)."""
    source = textwrap.dedent(source).lstrip("\n")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": filename[:-3]}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def message(action) -> str:
    with pytest.raises(wengert.WengertError) as info:
        action()
    return str(info.value)


# name -> (error class, a function that triggers it)
def _try_except():
    m = load("""
        import math

        def f(x):
            try:
                return math.log(x)
            except ValueError:
                return 0.0
    """)
    return wengert.grad(m["f"])(2.0)


def _assign_into_input():
    m = load("""
        import numpy as np

        def f(x):
            x[0] = 0.0
            return np.sum(x * x)
    """)
    return wengert.grad(m["f"])(np.ones(3))


def _update_a_view():
    m = load("""
        import numpy as np

        def f(x):
            head = x[:2]
            head += 1.0
            return np.sum(x * x)
    """)
    return wengert.grad(m["f"])(np.ones(3))


def _write_in_place():
    m = load("""
        import numpy as np

        def f(x):
            M = np.outer(x, x)
            _ = np.fill_diagonal(M, 0.0)
            return np.sum(M)
    """)
    return wengert.grad(m["f"])(np.ones(3))


def _no_rule():
    m = load("""
        import numpy as np

        def f(x):
            return np.sum(np.abs(np.fft.fft(x)))
    """)
    return wengert.grad(m["f"])(np.ones(4))


def _keyword_not_in_rule():
    m = load("""
        import numpy as np

        def f(a):
            s = np.sum(a * a, where=a > 0)
            return s
    """)
    return wengert.grad(m["f"])(np.eye(3))


def _no_source():
    namespace = {}
    exec("def f(x):\n    return x * x\n", namespace)
    return wengert.grad(namespace["f"])(2.0)


def _active_argument_without_derivative():
    m = load("""
        import numpy as np

        def f(x):
            return np.linalg.norm(x, ord=x[0])
    """)
    return wengert.grad(m["f"])(np.array([2.0, 1.0]))


def _svd_not_differentiable():
    m = load("""
        import numpy as np

        def f(a):
            u, s, vt = np.linalg.svd(a)
            return np.sum(u)
    """)
    return wengert.grad(m["f"])(np.ones((3, 2)))


def _bad_wrt():
    m = load("""
        def f(x, y):
            return x * y
    """)
    return wengert.grad(m["f"], wrt="z")


def _non_scalar():
    m = load("""
        import numpy as np

        def f(x):
            return np.sin(x)
    """)
    return wengert.grad(m["f"])(np.ones(3))


def _bad_rule_template():
    m = load("""
        import wengert

        def apply(h, x):
            return h(x)

        @wengert.defrule(apply)
        def _(h, x):
            tangent(h(x_dot))
            adjoint(x=h(g))

        def f(x):
            return apply(abs, x) * x
    """, "rules_model.py")
    return wengert.grad(m["f"])(2.0)


EXAMPLES = {
    "try-except": (wengert.UnsupportedSyntaxError, _try_except),
    "assign-into-input": (wengert.UnsupportedSyntaxError, _assign_into_input),
    "update-a-view": (wengert.UnsupportedSyntaxError, _update_a_view),
    "write-in-place": (wengert.UnsupportedSyntaxError, _write_in_place),
    "no-rule": (wengert.NoRuleError, _no_rule),
    "keyword-not-in-rule": (wengert.NoRuleError, _keyword_not_in_rule),
    "no-source": (wengert.SourceUnavailableError, _no_source),
    "active-argument": (wengert.NonDifferentiableError, _active_argument_without_derivative),
    "svd": (wengert.NonDifferentiableError, _svd_not_differentiable),
    "bad-wrt": (wengert.UsageError, _bad_wrt),
    "non-scalar": (wengert.UsageError, _non_scalar),
    "rule-template": (wengert.WengertError, _bad_rule_template),
}


def cli_message(*argv) -> str:
    from wengert.cli import main
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(list(argv))
    assert status == 1
    return err.getvalue()


CLI_EXAMPLES = {
    "cli-no-file": ("show", "model_missing.py:f"),
    "cli-no-function": ("show", "examples/quickstart.py:h"),
}


def all_messages(chdir=True) -> dict:
    out = {}
    for name, (cls, action) in EXAMPLES.items():
        with pytest.raises(cls) as info:
            action()
        assert type(info.value) is cls, (name, type(info.value))
        out[name] = f"{_qualified(cls)}: {info.value}"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for name, argv in CLI_EXAMPLES.items():
            out[name] = cli_message(*argv).rstrip("\n")
    finally:
        os.chdir(cwd)
    return out


def _qualified(cls) -> str:
    return f"wengert.errors.{cls.__name__}"


def _region(name):
    return (f"<!-- example: {name} (python tests/test_errors_doc.py) -->\n",
            f"<!-- end example: {name} -->")


def fill(text: str, messages: dict) -> str:
    for name, msg in messages.items():
        begin, end = _region(name)
        pattern = re.escape(begin) + r".*?" + re.escape(end)
        block = f"{begin}```text\n{msg}\n```\n{end}"
        text, n = re.subn(pattern, lambda _: block, text, flags=re.S)
        assert n == 1, f"docs/errors.md has no region for {name!r}"
    return text


def read_doc() -> str:
    with open(DOC) as fh:
        return fh.read()


@pytest.fixture(scope="module")
def messages():
    return all_messages()


@pytest.mark.parametrize("name", list(EXAMPLES) + list(CLI_EXAMPLES))
def test_doc_shows_the_real_message(messages, name):
    assert messages[name] in read_doc(), (
        f"docs/errors.md does not show the current message for {name!r}:\n{messages[name]}\n"
        "regenerate with: python tests/test_errors_doc.py")


def test_every_error_class_is_documented():
    doc = read_doc()
    for cls in (wengert.WengertError, wengert.UnsupportedSyntaxError, wengert.NoRuleError,
                wengert.SourceUnavailableError, wengert.NonDifferentiableError,
                wengert.UsageError):
        assert f"## `{cls.__name__}`" in doc, cls.__name__
        assert any(c is cls for c, _ in EXAMPLES.values()), f"no example of {cls.__name__}"


def test_messages_quote_the_source_line():
    msg = all_messages()["try-except"]
    assert "--> model.py:4:4" in msg and "help:" in msg and "    try:" in msg


if __name__ == "__main__":
    with open(DOC) as fh:
        updated = fill(fh.read(), all_messages())
    with open(DOC, "w") as fh:
        fh.write(updated)
    print(f"updated {os.path.relpath(DOC)}")
    sys.exit(0)
