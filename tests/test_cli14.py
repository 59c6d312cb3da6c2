"""Command-line and export bugs found by trial 14: gradients of functions
with a non-scalar output, forward-mode exports of container arguments, clean
errors (never a traceback) for bad targets, options and files, the checks
of an exported vjp's cotangent, and wengert.show building what grad builds."""

import io
import os
import subprocess
import sys
import textwrap
from contextlib import redirect_stdout

import numpy as np
import pytest

import wengert
from wengert.cli import main
from wengert.display import source_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MODULE = '''
import numpy as np

def f(x1, x2):
    return x1 * x2 + x1 ** 2

def vecout(x):
    return x ** 2

def dict_out(p, x):
    return {'y': p['W'] @ x, 'z': (np.sum(x) * p['c'],)}

def dictf(params, x):
    y = params['W'] @ x + params['b']
    return np.sum(y ** 2) + params['s'] * np.sum(x)

def listf(ws, x):
    t = 0.0
    for w in ws:
        t = t + np.sum(w * x)
    return t

def nested(p):
    return np.sum(p['a'][0] * p['a'][1]) + p['b']['c'] ** 2

def tuple_arg(t, k):
    a, b = t
    return a * b ** 2 + k

def strfun(x):
    return "abc"
'''


@pytest.fixture
def where(tmp_path):
    (tmp_path / "m14.py").write_text(MODULE)
    (tmp_path / "exits.py").write_text("import sys\nsys.exit(3)\ndef f(x):\n    return x\n")
    (tmp_path / "interrupts.py").write_text("raise KeyboardInterrupt\ndef f(x):\n    return x\n")
    return tmp_path


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "wengert", *args], capture_output=True,
                          text=True, cwd=str(cwd), timeout=120,
                          env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src")))


def run_script(where, script):
    """Run ``script`` in ``where`` with wengert unimportable (the exported
    modules must not need it); its stdout."""
    path = where / "script_.py"
    path.write_text("import sys\nsys.modules['wengert'] = None\nsys.path.insert(0, '.')\n"
                    "import numpy as np\n"
                    "def error(fn, *a):\n"
                    "    try:\n"
                    "        fn(*a)\n"
                    "    except (TypeError, ValueError) as e:\n"
                    "        return f'{type(e).__name__}: {e}'\n"
                    "    return 'no error'\n" + textwrap.dedent(script))
    p = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                       cwd=str(where), timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


def export(where, *args):
    p = run("export", *args, cwd=where)
    assert p.returncode == 0, p.stderr
    return p


def clean_error(p, *words):
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr, p.stderr
    assert "error:" in p.stderr
    for w in words:
        assert w in p.stderr, p.stderr


# 1. a gradient of a function with a non-scalar output


def test_exported_gradient_of_an_array_output_refused_at_run_time(where):
    export(where, "m14.py:vecout", "-o", "gv.py")
    export(where, "m14.py:vecout", "--mode", "forward", "-o", "gvf.py")
    export(where, "m14.py:vecout", "--mode", "hvp", "-o", "hv.py")
    out = run_script(where, """
        import gv, gvf, hv
        x = np.array([1.0, 2.0, 3.0])
        print(error(gv.grad_vecout, x))
        print(error(gvf.grad_vecout, x))
        print(error(hv.hvp_vecout, x, np.ones(3)))
        print(gv.grad_vecout(2.0), gvf.grad_vecout(2.0))     # a scalar output: fine
    """).splitlines()
    for line in out[:3]:
        assert line.startswith("ValueError:") and "scalar output" in line and \
            "`vecout` returned an array of shape (3,)" in line, line
    assert out[3] == "4.0 4.0"


def test_export_of_a_gradient_of_a_known_container_output_refused(where):
    p = run("export", "m14.py:dict_out", cwd=where)
    clean_error(p, "scalar output", "dict, list or tuple", "--mode vjp")
    p = run("export", "m14.py:vecout", "--args", "[1.0, 2.0]", cwd=where)
    clean_error(p, "scalar output")


# 2. forward-mode export of dict, list, tuple and nested arguments


def test_forward_export_of_container_arguments(where):
    export(where, "m14.py:dictf", "--mode", "forward", "-o", "fd.py")
    export(where, "m14.py:dictf", "--mode", "reverse", "-o", "rd.py")
    export(where, "m14.py:nested", "--mode", "forward", "-o", "fn.py")
    export(where, "m14.py:nested", "--mode", "reverse", "-o", "rn.py")
    export(where, "m14.py:tuple_arg", "--mode", "forward", "-o", "ft.py")
    export(where, "m14.py:listf", "--mode", "forward", "--args",
           "[[1.0, 2.0], [3.0, 4.0, 5.0]], 2.0", "-o", "fl.py")
    out = run_script(where, """
        import fd, rd, fn, rn, ft, fl
        def same(a, b):
            if isinstance(b, dict):
                return type(a) is dict and a.keys() == b.keys() and all(same(a[k], b[k]) for k in b)
            if isinstance(b, (list, tuple)):
                return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
            return type(a) is type(b) and np.allclose(a, b)
        p = {'W': np.array([[1.0, 2.0], [0.5, -1.0]]), 'b': np.array([0.1, 0.2]), 's': 1.5}
        x = np.array([0.3, -0.7])
        print(same(fd.grad_dictf(p, x), rd.grad_dictf(p, x)))
        q = {'a': (np.array([1.0, 2.0]), np.array([3.0, 4.0])), 'b': {'c': 1.5}}
        print(same(fn.grad_nested(q), rn.grad_nested(q)))
        print(same(ft.grad_tuple_arg((1.5, 2.0), 1.0), (4.0, 6.0)))
        ws = [np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])]
        print(same(fl.grad_listf(ws, 2.0), [np.array([2.0, 2.0]), np.array([2.0, 2.0, 2.0])]))
    """)
    assert out.split() == ["True"] * 4, out


# 3. clean errors, exit status 1, never a traceback


def test_ragged_list_of_arrays_argument(where):
    for cmd in ("show", "export"):
        p = run(cmd, "m14.py:listf", "--args", "[[1.0, 2.0], [3.0, 4.0, 5.0]], 2.0", cwd=where)
        assert p.returncode == 0, p.stderr
        if cmd == "show":
            assert "ws: (0: <f8[2], 1: <f8[3])" in p.stdout


@pytest.mark.parametrize("target, words", [
    (":f", ["no file or module before the colon"]),
    ("m14.py:", ["no function after the colon"]),
    ("DIR:f", ["is not a Python file"]),
    ("exits.py:f", ["exited (sys.exit(3)) while being imported"]),
    ("interrupts.py:f", ["KeyboardInterrupt"]),
])
def test_bad_targets(where, target, words):
    if target.startswith("DIR"):
        (where / "adir").mkdir()
        target = str(where / "adir") + target[3:]
    clean_error(run("show", target, cwd=where), *words)


def test_export_errors(where):
    clean_error(run("export", "m14.py:f", "-o", str(where / "nowhere" / "x.py"), cwd=where),
                "cannot write")
    clean_error(run("export", "m14.py:f", "--name", "class", cwd=where), "identifier")
    clean_error(run("export", "m14.py:f", "--name", "1abc", cwd=where), "identifier")


def test_check_of_a_function_returning_a_string(where):
    clean_error(run("check", "m14.py:strfun", "--at", "1.0", cwd=where), "scalar output")


# 4. options


def test_option_errors(where):
    clean_error(run("show", "m14.py:f", "--wrt", "", cwd=where), "names no parameter")
    clean_error(run("export", "m14.py:f", "--wrt", " , ", cwd=where), "names no parameter")
    for bad in ("'a', 2.0", "None, 2.0", "{1.0}, 2.0"):
        clean_error(run("show", "m14.py:f", "--args", bad, cwd=where), "no derivative")
    clean_error(run("check", "m14.py:f", "--at", "1.0, 2.0", "--rtol", "-1", cwd=where),
                "--rtol")
    clean_error(run("check", "m14.py:f", "--at", "1.0, 2.0", "--atol", "nan", cwd=where),
                "--atol")
    # argparse's usage errors: status 1 as well (2 is for internal errors)
    clean_error(run("show", "m14.py:f", "--bogus", cwd=where), "unrecognized")
    clean_error(run("show", "m14.py:f", "--mode", "sideways", cwd=where), "invalid choice")
    clean_error(run("check", "m14.py:f", cwd=where), "--at")
    p = run("check", "m14.py:f", "--at", "1.0, 2.0", cwd=where)
    assert p.returncode == 0, p.stderr


def test_usage_error_status_in_process(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["show"])
    assert exc.value.code == 1


# 5. an exported vjp's cotangent


def test_exported_vjp_checks_its_cotangent(where):
    export(where, "m14.py:vecout", "--mode", "vjp", "-o", "vv.py")
    export(where, "m14.py:dict_out", "--mode", "vjp", "-o", "vd.py")
    out = run_script(where, """
        import vv, vd
        x = np.array([1.0, 2.0, 3.0])
        print(error(vv.vjp_vecout, x, np.ones((4, 3))))
        print(error(vv.vjp_vecout, x, np.ones(1)))
        print(error(vv.vjp_vecout, x))
        value, g = vv.vjp_vecout(x, np.array([1.0, 0.0, 2.0]))
        print(np.allclose(g, [2.0, 0.0, 12.0]))
        p = {'W': np.ones((3, 2)), 'c': 2.0}
        x2 = np.array([0.5, 1.0])
        print(error(vd.vjp_dict_out, p, x2))
        print(error(vd.vjp_dict_out, p, x2, {'y': np.ones(3)}))
        print(error(vd.vjp_dict_out, p, x2, {'y': np.ones((5, 3)), 'z': (1.0,)}))
        value, g = vd.vjp_dict_out(p, x2, {'y': np.ones(3), 'z': (1.0,)})
        print(np.allclose(g['W'], np.tile(x2, (3, 1))), np.isclose(g['c'], 1.5))
    """).splitlines()
    assert out[0].startswith("ValueError:") and "shape (4, 3)" in out[0], out[0]
    assert out[1].startswith("ValueError:") and "shape (1,)" in out[1], out[1]
    assert out[2].startswith("ValueError:") and "default 1.0" in out[2], out[2]
    assert out[3] == "True"
    assert out[4].startswith("TypeError:") and "is a float" in out[4], out[4]
    assert out[5].startswith("TypeError:") and "no key 'z'" in out[5], out[5]
    assert out[6].startswith("ValueError:") and "out_bar['y']" in out[6], out[6]
    assert out[7] == "True True"


def test_wrong_argument_describes_a_matrix():
    from wengert.export import _wrong_argument
    with pytest.raises((TypeError, ValueError)) as exc:
        _wrong_argument("grad_f", "W", np.asmatrix(np.ones((2, 3))),
                        "a float64 array of shape (2, 3)", array=True)
    assert "matrix" in str(exc.value) and "shape (2, 3)" in str(exc.value)
    assert "scalar" not in str(exc.value).split("but")[0]


# 6. wengert.show builds what wengert.grad builds


def _listf(ws, x):
    t = 0.0
    for w in ws:
        t = t + np.sum(w * x)
    return t


def _sq(x):
    return np.sum(x ** 2)


def test_show_specialises_as_grad_does():
    ws = [np.ones(2), np.ones(2)]
    g = wengert.grad(_listf)
    g(ws, 2.0)
    header = g.source.splitlines()[1]
    assert "ws: (0: <f8[2], 1: <f8[2])" in header
    assert source_for(_listf, args=(ws, 2.0)).splitlines()[1] == header
    # a ragged list: a list of two arrays, no ValueError
    text = source_for(_listf, args=([np.ones(2), np.ones(3)], 2.0))
    assert "ws: (0: <f8[2], 1: <f8[3])" in text
    # args that is not a tuple is the one argument
    buf = io.StringIO()
    with redirect_stdout(buf):
        wengert.show(_sq, args=np.ones(2))
    assert "x: <f8[2]" in buf.getvalue()


def test_an_exported_closure_takes_the_name_it_was_given(tmp_path):
    (tmp_path / "clo.py").write_text(
        "import numpy as np\n"
        "def factory(k):\n"
        "    def inner(x):\n"
        "        return k * np.sum(x * x)\n"
        "    return inner\n"
        "scaled = factory(0.5)\n")
    done = run("export", "clo.py:scaled", "-o", "esc.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "def grad_scaled(" in (tmp_path / "esc.py").read_text()
