"""Loops over dicts iterate their keys, as Python does (``runtime.iterated``,
folded to constant keys where the build knows the dict:
``specialize.fold_iterations``), and ``.keys()``, ``.values()`` and
``.items()`` loop over the dict's keys and read its items at them. Functions
passed as arguments are called where the function calls the parameter."""

import functools
import math
import sys

import numpy as np
import pytest

import wengert

from test_methods import central

MODES = ["auto", "reverse", "forward"]


def keys_of_a_display(x):
    s = 0.0
    for k in {0: 5.0, 2: 1.0}:
        s = s + k * x
    return s


def polynomial(x):
    coefficients = {0: 1.0, 1: 2.0, 2: 1.0}
    s = 0.0
    for k in coefficients:
        s = s + coefficients[k] * x ** k
    return s


@pytest.mark.parametrize("mode", MODES)
def test_a_dict_display_iterates_its_keys(mode):
    assert wengert.value_and_grad(keys_of_a_display, mode=mode)(3.0) == (6.0, 2.0)
    assert wengert.value_and_grad(polynomial, mode=mode)(3.0) == (16.0, 8.0)


def weighted(params, x):
    total = 0.0
    for k in params:
        total = total + params[k] * x
    return total


def by_values(params, x):
    return sum(v * x for v in params.values())


def by_items(params, x):
    total = 0.0
    for name, v in params.items():
        total = total + v * x * len(name)
    return total


def by_keys(params, x):
    total = 0.0
    for k in params.keys():
        total = total + params[k] * params[k] * x
    return total


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, dx, dparams", [
    (weighted, 3.5, {"a": 3.0, "bb": 3.0}),
    (by_values, 3.5, {"a": 3.0, "bb": 3.0}),
    (by_items, 1.5 + 4.0, {"a": 3.0, "bb": 6.0}),
    (by_keys, 1.5 ** 2 + 4.0, {"a": 9.0, "bb": 12.0}),
])
def test_a_dict_argument(mode, f, dx, dparams):
    params = {"a": 1.5, "bb": 2.0}
    got = wengert.grad(f, wrt=(0, 1), mode=mode)(params, 3.0)
    assert got[1] == pytest.approx(dx, rel=1e-12)
    assert got[0].keys() == dparams.keys()
    for k in dparams:
        assert got[0][k] == pytest.approx(dparams[k], rel=1e-12)


def first_scaled(params, x):
    xs = [params[k] * x for k in params]
    return xs[0] * 2.0


def test_the_order_of_the_keys_counts():
    g = wengert.grad(first_scaled, wrt=0)
    assert g({"a": 1.5, "b": 2.0}, 3.0) == {"a": 6.0, "b": 0.0}
    assert g({"b": 2.0, "a": 1.5}, 3.0) == {"b": 6.0, "a": 0.0}   # the first key is b
    assert g({"a": 1.5, "b": 2.0}, 3.0) == {"a": 6.0, "b": 0.0}


def config_loop(x, config):
    s = x
    for name in config:                 # a dict of non-float values: keys at run time
        s = s * config[name]["scale"]
    return np.sum(s)


@pytest.mark.parametrize("mode", MODES)
def test_a_dict_read_at_run_time(mode):
    config = {"first": {"scale": 2.0, "tag": "a"}, "second": {"scale": 3.0, "tag": "b"}}
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(wengert.grad(config_loop, mode=mode)(x, config), [6.0, 6.0])


def over_arrays(xs):
    s = 0.0
    for x in xs:
        s = s + np.sum(np.sin(x))
    return s


def test_loops_over_lists_and_arrays_read_them_directly():
    xs = [np.array([0.1, 0.2]), np.array([0.3])]
    g = wengert.grad(over_arrays)
    got = g(xs)
    for a, b in zip(got, xs):
        np.testing.assert_allclose(a, np.cos(b))
    assert "iterated" not in g.source
    a = np.array([[0.1, 0.2], [0.3, 0.4]])
    np.testing.assert_allclose(g(a), np.cos(a))


# -- functions passed as arguments ------------------------------------------

def logistic(y, r=1.5):
    return r * y * (1.0 - y)


def decay(y):
    return -0.7 * y


def euler(rhs, y0, h, n):
    y = y0
    for _ in range(n):
        y = y + h * rhs(y)
    return y


def squared_end(rhs, y0):
    return euler(rhs, y0, 0.05, 20) ** 2


def energy(f, x):
    return np.sum(f(x) ** 2)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("rhs", [logistic, decay])
def test_an_ode_solver_given_its_right_hand_side(mode, rhs):
    g = wengert.grad(euler, wrt=1, mode=mode)
    expected = central(lambda y: euler(rhs, y, 0.1, 10), np.array(0.2))
    assert g(rhs, 0.2, 0.1, 10) == pytest.approx(float(expected), rel=1e-7)
    assert g(rhs, 0.2, 0.1, 10) == pytest.approx(float(expected), rel=1e-7)   # cached


def test_each_function_gets_its_own_code():
    def solve(rhs, y0):              # a new function: a derivative of its own
        return euler(rhs, y0, 0.1, 10)
    g = wengert.grad(solve, wrt=1)
    a, b = g(logistic, 0.2), g(decay, 0.2)
    assert "rhs: the function decay" in g.source     # (the code built last)
    assert a != b
    assert g(logistic, 0.2) == a
    assert len(g._keys) == 2


def test_passed_on_to_a_helper_and_partials():
    g = wengert.grad(squared_end, wrt=1)
    expected = central(lambda y: squared_end(decay, y), np.array(1.0))
    assert g(decay, 1.0) == pytest.approx(float(expected), rel=1e-7)
    p = functools.partial(euler, logistic, h=0.1, n=10)
    assert wengert.grad(p)(0.2) == pytest.approx(
        float(central(lambda y: euler(logistic, y, 0.1, 10), np.array(0.2))), rel=1e-7)


@pytest.mark.parametrize("f", [np.sin, np.tanh, np.exp])
def test_a_numpy_function(f):
    x = np.array([0.3, 0.5])
    np.testing.assert_allclose(wengert.grad(energy, wrt=1)(f, x),
                               central(lambda x: energy(f, x), x), rtol=1e-6)


def test_second_derivative_through_the_function():
    h = wengert.grad(wengert.grad(euler, wrt=1), wrt=1)(logistic, 0.2, 0.1, 10)
    g = wengert.grad(euler, wrt=1)
    expected = central(lambda y: g(logistic, float(y), 0.1, 10), np.array(0.2))
    assert h == pytest.approx(float(expected), rel=1e-6)


def calls_a_local_function_variable(x):
    f = np.sin
    return f(x)


def calls_one_of_two(x, c):
    f = np.sin if c else np.cos
    return f(x)


@pytest.mark.parametrize("mode", MODES)
def test_a_local_bound_once_to_a_function(mode):
    g = wengert.grad(calls_a_local_function_variable, mode=mode)
    assert g(0.3) == pytest.approx(np.cos(0.3), rel=1e-12)


def test_a_local_bound_to_one_of_two_functions_is_refused():
    with pytest.raises(wengert.NoRuleError, match="holds one of several functions"):
        wengert.grad(calls_one_of_two)(0.3, True)


def newton(f, df, x0, p):
    x = x0
    for _ in range(30):
        x = x - f(x, p) / df(x, p)
    return x


@pytest.mark.skipif(sys.version_info < (3, 11),
                    reason="two lambdas on one line are told apart by column (co_positions, "
                           "Python 3.11+); before, the error asks for one lambda per line")
def test_lambdas_passed_in_on_one_line():
    g = wengert.grad(newton, wrt=3)(lambda x, p: x ** 2 - p, lambda x, p: 2 * x, 1.0, 3.0)
    assert g == pytest.approx(0.5 / np.sqrt(3.0), rel=1e-10)


def inner_loss(w, data):
    return np.sum((w - data) ** 2)


def unrolled(lr, data, gradient):
    w = np.zeros(3)
    for _ in range(3):
        w = w - lr * gradient(w, data)
    return np.sum(w ** 2)


@pytest.mark.parametrize("mode", MODES)
def test_a_gradient_passed_in(mode):
    data = np.array([1.0, -2.0, 0.5])
    inner = wengert.grad(inner_loss)
    got = wengert.grad(unrolled, mode=mode)(0.1, data, inner)
    expected = central(lambda lr: unrolled(float(lr), data, inner), np.array(0.1))
    assert got == pytest.approx(float(expected), rel=1e-6)


def squares(params, x):
    s = 0.0
    for name in params:
        s = s + params[name] ** 2 * x
    return s


def test_the_general_code_reads_the_keys_when_it_runs():
    g = wengert.grad(squares)
    assert "iterated(params)" in g.source        # before the first call: no kinds
    d = g._make(None)                            # the general code itself
    assert d({"a": 1.5, "b": 2.0}, 3.0) == {"a": 9.0, "b": 12.0}
    assert g({"a": 1.5, "b": 2.0}, 3.0) == {"a": 9.0, "b": 12.0}


def in_key_order(params, x):
    s = 0.0
    for k in sorted(params):
        s = s * 0.5 + params[k] * x
    return s


@pytest.mark.parametrize("mode", MODES)
def test_sorted_keys_of_a_differentiated_dict(mode):
    got = wengert.grad(in_key_order, wrt=(0, 1), mode=mode)({"b": 1.0, "a": 2.0}, 3.0)
    assert got[0] == {"b": 3.0, "a": 1.5}              # a first, then b
    assert got[1] == pytest.approx(2.0 * 0.5 + 1.0, rel=1e-12)


def pushes(x, push, xs):
    _ = push(x * 2.0)                  # xs.append: changes xs, which is read after
    return x * len(xs)


@pytest.mark.parametrize("mode", MODES)
def test_a_method_bound_to_an_object_is_refused(mode):
    # (not a function argument; its call, unread, must not be dropped either)
    with pytest.raises(wengert.NoRuleError, match="class is not known"):
        xs = []
        wengert.grad(pushes, mode=mode)(1.5, xs.append, xs)


# -- nested functions passed as values ----------------------------------------

def apply_twice(f, x):
    return f(f(x))


def closure_passed(x, a):
    g = lambda t: a * np.tanh(t)          # noqa: E731 (the program under test)
    return np.sum(apply_twice(g, x))


def closure_read_late(x, a):
    g = lambda t: a * np.tanh(t)          # noqa: E731
    a = a * 2.0                           # Python's g reads a when it runs: this one
    return np.sum(apply_twice(g, x))


def alias_then_rebind(x, a):
    def g(t):
        return a * np.sin(t)
    h = g
    a = a + 1.0
    return np.sum(h(x))


def def_without_free_variables(x, a):
    def sq(t):
        return t * t
    return a * np.sum(apply_twice(sq, x))


def rk4_with_local_rhs(y0, theta):
    def rhs(y):
        return np.array([theta[0] * y[0] - theta[1] * y[0] * y[1],
                         theta[2] * y[0] * y[1] - theta[3] * y[1]])
    return np.sum(rk4(rhs, y0, 0.05, 8))


def rk4(rhs, y, h, n):
    for _ in range(n):
        k1 = rhs(y)
        k2 = rhs(y + 0.5 * h * k1)
        k3 = rhs(y + 0.5 * h * k2)
        k4 = rhs(y + h * k3)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


def closure_stored_in_a_list(x, a):
    g = lambda t: a * t                   # noqa: E731
    fs = [g]
    return np.sum(apply_twice(fs[0], x))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [closure_passed, closure_read_late, alias_then_rebind,
                               def_without_free_variables])
@pytest.mark.parametrize("wrt", [0, 1])
def test_a_nested_function_passed_as_a_value(f, wrt, mode):
    x, a = np.array([0.3, -0.5, 1.1]), 1.3
    g = wengert.grad(f, wrt=wrt, mode=mode)(x, a)
    if wrt == 0:
        want = central(lambda t: f(t, a), x)
    else:
        want = central(lambda t: f(x, float(t)), np.array(a))
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("mode", MODES)
def test_an_ode_right_hand_side_defined_inside(mode):
    y0, theta = np.array([1.0, 0.5]), np.array([1.1, 0.4, 0.3, 0.9])
    for wrt, x in ((0, y0), (1, theta)):
        g = wengert.grad(rk4_with_local_rhs, wrt=wrt, mode=mode)(y0, theta)
        want = central(lambda t: rk4_with_local_rhs(t, theta) if wrt == 0
                       else rk4_with_local_rhs(y0, t), x)
        np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-9)


def test_a_nested_function_stored_is_refused():
    """Stored, the bound values would not be the ones a later call reads."""
    with pytest.raises(wengert.UnsupportedSyntaxError,
                       match="nested function `g`, which reads `a`") as info:
        wengert.grad(closure_stored_in_a_list)(np.array([0.3]), 1.3)
    assert "apply(g, x)" in info.value.hint


# -- a function passed down a recursion -----------------------------------------

def simpson(f, a, b):
    c = 0.5 * (a + b)
    return (b - a) / 6.0 * (f(a) + 4.0 * f(c) + f(b))


def adaptive(f, a, b, whole, depth):
    c = 0.5 * (a + b)
    left, right = simpson(f, a, c), simpson(f, c, b)
    if depth == 0:
        return left + right
    return adaptive(f, a, c, left, depth - 1) + adaptive(f, c, b, right, depth - 1)


def gaussian(t):
    return math.exp(-t * t)


def area_under(b):
    return adaptive(gaussian, 0.0, b, simpson(gaussian, 0.0, b), 3)


@pytest.mark.parametrize("mode", MODES)
def test_a_function_passed_down_a_recursion(mode):
    """Spliced into the caller, the helper's parameter is a name bound to the
    function; passed on to the recursion it is that function (FunctionArg)."""
    g = wengert.grad(area_under, mode=mode)(1.3)
    assert g == pytest.approx(float(central(lambda b: area_under(float(b)), np.array(1.3))),
                              rel=1e-7)


# -- loops over a dict of objects ------------------------------------------------

class Lin:
    def __init__(self, W, scale):
        self.W, self.scale = W, scale

    def __call__(self, x):
        return np.tanh(x @ self.W) * self.scale


def through_items(x, layers):
    for _, layer in layers.items():
        x = layer(x)
    return np.sum(x ** 2)


def through_values(x, layers):
    for layer in layers.values():
        x = layer(x)
    return np.sum(x ** 2)


def through_sorted_keys(x, layers):
    for k in sorted(layers):
        x = layers[k](x)
    return np.sum(x ** 2)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [through_items, through_values, through_sorted_keys])
def test_a_loop_over_a_dict_of_objects_of_one_class(f, mode):
    rng = np.random.default_rng(3)
    layers = {"b": Lin(rng.normal(size=(3, 3)) * 0.5, 2.0),
              "a": Lin(rng.normal(size=(3, 3)) * 0.5, 0.5)}
    x = rng.normal(size=(2, 3))
    np.testing.assert_allclose(wengert.grad(f, mode=mode)(x, layers),
                               central(lambda t: f(t, layers), x), rtol=1e-6, atol=1e-9)


def _returns_it(f):
    return f


def closure_kept_then_rebound(x, a):
    g = lambda t: a * t                   # noqa: E731
    h = _returns_it(g)
    a = a + 1.0                           # Python's h reads this a
    return np.sum(h(x))


def closure_passed_in_a_loop_that_assigns(x, a):
    g = lambda t: a * t                   # noqa: E731
    s = 0.0
    for _ in range(3):
        s = s + np.sum(apply_twice(g, x))
        a = a * 0.5
    return s


@pytest.mark.parametrize("f, message", [
    (closure_kept_then_rebound, "`a` is assigned after the nested function `g`"),
    (closure_passed_in_a_loop_that_assigns, "passed to a call in a loop that assigns `a`")])
def test_a_nested_function_whose_variable_changes_after_it_is_passed_is_refused(f, message):
    """It is passed with the values its variables have there; a call of it
    kept for later would read later ones in Python: refused, not wrong."""
    with pytest.raises(wengert.UnsupportedSyntaxError, match=message):
        wengert.grad(f)(np.array([0.3, 0.5]), 1.3)
