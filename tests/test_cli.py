"""The command line: wengert show, and python -m wengert."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = os.path.join(ROOT, "examples", "quickstart.py")


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "wengert", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, env=env)


def test_show_reverse():
    p = run("show", f"{QUICK}:f", "--wrt", "x1,x2")
    assert p.returncode == 0, p.stderr
    assert "def f_grad(x1, x2, out_bar=1.0):" in p.stdout
    assert "x2_bar" in p.stdout


def test_show_wengert_list():
    p = run("show", f"{QUICK}:g", "--mode", "wengert")
    assert p.returncode == 0
    assert p.stdout.splitlines()[0] == "def g(x):"
    assert "v1 = x ** 2" in p.stdout


def test_show_forward_and_module_syntax(tmp_path):
    (tmp_path / "mymodel.py").write_text("def sq(x):\n    return x * x\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    p = run("show", "mymodel:sq", "--mode", "wengert", env=env)
    assert p.returncode == 0, p.stderr
    assert "v1 = x * x" in p.stdout
    p = run("show", f"{QUICK}:z", "--mode", "forward", "--wrt", "x")
    assert "def z_jvp(x, y, x_dot):" in p.stdout


def test_errors_are_one_line_on_stderr_with_nonzero_status():
    p = run("show", "no_such_file.py:f")
    assert p.returncode == 1 and "no such file" in p.stderr and "Traceback" not in p.stderr
    p = run("show", f"{QUICK}:nothing")
    assert p.returncode == 1 and "has no function" in p.stderr


def test_unsupported_construct_reports_location(tmp_path):
    src = tmp_path / "bad.py"
    src.write_text("def f(x):\n    try:\n        return x\n    except Exception:\n        return 0.0\n")
    p = run("show", f"{src}:f")
    assert p.returncode == 1
    assert f"{src}:2:4" in p.stderr and "try" in p.stderr and "Traceback" not in p.stderr
    p = run("--debug", "show", f"{src}:f")
    assert "Traceback" in p.stderr


# --------------------------------------------------------------------------
# show: example arguments, hvp, highlighting


def test_show_with_example_arguments_is_the_specialised_code():
    p = run("show", f"{QUICK}:f", "--wrt", "x1,x2", "--args", "2.0, 5.0")
    assert p.returncode == 0, p.stderr
    assert "# specialised for x1: float, x2: float" in p.stdout
    assert "unbroadcast" not in p.stdout


def test_show_hvp_is_the_tangent_of_the_gradient():
    p = run("show", f"{QUICK}:g", "--mode", "hvp", "--args", "3.0")
    assert p.returncode == 0, p.stderr
    assert "of g_grad with respect to x" in p.stdout
    assert "def g_grad_jvp(x, x_dot):" in p.stdout
    assert "#" not in p.stdout.split("<wengert g_grad", 1)[-1].split(">")[0]


def test_show_arrays_from_nested_lists(tmp_path):
    (tmp_path / "arr.py").write_text("import numpy as np\n\ndef s(x):\n"
                                     "    return np.sum(np.sin(x) * x)\n")
    p = run("show", f"{tmp_path / 'arr.py'}:s", "--args", "[[1.0, 2.0], [3.0, 4.0]]")
    assert p.returncode == 0, p.stderr
    assert "specialised for x: <f8[2,2]" in p.stdout


def test_bad_example_arguments_are_one_message():
    p = run("show", f"{QUICK}:g", "--args", "[1.0,")
    assert p.returncode == 1 and "example arguments" in p.stderr
    assert "Traceback" not in p.stderr


def test_highlighting_only_on_a_terminal():
    import io
    from wengert.display import highlight_html, write_source

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    plain, tty = io.StringIO(), Terminal()
    write_source("def f(x):\n    return x\n", plain)
    write_source("def f(x):\n    return x\n", tty)
    assert plain.getvalue() == "def f(x):\n    return x\n"
    try:
        import pygments  # noqa: F401
    except ImportError:
        assert tty.getvalue() == plain.getvalue()
        assert highlight_html("a < b").startswith("<pre>a &lt; b")
    else:
        assert "\x1b[" in tty.getvalue()
        assert "<span" in highlight_html("def f(x):\n    return x\n")


def test_wengert_show_and_repr_html(capsys):
    import wengert
    from wengert.cli import load_function
    g = load_function(f"{QUICK}:g")
    wengert.show(g, mode="wengert")
    assert capsys.readouterr().out.startswith("def g(x):")
    d = wengert.grad(g)
    d(3.0)
    html = d._repr_html_()
    assert "g_grad" in html and ("<pre" in html or "<div" in html)


# --------------------------------------------------------------------------
# export


def test_export_writes_a_module(tmp_path):
    out = tmp_path / "grad_f.py"
    p = run("export", f"{QUICK}:f", "--wrt", "x1,x2", "--args", "2.0, 5.0", "-o", str(out))
    assert p.returncode == 0, p.stderr
    text = out.read_text()
    assert "def grad_f(x1, x2, out_bar=1.0):" in text
    assert f"# regenerate:  wengert export {QUICK}:f --wrt x1,x2" in text
    namespace = {}
    exec(compile(text, str(out), "exec"), namespace)
    assert namespace["grad_f"](2.0, 5.0)[0] == 5.5


def test_export_name_and_stdout():
    p = run("export", f"{QUICK}:g", "--name", "dg", "--mode", "forward")
    assert p.returncode == 0, p.stderr
    assert "def dg(x):" in p.stdout
    p = run("export", f"{QUICK}:g", "--name", "not valid")
    assert p.returncode == 1 and "identifier" in p.stderr and "Traceback" not in p.stderr


# --------------------------------------------------------------------------
# graph


def test_graph_prints_dot():
    p = run("graph", f"{QUICK}:f", "--wrt", "x1")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith('digraph "f" {')
    assert '[label="v2 = x1 * x2"' in p.stdout


def test_graph_writes_dot_file(tmp_path):
    out = tmp_path / "f.dot"
    p = run("graph", f"{QUICK}:f", "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert out.read_text().startswith("digraph")


def test_graph_svg_without_graphviz_is_a_clear_error(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))           # no `dot` on PATH
    p = run("graph", f"{QUICK}:f", "-o", str(tmp_path / "f.svg"), env=env)
    assert p.returncode == 1
    assert "Graphviz" in p.stderr and ".dot" in p.stderr and "Traceback" not in p.stderr


def test_graph_svg_with_graphviz(tmp_path):
    import shutil
    import pytest
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    out = tmp_path / "f.svg"
    p = run("graph", f"{QUICK}:f", "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert "<svg" in out.read_text()


# --------------------------------------------------------------------------
# check


def test_check_prints_a_table_and_succeeds():
    p = run("check", f"{QUICK}:f", "--at", "2.0, 5.0")
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["argument", "reverse", "forward", "finite", "difference",
                                "max", "abs", "error"]
    assert lines[2].split()[:4] == ["x1", "5.5", "5.5", "5.5"]
    assert p.stdout.splitlines()[-1].startswith("ok:")


def test_check_fails_on_a_wrong_rule(tmp_path):
    (tmp_path / "wrong.py").write_text(
        "import wengert\n\n@wengert.custom_vjp\ndef cube(x):\n    return x ** 3\n\n"
        "def cube_fwd(x):\n    return x ** 3, x\n\n"
        "def cube_bwd(x, g):\n    return (2 * x * x * g,)   # wrong: 3 x^2\n\n"
        "cube.defvjp(cube_fwd, cube_bwd)\n\n"
        "def f(x):\n    return cube(x) + x\n")
    p = run("check", f"{tmp_path / 'wrong.py'}:f", "--at", "1.5")
    assert p.returncode == 1
    assert "MISMATCH" in p.stdout and "Traceback" not in p.stderr


def test_check_arrays():
    from wengert.cli import gradient_check
    import numpy as np

    def f(x, y):
        return np.sum(x * x) * y
    rows, ok = gradient_check(f, (np.array([1.0, 2.0]), 3.0))
    assert ok and [r[0] for r in rows] == ["x", "y"]
    np.testing.assert_allclose(rows[0][1], [6.0, 12.0])


def test_every_subcommand_reports_errors_without_traceback():
    for args in (("show", "nope.py:f"), ("export", "nope.py:f"), ("graph", "nope.py:f"),
                 ("check", "nope.py:f", "--at", "1.0"),
                 ("check", f"{QUICK}:g", "--at", "'a'")):
        p = run(*args)
        assert p.returncode != 0 and p.stderr.startswith("wengert: error:"), args
        assert "Traceback" not in p.stderr


def test_the_console_script_imports_from_the_working_directory(tmp_path):
    """``wengert MOD:FUNC`` finds a module in the current directory, as
    ``python -m wengert`` does."""
    (tmp_path / "mine.py").write_text("def sq(x):\n    return x * x\n")
    code = ("import sys; sys.argv = ['wengert', 'show', 'mine:sq', '--mode', 'wengert']; "
            "sys.path.remove('') if '' in sys.path else None; "
            "from wengert.cli import main; raise SystemExit(main())")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=str(tmp_path), timeout=120)
    assert p.returncode == 0, p.stderr
    assert "v1 = x * x" in p.stdout


NONSCALAR = "import numpy as np\n\ndef vec(x):\n    return np.sin(x)\n\n" \
    "def loop(x, n=5):\n    y = x\n    for i in range(n):\n        y = y * y + 0.1\n    return y\n"


def test_gradients_of_non_scalar_functions_and_wrong_arity_are_refused(tmp_path):
    f = tmp_path / "nonscalar.py"
    f.write_text(NONSCALAR)
    for cmd in ("show", "export"):
        p = run(cmd, f"{f}:vec", "--args", "[1.0, 2.0]")
        assert p.returncode != 0 and "scalar output" in p.stderr, p.stderr
        p = run(cmd, f"{f}:vec", "--args", "1.0, 2.0")
        assert p.returncode != 0 and "do not fit vec(x)" in p.stderr, p.stderr
    p = run("show", f"{f}:vec", "--args", "[1.0, 2.0]", "--mode", "vjp")
    assert p.returncode == 0, p.stderr


def test_check_leaves_integer_arguments_alone_and_hvp_exports_a_loop(tmp_path):
    f = tmp_path / "nonscalar.py"
    f.write_text(NONSCALAR)
    p = run("check", f"{f}:loop", "--at", "0.7, 3")
    assert p.returncode == 0, p.stdout + p.stderr
    out = tmp_path / "hvp_loop.py"
    p = run("export", f"{f}:loop", "--args", "0.7, 3", "--mode", "hvp", "-o", str(out))
    assert p.returncode == 0, p.stderr
    namespace: dict = {}
    exec(compile(out.read_text(), str(out), "exec"), namespace)
    g, hv = namespace["hvp_loop"](0.7, 3, 1.0)
    import wengert
    assert hv == pytest.approx(wengert.hvp(_loop_here)(0.7, 3, 1.0), rel=1e-12)


def _loop_here(x, n=5):
    y = x
    for i in range(n):
        y = y * y + 0.1
    return y


# --------------------------------------------------------------------------
# Class.method


METHODS = '''import numpy as np


class Quad:
    k = 2.0

    def loss(self, x, y=1.0):
        return self.k * x ** 2 * y

    def act(self, x):
        return np.tanh(x)

    def total(self, x):
        return np.sum(self.act(x) ** 2)

    @staticmethod
    def cube(x):
        return x ** 3

    @classmethod
    def square(cls, x):
        return x * x


class Needs:
    def __init__(self, w):
        self.w = w

    def loss(self, x):
        return self.w * x


model = Needs(3.0)
'''


@pytest.fixture
def methods(tmp_path):
    path = tmp_path / "methods.py"
    path.write_text(METHODS)
    return str(path)


def test_show_of_a_method_differentiates_the_method_of_an_instance(methods):
    p = run("show", f"{methods}:Quad.loss")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[:3] == ["# adjoint (reverse mode) of loss with respect to x",
                                         "# specialised for self: Quad instance",
                                         "def loss_grad(self, x, y, out_bar=1.0):"]
    assert "self_bar" not in p.stdout and "x_bar" in p.stdout
    p = run("show", f"{methods}:Quad.loss", "--wrt", "y", "--args", "1.5, 2.0")
    assert p.returncode == 0, p.stderr
    assert "# specialised for self: Quad instance, x: float, y: float" in p.stdout
    assert "y_bar = " in p.stdout and "self.k" in p.stdout
    p = run("show", f"{methods}:Quad.total")          # self.act(x): resolved on Quad
    assert p.returncode == 0, p.stderr
    assert "np.tanh" in p.stdout and "no derivative rule" not in p.stderr
    p = run("show", f"{methods}:Quad.loss", "--wrt", "self")
    assert p.returncode == 1 and "`self` is not a parameter of `loss` (its parameters: x, y)" \
        in p.stderr and "Traceback" not in p.stderr


def test_export_of_a_method_takes_the_instance_first(methods, tmp_path):
    import types
    out = tmp_path / "grad_loss.py"
    p = run("export", f"{methods}:Quad.loss", "--args", "1.5, 2.0", "-o", str(out))
    assert p.returncode == 0, p.stderr
    text = out.read_text()
    assert "# wrt:         x\n" in text and "def grad_loss(self, x, y=1.0, out_bar=1.0):" in text
    namespace: dict = {}
    exec(compile(text, str(out), "exec"), namespace)
    assert namespace["grad_loss"](types.SimpleNamespace(k=2.0), 1.5, 2.0) == 12.0


def test_check_of_a_method_names_its_arguments_without_self(methods):
    for extra in ((), ("--wrt", "x"), ("--wrt", "0")):
        p = run("check", f"{methods}:Quad.loss", "--at", "1.5", *extra)
        assert p.returncode == 0, p.stdout + p.stderr
        assert p.stdout.splitlines()[2].split()[:4] == ["x", "6", "6", "6"], p.stdout
    p = run("check", f"{methods}:Quad.loss", "--at", "1.5", "--wrt", "y")   # y's default
    assert p.returncode == 0 and p.stdout.splitlines()[2].split()[:2] == ["y", "4.5"], p.stdout
    p = run("check", f"{methods}:Quad.total", "--at", "[0.3, 0.4]")
    assert p.returncode == 0 and p.stdout.splitlines()[-1].startswith("ok:"), p.stdout + p.stderr


def test_a_method_of_a_class_needing_arguments_is_refused(methods):
    for args in (("show", f"{methods}:Needs.loss"), ("export", f"{methods}:Needs.loss"),
                 ("graph", f"{methods}:Needs.loss"),
                 ("check", f"{methods}:Needs.loss", "--at", "1.5")):
        p = run(*args)
        assert p.returncode == 1, args
        assert p.stderr.startswith("wengert: error: `Needs.loss` is a method: the command "
                                   "line differentiates it on an instance `Needs()`, and "
                                   "Needs() needs arguments"), p.stderr
        assert "`FILE.py:model.loss`" in p.stderr and "Traceback" not in p.stderr
    p = run("check", f"{methods}:model.loss", "--at", "1.5")    # an instance made by the module
    assert p.returncode == 0 and p.stdout.splitlines()[2].split()[:2] == ["x", "3"], p.stdout
    p = run("show", f"{methods}:model.loss")
    assert p.returncode == 0 and "def loss_grad(self, x, out_bar=1.0):" in p.stdout, p.stderr


def test_static_and_class_methods(methods):
    p = run("show", f"{methods}:Quad.cube")
    assert p.returncode == 0 and "def cube_grad(x, out_bar=1.0):" in p.stdout, p.stderr
    p = run("show", f"{methods}:Quad.square")
    assert p.returncode == 0 and "def square_grad(cls, x, out_bar=1.0):" in p.stdout, p.stderr
    for name, value in (("cube", "6.75"), ("square", "3")):
        p = run("check", f"{methods}:Quad.{name}", "--at", "1.5")
        assert p.returncode == 0, p.stdout + p.stderr
        assert p.stdout.splitlines()[2].split()[:2] == ["x", value]
    p = run("graph", f"{methods}:Quad.loss", "--wrt", "y")
    assert p.returncode == 0, p.stderr
    assert "active path from y" in p.stdout and 'in_self [label="self", shape=ellipse];' \
        in p.stdout


def test_check_with_wrt_past_the_point_is_an_error_not_a_crash():
    p = run("check", f"{QUICK}:f", "--at", "2.0", "--wrt", "x2")
    assert p.returncode == 1, p.stderr
    assert "the point (2.0,) does not fit f(x1, x2)" in p.stderr and "internal" not in p.stderr


# --------------------------------------------------------------------------
# a parameter left to its default; a module-level lambda


DEFAULTED = "import numpy as np\n\ndef loss(w, lam=0.1):\n    return np.sum(w ** 2) * lam\n\n" \
    "def rest(x, *more):\n    return x\n\nlam = lambda x: x ** 3\n\n" \
    "class Holder:\n    cube = staticmethod(lambda x: x ** 3)\n"


def test_show_and_export_wrt_a_parameter_the_example_leaves_to_its_default(tmp_path, capsys):
    import numpy as np
    import wengert
    from wengert.cli import load_function
    f = tmp_path / "defaulted.py"
    f.write_text(DEFAULTED)
    p = run("show", f"{f}:loss", "--wrt", "lam", "--args", "[0.1, 0.2]")
    assert p.returncode == 0, p.stderr
    assert "# specialised for w: <f8[2], lam: float" in p.stdout and "lam_bar" in p.stdout
    out = tmp_path / "grad_loss.py"
    p = run("export", f"{f}:loss", "--wrt", "w,lam", "--args", "[0.1, 0.2]", "-o", str(out))
    assert p.returncode == 0, p.stderr
    namespace: dict = {}
    exec(compile(out.read_text(), str(out), "exec"), namespace)
    w = np.array([0.1, 0.2])
    loss = load_function(f"{f}:loss")
    got, expected = namespace["grad_loss"](w), wengert.grad(loss, wrt=("w", "lam"))(w)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12)
    assert got[1] == pytest.approx(expected[1], rel=1e-12)
    wengert.show(loss, wrt="lam", args=(w,))                   # the same from Python
    assert "lam_bar" in capsys.readouterr().out
    with pytest.raises(wengert.UsageError, match="no value for and which has no default"):
        wengert.show(load_function(f"{f}:rest"), wrt="more", args=(1.0,))


def test_export_of_a_module_level_lambda_is_named_after_its_variable(tmp_path):
    f = tmp_path / "defaulted.py"
    f.write_text(DEFAULTED)
    out = tmp_path / "grad_lam.py"
    p = run("export", f"{f}:lam", "--args", "0.5", "-o", str(out))
    assert p.returncode == 0, p.stderr
    text = out.read_text()
    assert "def grad_lam(x, out_bar=1.0):" in text and ", function lam\n" in text
    namespace: dict = {}
    exec(compile(text, str(out), "exec"), namespace)
    assert namespace["grad_lam"](0.5) == pytest.approx(0.75, rel=1e-12)
    p = run("export", f"{f}:Holder.cube", "--args", "0.5", "--mode", "jvp")
    assert p.returncode == 0, p.stderr                  # a lambda in a class: the name typed
    assert "def jvp_cube(x, x_dot):" in p.stdout


def test_check_table_keeps_a_matrix_on_its_row():
    import numpy as np
    from wengert.cli import format_table
    m = np.array([[0.5, 0.25], [1.0, 2.0]])
    text = format_table([("W", m, m, m, 0.0), ("x", np.ones(2), np.ones(2), np.ones(2), 0.0)])
    lines = text.splitlines()
    assert len(lines) == 4 and lines[2].startswith("W ") and lines[3].startswith("x ")
    assert lines[2].count("], [") == 3, lines[2]      # each cell's two rows on one line
