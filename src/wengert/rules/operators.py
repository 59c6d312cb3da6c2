"""Python's arithmetic operators (``operator`` module), as lowering resolves
``a + b`` to ``operator.add(a, b)``. Broadcasting adjoints are reduced back
to each operand's shape with ``unbroadcast``, which specialisation removes
where the shapes are known to match."""

import builtins
import operator

import numpy as np

from .. import runtime
from ..runtime import getitem_adjoint, unbroadcast
from .registry import adjoint, binary, nondiff, rule, tangent

NS = globals()

binary(operator.add, dx="1", dy="1", namespace=NS, linear=("x", "y"))
binary(operator.sub, dx="1", dy="-1", namespace=NS, linear=("x", "y"))


@rule(operator.mul, elementwise=True)
def mul(x, y):
    tangent(x_dot * y + x * y_dot)
    adjoint(x=unbroadcast(g * y, x), y=unbroadcast(g * x, y))


@rule(operator.truediv, elementwise=True)
def truediv(x, y):
    tangent(x_dot / y - ans * y_dot / y)
    adjoint(x=unbroadcast(g / y, x), y=unbroadcast(-(g * ans) / y, y))


@rule(runtime.const_over, elementwise=True)
def const_over(c, y):
    tangent(-(ans * y_dot) / y)
    adjoint(y=unbroadcast(-(g * ans) * ans / c, y))


@rule(runtime.sigmoid, elementwise=True)
def sigmoid(z):
    tangent(z_dot * ans * (1.0 - ans))
    adjoint(z=g * ans * (1.0 - ans))


nondiff(runtime.held, notes="a shift whose derivative cancels (see optimize.hold_shifts)")


@rule(operator.pow, builtins.pow, elementwise=True,
      notes="the derivative in the exponent is x ** y * log(x): 0 at x = 0 where y > 0, "
            "NaN for x < 0; "
            "x ** 0 has derivative 0 at x = 0 too; `pow(x, y)` (two arguments) is `x ** y`")
def pow_(x, y):       # d/dy is x ** y * log(x), but 0 at x = 0 where y > 0 (not 0 * -inf)
    tangent(runtime.pow_slope(x, y) * x_dot + runtime.pow_slope(x, y, 0, dy=1) * y_dot)
    adjoint(x=unbroadcast(g * runtime.pow_slope(x, y), x),
            y=unbroadcast(g * runtime.pow_slope(x, y, 0, dy=1), y))


@rule(runtime.pow_slope, elementwise=True, zero_derivative=("n", "dy"),
      notes="y (y-1) ... (y-n+1) x ** (y-n), 0 where that coefficient is: the n-th "
            "derivative of x ** y (higher derivatives differentiate it); with dy=m, "
            "differentiated m times in y (0 at x = 0 where y > n)")
def pow_slope(x, y, n=1, dy=0):
    tangent(runtime.pow_slope(x, y, n + 1, dy=dy) * x_dot
            + runtime.pow_slope(x, y, n, dy=dy + 1) * y_dot)
    adjoint(x=unbroadcast(g * runtime.pow_slope(x, y, n + 1, dy=dy), x),
            y=unbroadcast(g * runtime.pow_slope(x, y, n, dy=dy + 1), y))


@rule(operator.neg, elementwise=True, linear=("x",))
def neg(x):
    tangent(-x_dot)
    adjoint(x=-g)


@rule(operator.pos, elementwise=True, linear=("x",))
def pos(x):
    tangent(x_dot)
    adjoint(x=g)


@rule(operator.mod, elementwise=True)
def mod(x, y):
    tangent(x_dot - np.floor_divide(x, y) * y_dot)
    adjoint(x=unbroadcast(g, x), y=unbroadcast(-g * np.floor_divide(x, y), y))


@rule(operator.getitem, linear=("x",), zero_derivative=("index",),
      notes="the adjoint scatter-adds, so repeated indices accumulate; an index is "
            "discrete (an int, a slice, a mask, a key): no derivative")
def getitem(x, index):
    tangent(x_dot[index])
    adjoint(x=getitem_adjoint(g, x, index))


nondiff(operator.floordiv, operator.lt, operator.le, operator.gt, operator.ge,
        operator.eq, operator.ne, operator.is_, operator.is_not, operator.not_,
        operator.contains, operator.and_, operator.or_, operator.xor,
        operator.invert, operator.lshift, operator.rshift,
        notes="piecewise constant or boolean: zero derivative")
