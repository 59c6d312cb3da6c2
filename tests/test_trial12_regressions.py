"""What the twelfth session's new-user trials found (simulation, JAX-style,
Monte Carlo, robotics and syntax-variety programs): each fixed, pinned here."""

import functools

import numpy as np
import pytest

import wengert

from test_nondiff_audit import central_difference

MODES = [dict(mode="reverse"), dict(mode="forward"), dict(mode="reverse", optimize=False),
         dict(mode="forward", optimize=False)]
IDS = ["reverse", "forward", "reverse-noopt", "forward-noopt"]


def len(seq):                 # noqa: A001 -- a module's own `len`, never called by f
    return 1


def loop_over_a_list(x):
    ys = [x, 2.0 * x, 3.0 * x]
    t = 0.0
    for v in ys:              # (lowered as a loop over range(len(ys)): Python's len)
        t = t + v * v
    return t


def local_range(x):
    range = [x, 2.0 * x]      # noqa: A001
    t = 0.0
    for r in range:
        t += r
    return t


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_loops_lowering_writes_use_python_s_builtins(kw):
    assert wengert.grad(loop_over_a_list, **kw)(0.7) == pytest.approx(28 * 0.7)
    assert wengert.grad(local_range, **kw)(0.7) == pytest.approx(3.0)


P = np.array([[1.0, 2.0], [-0.3, 0.1]])


def rows_of_module_data(q):
    tot = 0.0
    for i in range(2):
        tot = tot + np.sum(q * P[i]) ** 2
    return tot


def test_second_derivatives_of_a_loop_over_module_data():
    q = np.array([0.9, 0.1])
    np.testing.assert_allclose(wengert.hessian(rows_of_module_data)(q), 2 * P.T @ P)
    np.testing.assert_allclose(wengert.hvp(rows_of_module_data)(q, np.array([1.0, 0.0])),
                               2 * P.T @ P[:, 0])


def scaled(t, k=2.0):
    return k * t ** 2


def calls_scaled(x):
    return scaled(x)


def test_a_helper_s_defaults_replaced_rebuild_the_derivative():
    assert wengert.grad(calls_scaled)(1.0) == pytest.approx(4.0)
    old = scaled.__defaults__
    try:
        scaled.__defaults__ = (5.0,)
        assert wengert.grad(calls_scaled)(1.0) == pytest.approx(10.0)
    finally:
        scaled.__defaults__ = old
    assert wengert.grad(calls_scaled)(1.0) == pytest.approx(4.0)


def list_of_tuples(x):
    ps = [(x, 2 * x), (3.0, 4.0)]
    return ps[1][0] * x + ps[0][1]


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_a_constant_tuple_in_a_list_of_tuples(kw):
    assert wengert.grad(list_of_tuples, **kw)(0.7) == pytest.approx(5.0)


def homogeneous(x):
    T = np.eye(4)
    T[0, 3] = x[0]
    R = np.ones((2, 2))
    R[1, 1] = x[1]
    return np.sum(T @ T) + np.sum(R * R)


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_arrays_numpy_makes_may_be_assigned_into(kw):
    x = np.array([0.3, 0.7])
    np.testing.assert_allclose(wengert.grad(homogeneous, **kw)(x),
                               central_difference(homogeneous, [x], 0), rtol=1e-6)


def test_check_grad_of_order_two_with_its_default_seed():
    wengert.check_grad(lambda th: np.sin(th) ** 2, 0.3, order=2)


def cross_of_two_vectors(a, b):
    return np.cross(a, b) ** 2


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_cross_of_two_vectors_is_refused_with_the_scalar_to_write(mode):
    with pytest.raises(wengert.NoRuleError, match="np.cross of vectors of length 2"):
        wengert.grad(cross_of_two_vectors, mode=mode)(np.array([1.0, 2.0]), np.array([0.5, 3.0]))


@functools.lru_cache(maxsize=16)
def cached_square(x):
    return 3.0 * x * x


def calls_a_cached_helper(x):
    return cached_square(x) + x


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_a_helper_under_lru_cache_is_differentiated_as_its_function(kw):
    assert wengert.grad(calls_a_cached_helper, **kw)(0.7) == pytest.approx(6 * 0.7 + 1)


def reads_a_later_variable(x):
    def rot(t):
        return np.array([np.cos(t * gain), np.sin(t * gain)])
    gain = 1.0 + x[1]
    return np.sum(rot(x[0]))


def test_a_nested_function_reading_a_variable_assigned_after_it_says_so():
    with pytest.raises(wengert.UnsupportedSyntaxError,
                       match="`rot` reads `gain`, which this function assigns only after"):
        wengert.grad(reads_a_later_variable)(np.array([0.3, 0.2]))
