"""Derivative rules at their edges (trial 14): np.cumprod's higher derivatives
at zeros, np.diff's adjoint when n >= the axis length, einsum's refusal of
five operands, and np.std's note at zero spread."""

import inspect
import itertools
import os

import numpy as np
import pytest

import wengert
from wengert.rules import registry

MODES = ["reverse", "forward"]


# --------------------------------------------------------------------------
# np.cumprod: exact second (and third) derivatives with zeros

def _slices(shape, axis):
    """The flat indices of each slice np.cumprod runs along, in order."""
    idx = np.arange(int(np.prod(shape))).reshape(shape)
    if axis is None:
        return [list(idx.ravel())]
    moved = np.moveaxis(idx, axis, -1)
    return [list(s) for s in moved.reshape(-1, moved.shape[-1])]


def _cumprod_derivative(x, w, axis, order):
    """The exact ``order``-th derivative tensor of
    ``sum(w * cumprod(x, axis))`` (``w`` laid out like the cumprod's result),
    by its definition: a sum over prefixes of products of the other entries."""
    flat, wflat = x.ravel(), np.asarray(w).ravel()
    n = flat.size
    out = np.zeros((n,) * order)
    wslices = _slices(np.shape(w), None if axis is None else axis)
    for sl, wsl in zip(_slices(x.shape, axis), wslices):
        for ks in itertools.permutations(range(len(sl)), order):
            for j in range(max(ks), len(sl)):
                others = [flat[sl[i]] for i in range(j + 1) if i not in ks]
                out[tuple(sl[k] for k in ks)] += wflat[wsl[j]] * np.prod(others)
    return out


def _second_derivatives(f):
    return {
        "hessian": wengert.hessian(f),
        "jacrev(grad)": wengert.jacrev(wengert.grad(f)),
        "jacfwd(grad)": wengert.jacfwd(wengert.grad(f)),
        "jacrev(grad forward)": wengert.jacrev(wengert.grad(f, mode="forward")),
        "jacfwd(grad forward)": wengert.jacfwd(wengert.grad(f, mode="forward")),
    }


def _central_hessian(f, x, h=1e-5):
    """Central differences of the gradient (the gradient itself checked
    against central differences of f)."""
    gr = wengert.grad(f)
    cols = []
    for e in np.eye(x.size):
        e = e.reshape(x.shape) * h
        cols.append(((gr(x + e) - gr(x - e)) / (2 * h)).ravel())
    return np.stack(cols, -1)


def _central_grad(f, x, h=1e-6):
    out = []
    for e in np.eye(x.size):
        e = e.reshape(x.shape) * h
        out.append((f(x + e) - f(x - e)) / (2 * h))
    return np.array(out)


W5 = np.array([1.0, -0.5, 2.0, 0.75, 1.25])


def cp_sum(x):
    return np.sum(np.cumprod(x))


def cp_weighted(x):
    return np.sum(np.cumprod(x) * W5)


def test_cumprod_hessian_reported_case():
    # was H[0, 1] = 8.5 but H[1, 0] = 0 (JAX: 8.5 both)
    x = np.array([0.0, 0.0, 3.0, 1.5])
    expected = np.zeros((4, 4))
    expected[0, 1] = expected[1, 0] = 1.0 + 3.0 + 3.0 * 1.5
    for name, d2 in _second_derivatives(cp_sum).items():
        np.testing.assert_allclose(d2(x), expected, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("f, w", [(cp_sum, np.ones(5)), (cp_weighted, W5)],
                         ids=["sum", "weighted"])
def test_cumprod_hessian_every_zero_pattern(f, w):
    rng = np.random.default_rng(14)
    d2s = _second_derivatives(f)
    for pattern in itertools.product([0.0, 1.0], repeat=5):
        x = rng.choice([-1.0, 1.0], 5) * rng.uniform(0.5, 2.0, 5) * np.array(pattern)
        exact = _cumprod_derivative(x, w, None, 2)
        for mode in MODES:
            np.testing.assert_allclose(wengert.grad(f, mode=mode)(x), _central_grad(f, x),
                                       atol=1e-7, err_msg=f"grad {mode} at {pattern}")
        np.testing.assert_allclose(_central_hessian(f, x), exact, atol=1e-6)
        for name, d2 in d2s.items():
            H = d2(x)
            np.testing.assert_allclose(H, exact, atol=1e-10, err_msg=f"{name} at {pattern}")
            np.testing.assert_allclose(H, H.T, rtol=1e-13, atol=1e-13)


W23 = np.array([[1.0, -2.0, 0.5], [1.5, 0.25, -1.0]])


def cp_none(x):
    return np.sum(np.cumprod(x) * W23.ravel())


def cp_axis0(x):
    return np.sum(np.cumprod(x, axis=0) * W23)


def cp_axis1(x):
    return np.sum(x.cumprod(axis=-1) * W23)


@pytest.mark.parametrize("f, axis", [(cp_none, None), (cp_axis0, 0), (cp_axis1, 1)],
                         ids=["None", "0", "1"])
def test_cumprod_hessian_2d_with_zeros(f, axis):
    rng = np.random.default_rng(3)
    d2s = _second_derivatives(f)
    w = W23.ravel() if axis is None else W23
    patterns = [np.array([[0, 0, 1], [1, 0, 0]]), np.array([[0, 1, 0], [0, 0, 1]]),
                np.array([[1, 1, 1], [1, 1, 1]]), np.array([[0, 0, 0], [0, 0, 0]])]
    patterns += [rng.random((2, 3)) < 0.5 for _ in range(6)]
    for pattern in patterns:
        x = rng.uniform(0.5, 2.0, (2, 3)) * pattern
        exact = _cumprod_derivative(x, w, axis, 2)
        np.testing.assert_allclose(_central_hessian(f, x), exact, atol=1e-6)
        for name, d2 in d2s.items():
            H = np.asarray(d2(x)).reshape(6, 6)
            np.testing.assert_allclose(H, exact, atol=1e-10, err_msg=f"{name} at {pattern}")


V4 = np.array([0.3, -1.2, 0.7, 2.0])


def _grad_cp(x):
    return wengert.grad(cp_sum)(x)


def cp_directional(x):
    return np.sum(_grad_cp(x) * V4)


@pytest.mark.parametrize("x", [[0.0, 0.0, 3.0, 1.5], [0.0, 2.0, 0.0, 0.0], [1.0, 0.0, 0.0, 2.0],
                               [0.0, 0.0, 0.0, 0.0], [0.5, -2.0, 1.5, 3.0]])
def test_cumprod_third_derivatives_at_zeros(x):
    x = np.array(x)
    exact = np.einsum("ijk,i->jk", _cumprod_derivative(x, np.ones(4), None, 3), V4)
    for name, d2 in _second_derivatives(cp_directional).items():
        np.testing.assert_allclose(d2(x), exact, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("mode", MODES)
def test_cumprod_float32_and_empty(mode):
    x = np.array([0.0, 0.0, 3.0, 1.5], dtype=np.float32)
    g = wengert.grad(cp_sum, mode=mode)(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, [1.0, 0.0, 0.0, 0.0])
    H = wengert.jacfwd(wengert.grad(cp_sum, mode=mode))(x)
    assert H.dtype == np.float32
    np.testing.assert_allclose(H[0, 1], 8.5)
    np.testing.assert_allclose(H[1, 0], 8.5)
    assert wengert.grad(cp_sum, mode=mode)(np.zeros(0)).shape == (0,)


# --------------------------------------------------------------------------
# np.diff: the adjoint has the input's shape when n >= the axis length

def df(x):
    return np.sum(np.diff(x)) + 1.0


def df3(x):
    return np.sum(np.diff(x, n=3) ** 2) + 1.0


def df_axis0(x):
    return np.sum(np.diff(x, axis=0) ** 2) + 1.0


def df2_last(x):
    return np.sum(np.diff(x, n=2, axis=-1) ** 2) + np.sum(x ** 3)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, shape", [
    (df, (0,)), (df, (0, 3)), (df, (1,)), (df, (4,)), (df3, (2,)), (df3, (3,)), (df3, (5,)),
    (df_axis0, (1, 3)), (df_axis0, (0, 2)), (df_axis0, (3, 2)),
    (df2_last, (3, 1)), (df2_last, (3, 2)), (df2_last, (2, 4))])
def test_diff_gradient_shape(f, shape, mode):
    x = np.random.default_rng(5).standard_normal(shape)
    g = wengert.grad(f, mode=mode)(x)
    assert g.shape == x.shape
    if x.size:
        np.testing.assert_allclose(g.ravel(), _central_grad(f, x), atol=1e-6)


def test_diff_second_derivatives_when_n_exceeds_length():
    x = np.array([0.7, -1.3])
    exact = np.diag(6.0 * x)          # only np.sum(x ** 3) + a 0-length diff
    for name, d2 in _second_derivatives(lambda_free_diff).items():
        np.testing.assert_allclose(d2(x), exact, atol=1e-10, err_msg=name)


def lambda_free_diff(x):
    return np.sum(np.diff(x, n=3) ** 2) + np.sum(x ** 3)


# --------------------------------------------------------------------------
# np.einsum of five operands: refused for what it is, with its location

def einsum5(a):
    return np.einsum("i,i,i,i,i->", a, a, a, a, a)   # marked: einsum5


def einsum6(a):
    return np.einsum("i,i,i,i,i,i->", a, a, a, a, a, a)   # marked: einsum6


def _marked_line(tag):
    lines = inspect.getsource(inspect.getmodule(_marked_line)).splitlines()
    return next(i for i, line in enumerate(lines, 1) if f"# marked: {tag}" in line)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, count", [(einsum5, 5), (einsum6, 6)], ids=["5", "6"])
def test_einsum_of_five_operands_is_refused_clearly(f, count, mode):
    with pytest.raises(wengert.NoRuleError) as info:
        wengert.grad(f, mode=mode)(np.ones(3))
    exc, text = info.value, str(info.value)
    assert "at most 4 operands" in text and f"{count} operands" in text, text
    assert "optimize" not in text.splitlines()[0], text
    assert exc.loc is not None and exc.loc.lineno == _marked_line(f.__name__), text
    assert os.path.basename(exc.loc.filename) == os.path.basename(__file__)
    assert f"{os.path.basename(__file__)}:{exc.loc.lineno}:" in text and "^" in text, text


def einsum4(a, b):
    return np.einsum("i,i,i,i->", a, b, a, b) + np.einsum("i,i->", a, b, optimize=True)


@pytest.mark.parametrize("mode", MODES)
def test_einsum_of_four_operands_still_differentiated(mode):
    a, b = np.array([1.0, 2.0, -0.5]), np.array([0.5, -1.0, 3.0])
    g = wengert.grad(einsum4, mode=mode)(a, b)
    np.testing.assert_allclose(g, 2.0 * a * b * b + b)


# --------------------------------------------------------------------------
# np.std at zero spread: NaN, as documented

def std(x):
    return np.std(x)


@pytest.mark.parametrize("mode", MODES)
def test_std_at_zero_spread_is_nan_as_documented(mode):
    assert np.all(np.isnan(wengert.grad(std, mode=mode)(np.ones(3))))
    note = registry.lookup(np.std).notes
    assert "NaN" in note and "infinite" not in note
    page = open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "docs", "rules.md")).read()
    row = next(line for line in page.splitlines() if line.startswith("| `np.std` |"))
    assert "NaN where std == 0" in row and "infinite" not in row
