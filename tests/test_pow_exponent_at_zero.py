"""``x ** p``'s derivative with respect to the exponent ``p`` is ``x ** p *
log(x)``, which at ``x = 0`` is ``0 * -inf = nan``; but ``0 ** p`` is 0 for
every ``p > 0``, so the exact derivative there is 0 (JAX, PyTorch and autograd
give 0). ``runtime.pow_slope(x, y, 0, dy=1)`` gives it, elementwise, in both
modes, on Python floats (plain float arithmetic: ``math.log(0.0)`` raises) and
arrays (broadcast, float32 kept), for ``**``, ``pow``, ``np.power``,
``np.float_power`` and ``math.pow``; where the exact derivative is not finite
(``x = 0`` with ``p <= 0``) or not real (``x < 0``) it stays what NumPy's
formula gives, never a finite number."""

import math

import numpy as np
import pytest

import wengert

MODES = ("reverse", "forward")
STEP, RTOL = 1e-6, 1e-6


def power(x, p):
    return x ** p


def builtin_pow(x, p):
    return pow(x, p)


def math_pow(x, p):
    return math.pow(x, p)


def sum_abs_power(w, p):
    return np.sum(np.abs(w) ** p)


def sum_power(x, p):
    return np.sum(x ** p)


def sum_np_power(x, p):
    return np.sum(np.power(x, p))


def sum_float_power(x, p):
    return np.sum(np.float_power(x, p))


SCALAR_FUNCTIONS = (power, builtin_pow, math_pow)
ARRAY_FUNCTIONS = (sum_power, sum_np_power, sum_float_power)


def numpy_formula(x, p):
    """What ``x ** p * log(x)`` gives in NumPy (float64)."""
    with np.errstate(all="ignore"):
        return np.power(np.float64(x), p) * np.log(np.float64(x))


def central_difference(f, x, p):
    return (f(x, p + STEP) - f(x, p - STEP)) / (2 * STEP)


# -- the reproducers -------------------------------------------------------------

def test_reproducer_python_floats():
    g = wengert.grad(lambda x, p: x ** p, wrt=1)(0.0, 2.0)
    assert g == 0.0 and not math.isnan(g)


def test_reproducer_abs_power_array():
    g = wengert.grad(lambda w, p: np.sum(np.abs(w) ** p), wrt=1)(np.array([0.0, 2.0]), 3.0)
    assert g == pytest.approx(8 * math.log(2.0), rel=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_reproducers_in_both_modes(mode):
    assert wengert.grad(power, wrt=1, mode=mode)(0.0, 2.0) == 0.0
    g = wengert.grad(sum_abs_power, wrt=1, mode=mode)(np.array([0.0, 2.0]), 3.0)
    assert g == pytest.approx(8 * math.log(2.0), rel=1e-12)


# -- Python floats ---------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", SCALAR_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("p", [2.0, 0.5, 1.0, 3.7, 1e-3])
def test_python_float_zero_base_positive_exponent(mode, f, p):
    g = wengert.grad(f, wrt=1, mode=mode)(0.0, p)
    assert type(g) is float and g == 0.0
    gx, gp = wengert.grad(f, wrt=(0, 1), mode=mode)(0.0, p)
    assert gp == 0.0
    assert gx == (0.0 if p > 1 else 1.0 if p == 1 else math.inf)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", SCALAR_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("x, p", [(2.0, 3.0), (0.3, 2.5), (1.7, -0.8), (1e-3, 1.5),
                                  (5.0, 0.0), (1.0, 2.0)])
def test_python_float_matches_finite_differences(mode, f, x, p):
    g = wengert.grad(f, wrt=1, mode=mode)(x, p)
    assert type(g) is float
    assert g == pytest.approx(central_difference(f, x, p), rel=RTOL, abs=1e-9)
    assert g == pytest.approx(x ** p * math.log(x), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", (power, builtin_pow), ids=lambda f: f.__name__)
@pytest.mark.parametrize("p", [-1.0, -0.5, 0.0])
def test_python_float_zero_base_nonpositive_exponent_is_not_finite(mode, f, p):
    # 0 ** p is inf for p < 0 (and jumps from 1 to 0 at p = 0): no finite derivative
    g = wengert.grad(f, wrt=1, mode=mode)(0.0, p)
    assert not math.isfinite(g)
    assert g == numpy_formula(0.0, p) == -math.inf


def test_math_pow_zero_base_nonpositive_exponent_reverse():
    # (math.pow(0.0, -1.0) itself raises, so only reverse mode, which never calls it)
    for p in (-1.0, -0.5, 0.0):
        g = wengert.grad(math_pow, wrt=1, mode="reverse")(0.0, p)
        assert g == numpy_formula(0.0, p) == -math.inf
    assert wengert.grad(math_pow, wrt=1, mode="forward")(0.0, 0.0) == -math.inf


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", SCALAR_FUNCTIONS, ids=lambda f: f.__name__)
def test_python_float_negative_base_is_nan_not_an_error(mode, f):
    # (-2) ** p is real only at integer p: NumPy's formula gives NaN (math.log raises)
    g = wengert.grad(f, wrt=1, mode=mode)(-2.0, 3.0)
    assert math.isnan(g) and math.isnan(numpy_formula(-2.0, 3.0))


def test_python_float_code_stays_plain_float_arithmetic():
    for mode in MODES:
        g = wengert.grad(power, wrt=1, mode=mode)
        assert g(0.0, 2.0) == 0.0 and g(2.0, 3.0) == pytest.approx(8 * math.log(2.0))
        assert "np." not in g.source and "float(" not in g.source, g.source
        g = wengert.grad(math_pow, wrt=1, mode=mode)
        assert g(0.0, 2.0) == 0.0 and g(2.0, 3.0) == pytest.approx(8 * math.log(2.0))
        assert "np." not in g.source and "math.log(x)" in g.source, g.source


# -- arrays ------------------------------------------------------------------------

X = np.array([0.0, 0.5, 2.0, 0.0, 1.3])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", ARRAY_FUNCTIONS, ids=lambda f: f.__name__)
def test_array_base_scalar_exponent(mode, f):
    p = 2.5
    g = wengert.grad(f, wrt=1, mode=mode)(X, p)
    nonzero = X[X != 0]
    assert g == pytest.approx(np.sum(nonzero ** p * np.log(nonzero)), rel=1e-12)
    assert g == pytest.approx(central_difference(f, X, p), rel=RTOL)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", ARRAY_FUNCTIONS, ids=lambda f: f.__name__)
def test_array_base_array_exponent(mode, f):
    p = np.array([2.0, 0.7, 1.5, 3.0, 2.2])
    g = wengert.grad(f, wrt=1, mode=mode)(X, p)
    assert g.shape == p.shape and g.dtype == np.float64
    assert g[0] == 0.0 and g[3] == 0.0                 # exactly 0 where x == 0
    expected = np.where(X == 0, 0.0, X ** p * np.log(np.where(X == 0, 1.0, X)))
    np.testing.assert_allclose(g, expected, rtol=1e-12)
    fd = np.array([central_difference(lambda x, q: f(x, np.where(np.arange(5) == i, q, p)),
                                      X, p[i]) for i in range(5)])
    np.testing.assert_allclose(g, fd, rtol=RTOL, atol=1e-9)


@pytest.mark.parametrize("mode", MODES)
def test_broadcast_exponents_against_bases(mode):
    def outer(x, p):
        return np.sum(x[:, None] ** p[None, :])
    x, p = np.array([0.0, 2.0, 0.5]), np.array([1.0, 2.5])
    g = wengert.grad(outer, wrt=1, mode=mode)(x, p)
    expected = [2.0 * math.log(2.0) + 0.5 * math.log(0.5),
                2.0 ** 2.5 * math.log(2.0) + 0.5 ** 2.5 * math.log(0.5)]
    np.testing.assert_allclose(g, expected, rtol=1e-12)
    gx, gp = wengert.grad(outer, wrt=(0, 1), mode=mode)(x, p)
    np.testing.assert_allclose(gp, expected, rtol=1e-12)
    np.testing.assert_allclose(gx, [1.0, 1.0 + 2.5 * 2.0 ** 1.5, 1.0 + 2.5 * 0.5 ** 1.5],
                               rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", (sum_power, sum_np_power), ids=lambda f: f.__name__)
def test_float32_stays_float32(mode, f):
    x = X.astype(np.float32)
    p = np.array([2.0, 0.7, 1.5, 3.0, 2.2], dtype=np.float32)
    g = wengert.grad(f, wrt=1, mode=mode)(x, p)
    assert g.dtype == np.float32
    assert g[0] == 0.0 and g[3] == 0.0
    x64, p64 = x.astype(np.float64), p.astype(np.float64)
    expected = np.where(x64 == 0, 0.0, x64 ** p64 * np.log(np.where(x64 == 0, 1.0, x64)))
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-6)
    gx, gp = wengert.grad(f, wrt=(0, 1), mode=mode)(x, p)
    assert gx.dtype == gp.dtype == np.float32 and gp[0] == 0.0 and gp[3] == 0.0
    # a float32 exponent of a Python-float base (2.0 ** p) is float32 too
    g2 = wengert.grad(lambda_two_to_the, mode=mode)(p)
    assert g2.dtype == np.float32
    np.testing.assert_allclose(g2, 2.0 ** p64 * math.log(2.0), rtol=1e-5)


def lambda_two_to_the(p):
    return np.sum(2.0 ** p)


@pytest.mark.parametrize("mode", MODES)
def test_float_power_is_float64(mode):
    x = X.astype(np.float32)
    g = wengert.grad(sum_float_power, wrt=1, mode=mode)(x, np.full(5, 2.5, np.float32))
    assert g[0] == 0.0 and g[3] == 0.0
    x64 = x.astype(np.float64)
    expected = np.where(x64 == 0, 0.0, x64 ** 2.5 * np.log(np.where(x64 == 0, 1.0, x64)))
    np.testing.assert_allclose(g, expected, rtol=1e-6)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", ARRAY_FUNCTIONS, ids=lambda f: f.__name__)
def test_array_not_finite_where_the_derivative_is_not(mode, f):
    # (forward mode sweeps one column of the Jacobian at a time: an infinite
    # entry times a zero tangent makes the other columns NaN, as in any forward
    # mode, so the finite entry is compared in reverse mode only)
    x = np.array([0.0, 2.0])
    for p in (-1.0, 0.0):         # 0 ** p: inf (p < 0), a jump (p = 0)
        g = wengert.grad(f, wrt=1, mode=mode)(x, np.array([p, 1.0]))
        assert g[0] == numpy_formula(0.0, p) == -np.inf
        if mode == "reverse":
            assert g[1] == pytest.approx(2.0 * math.log(2.0), rel=1e-12)
        g = wengert.grad(f, wrt=1, mode=mode)(x, p)          # a scalar exponent
        assert g == numpy_formula(0.0, p) == -np.inf
    g = wengert.grad(f, wrt=1, mode=mode)(np.array([-2.0, 2.0]), np.array([2.0, 1.0]))
    assert np.isnan(g[0]) and np.isnan(numpy_formula(-2.0, 2.0))
    if mode == "reverse":
        assert g[1] == pytest.approx(2.0 * math.log(2.0), rel=1e-12)


# -- jvp and vjp -------------------------------------------------------------------

def elementwise_power(x, p):
    return x ** p


def test_jvp_and_vjp_elementwise():
    # (x ** 0.5 at 0 would have an infinite slope in x: times x's zero tangent, NaN)
    x, p = np.array([0.0, 2.0, 0.0, 0.5]), np.array([2.0, 3.0, 1.5, 1.5])
    dp = np.array([1.0, -2.0, 3.0, 0.5])
    exact = np.where(x == 0, 0.0, x ** p * np.log(np.where(x == 0, 1.0, x)))
    value, tangent = wengert.jvp(elementwise_power, (x, p), (np.zeros(4), dp))
    np.testing.assert_allclose(value, x ** p)
    np.testing.assert_allclose(tangent, exact * dp, rtol=1e-12)
    assert tangent[0] == 0.0 and tangent[2] == 0.0
    value, pullback = wengert.vjp(elementwise_power, x, p)
    gx, gp = pullback(np.ones(4))
    np.testing.assert_allclose(gp, exact, rtol=1e-12)
    assert gp[0] == 0.0 and gp[2] == 0.0
    np.testing.assert_allclose(gx, [0.0, 12.0, 0.0, 1.5 * 0.5 ** 0.5], rtol=1e-12)


def test_jvp_and_vjp_python_floats():
    value, tangent = wengert.jvp(power, (0.0, 2.0), (0.0, 1.0))
    assert value == 0.0 and tangent == 0.0
    value, tangent = wengert.jvp(power, (0.0, 2.0), (1.0, 1.0))
    assert tangent == 0.0                   # d/dx of x ** 2 at 0 is 0 too
    value, pullback = wengert.vjp(power, 0.0, 2.5)
    assert pullback(1.0) == (0.0, 0.0)
    value, pullback = wengert.vjp(power, 1.5, 2.5)
    gx, gp = pullback(2.0)
    assert gp == pytest.approx(2.0 * central_difference(power, 1.5, 2.5), rel=RTOL)
    assert gx == pytest.approx(2.0 * 2.5 * 1.5 ** 1.5, rel=1e-12)


def test_jvp_broadcast_scalar_exponent():
    x = np.array([0.0, 3.0])
    value, tangent = wengert.jvp(elementwise_power, (x, 2.0), (np.zeros(2), 1.0))
    np.testing.assert_allclose(tangent, [0.0, 9.0 * math.log(3.0)], rtol=1e-12)
    value, pullback = wengert.vjp(elementwise_power, x, 2.0)
    gx, gp = pullback(np.ones(2))
    assert type(gp) is float and gp == pytest.approx(9.0 * math.log(3.0), rel=1e-12)


# -- higher derivatives --------------------------------------------------------------

def test_second_derivatives_at_zero():
    # f = x ** p: f_pp = x ** p log(x) ** 2, f_xp = x ** (p-1) (1 + p log x); at x = 0
    # both are 0 for p > 1, and f_xp is -inf for 0 < p <= 1
    np.testing.assert_array_equal(wengert.hessian(power, wrt=(0, 1))(0.0, 3.0),
                                  [[0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(wengert.hessian(power, wrt=(0, 1))(0.0, 2.0),
                                  [[2.0, 0.0], [0.0, 0.0]])
    h = np.array(wengert.hessian(power, wrt=(0, 1))(0.0, 1.0))
    assert h[1, 1] == 0.0 and h[0, 1] == h[1, 0] == -np.inf
    for m1 in MODES:
        for m2 in MODES:
            d2 = wengert.grad(wengert.grad(power, wrt=1, mode=m1), wrt=1, mode=m2)
            assert d2(0.0, 2.5) == 0.0
            assert d2(1.5, 2.5) == pytest.approx(1.5 ** 2.5 * math.log(1.5) ** 2, rel=1e-12)
            d2 = wengert.grad(wengert.grad(sum_power, wrt=1, mode=m1), wrt=1, mode=m2)
            assert d2(X, 2.5) == pytest.approx(
                np.sum(X[X != 0] ** 2.5 * np.log(X[X != 0]) ** 2), rel=1e-12)


def test_second_derivatives_away_from_zero_match_finite_differences():
    h = wengert.hessian(power, wrt=(0, 1))(2.0, 3.0)
    dpdp = central_difference(lambda x, p: wengert.grad(power, wrt=1)(x, p), 2.0, 3.0)
    dxdp = central_difference(lambda x, p: wengert.grad(power, wrt=0)(x, p), 2.0, 3.0)
    assert h[1][1] == pytest.approx(dpdp, rel=RTOL)
    assert h[0][1] == pytest.approx(dxdp, rel=RTOL) and h[1][0] == pytest.approx(dxdp, rel=RTOL)
    d3 = wengert.grad(wengert.grad(wengert.grad(power, wrt=1), wrt=1), wrt=1)
    assert d3(2.0, 3.0) == pytest.approx(8 * math.log(2.0) ** 3, rel=1e-12)
    assert d3(0.0, 3.0) == 0.0
