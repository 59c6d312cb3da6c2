"""np.where in derivatives: a NaN or inf in the branch that is not taken
must not leak into the gradient.

The rule selects (``np.where(cond, g, 0.0)``) instead of multiplying by a
mask, since ``0 * nan`` is NaN. In reverse mode that is not the whole story
for ``np.where(x > 0, np.sqrt(x), 0.0)``: the zero adjoint reaching
``np.sqrt`` is then multiplied by sqrt's derivative, which is NaN at a
negative ``x`` (a property of the elementwise ``sqrt`` rule, not of
``np.where``). The usual remedy, a second ``where`` that keeps the untaken
branch's input in its domain, gives a finite gradient in both modes.
"""

import numpy as np
import pytest

import wengert

X = np.array([-2.0, -0.5, 0.25, 1.0, 4.0])
EXPECTED = np.where(X > 0, 0.5 / np.sqrt(np.abs(X)), 0.0)   # d/dx of the function


def sqrt_where(x):
    return np.where(x > 0, np.sqrt(x), 0.0)


def sqrt_double_where(x):
    safe = np.where(x > 0, x, 1.0)
    return np.where(x > 0, np.sqrt(safe), 0.0)


def log_where(x):
    return np.where(x > 0, np.log(x), x)


def select(x, y):
    return np.where(x > 0, x, y)


def forward_derivative(f, x):
    with np.errstate(invalid="ignore", divide="ignore"):
        _, t = wengert.jvp(f, [x], [np.ones_like(x)])
    return t


def reverse_derivative(f, x):
    with np.errstate(invalid="ignore", divide="ignore"):
        value, pullback = wengert.vjp(f, x)
        (g,) = pullback(np.ones_like(value))
    return g


@pytest.mark.parametrize("f", [sqrt_where, sqrt_double_where])
def test_forward_mode_is_finite_and_correct(f):
    t = forward_derivative(f, X)
    assert np.all(np.isfinite(t))
    np.testing.assert_allclose(t, EXPECTED)


def test_reverse_mode_double_where_is_finite_and_correct():
    g = reverse_derivative(sqrt_double_where, X)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, EXPECTED)


def test_reverse_mode_single_where_is_finite_and_correct():
    # np.sqrt's derivative is NaN where x < 0, but the adjoint np.where passes
    # there is exactly zero: reverse mode keeps the selection through the
    # elementwise rule, so the NaN never enters the gradient
    g = reverse_derivative(sqrt_where, X)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, EXPECTED)


@pytest.mark.parametrize("derivative", [forward_derivative, reverse_derivative])
def test_nan_value_in_untaken_branch(derivative):
    # np.log(x) is NaN for x < 0, but its derivative 1 / x is finite there
    g = derivative(log_where, X)
    np.testing.assert_allclose(g, np.where(X > 0, 1.0 / X, 1.0))


def test_adjoint_selects_instead_of_masking():
    # an inf in the cotangent where y was chosen must not reach x as 0 * inf
    x, y = X, np.zeros_like(X)
    u = np.where(X > 0, 1.0, np.inf)
    _, pullback = wengert.vjp(select, x, y)
    x_bar, y_bar = pullback(u)
    np.testing.assert_array_equal(x_bar, np.where(X > 0, 1.0, 0.0))
    np.testing.assert_array_equal(y_bar, np.where(X > 0, 0.0, np.inf))


def test_tangent_selects_instead_of_masking():
    # a NaN tangent in the branch not taken must not reach the result
    y_dot = np.where(X > 0, np.nan, 1.0)
    _, t = wengert.jvp(select, [X, np.zeros_like(X)], [np.ones_like(X), y_dot])
    np.testing.assert_array_equal(t, np.ones_like(X))
