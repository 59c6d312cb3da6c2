"""Aliasing along the control flow, and refusals in the user's words.

- A copy made in a loop is a new array, not the loop-carried array it was
  copied from (``specialize._Sharing`` follows the statements: the copy an
  earlier iteration made is not the one this iteration updates); a name for
  the same array, a view of it, or a list holding it stays refused.
- Defaults of nested functions that read the enclosing function's variables,
  ``enumerate(xs, start=...)``, ``zip(..., strict=True)`` and ``dict(d)`` /
  ``list(xs)`` copies now build derivatives: each checked against central
  differences in both modes.
- Refusals name the user's variable or expression (``A[0]``, ``items``),
  never a temporary of lowering (``v4``, ``seq``).
"""

import inspect
import math
import os
import re
import sys

import numpy as np
import pytest

import wengert
from wengert import UnsupportedSyntaxError

MODES = ["forward", "reverse"]
MARKER = "# <-- here"
TEMPORARY = re.compile(r"`(v\d+|seq(_\d+)?|keys(_\d+)?|[a-z]+_\d+)\b")


def central(f, x, h=1e-6):
    """d f / d x by central differences, for a float, an array, or a dict
    or list of floats."""
    if isinstance(x, dict):
        return {k: central(lambda v, k=k: f({**x, k: v}), x[k], h) for k in x}
    if isinstance(x, list):
        return [central(lambda v, i=i: f(x[:i] + [v] + x[i + 1:]), x[i], h)
                for i in range(len(x))]
    if np.ndim(x) == 0:
        return (f(x + h) - f(x - h)) / (2 * h)
    out = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[i] = h
        out[i] = (f(x + e) - f(x - e)) / (2 * h)
    return out


def assert_close(got, want):
    if isinstance(want, dict):
        assert set(got) == set(want)
        for k in want:
            assert_close(got[k], want[k])
    elif isinstance(want, list):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_close(g, w)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def check(f, x, mode):
    value, grad = wengert.value_and_grad(f, mode=mode)(x)
    np.testing.assert_allclose(value, f(x), rtol=1e-12)
    assert_close(grad, central(f, x))


def marked_line(f) -> int:
    lines, start = inspect.getsourcelines(f)
    hits = [start + i for i, text in enumerate(lines) if MARKER in text]
    assert len(hits) == 1, f.__name__
    return hits[0]


def refused(f, x, mode, names):
    """``f`` is refused with an UnsupportedSyntaxError at its marked line,
    naming each of ``names`` and no temporary."""
    with pytest.raises(UnsupportedSyntaxError) as info:
        wengert.grad(f, mode=mode)(x)
    exc = info.value
    assert exc.loc is not None and exc.loc.lineno == marked_line(f), str(exc)
    assert os.path.basename(exc.loc.filename) == os.path.basename(__file__)
    for name in names:
        assert f"`{name}" in exc.message, exc.message
    assert not TEMPORARY.search(exc.message), exc.message
    assert exc.hint and not TEMPORARY.search(exc.hint), exc.hint
    return exc


X2 = np.array([1.0, 2.0])
X3 = np.array([0.3, 0.7, 1.1])


# --------------------------------------------------------------------------
# 1. a copy made in an outer loop is not the loop-carried array


def copy_in_nested_loops(u0):
    u = u0 * 1.0
    for s in range(2):
        new = u.copy()
        for i in range(1):
            new[0] = u[1]
        u = new
    return np.sum(u ** 2)


def np_copy_in_nested_loops(u0):
    u = u0 * 1.0
    for s in range(3):
        new = np.array(u)
        for i in range(2):
            new[i] = u[1 - i] * u0[i]
        u = new
    return np.sum(u ** 2)


def copy_in_a_while_loop(u0):
    u = u0 * 1.0
    s = 0
    while s < 2:
        new = u.copy()
        for i in range(1):
            new[0] = u[1] * 2.0
        u = new
        s = s + 1
    return np.sum(u ** 2)


def view_of_the_previous_copy(x):
    y = x * 1.0
    r = y[0:1]
    total = 0.0
    for s in range(2):
        y2 = y.copy()
        y2[0] = 5.0 * y[1] * x[0]
        total = total + r[0]          # a view of the array the previous iteration made
        r = y2[0:1]
        y = y2
    return total + np.sum(y ** 2)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [copy_in_nested_loops, np_copy_in_nested_loops,
                               copy_in_a_while_loop, view_of_the_previous_copy])
def test_copy_in_a_loop_is_accepted(f, mode):
    check(f, X2 if f is not view_of_the_previous_copy else X3, mode)


def test_copy_in_nested_loops_values():
    value, grad = wengert.value_and_grad(copy_in_nested_loops)(X2)
    assert value == 8.0
    np.testing.assert_array_equal(grad, [0.0, 8.0])


def same_array_in_nested_loops(u0):
    u = u0 * 1.0
    for s in range(2):
        new = u
        for i in range(1):
            new[0] = u[1]  # <-- here
        u = new
    return np.sum(u ** 2)


def view_of_this_iterations_copy(x):
    y = x * 1.0
    total = 0.0
    for s in range(2):
        y2 = y.copy()
        r = y2[0:1]
        y2[0] = 5.0 * y[1]  # <-- here
        total = total + r[0]
        y = y2
    return total


def array_held_by_a_list_copy(x):
    a = x * 1.0
    ys = list([a])
    a[0] = 7.0  # <-- here
    return np.sum(ys[0] * x)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, names", [(same_array_in_nested_loops, ["new", "u"]),
                                      (view_of_this_iterations_copy, ["y2", "r"]),
                                      (array_held_by_a_list_copy, ["a", "ys"])])
def test_same_array_stays_refused(f, names, mode):
    refused(f, X3, mode, names)


# --------------------------------------------------------------------------
# 2a. a nested function's default is evaluated at its def


def default_reads_a_local(x):
    k = x * 2.0
    def g(t, k=k):
        return t * k
    return g(x)


def default_then_rebound(x):
    k = x * 2.0
    def g(t, k=k):
        return t * k
    k = x * 5.0                     # the default keeps x * 2.0, as in Python
    return g(x) + g(x, k)


def keyword_only_default_of_a_lambda(x):
    k = x ** 2
    g = lambda t, *, c=k + 1.0: t * c    # noqa: E731
    return g(x) + g(x, c=3.0)


def default_of_a_differentiated_helper(x):
    k = x * 2.0
    def g(t, k=k):
        return t * t * k
    return wengert.grad(g)(x)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [default_reads_a_local, default_then_rebound,
                               keyword_only_default_of_a_lambda,
                               default_of_a_differentiated_helper])
def test_default_evaluated_at_the_def(f, mode):
    check(f, 1.5, mode)


# --------------------------------------------------------------------------
# 2b. enumerate(start=), zip(strict=), reversed


def enumerate_start_keyword(x):
    s = 0.0
    for i, v in enumerate(x, start=1):
        s = s + i * v
    return s


def enumerate_zip_strict(x):
    s = 0.0
    for i, (v, w) in enumerate(zip(x, x[::-1], strict=True), start=2):
        s = s + i * v * w
    return s


def enumerate_reversed(x):
    s = 0.0
    for i, v in enumerate(reversed(x), 1):
        s = s + i * v ** 2
    return s


def zip_not_strict(x):
    s = 0.0
    for v, w in zip(x, x[1:], strict=False):
        s = s + v * w
    return s


STRICT_ZIP = pytest.mark.skipif(sys.version_info < (3, 10),
                                reason="zip(strict=...) is Python 3.10+")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [enumerate_start_keyword,
                               pytest.param(enumerate_zip_strict, marks=STRICT_ZIP),
                               enumerate_reversed,
                               pytest.param(zip_not_strict, marks=STRICT_ZIP)])
def test_iteration_keywords(f, mode):
    check(f, X3, mode)


def zip_strict_lengths_differ(x):
    s = 0.0
    for v, w in zip(x, x[1:], strict=True):
        s = s + v * w
    return s


@STRICT_ZIP
@pytest.mark.parametrize("mode", MODES)
def test_zip_strict_raises_where_lengths_differ(mode):
    with pytest.raises(ValueError):
        zip_strict_lengths_differ(X3)             # Python
    with pytest.raises(ValueError, match="zip.. argument 2"):
        wengert.grad(zip_strict_lengths_differ, mode=mode)(X3)


# --------------------------------------------------------------------------
# 2c. dict(d) and list(xs) are new containers, like d.copy()


def dict_copy(params):
    p = dict(params)
    p["w"] = p["w"] * 2.0
    return p["w"] ** 2


def dict_copy_and_original(params):
    p = dict(params)
    p["w"] = p["w"] * 2.0
    return p["w"] ** 2 + params["w"] * p["b"]


def list_copy_and_original(xs):
    ys = list(xs)
    ys[0] = ys[0] * 3.0
    return ys[0] * xs[0] + ys[1]


def list_method_copy(x):
    xs = [x * 1.0, x * 2.0]
    ys = xs.copy()
    xs[0] = x * 5.0                 # replaces an item of xs: ys keeps the old one
    return np.sum(ys[0] * xs[0])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, x", [(dict_copy, {"w": 1.5}),
                                  (dict_copy_and_original, {"w": 1.5, "b": 0.5}),
                                  (list_copy_and_original, [1.5, 2.5]),
                                  (list_method_copy, 1.5)])
def test_container_copies(f, x, mode):
    check(f, x, mode)


def test_dict_of_pairs_has_no_rule():
    def f(x):
        d = dict([("a", x)])
        return d["a"] * 2.0
    with pytest.raises(wengert.WengertError, match="dict"):
        wengert.grad(f)(1.5)


# --------------------------------------------------------------------------
# 2d. a row swap through views: named by the user's expression


def row_swap_through_views(x):
    A = np.outer(x, np.array([1.0, 2.0]))
    A[0], A[1] = A[1], A[0]  # <-- here
    return np.sum(A * A[:, :1])


def row_swap_with_copies(x):
    A = np.outer(x, np.array([1.0, 2.0]))
    A[0], A[1] = A[1].copy(), A[0].copy()
    return np.sum(A * A[:, :1])


def row_swap_by_fancy_index(x):
    A = np.outer(x, np.array([1.0, 2.0]))
    A[[0, 1]] = A[[1, 0]]
    return np.sum(A * A[:, :1])


@pytest.mark.parametrize("mode", MODES)
def test_row_swap_names_the_expression(mode):
    exc = refused(row_swap_through_views, X3, mode, ["A[0]", "A[...]"])
    assert "A[0].copy()" in exc.hint


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [row_swap_with_copies, row_swap_by_fancy_index])
def test_row_swap_done_right(f, mode):
    check(f, X3, mode)


# --------------------------------------------------------------------------
# 2e. appending to the list a loop iterates over: named by the list


def append_while_iterating(x):
    items = [x]
    for v in items:
        if len(items) < 3:
            items.append(v * 0.5)  # <-- here
    return sum(items)


def append_while_iterating_a_list_call(x):
    items = list(np.array([x]))
    for v in items:
        if len(items) < 3:
            items.append(v * 0.5)  # <-- here
    return sum(items)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [append_while_iterating, append_while_iterating_a_list_call])
def test_append_while_iterating_names_the_list(f, mode):
    exc = refused(f, 1.0, mode, ["items"])
    assert "for` loop over `items`" in exc.message
    assert "list(items)" in exc.hint


def append_while_iterating_a_copy(x):
    items = [x]
    for v in list(items):
        if len(items) < 3:
            items.append(v * 0.5)
    return sum(items)


@pytest.mark.parametrize("mode", MODES)
def test_iterating_a_copy_while_appending(mode):
    check(append_while_iterating_a_copy, 1.5, mode)


# --------------------------------------------------------------------------
# 2f. a helper appending to a list its caller reads afterwards


def append_half(xs):
    xs.append(0.5)  # <-- here
    return 0.0


def reads_after_the_helper(x):
    idx = [x, 2.0 * x]
    t = append_half(idx)
    return x * idx[-1] + t


@pytest.mark.parametrize("mode", MODES)
def test_a_helper_changing_a_list_names_the_callers_list(mode):
    with pytest.raises(UnsupportedSyntaxError) as info:
        wengert.grad(reads_after_the_helper, mode=mode)(1.5)
    exc = info.value
    assert exc.loc.lineno == marked_line(append_half), str(exc)
    assert "`idx`, the list given to the function it is in" in exc.message, exc.message
    assert "list(idx)" in exc.hint and not TEMPORARY.search(exc.message + exc.hint), str(exc)


class _Linear:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return x @ self.W


def _through_object(lin, x):
    return np.sum(np.tanh(lin(x)))


def test_grad_with_respect_to_an_object_says_so():
    with pytest.raises(wengert.UsageError, match="respect to `lin`, and it is a `_Linear` object"):
        wengert.grad(_through_object)(_Linear(np.eye(2)), np.ones((1, 2)))
    np.testing.assert_allclose(                # (the other argument: as usual)
        wengert.grad(_through_object, wrt=1)(_Linear(np.eye(2)), np.ones((1, 2))),
        1 - np.tanh(np.ones((1, 2))) ** 2)


def _namedtuple_fields(p, x):
    q = [p, p][0]         # (of an argument, its fields are read: tests/test_namedtuple_fields_*)
    return np.sum(np.tanh(x @ q.W + q.b))


def test_a_namedtuple_field_read_says_how_to_read_it():
    import collections
    Params = collections.namedtuple("Params", "W b")
    with pytest.raises(wengert.NoRuleError, match="the attribute `.b`") as info:
        wengert.grad(_namedtuple_fields)(Params(np.eye(2), np.zeros(2)), np.ones((1, 2)))
    assert "namedtuple" in info.value.hint and "unpack it" in info.value.hint


def _hessian_inside(w):
    H = wengert.hessian(_quartic)(w)
    return np.sum(np.linalg.solve(H + np.eye(2), w))


def _quartic(w):
    return np.sum(w ** 4)


def test_an_operator_other_than_grad_called_inside_is_named():
    # was "calling the result of a call", with a hint that led to this refusal
    with pytest.raises(wengert.UnsupportedSyntaxError,
                       match=r"calling `wengert.hessian` inside a function being differentiated"):
        wengert.grad(_hessian_inside)(np.array([0.5, 1.0]))


def _dict_updated_over_its_items(x):
    d = {}
    d["a"] = x
    d["b"] = d["a"] * 2
    for k, v in d.items():
        d[k] = v * v
    return d["a"] + d["b"]


def test_a_dict_updated_in_a_loop_over_its_items_is_named_as_written():
    # the message named `d_3`, an internal copy, and hinted `d_3 = d.copy()`
    with pytest.raises(wengert.UnsupportedSyntaxError) as info:
        wengert.grad(_dict_updated_over_its_items)(1.5)
    text = str(info.value)
    assert "inside a `for` loop over `d`" in text and "d_3" not in text


def _max_by_key(x):
    return max(x, key=abs)


@pytest.mark.parametrize("mode", MODES)
def test_max_with_a_key_is_refused_for_its_key_in_both_modes(mode):
    # reverse mode said "`f` returns shape (3,)" (max(x, key=abs) is one item)
    with pytest.raises(wengert.NoRuleError, match=r"keyword argument `key=` of `max`"):
        wengert.grad(_max_by_key, mode=mode)(np.array([0.5, -3.0, 1.2]))


def _formats_a_float(x):
    return float(np.format_float_positional(x)) * x


@pytest.mark.parametrize("mode", MODES)
def test_a_library_function_without_a_rule_is_named_at_the_call(mode):
    # the error pointed into numpy's own source (`raise` is not supported)
    with pytest.raises(wengert.NoRuleError) as info:
        wengert.grad(_formats_a_float, mode=mode)(1.5)
    text = str(info.value)
    assert "no derivative rule for `numpy.format_float_positional`" in text
    assert "return float(np.format_float_positional(x)) * x" in text


def _closure_factory(w):
    def make(a):
        def inner(z):
            return a * z ** 2
        return inner
    h = make(w)
    return h(3.0)


def test_a_closure_made_and_returned_inside_is_named_in_reverse_mode():
    # reverse mode said "a call of an object whose class is not known" with a
    # hint about NumPy methods
    with pytest.raises(wengert.NoRuleError, match=r"calling `h`, which `make\(...\)` "
                                                  r"made and returned"):
        wengert.grad(_closure_factory, mode="reverse")(0.7)
    with pytest.raises(wengert.UnsupportedSyntaxError, match=r"nested function `inner`"):
        wengert.grad(_closure_factory, mode="forward")(0.7)


def _einsum_sublists(x, A):
    return np.einsum(x, [0], A, [0, 1], [1]).sum()


@pytest.mark.parametrize("mode", MODES)
def test_the_sublist_form_of_einsum_is_named(mode):
    # was "the argument `subscripts` of np.einsum depends on what is being
    # differentiated (through `x`)"
    with pytest.raises(wengert.NoRuleError, match=r"the sublist form of `np.einsum`") as info:
        wengert.grad(_einsum_sublists, mode=mode)(np.array([0.3, -0.5]), np.eye(2))
    assert "np.einsum('i,ij->j', x, A)" in str(info.value)


def _chained(x):
    u = v = np.zeros(3)
    u[0] = x
    return np.sum(u * u)


def test_assignment_into_a_chained_name_names_the_other():
    with pytest.raises(UnsupportedSyntaxError) as info:
        wengert.grad(_chained)(0.5)
    assert "whose array `v` holds too (`u = v = ...`)" in str(info.value)


def _simpson(f, a, b, depth):
    c = 0.5 * (a + b)
    s = (b - a) / 6 * (f(a) + 4 * f(c) + f(b))
    if depth <= 0:
        return s
    return _simpson(f, a, c, depth - 1) + _simpson(f, c, b, depth - 1)


def _integral(k):
    def g(t):
        return math.exp(-k * t * t)
    return _simpson(g, 0.0, 2.0, 1)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_closure_passed_to_a_recursive_helper_says_so(mode):
    with pytest.raises(wengert.WengertError) as info:
        wengert.grad(_integral, mode=mode)(0.7)
    text = str(info.value)
    assert "not spliced in (a recursive helper" in text and "optimize=True (the" not in text


def _with_rng(w, rng):
    return np.sum(w * rng.normal(size=3))


def test_vjp_of_an_opaque_object_among_the_primals_is_a_usage_error():
    with pytest.raises(wengert.UsageError, match="primal 1 is a `Generator` object"):
        wengert.vjp(_with_rng, np.ones(3), np.random.default_rng(0))
