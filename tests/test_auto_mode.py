"""``mode="auto"`` (the default of grad and value_and_grad): the tangent sweep
for one Python-float input to a function with a loop, reverse mode for
everything else; explicit modes are always honoured."""

import math

import numpy as np
import pytest

import wengert


def euler(x):
    for i in range(50):
        x = x + 0.01 * x * math.sin(x)
    return x


def euler_with_parameter(x, a):
    for i in range(20):
        x = x + a * math.sin(x)
    return x


def straight(x):
    return 2 * x ** 2 - x + 1


def array_loop(w):
    for i in range(3):
        w = np.tanh(w) * 1.5
    return np.sum(w)


def _central(f, x, step=1e-6):
    return (f(x + step) - f(x - step)) / (2 * step)


def test_one_float_input_with_a_loop_uses_the_tangent_sweep():
    g = wengert.grad(euler)
    x = 0.8
    got = g(x)
    assert type(got) is float
    assert got == pytest.approx(_central(euler, x), rel=1e-7)
    assert got == pytest.approx(wengert.grad(euler, mode="reverse")(x), rel=1e-13)
    assert "tangent sweep" in g.source
    assert "append" not in g.source and "adjoint sweep" not in g.source   # no tape


def test_value_and_grad_by_the_tangent_sweep():
    value, slope = wengert.value_and_grad(euler)(0.8)
    assert value == euler(0.8)
    assert slope == pytest.approx(_central(euler, 0.8), rel=1e-7)


@pytest.mark.parametrize("f, args", [
    (euler_with_parameter, (0.3, 0.05)),        # wrt=0 of two inputs: the second is a float
    (straight, (1.5,)),                         # no loop: the adjoint is as cheap
    (array_loop, (np.array([0.2, -0.4]),)),     # an array input
])
def test_other_functions_use_the_adjoint(f, args):
    g = wengert.grad(f)
    got = g(*args)
    want = wengert.grad(f, mode="forward")(*args)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    if f is not euler_with_parameter:
        assert "adjoint (reverse mode)" in g.source
    else:      # a Python-float input and a loop: the tangent sweep, for wrt=0 only
        assert "tangent sweep" in g.source
        g2 = wengert.grad(f, wrt=(0, 1))
        g2(*args)
        assert "adjoint (reverse mode)" in g2.source


def test_explicit_reverse_mode_is_the_adjoint():
    g = wengert.grad(euler, mode="reverse")
    g(0.8)
    assert "adjoint sweep" in g.source and "tape.append(" in g.source


def test_second_order_of_an_auto_gradient():
    x, step = 0.8, 1e-5
    want = _central(wengert.grad(euler), x, step)
    for outer in ("auto", "reverse", "forward"):
        assert wengert.grad(wengert.grad(euler), mode=outer)(x) == pytest.approx(want, rel=1e-6)
    assert wengert.hessian(euler)(x) == pytest.approx(want, rel=1e-6)


def test_unknown_mode_is_a_usage_error():
    with pytest.raises(wengert.UsageError, match="'auto', 'reverse' or 'forward'"):
        wengert.grad(euler, mode="sideways")(0.8)


def test_forward_mode_on_one_python_float_is_one_generated_function():
    g = wengert.grad(straight, mode="forward")
    assert g(1.5) == 5.0 and type(g(1.5)) is float
    assert "tangent sweep" in g.source and "return 4.0 * x - 1.0" in g.source
    assert wengert.value_and_grad(straight, mode="forward")(1.5) == (straight(1.5), 5.0)
    # several inputs, or arrays: the general forward-mode gradient
    g2 = wengert.grad(euler_with_parameter, wrt=(0, 1), mode="forward")
    want = wengert.grad(euler_with_parameter, wrt=(0, 1), mode="reverse")(0.3, 0.05)
    assert g2(0.3, 0.05) == pytest.approx(want, rel=1e-12)


# --------------------------------------------------------------------------
# a helper spliced into the loop: the tangent sweep must read the value the
# helper was given, not the one the loop has just assigned (the seed used to be
# folded in by optimising the code again after names were merged: -0.98, not -1.4)


def decay_step(k, y):
    return -k * y


def decays(k, y):
    for _ in range(2):
        y = y + decay_step(k, y)
    return y


def logistic_step(r, x):
    return r * x * (1.0 - x)


def logistic_map(r, x):
    for _ in range(6):
        x = logistic_step(r, x)
    return x


class Stepper:
    def __init__(self, h):
        self.h = h

    def step(self, k, y):
        return y - self.h * k * y * y

    def run(self, k, y):
        for _ in range(5):
            y = self.step(k, y)
        return y


def squares_in_a_loop(x):
    y = x
    for _ in range(3):
        y = square_half(y) + y
    return y


def square_half(y):
    return y * y * 0.5


@pytest.mark.parametrize("mode", ["auto", "forward", "reverse"])
@pytest.mark.parametrize("f, args, wrt", [
    (decays, (0.3, 1.0), 0), (decays, (0.3, 1.0), 1),
    (logistic_map, (3.2, 0.4), 0), (logistic_map, (3.2, 0.4), 1),
    (Stepper(0.1).run, (0.7, 0.9), 0), (squares_in_a_loop, (0.2,), 0)])
def test_a_helper_spliced_into_a_loop(f, args, wrt, mode):
    h = 1e-6
    up, down = list(args), list(args)
    up[wrt] += h
    down[wrt] -= h
    want = (f(*up) - f(*down)) / (2 * h)
    got = wengert.grad(f, wrt=wrt, mode=mode)(*args)
    assert isinstance(got, float)
    assert got == pytest.approx(want, rel=1e-6, abs=1e-9)
