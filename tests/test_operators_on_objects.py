"""Python's operators on instances of the user's classes (``w + x`` with a
``__add__``) are calls of the class's methods, differentiated like any
method; never arithmetic on numbers (that was a silently wrong derivative).
Where the class's method cannot be differentiated, the build is refused."""

import collections
import math

import numpy as np
import pytest

import wengert
from wengert.errors import NoRuleError

MODES = ("reverse", "forward")


class Shift:
    """``w + x == k * sin(x)``; ``x + w`` the same (``__radd__``)."""

    def __init__(self, k):
        self.k = k

    def __add__(self, other):
        return self.k * math.sin(other)

    def __radd__(self, other):
        return self.k * math.sin(other)


class Scale:
    """``w * x == k * x**2``; ``-w`` is ``Scale(-k)``."""

    def __init__(self, k):
        self.k = k

    def __mul__(self, other):
        return self.k * other ** 2

    def __neg__(self):
        return Scale(-self.k)


class Div:
    def __init__(self, k):
        self.k = k

    def __truediv__(self, other):
        return self.k / (other * other)


class Vec:
    """A small vector type: ``a @ b`` and ``a - b`` on NumPy arrays inside."""

    def __init__(self, v):
        self.v = v

    def __sub__(self, other):
        return Vec(self.v - other.v)

    def __matmul__(self, other):
        return np.dot(self.v, other.v)


class Plain:
    def __init__(self, k):
        self.k = k


class InPlace:
    def __init__(self, k):
        self.k = k

    def __add__(self, other):
        return self.k * other

    def __iadd__(self, other):
        self.k = self.k + other
        return self


def add(x, w):
    return w + x


def radd(x, w):
    return x + w


def mul(x, w):
    return w * x


def neg_then_mul(x, w):
    m = -w
    return m * x


def div(x, w):
    return w / x


SHIFT = Shift(2.0)


def module_object(x):
    return SHIFT + x


def central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, w", [(add, Shift(3.0)), (radd, Shift(3.0)), (mul, Scale(3.0)),
                                  (neg_then_mul, Scale(3.0)), (div, Div(3.0))])
def test_an_operator_calls_the_class_method(f, w, mode):
    x = 0.7
    got = wengert.grad(f, mode=mode)(x, w)
    assert got == pytest.approx(central(lambda t: f(t, w), x), rel=1e-7)


@pytest.mark.parametrize("mode", MODES)
def test_module_data_object(mode):
    assert wengert.grad(module_object, mode=mode)(0.7) == pytest.approx(2.0 * math.cos(0.7))


def squared_distance(x, y):
    a, b = Vec(x), Vec(y)
    d = a - b
    return d @ d


@pytest.mark.parametrize("mode", MODES)
def test_objects_built_inside_from_differentiated_values_are_refused(mode):
    x, y = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    with pytest.raises(NoRuleError, match=r"creating a `Vec` object inside"):
        wengert.grad(squared_distance, mode=mode)(x, y)


def built_inside(x):
    w = Shift(3.0)
    return w + x * x


@pytest.mark.parametrize("mode", MODES)
def test_an_object_built_inside_from_constants(mode):
    assert wengert.grad(built_inside, mode=mode)(0.7) == \
        pytest.approx(3.0 * math.cos(0.49) * 1.4, rel=1e-12)


def test_the_method_is_what_the_generated_code_calls():
    g = wengert.grad(add)
    g(0.7, Shift(3.0))
    assert "math.sin" in g.source or "math.cos" in g.source


def test_a_class_without_the_method_is_refused():
    with pytest.raises(NoRuleError, match=r"`\+` on an instance of Plain that defines no "
                                          r"`__add__`") as info:
        wengert.grad(add)(0.7, Plain(3.0))
    assert "test_operators_on_objects.py" in str(info.value)


def augmented(x, w):
    w += x
    return w + x


def test_an_in_place_operator_is_refused():
    with pytest.raises(NoRuleError, match=r"__iadd__"):
        wengert.grad(augmented)(0.7, InPlace(3.0))


class Model:
    def __init__(self):
        self.s = Shift(3.0)
        self.k = 2.0

    def loss(self, x):
        return self.s + x * self.k


@pytest.mark.parametrize("mode", MODES)
def test_an_object_in_an_attribute_has_its_operators(mode):
    # (its class is known where the instance holding it is: its __add__ is called)
    m = Model()
    assert wengert.grad(m.loss, mode=mode)(0.7) == pytest.approx(
        central(lambda x: m.loss(x), 0.7), rel=1e-6)


Pair = collections.namedtuple("Pair", "a b")


def namedtuple_concatenated(x):
    p = Pair(x, 2.0 * x)
    q = p + (x,)
    return q[0] * q[2]


def test_a_namedtuple_keeps_its_own_message():
    with pytest.raises(NoRuleError, match=r"creating a `Pair` object inside"):
        wengert.grad(namedtuple_concatenated)(0.7)


def read_from_a_list_built_here(x):
    objs = [Shift(3.0)]
    return objs[0] + x


def made_by_a_helper(x):
    w = _make_shift()
    return w + x


def _make_shift():
    return Shift(3.0)


@pytest.mark.parametrize("mode", MODES)
def test_an_object_read_from_a_list_built_here_is_refused(mode):
    with pytest.raises(NoRuleError, match=r"`\+` on an object read from a list or tuple"):
        wengert.grad(read_from_a_list_built_here, mode=mode)(0.7)


@pytest.mark.parametrize("mode", MODES)
def test_an_object_a_helper_makes(mode):
    assert wengert.grad(made_by_a_helper, mode=mode)(0.7) == pytest.approx(3.0 * math.cos(0.7))


def _shift_after(n):
    """A recursion (never spliced in) whose base case makes the object."""
    if n == 0:
        return Shift(3.0)
    return _shift_after(n - 1)


def made_by_a_recursion(x):
    w = _shift_after(2)
    return x + w


def _number(x):
    return 2.0 * x


def a_helper_returning_a_number(x):
    y = _number(x)
    return y + x


@pytest.mark.parametrize("mode", MODES)
def test_an_object_a_helper_returns_unspliced_is_refused(mode):
    # not spliced in (optimize=False), the helper's class is not known where
    # `w + x` is: refused, never arithmetic on numbers (the derivative was 1)
    with pytest.raises(NoRuleError, match=r"`\+` on `w`, which a function this one calls may "
                                          r"return as an object"):
        wengert.grad(made_by_a_helper, mode=mode, optimize=False)(0.7)


@pytest.mark.parametrize("optimize", (True, False))
@pytest.mark.parametrize("mode", MODES)
def test_an_object_a_recursion_returns_is_refused(mode, optimize):
    with pytest.raises(NoRuleError, match=r"`\+` on `w`") as info:
        wengert.grad(made_by_a_recursion, mode=mode, optimize=optimize)(0.7)
    assert "return x + w" in str(info.value) and "pass it in as an argument" in str(info.value)


@pytest.mark.parametrize("optimize", (True, False))
@pytest.mark.parametrize("mode", MODES)
def test_a_helper_returning_a_number_is_arithmetic(mode, optimize):
    d = wengert.grad(a_helper_returning_a_number, mode=mode, optimize=optimize)
    assert d(0.7) == pytest.approx(3.0)
