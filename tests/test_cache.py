"""Caching, threads, redefinition and determinism of generated code."""

import gc
import os
import subprocess
import sys
import threading
import weakref

import numpy as np
import pytest

import wengert
from wengert import api

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def poly(x):
    return x ** 3 - 2.0 * x


def test_eight_threads_build_once_and_share_the_function():
    def target(x):
        return x * x * 3.0 + x
    api._BUILT.pop(target, None)
    barrier = threading.Barrier(8)
    results, built = [], []

    def worker():
        d = wengert.grad(target)
        barrier.wait()
        results.append(d(2.0))
        built.append(d._last.function)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [13.0] * 8
    assert len({id(f) for f in built}) == 1, "the derivative was compiled more than once"
    assert len(api._BUILT[target]) == 1


def test_the_cache_does_not_keep_functions_alive():
    namespace = {}
    path = os.path.join(ROOT, "tests", "golden", "seeds.py")
    with open(path) as fh:
        exec(compile(fh.read(), path, "exec"), namespace)
    g = namespace["g"]
    assert wengert.grad(g)(3.0) == 11.0
    ref = weakref.ref(g)
    del g, namespace
    gc.collect()
    assert ref() is None, "the derivative cache keeps a dead function alive"


def test_redefining_a_function_gives_a_new_derivative(tmp_path):
    mod = tmp_path / "redefined.py"
    mod.write_text("def f(x):\n    return x * x\n")
    ns = {}
    exec(compile(mod.read_text(), str(mod), "exec"), ns)
    assert wengert.grad(ns["f"])(3.0) == 6.0
    mod.write_text("def f(x):\n    return x * x * x\n")
    import linecache
    linecache.checkcache(str(mod))
    ns2 = {}
    exec(compile(mod.read_text(), str(mod), "exec"), ns2)
    assert wengert.grad(ns2["f"])(3.0) == 27.0


SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
import wengert
from wengert.analysis import FLOAT
from golden import seeds
for fn, wrt in ((seeds.f, (0, 1)), (seeds.loop, (0,))):
    for mode in ("reverse", "forward"):
        print(wengert.derivative_source(fn, mode, wrt=wrt, kinds=tuple(FLOAT for _ in wrt)))
"""


def test_generated_source_is_identical_across_processes():
    code = SCRIPT.format(tests=os.path.join(ROOT, "tests"))
    env = dict(os.environ, PYTHONHASHSEED="random")
    outs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env=env).stdout for _ in range(2)]
    assert outs[0] == outs[1] and "def f_grad" in outs[0]


def test_a_second_derivative_object_reuses_the_compiled_code():
    d1, d2 = wengert.grad(poly), wengert.grad(poly)
    assert d1(1.5) == d2(1.5) == pytest.approx(3 * 1.5 ** 2 - 2.0)
    assert d1._last.function is d2._last.function


def test_grad_again_returns_the_same_derivative_while_it_lives():
    def target(x):
        return x * x
    d = wengert.grad(target)
    assert wengert.grad(target) is d
    assert wengert.grad(target, mode="forward") is not d
    assert wengert.value_and_grad(target) is not d
    assert wengert.grad(target, wrt=[0]) is not d      # unhashable wrt: not cached
    assert d(3.0) == 6.0 and wengert.grad(target)(2.0) == 4.0


def test_cached_derivatives_do_not_keep_functions_alive():
    def target(x):
        return x * x
    d = wengert.grad(target)
    ref = weakref.ref(target)
    del target, d
    gc.collect()
    assert ref() is None


def _sum_of_powers(x, n):
    return np.sum(x ** n)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_specialize_builds_without_running(mode):
    d = wengert.grad(_sum_of_powers, mode=mode)
    x = np.array([0.5, 1.5, 2.0])
    text = d.specialize(x, 3)
    assert "specialised for x: <f8[3], n: int" in text and len(d._keys) == 1
    assert d.specialize(x, n=3) == text and len(d._keys) == 1    # found, not built again
    np.testing.assert_allclose(d(x, 3), 3 * x ** 2)
    assert len(d._keys) == 1                                    # the call found it built
    assert "<f8[2]" in d.specialize(np.ones(2), 3) and len(d._keys) == 2
    with pytest.raises(wengert.UsageError):
        d.specialize(x)                                         # n is missing
