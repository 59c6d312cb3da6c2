"""``math.prod``, ``math.dist``, ``np.select`` and ``np.gradient``: gradients
in both modes (``wengert.grad``) against central differences, entry by
entry, on Python floats and arrays, float64 and float32; the cases their
rules must get right (zeros in a product, p == q, the first true condition,
the ends of the stencil); second derivatives; and what is refused when the
derivative is built. (Every rule is also checked with the others, by
``jvp``/``vjp`` and a dot-product test, in ``rulecheck/cases.py`` and
``rulecheck/cases_extra.py``.)"""

import math
import warnings

import numpy as np
import pytest

import wengert
from wengert.errors import NonDifferentiableError
from wengert.rules.numpy_extra import gradient_t

MODES = ("reverse", "forward")
DTYPES = (np.float64, np.float32)


def central_difference(f, args, i, h=1e-6):
    """d f / d args[i], entry by entry, computed in float64."""
    args = [a if isinstance(a, float) else np.array(a, dtype=np.float64) for a in args]
    if isinstance(args[i], float) or args[i].ndim == 0:
        up, down = list(args), list(args)
        up[i], down[i] = args[i] + h, args[i] - h
        return (f(*up) - f(*down)) / (2 * h)
    out = np.zeros_like(args[i])
    for k in np.ndindex(args[i].shape):
        up, down = list(args), list(args)
        up[i], down[i] = args[i].copy(), args[i].copy()
        up[i][k] += h
        down[i][k] -= h
        out[k] = (f(*up) - f(*down)) / (2 * h)
    return out


def check(f, args, mode, dtype=np.float64):
    """The gradient in every argument against central differences; an array
    argument's gradient has its dtype, a Python float's is a float."""
    args = [a if isinstance(a, float) else np.asarray(a, dtype=dtype) for a in args]
    got = wengert.grad(f, wrt=tuple(range(len(args))), mode=mode)(*args)
    tol = 1e-6 if dtype == np.float64 else 2e-3
    for i, (a, g) in enumerate(zip(args, got)):
        if isinstance(a, float):
            assert isinstance(g, float), type(g)
        else:
            assert np.shape(g) == np.shape(a) and np.asarray(g).dtype == dtype, (np.shape(g), g)
        np.testing.assert_allclose(g, central_difference(f, args, i), rtol=tol, atol=tol)


# --------------------------------------------------------------------------
# math.prod


def prod_of_list(x, y):
    return math.prod([x, y, x * y, 2.0])


def prod_of_tuple_with_start(x, y):
    return math.prod((x, y), start=-1.5) + x


def prod_of_array(x):
    return math.prod(x) * 2.0


def prod_of_generator(x):
    return math.prod(v * v + 1.0 for v in x)


def prod_of_broadcast_arrays(a, b):
    return np.sum(math.prod([a, b, 2.0]) ** 2)


def prod_over_rows(a):
    return np.sum(math.prod(a) * np.arange(1.0, 4.0))


def prod_of_a_list_built_in_a_loop(x, n):
    xs = []
    for i in range(n):
        xs.append(x * (i + 1.0))
    return math.prod(xs) + x


def prod_with_start(x, s):
    return math.prod([x, x], start=s)


@pytest.mark.parametrize("mode", MODES)
def test_prod_of_python_floats(mode):
    check(prod_of_list, [0.7, -1.3], mode)
    check(prod_of_tuple_with_start, [0.7, -1.3], mode)
    check(prod_of_list, [0.0, -1.3], mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n", [0, 1, 3])
def test_prod_of_a_list_that_may_be_empty(mode, n):
    want = 1.0 + n * 2.0 ** (n - 1) * math.factorial(n)        # d/dx (n! x^n + x) at 2
    assert wengert.grad(prod_of_a_list_built_in_a_loop, mode=mode)(2.0, n) == want


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_prod_of_arrays(mode, dtype):
    check(prod_of_array, [[0.5, -1.2, 1.7, 0.9]], mode, dtype)
    check(prod_of_generator, [[0.5, -1.2, 1.7]], mode, dtype)
    check(prod_of_broadcast_arrays, [[[0.5, -1.2, 1.7], [1.1, 0.3, -0.8]], [0.4, 1.5, -0.6]],
          mode, dtype)
    check(prod_over_rows, [[[0.5, -1.2, 1.7], [1.1, 0.3, -0.8]]], mode, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("x, expected", [
    ([2.0, 0.0, 3.0, -1.0], [0.0, -12.0, 0.0, 0.0]),     # one zero: only it moves the product
    ([2.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0]),        # two zeros: nothing does
    ([0.0], [2.0]),
])
def test_prod_is_exact_at_zeros(mode, dtype, x, expected):
    g = wengert.grad(prod_of_array, mode=mode)(np.array(x, dtype=dtype))
    assert g.dtype == dtype
    np.testing.assert_array_equal(g, expected)


@pytest.mark.parametrize("mode", MODES)
def test_prod_value_types(mode):
    """A list of floats gives a float; a float32 array a float32 value and tangent."""
    x = np.array([0.5, -1.2, 1.7], dtype=np.float32)
    value, tangent = wengert.jvp(prod_of_array, (x,), (np.ones(3, np.float32),))
    assert np.asarray(value).dtype == np.float32 and np.asarray(tangent).dtype == np.float32
    assert isinstance(wengert.grad(prod_of_list, mode=mode)(0.5, 2.0), float)


def test_second_derivatives_of_prod_at_zeros():
    """The Hessian of a product: the product of the items but i and j, zeros too."""
    x = np.array([1.5, 0.0, 2.0, 3.0])
    want = np.array([[0.0 if i == j else np.prod(np.delete(x, [i, j])) for j in range(4)]
                     for i in range(4)])
    np.testing.assert_allclose(wengert.hessian(math_prod)(x), want, rtol=1e-14)
    x = np.array([1.5, 0.0, 2.0, 0.0])
    want = np.zeros((4, 4))
    want[1, 3] = want[3, 1] = 3.0
    np.testing.assert_allclose(wengert.hessian(math_prod)(x), want, rtol=1e-14)


def math_prod(x):
    return math.prod(x)


@pytest.mark.parametrize("mode", MODES)
def test_prod_refuses_a_differentiated_start(mode):
    with pytest.raises(NonDifferentiableError, match="`start` of `math.prod`") as info:
        wengert.grad(prod_with_start, wrt=1, mode=mode)(2.0, 3.0)
    assert info.value.loc is not None and info.value.loc.filename == __file__
    assert wengert.grad(prod_with_start, wrt=0, mode=mode)(2.0, 3.0) == pytest.approx(12.0)


# --------------------------------------------------------------------------
# math.dist


def dist_of(p, q):
    return math.dist(p, q)


def dist_of_lists(x, y):
    return math.dist([x, y, x * y], [1.0, 2.0 * y, -0.5])


def dist_cubed(p, q):
    return math.dist(p, q) ** 3


def hypot_of(x, y):
    return math.hypot(x, y)


@pytest.mark.parametrize("mode", MODES)
def test_dist_of_python_floats(mode):
    check(dist_of_lists, [0.7, -1.3], mode)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_dist_of_arrays(mode, dtype):
    check(dist_of, [[0.5, -1.2, 1.7], [1.1, 0.3, -0.8]], mode, dtype)
    check(dist_cubed, [[0.5, -1.2], [1.1, 0.3]], mode, dtype)


@pytest.mark.parametrize("mode", MODES)
def test_dist_of_lists_gives_lists_of_floats(mode):
    gp, gq = wengert.grad(dist_of, wrt=(0, 1), mode=mode)([3.0, 1.0], [0.0, 5.0])
    assert list(gp) == pytest.approx([0.6, -0.8]) and list(gq) == pytest.approx([-0.6, 0.8])
    assert all(isinstance(v, float) for v in list(gp) + list(gq))


@pytest.mark.parametrize("mode", MODES)
def test_dist_at_equal_points_is_nan_like_hypot_at_the_origin(mode):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        hx, hy = wengert.grad(hypot_of, wrt=(0, 1), mode=mode)(0.0, 0.0)
        gp, gq = wengert.grad(dist_of, wrt=(0, 1), mode=mode)([1.0, 2.0], [1.0, 2.0])
    assert math.isnan(hx) and math.isnan(hy)
    assert np.isnan(gp).all() and np.isnan(gq).all()


def test_second_derivatives_of_dist():
    """The Hessian of |p - q| in p: (I - u u^T) / d, u the unit difference."""
    p, q = np.array([0.5, -1.2, 1.7]), np.array([1.1, 0.3, -0.8])
    d = np.linalg.norm(p - q)
    u = (p - q) / d
    want = (np.eye(3) - np.outer(u, u)) / d
    np.testing.assert_allclose(wengert.hessian(dist_of)(p, q), want, rtol=1e-12)
    (hpp, hpq), (hqp, hqq) = wengert.hessian(dist_of, wrt=(0, 1))(p, q)
    np.testing.assert_allclose(hpq, -want, rtol=1e-12)
    np.testing.assert_allclose(hqq, want, rtol=1e-12)


# --------------------------------------------------------------------------
# np.select


def select_broadcast(x, y):
    return np.sum(np.select([x > 0.0, x < -1.0], [x * y, y], 0.3) ** 2)


def select_default(x, y, d):
    return np.sum(np.select([x > 0.0, x > -1.0], [2.0 * x, y], default=d * x))


def select_scalar_choice(x, y):
    return np.sum(np.select([x > 0.0], [y], x) * x)


def select_linear(x, y, d):
    return np.select([x > 0.0, x > -1.0], [2.0 * x, y], default=d)


def select_squared(x, y):
    return np.sum(np.select([x > 0.0, x < -1.0], [x * y, y], y * y) ** 2)


X = [[0.5, -1.5, -0.5], [1.2, -0.7, -2.0]]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_select(mode, dtype):
    check(select_broadcast, [X, [1.1, 0.3, -0.8]], mode, dtype)
    check(select_default, [X, [[0.4, 1.5, -0.6]] * 2, [2.5]], mode, dtype)
    check(select_scalar_choice, [X[0], 1.5], mode, dtype)


@pytest.mark.parametrize("mode", MODES)
def test_select_first_true_condition_wins(mode):
    """x > 0 also satisfies x > -1: there the first choice gets the gradient;
    the default gets it only where no condition holds."""
    x = np.array([0.5, -0.5, -2.0])
    y, d = np.array([1.0, 1.0, 1.0]), np.array([1.0, 1.0, 1.0])
    _, gy, gd = wengert.grad(select_sum, wrt=(0, 1, 2), mode=mode)(x, y, d)
    np.testing.assert_array_equal(gy, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(gd, [0.0, 0.0, 1.0])


def select_sum(x, y, d):
    return np.sum(select_linear(x, y, d))


def test_select_jvp_and_vjp():
    x, y, d = np.array([0.5, -0.5, -2.0]), np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    _, t = wengert.jvp(select_linear, (x, y, d), (np.ones(3), 10.0 * np.ones(3), 100.0 * np.ones(3)))
    np.testing.assert_array_equal(t, [2.0, 10.0, 100.0])
    _, pullback = wengert.vjp(select_linear, x, y, d)
    gx, gy, gd = pullback(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(gx, [2.0, 0.0, 0.0])
    np.testing.assert_array_equal(gy, [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(gd, [0.0, 0.0, 3.0])


def test_second_derivatives_of_select():
    x, y = np.array([0.5, -1.5, -0.5]), np.array([1.1, 0.3, -0.8])
    # f = sum(select(...)^2): x > 0: (x y)^2; x < -1: y^2; else: y^4
    hxx = wengert.hessian(select_squared)(x, y)
    np.testing.assert_allclose(hxx, np.diag([2 * y[0] ** 2, 0.0, 0.0]), atol=1e-12)
    hyy = wengert.hessian(select_squared, wrt=1)(x, y)
    np.testing.assert_allclose(hyy, np.diag([2 * x[0] ** 2, 2.0, 12 * y[2] ** 2]), rtol=1e-12)


# --------------------------------------------------------------------------
# np.gradient


def gradient_1d(f):
    return np.sum(np.sin(np.gradient(f)))


def gradient_spacing_edge2(f):
    return np.sum(np.sin(np.gradient(f, 0.5, edge_order=2)))


def gradient_coordinates(f):
    return np.sum(np.gradient(f, np.array([0.0, 0.3, 1.0, 1.8, 2.0]), edge_order=2) ** 3)


def gradient_axis(f):
    return np.sum(np.sin(np.gradient(f, 2.0, axis=-1, edge_order=2)))


def gradient_all_axes(f):
    gx, gy = np.gradient(f, 0.5, np.array([0.0, 1.0, 1.5, 3.0]))
    return np.sum(np.sin(gx) * gy)


def gradient_axes_tuple(f):
    a, b = np.gradient(f, axis=(2, 0), edge_order=2)
    return np.sum(a * np.cos(b))


def gradient_one_of_all(f):
    return np.sum(np.gradient(f)[1] ** 2)


def gradient_of_spacing(f, h):
    return np.sum(np.gradient(f, h))


def gradient_of_coordinates(f, x):
    return np.sum(np.gradient(f, x))


def gradient_squared(f):
    return np.sum(np.gradient(f * f, 0.5, edge_order=2) ** 2)


rng = np.random.default_rng(3)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, shape", [
    (gradient_1d, (5,)), (gradient_1d, (2,)), (gradient_spacing_edge2, (3,)),
    (gradient_spacing_edge2, (6,)), (gradient_coordinates, (5,)), (gradient_axis, (2, 4)),
    (gradient_all_axes, (3, 4)), (gradient_axes_tuple, (3, 2, 4)), (gradient_one_of_all, (3, 3)),
])
def test_gradient(mode, dtype, fn, shape):
    check(fn, [rng.uniform(-2.0, 2.0, shape)], mode, dtype)


@pytest.mark.parametrize("f_shape, spacing, axis, edge_order", [
    ((7,), (), None, 1), ((7,), (), None, 2), ((2,), (0.5,), None, 1), ((3,), (), None, 2),
    ((4, 5), (), None, 1), ((4, 5), (0.3,), 1, 2),
    ((4, 5), (np.array([0.0, 0.1, 0.5, 0.6]), 2.0), None, 2),
    ((3, 4, 5), (np.array([0.0, 0.1, 0.5, 0.6, 1.5]), 0.7), (2, 0), 1),
    ((3, 4, 5), (0.5,), (-1, 1, 0), 2),
])
def test_gradient_adjoint_is_the_transposed_stencil(f_shape, spacing, axis, edge_order):
    """<np.gradient(f), t> == <f, gradient_t(t)>, and at the ends the adjoint
    is not np.gradient of t (the map is not self-adjoint there)."""
    f = rng.standard_normal(f_shape)
    out = np.gradient(f, *spacing, axis=axis, edge_order=edge_order)
    outs = out if isinstance(out, tuple) else (out,)
    ts = tuple(rng.standard_normal(f_shape) for _ in outs)
    t = ts if isinstance(out, tuple) else ts[0]
    back = gradient_t(t, f, spacing, axis, edge_order)
    assert back.shape == f.shape
    lhs = sum(float(np.sum(o * ti)) for o, ti in zip(outs, ts))
    assert lhs == pytest.approx(float(np.sum(f * back)), rel=1e-12, abs=1e-12)
    naive = sum((np.gradient(ti, *spacing, axis=axis, edge_order=edge_order)[k]
                 if isinstance(out, tuple) else
                 np.gradient(ti, *spacing, axis=axis, edge_order=edge_order))
                for k, ti in enumerate(ts))
    assert not np.allclose(back, naive) and not np.allclose(back, -naive)


def test_gradient_adjoint_keeps_float32():
    f = np.zeros(5, dtype=np.float32)
    assert gradient_t(np.ones(5, np.float32), f, (np.arange(5.0) ** 2,), None, 2).dtype == \
        np.float32


def test_gradient_jvp_and_vjp_of_several_axes():
    f = rng.standard_normal((3, 4))
    v = rng.standard_normal((3, 4))
    _, tangent = wengert.jvp(all_gradients, (f,), (v,))
    assert isinstance(tangent, tuple) and len(tangent) == 2
    for got, want in zip(tangent, np.gradient(v, 0.5, edge_order=2)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    _, pullback = wengert.vjp(all_gradients, f)
    u = (rng.standard_normal((3, 4)), rng.standard_normal((3, 4)))
    (back,) = pullback(u)
    lhs = sum(float(np.sum(a * b)) for a, b in zip(np.gradient(v, 0.5, edge_order=2), u))
    assert lhs == pytest.approx(float(np.sum(back * v)), rel=1e-12)


def all_gradients(f):
    return np.gradient(f, 0.5, edge_order=2)


@pytest.mark.parametrize("mode", MODES)
def test_gradient_refuses_differentiated_spacing(mode):
    f = np.arange(5.0) ** 2
    for fn, h in ((gradient_of_spacing, 0.5), (gradient_of_coordinates, np.arange(5.0) ** 1.5)):
        with pytest.raises(NonDifferentiableError, match="`varargs` of `np.gradient`") as info:
            wengert.grad(fn, wrt=1, mode=mode)(f, h)
        assert info.value.loc is not None and info.value.loc.filename == __file__
        g = wengert.grad(fn, wrt=0, mode=mode)(f, h)
        np.testing.assert_allclose(g, central_difference(fn, [f, h], 0), rtol=1e-6, atol=1e-6)


def test_second_derivatives_of_gradient():
    """The Hessian of ``sum(G(f * f) ** 2)`` (``G`` = np.gradient, linear):
    ``4 diag(G^T G (f * f)) + 8 diag(f) G^T G diag(f)``, with ``G`` as a matrix."""
    f = rng.uniform(-1.0, 1.0, 5)
    G = np.stack([np.gradient(e, 0.5, edge_order=2) for e in np.eye(5)], axis=1)
    gtg = G.T @ G
    want = 4.0 * np.diag(gtg @ (f * f)) + 8.0 * np.outer(f, f) * gtg
    np.testing.assert_allclose(wengert.hessian(gradient_squared)(f), want, rtol=1e-10)
