"""Shifted log-sum-exp, softmax and log-softmax (optimize.hold_shifts): the
shift ``m`` cancels, so its derivatives are not computed. Each case checks
the derivative against central differences and the unoptimised build in
both modes, and on ``.source`` whether the shift's adjoint (``tie_share``,
the max's derivative) is gone -- or, where the shift does not cancel (it
varies along the summed axis, or a temporary is read elsewhere), kept."""

import math

import numpy as np
import pytest

import wengert
from test_shape_folding import central_gradient


def check(f, *args):
    """Both modes agree with the unoptimised build and with finite
    differences; returns the reverse-mode source."""
    want = central_gradient(f, args, 0)
    for mode in ("reverse", "forward"):
        got = wengert.grad(f, mode=mode)(*args)
        np.testing.assert_allclose(got, wengert.grad(f, mode=mode, optimize=False)(*args),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    g = wengert.grad(f)
    g(*args)
    return g.source


def lse_columns(b):
    m = np.max(b, axis=0)
    return np.sum(m + np.log(np.sum(np.exp(b - m), axis=0)))


def lse_rows_keepdims(b):
    m = np.max(b, axis=1, keepdims=True)
    return np.sum(0.5 * (m + np.log(np.sum(np.exp(b - m), axis=1, keepdims=True))))


def lse_all(b):
    m = b.max()
    return m + np.log(np.exp(b - m).sum())


def lse_right_order(b):
    m = np.max(b, axis=-1, keepdims=True)
    lse = np.log(np.sum(np.exp(b - m), axis=-1, keepdims=True)) + m
    return np.sum(lse ** 2)


def softmax_weights(b, w):
    m = np.max(b, axis=1, keepdims=True)
    e = np.exp(b - m)
    p = e / np.sum(e, axis=1, keepdims=True)
    return np.sum(p * w)


def log_softmax_pick(b, w):
    m = np.max(b, axis=-1, keepdims=True)
    z = b - m
    return np.sum(w * (z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))))


def logaddexp_scalar(a, c):
    m = max(a, c)
    return m + math.log(math.exp(a - m) + math.exp(c - m))


def logaddexp3(a, c, d):
    m = np.maximum(np.maximum(a, c), d)
    return np.sum(m + np.log(np.exp(a - m) + np.exp(c - m) + np.exp(d - m)))


@pytest.mark.parametrize("f", [lse_columns, lse_rows_keepdims, lse_all, lse_right_order],
                         ids=lambda f: f.__name__)
def test_shift_of_a_log_sum_exp_has_no_adjoint(f):
    b = np.random.default_rng(0).normal(size=(4, 3))
    b[1, 2] = b[1, 0]                    # ties in the max: its derivative would split
    source = check(f, b)
    assert "tie_share" not in source, source


@pytest.mark.parametrize("f", [softmax_weights, log_softmax_pick], ids=lambda f: f.__name__)
def test_shift_of_a_softmax_has_no_adjoint(f):
    rng = np.random.default_rng(1)
    b, w = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    source = check(f, b, w)
    assert "tie_share" not in source, source


def test_scalar_logaddexp():
    for a, c in [(0.3, -1.2), (2.0, 2.0), (-5.0, 4.0)]:
        source = check(logaddexp_scalar, a, c)
        assert "a_bar" in source and " if " not in source and "max" not in \
            source.split("# adjoint sweep")[1], source


def test_elementwise_logaddexp_of_three():
    rng = np.random.default_rng(2)
    a, c, d = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=(2, 3))
    source = check(logaddexp3, a, c, d)
    assert "tie_share" not in source and "np.maximum" not in \
        source.split("# adjoint sweep")[1], source


def test_float32():
    b = np.random.default_rng(3).normal(size=(4, 3)).astype(np.float32)
    want = central_gradient(lse_columns, (b.astype(np.float64),), 0)
    for mode in ("reverse", "forward"):
        got = wengert.grad(lse_columns, mode=mode)(b)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_hessian_of_a_shifted_log_sum_exp():
    b = np.random.default_rng(4).normal(size=5)
    p = np.exp(b - b.max()) / np.sum(np.exp(b - b.max()))
    np.testing.assert_allclose(wengert.hessian(lse_all)(b), np.diag(p) - np.outer(p, p),
                               rtol=1e-10, atol=1e-12)


# where the shift does not cancel, its derivative is kept


def shift_across_the_sum(b):
    m = np.max(b, axis=1)                # (n,) subtracted along rows: varies along axis 1
    return np.sum(m + np.log(np.sum(np.exp(b - m), axis=1)))


def exp_read_twice(b):
    m = np.max(b)
    e = np.exp(b - m)
    return m + np.log(np.sum(e)) + np.sum(e * b)


def shift_read_elsewhere(b):
    m = np.max(b, axis=1, keepdims=True)
    return np.sum(m + np.log(np.sum(np.exp(b - m), axis=1, keepdims=True)) + m ** 2)


def not_a_pure_sum(a, c):
    m = max(a, c)
    return m + math.log(math.exp(a - m) + math.exp(c - m) + 1.0)


def test_shift_varying_along_the_summed_axis_keeps_its_derivative():
    b = np.random.default_rng(5).normal(size=(3, 3))
    source = check(shift_across_the_sum, b)
    assert "tie_share" in source, source


def test_temporary_read_elsewhere_keeps_the_derivative():
    b = np.random.default_rng(6).normal(size=6)
    source = check(exp_read_twice, b)
    assert "tie_share" in source, source


def test_shift_read_elsewhere_keeps_that_derivative():
    b = np.random.default_rng(7).normal(size=(3, 4))
    b[0, 1] = b[0, 3]
    source = check(shift_read_elsewhere, b + 0.0)
    m_bar = source.split("m_bar =")[1].splitlines()[0]
    assert "tie_share" in source and "np.sum" not in m_bar, source   # only m ** 2's part


def test_sum_with_another_term_keeps_the_derivative():
    source = check(not_a_pure_sum, 0.3, -1.2)
    assert " if " in source or "max" in source.split("# adjoint sweep")[1], source


# every combination of the shift's and the sum's axes and keepdims, on square
# shapes (where a misplaced shift still broadcasts): whether or not the
# pattern is recognised, the derivative must be right

TEMPLATES = {
    "lse": "    m = np.max(b, axis={a}, keepdims={k})\n"
           "    return np.sum(np.sin(m + np.log(np.sum(np.exp(b - m), axis={a2}, "
           "keepdims={k2}))))\n",
    "softmax": "    m = np.max(b, axis={a}, keepdims={k})\n"
               "    e = np.exp(b - m)\n"
               "    return np.sum(np.sin(e / np.sum(e, axis={a2}, keepdims={k2})))\n",
    "log_softmax": "    m = np.max(b, axis={a}, keepdims={k})\n"
                   "    z = b - m\n"
                   "    return np.sum(np.sin(z - np.log(np.sum(np.exp(z), axis={a2}, "
                   "keepdims={k2}))))\n",
}


@pytest.mark.parametrize("pattern", sorted(TEMPLATES))
def test_every_placement_of_shift_and_sum(pattern, tmp_path, monkeypatch):
    combos = [(a, k, a2, k2) for a in (0, -1, None) for k in (True, False)
              for a2 in (0, -1, None) for k2 in (True, False)]
    lines = ["import numpy as np\n"]
    for i, (a, k, a2, k2) in enumerate(combos):
        lines.append(f"def f{i}(b):\n" + TEMPLATES[pattern].format(a=a, k=k, a2=a2, k2=k2))
    (tmp_path / f"shift_{pattern}.py").write_text("\n".join(lines))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = __import__(f"shift_{pattern}")
    rng = np.random.default_rng(9)
    checked = 0
    for shape in ((3, 3), (2, 3, 3)):
        b = rng.normal(size=shape)
        for i in range(len(combos)):
            f = getattr(module, f"f{i}")
            try:
                f(b)
            except ValueError:
                continue                       # shapes that do not broadcast
            want = central_gradient(f, (b,), 0)
            for mode in ("reverse", "forward"):
                np.testing.assert_allclose(wengert.grad(f, mode=mode)(b), want, rtol=1e-6,
                                           atol=1e-8, err_msg=f"{combos[i]} {shape} {mode}")
            checked += 1
    assert checked >= len(combos)
