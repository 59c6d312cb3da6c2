"""Refusals that name the construct where it is written and give a help line
that works when followed (trial 14): an object made from a differentiated
value is refused at its making in both modes; a method call made for its
effect on what is not a variable of the function, an immediately called
lambda, ``key=`` of sorted/min/max, a nested function calling itself and
``type(obj).method(obj, x)`` each get a message of their own; methods and
properties of namedtuple arguments are differentiated like those of other
objects."""

import collections
import inspect
from typing import NamedTuple

import numpy as np
import pytest

import wengert

MODES = ("forward", "reverse")
HERE = __file__


def _line_of(fn, text: str) -> int:
    """The line in this file of the first line of ``fn`` containing ``text``."""
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if text in line)


def _refusal(action, kind):
    with pytest.raises(kind) as info:
        action()
    assert isinstance(info.value, wengert.WengertError)
    return info.value, str(info.value)


def _at(err, fn, text: str, col=None):
    """The error is located at the line of ``fn`` containing ``text`` (and
    the column of ``text`` there unless ``col`` is given), quoting it."""
    line = _line_of(fn, text)
    source = err.loc.source_line()
    assert err.loc.filename == HERE and err.loc.lineno == line, str(err)
    want = source.index(text) if col is None else col
    assert err.loc.col == want, str(err)
    assert f"{HERE}:{line}:{want}" in str(err)
    assert f"{line} | {source}" in str(err)
    assert str(err).splitlines()[4].endswith("^")


# --------------------------------------------------------------------------
# 1. an object made from a differentiated value: refused where it is made


class Scale:
    def __init__(self, s):
        self.s = s

    def __mul__(self, x):
        return self.s * x


def _object_made(x):
    m = Scale(x)
    return m * 3.0


def _object_made_read(x):
    m = Scale(x)
    k = m
    return k.s * 3.0


@pytest.mark.parametrize("mode", MODES)
def test_an_object_made_from_a_differentiated_value_is_refused_where_it_is_made(mode):
    # reverse mode pointed into Scale.__mul__ (`self.s * x`), forward at `Scale(x)`
    err, text = _refusal(lambda: wengert.grad(_object_made, mode=mode)(0.7),
                         wengert.NoRuleError)
    assert "creating a `Scale` object inside the differentiated function" in text
    _at(err, _object_made, "Scale(x)")
    assert "help: create it outside and pass it in as an argument" in text


@pytest.mark.parametrize("mode", MODES)
def test_an_attribute_of_an_object_made_here_read_through_a_copy_is_refused_at_its_making(mode):
    err, text = _refusal(lambda: wengert.grad(_object_made_read, mode=mode)(0.7),
                         wengert.NoRuleError)
    assert "creating a `Scale` object" in text
    _at(err, _object_made_read, "Scale(x)")


def _scale_outside(x, m):
    return m * x


def test_following_the_object_made_hint_works():
    for mode in MODES:
        assert wengert.grad(_scale_outside, mode=mode)(0.7, Scale(3.0)) == pytest.approx(3.0)


# --------------------------------------------------------------------------
# 2. "this kind of call": each construct named


def _appends_to_an_item(x):
    d = {"a": [], "b": [x]}
    d["a"].append(x * 2)
    return sum(d["a"])


def _stores_back(x):
    d = {"a": [], "b": [x]}
    d["a"] = d["a"] + [x * 2]
    return sum(d["a"])


@pytest.mark.parametrize("mode", MODES)
def test_append_to_a_list_held_in_a_dict_is_named_with_a_hint_that_works(mode):
    err, text = _refusal(lambda: wengert.grad(_appends_to_an_item, mode=mode)(0.7),
                         wengert.UnsupportedSyntaxError)
    assert "this kind of call" not in text
    assert "`d['a'].append(...)` changes `d['a']`, an item of `d`, in place" in text
    _at(err, _appends_to_an_item, 'd["a"].append')
    assert "help: build the new list and store it back: `d['a'] = d['a'] + [v]`" in text
    assert wengert.grad(_stores_back, mode=mode)(0.7) == pytest.approx(2.0)


def _lambda_called_at_once(x):
    return (lambda t: t * t)(x)


def _lambda_named(x):
    g = lambda t: t * t  # noqa: E731
    return g(x)


@pytest.mark.parametrize("mode", MODES)
def test_a_lambda_called_where_it_is_written_is_named(mode):
    err, text = _refusal(lambda: wengert.grad(_lambda_called_at_once, mode=mode)(0.7),
                         wengert.UnsupportedSyntaxError)
    assert "a lambda called where it is written" in text
    _at(err, _lambda_called_at_once, "lambda t")
    assert "help: assign it to a name first (`g = lambda t: ...`, then `g(x)`)" in text
    assert wengert.grad(_lambda_named, mode=mode)(0.7) == pytest.approx(1.4)


LOG = []


def _appends_to_module_list(x):
    LOG.append(x)
    return x * x


def _copies_module_list(x):
    log = list(LOG)
    log.append(x)
    return x * x + sum(log)


def _appends_to_argument(x, acc):
    acc.append(x)
    return x * x


@pytest.mark.parametrize("mode", MODES)
def test_append_to_a_module_level_list_says_what_an_argument_list_gets(mode):
    err, text = _refusal(lambda: wengert.grad(_appends_to_module_list, mode=mode)(0.7),
                         wengert.UnsupportedSyntaxError)
    wording = "a list from outside the function (an argument or module data)"
    assert f"`LOG.append(...)` changes `LOG`, {wording}" in text
    _at(err, _appends_to_module_list, "LOG.append")
    assert "help: Python would change the module's list too" in text
    assert "`log = list(LOG)`, then `log.append(...)`" in text
    other = _refusal(lambda: wengert.grad(_appends_to_argument, mode=mode)(0.7, []),
                     wengert.UnsupportedSyntaxError)[1]
    assert f"`acc.append(...)` changes `acc`, {wording}" in other
    assert wengert.grad(_copies_module_list, mode=mode)(0.7) == pytest.approx(2.4)
    assert LOG == []


class _Holder:
    def __init__(self):
        self.items = [1.0]


def _appends_to_attribute(x, o):
    o.items.append(x)
    return x


def _copies_attribute(x, o):
    items = list(o.items)
    items.append(x)
    return sum(items) * x


@pytest.mark.parametrize("mode", MODES)
def test_append_to_a_list_in_an_attribute_is_named(mode):
    err, text = _refusal(lambda: wengert.grad(_appends_to_attribute, mode=mode)(0.7, _Holder()),
                         wengert.UnsupportedSyntaxError)
    assert "`o.items.append(...)` changes `o.items`, an attribute of `o`, in place" in text
    _at(err, _appends_to_attribute, "o.items.append")
    assert "(`items = list(o.items)`, then `items.append(...)`)" in text
    assert wengert.grad(_copies_attribute, mode=mode)(0.7, _Holder()) == pytest.approx(2.4)


# --------------------------------------------------------------------------
# 3. messages whose help sent the user somewhere refused too


def _sorted_by_lambda(x):
    ys = sorted([x, 2 - x, x * x], key=lambda v: -v)
    return ys[0]


def _sorted_by_argsort(x):
    xs = [x, 2 - x, x * x]
    ys = [xs[i] for i in np.argsort([-v for v in xs], kind="stable")]
    return ys[0]


def _max_by_named_key(x):
    xs = [x, 2 - x]
    return max(xs, key=abs)


def _max_by_argmax(x):
    xs = [x, 2 - x]
    y = xs[int(np.argmax([abs(v) for v in xs]))]
    return y


@pytest.mark.parametrize("mode", MODES)
def test_sorted_with_a_lambda_key_says_what_works(mode):
    # the help said to name the lambda, which was then refused for `key=`
    err, text = _refusal(lambda: wengert.grad(_sorted_by_lambda, mode=mode)(0.7),
                         wengert.NoRuleError)
    assert "the keyword argument `key=` of `sorted` is not supported" in text
    _at(err, _sorted_by_lambda, "sorted(")
    assert "lambda" not in text.splitlines()[-1]
    assert "`xs = [x, 2 - x, x * x]`, then `ys = [xs[i] for i in " \
           "np.argsort([-v for v in xs], kind=\"stable\")]`" in text
    assert wengert.grad(_sorted_by_argsort, mode=mode)(0.7) == pytest.approx(-1.0)


@pytest.mark.parametrize("mode", MODES)
def test_max_with_a_key_says_what_works(mode):
    err, text = _refusal(lambda: wengert.grad(_max_by_named_key, mode=mode)(0.7),
                         wengert.NoRuleError)
    assert "the keyword argument `key=` of `max` is not supported" in text
    _at(err, _max_by_named_key, "max(")
    assert "help: find the position of the extreme key with np.argmax and index: " \
           "`y = xs[int(np.argmax([abs(v) for v in xs]))]`" in text
    assert wengert.grad(_max_by_argmax, mode=mode)(0.7) == pytest.approx(-1.0)


def _recursive_nested(x):
    def pw(t, n):
        if n == 0:
            return 1.0
        return t * pw(t, n - 1)
    return pw(x, 3)


def _pw(t, n):
    if n == 0:
        return 1.0
    return t * _pw(t, n - 1)


def _recursive_module_level(x):
    return _pw(x, 3)


@pytest.mark.parametrize("mode", MODES)
def test_a_nested_function_calling_itself_is_named_as_recursion(mode):
    err, text = _refusal(lambda: wengert.grad(_recursive_nested, mode=mode)(0.7),
                         wengert.UnsupportedSyntaxError)
    assert "is not defined here" not in text
    assert "the nested function `pw` calls itself" in text
    _at(err, _recursive_nested, "pw(t, n - 1)")
    assert "help: define `pw` at module level, where it can call itself" in text
    assert wengert.grad(_recursive_module_level, mode=mode)(0.7) == pytest.approx(3 * 0.49)


class _M:
    def __init__(self, k):
        self.k = k

    def e(self, x):
        return self.k * x * x


def _through_type(x, m):
    return type(m).e(m, x)


def _on_the_object(x, m):
    return m.e(x)


@pytest.mark.parametrize("mode", MODES)
def test_a_method_called_through_type_is_named(mode):
    err, text = _refusal(lambda: wengert.grad(_through_type, mode=mode)(0.7, _M(2.0)),
                         wengert.UnsupportedSyntaxError)
    assert "no derivative rule for `type`" not in text
    assert "calling the method `e` through `type(m)`" in text
    _at(err, _through_type, "type(m)")
    assert "help: call it on the object: `m.e(x)`" in text
    assert wengert.grad(_on_the_object, mode=mode)(0.7, _M(2.0)) == pytest.approx(2.8)


# --------------------------------------------------------------------------
# 4. methods and properties of namedtuple arguments


class PT(NamedTuple):
    a: float
    b: float

    @property
    def ratio(self):
        return self.a / self.b

    def scaled(self, s, k=1.0):
        return (self.a * s + self.b) * k

    def both(self, s):
        return self.scaled(s) + self.ratio * s


class Q(collections.namedtuple("Q", "a b")):
    __slots__ = ()

    def scaled(self, s):
        return self.a * s + self.b


def _nt_method(x, p):
    return p.scaled(x) ** 2


def _nt_method_keyword(x, p):
    return p.scaled(x, k=2.0) ** 2


def _nt_property(x, p):
    return p.ratio * x


def _nt_both(x, p):
    return p.both(x)


def _nt_items(x, ps):
    t = 0.0
    for p in ps:
        t = t + p.scaled(x)
    return t


def _fd(f, args, i, h=1e-6):
    up, down = list(args), list(args)
    up[i], down[i] = args[i] + h, args[i] - h
    return (f(*up) - f(*down)) / (2 * h)


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [_nt_method, _nt_method_keyword, _nt_property, _nt_both])
def test_a_method_or_property_of_a_namedtuple_argument_is_differentiated(f, mode, optimize):
    p = PT(1.5, 2.0)
    got = wengert.grad(f, mode=mode, optimize=optimize)(0.7, p)
    assert got == pytest.approx(_fd(f, (0.7, p), 0), rel=1e-6)
    by_p = wengert.grad(f, wrt=1, mode=mode, optimize=optimize)(0.7, p)
    assert type(by_p) is PT            # (not two adjoints joined by `+`)
    want = [_fd(lambda a, b: f(0.7, PT(a, b)), (1.5, 2.0), i) for i in (0, 1)]
    assert tuple(by_p) == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_methods_of_collections_namedtuple_subclasses_and_of_items(mode):
    assert wengert.grad(_nt_method, mode=mode)(0.7, Q(1.5, 2.0)) == \
        pytest.approx(2 * (1.5 * 0.7 + 2.0) * 1.5)
    ps = [PT(1.5, 2.0), PT(3.0, 1.0)]
    assert wengert.grad(_nt_items, mode=mode)(0.7, ps) == pytest.approx(4.5)
