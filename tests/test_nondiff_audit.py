"""Functions once declared non-differentiable whose results depend on a float
argument (np.bincount's weights, np.unique's values, np.histogram's edges,
np.heaviside's value at 0) have a rule or are refused, never a zero
derivative; NumPy functions given a Python list of differentiated floats
differentiate the array NumPy makes of it. Both modes, against central
differences."""

import numpy as np
import pytest

import wengert
from wengert.errors import NonDifferentiableError

MODES = ["forward", "reverse"]


def central_difference(f, args, i, h=1e-6):
    args = [np.array(a, dtype=float) for a in args]
    if args[i].ndim == 0:
        up, down = list(args), list(args)
        up[i], down[i] = args[i] + h, args[i] - h
        return (f(*up) - f(*down)) / (2 * h)
    out = np.zeros_like(args[i])
    for k in np.ndindex(args[i].shape):
        up, down = [a.copy() for a in args], [a.copy() for a in args]
        up[i][k] += h
        down[i][k] -= h
        out[k] = (f(*up) - f(*down)) / (2 * h)
    return out


def check(f, args, mode, wrt=None):
    wrt = tuple(range(len(args))) if wrt is None else wrt
    got = wengert.grad(f, wrt=wrt, mode=mode)(*args)
    for i, g in zip(wrt, got):
        np.testing.assert_allclose(g, central_difference(f, args, i), rtol=1e-6, atol=1e-6)


def bincount_keyword(x):
    i = np.array([0, 2, 2, 1])
    return np.sum(np.bincount(i, weights=x, minlength=4) ** 2)


def bincount_positional(x):
    i = np.array([3, 0, 3])
    return np.sum(np.bincount(i, x) ** 2 * np.array([1.0, 2.0, 3.0, 4.0]))


def bincount_list(a, b):
    return np.sum(np.bincount(np.array([1, 1, 0]), [a * 2.0, b, a * b]) ** 2)


@pytest.mark.parametrize("mode", MODES)
def test_bincount_is_linear_in_its_weights(mode):
    x = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(wengert.grad(bincount_keyword, mode=mode)(x),
                               [2.0, 10.0, 10.0, 8.0])
    check(bincount_keyword, (x,), mode)
    check(bincount_positional, (np.array([0.5, -1.0, 2.0]),), mode)
    check(bincount_list, (1.3, 0.7), mode)


def heaviside_at_zero(x, y):
    return np.sum(np.heaviside(x, y) * y)


@pytest.mark.parametrize("mode", MODES)
def test_heaviside_is_its_second_argument_at_zero(mode):
    # in y only: x steps at 0
    check(heaviside_at_zero, (np.array([0.0, -1.0, 2.0]), np.array([0.3, 0.6, 0.9])), mode,
          wrt=(1,))


def unique_values(x):
    return np.sum(np.unique(x) ** 2)


def histogram_edges(x):
    counts, edges = np.histogram(x, bins=3)
    return np.sum(edges ** 2)


def histogram_weights(w):
    return np.sum(np.histogram(np.array([0.1, 0.5, 0.7]), bins=2, weights=w)[0] ** 2)


def bin_edges(x):
    return np.sum(np.histogram_bin_edges(x, bins=3))


def arange_from(x):
    return np.sum(np.arange(x[0], x[0] + 3.0))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [unique_values, histogram_edges, histogram_weights, bin_edges,
                               arange_from])
def test_values_without_a_rule_are_refused(f, mode):
    with pytest.raises(NonDifferentiableError, match="no derivative for it"):
        wengert.grad(f, mode=mode)(np.array([0.2, 1.0, 1.0]))


def unique_of_constants(x):
    return np.sum(np.unique(np.array([2.0, 1.0, 2.0])) * x) + np.sum(np.arange(len(x)) * x)


def stopped_unique(x):
    return np.sum(np.unique(wengert.stop_gradient(x))[:2] * x[:2])


@pytest.mark.parametrize("mode", MODES)
def test_inactive_arguments_are_still_accepted(mode):
    check(unique_of_constants, (np.array([0.5, 2.0]),), mode)
    np.testing.assert_allclose(                 # sorted values, not differentiated
        wengert.grad(stopped_unique, mode=mode)(np.array([2.0, 1.0, 3.0])), [1.0, 2.0, 0.0])


def sort_list(a, b):
    xs = [a * 2.0, b]
    s = np.sort(xs)
    return s[0] * 3.0 + s[1]


def sort_list_and_item(a, b):
    xs = [a * 2.0, b, a * b]
    return np.sort(xs)[0] * 3.0 + xs[1] * xs[2]


LIST_FUNCTIONS = {
    "sort": lambda xs: np.sort(xs),
    "max": lambda xs: np.max(xs),
    "mean": lambda xs: np.mean(xs),
    "sum": lambda xs: np.sum(xs),
    "cumsum": lambda xs: np.cumsum(xs),
    "prod": lambda xs: np.prod(xs),
    "cumprod": lambda xs: np.cumprod(xs),
    "stack": lambda xs: np.stack(xs),
    "array": lambda xs: np.array(xs),
    "hstack": lambda xs: np.hstack(xs),
    "square": lambda xs: np.square(xs),
    "maximum": lambda xs: np.maximum(xs, 1.0),
    "dot": lambda xs: np.dot(xs, xs),
    "take": lambda xs: np.take(xs, [2, 0]),
}


def of_list(fn):
    def f(a, b):
        s = fn([a * 2.0, b, a * b])
        return np.sum(np.reshape(s, (-1,)) * np.linspace(3.0, 0.5, np.size(s)))
    return f


@pytest.mark.parametrize("mode", MODES)
def test_sort_of_a_list(mode):
    assert wengert.grad(sort_list, wrt=(0, 1), mode=mode)(1.0, 0.5) == (2.0, 3.0)
    check(sort_list, (1.0, 0.5), mode)
    check(sort_list_and_item, (1.3, 0.5), mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(LIST_FUNCTIONS))
def test_numpy_functions_of_a_list(name, mode):
    check(of_list(LIST_FUNCTIONS[name]), (1.3, 0.7), mode)


def sort_list_squared(a, b):
    return np.sum(np.sort([a * b, b]) ** 3 * np.array([1.0, 2.0]))


def test_second_derivative_through_a_sorted_list():
    def dfa(a, b):
        return wengert.grad(sort_list_squared, wrt=0)(a, b)
    for mode in MODES:
        got = wengert.grad(dfa, wrt=1, mode=mode)(1.5, 0.8)
        np.testing.assert_allclose(got, central_difference(dfa, (1.5, 0.8), 1), rtol=1e-5)
