"""The peephole rewrites that known shapes allow (specialize.fold_shapes) and
the factoring of sums (algebra.factor_sums): each must leave the derivative
unchanged -- checked against central differences and against the
unoptimised build -- and must actually happen (checked on ``.source``)."""

import math

import numpy as np
import pytest

import wengert


def central_gradient(f, args, i, h=1e-6):
    x = np.array(args[i], dtype=np.float64)
    g = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] -= h
        a_up, a_down = list(args), list(args)
        a_up[i], a_down[i] = up, down
        g[j] = (f(*a_up) - f(*a_down)) / (2 * h)
    return g


def check(f, args, wrt=0):
    """Optimised == unoptimised == finite differences, in both modes."""
    want = central_gradient(f, args, wrt)
    for mode in ("reverse", "forward"):
        fast = wengert.grad(f, wrt=wrt, mode=mode)
        slow = wengert.grad(f, wrt=wrt, mode=mode, optimize=False)
        got = fast(*args)
        np.testing.assert_allclose(got, slow(*args), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    g = wengert.grad(f, wrt=wrt, mode="reverse")
    g(*args)
    return g.source


def mean_loss(w, X, y):
    z = X @ w
    return np.mean(np.log1p(np.exp(-z)) + (1.0 - y) * z)


def test_uniform_seed_of_mean_becomes_a_number():
    rng = np.random.default_rng(0)
    args = (rng.normal(size=3), rng.normal(size=(7, 3)), rng.random(7))
    src = check(mean_loss, args)
    assert "broadcast_to" not in src
    assert "1 / 7" in src or str(1 / 7) in src


def sum_of_squares_over_middle_axis(means, x):
    xc = x[None, :, :] - means[:, None, :]
    return np.sum(np.exp(-0.5 * np.sum(xc ** 2, axis=2)))


def test_unbroadcast_over_a_middle_axis_is_an_einsum():
    rng = np.random.default_rng(1)
    args = (rng.normal(size=(3, 2)), rng.normal(size=(5, 2)))
    src = check(sum_of_squares_over_middle_axis, args)
    assert "unbroadcast" not in src and "getitem_adjoint" not in src
    assert "np.einsum('abc->ac'" in src


def weighted(a, b):
    return np.sum(np.sin(a[:, None, :] * b))


def test_product_summed_by_unbroadcast():
    rng = np.random.default_rng(2)
    args = (rng.normal(size=(3, 2)), rng.normal(size=(3, 4, 2)))
    src = check(weighted, args)
    assert "np.einsum('abc,abc->ac'" in src


def bias_grad(b, X):
    return np.sum(np.tanh(X + b))


def test_unbroadcast_of_a_leading_axis_keeps_np_sum_on_long_last_axes():
    rng = np.random.default_rng(3)
    args = (rng.normal(size=200), rng.normal(size=(4, 200)))
    src = check(bias_grad, args)
    assert "unbroadcast" not in src


def scalar_loop(x):
    for i in range(20):
        x = x + 0.01 * x * math.sin(x)
    return x


def test_common_factor_of_a_sum_is_multiplied_once():
    # (the sum is the local partial derivative the primal loop records)
    src = check(scalar_loop, (0.5,))
    assert "partial = 0.01 * v3 + v2 * math.cos(x) + 1" in src
    assert "x_bar = x_bar * partial\n" in src


def rnn(W, xs):
    h = np.zeros((2, 3))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h)
    return 0.5 * np.sum(h ** 2)


def test_kinds_reach_through_taped_loops():
    # the adjoint loop runs over reversed(range(...)) and pops the tape: both
    # keep their kinds, so the seed `0.5 * 2` folds and no unbroadcast is left
    rng = np.random.default_rng(4)
    args = (rng.normal(size=(3, 3)) / 3, rng.normal(size=(4, 2, 3)))
    src = check(rnn, args)
    assert "broadcast_to" not in src and "unbroadcast" not in src


def test_float32_is_left_alone():
    rng = np.random.default_rng(5)
    w, X, y = (a.astype(np.float32) for a in (rng.normal(size=3), rng.normal(size=(7, 3)),
                                              rng.random(7)))
    g = wengert.grad(mean_loss)(w, X, y)
    assert g.dtype == np.float32
    want = central_gradient(mean_loss, (w.astype(np.float64), X.astype(np.float64),
                                        y.astype(np.float64)), 0)
    np.testing.assert_allclose(g, want, rtol=1e-3, atol=1e-4)


def test_integer_division_of_ints_is_a_float_kind():
    from wengert import analysis, ir
    import operator
    e = ir.Op(operator.truediv, (ir.Var("n"), ir.Const(2)))
    assert analysis.expr_kind(e, {"n": analysis.INT}) == analysis.FLOAT


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_negated_reductions_negate_the_smaller_array(shape):
    def f(a, x):
        return np.sum(np.sin(x - a))
    rng = np.random.default_rng(6)
    a = rng.normal(size=shape[-1:])
    x = rng.normal(size=(4,) + shape)
    check(f, (a, x))


def batched(A, B):
    return np.sum(np.tanh(A @ B))


def test_batched_matmul_adjoints_are_one_product_each():
    rng = np.random.default_rng(7)
    args = (rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 2, 5)))
    for wrt in (0, 1):
        src = check(batched, args, wrt)
        assert "matmul_adjoint" not in src and "np.swapaxes(" in src


def test_keepdims_sum_for_a_kept_axis():
    def f(x):
        return np.sum(np.exp(x - np.max(x, axis=1, keepdims=True)))
    x = np.random.default_rng(8).normal(size=(3, 4))
    src = check(f, (x,))
    assert "unbroadcast" not in src


def test_kinds_of_deep_expressions_take_linear_time():
    # each argument's kind is found once: a sum of products 40 deep (as a
    # second-order build inlines) was 4**40 kind queries, now 40 * 4
    from wengert import analysis, ir, runtime
    import operator
    array = analysis.Kind((3,), "<f8")
    sums, adjoint = ir.Var("x"), ir.Var("x")
    for _ in range(40):
        sums = ir.Op(operator.add, (ir.Op(operator.mul, (sums, ir.Var("y"))), ir.Const(1.0)))
        adjoint = ir.Op(runtime.unbroadcast, (ir.Op(operator.mul, (adjoint, ir.Var("y"))),
                                              ir.Var("y")))
    kinds = {"x": array, "y": array}
    assert analysis.expr_kind(sums, kinds) == array
    assert analysis.expr_kind(adjoint, kinds) == array


def centred_quadratic(means, x, L):
    xc = x[None, :, :] - means[:, None, :]
    z = np.exp(means)[:, None, :] * xc + xc @ L
    return np.sum(z ** 2)


def test_sum_of_a_broadcast_adjoint_is_pushed_through_the_linear_maps():
    """means_bar sums xc_bar = A * c + A @ B over the points: the sum of A,
    multiplied and matrix-multiplied, never the (k, n, d) product itself."""
    rng = np.random.default_rng(0)
    means, x, L = rng.normal(size=(3, 2)), rng.normal(size=(50, 2)), rng.normal(size=(3, 2, 2))
    grad = wengert.grad(centred_quadratic)
    g = grad(means, x, L)
    assert "np.einsum('abc->ac'" in grad.source and "np.squeeze(" in grad.source, grad.source
    expected = np.zeros_like(means)
    for i in np.ndindex(means.shape):
        e = np.zeros_like(means)
        e[i] = 1e-6
        expected[i] = (centred_quadratic(means + e, x, L) -
                       centred_quadratic(means - e, x, L)) / 2e-6
    np.testing.assert_allclose(g, expected, rtol=1e-6)
    unoptimized = wengert.grad(centred_quadratic, optimize=False)(means, x, L)
    np.testing.assert_allclose(g, unoptimized, rtol=1e-12)
    forward = wengert.grad(centred_quadratic, mode="forward")(means, x, L)
    np.testing.assert_allclose(g, forward, rtol=1e-10)


def row_energies(A, w):
    e = np.sum((A * w) ** 2, axis=-1)
    return np.sum(np.sqrt(1.0 + e)) + np.sum(w * w) + np.sum(np.square(A[0]))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_sums_of_squares_become_einsum_and_vdot(mode):
    rng = np.random.default_rng(1)
    A, w = rng.normal(size=(4, 5, 3)), rng.normal(size=3)
    d = wengert.value_and_grad(row_energies, wrt=(0, 1), mode=mode)
    value, (gA, gw) = d(A, w)
    if mode == "reverse":
        assert "np.einsum('...i,...i->...'" in d.source and "np.vdot(w, w)" in d.source, \
            d.source
    assert value == pytest.approx(row_energies(A, w), rel=1e-13)
    plain_value, (pA, pw) = wengert.value_and_grad(row_energies, wrt=(0, 1), mode=mode,
                                                   optimize=False)(A, w)
    np.testing.assert_allclose(gA, pA, rtol=1e-12)
    np.testing.assert_allclose(gw, pw, rtol=1e-12)
    h = 1e-6
    e = np.zeros_like(w)
    e[1] = h
    assert gw[1] == pytest.approx((row_energies(A, w + e) - row_energies(A, w - e)) / (2 * h),
                                  rel=1e-6)


def scaled_and_mapped(q, L, x):
    y = np.exp(q)[:, None, :] * x + x @ np.swapaxes(L, 1, 2)
    return np.sum(np.sin(y))


def test_sum_of_a_product_reads_the_diagonal_of_the_matrix_product():
    rng = np.random.default_rng(8)
    q, L, x = rng.normal(size=(3, 4)), rng.normal(size=(3, 4, 4)), rng.normal(size=(3, 6, 4))
    for wrt in (0, 1):
        check(scaled_and_mapped, (q, L, x), wrt=wrt)
    d = wengert.grad(scaled_and_mapped, wrt=(0, 1))
    gq, gL = d(q, L, x)
    assert "np.diagonal(gram" in d.source and "einsum" not in d.source, d.source
    gq32 = wengert.grad(scaled_and_mapped)(*(a.astype(np.float32) for a in (q, L, x)))
    assert gq32.dtype == np.float32
    np.testing.assert_allclose(gq32, gq, rtol=1e-4, atol=1e-4)


def layernorm(x, g, b):
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
    xh = (x - mu) / np.sqrt(var + 1e-5)
    return np.sum((g * xh + b) ** 2)


def batchnorm(x, g, b):
    mu = np.mean(x, axis=0)
    var = np.var(x, axis=0)
    xh = (x - mu) / np.sqrt(var + 1e-5)
    return np.sum(np.tanh(g * xh + b))


def rows_of_sums(W, x):
    return np.sum(np.tanh(np.sum(W * x, axis=1)) ** 2)


@pytest.mark.parametrize("f", [layernorm, batchnorm, rows_of_sums])
def test_normalisation_layers_fold_their_helpers(f):
    # the count a mean divides by is a constant, an axis put back is an
    # indexing (np.expand_dims costs 1.5 us), a broadcast met by a full array
    # goes: layernorm's gradient is plain NumPy
    rng = np.random.default_rng(7)
    args = (rng.normal(size=(6, 4)), rng.normal(size=4), rng.normal(size=4))[:3 if f is not
                                                                              rows_of_sums else 2]
    for i in range(len(args)):
        src = check(f, args, wrt=i)
        assert "reduced_size" not in src and "expand_dims" not in src, src
    if f is layernorm:
        assert "broadcast_to" not in src and "unbroadcast" not in src and "as_array" not in src, src


def cosine(a, b):
    return np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))


def normalised(X):
    return np.sum(np.tanh(X / np.linalg.norm(X)))


@pytest.mark.parametrize("f,args", [
    (cosine, (np.array([0.3, -1.2, 0.5]), np.array([1.0, 0.4, -0.7]))),
    (normalised, (np.array([[0.3, -1.2], [0.5, 2.0]]),))])
def test_norm_of_a_whole_array_is_specialised(f, args):
    # np.linalg.norm's kind was unknown: the gradient was the general code,
    # checking the output at run time, with its norm helpers
    src = check(f, args)
    assert "norm_grad" not in src and "norm_expand" not in src and "_vjp" not in src, src
    zero = wengert.grad(normalised)(np.zeros((2, 2)))       # (0 / 0 in the function too)
    assert zero.shape == (2, 2)


def concatenated(x):
    y = np.concatenate((x[:1], 2.0 * x[1:]))
    z = np.stack([x, y])
    return np.sum(z ** 2)


def heat(u, k):
    for i in range(5):
        lap = u[:-2] - 2.0 * u[1:-1] + u[2:]
        u = np.concatenate((u[:1], u[1:-1] + k * lap, u[-1:]))
    return np.sum(u ** 2)


@pytest.mark.parametrize("f,args", [(concatenated, (np.arange(4.0),)),
                                    (heat, (np.linspace(0.0, 1.0, 9) ** 2, 0.1))])
def test_concatenate_and_stack_of_displays_have_kinds(f, args):
    # np.concatenate((a, b)) reads a tuple built just before: its kind was
    # unknown, and the whole gradient the general build checking its output
    src = check(f, args)
    assert f"def {f.__name__}_grad" in src, src            # (not ..._vjp)


def huber(w, X, y):
    r = X @ w - y
    a = np.abs(r)
    q = np.where(a <= 1.0, 0.5 * r * r, a - 0.5)
    return np.sum(q)


def test_adjoints_of_one_selection_are_one_where():
    # where(c, 0, A) + where(c, B, 0) + where(c, B, 0) is where(c, B + B, A); the
    # seed broadcast meets np.sign(r), whose kind is now known, and goes
    rng = np.random.default_rng(3)
    args = (rng.normal(size=3), rng.normal(size=(9, 3)), 2.0 * rng.normal(size=9))
    src = check(huber, args)
    assert src.count("np.where") == 1 and "broadcast_to" not in src, src


def polyfit(c, x, y):
    pred = np.zeros_like(x)
    for k in range(len(c)):
        pred = pred + c[k] * x ** k
    return np.mean((pred - y) ** 2)


def test_sum_of_a_product_of_two_arrays_is_a_dot():
    rng = np.random.default_rng(5)
    src = check(polyfit, (rng.normal(size=4), rng.normal(size=7), rng.normal(size=7)))
    assert "np.sum(" not in src and ("np.vdot(" in src or "einsum('a,a->'" in src), src
