"""Unpacking targets beyond plain names: nested tuples, items of local
arrays, and a starred name (``a, *rest, b = xs``, which takes a list of the
middle items or rows). Both modes against central differences."""

import numpy as np
import pytest

import wengert
from test_methods import central


def nested_and_starred(x):
    a, b, *rest = x[0], x[1], x[2], x[3]
    (c, d), e = (a * b, a + b), rest[0]
    return c * d + e ** 2 + rest[1]


def pair_of_pairs(x):
    return (x[0] * 2, x[1] + 1), x[2]


def into_items_and_middle(x):
    first, *middle, last = x
    y = np.zeros(2)
    y[0], y[1] = np.sin(first), last ** 2
    (p, q), r = pair_of_pairs(x)
    return np.sum(y) + sum(m * m for m in middle) + p * q * r


def rows_of_a_matrix(A):
    top, *others = A
    return np.sum(top ** 2) + sum(np.sum(np.cos(o)) for o in others)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f, shape", [(nested_and_starred, (4,)), (into_items_and_middle, (5,)),
                                      (rows_of_a_matrix, (3, 2))])
def test_unpacking_targets(mode, f, shape):
    x = np.random.default_rng(len(shape) + shape[0]).normal(size=shape)
    np.testing.assert_allclose(wengert.grad(f, mode=mode)(x), central(f, x),
                               rtol=1e-6, atol=1e-8)


def test_a_starred_target_gets_a_list():
    def f(x):
        head, *tail = x[0], x[1], x[2]
        assert isinstance(tail, list)
        return head * len(tail) + tail[0] * tail[1]
    assert wengert.grad(f, mode="reverse")(np.array([1.0, 2.0, 3.0])).tolist() == [2.0, 3.0, 2.0]


def test_too_few_values_for_a_starred_target_raise_as_in_python():
    def f(x):
        first, *middle, last = x
        return first * last
    with pytest.raises(ValueError, match="not enough values to unpack"):
        wengert.grad(f)(np.array([2.0]))
    assert wengert.grad(f, mode="reverse")(np.array([2.0, 3.0])).tolist() == [3.0, 2.0]


def test_too_few_values_raise_in_second_derivatives_too():
    def f(x):
        first, *middle, last = x
        return first * last * first
    with pytest.raises(ValueError, match="not enough values to unpack"):
        wengert.hessian(f)(np.array([2.0]))
    assert wengert.hessian(f)(np.array([2.0, 3.0])).tolist() == [[6.0, 4.0], [4.0, 0.0]]
