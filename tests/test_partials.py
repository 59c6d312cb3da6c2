"""Reverse mode records a scalar loop's local partial derivatives instead of
its state (``wengert/partials.py``). Each program here is checked against
central differences and forward mode, with the optimiser on and off; the
structure of the generated code is checked where the pass must apply and
where it must not."""

import math

import numpy as np
import pytest

import wengert
from finite import central_difference


def euler(x):
    for i in range(30):
        x = x + 0.01 * x * math.sin(x)
    return x


def two_states(x, y):
    for i in range(20):
        x, y = x * math.cos(y), y + 0.1 * math.sin(x) * y
    return x + y


def uses_index(x):
    for i in range(10):
        x = x + 0.01 * i * math.sin(x)
    return x


def reads_parameter(x, a):
    for i in range(10):
        x = x * math.cos(a * x) + a
    return x


def with_break(x):
    for i in range(50):
        x = x * math.sin(x) + 0.5
        if x > 0.9:
            break
    return x


def while_loop(x):
    n = 0
    while n < 12:
        x = x + 0.05 * math.tanh(x)
        n += 1
    return x


def state_read_after(x):
    s = math.sin(x)
    y = x
    for i in range(10):
        y = y * math.cos(y) + 0.1
    return y * s + x * x


def before_and_after(x):
    for i in range(5):
        x = x + 0.1 * math.exp(-x)
    y = 2.0 * x
    for i in range(5):
        y = y * math.cos(0.3 * y)
    return y + x


def nested(x):
    for i in range(4):
        for j in range(3):
            x = x + 0.05 * math.sin(x * j)
    return x


def array_state(w):
    for i in range(6):
        s = np.sum(w * w)
        w = w * (1.0 + 0.01 * math.sin(s))
    return np.sum(w)


def numpy_scalar(x):
    for i in range(8):
        x = x * np.cos(x) + 0.2
    return x


def adjoint_reads_early(x, y):
    for i in range(6):
        t = x * y
        x = math.sin(t) + y
        y = y * 0.9 + math.cos(x)
    return x * y


CASES = [
    (euler, (0.5,), 0, True),
    (two_states, (0.5, 0.3), (0, 1), True),
    (uses_index, (0.7,), 0, True),
    (reads_parameter, (0.4, 0.8), (0, 1), None),
    (with_break, (0.3,), 0, None),
    (while_loop, (0.2,), 0, None),
    (state_read_after, (0.6,), 0, None),
    (before_and_after, (0.3,), 0, None),
    (nested, (0.4,), 0, None),
    (array_state, (np.array([0.3, -0.2, 0.5]),), 0, None),
    (numpy_scalar, (np.float64(0.4),), 0, None),
    (adjoint_reads_early, (0.3, 0.7), (0, 1), None),
]


def _reference(f, args, wrt):
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    out = []
    for p in positions:
        def at(v, p=p):
            a = list(args)
            a[p] = v
            return f(*a)
        out.append(central_difference(at, args[p]))
    return tuple(out) if isinstance(wrt, tuple) else out[0]


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("f,args,wrt,taped", CASES, ids=[c[0].__name__ for c in CASES])
def test_agrees_with_central_differences_and_forward_mode(f, args, wrt, taped, optimize):
    d = wengert.grad(f, wrt=wrt, mode="reverse", optimize=optimize)
    g = d(*args)
    want = _reference(f, args, wrt)
    fwd = wengert.grad(f, wrt=wrt, mode="forward")(*args)
    for got, ref, tangent in zip(*(v if isinstance(wrt, tuple) else (v,)
                                   for v in (g, want, fwd))):
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(got, tangent, rtol=1e-12, atol=1e-14)
    if taped and optimize:
        assert "partial" in d.source and ".pop()" not in d.source, d.source
        assert "in reversed(tape)" in d.source, d.source


def test_float_gradient_stays_a_float():
    # the adjoint loop runs over the tape: kinds follow what was pushed
    g = wengert.grad(euler, mode="reverse")
    assert type(g(0.5)) is float
    assert "float(" not in g.source, g.source


def test_state_read_after_the_loop_keeps_its_tape():
    # the values the pops restore are read after the adjoint loop (the
    # adjoint of sin(x) before the loop): not rewritten
    d = wengert.grad(state_read_after, mode="reverse")
    d(0.6)
    assert d(0.6) == pytest.approx(central_difference(state_read_after, 0.6), rel=1e-6)


def test_array_partials_are_not_taped_as_numbers():
    d = wengert.grad(array_state, mode="reverse")
    w = np.array([0.3, -0.2, 0.5])
    np.testing.assert_allclose(d(w), central_difference(array_state, w), rtol=1e-6)


def test_no_more_partials_than_four_per_state_value():
    # each iteration's adjoint reads many distinct products of the state: the
    # state itself is recorded instead
    def many(x):
        for i in range(5):
            x = x * x * x * x + math.sin(x) * math.cos(x) * math.exp(-x) * math.tanh(x)
        return x
    d = wengert.grad(many, mode="reverse")
    assert d(0.3) == pytest.approx(central_difference(many, 0.3), rel=1e-6)


def test_second_derivative_through_a_taped_loop():
    h = wengert.hessian(euler)
    g = wengert.grad(euler, mode="reverse")
    assert h(0.5) == pytest.approx(central_difference(g, 0.5), rel=1e-5)
    gg = wengert.grad(wengert.grad(euler, mode="reverse"), mode="reverse")
    assert gg(0.5) == pytest.approx(central_difference(g, 0.5), rel=1e-5)


def test_float32_scalars():
    x = np.float32(0.4)
    g = wengert.grad(numpy_scalar, mode="reverse")(x)
    assert g.dtype == np.float32
    assert float(g) == pytest.approx(central_difference(numpy_scalar, 0.4), rel=1e-3)


def logistic_map(r, x):
    for i in range(30):
        x = r * x * (1.0 - x)
    return x


def test_adjoint_loop_runs_over_the_tape_where_its_variable_is_unused():
    # no partial pays here (no function call replayed): the state is recorded,
    # and the adjoint loop iterates over the tape instead of popping it
    d = wengert.grad(logistic_map, wrt=(0, 1), mode="reverse")
    g = d(2.9, 0.3)                 # (r = 2.9: a stable fixed point, well conditioned)
    assert "in reversed(tape)" in d.source and ".pop()" not in d.source, d.source
    fwd = wengert.grad(logistic_map, wrt=(0, 1), mode="forward")(2.9, 0.3)
    np.testing.assert_allclose(g, fwd, rtol=1e-12)
    np.testing.assert_allclose(g, _reference(logistic_map, (2.9, 0.3), (0, 1)), rtol=1e-5)
