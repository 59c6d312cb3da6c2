"""Whole programs (``tests/programs/``): reverse mode == forward mode ==
central finite differences, at inputs that take different branches and
trip counts; ``value_and_grad`` returns the function's value. Plus the tape
of a long scalar loop: one value pushed per iteration, and no more."""

import ast
import importlib
import math
import pkgutil
import tracemalloc

import numpy as np
import pytest

import wengert
import programs
from programs import PROGRAM_PREFIX


def collect():
    """(gradient params, value params): one per program, with its xfail marks."""
    grads, values = [], []
    for info in sorted(pkgutil.iter_modules(programs.__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"programs.{info.name}")
        for name in sorted(vars(mod)):
            f = getattr(mod, name)
            if not name.startswith(PROGRAM_PREFIX) or not callable(f):
                continue
            if getattr(f, "__module__", None) != mod.__name__:
                continue        # imported from another program module
            assert hasattr(f, "example_inputs"), f"{info.name}.{name} has no @inputs"
            pid = f"{info.name}.{name}"
            for out, reason in ((grads, getattr(f, "known_bug", None)),
                                (values, getattr(f, "known_value_bug", None))):
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                out.append(pytest.param(f, id=pid, marks=marks))
    return grads, values


PROGRAMS, VALUE_PROGRAMS = collect()


def test_corpus_is_large_enough_and_documented():
    assert len(PROGRAMS) >= 70
    undocumented = [p.id for p in PROGRAMS if not (p.values[0].__doc__ or "").strip()]
    assert not undocumented, f"programs without a docstring: {undocumented}"


# --------------------------------------------------------------------------
# checking one program


def _is_float_data(a) -> bool:
    if isinstance(a, bool):
        return False
    if isinstance(a, float):
        return True
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


def wrt_positions(f, args):
    if f.example_wrt is not None:
        return tuple(f.example_wrt)
    return tuple(i for i, a in enumerate(args) if _is_float_data(a))


def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a


def central_difference(f, args, i, step=1e-6):
    """d f / d args[i] by central differences (elementwise for an array)."""
    x = args[i]

    def at(xi):
        new = [_copy(a) for a in args]
        new[i] = xi
        return float(f(*new))

    if isinstance(x, float):
        h = step * max(1.0, abs(x))
        return (at(x + h) - at(x - h)) / (2 * h)
    g = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        h = step * max(1.0, abs(x[idx]))
        hi, lo = x.copy(), x.copy()
        hi[idx] += h
        lo[idx] -= h
        g[idx] = (at(hi) - at(lo)) / (2 * h)
    return g


def gradient(api, f, wrt, mode, args, optimize=True):
    """``api(f, wrt=...)(*args)`` with the gradient always a tuple."""
    if len(wrt) == 1:
        out = api(f, wrt=wrt[0], mode=mode, optimize=optimize)(*args)
        return (out[0], (out[1],)) if api is wengert.value_and_grad else (out,)
    out = api(f, wrt=wrt, mode=mode, optimize=optimize)(*args)
    grads = out[1] if api is wengert.value_and_grad else out
    assert isinstance(grads, tuple) and len(grads) == len(wrt)
    return out


def assert_like(g, x, what):
    """A gradient has its input's type and shape: an array for an array, a
    scalar for a float."""
    if isinstance(x, np.ndarray):
        assert isinstance(g, np.ndarray), f"{what} is a {type(g).__name__}, not an array"
        assert g.shape == x.shape, f"{what} has shape {g.shape}, not {x.shape}"
    else:
        assert np.ndim(g) == 0 and not isinstance(g, (tuple, list)), \
            f"{what} is {g!r}, not a scalar"


def check_gradient(f, args):
    """Reverse mode == forward mode == central differences at ``args``."""
    original = args
    args = tuple(_copy(a) for a in args)
    wrt = wrt_positions(f, args)
    assert wrt, "nothing to differentiate"
    value = f(*[_copy(a) for a in args])
    assert np.ndim(value) == 0, "programs return a scalar"
    scale = 1.0 + abs(float(value))
    rev = gradient(wengert.grad, f, wrt, "reverse", args)
    fwd = gradient(wengert.grad, f, wrt, "forward", args)
    for k, i in enumerate(wrt):
        what = f"d/d(arg {i}) at {original!r}"
        for mode, g in (("reverse", rev[k]), ("forward", fwd[k])):
            assert_like(g, args[i], f"{what}: {mode}-mode gradient")
        np.testing.assert_allclose(rev[k], fwd[k], rtol=1e-9, atol=1e-12 * scale,
                                   err_msg=f"{what}: reverse != forward")
        fd = central_difference(f, args, i)
        if not np.allclose(fwd[k], fd, rtol=1e-6, atol=1e-8 * scale):
            coarse = central_difference(f, args, i, step=1e-5)
            assert np.allclose(fd, coarse, rtol=1e-3, atol=1e-6 * scale), \
                f"{what}: finite differences are unstable (is the input at a kink " \
                f"or a branch boundary?): {fd!r} vs {coarse!r}"
        np.testing.assert_allclose(fwd[k], fd, rtol=1e-6, atol=1e-8 * scale,
                                   err_msg=f"{what}: forward != finite differences")
    for a, b in zip(args, original):     # no derivative modified its inputs
        assert np.array_equal(a, b), f"an input was modified: {b!r} became {a!r}"


def check_value(f, args):
    """``value_and_grad`` returns ``f(*args)`` and the gradient, in both modes."""
    wrt = wrt_positions(f, args)
    value = f(*[_copy(a) for a in args])
    for mode in ("reverse", "forward"):
        expected = gradient(wengert.grad, f, wrt, mode, args)
        v, g = gradient(wengert.value_and_grad, f, wrt, mode, args)
        assert v == pytest.approx(value, rel=1e-12, abs=1e-14), \
            f"value_and_grad ({mode}) at {args!r}: value {v!r} != {value!r}"
        for k in range(len(wrt)):
            np.testing.assert_allclose(g[k], expected[k], rtol=1e-12, atol=1e-300,
                                       err_msg=f"value_and_grad ({mode}) at {args!r}")


@pytest.mark.parametrize("f", PROGRAMS)
def test_gradient(f):
    for args in f.example_inputs:
        check_gradient(f, args)


@pytest.mark.parametrize("f", VALUE_PROGRAMS)
def test_value_and_grad(f):
    for args in f.example_inputs:
        check_value(f, args)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_assert_is_kept_in_the_derivative(mode):
    from programs.branches import prog_assert
    with pytest.raises(AssertionError, match="x must be positive"):
        wengert.grad(prog_assert, mode=mode)(-0.5)


# --------------------------------------------------------------------------
# optimize=False (documented for reading and debugging generated code)


def _body_local(x):
    for i in range(2):
        t = x * 2.0
        x = t + 1.0
    return x


UNOPTIMIZED_LOOP_LOCALS = (
    "without the optimiser, the tape of a loop pushes every variable the body "
    "assigns, including body-local temporaries (and loop targets) that do not "
    "exist yet on the first iteration: UnboundLocalError; DCE/prune_tapes hide it "
    "when optimising")


def test_unoptimized_reverse_mode_of_loop_with_temporary():
    assert wengert.grad(_body_local, optimize=False)(0.7) == pytest.approx(4.0)


def test_unoptimized_derivatives_of_the_corpus():
    """Every working program's unoptimized derivatives equal the optimized ones."""
    failures = []
    for p in PROGRAMS:
        f = p.values[0]
        if getattr(f, "known_bug", None):
            continue
        for args in f.example_inputs:
            wrt = wrt_positions(f, args)
            expected = gradient(wengert.grad, f, wrt, "forward", args)
            for mode in ("reverse", "forward"):
                try:
                    got = gradient(wengert.grad, f, wrt, mode, args, optimize=False)
                    ok = all(np.allclose(u, v, rtol=1e-9, atol=1e-12)
                             for u, v in zip(got, expected))
                except Exception as exc:       # noqa: BLE001 (collected, reported)
                    ok, got = False, f"{type(exc).__name__}: {exc}"
                if not ok:
                    failures.append(f"{p.id} {mode} at {args!r}: {got!r}")
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------
# the tape of a long scalar loop


def long_loop(x):
    for i in range(1000):
        x = x * math.sin(x)
    return x


def scan(x, n):
    for i in range(n):
        x = x * math.sin(x)
    return x


def linear_loop(x):
    s = 0.0
    for i in range(1000):
        s = s + x * i
    return s


def loop_with_inactive_state(x):
    t = 0.0
    for i in range(1000):
        t = t + 0.001
        x = x * math.sin(x) + t
    return x


def _calls(tree, method):
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute) and n.func.attr == method]


def _loops(source):
    """The generated function and its top-level loops (primal, adjoint)."""
    fn = ast.parse(source).body[0]
    return fn, [s for s in fn.body if isinstance(s, (ast.For, ast.While))]


def test_long_loop_pushes_one_value_per_iteration():
    d = wengert.grad(long_loop, mode="reverse")
    x0 = 1.58           # converges slowly to pi/2: a well-conditioned derivative
    g = d(x0)
    fn, loops = _loops(d.source)
    assert len(loops) == 2, d.source
    primal, adjoint = loops
    pushes = _calls(primal, "append")
    assert len(pushes) == 1 and _calls(fn, "append") == pushes, d.source
    (pushed,) = pushes[0].args
    assert isinstance(pushed, ast.Name), d.source
    # the adjoint reads back exactly the value the primal pushed (the local
    # partial derivative, docs/how-it-works.md), running over the tape backwards
    assert not _calls(fn, "pop"), d.source
    assert isinstance(adjoint.iter, ast.Call) and ast.unparse(adjoint.iter) == \
        f"reversed({pushes[0].func.value.id})", d.source
    assert ast.unparse(adjoint.target) == pushed.id, d.source
    h = 1e-6
    fd = (long_loop(x0 + h) - long_loop(x0 - h)) / (2 * h)
    assert g == pytest.approx(fd, rel=1e-6)
    assert g == pytest.approx(wengert.grad(long_loop, mode="forward")(x0), rel=1e-12)


def test_tape_holds_only_what_the_adjoint_reads():
    # a linear recurrence: the adjoint reads no loop state, so nothing is recorded
    d = wengert.grad(linear_loop, mode="reverse")
    assert d(0.5) == pytest.approx(sum(range(1000)))
    assert not _calls(ast.parse(d.source), "append"), d.source
    # an inactive carried variable (t) is not recorded, only x
    d = wengert.grad(loop_with_inactive_state, mode="reverse")
    d(1.58)
    pushes = _calls(ast.parse(d.source), "append")
    assert len(pushes) == 1 and len(pushes[0].args) == 1, d.source
    pushed = pushes[0].args[0]
    assert isinstance(pushed, ast.Name) and not pushed.id.startswith("t"), d.source
    assert d(1.58) == pytest.approx(wengert.grad(loop_with_inactive_state, mode="forward")(1.58))


def _peak_bytes(call):
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    call()
    return tracemalloc.get_traced_memory()[1] - before


def test_tape_grows_linearly_at_run_time():
    """Peak memory of the derivative of an n-step float loop grows by about one
    float (24 bytes) and one list slot (8 bytes) per iteration: the tape."""
    d = wengert.grad(scan, mode="reverse")
    assert d(1.58, 10) == pytest.approx(wengert.grad(scan, mode="forward")(1.58, 10))
    sizes = (10, 10_000, 20_000, 40_000)
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    try:
        peaks = [_peak_bytes(lambda n=n: d(1.58, n)) for n in sizes]
    finally:
        if not tracing:
            tracemalloc.stop()
    assert peaks[0] < 4_000, peaks              # a short loop records almost nothing
    slopes = [(peaks[k + 1] - peaks[k]) / (sizes[k + 1] - sizes[k])
              for k in range(1, len(sizes) - 1)]
    for s in slopes:                            # one float per iteration, not two
        assert 24 <= s <= 48, (peaks, slopes)
    assert max(slopes) < 1.3 * min(slopes), (peaks, slopes)     # linear


# --------------------------------------------------------------------------
# the shape of the result


def _product(x, y):
    return x * y


@pytest.mark.parametrize("api", [wengert.grad, wengert.value_and_grad])
def test_one_element_wrt_tuple_gives_a_tuple_in_both_modes(api):
    rev = api(_product, wrt=(0,), mode="reverse")(2.0, 3.0)
    fwd = api(_product, wrt=(0,), mode="forward")(2.0, 3.0)
    assert rev == fwd
