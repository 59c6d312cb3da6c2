"""The ``math`` module: Python floats in, Python floats out. Derivatives are
written with ``math`` functions too, so scalar code stays scalar (no NumPy
call on its hot path)."""

import math

from .registry import adjoint, define, nondiff, rule, tangent, unary

NS = globals()


def _unary(fn, d, **kw):
    unary(fn, d, NS, scalar_result=True, **kw)


_unary(math.sin, "math.cos(x)")
_unary(math.cos, "-math.sin(x)")
_unary(math.tan, "1.0 + ans * ans")
_unary(math.asin, "1.0 / math.sqrt(1.0 - x * x)")
_unary(math.acos, "-1.0 / math.sqrt(1.0 - x * x)")
_unary(math.atan, "1.0 / (1.0 + x * x)")
_unary(math.sinh, "math.cosh(x)")
_unary(math.cosh, "math.sinh(x)")
_unary(math.tanh, "1.0 - ans * ans")
_unary(math.asinh, "1.0 / math.sqrt(x * x + 1.0)")
_unary(math.acosh, "1.0 / math.sqrt(x * x - 1.0)")
_unary(math.atanh, "1.0 / (1.0 - x * x)")
_unary(math.exp, "ans")
_unary(math.expm1, "ans + 1.0")
_unary(math.log2, "1.0 / (x * math.log(2.0))")
_unary(math.log10, "1.0 / (x * math.log(10.0))")
_unary(math.log1p, "1.0 / (1.0 + x)")
_unary(math.sqrt, "0.5 / ans")
_unary(math.fabs, "math.copysign(1.0, x)")
_unary(math.erf, "2.0 / math.sqrt(math.pi) * math.exp(-x * x)")
_unary(math.erfc, "-2.0 / math.sqrt(math.pi) * math.exp(-x * x)")
_unary(math.degrees, "180.0 / math.pi")
_unary(math.radians, "math.pi / 180.0")
if hasattr(math, "cbrt"):
    _unary(math.cbrt, "1.0 / (3.0 * ans * ans)")
if hasattr(math, "exp2"):
    _unary(math.exp2, "ans * math.log(2.0)")


@rule(math.log, scalar_result=True)
def log(x, base=math.e):
    tangent(x_dot / (x * math.log(base)) - base_dot * ans / (base * math.log(base)))
    adjoint(x=g / (x * math.log(base)), base=-g * ans / (base * math.log(base)))


@rule(math.pow, scalar_result=True,
      notes="the adjoint of the exponent uses log(x) and is NaN for x <= 0")
def pow_(x, y):
    tangent(y * math.pow(x, y - 1.0) * x_dot + ans * math.log(x) * y_dot)
    adjoint(x=g * y * math.pow(x, y - 1.0), y=g * ans * math.log(x))


@rule(math.atan2, scalar_result=True)
def atan2(y, x):
    tangent((x * y_dot - y * x_dot) / (x * x + y * y))
    adjoint(y=g * x / (x * x + y * y), x=-g * y / (x * x + y * y))


@rule(math.hypot, scalar_result=True)
def hypot(x, y):
    tangent((x * x_dot + y * y_dot) / ans)
    adjoint(x=g * x / ans, y=g * y / ans)


@rule(math.copysign, scalar_result=True, zero_derivative=("y",))
def copysign(x, y):
    tangent(math.copysign(1.0, x) * math.copysign(1.0, y) * x_dot)
    adjoint(x=g * math.copysign(1.0, x) * math.copysign(1.0, y))


@rule(math.fmod, scalar_result=True)
def fmod(x, y):
    tangent(x_dot - float(int(x / y)) * y_dot)
    adjoint(x=g, y=-g * float(int(x / y)))


nondiff(math.floor, math.ceil, math.trunc, math.isfinite, math.isinf, math.isnan,
        math.isclose, math.factorial, math.gcd, math.comb, math.perm,
        notes="integer-valued or boolean: zero derivative")
