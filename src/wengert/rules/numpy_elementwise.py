"""NumPy's elementwise functions (ufuncs): unary, and binary with
broadcasting. Tangents keep the operand's shape; adjoints of binary functions
are reduced back to each operand's shape with ``unbroadcast``."""

import math

import numpy as np

from .. import runtime
from ..runtime import unbroadcast
from .registry import adjoint, binary, nondiff, rule, tangent, unary

NS = globals()


def _unary(fns, d, **kw):
    for fn in fns if isinstance(fns, tuple) else (fns,):
        unary(fn, d, NS, **kw)


_unary(np.negative, "-1.0", linear=("x",))
_unary(np.positive, "1.0", linear=("x",))
_unary((np.absolute, np.fabs), "np.sign(x)",
       notes="derivative 0 at x == 0 (a subgradient)")
_unary(np.reciprocal, "-(ans * ans)")
_unary(np.exp, "ans")
_unary(np.exp2, "ans * math.log(2.0)")
_unary(np.expm1, "ans + 1.0")
_unary(np.log, "1.0 / x")
_unary(np.log2, "1.0 / (x * math.log(2.0))")
_unary(np.log10, "1.0 / (x * math.log(10.0))")
_unary(np.log1p, "1.0 / (1.0 + x)")
_unary(np.sin, "np.cos(x)")
_unary(np.cos, "-np.sin(x)")
_unary(np.tan, "1.0 + ans * ans")
_unary(np.arcsin, "1.0 / np.sqrt(1.0 - x * x)")
_unary(np.arccos, "-1.0 / np.sqrt(1.0 - x * x)")
_unary(np.arctan, "1.0 / (1.0 + x * x)")
_unary(np.sinh, "np.cosh(x)")
_unary(np.cosh, "np.sinh(x)")
_unary(np.tanh, "1.0 - ans * ans")
_unary(np.arcsinh, "1.0 / np.sqrt(x * x + 1.0)")
_unary(np.arccosh, "1.0 / np.sqrt(x * x - 1.0)")
_unary(np.arctanh, "1.0 / (1.0 - x * x)")
_unary(np.square, "2.0 * x")
_unary(np.sqrt, "0.5 / ans")
_unary(np.cbrt, "1.0 / (3.0 * ans * ans)")
_unary(np.deg2rad, "np.pi / 180.0", linear=("x",))
_unary(np.rad2deg, "180.0 / np.pi", linear=("x",))
_unary(np.radians, "np.pi / 180.0", linear=("x",))
_unary(np.degrees, "180.0 / np.pi", linear=("x",))
_unary(np.sinc, "np.where(x == 0.0, 0.0, (np.cos(np.pi * x) - ans) / np.where(x == 0.0, 1.0, x))",
       notes="derivative 0 at x == 0")

binary(np.add, dx="1", dy="1", namespace=NS, linear=("x", "y"))
binary(np.subtract, dx="1", dy="-1", namespace=NS, linear=("x", "y"))
binary(np.maximum, dx="x >= y", dy="x < y", namespace=NS,
       notes="ties: the gradient goes to the first argument")
binary(np.minimum, dx="x <= y", dy="x > y", namespace=NS,
       notes="ties: the gradient goes to the first argument")
binary(np.fmax, dx="(x >= y) | np.isnan(y)", dy="(x < y) | np.isnan(x)", namespace=NS,
       notes="ties: the gradient goes to the first argument; NaNs are ignored")
binary(np.fmin, dx="(x <= y) | np.isnan(y)", dy="(x > y) | np.isnan(x)", namespace=NS,
       notes="ties: the gradient goes to the first argument; NaNs are ignored")
binary(np.logaddexp, dx="np.exp(x - ans)", dy="np.exp(y - ans)", namespace=NS)
binary(np.logaddexp2, dx="np.exp2(x - ans)", dy="np.exp2(y - ans)", namespace=NS)
binary(np.arctan2, dx="y / (x * x + y * y)", dy="-x / (x * x + y * y)", namespace=NS,
       notes="np.arctan2(x, y) here names the first argument x")
binary(np.hypot, dx="x / ans", dy="y / ans", namespace=NS)
binary((np.remainder), dx="1", dy="-np.floor_divide(x, y)", namespace=NS)
binary(np.fmod, dx="1", dy="-np.trunc(x / y)", namespace=NS)
binary(np.copysign, dx="np.sign(x) * np.sign(y)", dy=None, namespace=NS)


@rule(np.multiply, elementwise=True)
def multiply(x, y):
    tangent(x_dot * y + x * y_dot)
    adjoint(x=unbroadcast(g * y, x), y=unbroadcast(g * x, y))


@rule(np.divide, elementwise=True)
def divide(x, y):
    tangent(x_dot / y - ans * y_dot / y)
    adjoint(x=unbroadcast(g / y, x), y=unbroadcast(-(g * ans) / y, y))


@rule(np.power, elementwise=True,
      notes="the derivative in the exponent is x ** y * log(x): 0 at x = 0 where y > 0, "
            "NaN for x < 0; "
            "x ** 0 has derivative 0 at x = 0 too")
def power(x, y):      # d/dy is x ** y * log(x), but 0 at x = 0 where y > 0 (not 0 * -inf)
    tangent(runtime.pow_slope(x, y) * x_dot + runtime.pow_slope(x, y, 0, dy=1) * y_dot)
    adjoint(x=unbroadcast(g * runtime.pow_slope(x, y), x),
            y=unbroadcast(g * runtime.pow_slope(x, y, 0, dy=1), y))


@rule(np.float_power, elementwise=True, notes="computes in float64, so adjoints are float64")
def float_power(x, y):    # d/dy as x ** y's, of x in float64 (np.float_power(x, 1.0))
    tangent(y * np.float_power(x, y - 1) * x_dot
            + runtime.pow_slope(np.float_power(x, 1.0), y, 0, dy=1) * y_dot)
    adjoint(x=unbroadcast(g * y * np.float_power(x, y - 1), x),
            y=unbroadcast(g * runtime.pow_slope(np.float_power(x, 1.0), y, 0, dy=1), y))


nondiff(np.sign, np.floor, np.ceil, np.trunc, np.rint, np.fix, np.round,
        np.floor_divide, np.isnan, np.isfinite, np.isinf, np.signbit,
        np.greater, np.greater_equal, np.less, np.less_equal, np.equal,
        np.not_equal, np.logical_and, np.logical_or, np.logical_not,
        np.logical_xor,
        notes="piecewise constant or boolean: zero derivative")
binary(np.heaviside, dx=None, dy="x == 0", namespace=NS,
       notes="piecewise constant in x; equal to y where x == 0")
