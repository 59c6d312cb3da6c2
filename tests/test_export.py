"""wengert export: a standalone module that needs only NumPy.

Each test exports a derivative, imports the module in a fresh interpreter in
which ``import wengert`` fails, and compares its numbers with ``wengert.grad``.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import wengert
from wengert import analysis
from wengert.cli import load_function
from wengert.export import export_source

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")

RUNNER = textwrap.dedent("""
    import importlib.util, json, sys
    sys.modules["wengert"] = None              # any import of wengert fails
    sys.path = [p for p in sys.path if not p.rstrip("/").endswith("src")]
    path, name, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    spec = importlib.util.spec_from_file_location("exported", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import numpy as np

    def arg(a):
        return np.array(a["array"], dtype=a["dtype"]) if isinstance(a, dict) else a

    def plain(v):
        if isinstance(v, (tuple, list)):
            return [plain(x) for x in v]
        return np.asarray(v, dtype=float).tolist()

    print(json.dumps(plain(getattr(module, name)(*[arg(a) for a in args]))))
""")


def _json_arg(a):
    if isinstance(a, np.ndarray):
        return {"array": a.tolist(), "dtype": a.dtype.name}
    return a


def run_exported(tmp_path, text, name, args):
    """Call ``name(*args)`` of the module ``text`` in a fresh interpreter
    without wengert; the result as nested lists of floats."""
    module = tmp_path / f"{name}.py"
    module.write_text(text)
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER)
    p = subprocess.run([sys.executable, "-I", str(runner), str(module), name,
                        json.dumps([_json_arg(a) for a in args])],
                       capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr + "\n" + text
    return json.loads(p.stdout)


def close(got, expected):
    if isinstance(expected, tuple):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            close(g, e)
        return
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float),
                               rtol=1e-12, atol=1e-12)


def kinds(*args):
    return tuple(analysis.kind_of_value(a) for a in args)


def assert_standalone(text):
    assert "import wengert" not in text and "from wengert" not in text
    compile(text, "<exported>", "exec")


def check(tmp_path, func, args, wrt=0, mode="reverse", specialise=True):
    text = export_source(func, mode, wrt, kinds(*args) if specialise else None, None)
    assert_standalone(text)
    name = f"grad_{func.__name__}"
    got = run_exported(tmp_path, text, name, list(args))
    close(got, wengert.grad(func, wrt=wrt, mode=mode)(*args))
    return text


# --------------------------------------------------------------------------
# the seeds


@pytest.fixture(scope="module")
def quickstart():
    return {n: load_function(f"{EXAMPLES}/quickstart.py:{n}") for n in ("f", "g", "z")}


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_seeds(tmp_path, quickstart, mode):
    check(tmp_path, quickstart["g"], (3.0,), mode=mode)
    check(tmp_path, quickstart["f"], (2.0, 5.0), wrt=(0, 1), mode=mode)
    check(tmp_path, quickstart["z"], (1.0, 2.0), wrt=("x", "y"), mode=mode, specialise=False)


def test_header_says_where_it_came_from_and_how_to_regenerate(quickstart):
    text = export_source(quickstart["f"], "reverse", (0, 1), kinds(2.0, 5.0), None)
    head = text.split("from __future__")[0]
    assert "quickstart.py, function f" in head and "wrt:         x1, x2" in head
    assert "kinds:       x1: float, x2: float" in head
    assert f"wengert {wengert.__version__}" in head
    assert "regenerate:  wengert export " in head and "--args '0.0, 0.0'" in head
    assert "def grad_f(x1, x2, out_bar=1.0):" in text


def test_exported_text_is_deterministic(tmp_path):
    """Two exports, in two processes, give the same bytes."""
    out = []
    target = tmp_path / "hvp_f.py"
    for _ in range(2):
        p = subprocess.run([sys.executable, "-m", "wengert", "export",
                            "examples/quickstart.py:f", "--wrt", "x1,x2", "--mode", "hvp",
                            "--args", "2.0, 5.0", "-o", str(target)],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert p.returncode == 0, p.stderr
        out.append(target.read_text())
    assert out[0] == out[1]
    assert "#1>" not in out[0] and "<wengert f_grad>" in out[0]


# --------------------------------------------------------------------------
# loops, helpers, constants, custom rules


PROGRAM = '''
import math
import numpy as np

SCALE = 3.0
OFFSETS = (0.5, -1.0)


def helper(a, b):
    return a * math.sin(b) + SCALE * helper2(a)


def helper2(a):
    return a * a + OFFSETS[0]


def loop(x, y):
    s = 0.0
    for i in range(4):
        s = s + helper(x, y) * x
        x = x * 0.9
    return s


def series(x, n=6):
    total = 0.0
    term = x
    k = 1
    while k < n:
        total = total + term / k
        term = term * x
        k = k + 1
    return total


def model(w, x):
    h = np.tanh(x * w)
    return np.sum(h ** 2) / np.size(h) + np.log1p(np.max(h * h))
'''


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    path = tmp_path_factory.mktemp("prog") / "prog_export.py"
    path.write_text(PROGRAM)
    return lambda name: load_function(f"{path}:{name}")


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_loop_and_helper_calls(tmp_path, program, mode):
    text = check(tmp_path, program("loop"), (0.7, 1.3), wrt=(0, 1), mode=mode)
    helper = "def helper_fwd(a, b):" if mode == "reverse" else "def helper_jvp(a, b, a_dot, b_dot):"
    assert helper in text and "SCALE = 3.0" in text
    assert "OFFSETS = (0.5, -1.0)" in text
    check(tmp_path, program("series"), (0.4,), mode=mode)


def test_numpy_helpers_are_copied(tmp_path, program):
    w, x = np.array([0.3, -0.2, 0.5]), np.array([1.0, 2.0, -1.5])
    check(tmp_path, program("model"), (w, x))
    # the general version (kinds unknown) calls wengert's reduction helpers
    text = check(tmp_path, program("model"), (w, x), specialise=False)
    assert "def unreduce(" in text


def test_custom_vjp(tmp_path):
    loss = load_function(f"{EXAMPLES}/custom_rules.py:loss_scalar")
    text = check(tmp_path, loss, (0.7, 1.3))
    assert "def sigmoid_fwd(x):" in text and "def relu_bwd(x, g):" in text
    assert "custom_vjp" not in text.split("regenerate:")[1]
    check(tmp_path, loss, (0.7, 1.3), mode="forward")


def test_vjp_jvp_and_hvp_modes(tmp_path, quickstart):
    f = quickstart["f"]
    args = (2.0, 5.0)
    text = export_source(f, "vjp", (0, 1), kinds(*args), None)
    value, grads = run_exported(tmp_path, text, "vjp_f", [*args, 1.0])
    close(value, f(*args))
    close(tuple(grads), wengert.grad(f, wrt=(0, 1))(*args))
    text = export_source(f, "jvp", (0, 1), kinds(*args), None)
    close(run_exported(tmp_path, text, "jvp_f", [*args, 1.0, 0.0]),
          wengert.jvp(f, args, (1.0, 0.0)))
    text = export_source(f, "hvp", (0, 1), kinds(*args), "hessian_vector")
    grads, hv = run_exported(tmp_path, text, "hessian_vector", [*args, 1.0, 0.0])
    hessian = wengert.hessian(f, wrt=(0, 1))(*args)
    close(tuple(hv), (hessian[0][0], hessian[1][0]))


# --------------------------------------------------------------------------
# what cannot be exported


def test_global_array_is_an_error_naming_it(tmp_path):
    path = tmp_path / "glob_array.py"
    path.write_text("import numpy as np\nW = np.array([1.0, 2.0])\n\n"
                    "def f(x):\n    return np.sum(W * x)\n")
    f = load_function(f"{path}:f")
    with pytest.raises(wengert.UsageError) as info:
        export_source(f, "reverse", 0, None, None)
    assert "`W`" in str(info.value) and "argument" in str(info.value)


def test_default_array_is_frozen_into_the_module(tmp_path):
    path = tmp_path / "default_array.py"
    path.write_text("import numpy as np\nW = np.array([1.0, 2.0])\n\n"
                    "def f(x, w=W):\n    return np.sum(w * x * x)\n")
    f = load_function(f"{path}:f")
    x = np.array([0.5, -1.5])
    text = export_source(f, "reverse", 0, kinds(x), None)
    close(run_exported(tmp_path, text, "grad_f", [x]), wengert.grad(f)(x))


def test_closure_values_are_frozen_into_the_export(tmp_path):
    path = tmp_path / "closure.py"
    path.write_text(textwrap.dedent("""
        import numpy as np

        def make(w):
            def scaled(x):
                return np.sum(w * x)
            return scaled

        scaled = make(np.array([1.0, 2.0]))
        half = make(0.5)

        def f(x):
            return scaled(x) * 2.0

        def g(x):
            return half(x) * 2.0
    """))
    # the derivative froze the closure's array when it was built (its primal
    # sweep runs the generated `scaled_fwd`): the export writes it as a literal
    f = load_function(f"{path}:f")
    text = export_source(f, "reverse", 0, kinds(np.array([0.5, -1.0])), None)
    assert "w = np.array([1.0, 2.0]" in text
    close(run_exported(tmp_path, text, "grad_f", [np.array([0.5, -1.0])]),
          wengert.grad(f)(np.array([0.5, -1.0])))
    g = load_function(f"{path}:g")
    text = export_source(g, "reverse", 0, kinds(1.5), None)
    assert "w = 0.5" in text
    close(run_exported(tmp_path, text, "grad_g", [1.5]), wengert.grad(g)(1.5))


def test_bad_mode_and_name(quickstart):
    with pytest.raises(wengert.UsageError):
        export_source(quickstart["g"], "wengert", 0, None, None)
    with pytest.raises(wengert.UsageError):
        export_source(quickstart["g"], "reverse", 0, None, "not a name")


def test_wengert_functions_called_by_name_are_copied(tmp_path):
    path = tmp_path / "uses_wengert.py"
    path.write_text("import wengert\n\ndef h(x):\n    return wengert.stop_gradient(x) * x\n")
    h = load_function(f"{path}:h")
    text = export_source(h, "reverse", 0, kinds(1.5), None)
    assert "def stop_gradient(x):" in text and "wengert.stop_gradient" not in text
    close(run_exported(tmp_path, text, "grad_h", [1.5]), wengert.grad(h)(1.5))


def test_c_function_without_source_is_an_error_naming_it(tmp_path):
    path = tmp_path / "c_function.py"
    path.write_text(textwrap.dedent("""
        import numpy as np
        import wengert

        noise = np.random.default_rng(0).random
        wengert.nondifferentiable(noise)

        def f(x):
            return x * x + noise()
    """))
    with pytest.raises(wengert.UsageError) as info:
        export_source(load_function(f"{path}:f"), "jvp", 0, None, None)
    assert "`noise`" in str(info.value) and "no Python source" in str(info.value)


def test_clashing_names_from_two_modules_are_renamed(tmp_path):
    (tmp_path / "clash_b.py").write_text("SCALE = 2.0\n\ndef h(x):\n    return SCALE * x * x\n")
    (tmp_path / "clash_a.py").write_text(textwrap.dedent("""
        import sys, os
        sys.path.insert(0, os.path.dirname(__file__))
        from clash_b import h as hb

        SCALE = 3.0

        def h(x):
            return SCALE * x * x * x

        def f(x):
            return h(x) + hb(x)
    """))
    f = load_function(f"{tmp_path / 'clash_a.py'}:f")
    for mode in ("reverse", "forward"):
        text = export_source(f, mode, 0, kinds(1.5), None)
        assert "SCALE = 3.0" in text and "SCALE_2 = 2.0" in text
        close(run_exported(tmp_path, text, "grad_f", [1.5]), wengert.grad(f)(1.5))


# --------------------------------------------------------------------------
# default values in every mode; lambdas


DEFAULTS = textwrap.dedent("""
    import numpy as np

    def loss(w, lam=0.1):
        return np.sum(w ** 2) * lam

    cube = lambda x: x ** 3
    a = b = lambda x: x * x
""")


def test_jvp_and_hvp_keep_the_default_values(tmp_path):
    path = tmp_path / "defaults.py"
    path.write_text(DEFAULTS)
    loss = load_function(f"{path}:loss")
    w, t = np.array([0.1, 0.2]), np.array([1.0, -0.5])
    text = export_source(loss, "jvp", 0, kinds(w), None)
    assert "def jvp_loss(w, lam=0.1, w_dot=None):" in text
    expected = wengert.jvp(loss, (w, 0.1), (t, 0.0))
    close(tuple(run_exported(tmp_path, text, "jvp_loss", [w, 0.1, t])), expected)
    namespace: dict = {}
    exec(compile(text, "<jvp_loss>", "exec"), namespace)
    close(namespace["jvp_loss"](w, w_dot=t), expected)           # the default by name
    missing = r"missing a tangent \(w_dot\).*jvp_loss\(w, w_dot=\.\.\.\)"
    with pytest.raises(TypeError, match=missing):
        namespace["jvp_loss"](w, t)          # t would be lam: refused, never silently wrong
    text = export_source(loss, "hvp", 0, kinds(w), None)
    assert "def hvp_loss(w, lam=0.1, w_dot=None):" in text
    grads, hv = run_exported(tmp_path, text, "hvp_loss", [w, 0.1, t])
    close(hv, wengert.hvp(loss)(w, t))
    exec(compile(text, "<hvp_loss>", "exec"), namespace)
    close(namespace["hvp_loss"](w, w_dot=t)[1], wengert.hvp(loss)(w, t))
    text = export_source(loss, "jvp", ("w", "lam"), kinds(w, 0.1), None)
    assert "def jvp_loss(w, lam=0.1, w_dot=None, lam_dot=None):" in text
    close(tuple(run_exported(tmp_path, text, "jvp_loss", [w, 0.1, t, 2.0])),
          wengert.jvp(loss, (w, 0.1), (t, 2.0)))


def test_a_lambda_is_named_after_its_variable_or_needs_a_name(tmp_path):
    path = tmp_path / "lambdas.py"
    path.write_text(DEFAULTS)
    cube = load_function(f"{path}:cube")
    for mode in ("reverse", "forward"):
        text = export_source(cube, mode, 0, kinds(0.5), None)
        assert "def grad_cube(x" in text and "function cube\n" in text
        assert "lambdas.py:cube" in text                         # the regenerate command
        close(run_exported(tmp_path, text, "grad_cube", [0.5]), 0.75)
    twice = load_function(f"{path}:a")                           # a = b = lambda ...
    with pytest.raises(wengert.UsageError, match="no one module-level name") as info:
        export_source(twice, "reverse", 0, None, None)
    assert "--name" in info.value.hint
    close(run_exported(tmp_path, export_source(twice, "reverse", 0, kinds(1.5), "grad_sq"),
                       "grad_sq", [1.5]), 3.0)
