"""Expressions outside the supported subset, and the odd ones inside it."""

import math

import numpy as np

from wengert import UnsupportedSyntaxError

from . import accepts, rejects


def _pow(a, b):
    return a ** b


def _kw_helper(a, scale=1.0):
    return scale * a * a


@rejects(UnsupportedSyntaxError, 1.5, col=9, message=":=")
def walrus(x):
    y = (z := x * 2.0) + z  # <-- here
    return y


@rejects(UnsupportedSyntaxError, 1.5, col=20, message="*args")
def star_args_call(x):
    args = (x, 2.0)
    return math.pow(*args)  # <-- here


@rejects(UnsupportedSyntaxError, 1.5, col=11, message="**kwargs")
def double_star_call(x):
    opts = dict(scale=2.0)
    return _kw_helper(x, **opts)  # <-- here


@rejects(UnsupportedSyntaxError, 1.5, col=20, message="*args")
def star_parameter(*xs):  # <-- here
    return xs[0] * xs[0]


@rejects(UnsupportedSyntaxError, 1.5, col=31, message="**kwargs")
def double_star_parameter(x, **options):  # <-- here
    return x * x


@rejects(UnsupportedSyntaxError, 1.5, col=8, message="f-string")
def f_string(x):
    s = f"{x:.3f}"  # <-- here
    return x * x


@accepts(1.5, expect=2.0, note="a dict with constant string keys is supported")
def dict_display(x):
    d = {"a": x, "b": 2.0}
    return d["a"] * d["b"]


@accepts(1.5, expect=2.0, note="a dict comprehension is a loop filling a new dict")
def dict_comprehension(x):
    d = {i: x * i for i in range(3)}
    return d[2]


@rejects(UnsupportedSyntaxError, 1.5, col=8, message="set")
def set_display(x):
    s = {x, 2.0}  # <-- here
    return x * x


@rejects(UnsupportedSyntaxError, 1.5, col=15, message="set comprehension")
def set_comprehension(x):
    return sum({x * i for i in range(3)})  # <-- here


@rejects(UnsupportedSyntaxError, 1.5, col=16, message="lambda")
def lambda_as_value(x):
    return _pow(lambda t: t, x)  # <-- here


@accepts(1.5, expect=2.0 * 1.5 + 1.0)
def lambda_assigned_and_called(x):
    square = lambda t: t * t                      # noqa: E731
    return square(x) + x


@accepts(1.5, expect=10.0 * 1.5)
def generator_expression(x):
    """A generator expression is lowered to a list: supported."""
    return sum(v * v for v in [x, 2.0 * x])


@accepts(1.5, expect=3.0)
def list_comprehension_with_filter(x):
    return sum([x * i for i in range(3) if i > 0])


@accepts(1.5, expect=2.0, note="a string is inactive data; comparing strings is fine")
def string_constant_branch(x):
    mode = "double"
    if mode == "double":
        return 2.0 * x
    return x


@accepts(1.5, expect=math.cos(1.5) * 1.5 + math.sin(1.5))
def chained_comparison_and_ifexp(x):
    s = math.sin(x)
    return x * s if 0.0 < x < 2.0 else s


@accepts(np.array([1.0, 2.0, 3.0]), expect=np.array([0.0, 4.0, 0.0]))
def negative_and_slice_indexing(x):
    return x[1:2][0] * x[-2]
