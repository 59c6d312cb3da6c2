"""Regressions from issue #8: a gradient has the type of its input.

Reverse mode once returned a Python int as the gradient of a float: in
``s = 1 if x > 0 else x; return s * x`` the adjoint ``1.0 * s`` was folded to
``s``, an int on one branch. The identities keep values, not types, so the
gradient's kind is now checked on the final code (``reverse.typed_gradients``)
and converted where it is not provably its input's. Forward mode converts the
tangents it assembles into a gradient (``api._typed_like``).
"""

import math

import numpy as np
import pytest

import wengert


def branch_to_int_constant(x):          # the issue's example
    s = 1 if x > 0 else x
    return s * x


def three_x(x):
    return 3 * x


def times_zero(x):
    return x * 0


def identity(x):
    return x


def constant(x):
    return 1.0


def branch_constants(x):
    if x > 0:
        y = 2
    else:
        y = 3
    return y * x


def int_of_x_times_x(x):
    return int(x) * x


def loop_sum_of_ints(x):
    k = 0
    for i in range(3):
        k = k + i
    return k * x


def bool_times_x(x):
    return True * x


def x_minus_x(x):
    return x - x


def numpy_sin(x):
    return np.sin(x)


def loop_with_numpy_sin(a):        # the tangent sweep (auto mode) on a NumPy float64
    x = 1.0
    for _ in range(3):
        x = x * a + np.sin(x)
    return x


def global_scale(x):
    return np.float64(2.0) * x


SCALAR_FUNCTIONS = [branch_to_int_constant, three_x, times_zero, identity, constant,
                    branch_constants, int_of_x_times_x, loop_sum_of_ints, bool_times_x,
                    x_minus_x, numpy_sin, loop_with_numpy_sin, global_scale]

SCALAR_INPUTS = {
    "float": lambda v: v,
    "np.float64": np.float64,
    "np.float32": np.float32,
    "0-d float64": lambda v: np.array(v),
    "0-d float32": lambda v: np.array(v, dtype=np.float32),
}


def assert_typed_like(g, x):
    """The contract: a Python float's gradient is a float (never an int or a
    bool), a NumPy scalar's a scalar of its type, an ndarray's an ndarray of
    its dtype and shape."""
    if type(x) is float:
        assert type(g) is float, type(g)
    elif isinstance(x, np.generic):
        assert type(g) is type(x), (type(g), type(x))
    else:
        assert type(g) is np.ndarray, type(g)
        assert g.dtype == x.dtype and g.shape == x.shape, (g.dtype, g.shape)


def central_difference(f, x, h=1e-6):
    v = float(x)
    return (f(v + h) - f(v - h)) / (2 * h)


@pytest.mark.parametrize("mode", ["reverse", "forward", "auto"])
@pytest.mark.parametrize("make", list(SCALAR_INPUTS.values()), ids=list(SCALAR_INPUTS))
@pytest.mark.parametrize("f", SCALAR_FUNCTIONS, ids=[f.__name__ for f in SCALAR_FUNCTIONS])
def test_gradient_has_the_type_of_its_input(f, make, mode):
    for v in (0.7, -0.4):
        x = make(v)
        g = wengert.grad(f, mode=mode)(x)
        assert_typed_like(g, x)
        tol = 1e-3 if getattr(x, "dtype", None) == np.float32 else 1e-6
        assert math.isclose(float(g), central_difference(f, v), rel_tol=tol, abs_tol=tol)


def test_issue_8_reverse_gradient_of_a_float_is_not_an_int():
    grad = wengert.grad(branch_to_int_constant)
    g = grad(0.7)
    assert type(g) is float and g == 1.0
    assert "return float(x_bar)" in grad.source          # converted on return
    assert type(wengert.grad(branch_to_int_constant, mode="forward")(0.7)) is float


def test_bool_and_int_adjoints_become_floats():
    assert type(wengert.grad(bool_times_x)(0.5)) is float
    assert type(wengert.grad(int_of_x_times_x)(2.5)) is float
    assert type(wengert.grad(branch_constants)(-1.0)) is float


def square_plus_two_x(x):
    return x * x + 2.0 * x


def test_no_conversion_where_the_gradient_is_already_a_float():
    grad = wengert.grad(square_plus_two_x)
    assert type(grad(1.5)) is float
    assert "float(" not in grad.source, grad.source
    grad32 = wengert.grad(square_plus_two_x)
    assert type(grad32(np.float32(1.5))) is np.float32
    assert "as_scalar" not in grad32.source, grad32.source


W32 = np.array([0.5, -1.0, 2.0], dtype=np.float32)
W64 = np.array([0.5, -1.0, 2.0])
COUNTS = np.arange(3)


def weighted_by_float64(x):
    return np.sum(x * W64)


def weighted_by_ints(x):
    return np.sum(x * COUNTS)


def sum_of_three_x(x):
    return np.sum(3 * x)


def constant_of_array(x):
    return 1.0


def first_times_two(x):
    return x[0] * 2


ARRAY_FUNCTIONS = [weighted_by_float64, weighted_by_ints, sum_of_three_x, constant_of_array,
                   first_times_two]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("f", ARRAY_FUNCTIONS, ids=[f.__name__ for f in ARRAY_FUNCTIONS])
def test_array_gradient_has_the_dtype_of_its_input(f, dtype, mode):
    x = np.array([0.3, -0.2, 0.9], dtype=dtype)
    g = wengert.grad(f, mode=mode)(x)
    assert_typed_like(g, x)
    expected = np.zeros(3)
    for i in range(3):
        e = np.zeros(3)
        e[i] = 1e-6
        expected[i] = (f(x.astype(np.float64) + e) - f(x.astype(np.float64) - e)) / 2e-6
    tol = 4e-3 if dtype == np.float16 else 1e-4
    np.testing.assert_allclose(g, expected, rtol=tol, atol=tol)


def half_x_plus_square(x):
    return np.sum(x * 0.5 + x * x * 0.25)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("make", [np.int64, np.int32, np.uint8, int,
                                  lambda v: np.array(v), lambda v: np.array([v])],
                         ids=["np.int64", "np.int32", "np.uint8", "int", "0-d int", "int array"])
def test_integer_inputs_are_differentiated_as_float64(make, mode):
    """An integer input is promoted to float64 (docs/subset.md): the forward
    tangent seeded into np.int64(3) was an integer, and the gradient of
    x * 0.5 came back np.int64(0) -- silently wrong. Called twice: the
    dispatcher's own guard path converts too."""
    x = make(3)
    d = wengert.grad(half_x_plus_square, mode=mode)
    for _ in range(2):
        g = d(x)
        assert np.asarray(g).dtype == np.float64, type(g)
        assert float(np.sum(g)) == 2.0
    value, g = wengert.value_and_grad(half_x_plus_square, mode=mode)(x)
    assert float(value) == 3.75 and float(np.sum(g)) == 2.0


def test_several_gradients_each_typed_like_its_input():
    def f(x, y):
        return 2 * x * y
    gx, gy = wengert.grad(f, wrt=(0, 1))(1.0, np.float32(2.0))
    assert type(gx) is float and type(gy) is np.float32
    value, (gx, gy) = wengert.value_and_grad(f, wrt=(0, 1))(1.0, np.float32(2.0))
    assert type(gx) is float and type(gy) is np.float32
    _, pullback = wengert.vjp(f, 1.0, np.float32(2.0))
    gx, gy = pullback(1.0)
    assert type(gx) is float and type(gy) is np.float32


def test_second_order_through_the_conversions():
    # the inner gradients convert (as_scalar, as_array), and are differentiated again
    for x in (np.float32(-0.5), np.array(-0.5)):
        gg = wengert.grad(wengert.grad(branch_to_int_constant))(x)
        assert math.isclose(float(gg), 2.0, rel_tol=1e-6)
        assert_typed_like(gg, x)


W_SHARED = np.array([1.0, 2.0, 3.0])


def dot_with_module_data(x):
    return np.sum(x * W_SHARED)


def dot_of_inputs(x, y):
    return np.sum(x * y)


def row_of_module_data(x):
    return np.sum(x * W_SHARED.reshape(1, 3)[0])


def scaled_square(x):
    return np.sum(x * x) * 0.5          # its gradient is x itself


def sum_of_sines(x):
    return np.sum(np.sin(x))


@pytest.mark.parametrize("optimize", [True, False])
def test_a_gradient_is_never_the_callers_own_array(optimize):
    """The adjoint of np.sum(x * W) is W itself, of np.sum(x * y) with respect
    to x the input y: returned as they are, `g *= lr` in the caller would
    change W or y. A gradient is the caller's own array in both modes, through
    grad, value_and_grad and vjp."""
    x, y = np.array([0.1, 0.2, 0.3]), np.array([4.0, 5.0, 6.0])
    for mode in ("reverse", "forward"):
        for f in (dot_with_module_data, row_of_module_data):
            for _ in range(2):                       # built, then the cached path
                g = wengert.grad(f, mode=mode, optimize=optimize)(x)
                np.testing.assert_array_equal(g, W_SHARED)
                assert not np.shares_memory(g, W_SHARED), (f.__name__, mode)
        gx, gy = wengert.grad(dot_of_inputs, wrt=(0, 1), mode=mode, optimize=optimize)(x, y)
        np.testing.assert_array_equal(gx, y)
        assert not np.shares_memory(gx, y) and not np.shares_memory(gy, x), mode
        value, g = wengert.value_and_grad(dot_with_module_data, mode=mode)(x)
        assert not np.shares_memory(g, W_SHARED), mode
    _, pullback = wengert.vjp(lambda_free_identity, x)
    cotangent = np.array([1.0, 2.0, 3.0])
    (g,) = pullback(cotangent)
    np.testing.assert_array_equal(g, cotangent)
    assert not np.shares_memory(g, cotangent)
    assert W_SHARED.tolist() == [1.0, 2.0, 3.0]


def lambda_free_identity(x):
    return x


def test_a_gradient_computed_afresh_is_not_copied():
    grad = wengert.grad(sum_of_sines)
    grad(np.array([1.0, 2.0]))
    assert "copy_of" not in grad.source, grad.source
    x = np.array([1.0, 2.0])
    assert not np.shares_memory(wengert.grad(scaled_square)(x), x)
    grad = wengert.grad(dot_with_module_data)
    grad(np.array([1.0, 2.0, 3.0]))
    assert "copy_of(" in grad.source, grad.source


def linear_by_keyword(x):
    y = np.cumsum(a=x, axis=0)
    return np.sum(a=y ** 2) + np.sum(a=x * x)


def test_a_linear_function_given_its_argument_by_keyword_is_not_zero():
    """The simplifier took ``np.sum(a=...)`` (a linear function whose linear
    argument came by keyword) for a call with no derivative-carrying
    argument, hence zero: reverse mode's value was 0.0 (found while adding
    the trapezoid rule, whose helper was called that way)."""
    x = np.array([1.0, 2.0, 3.0])
    want = np.array([2 * (1 + 3 + 6) + 2, 2 * (3 + 6) + 4, 2 * 6 + 6])
    for mode in ("reverse", "forward"):
        for optimize in (True, False):
            value, g = wengert.value_and_grad(linear_by_keyword, mode=mode,
                                              optimize=optimize)(x)
            assert value == pytest.approx(linear_by_keyword(x)), (mode, optimize)
            np.testing.assert_allclose(g, want)


def nuclear_norm(a):
    return np.sum(np.linalg.svd(a, compute_uv=False))


def top_singular_value(a):
    return np.linalg.svd(a @ a.T, full_matrices=False, compute_uv=False)[0]


@pytest.mark.skipif(not hasattr(np.linalg, "svdvals"), reason="np.linalg.svdvals is NumPy 2")
def test_singular_values_alone_by_svd_with_compute_uv_false():
    """``np.linalg.svd(a, compute_uv=False)`` was refused (its rule covers the
    factorisation); it is read as ``np.linalg.svdvals(a)``, the same values.
    Nuclear norm gradient: U Vᵀ; a top singular value's: u1 v1ᵀ (of a @ a.T)."""
    a = np.array([[2.0, 0.5, -1.0], [0.3, 1.5, 0.2], [-0.7, 0.1, 1.1]])
    u, _, vt = np.linalg.svd(a)
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(wengert.grad(nuclear_norm, mode=mode)(a), u @ vt,
                                   rtol=1e-8, atol=1e-10)
        g = wengert.grad(top_singular_value, mode=mode)(a)
        h = 1e-6
        want = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            e = np.zeros_like(a)
            e[i] = h
            want[i] = (top_singular_value(a + e) - top_singular_value(a - e)) / (2 * h)
        np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-7)


def valid_convolution(w, x):
    out = np.zeros(len(x) - len(w) + 1)
    for i in range(len(out)):
        out[i] = np.dot(w, x[i:i + len(w)])
    return np.sum(np.tanh(out))


def sizes_from_lengths(x):
    n = len(x) // 2
    halves = x.reshape(n, -1)
    weights = np.linspace(0.0, 1.0, n)
    acc = np.ones(n + 1)
    for i in range(len(acc) - 1):
        acc[i + 1] = acc[i] * np.cos(halves[i, 0]) + weights[i] * halves[i, 1]
    return np.sum(acc ** 2)


@pytest.mark.parametrize("f, sizes", [(valid_convolution, ((3,), (9,))),
                                      (sizes_from_lengths, ((8,),))])
def test_a_shape_computed_from_lengths_is_not_made_up(f, sizes):
    """Silently wrong (both modes): the first kind inference took an int it did
    not know the value of as 1, so ``np.zeros(len(x) - len(w) + 1)`` had shape
    (1,), specialisation folded ``range(len(out))`` to ``range(1)`` and the
    gradient summed one window of the convolution. An int of unknown value now
    gives no kind, and sizes folded to constants are inferred again."""
    rng = np.random.default_rng(7)
    args = [rng.normal(size=s) for s in sizes]
    h = 1e-6
    want = np.zeros_like(args[0])
    for i in range(args[0].size):
        e = np.zeros_like(args[0])
        e[i] = h
        want[i] = (f(args[0] + e, *args[1:]) - f(args[0] - e, *args[1:])) / (2 * h)
    for mode in ("reverse", "forward"):
        for optimize in (True, False):
            g = wengert.grad(f, mode=mode, optimize=optimize)(*args)
            np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-8)
    d = wengert.grad(f)
    d(*args)
    assert "range(1)" not in d.source


def buffer_of_an_int_argument(x, n):
    y = np.zeros(n)
    for i in range(len(y)):
        y[i] = x[i % len(x)] * (i + 1)
    return np.sum(y ** 2)


def test_an_array_sized_by_an_int_argument():
    """The same made-up size with the int an argument: ``np.zeros(n)`` was
    taken for shape (1,), and the gradient was [1, 0, 0] for n = 5."""
    x = np.array([0.5, -1.0, 2.0])
    for n, want in ((5, [2 * 0.5 * (1 + 16), 2 * -1.0 * (4 + 25), 2 * 2.0 * 9]),
                    (2, [2 * 0.5, 2 * -1.0 * 4, 0.0])):
        for mode in ("reverse", "forward"):
            np.testing.assert_allclose(wengert.grad(buffer_of_an_int_argument, mode=mode)(x, n),
                                       want, rtol=1e-12)


def float32_cast(x):
    return np.float32(x) ** 2 * 3.0


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("x", [0.7, np.array([0.3, -1.2])], ids=["float", "array"])
def test_a_cast_to_float32(mode, x):
    # (steps of 1e-3: a float32 rounds what steps of 1e-6 would see)
    g = wengert.grad(lambda v: np.sum(float32_cast(v)), mode=mode)(x)
    h = 1e-3
    if np.ndim(x):
        fd = np.array([(np.sum(float32_cast(x + e)) - np.sum(float32_cast(x - e))) / (2 * h)
                       for e in np.eye(len(x)) * h])
    else:
        fd = (float32_cast(x + h) - float32_cast(x - h)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-3)
    np.testing.assert_allclose(g, 6.0 * np.asarray(x), rtol=1e-6)


def pair_energy(x):
    D = np.outer(x, x)
    i, j = np.triu_indices_from(D, k=1)
    return np.sum(D[i, j] ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_index_functions_of_an_array_are_not_differentiated(mode):
    """np.triu_indices_from and its kin give indices: forward mode refused
    them ("source not available") until they were declared."""
    x = np.array([0.3, -0.7, 1.2])
    h = 1e-6
    fd = np.array([(pair_energy(x + h * e) - pair_energy(x - h * e)) / (2 * h)
                   for e in np.eye(3)])
    np.testing.assert_allclose(wengert.grad(pair_energy, mode=mode)(x), fd, rtol=1e-6)
