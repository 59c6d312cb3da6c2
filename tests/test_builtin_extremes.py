"""Python's ``max``/``min`` beyond two arguments: ``max(a, b, c)`` taken in
pairs, ``max(xs)`` of a list, tuple or 1-D array read as the item it returns
(``xs[extreme_index(xs, True)]``), so the whole derivative goes to that item,
the first of equal ones as the builtin keeps. Both modes against central
differences, on floats, arrays and float32."""

import math

import numpy as np
import pytest

import wengert


def of_three(x, y, z):
    return max(x * y, math.sin(z), y - z) + min(x, y, z) ** 2


def of_a_list(x, y, z):
    return max([x * x, y, z * 2.0]) * min((x, y + 1.0, z))


def of_an_array(a):
    return max(a) ** 2 + min(a * a) + max(np.sin(a))


def in_a_loop(a):
    total = 0.0
    for i in range(1, len(a)):
        total = total + max(a[:i + 1]) * a[i]
    return total


def central(f, args, i, h=1e-6):
    up, down = list(args), list(args)
    up[i], down[i] = up[i] + h, down[i] - h
    return (f(*up) - f(*down)) / (2 * h)


def central_array(f, a, h=1e-6):
    g = np.zeros_like(a, dtype=np.float64)
    for i in range(a.size):
        e = np.zeros_like(a, dtype=np.float64)
        e[i] = h
        g[i] = (f(a + e) - f(a - e)) / (2 * h)
    return g


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f", [of_three, of_a_list])
@pytest.mark.parametrize("args", [(0.7, -0.4, 1.3), (-1.2, 0.5, 0.1), (2.0, 3.0, -0.5)])
def test_several_arguments_and_a_sequence_of_floats(mode, f, args):
    g = wengert.grad(f, wrt=(0, 1, 2), mode=mode)(*args)
    want = [central(f, args, i) for i in range(3)]
    assert g == pytest.approx(want, rel=1e-6, abs=1e-8)
    assert all(type(v) is float for v in g)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f", [of_an_array, in_a_loop])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_array(mode, f, dtype):
    a = np.array([0.3, -1.1, 0.9, 0.2, -0.4], dtype=dtype)
    g = wengert.grad(f, mode=mode)(a)
    assert g.dtype == dtype and g.shape == a.shape
    want = central_array(f, a.astype(np.float64))
    np.testing.assert_allclose(g, want, rtol=1e-3 if dtype == np.float32 else 1e-6,
                               atol=1e-4 if dtype == np.float32 else 1e-8)


def test_ties_go_to_the_first_extreme_item():
    for mode in ("reverse", "forward"):
        g = wengert.grad(lambda a: max(a) * 3.0, mode=mode)(np.array([1.0, 2.0, 2.0, 0.5]))
        np.testing.assert_array_equal(g, [0.0, 3.0, 0.0, 0.0])
        g = wengert.grad(lambda x, y: min([y, x, y]), wrt=(0, 1), mode=mode)(1.0, 1.0)
        assert g == (0.0, 1.0)                     # the first of the equal items: y


def test_what_the_builtin_rejects_is_rejected_when_it_runs():
    with pytest.raises(ValueError, match="empty"):
        wengert.grad(lambda a: max(a[:0]) + np.sum(a))(np.ones(3))
