"""Found by the eleventh session's new-user trials: second derivatives by
forward mode over generated gradients (hessian, hvp, jacfwd(grad), a
forward-mode gradient of a function calling a gradient), checked against
finite differences of the reverse-mode gradient; divisions by a shape
folded to 0."""

import warnings

import numpy as np
import pytest

import wengert

X = np.array([[0.3, -1.2, 0.5], [0.8, -0.1, 0.4]])
B = np.array([1.2, 0.4, -0.3, 0.8])


def _fd_jacobian(g, x, eps=1e-6):
    """Central differences of ``g`` (array to array), as ``jacfwd`` lays it out."""
    cols = []
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        cols.append((np.asarray(g(x + e)) - np.asarray(g(x - e))) / (2 * eps))
    return np.moveaxis(np.array(cols), 0, -1).reshape(np.shape(g(x)) + x.shape)


# an array times a reduction of itself kept as a column, or a slice of
# itself: the tangent of the adjoint's `unbroadcast` was dropped (silently
# wrong: hvp 4 where 6) or broadcast into the wrong shape (ValueError)
BROADCAST_REDUCTIONS = {
    "sum keepdims": lambda x: np.sum(x * np.sum(x, axis=1, keepdims=True)),
    "mean keepdims": lambda x: np.sum(x * np.mean(x, axis=1, keepdims=True)),
    "column slice": lambda x: np.sum(x * x[:, :1]),
    "max over rows": lambda x: np.sum(x * np.max(x, axis=0)),
    "scaled by max": lambda x: np.sum(np.sin(x) / np.max(np.abs(x), axis=1, keepdims=True)),
}

# the gradient of an entry read by index is linear in it: its tangent, a
# zero, was a number where an array was scattered into (TypeError)
INDEXED = {
    "b[0] + sin(b[1])": lambda b: b[0] + np.sin(b[1]),
    "fancy indices": lambda b: np.sum(b[[0, 2]]) + np.sum(b[[1, 3]] ** 3),
    "stacked entries": lambda b: np.sum(np.stack([b[0], b[1] ** 2])),
}


@pytest.mark.parametrize("name", sorted(BROADCAST_REDUCTIONS))
def test_forward_over_reverse_through_broadcast_reductions(name):
    f = BROADCAST_REDUCTIONS[name]
    want = _fd_jacobian(wengert.grad(f, mode="reverse"), X)
    np.testing.assert_allclose(wengert.hessian(f)(X), want, atol=1e-6)
    np.testing.assert_allclose(wengert.jacfwd(wengert.grad(f, optimize=False))(X), want,
                               atol=1e-6)
    v = np.linspace(-1.0, 1.0, X.size).reshape(X.shape)
    np.testing.assert_allclose(wengert.hvp(f)(X, v), np.einsum("ijkl,kl->ij", want, v),
                               atol=1e-6)


@pytest.mark.parametrize("name", sorted(INDEXED))
def test_forward_over_reverse_through_indexed_entries(name):
    f = INDEXED[name]
    want = _fd_jacobian(wengert.grad(f, mode="reverse"), B)
    np.testing.assert_allclose(wengert.hessian(f)(B), want, atol=1e-6)
    np.testing.assert_allclose(wengert.hvp(f)(B, np.ones(4)), want @ np.ones(4), atol=1e-6)
    np.testing.assert_allclose(wengert.jacfwd(wengert.grad(f))(B), want, atol=1e-6)


@pytest.mark.parametrize("mode", ("forward", "reverse"))
def test_third_derivative_through_an_indexed_entry(mode):
    # the forward-mode gradient of a function calling a gradient holds the
    # tangent of a scatter (`scatter_tangent`); differentiated again
    inner = wengert.grad(lambda b: b[0] * b[1] + np.sin(b[1]) ** 2)

    def k(b):
        return np.sum(inner(b) ** 2)
    gk = wengert.grad(k, mode="forward")

    def outer(b):
        return np.sum(gk(b) * np.array([1.0, -2.0]))
    x = B[:2]
    got = wengert.grad(outer, mode=mode)(x)
    np.testing.assert_allclose(got, _fd_jacobian(outer, x), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", [BROADCAST_REDUCTIONS["sum keepdims"], INDEXED["b[0] + sin(b[1])"]],
                         ids=["keepdims", "indexed"])
def test_forward_mode_gradient_of_a_step_that_calls_a_gradient(f):
    inner = wengert.grad(f)
    x = X if f is BROADCAST_REDUCTIONS["sum keepdims"] else B[:2]

    def outer(w):
        return np.sum((w - 0.1 * inner(w)) ** 2)
    want = wengert.grad(outer, mode="reverse")(x)
    np.testing.assert_allclose(wengert.grad(outer, mode="forward")(x), want, rtol=1e-12)
    np.testing.assert_allclose(want, _fd_jacobian(outer, x), rtol=1e-6, atol=1e-8)


ZERO_DIVISORS = {
    "mean over an empty batch": (lambda w, X: np.mean((X @ w) ** 2), np.zeros((0, 3))),
    "sum / (len(X) - 1), one row": (lambda w, X: np.sum((X @ w) ** 2) / (len(X) - 1),
                                    np.ones((1, 3))),
    "np.var(ddof=1), one row": (lambda w, X: np.var(X @ w, ddof=1), np.ones((1, 3))),
}


@pytest.mark.parametrize("optimize", (True, False))
@pytest.mark.parametrize("mode", ("reverse", "forward"))
@pytest.mark.parametrize("name", sorted(ZERO_DIVISORS))
def test_a_shape_folded_to_zero_divides_as_numpy(name, mode, optimize):
    # the divisor, a shape known when the code is built, was written `1.0 / 0`
    # into the adjoint: ZeroDivisionError where NumPy gives inf or NaN
    f, X = ZERO_DIVISORS[name]
    w = np.ones(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = f(w, X)
        g = wengert.grad(f, mode=mode, optimize=optimize)(w, X)
    assert not np.isfinite(value) and g.shape == (3,)
    if X.shape[0]:
        assert not np.isfinite(g).any()
    else:      # no rows: reverse mode's sum over them is 0, forward mode's tangent NaN
        assert np.all((g == 0.0) | np.isnan(g))


def _slice_replaced(x):
    xs = [x, x * x, x]
    xs[0:2] = [x * 2.0, 3.0]
    return sum(xs) * xs[0]


def _tail_replaced(x):
    ys = [x, x]
    ys[1:] = [np.sin(x)]
    return ys[0] * ys[1]


@pytest.mark.parametrize("f", [_slice_replaced, _tail_replaced])
@pytest.mark.parametrize("mode", ("reverse", "forward"))
def test_a_slice_of_a_list_built_here_assigned(f, mode):
    # the adjoint of the list zeroes the slice written over: a zero per item
    # (`setitem(xs_bar, slice(0, 2), 0.0)` was a TypeError in reverse mode)
    x, eps = 1.3, 1e-6
    g = wengert.grad(f, mode=mode)
    assert g(x) == pytest.approx((f(x + eps) - f(x - eps)) / (2 * eps), rel=1e-7)
    second = wengert.grad(g, mode="reverse")(x)
    assert second == pytest.approx((g(x + eps) - g(x - eps)) / (2 * eps), rel=1e-6)
    assert wengert.grad(g, mode="forward")(x) == pytest.approx(second, rel=1e-12)


def test_error_columns_count_characters_and_carets_follow_tabs(tmp_path, monkeypatch):
    source = ('def g(x):\n'
              '    αβγ = x * 2; s = f"{αβγ}"\n'
              '    return αβγ\n'
              'def h(x):\n'
              '\tif x > 0:\n'
              '\t\ty = {x}\n'
              '\treturn x\n')
    (tmp_path / "m_caret_trial11.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import m_caret_trial11 as m
    with pytest.raises(wengert.UnsupportedSyntaxError) as info:
        wengert.grad(m.g)(1.0)
    text = str(info.value).splitlines()
    assert text[1].endswith("m_caret_trial11.py:2:21")      # characters, not UTF-8 bytes
    assert text[4] == "  | " + " " * 21 + "^"
    with pytest.raises(wengert.UnsupportedSyntaxError) as info:
        wengert.grad(m.h)(1.0)
    text = str(info.value).splitlines()
    assert text[1].endswith("m_caret_trial11.py:6:6")
    assert text[4] == "  | \t\t    ^"                       # under `{`, tabs kept


def _power(x, y):
    return x ** y


def _power_of_arrays(x, y):
    return np.sum(x ** y)


def test_forward_mode_with_several_inputs_keeps_each_derivative_apart():
    # one tangent sweep per input: the other inputs' tangents are symbolic
    # zeros, so log(x) at x < 0 (d/dy of x ** y) no longer makes d/dx NaN
    gx, gy = wengert.grad(_power, wrt=(0, 1), mode="forward")(-2.0, 3.0)
    assert gx == 12.0 and np.isnan(gy)
    assert wengert.grad(_power, wrt=(0, 1), mode="reverse")(-2.0, 3.0)[0] == 12.0
    x, y = np.array([-2.0, 1.5]), np.array([3.0, 2.0])
    gx, gy = wengert.grad(_power_of_arrays, wrt=(0, 1), mode="forward")(x, y)
    np.testing.assert_allclose(gx, y * x ** (y - 1))    # (within y, entries still meet:
    assert np.isnan(gy[0])                               #  gy[1] is NaN too, as in JAX)


def _last_value_changes_shape(Ws, x):
    for W in Ws:
        o = x * W                  # (2,) then (3, 2): broadcasting grows it
        x = np.sin(o)
    return np.sum(o ** 2)


def _autograd_style_net(params, inputs):
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = np.tanh(outputs)
    return np.sum(outputs ** 2)


@pytest.mark.parametrize("mode", ("reverse", "forward"))
def test_a_loop_value_read_after_the_loop_whose_shape_changes(mode):
    # its adjoint restarted each earlier iteration from zeros shaped like its
    # last value: the earlier adjoints were broadcast to it (3x the gradient,
    # silently) or failed to (ValueError in autograd's neural_net example)
    rs = np.random.RandomState(0)
    Ws, x = [rs.randn(2), rs.randn(3, 2)], rs.randn(2)
    g = wengert.grad(_last_value_changes_shape, wrt=1, mode=mode)(Ws, x)
    np.testing.assert_allclose(g, _fd_jacobian(lambda v: _last_value_changes_shape(Ws, v), x),
                               rtol=1e-6)
    params = [(rs.randn(3, 4), rs.randn(4)), (rs.randn(4, 2), rs.randn(2))]
    inputs = rs.randn(5, 3)
    g = wengert.grad(_autograd_style_net, wrt=1, mode=mode)(params, inputs)
    np.testing.assert_allclose(g, _fd_jacobian(lambda v: _autograd_style_net(params, v), inputs),
                               rtol=1e-5, atol=1e-7)


def _upwind(u, nu):
    for _ in range(2):
        u = u - 0.1 * np.where(u > 0, u * u, -u) * nu
    return np.sum(u ** 2)


def test_second_derivative_through_a_condition_computed_from_the_state():
    # the condition, kept on the tape, looked differentiated in the second
    # derivative: refused with a caret into generated code
    u = np.array([0.5, -0.3, 1.2])
    h = wengert.hessian(_upwind, wrt=1)(u, 0.5)
    g = wengert.grad(_upwind, wrt=1)
    eps = 1e-6
    assert h == pytest.approx((g(u, 0.5 + eps) - g(u, 0.5 - eps)) / (2 * eps), rel=1e-6)


@pytest.mark.parametrize("mode", ("reverse", "forward"))
def test_percentile_of_a_list_of_q_refused_as_documented(mode):
    # reverse mode failed inside the generated code (a broadcast ValueError)
    def f(x):
        return np.sum(np.percentile(x, [10, 90]))
    with pytest.raises(NotImplementedError, match="only a scalar q"):
        wengert.grad(f, mode=mode)(np.array([0.3, -1.2, 0.5]))
