"""Assignment at repeated integer-array indices: NumPy keeps only the last
write to a position (``y[[1, 1]] = [a, b]`` leaves ``b``; ``y[[1, 1]] += x``
adds ``x`` once), so only that write's value reaches the result. Both modes
against central differences, float64 and float32, and the fast path (no
``last_writes`` in the generated code) where an index cannot repeat."""

import numpy as np
import pytest

import wengert
from wengert import runtime

from test_methods import central


def assign_repeated(x):
    y = np.zeros(2, dtype=x.dtype)
    y[np.array([1, 1])] = x
    return np.sum(y ** 2)


def add_repeated(x):
    y = np.zeros(3)
    y[np.array([1, 1])] += x
    return np.sum(y ** 2)


def negative_alias(x):
    y = np.zeros(3)
    y[np.array([0, -3])] = np.array([x, 2.0 * x])
    return np.sum(y)


def list_index(x):
    y = np.zeros(3, dtype=x.dtype)
    y[[1, 1, 2]] = x
    return np.sum(y ** 2)


def rows_and_slice(X):
    Y = np.zeros((3, 4), dtype=X.dtype)
    Y[np.array([0, 2, 0]), :] = X
    return np.sum(Y ** 2 * np.arange(1.0, 13.0).reshape(3, 4))


def row_broadcast(x):
    Y = np.zeros((3, 4), dtype=x.dtype)
    Y[np.array([1, 1]), :] = x
    return np.sum(Y ** 2)


def slice_then_columns(X):
    Y = np.zeros((3, 4), dtype=X.dtype)
    Y[:, np.array([3, -1])] = X
    return np.sum(Y ** 2 * np.arange(1.0, 13.0).reshape(3, 4))


def pairs(x):
    Y = np.zeros((2, 3), dtype=x.dtype)
    Y[np.array([0, 1, 0]), np.array([1, 2, -2])] = x
    return np.sum(Y ** 2)


def add_rows(X):
    Y = np.ones((3, 2), dtype=X.dtype)
    Y[np.array([2, 0, 2])] += X
    return np.sum(Y ** 3)


def times_repeated(x):
    y = np.ones(3, dtype=x.dtype) * 2.0
    y[np.array([0, 0, 1])] *= x
    return np.sum(y ** 2)


def argmax_index(X):
    Y = np.zeros((3, 3), dtype=X.dtype)
    Y[np.argmax(X, axis=1), :] = X ** 2
    return np.sum(Y * X)


def passed_index(x, idx):
    y = np.zeros(4, dtype=x.dtype)
    y[idx] = x
    y[idx] += x ** 2
    return np.sum(y ** 2)


def in_a_loop(x):
    y = np.zeros(3, dtype=x.dtype)
    for k in range(3):
        y[np.array([k, 1])] += x * (k + 1.0)      # k = 1: y[1] += 2 * x[1] only
    return np.sum(y ** 2)


def no_repeat(x):
    y = np.zeros(4, dtype=x.dtype)
    y[np.array([3, 0])] = x
    y[[1, 2]] += x
    return np.sum(y ** 2)


IDX = np.array([3, 1, 3])
X3 = np.array([[1.0, 0.2, -0.5], [0.3, -1.0, 0.8], [2.0, 0.1, 0.4]])

# (function, float64 input, extra arguments)
CASES = {
    "assign": (assign_repeated, np.array([1.0, 2.0]), ()),
    "add_float": (add_repeated, 1.5, ()),
    "negative_alias": (negative_alias, 1.5, ()),
    "list_index": (list_index, np.array([1.0, -2.0, 0.5]), ()),
    "rows_and_slice": (rows_and_slice, np.arange(12.0).reshape(3, 4) / 5 - 1, ()),
    "row_broadcast": (row_broadcast, np.array([0.5, -1.0, 2.0, 0.3]), ()),
    "slice_then_columns": (slice_then_columns, np.arange(6.0).reshape(3, 2) / 4 - 0.5, ()),
    "pairs": (pairs, np.array([1.0, -2.0, 0.5]), ()),
    "add_rows": (add_rows, np.array([[0.5, -1.0], [2.0, 0.3], [-0.7, 1.1]]), ()),
    "times": (times_repeated, np.array([1.5, -0.5, 2.0]), ()),
    "argmax": (argmax_index, X3, ()),
    "passed_index": (passed_index, np.array([1.0, -2.0, 0.5]), (IDX,)),
    "loop": (in_a_loop, np.array([0.5, -1.5]), ()),
    "no_repeat": (no_repeat, np.array([1.0, -2.0]), ()),
}


def _typed(x, dtype):
    """``x`` in ``dtype`` (a Python float stays one in float64)."""
    if isinstance(x, float):
        return x if dtype is np.float64 else dtype(x)
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_keeps_only_the_last_write(name, mode, dtype):
    f, x, extra = CASES[name]
    got = wengert.grad(f, mode=mode)(_typed(x, dtype), *extra)
    want = central(lambda a: f(float(a) if isinstance(x, float) else a, *extra),
                   np.asarray(x, dtype=np.float64))
    tol = 1e-6 if dtype is np.float64 else 1e-3
    assert np.asarray(got).dtype == dtype
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_the_reproductions():
    x = np.array([1.0, 2.0])
    for mode in ("forward", "reverse"):
        np.testing.assert_array_equal(wengert.grad(assign_repeated, mode=mode)(x), [0.0, 4.0])
        assert wengert.grad(add_repeated, mode=mode)(1.5) == 3.0
        assert wengert.grad(negative_alias, mode=mode)(1.5) == 2.0


@pytest.mark.parametrize("outer", [wengert.jacfwd, wengert.jacrev])
def test_second_order(outer):
    """Both modes over generated code that calls ``last_writes``."""
    x, h = np.array([0.5, -1.0, 2.0]), 1e-6
    grad = wengert.grad(pairs, mode="reverse")
    want = np.stack([(grad(x + e) - grad(x - e)) / (2 * h) for e in np.eye(3) * h], axis=1)
    np.testing.assert_allclose(outer(grad)(x), want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(want, np.diag([0.0, 2.0, 2.0]), atol=1e-6)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_optimized_equals_unoptimized(mode):
    x = np.arange(12.0).reshape(3, 4) / 5 - 1
    a = wengert.grad(rows_and_slice, mode=mode)(x)
    b = wengert.grad(rows_and_slice, mode=mode, optimize=False)(x)
    np.testing.assert_array_equal(a, b)


def basic_updates(X):
    Y = np.zeros((3, 4))
    for i in range(3):
        Y[i, i:] = X[i, i:] * 2.0
        Y[i] += X[i]
    Y[0, 1] = X[2, 2]
    Y[Y > 1.0] = 0.5
    return np.sum(Y ** 2)


def test_indices_that_cannot_repeat_take_the_fast_path():
    g = wengert.grad(basic_updates, mode="reverse")
    g(np.arange(12.0).reshape(3, 4) / 7)
    assert "last_writes" not in g.source
    h = wengert.grad(no_repeat, mode="reverse")
    h(np.array([1.0, 2.0]))
    assert "last_writes" in h.source       # an integer array: checked when it runs


def test_last_writes_returns_t_itself_without_repeats():
    t = np.array([1.0, 2.0, 3.0])
    y = np.zeros((4, 2))
    assert runtime.last_writes(t, y, (np.array([0, 3, -3]), 1)) is t
    assert runtime.last_writes(t, y, (np.array([True, False, True, True]), 0)) is t
    np.testing.assert_array_equal(runtime.last_writes(t, y, (np.array([0, 3, -4]), 1)),
                                  [0.0, 2.0, 3.0])


@pytest.mark.parametrize("order", ["C", "F"])
def test_last_writes_agrees_with_numpy(order):
    """The winners are the elements whose value NumPy left in the array
    (also for an array and an index not in C order)."""
    rng = np.random.default_rng(0)
    for index in [rng.integers(-4, 4, 7), (slice(None), rng.integers(0, 3, (2, 3))),
                  (rng.integers(0, 4, 6), slice(1, 4), rng.integers(-5, 5, 6)),
                  (Ellipsis, [4, 0, 4, -1]), (rng.integers(0, 4, (3, 1)), 2, [0, 0]),
                  (rng.integers(0, 4, (5, 3)).T, slice(None), 0)]:
        y = np.zeros((4, 3, 5), order=order)
        ids = np.arange(1.0, y[index].size + 1).reshape(y[index].shape)
        y[index] = ids
        kept = np.isin(ids, y)
        np.testing.assert_array_equal(runtime.last_writes(ids, y, index), ids * kept)


def row_at_argmax(x, W):
    Y = np.zeros((3, 2))
    Y[np.argmax(W[:, 0])] = x
    return np.sum(Y * W)


def test_a_gradient_read_from_an_input_is_its_own_array():
    """``last_writes`` returns its argument itself when nothing repeats (here
    ``W[i]``, a view of the input ``W``): the gradient is still copied."""
    W = np.array([[1.0, 2.0], [5.0, 6.0], [3.0, 4.0]])
    g = wengert.grad(row_at_argmax, mode="reverse")(np.ones(2), W)
    np.testing.assert_array_equal(g, [5.0, 6.0])
    assert not np.shares_memory(g, W)
