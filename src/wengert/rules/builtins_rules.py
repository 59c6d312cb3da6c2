"""Python builtins: ``abs``, ``max``/``min`` (two arguments; lowering takes more in
pairs and reads one sequence as its extreme item), ``float``, a dict's ``get``
(``pow`` shares ``operator.pow``'s rule), and the
builtins that produce no derivative (``len``, ``range``, ``int``, …)."""

import builtins
import operator

import numpy as np

from .. import runtime
from ..runtime import getitem_adjoint, zeros_like
from .registry import adjoint, nondiff, rule, tangent


@rule(builtins.abs, elementwise=True, notes="derivative 0 at x == 0 (a subgradient)")
def abs_(x):
    tangent(x_dot * runtime.sign(x))
    adjoint(x=g * runtime.sign(x))


@rule(builtins.max, elementwise=True, notes="two arguments (more: taken in pairs; one list, tuple or 1-D array: the item it returns gets the derivative); ties go to the first")
def max_(x, y):
    tangent(x_dot if x >= y else y_dot)
    adjoint(x=g if x >= y else 0.0, y=0.0 if x >= y else g)


@rule(builtins.min, elementwise=True, notes="two arguments (more: taken in pairs; one list, tuple or 1-D array: the item it returns gets the derivative); ties go to the first")
def min_(x, y):
    tangent(x_dot if x <= y else y_dot)
    adjoint(x=g if x <= y else 0.0, y=0.0 if x <= y else g)


@rule(builtins.sum, linear=("iterable",),
      notes="over a list or tuple (or a generator expression, lowered to a list)")
def sum_(iterable, start=0):
    tangent(sum(iterable_dot) + start_dot)
    adjoint(iterable=runtime.fill_like(g, iterable), start=g)


@rule(builtins.list, builtins.tuple, linear=("iterable",))
def list_(iterable):
    tangent(list(iterable_dot))
    adjoint(iterable=runtime.seq_adjoint(g, iterable))


@rule(builtins.dict, linear=("mapping",), notes="of one dict: a shallow copy, like d.copy()")
def dict_(mapping):
    tangent(runtime.copied_dict(mapping_dot, mapping))
    adjoint(mapping=runtime.copied_dict(g, mapping))


@rule(builtins.sorted, linear=("iterable",),
      notes="of a list, tuple or 1-D array of numbers (no key=); ties keep their order, "
            "as the stable sort does")
def sorted_(iterable, reverse=False):
    tangent(runtime.sorted_like(iterable_dot, iterable, reverse))
    adjoint(iterable=runtime.unsorted(g, iterable, reverse))


@rule(runtime.sorted_like, linear=("t",))
def sorted_like_(t, xs, reverse=False):
    tangent(runtime.sorted_like(t_dot, xs, reverse))
    adjoint(t=runtime.unsorted(g, xs, reverse))


@rule(runtime.unsorted, linear=("t",))
def unsorted_(t, xs, reverse=False):
    tangent(runtime.unsorted(t_dot, xs, reverse))
    adjoint(t=runtime.sorted_like(g, xs, reverse))


@rule(methods=("get",), zero_derivative=("key",),
      notes="`d.get(key, default)` of a dict: the item at `key`, else `default` (a `get` of "
            "your own class is called instead where the object's class is known)")
def dict_get(d, key, default=None):
    tangent(d_dot[key] if operator.contains(d, key) else default_dot)
    adjoint(d=getitem_adjoint(g, d, key) if operator.contains(d, key) else zeros_like(d),
            default=zeros_like(default) if operator.contains(d, key) else g)


@rule(builtins.float, linear=("x",), scalar_result=True)
def float_(x):
    tangent(float(x_dot))
    adjoint(x=runtime.adjoint_as(g, x))      # (float(a) of a 0-d array: an array)


nondiff(builtins.len, builtins.range, builtins.int, builtins.round, builtins.bool,
        builtins.isinstance, builtins.type, builtins.print,
        builtins.id, builtins.hash,
        notes="no derivative: integer, boolean or non-numeric result")
nondiff(builtins.str, builtins.repr, builtins.format, refuse=True,
        notes="text: a differentiated value written into it is refused where the text "
              "is used (`float(str(x))` is `x`, whose derivative would be lost)")
