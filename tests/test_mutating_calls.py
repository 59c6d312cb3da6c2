"""Calls that change an object in place (``wengert.mutating``): refused when
the derivative is built, wherever they are written, with wengert's own error
naming the call and pointing at its line. Assigned to a name nobody reads,
they used to be dead code, deleted with their effect: the value and the
derivative were silently those of the unchanged object.

The look-alikes that compute a new value, and a method of the user's own
class that happens to be called ``update`` or ``clear``, keep working."""

import inspect
import os
import re

import numpy as np
import pytest

import wengert
from wengert import NoRuleError, UnsupportedSyntaxError

MARKER = "# <-- here"
X2 = np.array([1.0, 2.0])
MODES = ["reverse", "forward"]


def marked_line(f) -> int:
    lines, start = inspect.getsourcelines(f)
    hits = [start + i for i, text in enumerate(lines) if MARKER in text]
    assert len(hits) == 1, f.__name__
    return hits[0]


def refusal(f, *args, mode="reverse", wrt=0) -> wengert.WengertError:
    with pytest.raises(wengert.WengertError) as info:
        wengert.value_and_grad(f, wrt=wrt, mode=mode)(*args)
    return info.value


def assert_located(exc, f):
    text = str(exc)
    where = re.search(rf"--> \S*{re.escape(os.path.basename(__file__))}:(\d+):(\d+)$", text, re.M)
    assert where and int(where.group(1)) == marked_line(f), text
    assert re.search(r"^ *\| *\^$", text, re.M), f"no caret in\n{text}"
    assert re.search(r"^help: \S", text, re.M), f"no help: line in\n{text}"
    assert "assign the result" not in text, text


# --------------------------------------------------------------------------
# NumPy functions that write into an argument, and out=


def fill_diagonal(x):
    M = np.outer(x, x)
    _ = np.fill_diagonal(M, 0.0)  # <-- here
    return np.sum(M)


def add_out(x):
    y = np.zeros(2)
    z = np.add(x, 1.0, out=y)  # <-- here
    return np.sum(y * y)


def exp_out_into_itself(x):
    y = x * 1.0
    z = np.exp(y, out=y); return np.sum(y)  # <-- here  # noqa: E702


def put(x):
    y = x * 1.0
    _ = np.put(y, [0], 5.0); return np.sum(y * x)  # <-- here  # noqa: E702


def clip_out(x):
    y = x * 1.0
    z = np.clip(y, 0.0, 1.0, out=y); return np.sum(y)  # <-- here  # noqa: E702


def add_at(x):
    y = np.zeros(3)
    _ = np.add.at(y, np.array([1, 1]), x); return np.sum(y ** 2)  # <-- here  # noqa: E702


def copyto(x):
    y = np.zeros(2)
    _ = np.copyto(y, x); return np.sum(y)  # <-- here  # noqa: E702


def fill_diagonal_as_a_statement(x):
    M = np.outer(x, x)
    np.fill_diagonal(M, 0.0)  # <-- here
    return np.sum(M)


def add_at_as_a_statement(x):
    y = np.zeros(3)
    np.add.at(y, np.array([1, 1]), x)  # <-- here
    return np.sum(y ** 2)


def out_nested_in_an_expression(x):
    y = x * 1.0
    return np.sum(np.exp(y, out=y)) + np.sum(y)  # <-- here


def out_by_position(x):
    y = np.zeros(2)
    z = np.add(x, 1.0, y)  # <-- here
    return np.sum(y * y)


def clip_out_by_position(x):
    y = x * 1.0
    z = np.clip(y, 0.0, 1.0, y)  # <-- here
    return np.sum(y)


def multiply_at(x):
    y = np.ones(3)
    _ = np.multiply.at(y, np.array([0, 0]), x)  # <-- here
    return np.sum(y)


def maximum_at(x):
    y = np.zeros(3)
    _ = np.maximum.at(y, np.array([2, 2]), x)  # <-- here
    return np.sum(y)


def place(x):
    y = x * 1.0
    _ = np.place(y, y > 1.5, 0.0)  # <-- here
    return np.sum(y * x)


def putmask(x):
    y = x * 1.0
    _ = np.putmask(y, y > 1.5, 0.0)  # <-- here
    return np.sum(y * x)


def put_along_axis(x):
    y = x * 1.0
    _ = np.put_along_axis(y, np.array([0]), 5.0, axis=0)  # <-- here
    return np.sum(y * x)


def random_shuffle(x):
    y = x * 1.0
    _ = np.random.shuffle(y)  # <-- here
    return y[0] * x[0]


def method_with_out(x):
    y = x * 1.0
    z = y.clip(0.0, 1.0, out=y)  # <-- here
    return np.sum(y)


def unbound_list_sort(x):
    xs = [3.0 * x, x]
    _ = list.sort(xs)  # <-- here
    return xs[0]


def unbound_list_append(x):
    xs = [x]
    _ = list.append(xs, x * x)  # <-- here
    return xs[-1]


def unbound_ndarray_fill(x):
    y = x * 1.0
    _ = np.ndarray.fill(y, 2.0)  # <-- here
    return np.sum(y * x)


WRITING_CALLS = [
    (fill_diagonal, "np.fill_diagonal"), (add_out, "np.add(..., out=y)"),
    (exp_out_into_itself, "np.exp(..., out=y)"), (put, "np.put"),
    (clip_out, "np.clip(..., out=y)"), (add_at, "np.add.at"), (copyto, "np.copyto"),
    (fill_diagonal_as_a_statement, "np.fill_diagonal"), (add_at_as_a_statement, "np.add.at"),
    (out_nested_in_an_expression, "np.exp(..., out=y)"),
    (out_by_position, "np.add(..., out=y)"), (clip_out_by_position, "np.clip(..., out=y)"),
    (multiply_at, "np.multiply.at"), (maximum_at, "np.maximum.at"), (place, "np.place"),
    (putmask, "np.putmask"), (put_along_axis, "np.put_along_axis"),
    (random_shuffle, "np.random.shuffle"), (method_with_out, "y.clip(..., out=y)"),
    (unbound_list_sort, "list.sort"), (unbound_list_append, "list.append"),
    (unbound_ndarray_fill, "np.ndarray.fill"),
]


def _arg(f):
    return 2.0 if f in (unbound_list_sort, unbound_list_append) else X2


@pytest.mark.parametrize("f,name", WRITING_CALLS, ids=[f.__name__ for f, _ in WRITING_CALLS])
@pytest.mark.parametrize("mode", MODES)
def test_a_call_writing_into_an_argument_is_refused(f, name, mode):
    exc = refusal(f, _arg(f), mode=mode)
    assert type(exc) is UnsupportedSyntaxError, str(exc)
    assert f"`{name}" in exc.message and "in place" in exc.message, exc.message
    assert_located(exc, f)


def test_the_out_hint_computes_the_new_array():
    assert "`y = np.exp(y)`" in refusal(exp_out_into_itself, X2).hint
    assert "`y = np.add(x, 1.0)`" in refusal(add_out, X2).hint
    assert "`y = np.clip(y, 0.0, 1.0)`" in refusal(clip_out, X2).hint


def test_the_hints_name_the_array_written():
    assert "`M = np.where(np.eye(len(M)" in refusal(fill_diagonal, X2).hint
    assert "y[i[k]] = np.add(y[i[k]], v[k])" in refusal(add_at, X2).hint


# --------------------------------------------------------------------------
# methods that change a list, dict or array the function built


def list_sort(x):
    xs = [3.0 * x, x]
    _ = xs.sort(); return xs[0]  # <-- here  # noqa: E702


def list_insert(x):
    xs = [x, x ** 2]
    _ = xs.insert(0, 5.0 * x); return xs[0]  # <-- here  # noqa: E702


def list_reverse(x):
    xs = [x, 2.0 * x]
    _ = xs.reverse()  # <-- here
    return xs[0]


def list_remove(x):
    xs = [x, 2.0 * x]
    v = xs[0]
    _ = xs.remove(v)  # <-- here
    return xs[0]


def list_clear(x):
    xs = [x, 2.0 * x]
    _ = xs.clear()  # <-- here
    return x * len(xs)


def list_append_assigned(x):
    xs = [x]
    z = xs.append(x * x)  # <-- here
    return xs[-1]


def list_pop_at(x):
    xs = [x, 2.0 * x]
    v = xs.pop(0)  # <-- here
    return v + xs[0]


def dict_update(x):
    d = {"a": x}
    _ = d.update({"a": 3.0 * x})  # <-- here
    return d["a"]


def dict_clear(x):
    d = {"a": x}
    _ = d.clear()  # <-- here
    return x * len(d)


def dict_setdefault(x):
    d = {"a": x}
    _ = d.setdefault("b", 2.0 * x)  # <-- here
    return d["a"] + x


def dict_popitem(x):
    d = {"a": x, "b": 2.0 * x}
    _ = d.popitem()  # <-- here
    return d["a"]


def array_sort(x):
    y = x * 1.0
    _ = y.sort()  # <-- here
    return y[0] * x[1]


def array_fill(x):
    y = x * 1.0
    _ = y.fill(2.0); return np.sum(y * x)  # <-- here  # noqa: E702


def array_put(x):
    y = x * 1.0
    _ = y.put([0], 5.0)  # <-- here
    return np.sum(y * x)


def array_resize(x):
    y = x * 1.0
    _ = y.resize(3, refcheck=False)  # <-- here
    return np.sum(y)


def array_partition(x):
    y = x * 1.0
    _ = y.partition(1)  # <-- here
    return y[0] * x[0]


def array_itemset(x):
    y = x * 1.0
    _ = y.itemset(0, 5.0)  # <-- here
    return np.sum(y * x)


def array_setfield(x):
    y = x * 1.0
    _ = y.setfield(5.0, np.float64)  # <-- here
    return np.sum(y * x)


def method_nested_in_an_expression(x):
    xs = [3.0 * x, x]
    return x * (xs.sort() is None) + xs[0]  # <-- here


def method_as_a_statement(x):
    xs = [3.0 * x, x]
    xs.sort()  # <-- here
    return xs[0]


SCALAR_METHODS = [list_sort, list_insert, list_reverse, list_remove, list_clear,
                  list_append_assigned, list_pop_at, dict_update, dict_clear,
                  dict_setdefault, dict_popitem, method_nested_in_an_expression,
                  method_as_a_statement]
ARRAY_METHODS = [array_sort, array_fill, array_put, array_resize, array_partition,
                 array_itemset, array_setfield]


def _method_of(f) -> str:
    lines = inspect.getsourcelines(f)[0]
    line = next(t for t in lines if MARKER in t)
    return re.search(r"(\w+\.\w+)\(", line).group(1)


@pytest.mark.parametrize("f", SCALAR_METHODS + ARRAY_METHODS,
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", MODES)
def test_a_method_changing_a_local_object_is_refused(f, mode):
    exc = refusal(f, X2 if f in ARRAY_METHODS else 2.0, mode=mode)
    assert type(exc) is UnsupportedSyntaxError, str(exc)
    assert f"`{_method_of(f)}(...)`" in exc.message and "in place" in exc.message, exc.message
    assert_located(exc, f)


def test_the_method_hints_say_what_to_write():
    assert "`xs = [v] + xs`" in refusal(list_insert, 2.0).hint
    assert "np.sort" in refusal(list_sort, 2.0).hint
    assert "`d[k] = v`" in refusal(dict_update, 2.0).hint
    assert "as a statement of its own" in refusal(list_append_assigned, 2.0).hint


# --------------------------------------------------------------------------
# a method of an object lowering cannot see: refused when the derivative is
# built, unless the object's class is known (then it is the class's function)


class Holder:
    def __init__(self):
        self.d = {"a": 1.0}


HOLDER = Holder()


def sort_argument_list(xs):
    _ = xs.sort()  # <-- here
    return xs[0]


def update_argument_dict(x, d):
    _ = d.update({"a": x})  # <-- here
    return d["a"]


def update_attribute_dict(x):
    _ = HOLDER.d.update({"a": x})  # <-- here
    return HOLDER.d["a"] * x


@pytest.mark.parametrize("mode", MODES)
def test_an_unresolved_mutating_method_is_refused_when_the_derivative_is_built(mode):
    for f, args, wrt in [(sort_argument_list, ([3.0, 1.0],), 0),
                         (update_argument_dict, (2.0, {"a": 1.0}), 0),
                         (update_attribute_dict, (2.0,), 0)]:
        exc = refusal(f, *args, mode=mode, wrt=wrt)
        assert type(exc) is NoRuleError, str(exc)
        method = _method_of(f).split(".")[-1]
        assert f"`.{method}()`" in exc.message and "in place" in exc.message, exc.message
        assert_located(exc, f)


def test_an_inactive_mutating_method_runs_as_python_runs_it():
    xs = [3.0, 1.0]
    assert wengert.value_and_grad(lambda_free_sort)(2.0, xs) == (2.0, 1.0)
    assert xs == [1.0, 3.0]                    # (sorted in place, as Python does)


def lambda_free_sort(x, xs):
    _ = xs.sort()
    return xs[0] * x


class Accumulator:
    """Methods called ``update``, ``clear`` and ``append`` that return values."""

    def __init__(self, w):
        self.w = w

    def update(self, x):
        return self.w * x * x

    def clear(self, x):
        return x + self.w

    def append(self, x):
        return self.w * x


ACC = Accumulator(3.0)


def user_update(x, acc):
    v = acc.update(x)
    u = acc.clear(v)
    return 2.0 * u


def user_append(x, acc):
    v = acc.append(x)
    return v * x


def user_update_of_module_data(x):
    v = ACC.update(x)
    _ = ACC.clear(x)
    return v


@pytest.mark.parametrize("mode", MODES)
def test_a_user_class_method_called_update_keeps_working(mode):
    assert wengert.value_and_grad(user_update, mode=mode)(2.0, Accumulator(3.0)) == (30.0, 24.0)
    assert wengert.value_and_grad(user_update_of_module_data, mode=mode)(2.0) == (12.0, 12.0)
    assert wengert.value_and_grad(user_append, mode=mode)(2.0, Accumulator(3.0)) == (12.0, 12.0)


# --------------------------------------------------------------------------
# look-alikes that compute a new value, and the rewrites the hints suggest


def np_sort(x):
    return np.sum(np.sort(x) * np.array([1.0, 2.0]))


def clip_without_out(x):
    y = x * 1.0
    return np.sum(np.clip(y, 0.0, 1.5) * x)


def add_without_out(x):
    return np.sum(np.add(x, 1.0) * x)


def add_out_none(x):
    return np.sum(np.add(x, 1.0, out=None))


def sorted_constants(x):
    keys = sorted([3.0, 1.0, 2.0])
    return keys[0] * np.sum(x)


def local_list_methods(x):
    xs = [x[0]]
    xs.append(x[1] * x[0])
    xs.extend([x[1], 2.0 * x[0]])
    last = xs.pop()
    return xs[0] + xs[1] + xs[2] * last


def fill_diagonal_rewritten(x):
    M = np.outer(x, x)
    M = np.where(np.eye(len(M), dtype=bool), 0.0, M)
    return np.sum(M)


def add_at_rewritten(x):
    y = np.zeros(3)
    i = np.array([1, 1])
    for k in range(len(i)):
        y[i[k]] = np.add(y[i[k]], x[k])
    return np.sum(y ** 2)


def list_methods_rewritten(x):
    xs = [x[0], x[1] ** 2]
    xs = [5.0 * x[0]] + xs
    xs = xs[::-1]
    ys = np.sort(np.array(xs))
    d = {"a": x[0]}
    d["a"] = 3.0 * x[1]
    return ys[0] + xs[0] + d["a"]


LOOK_ALIKES = [np_sort, clip_without_out, add_without_out, sorted_constants,
               local_list_methods, fill_diagonal_rewritten, add_at_rewritten,
               list_methods_rewritten]


def central(f, x, h=1e-6):
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])


@pytest.mark.parametrize("f", LOOK_ALIKES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", MODES)
def test_look_alikes_keep_working(f, mode):
    x = np.array([1.0, 2.0])
    value, g = wengert.value_and_grad(f, mode=mode)(x)
    assert np.isclose(value, f(x))
    np.testing.assert_allclose(g, central(f, x), rtol=1e-6, atol=1e-8)


def test_out_none_writes_nothing():
    wengert.lower(add_out_none)            # (not refused as a write in place)


def test_the_reproduction_rewritten_gives_the_right_derivative():
    value, g = wengert.value_and_grad(fill_diagonal_rewritten)(X2)
    assert value == 4.0 and np.allclose(g, [4.0, 2.0])
