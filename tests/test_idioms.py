"""Everyday spellings that plain NumPy code uses: ``np.array(x, dtype=float)``
(a cast), a ``functools.partial`` of a function called inside."""

import functools

import numpy as np
import pytest

import wengert

from test_methods import central

X = np.array([0.3, 1.5, 2.9])


def as_float(x):
    return np.sum(np.array(x, dtype=float) ** 3)


def as_float32(x):
    return np.sum(np.asarray(x, dtype=np.float32) ** 3)


def as_int(x):
    return np.sum(np.array(x, dtype=int) * x)          # the rounded copy: no derivative


def from_a_list(xs):
    return np.sum(np.array(xs, None) ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_array_with_a_dtype_is_a_cast(mode):
    np.testing.assert_allclose(wengert.grad(as_float, mode=mode)(X), 3 * X ** 2)
    np.testing.assert_allclose(wengert.grad(as_float32, mode=mode)(X),
                               3 * X.astype(np.float32) ** 2, rtol=1e-6)
    np.testing.assert_allclose(wengert.grad(as_int, mode=mode)(X), np.array(X, dtype=int))
    assert wengert.grad(from_a_list, mode=mode)([0.5, 2.0]) == pytest.approx([1.0, 4.0])


def rate(T, A=1e3, Ea=5e3):
    return A * np.exp(-Ea / (8.314 * T))


FAST = functools.partial(rate, A=2e3)
SCALED = functools.partial(np.multiply, 3.0)


def through_partials(T):
    return np.sum(FAST(T)) + np.sum(FAST(T, Ea=4e3)) + np.sum(SCALED(T))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_partial_is_a_call_of_its_function(mode, monkeypatch):
    T = np.array([300.0, 350.0])
    d = wengert.grad(through_partials, mode=mode)
    np.testing.assert_allclose(d(T), central(through_partials, T, h=1e-4), rtol=1e-6)
    monkeypatch.setitem(globals(), "FAST", functools.partial(rate, A=1e3))  # rebound: seen
    np.testing.assert_allclose(d(T), central(through_partials, T, h=1e-4), rtol=1e-6)


def of_a_product(x):
    return np.sum(np.array(x[0] * x[1], dtype=float) * x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_cast_of_a_number(mode):
    x = np.array([0.7, 0.3])
    np.testing.assert_allclose(wengert.grad(of_a_product, mode=mode)(x),
                               central(of_a_product, x), rtol=1e-6)


def _written_through_asarray(x):
    y = np.zeros(3)
    z = np.asarray(y, dtype=float)          # y itself: it is float64 already
    z[0] = x * 3.0
    return np.sum(y * np.array([1.0, 2.0, 3.0])) + x


def _written_through_astype(x):
    y = np.zeros(3)
    z = y.astype(np.float64, copy=False)    # y itself
    z[0] = x * 3.0
    return np.sum(y) + x


def _written_through_array_copy_none(x):
    y = np.zeros(3)
    z = np.array(y, copy=None)              # y itself
    z[0] = x * 3.0
    return np.sum(y) + x


def _into_an_input_through_asarray(x):
    z = np.asarray(x, dtype=float)          # the caller's array
    z[0] = 0.0
    return np.sum(x * x)


@pytest.mark.parametrize("f", [_written_through_asarray, _written_through_astype,
                               _written_through_array_copy_none,
                               _into_an_input_through_asarray])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_cast_that_may_be_the_array_itself_is_not_a_copy(f, mode):
    # np.asarray(y, dtype=float), y.astype(t, copy=False) and np.array(y,
    # copy=None) return y itself when it has that dtype: an assignment into
    # the new name changes y. Taken for copies, the derivatives were silently
    # wrong (1.0 where 4.0); assigning into them is refused, as into a view
    x = np.array([1.0, 2.0, 3.0]) if f is _into_an_input_through_asarray else 1.5
    with pytest.raises(wengert.UnsupportedSyntaxError, match=r"assignment into `z\[...\]`"):
        wengert.grad(f, mode=mode)(x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_cast_that_may_be_the_array_itself_is_differentiated(mode):
    def f(x):
        return np.sum(np.asarray(x, dtype=float) ** 2) + np.sum(x.astype(float, copy=False))
    np.testing.assert_allclose(wengert.grad(f, mode=mode)(X), 2 * X + 1)


def _energy_either_numpy(y):
    if hasattr(np, "trapezoid"):                  # NumPy 2: np.trapz is gone
        return np.trapezoid(y ** 2, dx=0.1)
    return np.trapz(y ** 2, dx=0.1)


def _energy_not_has(y):
    if not hasattr(np, "no_such_function_here"):
        return np.sum(y ** 2)
    return np.no_such_function_here(y)


@pytest.mark.parametrize("f", [_energy_either_numpy, _energy_not_has])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_branch_on_hasattr_of_a_module_is_decided_when_lowered(f, mode):
    # the branch not taken named a function NumPy does not have: refused
    # ("`np.trapz` does not exist") though it never runs
    y = np.array([0.1, 0.5, -0.3, 0.8])
    np.testing.assert_allclose(wengert.grad(f, mode=mode)(y), central(f, y), rtol=1e-6)
