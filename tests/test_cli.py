"""The command line: wengert show, and python -m wengert."""

import os
import subprocess
import sys

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
