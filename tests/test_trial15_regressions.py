"""Regressions found in the fifteenth session's work and trials."""

import math

import numpy as np
import pytest

import wengert
from finite import central_difference


def _maybe_double(x):
    if x > 0:
        return x * 2.0          # (nothing returned for x <= 0)


def uses_missing_return(x):
    return _maybe_double(x) * 3.0 + x


def handles_missing_return(x):
    r = _maybe_double(x)
    if r is None:
        r = 0.5
    return r * x


def own_placeholder(x):
    r = None
    if x > 1.0:
        r = math.sin(x)
    return r * x


def first_bound_in_loop(x):
    for i in range(3):
        y = x * math.cos(x + i)
    return y * y


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_none_from_a_helper_in_arithmetic_raises_as_python_does(mode, optimize):
    # the product is dead code in the gradient: it was skipped, and the
    # gradient of a value never computed (1.0) came back
    d = wengert.grad(uses_missing_return, mode=mode, optimize=optimize)
    with pytest.raises(TypeError, match="None"):
        d(-1.0)
    assert d(2.0) == pytest.approx(7.0)
    with pytest.raises(TypeError, match="None"):
        wengert.grad(own_placeholder, mode=mode, optimize=optimize)(0.5)
    with pytest.raises(TypeError, match="None"):
        wengert.value_and_grad(uses_missing_return, mode=mode, optimize=optimize)(-1.0)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_none_handled_by_the_caller_is_fine(mode):
    for f, x in ((handles_missing_return, -1.0), (handles_missing_return, 0.7),
                 (own_placeholder, 1.3), (first_bound_in_loop, 0.4)):
        g = wengert.grad(f, mode=mode)(x)
        assert g == pytest.approx(central_difference(f, x), rel=1e-6), f.__name__


def optional_default(x):
    r = None
    if x > 1:
        r = x * x
    if r is None:
        r = 2 * x
    return r


def best_so_far(x):
    best = None
    for i in range(3):
        v = (x - i) ** 2
        if best is None or v < best:
            best = v
    return best


def best_row(w):
    best = None
    for i in range(3):
        v = np.sum((w - i) ** 2)
        if best is None or v < best:
            best = v
    return best


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_is_none_of_a_name_assigned_none_is_not_folded(mode, optimize):
    # `r is None` was folded to False from the kind of r's other value: the
    # branch taken when r is None was dropped (a refusal, or None < float)
    for f, x in ((optional_default, 0.5), (optional_default, 2.0),
                 (best_so_far, 0.3), (best_so_far, 2.2), (handles_missing_return, -1.0)):
        value, g = wengert.value_and_grad(f, mode=mode, optimize=optimize)(x)
        assert value == pytest.approx(f(x)), f.__name__
        assert g == pytest.approx(central_difference(f, x), rel=1e-6), f.__name__
    w = np.array([0.4, 2.1])
    np.testing.assert_allclose(wengert.grad(best_row, mode=mode, optimize=optimize)(w),
                               central_difference(best_row, w), rtol=1e-6)


def test_the_check_is_only_where_a_none_may_reach():
    d = wengert.grad(first_bound_in_loop)
    d(0.4)
    assert "check_operand" not in d.source, d.source
    d = wengert.grad(best_so_far, mode="reverse")      # (v < best: where best is not None)
    d(0.3)
    assert "check_operand" not in d.source, d.source
    d = wengert.grad(uses_missing_return, mode="reverse")
    d(2.0)
    assert "check_operand" in d.source, d.source


def sqrt_of_float(x):
    return np.sqrt(x) * 2.0


@pytest.mark.parametrize("mode", ["auto", "reverse", "forward"])
def test_gradient_of_a_python_float_is_a_python_float(mode):
    # 0.5 / np.sqrt(x) is a NumPy float64 (it was taken for a float: the
    # gradient was not converted)
    g = wengert.grad(sqrt_of_float, mode=mode)(0.7)
    assert type(g) is float and g == pytest.approx(1.0 / np.sqrt(0.7))
    value, g = wengert.value_and_grad(sqrt_of_float, mode=mode)(0.7)
    assert type(value) is np.float64 and type(g) is float      # (the value is what f returns)


# --- trial 15a: the partials pass and derivatives as functools.partial objects


def pow_loop(y, b):
    for i in range(3):
        y = math.pow(b, y) + y * 0.5      # d/dy pow(b, y) = 0 at b = 0
    return y


def hypot_loop(x, c):
    for i in range(3):
        x = math.hypot(x, c) * 0.5 + x
    return x


def test_partials_never_run_a_guarded_branch_eagerly():
    # `a if cond else b` guards of the rules (log of a base of 0, division by a
    # norm of 0): a partial recorded from inside a branch ran unconditionally
    assert wengert.grad(pow_loop, mode="reverse")(0.5, 0.0) == pytest.approx(0.125)
    with np.errstate(all="ignore"):
        assert math.isnan(wengert.grad(hypot_loop, mode="reverse")(0.0, 0.0))
    g = wengert.grad(pow_loop, wrt=(0, 1), mode="reverse")(0.5, 2.0)
    fwd = wengert.grad(pow_loop, wrt=(0, 1), mode="forward")(0.5, 2.0)
    assert g == pytest.approx(fwd, rel=1e-12)


class _Model:
    def __init__(self, w):
        self.w = w

    def loss(self, x):
        """The model's loss."""
        return math.sin(self.w * x) * x

    @wengert.grad
    def dloss(self, x):
        """Its gradient."""
        return math.sin(self.w * x) * x


def _scaled(x, y=2.0):
    return math.sin(x) * y


def test_bound_derivatives_show_the_signature_they_are_called_with():
    import inspect
    m = _Model(1.5)
    assert str(inspect.signature(wengert.grad(m.loss))) == "(x)"
    assert str(inspect.signature(m.dloss)) == "(x)"
    assert m.dloss == m.dloss and hash(m.dloss) == hash(m.dloss)
    assert m.dloss != _Model(1.5).dloss
    assert "Its gradient." in (m.dloss.__doc__ or "")
    import functools
    g = wengert.grad(functools.partial(_scaled, y=3.0))
    assert "y=3.0" in str(inspect.signature(g))


def test_bound_derivatives_can_be_called_inside_a_differentiated_function():
    import functools
    m = _Model(1.5)
    g_method = wengert.grad(m.loss)
    g_partial = wengert.grad(functools.partial(_scaled, y=3.0))

    def uses_method(x):
        return g_method(x) * x

    def uses_partial(x):
        return g_partial(x) * x
    for f in (uses_method, uses_partial):
        for mode in ("reverse", "forward"):
            assert wengert.grad(f, mode=mode)(0.5) == pytest.approx(
                central_difference(f, 0.5), rel=1e-6)


def test_derivatives_copy_as_themselves():
    import copy
    import pickle
    d = wengert.grad(_scaled)
    assert copy.copy(d) is d and copy.deepcopy(d) is d
    held = {"grad": d, "values": [1.0]}
    assert copy.deepcopy(held)["grad"] is d
    with pytest.raises(TypeError, match="cannot pickle"):
        pickle.dumps(d)


# --- trial 15c: None semantics


NOTHING = None


def copies_a_global_none(x):
    s = NOTHING
    if x > 2.0:
        s = 2.0
    if s is not None:
        return x * x * 5.0
    return x * x


def _scale(x, w):
    if w is None:
        return x * x
    return x * 3.0


def passes_a_maybe_none(x):
    w = None
    total = 0.0
    for k in range(2):
        total = total + _scale(x, w)      # k = 0: x * x (w None); k = 1: 3x
        w = x
    return total


def _rscale(x, w, n):
    if n > 0:
        return _rscale(x, w, n - 1)
    if w is None:
        return x * x
    return x * 3.0


def passes_a_maybe_none_to_a_recursive_helper(x):
    w = None
    total = 0.0
    for k in range(2):
        total = total + _rscale(x, w, 1)
        w = x
    return total


def _maybe(x):
    if x > 1.0:
        return x * 2.0
    return None


def returns_a_helpers_none(x):
    return _maybe(x)


def argmin_then_scale(x):
    best = None
    for i in range(3):
        v = (x - i) ** 2
        if best is None or v < best:
            best = v
    return best * x


def optional_weight(x, w=None):
    y = x * x
    if w is not None:
        y = y * w
    return y


def dead_min_of_none(x):
    r = _maybe(x)
    cap = min(r, 2.0)         # (unused: Python raises all the same)
    return x * x


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_none_copied_or_passed_keeps_its_meaning(mode, optimize):
    for f, x, want in ((copies_a_global_none, 1.0, (1.0, 2.0)),
                       (passes_a_maybe_none, 0.7, (0.7 * 0.7 + 2.1, 4.4)),
                       (passes_a_maybe_none_to_a_recursive_helper, 0.7, (0.7 * 0.7 + 2.1, 4.4))):
        value, g = wengert.value_and_grad(f, mode=mode, optimize=optimize)(x)
        assert (value, g) == pytest.approx(want), f.__name__
    with pytest.raises(wengert.UsageError, match="returned None"):
        wengert.grad(returns_a_helpers_none, mode=mode, optimize=optimize)(0.7)
    with pytest.raises(TypeError):
        wengert.grad(dead_min_of_none, mode=mode, optimize=optimize)(0.5)


def test_second_derivatives_through_a_checked_none():
    # check_operand in a gradient differentiated again was refused as an
    # expression statement
    h = wengert.hessian(argmin_then_scale)(0.3)
    g = wengert.grad(argmin_then_scale)
    assert h == pytest.approx(central_difference(g, 0.3), rel=1e-5)
    assert wengert.grad(wengert.grad(argmin_then_scale))(0.3) == pytest.approx(h)


def test_jacfwd_with_an_omitted_optional_argument():
    assert wengert.jacfwd(optional_weight)(2.0) == pytest.approx(4.0)
    np.testing.assert_allclose(wengert.jacfwd(optional_weight)(np.array([1.0, 2.0])),
                               np.diag([2.0, 4.0]))


# --- trial 15b: generated code on Python floats


def abs_and_square(x):
    return abs(x) * 3.0 + x ** 2


@pytest.mark.parametrize("mode", ["auto", "reverse"])
def test_float_code_has_no_numpy_sign_and_squares_by_product(mode):
    d = wengert.grad(abs_and_square, mode=mode)
    for x in (0.7, -0.7, 0.0, -0.0):
        want = 3.0 * np.sign(x) + 2.0 * x
        got = d(x)
        assert got == want and type(got) is float, x
    assert math.isnan(d(float("nan")))
    assert "np.sign" not in d.source and "** 2" not in d.source, d.source
    assert wengert.grad(abs_and_square, mode=mode)(np.float64(-0.7)) == pytest.approx(-4.4)


def _unpacked_exp(p):
    a, b = p
    return np.exp(a) * b


def _dict_square(p):
    return p["a"] * p["c"] ** 2


def _tuple_cube(p):
    a, b = p
    return a * a * b


def test_container_items_gradients_have_the_items_types():
    # docs/api.md "Containers": each item's gradient has the item's type (an
    # int's a float); unpacked lists, int items and vjp's cotangent paths did not
    for mode in ("reverse", "forward"):
        g = wengert.grad(_unpacked_exp, mode=mode)([np.array(1.3), 2])
        assert type(g[0]) is np.ndarray and g[0].shape == () and type(g[1]) is float, g
        g = wengert.grad(_dict_square, mode=mode)({"a": np.float32(1.3), "c": 2})
        assert type(g["a"]) is np.float32 and type(g["c"]) is float, g
    _, pullback = wengert.vjp(_tuple_cube, (1.3, np.float32(2.0)))
    (g,) = pullback(1.0)
    assert type(g[0]) is float and type(g[1]) is np.float32, g
    _, pullback = wengert.vjp(_tuple_cube, [np.float32(1.3), 2.0])
    (g,) = pullback(1.0)
    assert type(g[0]) is np.float32 and type(g[1]) is float, g


def _loglik(mu, sigma):
    data = [0.3, -1.2, 2.1, 0.7]
    ll = 0.0
    for d in data:
        z = (d - mu) / sigma
        ll = ll - 0.5 * z * z - math.log(sigma)
    return ll


def _shadows_len(x, len=3):
    total = 0.0
    for d in [1.0, 2.0]:
        total = total + d * x * len
    return total


def test_builtins_lowering_uses_are_spelled_by_their_names():
    d = wengert.grad(_loglik, wrt=(0, 1))
    d(0.2, 1.3)
    assert "__wengert_builtin" not in d.source and "range(len(data))" in d.source, d.source
    g = wengert.grad(_shadows_len)                # (a local `len`: the builtin renamed)
    assert g(0.5) == pytest.approx(9.0)
    assert "__wengert_builtin" not in g.source, g.source


# --- trial 15d: the rewrites on floats


WS = [1.0, 2.0, 3.0, 4.0]


def _isqrt_index(x, n):
    return x * WS[math.isqrt(n) - 1] * x


def _lcm_difference(x, k):
    j = math.lcm(k, 1)
    return x * ((j + 1) - j)


def _users_sign(x):
    return np.sign(x).item() * x + 1.0 / (np.sign(x) + 1.0) * 0.0


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_integer_math_results_stay_integers(mode):
    # math.isqrt / lcm / prod return ints: their constants were made floats
    assert wengert.grad(_isqrt_index, mode=mode)(1.5, 9) == pytest.approx(9.0)
    assert wengert.grad(_lcm_difference, mode=mode)(1.5, 10 ** 17) == 1.0


def test_the_users_own_sign_is_left_alone():
    # only the derivative of abs is rewritten on floats; np.sign written by the
    # user stays a NumPy float64 (its .item(), its division by zero)
    with np.errstate(divide="ignore"):
        assert wengert.grad(_users_sign, mode="reverse")(0.5) == pytest.approx(1.0)
        assert wengert.grad(_users_sign, mode="reverse")(-0.5) == pytest.approx(-1.0)


# --- trial 15e: merged selections, displays


def _bool_arms(x):
    c = x > 0
    m = np.where(c, True, False) + np.where(c, True, True)    # bool + bool: or
    return np.sum(m * x)


def _list_arms(x):
    c = x > 0
    return np.sum((np.where(c, [1.0, 2.0], 0.0) + np.where(c, [3.0, 4.0], 0.0)) * x)


def _concatenated_list(ps):
    return np.sum(np.concatenate(ps) ** 2) + np.sum(np.stack(ps) * 0.5)


def test_selections_are_merged_in_adjoints_only():
    # np.where(c, p, q) + np.where(c, r, s) merged in the user's own code added
    # bool arms as ints and joined list arms
    x = np.array([-1.3, -0.2, 0.4, 1.7, 2.5])
    for f in (_bool_arms, _list_arms):
        value, g = wengert.value_and_grad(f)(x if f is _bool_arms else x[:2])
        assert value == pytest.approx(f(x if f is _bool_arms else x[:2])), f.__name__
    np.testing.assert_allclose(wengert.grad(_bool_arms)(x), np.ones(5))
    np.testing.assert_allclose(wengert.grad(_list_arms)(np.array([-0.5, 0.5])), [0.0, 6.0])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_gradient_of_a_list_of_arrays_is_a_list(mode):
    ps = [np.array([1.0, 2.0]), np.array([3.0, -1.0])]
    g = wengert.grad(_concatenated_list, mode=mode)(ps)
    assert type(g) is list
    np.testing.assert_allclose(g[0], 2 * ps[0] + 0.5)
