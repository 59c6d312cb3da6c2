"""The seed examples: values, gradients in both modes, finite differences."""

import math

import pytest

import wengert


def g(x):
    return 2 * x ** 2 - x + 1


def f(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def z(x, y):
    return x * x + x * y + 2


def central(fun, args, i, eps=1e-6):
    hi = list(args)
    lo = list(args)
    hi[i] += eps
    lo[i] -= eps
    return (fun(*hi) - fun(*lo)) / (2 * eps)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_g_prime_at_3_is_11(mode):
    assert wengert.grad(g, mode=mode)(3.0) == 11.0


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_f_gradient_at_2_5(mode):
    d1, d2 = wengert.grad(f, wrt=(0, 1), mode=mode)(2.0, 5.0)
    assert d1 == pytest.approx(1 / 2 + 5)
    assert d2 == pytest.approx(2 - math.cos(5))
    assert d1 == pytest.approx(central(f, (2.0, 5.0), 0), rel=1e-7)
    assert d2 == pytest.approx(central(f, (2.0, 5.0), 1), rel=1e-7)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_z_gradient(mode):
    dx, dy = wengert.grad(z, wrt=("x", "y"), mode=mode)(1.5, -2.0)
    assert (dx, dy) == (pytest.approx(2 * 1.5 - 2.0), pytest.approx(1.5))


def test_value_and_grad():
    value, d = wengert.value_and_grad(g)(3.0)
    assert value == g(3.0) and d == 11.0


def test_jvp_and_vjp_follow_jax_conventions():
    value, t = wengert.jvp(f, (2.0, 5.0), (1.0, 0.0))
    assert value == pytest.approx(f(2.0, 5.0))
    assert t == pytest.approx(5.5)
    value, pullback = wengert.vjp(f, 2.0, 5.0)
    assert value == pytest.approx(f(2.0, 5.0))
    g1, g2 = pullback(2.0)
    assert (g1, g2) == (pytest.approx(11.0), pytest.approx(2 * (2 - math.cos(5))))


def test_integer_input_is_promoted():
    assert wengert.grad(g)(3) == 11.0
