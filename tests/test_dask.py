"""Duck arrays: generated code calls NumPy functions and never coerces user
arrays with np.asarray, so a Dask array flows through and the gradient is a
lazy Dask computation."""

import numpy as np
import pytest

import wengert

da = pytest.importorskip("dask.array", reason="dask[array] is an optional extra")


def loss(w, X, y):
    z = X @ w
    return np.sum((np.tanh(z) - y) ** 2) / 2.0 + 0.01 * np.sum(w * w)


def test_gradient_over_a_chunked_dask_array_equals_numpy():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 20))
    y = rng.standard_normal(1000)
    w = rng.standard_normal(20) * 0.1
    Xd = da.from_array(X, chunks=(250, 20))
    yd = da.from_array(y, chunks=250)
    expected = wengert.grad(loss)(w, X, y)
    lazy = wengert.grad(loss)(w, Xd, yd)
    assert isinstance(lazy, da.Array), "the gradient should stay a lazy Dask array"
    np.testing.assert_allclose(lazy.compute(), expected, rtol=1e-12)


def test_gradient_with_respect_to_a_dask_array():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 5))
    y = rng.standard_normal(200)
    w = rng.standard_normal(5)
    expected = wengert.grad(loss)(w, X, y)
    got = wengert.grad(loss)(da.from_array(w, chunks=5), da.from_array(X, chunks=(50, 5)),
                             da.from_array(y, chunks=50))
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-12)
