"""Tapes of nested loops over small arrays (the shape of GradBench's lstm):
gradients in both modes against central differences, and the generated
source read for what it should no longer contain."""

import numpy as np
import pytest

import wengert


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def small_lstm(params, x, state):
    """Two layers of a diagonal LSTM cell over the rows of ``x``."""
    hidden = state[0::2].copy()
    cell = state[1::2].copy()
    total = 0.0
    for t in range(x.shape[0]):
        v = x[t] * params[4][:3]
        for i in range(2):
            w = params[2 * i]
            gate = _sigmoid(v * w[:3] + hidden[i] * w[3:])
            cell[i] = cell[i] * gate + np.tanh(v)
            hidden[i] = gate * np.tanh(cell[i])
            v = hidden[i]
        total = total + np.log(np.sum(np.exp(v)) + 2)
    return total


def _inputs(seed=0):
    rng = np.random.RandomState(seed)
    return rng.rand(5, 6) - 0.5, rng.rand(4, 3), rng.rand(4, 3)


def _central_difference(f, args, i, step=1e-6):
    x = args[i]
    g = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        hi, lo = x.copy(), x.copy()
        hi[idx] += step
        lo[idx] -= step
        g[idx] = (f(*args[:i], hi, *args[i + 1:]) - f(*args[:i], lo, *args[i + 1:])) / (2 * step)
    return g


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_nested_loop_gradient_matches_finite_differences(mode):
    args = _inputs()
    grads = wengert.grad(small_lstm, wrt=(0, 1), mode=mode)(*args)
    for k, i in enumerate((0, 1)):
        np.testing.assert_allclose(grads[k], _central_difference(small_lstm, args, i),
                                   rtol=1e-6, atol=1e-8)


def test_inner_loop_index_has_a_known_kind():
    """The inner loop's index is an int even though it is first copied from
    a placeholder: shapes stay known inside, so no unbroadcast is left."""
    g = wengert.grad(small_lstm, wrt=(0, 1))
    g(*_inputs())
    assert "unbroadcast(" not in g.source
