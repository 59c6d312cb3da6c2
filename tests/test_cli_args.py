"""The example arguments of the command line (``--args``, ``--at``) and the
guard of a module exported with them.

* lists inside dicts, lists and tuples become arrays too (not only at the top);
* a list of ints is an int64 array, left alone by ``check`` (labels, indices);
* a module exported with ``--args`` checks the kinds of its arguments at entry:
  called with other shapes it raises, never a silently wrong gradient;
* an argument that is not a literal is a clear usage error naming it.
"""

import contextlib
import importlib.util
import io
import sys
import textwrap

import numpy as np
import pytest

import wengert
from wengert.cli import as_argument, default_wrt, gradient_check, main, parse_arguments

MODEL = textwrap.dedent("""
    import numpy as np

    def dloss(params, x):
        return np.sum(np.tanh(x @ params["W"]) ** 2) + np.sum(params["b"] ** 2)

    def nll(w, X, labels):
        logits = X @ w
        return -np.mean(logits[np.arange(X.shape[0]), labels])

    def mse(w, X, y):
        return np.mean((X @ w - y) ** 2)

    def scale(x, s):
        return np.sum(x * x) * s
""")

P = {"W": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([0.5, 0.5])}
PARAMS = "{'W': [[1.0, 2.0], [3.0, 4.0]], 'b': [0.5, 0.5]}"


@pytest.fixture()
def model(tmp_path):
    path = tmp_path / "cli_args_model.py"
    path.write_text(MODEL)
    spec = importlib.util.spec_from_file_location("cli_args_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.path = str(path)
    return module


def cli(*argv):
    """``(status, stdout, stderr)`` of the command line, run in-process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def central(f, x, h=1e-6):
    """d f / d x by central differences (x an array, changed in place and restored)."""
    g = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        old = x[i]
        x[i] = old + h
        up = f()
        x[i] = old - h
        down = f()
        x[i] = old
        g[i] = (up - down) / (2 * h)
    return g


def import_module(path):
    name = f"exported_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module               # (a dataclass in it looks its module up)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------
# 1. lists inside a dict (list, tuple) become arrays, in every subcommand


def test_lists_inside_dicts_lists_and_tuples_become_arrays(model, tmp_path):
    args = parse_arguments(
        "{'W': [[1, 2.0]], 'b': ([1.0], (0, 2))}, [[1.0], [2.0, 3.0]], [True, False], "
        "[0, 1], [], 'a', (1.5, [2.5])")
    d, ragged, bools, ints, empty, s, tup = args
    assert d["W"].dtype == np.float64 and d["W"].shape == (1, 2)     # an int and a float
    assert type(d["b"]) is tuple and d["b"][0].dtype == np.float64
    assert d["b"][1] == (0, 2)                       # a tuple of ints stays a tuple of ints
    assert type(ragged) is list and [a.shape for a in ragged] == [(1,), (2,)]
    assert bools.dtype == np.bool_ and ints.dtype == np.int64
    assert empty.dtype == np.float64 and empty.shape == (0,)
    assert s == "a" and type(tup) is tuple and tup[0] == 1.5 and tup[1].dtype == np.float64
    assert as_argument([[1, 2], [3, 4]]).dtype == np.int64

    x = np.array([0.1, 0.2])
    # check: a row per item of the dict, each against central differences
    status, out, err = cli("check", f"{model.path}:dloss", "--at", f"{PARAMS}, [0.1, 0.2]")
    assert status == 0, err
    assert "params['W']" in out and "params['b']" in out and out.rstrip().endswith(
        "|finite difference|)")
    rows, ok = gradient_check(model.dloss, parse_arguments(f"{PARAMS}, [0.1, 0.2]"))
    assert ok and [r[0] for r in rows] == ["params['W']", "params['b']", "x"]
    p = {k: v.copy() for k, v in P.items()}
    fd_w = central(lambda: model.dloss(p, x), p["W"])
    np.testing.assert_allclose(rows[0][1], fd_w, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(rows[0][1], [[0.07672323, 0.06397], [0.15344646, 0.12794]],
                               rtol=1e-6)
    np.testing.assert_allclose(rows[1][1], [1.0, 1.0], rtol=1e-9)     # d sum(b^2) = 2b

    # show: specialised for the dict's items, as wengert.grad specialises
    status, out, err = cli("show", f"{model.path}:dloss", "--args", f"{PARAMS}, [1.0, 2.0]")
    assert status == 0, err
    assert "# specialised for params: {'W': <f8[2,2], 'b': <f8[2]}, x: <f8[2]" in out

    # export: the module's gradient is a dict of the right arrays
    target = tmp_path / "grad_dloss.py"
    status, _, err = cli("export", f"{model.path}:dloss", "--args", f"{PARAMS}, [0.1, 0.2]",
                         "-o", str(target))
    assert status == 0, err
    grad_dloss = import_module(target).grad_dloss
    got = grad_dloss(P, x)
    expected = wengert.grad(model.dloss)(P, x)
    assert set(got) == {"W", "b"}
    np.testing.assert_allclose(got["W"], fd_w, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got["b"], expected["b"])
    with pytest.raises(TypeError, match=r"argument `params` is a dict with the keys 'W'"):
        grad_dloss({"W": P["W"]}, x)
    with pytest.raises(ValueError, match=r"argument `params\['b'\]` is a float64 array of "
                                         r"shape \(3,\).*shape \(2,\)"):
        grad_dloss({"W": P["W"], "b": np.ones(3)}, x)


# --------------------------------------------------------------------------
# 2. a list of ints is an int64 array, never differentiated by default


def test_integer_lists_stay_integer_arrays_and_are_not_differentiated(model):
    at = "[[1.0, 2.0], [3.0, 4.0]], [[0.1, 0.2], [0.3, 0.4]], [0, 1]"
    status, out, err = cli("check", f"{model.path}:nll", "--at", at)
    assert status == 0, err + out
    assert [line.split()[0] for line in out.splitlines()[2:4]] == ["w", "X"]
    assert "labels" not in out
    args = parse_arguments(at)
    assert args[2].dtype == np.int64
    assert default_wrt(args) == (0, 1)
    rows, ok = gradient_check(model.nll, args)
    assert ok
    w, X, labels = (a.copy() for a in args)
    fd = central(lambda: model.nll(w, X, labels), w)
    np.testing.assert_allclose(rows[0][1], fd, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(rows[0][1], [[-0.05, -0.15], [-0.1, -0.2]], rtol=1e-9)
    # integers everywhere: a loop count is left alone, a float argument differentiated
    assert default_wrt((np.array([1.0]), 3, (0, 2), "a")) == (0,)
    assert default_wrt((2, 3)) == (0, 1)            # all integers: all (as floats)

    # show and export keep the labels an integer array (not differentiated)
    status, out, err = cli("show", f"{model.path}:nll", "--args", at)
    assert status == 0, err
    assert "labels: <i8[2]" in out
    status, out, err = cli("export", f"{model.path}:nll", "--args", at)
    assert status == 0, err
    assert "labels.dtype == np.int64" in out


# --------------------------------------------------------------------------
# 3. an exported module checks the shapes it was specialised for


def test_exported_module_refuses_other_shapes(model, tmp_path):
    target = tmp_path / "grad_mse.py"
    status, _, err = cli("export", f"{model.path}:mse", "--args",
                         "[0.1, 0.2], [[1.0, 2.0]], [1.0]", "-o", str(target))
    assert status == 0, err
    text = target.read_text()
    assert "if not (type(X) is np.ndarray and X.shape == (1, 2) and X.dtype == np.float64):" \
        in text                                     # the guard is in the source, cheap
    grad_mse = import_module(target).grad_mse

    w = np.array([0.1, 0.2])
    X1, y1 = np.array([[1.0, 2.0]]), np.array([1.0])
    got = grad_mse(w, X1, y1)                       # the shapes it was exported for
    wc = w.copy()
    np.testing.assert_allclose(got, central(lambda: model.mse(wc, X1, y1), wc),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got, [-1.0, -2.0], rtol=1e-12)

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 2)), rng.normal(size=10)
    with pytest.raises(ValueError) as info:          # 10 samples: refused, never 10x
        grad_mse(w, X, y)
    message = str(info.value)
    assert message.startswith("grad_mse(): argument `X` is a float64 array of shape (10, 2), "
                              "but this code was exported for a float64 array of shape (1, 2)")
    assert "export it again with --args" in message and "without --args" in message
    with pytest.raises(ValueError, match=r"argument `w` is an int64 array"):
        grad_mse(np.array([1, 2]), X1, y1)
    with pytest.raises(TypeError, match=r"argument `y` is a Python float, but this code was "
                                        r"exported for a float64 array of shape \(1,\)"):
        grad_mse(w, X1, 1.0)

    # exported without --args: general code, right for 10 samples
    general = tmp_path / "grad_mse_any.py"
    status, _, err = cli("export", f"{model.path}:mse", "-o", str(general))
    assert status == 0, err
    got = import_module(general).grad_mse(w, X, y)
    np.testing.assert_allclose(got, central(lambda: model.mse(wc, X, y), wc),
                               rtol=1e-6, atol=1e-9)

    # a Python float parameter, and the forward-mode wrapper, are guarded too
    target = tmp_path / "grad_scale.py"
    status, _, err = cli("export", f"{model.path}:scale", "--mode", "forward", "--args",
                         "[1.0, 2.0], 3.0", "-o", str(target))
    assert status == 0, err
    grad_scale = import_module(target).grad_scale
    np.testing.assert_allclose(grad_scale(np.array([1.0, 2.0]), 3.0), [6.0, 12.0])
    with pytest.raises(TypeError, match=r"argument `s` is a float64 array of shape \(2,\), "
                                        r"but this code was exported for a Python float"):
        grad_scale(np.array([1.0, 2.0]), np.array([3.0, 3.0]))


# --------------------------------------------------------------------------
# 4. an argument that is not a literal


@pytest.mark.parametrize("option, text, message", [
    ("--args", "[1,2], foo, 3", "argument 2, `foo`, is a name, not a literal"),
    ("--args", "np.ones(3)", "the argument, `np.ones(3)`, is a call, not a literal"),
    ("--args", "{'W': np.ones(3)}, [1.0]",
     "argument 1, `np.ones(3)` (in `{'W': np.ones(3)}`), is a call, not a literal"),
    ("--at", "[1.0], foo", "argument 2, `foo`, is a name, not a literal"),
])
def test_a_non_literal_argument_is_a_clear_usage_error(model, option, text, message):
    command = "check" if option == "--at" else "show"
    status, out, err = cli(command, f"{model.path}:scale", option, text)
    assert status == 1 and out == ""
    first, hint = err.splitlines()[:2]
    what = "the point (--at)" if option == "--at" else "the example arguments (--args)"
    assert first == f"wengert: error: cannot read {what}: {message}"
    assert hint.startswith("help: give Python literals separated by commas: numbers, strings")
    assert "malformed" not in err and "ast." not in err and "Traceback" not in err
