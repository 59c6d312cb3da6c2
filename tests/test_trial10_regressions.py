"""What new users' programs found (tenth session): each was an internal
error or a refusal of code the docs accept."""

import math

import numpy as np
import pytest

import wengert
from wengert.errors import UnsupportedSyntaxError

MODES = ("reverse", "forward")


# -- an assert (and what lowering writes as one) differentiated twice --------

def with_assert(x):
    assert x > 0
    return x ** 3


def starred(x):
    a, *rest = [x, x * x]
    return a * rest[0]


def zip_strict(x):
    s = 0.0
    for a, b in zip([x], [x * x], strict=True):
        s = s + a * b
    return s


@pytest.mark.parametrize("f", [with_assert, starred, zip_strict])
def test_second_derivatives_through_asserts(f):
    assert wengert.hessian(f)(0.9) == pytest.approx(5.4)
    for outer in MODES:
        assert wengert.grad(wengert.grad(f), mode=outer)(0.9) == pytest.approx(5.4)


def test_the_assert_still_runs_in_the_second_derivative():
    with pytest.raises(AssertionError):
        wengert.grad(wengert.grad(with_assert))(-1.0)


# -- a closure made by a factory, differentiated twice ------------------------

def make_poly(c0, c1, c2):
    def p(x):
        return c0 + c1 * x + c2 * x * x
    return p


P = make_poly(1.0, 2.0, 3.0)


def calls_a_factory_closure(x):
    return P(x)


def test_second_derivatives_of_a_closure_from_a_factory():
    assert wengert.grad(calls_a_factory_closure)(0.7) == pytest.approx(2.0 + 6.0 * 0.7)
    assert wengert.hessian(calls_a_factory_closure)(0.7) == pytest.approx(6.0)
    for outer in MODES:
        d2 = wengert.grad(wengert.grad(calls_a_factory_closure), mode=outer)
        assert d2(0.7) == pytest.approx(6.0)


# -- a lambda calling itself: our refusal, not a NameError --------------------

def recursive_lambda(x):
    fact = lambda n: 1 if n == 0 else n * fact(n - 1)  # noqa: E731
    return x * fact(3)


@pytest.mark.parametrize("mode", MODES)
def test_a_recursive_lambda_is_refused(mode):
    with pytest.raises(UnsupportedSyntaxError, match=r"a lambda that calls itself \(`fact`\)"):
        wengert.grad(recursive_lambda, mode=mode)(0.7)


# -- an element of a 2-d array read before an update: a copy ------------------

def euler_table(x):
    y = np.zeros((3, 2))
    y[0, 0] = x
    for n in range(2):
        a = y[n, 0]
        y[n + 1, 0] = a * x
    return y[2, 0]                 # x ** 3


@pytest.mark.parametrize("mode", MODES)
def test_an_element_read_by_a_tuple_index_is_a_copy(mode):
    assert wengert.grad(euler_table, mode=mode)(0.7) == pytest.approx(3 * 0.49)


def row_then_update(x):
    y = np.zeros((3, 2))
    y[0, 0] = x
    r = y[0]                       # a row: a view
    y[0, 1] = x
    return r[1] * x


def test_a_row_read_before_an_update_is_still_refused():
    with pytest.raises(UnsupportedSyntaxError, match=r"`r`"):
        wengert.grad(row_then_update)(0.7)


# -- a list held by another container, then changed in place: refused ---------

def appended_after_held(x):
    a = [x, 2 * x]
    b = [a]
    a.append(x)                    # Python: b[0] is [x, 2x, x] too
    return sum(b[0])


def held_by_a_tuple(x):
    a = [x]
    t = (a, 1.0)
    a.append(5 * x)
    return sum(t[0])


def snapshots_then_pop(x):
    cur = [x, 1.0]
    hist = []
    for i in range(3):
        hist.append((cur, i))
        v = cur.pop()              # Python: the snapshot in hist loses it too
        cur = [v * x, cur[0]]
    tot = 0.0
    for (lst, i) in hist:
        tot = tot + lst[0] * lst[-1] * (i + 1)
    return tot


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, holder, update", [
    (appended_after_held, "b", r"`a.append\(...\)`"),
    (held_by_a_tuple, "t", r"`a.append\(...\)`"),
    (snapshots_then_pop, "hist", r"`cur.pop\(\)`"),
])
def test_a_list_changed_while_another_holds_it_is_refused(f, holder, update, mode):
    with pytest.raises(UnsupportedSyntaxError,
                       match=update + f" while `{holder}`, which holds that list as an item"):
        wengert.grad(f, mode=mode)(0.7)


def snapshots_copied(x):
    cur = [x, 1.0]
    hist = []
    for i in range(3):
        hist.append((list(cur), i))
        v = cur.pop()
        cur = [v * x, cur[0]]
    tot = 0.0
    for (lst, i) in hist:
        tot = tot + lst[0] * lst[-1] * (i + 1)
    return tot


def rows_of_rows(x):
    rows = []
    for i in range(3):
        row = []
        for j in range(2):
            row.append(x * (i + j))
        rows.append(row)
    return sum(r[0] * r[1] for r in rows)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [snapshots_copied, rows_of_rows])
def test_lists_held_whole_but_not_changed_afterwards(f, mode):
    h = 1e-6
    expected = (f(0.7 + h) - f(0.7 - h)) / (2 * h)
    assert wengert.grad(f, mode=mode)(0.7) == pytest.approx(expected, rel=1e-6)


# -- a list argument changed in place: refused (the caller's list would not be)

def appends_to_its_argument(x, xs):
    xs.append(x)
    return sum(xs) * x


def pops_its_argument(x, xs):
    v = xs.pop()
    return v * x


def extends_its_argument(x, xs):
    xs.extend([x, x])
    return sum(xs) * x


def appends_to_a_copy(x, xs):
    xs = list(xs)
    xs.append(x)
    return sum(xs) * x


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, how", [(appends_to_its_argument, r"append\(...\)"),
                                    (pops_its_argument, r"pop\(\)"),
                                    (extends_its_argument, r"extend\(...\)")])
def test_changing_a_list_argument_in_place_is_refused(f, how, mode):
    xs = [1.0, 2.0]
    with pytest.raises(UnsupportedSyntaxError, match=rf"`xs.{how}` changes `xs`, a list from "
                                                     "outside the function"):
        wengert.grad(f, mode=mode)(0.7, xs)
    assert xs == [1.0, 2.0]


@pytest.mark.parametrize("mode", MODES)
def test_a_copy_of_a_list_argument_may_change(mode):
    xs = [1.0, 2.0]
    assert wengert.grad(appends_to_a_copy, mode=mode)(0.7, xs) == pytest.approx(3.0 + 1.4)
    assert xs == [1.0, 2.0]


def item_with_an_index(x):
    y = np.array([x, 2.0 * x, 3.0])
    return y.item(1) * x


def test_item_with_an_index_names_the_method():
    from wengert.errors import NoRuleError
    with pytest.raises(NoRuleError, match=r"`\.item\(\)` called with 1 positional "
                                          r"arguments; its rule takes 0(.|\n)*y\[i\]"):
        wengert.grad(item_with_an_index)(0.7)


def element_of_an_array_of_numbers(x):
    y = np.array([x, 2.0 * x])
    old = y[0]                     # an element: a copy
    y[0] = y[1] * x
    return old * y[0]              # 2 x ** 3


def row_of_an_array_of_rows(x):
    y = np.array([[x, 1.0], [2.0, x]])
    old = y[0]                     # a row: a view
    y[0, 0] = x * x
    return old[0] * x


@pytest.mark.parametrize("mode", MODES)
def test_an_element_of_an_array_built_from_numbers_is_a_copy(mode):
    assert wengert.grad(element_of_an_array_of_numbers, mode=mode)(0.7) == \
        pytest.approx(6 * 0.49)
    with pytest.raises(UnsupportedSyntaxError, match=r"`old`"):
        wengert.grad(row_of_an_array_of_rows, mode=mode)(0.7)


def _decorate(fn):
    import functools

    @functools.wraps(fn)
    def wrapper(*a, **k):
        return fn(*a, **k)
    return wrapper


@_decorate
def _decorated_helper(t):
    return t ** 2


def uses_a_decorated_helper(x):
    return _decorated_helper(x) + x


def test_a_helper_behind_a_decorator_says_so():
    with pytest.raises(UnsupportedSyntaxError,
                       match=r"wrapped by a decorator(.|\n)*__wrapped__"):
        wengert.grad(uses_a_decorated_helper)(0.7)


def picks_a_function(x):
    f = math.sin if x > 0 else math.cos
    return f(x)


@pytest.mark.parametrize("mode", MODES)
def test_a_function_chosen_at_run_time_is_named(mode):
    from wengert.errors import NoRuleError
    with pytest.raises(NoRuleError, match=r"calling `f`, which holds one of several functions"):
        wengert.grad(picks_a_function, mode=mode)(0.7)


def queue(x):
    hist = []
    y = x
    for n in range(5):
        hist.append(y)
        if len(hist) > 2:
            hist.pop(0)
        y = y * 0.5 + sum(hist)
    return y


def built_then_assigned(x):
    xs = []
    xs.append(x)
    xs.append(2.0 * x)
    xs[0] = x * x
    return xs[0] + xs[1]


def test_pop_at_an_index_of_a_list_built_by_appends_names_the_list():
    with pytest.raises(UnsupportedSyntaxError, match=r"`hist.pop\(...\)` would change `hist`"):
        wengert.grad(queue)(0.7)


@pytest.mark.parametrize("mode", MODES)
def test_assigning_into_a_list_built_by_appends(mode):
    assert wengert.grad(built_then_assigned, mode=mode)(0.7) == pytest.approx(1.4 + 2.0)
