"""Tapes of nested loops over small arrays (the shape of GradBench's lstm):
gradients in both modes against central differences, and the generated
source read for what it should no longer contain."""

import math

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


def test_the_adjoint_sweep_does_not_replay_the_inner_loop():
    """The inner loop records in the primal sweep; the outer iteration's
    adjoint takes the inner loop's results from its tape instead of running
    the inner loop again."""
    g = wengert.grad(small_lstm, wrt=(0, 1))
    g(*_inputs())
    adjoint = g.source.split("# adjoint sweep")[1]
    loops = [line.strip() for line in adjoint.splitlines() if line.strip().startswith("for ")]
    assert len(loops) == 2 and all("reversed(" in line for line in loops), loops
    assert "np.exp(" not in adjoint and "np.tanh(" not in adjoint   # kept, not recomputed


def triple(x, w):
    """Three nested loops, the innermost over a row of ``w``."""
    s = x[0] * 0.0
    for a in range(2):
        for b in range(3):
            y = x * w[b]
            for c in range(2):
                y = np.sin(y) * w[c] + x
            s = s + y * (a + 1)
    return np.sum(s * s)


def while_around_for(x, w):
    """A while loop (counted, not hoisted) with a for loop inside it, and a
    for loop around both."""
    total = 0.0
    for k in range(2):
        y = x * w[k]
        n = 0
        while n < 3:
            for j in range(2):
                y = np.tanh(y + w[j])
            n = n + 1
        total = total + np.sum(y * y)
    return total


def branch_around_for(x, w):
    """An inner loop inside a branch of the outer loop's body."""
    y = x
    for k in range(3):
        if k % 2 == 0:
            for j in range(2):
                y = np.cos(y) * w[j]
        else:
            y = y * y
    return np.sum(y)


def scalar_nested(x, y):
    """Python floats: nothing is worth keeping but the inner loop's results."""
    for i in range(3):
        for j in range(2):
            x = x * math.sin(y) + j
        y = y + x * 0.1
    return x * y


@pytest.mark.parametrize("f", [triple, while_around_for, branch_around_for])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_nested_loops_of_arrays(f, mode):
    rng = np.random.RandomState(1)
    args = (rng.rand(3) - 0.5, rng.rand(3, 3))
    grads = wengert.grad(f, wrt=(0, 1), mode=mode)(*args)
    for k in range(2):
        np.testing.assert_allclose(grads[k], _central_difference(f, args, k),
                                   rtol=1e-6, atol=1e-8)


def test_nested_loops_of_floats():
    x, y, h = 0.3, 0.7, 1e-6
    gx, gy = wengert.grad(scalar_nested, wrt=(0, 1))(x, y)
    assert gx == pytest.approx((scalar_nested(x + h, y) - scalar_nested(x - h, y)) / (2 * h),
                               rel=1e-6)
    assert gy == pytest.approx((scalar_nested(x, y + h) - scalar_nested(x, y - h)) / (2 * h),
                               rel=1e-6)


def test_adjoints_of_tiles_and_rows_are_written_without_zero_buffers():
    """Slices that tile a row: their adjoints are concatenated; a row written
    with ``x[i] = ...``: its adjoint overwrites that row; a row read: its
    adjoint is added into that row, which the row's adjoint then reads back
    as the sum itself (no store, no indexing) before it is overwritten in
    place (no one reads the old adjoint)."""
    g = wengert.grad(small_lstm, wrt=(0, 1))
    g(*_inputs())
    inner = g.source.split("for i_1 in reversed(")[1]
    assert "w_2_bar = np.concatenate(" in inner   # its own name, not the NumPy 2 alias concat
    assert "cell_2_bar = setitem_into(cell_2_bar, i_1, " in inner
    assert "hidden_2_bar = setitem_into(hidden_2_bar, i_1, " in inner
    assert "v23_bar = hidden_2_bar[i_1] + v_2_bar" in inner
    assert "v20_bar = cell_2_bar[i_1] + " in inner
    assert "getitem_adjoint(" not in inner.split("params_bar = ")[0]


def slices(w, x):
    """Slices that overlap (w[:3], w[2:]), leave a gap (v[:1], v[3:]), and a
    row overwritten twice."""
    v = w * x
    a = np.sin(w[:3]) * w[2:]
    b = v[:1] * 2.0 + v[3:]
    m = np.stack((w, v))
    for i in range(2):
        m[i] = m[i] * m[1 - i]
        m[i] = np.cos(m[i])
    return np.sum(a * a) + np.sum(b) + np.sum(m)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_slices_that_do_not_tile(mode):
    rng = np.random.RandomState(2)
    args = (rng.rand(5), rng.rand(5))
    grads = wengert.grad(slices, wrt=(0, 1), mode=mode)(*args)
    for k in range(2):
        np.testing.assert_allclose(grads[k], _central_difference(slices, args, k),
                                   rtol=1e-6, atol=1e-8)


def _kept(source, tape="kept"):
    """The names a loop pushes onto its kept tape, one tuple per iteration."""
    line = next(x for x in source.splitlines() if x.strip().startswith(f"{tape}.append(("))
    return line.split("((", 1)[1].split("))", 1)[0].split(", ")


def test_a_sigmoid_keeps_its_result_only():
    """``1.0 / (1.0 + np.exp(-z))`` is differentiated as one sigmoid whose
    adjoint reads its result (g * s * (1.0 - s)): one array kept, not three."""
    g = wengert.grad(small_lstm, wrt=(0, 1))
    g(*_inputs())
    kept = _kept(g.source)
    assert "sigmoid_v4" in kept and "sigmoid_v2" not in kept and "sigmoid_v3" not in kept, kept
    assert "* sigmoid_v4 * (1.0 - sigmoid_v4)" in g.source


def reciprocal_of_a_shifted_exp(x):
    total = 0.0
    for t in range(x.shape[0]):
        total = total + np.sum(1.0 / (2.0 + np.exp(x[t])))
    return total


def test_a_reciprocal_keeps_its_result_not_its_denominator():
    """A constant over y (not a sigmoid): the reciprocal's adjoint reads its
    result (-g * ans * ans), not y."""
    x = np.random.RandomState(4).rand(3, 2)
    g = wengert.grad(reciprocal_of_a_shifted_exp)
    np.testing.assert_allclose(g(x), _central_difference(reciprocal_of_a_shifted_exp, (x,), 0),
                               rtol=1e-6, atol=1e-8)
    assert _kept(g.source) == ["v5", "v7"]               # np.exp(x[t]) and 1.0 / (2.0 + v5)
    assert " / " not in g.source.split("# adjoint sweep")[1]


def recurrent_log_softmax(w, x, h):
    """A carried state (its own tape, popped first) and a log-sum-exp whose
    value the adjoint never reads once shapes are folded."""
    total = 0.0
    for t in range(x.shape[0] - 1):
        h = np.tanh(h * w + x[t])
        lse = np.log(np.sum(np.exp(h)) + 2)
        total = total + np.sum(x[t + 1] * (h - lse))
    return total


def test_values_dead_after_shape_folding_leave_the_kept_tape():
    """``h - lse``'s adjoint read ``lse`` for its shape until the shapes were
    folded; the tapes are pruned again afterwards, the kept tape too although
    its pop comes second, after the carried state's."""
    rng = np.random.RandomState(3)
    args = (rng.rand(3), rng.rand(5, 3), rng.rand(3))
    g = wengert.grad(recurrent_log_softmax, wrt=(0, 2))
    grads = g(*args)
    assert "tape.append(h)" in g.source and "lse_1" not in _kept(g.source), g.source
    for k, i in enumerate((0, 2)):
        np.testing.assert_allclose(grads[k], _central_difference(recurrent_log_softmax, args, i),
                                   rtol=1e-6, atol=1e-8)


def test_views_of_arrays_the_loop_does_not_write_are_replayed_not_kept():
    """``w = params[2 * i]; w[:3]`` is an indexing away in the adjoint sweep:
    only values computed in the loop (and rows of the carried state) are
    kept, one object fewer alive per view and iteration."""
    g = wengert.grad(small_lstm, wrt=(0, 1))
    g(*_inputs())
    inner = g.source.split("for i_1 in reversed(")[1]
    assert _kept(g.source) == ["v13", "sigmoid_v4", "v17", "v19", "v22"]
    assert "w_2 = params[v10]" in inner and "v11 = w_2[:3]" in inner and "v14 = w_2[3:]" in inner
    assert _kept(g.source, "kept_1") == ["v24", "v26"]      # x[t], params[4][:3] replayed
    assert "hidden_2[i_1]" not in inner                     # a row of the carried state: kept
