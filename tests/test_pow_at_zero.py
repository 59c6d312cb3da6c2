"""``x ** y``'s derivative with respect to ``x`` is 0 where ``y`` is 0, at
``x = 0`` too (the formula ``y * x ** (y - 1)`` gives ``0 * inf``): a
polynomial written ``sum(x ** i)`` has its true gradient at 0, to any order,
in both modes, on floats and arrays (``runtime.pow_slope``)."""

import numpy as np
import pytest

import wengert

MODES = ("reverse", "forward")


def poly(x):
    s = 0.0
    for i in range(4):
        s = s + x ** i          # 1 + x + x^2 + x^3
    return s


def poly_n(x, n):
    s = 0.0
    for i in range(n):
        s = s + x ** i
    return s


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("x", [0.0, 0.5, -1.5])
def test_polynomial_by_powers(mode, x):
    assert wengert.grad(poly, mode=mode)(x) == pytest.approx(1 + 2 * x + 3 * x * x)
    assert wengert.grad(poly_n, mode=mode)(x, 4) == pytest.approx(1 + 2 * x + 3 * x * x)


@pytest.mark.parametrize("x", [0.0, 0.5])
def test_higher_derivatives(x):
    assert wengert.hessian(poly)(x) == pytest.approx(2 + 6 * x)
    for m1 in MODES:
        for m2 in MODES:
            d2 = wengert.grad(wengert.grad(poly_n, mode=m1), mode=m2)
            assert d2(x, 4) == pytest.approx(2 + 6 * x)
    d3 = wengert.grad(wengert.grad(wengert.grad(poly_n)))
    assert d3(x, 4) == pytest.approx(6.0)


def zeroth_power(x):
    n = 0
    return x ** n + 2.0 * x


@pytest.mark.parametrize("mode", MODES)
def test_constant_zero_exponent(mode):
    assert wengert.grad(zeroth_power, mode=mode)(0.0) == 2.0


def array_powers(x, n):
    return np.sum(x ** n)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_arrays(mode, dtype, n):
    x = np.array([0.0, 1.0, -2.0], dtype=dtype)
    g = wengert.grad(array_powers, mode=mode)(x, n)
    assert g.dtype == dtype
    np.testing.assert_allclose(g, n * x.astype(np.float64) ** max(n - 1, 0) if n else 0 * x,
                               rtol=1e-6)


def broadcast_exponents(x, y):
    return np.sum(x[:, None] ** y[None, :])


def test_broadcast_integer_exponents_at_zero():
    x, y = np.array([0.0, 2.0]), np.array([0, 1, 2])
    for mode in MODES:
        g = wengert.grad(broadcast_exponents, mode=mode)(x, y)
        np.testing.assert_allclose(g, [0 + 1 + 0, 0 + 1 + 4], rtol=1e-12)


def power(x, y):
    return x ** y


def test_the_exponent_still_has_its_derivative():
    for mode in MODES:
        gx, gy = wengert.grad(power, wrt=(0, 1), mode=mode)(2.0, 3.0)
        assert gx == pytest.approx(12.0) and gy == pytest.approx(8 * np.log(2.0))
    h = wengert.hessian(power, wrt=(0, 1))(2.0, 3.0)
    np.testing.assert_allclose(h, [[12.0, 4.0 + 12.0 * np.log(2.0)],
                                   [4.0 + 12.0 * np.log(2.0), 8 * np.log(2.0) ** 2]],
                               rtol=1e-12)


def test_a_constant_exponent_is_written_out():
    g = wengert.grad(lambda_free_square)
    g(1.5)
    assert "pow_slope" not in g.source and "2.0 * x" in g.source


def lambda_free_square(x):
    return x ** 2
