"""Idioms users bring from JAX and plain Python: ``pow``, ``d.get``, dict
views passed to ``sum``/``list``, dict comprehensions, ``zip``/``map``/
``filter`` as values, ``functools.reduce``. Each is lowered to a form that
differentiates already; both modes, with and without optimisation, against
central differences."""

import functools
import math
import operator

import numpy as np
import pytest

import wengert
from wengert.errors import UnsupportedSyntaxError
from test_nondiff_audit import central_difference

COMBOS = [pytest.param(m, o, id=f"{m}-{'opt' if o else 'noopt'}")
          for m in ("reverse", "forward") for o in (True, False)]
KEYS = ("a", "b")
W = {"a": 2.0, "b": 3.0}


def check(f, args, mode, optimize):
    wrt = tuple(range(len(args)))
    got = wengert.grad(f, wrt=wrt, mode=mode, optimize=optimize)(*args)
    for i, g in zip(wrt, got):
        np.testing.assert_allclose(g, central_difference(f, args, i), rtol=1e-6, atol=1e-6)


def check_dict(f, d, mode, optimize):
    """Gradient with respect to a dict of floats, entry by entry."""
    got = wengert.grad(f, mode=mode, optimize=optimize)(d)
    assert list(got) == list(d)
    for k in d:
        up, down = dict(d), dict(d)
        up[k], down[k] = d[k] + 1e-6, d[k] - 1e-6
        np.testing.assert_allclose(got[k], (f(up) - f(down)) / 2e-6, rtol=1e-6, atol=1e-6)


# -- on arrays and floats ----------------------------------------------------

def pow_const(x):
    return np.sum(pow(x, 2) + pow(x, 3.0) * 0.5)


def pow_var(x, y):
    return np.sum(pow(x, y)) + pow(base=y, exp=2)


def get_built(x, y):
    d = {"w": x, "b": y * 2.0}
    return np.sum(d.get("w") * d.get("b")) + np.sum(d.get("z", y) ** 2)


def dictcomp_zip(x, y):
    e = {k: np.sin(v) for k, v in zip(KEYS, [x, y])}
    return np.sum(e["a"] * e["b"])


def dict_of_zip(x, y):
    e = dict(zip(KEYS, [x, y * x]))
    return np.sum(e["a"] * e["b"] ** 2)


def dictcomp_module(x):
    e = {k: v * x for k, v in W.items() if v > 2.5}
    return np.sum(e.get("b") * x) + np.sum(e.get("a", x))


def list_zip(x):
    pairs = list(zip(x, x * 2.0))
    return sum(a * b for a, b in pairs) + pairs[1][1]


def zip_enumerate_values(x):
    return sum(i * v for i, v in list(enumerate(x))) + sum(a * b for a, b in zip(x, x))


def map_sin(x):
    return sum(map(np.sin, x))


def loop_over_map(x):
    s = 0.0
    for v in map(np.cos, x):
        s = s + v * v
    return s


def map_lambda(x, y):
    return sum(map(lambda a, b: a * b ** 2, x, y))


def filter_positive(x):
    return sum(filter(lambda v: v > 0.0, x * x - 1.0))


def reduce_init(x):
    return functools.reduce(lambda a, b: a + b * b, x, 0.0)


def reduce_mul(x):
    return functools.reduce(operator.mul, x)


ARRAY_CASES = [
    (pow_const, (np.array([0.5, 1.3, 2.0]),)),
    (pow_var, (np.array([0.5, 1.3]), 0.7)),
    (get_built, (np.array([0.5, -1.0]), 1.5)),
    (dictcomp_zip, (0.3, np.array([0.4, 1.1]))),
    (dict_of_zip, (0.3, 1.4)),
    (dictcomp_module, (1.5,)),
    (list_zip, (np.array([0.5, -1.0, 2.0]),)),
    (zip_enumerate_values, (np.array([0.5, -1.0, 2.0]),)),
    (map_sin, (np.array([0.5, -1.0, 2.0]),)),
    (loop_over_map, (np.array([0.5, -1.0, 2.0]),)),
    (map_lambda, (np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.3, -0.2]))),
    (filter_positive, (np.array([0.5, -1.5, 2.0]),)),
    (reduce_init, (np.array([0.5, -1.0, 2.0]),)),
    (reduce_mul, (np.array([0.5, -1.0, 2.0]),)),
]


@pytest.mark.parametrize("mode, optimize", COMBOS)
@pytest.mark.parametrize("f, args", ARRAY_CASES, ids=[f.__name__ for f, _ in ARRAY_CASES])
def test_idiom_on_arrays(f, args, mode, optimize):
    check(f, args, mode, optimize)


# -- with respect to a dict argument -----------------------------------------

def get_arg(d):
    return d.get("a") * 2.0 + d.get("c", 1.0) * d.get("b", 5.0)


def sum_values(d):
    return sum(d.values()) * d["a"]


def list_values(d):
    return np.sum(np.array(list(d.values())) ** 2) + max(d.values()) + math.fsum(d.values())


def views_with_start(d):
    return tuple(d.items())[1][1] * sum(d.values(), 0.5)


def generator_values(d):
    return sum(v * v for v in d.values())


def dictcomp_items(d):
    e = {k: v * 2.0 for k, v in d.items()}
    f = dict(e.items())
    return e["a"] * f["b"] + sum(sorted(f.values())[:1])


DICT_CASES = [get_arg, sum_values, list_values, views_with_start, generator_values,
              dictcomp_items]


@pytest.mark.parametrize("mode, optimize", COMBOS)
@pytest.mark.parametrize("f", DICT_CASES, ids=[f.__name__ for f in DICT_CASES])
def test_idiom_on_a_dict_argument(f, mode, optimize):
    check_dict(f, {"a": 1.3, "b": -0.6}, mode, optimize)


def test_get_of_your_own_class_calls_its_method():
    class Table:
        def get(self, k, default=None):
            return 3.0

    def f(t, x):
        return t.get("a") * x
    assert wengert.grad(f, wrt=1)(Table(), 2.0) == 3.0


def test_second_derivatives_through_get_and_pow():
    def f(x, y):
        d = {"a": x}
        return d.get("a") * pow(x, y) * d.get("b", y)
    h = wengert.hessian(f, wrt=(0, 1))(0.7, 1.3)
    np.testing.assert_allclose(h, [[3.4925606, 1.5935128], [1.5935128, -0.2412573]], rtol=1e-6)


# -- what stays refused, with what to write instead ---------------------------

def pow_mod(x):
    return pow(2, 5, 3) * x


def map_of_computed_function(x):
    return sum(map(functools.partial(operator.mul, 2.0), x))


def reduce_with_keywords(x):
    return functools.reduce(lambda a, b=1.0: a + b, x, 0.0)


@pytest.mark.parametrize("f, words", [
    (pow_mod, "three-argument `pow(x, y, mod)`"),
    (map_of_computed_function, "[f(x) for x in xs]"),
    (reduce_with_keywords, "acc = f(acc, x)"),
])
def test_refused_with_what_to_write(f, words):
    with pytest.raises(UnsupportedSyntaxError) as err:
        wengert.grad(f)(np.array([1.0, 2.0]))
    assert words in str(err.value)
    assert "defrule" not in str(err.value)
