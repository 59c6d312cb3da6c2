"""``scipy.linalg.solve_triangular``, ``cho_factor`` and ``cho_solve``:
gradients in both modes (``wengert.grad``) against central differences,
entry by entry, on float64 and float32, for lower and upper triangles, every
``trans``, ``unit_diagonal``, vector and matrix right-hand sides and stacks of
matrices; the triangle SciPy ignores gets an exactly zero gradient; second
derivatives (``wengert.hessian`` against differences of the gradient); the
Gaussian-process negative log marginal likelihood of autograd's GP example;
and what is refused (``c``'s arbitrary triangle, ``overwrite_b=True``, a
differentiated flag). (Every rule is also checked by ``jvp``/``vjp`` and a
dot-product test in ``rulecheck/cases_scipy_linalg.py``.)"""

import numpy as np
import pytest

# SciPy is an optional dependency: wengert registers these rules only when it
# imports, so without it there is nothing here to test.
sl = pytest.importorskip("scipy.linalg")

import wengert  # noqa: E402
from wengert.errors import NonDifferentiableError  # noqa: E402
from test_nondiff_audit import central_difference  # noqa: E402

MODES = ("reverse", "forward")
DTYPES = (np.float64, np.float32)


def check(f, args, mode, dtype=np.float64, rtol=None):
    """The gradient in every argument against central differences, in the
    argument's dtype; returns the gradients."""
    args = [np.asarray(a, dtype=dtype) for a in args]
    got = wengert.grad(f, wrt=tuple(range(len(args))), mode=mode)(*args)
    tol = rtol or (1e-6 if dtype == np.float64 else 3e-3)
    for i, (a, g) in enumerate(zip(args, got)):
        assert np.shape(g) == np.shape(a) and np.asarray(g).dtype == dtype, (np.shape(g), g)
        np.testing.assert_allclose(g, central_difference(f, args, i), rtol=tol, atol=tol)
    return got


def triangular(n=3, seed=0):
    """A well-conditioned matrix (dominant diagonal of both signs)."""
    r = np.random.default_rng(seed)
    return r.uniform(-1.0, 1.0, (n, n)) + n * np.diag(r.choice([-1.0, 1.0], n))


def spd(n=3, seed=1):
    m = np.random.default_rng(seed).uniform(-1.0, 1.0, (n, n))
    return m @ m.T + n * np.eye(n)


def rhs(shape, seed=2):
    return np.random.default_rng(seed).uniform(-2.0, 2.0, shape)


WEIGHTS = np.array([[0.3, -1.2], [0.7, 0.4], [-0.5, 1.1]])


def weigh(x):
    """A scalar that depends on every entry of ``x`` ((3,) or (..., 3, 2))."""
    w = WEIGHTS[:, 0] if np.ndim(x) == 1 else WEIGHTS
    return np.sum(w * x + 0.25 * x * x)


# --------------------------------------------------------------------------
# solve_triangular


def solve_with_flags(a, b, trans, lower, unit):
    return weigh(sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit))


def solve_lower_transposed(a, b):
    return weigh(sl.solve_triangular(a, b, trans="T", lower=True))


def solve_upper_unit(a, b):
    return weigh(sl.solve_triangular(a, b, unit_diagonal=True, check_finite=False))


def ignored(lower, unit):
    """Where SciPy does not read ``a``: the other triangle (and the diagonal)."""
    k = 1 if unit else 0
    read = np.tril(np.ones((3, 3)), -k) if lower else np.triu(np.ones((3, 3)), k)
    return read == 0


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bshape", [(3,), (3, 2)])
@pytest.mark.parametrize("unit", [False, True])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("trans", [0, 1, 2, "N", "T", "C"])
def test_solve_triangular(trans, lower, unit, bshape, mode, dtype):
    def f(a, b):
        return solve_with_flags(a, b, trans, lower, unit)
    a, b = triangular(), rhs(bshape)
    ga, gb = check(f, [a, b], mode, dtype)
    assert np.all(ga[ignored(lower, unit)] == 0.0)     # exactly: never read


@pytest.mark.parametrize("mode", MODES)
def test_solve_triangular_with_constant_flags(mode):
    for f in (solve_lower_transposed, solve_upper_unit):
        for bshape in ((3,), (3, 2)):
            for dtype in DTYPES:
                check(f, [triangular(), rhs(bshape)], mode, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
def test_solve_triangular_keeps_float32(dtype):
    a, b = triangular().astype(dtype), rhs((3, 2)).astype(dtype)
    for mode in MODES:
        value = wengert.grad(solve_lower_transposed, wrt=(0, 1), mode=mode)
        ga, gb = value(a, b)
        assert ga.dtype == dtype and gb.dtype == dtype
    assert sl.solve_triangular(a, b).dtype == dtype


def solve_stack(a, b):
    return np.sum(sl.solve_triangular(a, b, lower=True, trans=1) ** 2)


def _batched():
    try:
        sl.solve_triangular(np.stack([np.eye(2)] * 2), np.ones(2))
    except ValueError:
        return False
    return True


@pytest.mark.skipif(not _batched(), reason="this SciPy does not solve stacks of matrices")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ashape, bshape", [((2, 3, 3), (3,)), ((2, 3, 3), (2, 3, 2)),
                                            ((3, 3), (2, 3, 2)), ((2, 3, 3), (3, 4))])
def test_solve_triangular_on_stacks(ashape, bshape, mode):
    a = np.stack([triangular(seed=s) for s in range(2)])[(0,) * (3 - len(ashape))]
    a = np.broadcast_to(a, ashape).copy()
    check(solve_stack, [a, rhs(bshape)], mode)


# --------------------------------------------------------------------------
# cho_factor and cho_solve


def cho_nested(k, y):
    return weigh(sl.cho_solve(sl.cho_factor(k), y))


def cho_nested_lower(k, y):
    return weigh(sl.cho_solve(sl.cho_factor(k, lower=True), y))


def cho_unpacked(k, y, lower):
    c, low = sl.cho_factor(k, lower=lower)
    return weigh(sl.cho_solve((c, low), y))


def cho_factor_twice(k, y):
    factors = sl.cho_factor(k, lower=True)
    return weigh(sl.cho_solve(factors, y)) + weigh(sl.cho_solve(factors, 2.0 * y))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("yshape", [(3,), (3, 2)])
def test_cho_solve_of_cho_factor(yshape, mode, dtype):
    k, y = spd(), rhs(yshape)
    for f in (cho_nested, cho_nested_lower, cho_factor_twice):
        gk, gy = check(f, [k, y], mode, dtype)
        lower = f is not cho_nested
        assert np.all(gk[ignored(lower, False)] == 0.0)   # cho_factor reads one triangle
    for lower in (True, False):
        check(lambda k, y: cho_unpacked(k, y, lower), [k, y], mode, dtype)


def cho_solve_given(c, y, lower):
    return weigh(sl.cho_solve((c, lower), y))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("yshape", [(3,), (3, 2)])
def test_cho_solve_in_its_factor(lower, yshape, mode):
    gc, gy = check(lambda c, y: cho_solve_given(c, y, lower), [triangular(), rhs(yshape)], mode)
    assert np.all(gc[ignored(lower, False)] == 0.0)


def cho_matches_cholesky(k, y):
    return sl.cho_solve(sl.cho_factor(k, lower=True), y)


def test_cho_factor_factor_triangle_is_the_cholesky_factor():
    def via_cho(k):
        return np.sum(np.tril(sl.cho_factor(k, lower=True)[0]) * WEIGHTS[:, :1])

    def via_numpy(k):
        return np.sum(np.linalg.cholesky(k) * WEIGHTS[:, :1])
    for mode in MODES:
        np.testing.assert_allclose(wengert.grad(via_cho, mode=mode)(spd()),
                                   wengert.grad(via_numpy, mode=mode)(spd()), rtol=1e-10)


# --------------------------------------------------------------------------
# second order


def solve_twice(a, b):
    x = sl.solve_triangular(a, b, lower=True, trans=1)
    return np.sum(x * x) + np.sum(sl.solve_triangular(a, x, unit_diagonal=True))


def hessian_check(f, x, tol=1e-5):
    h = wengert.hessian(f)(x)
    grad = wengert.grad(f, mode="reverse")
    eps = 1e-5
    fd = np.zeros(x.shape + x.shape)
    for k in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[k] += eps
        down[k] -= eps
        fd[(Ellipsis,) + k] = (grad(up) - grad(down)) / (2 * eps)
    np.testing.assert_allclose(h, fd, rtol=tol, atol=tol)
    n = x.size
    np.testing.assert_allclose(h.reshape(n, n), h.reshape(n, n).T, rtol=1e-8, atol=1e-8)


def test_hessian_of_solve_triangular():
    b = rhs((3, 2))
    hessian_check(lambda a: solve_twice(a, b), triangular())
    a = triangular()
    hessian_check(lambda b: solve_twice(a, b), b)


def test_hessian_of_cho_solve():
    y = rhs((3,))
    hessian_check(lambda k: cho_nested(k, y), spd())
    hessian_check(lambda c: cho_solve_given(c, y, False), triangular())


# --------------------------------------------------------------------------
# the Gaussian-process negative log marginal likelihood (autograd's gaussian_process.py)

X = np.linspace(-2.0, 2.0, 6)
Y = np.sin(2.0 * X) + 0.1 * np.cos(7.0 * X)


def kernel(theta, x):
    """Squared-exponential kernel with noise; theta = log(amplitude, length, noise)."""
    amp, length, noise = np.exp(theta[0]), np.exp(theta[1]), np.exp(theta[2])
    d = (x[:, None] - x[None, :]) / length
    return amp ** 2 * np.exp(-0.5 * d * d) + (noise ** 2 + 1e-6) * np.eye(len(x))


def gp_nll(theta, x, y):
    L = np.linalg.cholesky(kernel(theta, x))
    alpha = sl.solve_triangular(L.T, sl.solve_triangular(L, y, lower=True))
    return 0.5 * np.dot(y, alpha) + np.sum(np.log(np.diag(L)))


def gp_nll_cho(theta, x, y):
    c, lower = sl.cho_factor(kernel(theta, x), lower=True)
    alpha = sl.cho_solve((c, lower), y)
    return 0.5 * np.dot(y, alpha) + np.sum(np.log(np.diag(c)))


def gp_nll_analytic_grad(theta, x, y, h=1e-6):
    """½ tr((K⁻¹ - α αᵀ) ∂K/∂θᵢ), with ∂K/∂θᵢ by central differences."""
    k = kernel(theta, x)
    kinv = np.linalg.inv(k)
    alpha = kinv @ y
    out = np.zeros(3)
    for i in range(3):
        e = np.zeros(3)
        e[i] = h
        dk = (kernel(theta + e, x) - kernel(theta - e, x)) / (2 * h)
        out[i] = 0.5 * np.trace((kinv - np.outer(alpha, alpha)) @ dk)
    return out


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("nll", [gp_nll, gp_nll_cho])
def test_gp_negative_log_marginal_likelihood(nll, mode, dtype):
    theta = np.array([0.2, -0.3, -1.0])
    tol = 1e-6 if dtype == np.float64 else 5e-3
    g = wengert.grad(nll, mode=mode)(theta.astype(dtype), X.astype(dtype), Y.astype(dtype))
    assert g.dtype == dtype
    fd = central_difference(lambda t: nll(t, X, Y), [theta], 0)
    np.testing.assert_allclose(g, fd, rtol=tol, atol=tol)
    np.testing.assert_allclose(g, gp_nll_analytic_grad(theta, X, Y), rtol=tol, atol=tol)


def test_gp_hessian():
    theta = np.array([0.2, -0.3, -1.0])
    hessian_check(lambda t: gp_nll(t, X, Y), theta, tol=1e-4)
    hessian_check(lambda t: gp_nll_cho(t, X, Y), theta, tol=1e-4)


# --------------------------------------------------------------------------
# refused: never a silently wrong derivative


def reads_all_of_c(k):
    c, lower = sl.cho_factor(k)
    return np.sum(c)


def test_the_arbitrary_triangle_of_cho_factor():
    with pytest.raises(NonDifferentiableError, match="other triangle"):
        wengert.grad(reads_all_of_c, mode="reverse")(spd())
    g = wengert.grad(reads_all_of_c, mode="forward")(spd())
    assert np.all(np.isnan(g))          # a NaN tangent, not a made-up number


def overwrites_b(a, b):
    return np.sum(sl.solve_triangular(a, np.exp(b), overwrite_b=True))


def cho_overwrites_b(k, b):
    return np.sum(sl.cho_solve(sl.cho_factor(k), np.exp(b), overwrite_b=True))


def cho_overwrites_a(k, b):
    return np.sum(sl.cho_solve(sl.cho_factor(np.exp(k), overwrite_a=True), b))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, a", [(overwrites_b, triangular()), (cho_overwrites_b, spd()),
                                  (cho_overwrites_a, np.log(spd() + 3.0))])
def test_overwriting_an_input_is_refused(f, a, mode):
    with pytest.raises(NonDifferentiableError, match="overwrite_"):
        wengert.grad(f, wrt=(0, 1), mode=mode)(np.asfortranarray(a), rhs((3,)))


def lower_from_a_float(a, b, s):
    return weigh(sl.solve_triangular(a, b, lower=s))


@pytest.mark.parametrize("mode", MODES)
def test_a_differentiated_flag_has_zero_derivative(mode):
    """A flag picks a branch (piecewise constant): its derivative is exactly zero."""
    for s in (1.0, 0.0):
        ga, gb, gs = check(lower_from_a_float, [triangular(), rhs((3,)), s], mode)
        assert gs == 0.0


def lower_from_a_comparison(a, b):
    return np.sum(sl.solve_triangular(a, b, lower=bool(a[0, 0] > 0.0)))


@pytest.mark.parametrize("mode", MODES)
def test_a_flag_computed_without_derivative(mode):
    check(lower_from_a_comparison, [triangular(), rhs((3,))], mode)


def solve_with_cho_factor(k, y):
    c, lower = sl.cho_factor(k, lower=True)
    return weigh(sl.solve_triangular(c, y, lower=lower, trans=1))


@pytest.mark.parametrize("mode", MODES)
def test_solve_triangular_reads_the_factor_of_cho_factor(mode):
    """solve_triangular reads only c's factor triangle: no NaN, no refusal."""
    check(solve_with_cho_factor, [spd(), rhs((3, 2))], mode)
