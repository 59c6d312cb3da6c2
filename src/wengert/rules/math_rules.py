"""The ``math`` module: Python floats in, Python floats out. Derivatives are
written with ``math`` functions too, so scalar code stays scalar (no NumPy
call on its hot path).

Where a derivative divides by something that is zero at a point the function
itself is defined (``math.sqrt`` at 0), Python floats raise ZeroDivisionError;
NumPy, and so wengert, gives inf or nan there. Those rules test the value
first and compute the rare case with NumPy (``_over``), so the common case
stays one float division."""

import math

import numpy as np

from .. import runtime
from .registry import adjoint, define, nondiff, rule, tangent, unary

NS = globals()


def _over(num: str, den: str, nonzero: str) -> str:
    """``num / den`` as NumPy computes it, where ``nonzero`` is true exactly
    when ``den`` is not zero (a cheaper test than ``den`` itself)."""
    return f"({num} / {den} if {nonzero} else float(np.divide({num}, {den})))"


def _unary(fn, d, **kw):
    unary(fn, d, NS, scalar_result=True, **kw)


_unary(math.sin, "math.cos(x)")
_unary(math.cos, "-math.sin(x)")
_unary(math.tan, "1.0 + ans * ans")
_unary(math.asin, _over("1.0", "math.sqrt(1.0 - x * x)", "x * x != 1.0"))
_unary(math.acos, _over("-1.0", "math.sqrt(1.0 - x * x)", "x * x != 1.0"))
_unary(math.atan, "1.0 / (1.0 + x * x)")
_unary(math.sinh, "math.cosh(x)")
_unary(math.cosh, "math.sinh(x)")
_unary(math.tanh, "1.0 - ans * ans")
_unary(math.asinh, "1.0 / math.sqrt(x * x + 1.0)")
_unary(math.acosh, _over("1.0", "math.sqrt(x * x - 1.0)", "x * x != 1.0"))
_unary(math.atanh, "1.0 / (1.0 - x * x)")
_unary(math.exp, "ans")
_unary(math.expm1, "ans + 1.0")
_unary(math.log2, "1.0 / (x * math.log(2.0))")
_unary(math.log10, "1.0 / (x * math.log(10.0))")
_unary(math.log1p, "1.0 / (1.0 + x)")
_unary(math.sqrt, _over("0.5", "ans", "ans"))
_unary(math.fabs, "math.copysign(1.0, x)")
_unary(math.erf, "2.0 / math.sqrt(math.pi) * math.exp(-x * x)")
_unary(math.erfc, "-2.0 / math.sqrt(math.pi) * math.exp(-x * x)")
_unary(math.degrees, "180.0 / math.pi")
_unary(math.radians, "math.pi / 180.0")
if hasattr(math, "cbrt"):
    _unary(math.cbrt, _over("1.0", "(3.0 * ans * ans)", "ans"))
if hasattr(math, "exp2"):
    _unary(math.exp2, "ans * math.log(2.0)")


@rule(math.log, scalar_result=True)
def log(x, base=math.e):
    tangent(x_dot / (x * math.log(base)) - base_dot * ans / (base * math.log(base)))
    adjoint(x=g / (x * math.log(base)), base=-g * ans / (base * math.log(base)))


@rule(math.pow, scalar_result=True,
      notes="the adjoint of the exponent uses log(x) and is NaN for x <= 0")
def pow_(x, y):       # math.pow(0.0, -0.5) raises; NumPy gives inf
    tangent(y * (math.pow(x, y - 1.0) if x else float(np.power(x, y - 1.0))) * x_dot
            + ans * math.log(x) * y_dot)
    adjoint(x=g * y * (math.pow(x, y - 1.0) if x else float(np.power(x, y - 1.0))),
            y=g * ans * math.log(x))


@rule(math.atan2, scalar_result=True)
def atan2(y, x):       # at (0, 0): 0 / 0, nan as NumPy divides
    tangent((x * y_dot - y * x_dot) * (1.0 / (x * x + y * y) if x * x + y * y
                                       else float(np.divide(1.0, x * x + y * y))))
    adjoint(y=g * x * (1.0 / (x * x + y * y) if x * x + y * y
                       else float(np.divide(1.0, x * x + y * y))),
            x=-g * y * (1.0 / (x * x + y * y) if x * x + y * y
                        else float(np.divide(1.0, x * x + y * y))))


@rule(math.hypot, scalar_result=True)
def hypot(x, y):       # at (0, 0): 0 / 0, nan as NumPy divides
    tangent((x / ans if ans else float(np.divide(x, ans))) * x_dot
            + (y / ans if ans else float(np.divide(y, ans))) * y_dot)
    adjoint(x=g * (x / ans if ans else float(np.divide(x, ans))),
            y=g * (y / ans if ans else float(np.divide(y, ans))))


@rule(math.copysign, scalar_result=True, zero_derivative=("y",))
def copysign(x, y):
    tangent(math.copysign(1.0, x) * math.copysign(1.0, y) * x_dot)
    adjoint(x=g * math.copysign(1.0, x) * math.copysign(1.0, y))


@rule(math.fmod, scalar_result=True)
def fmod(x, y):
    tangent(x_dot - float(int(x / y)) * y_dot)
    adjoint(x=g, y=-g * float(int(x / y)))


@rule(math.fsum, linear=("iterable",), scalar_result=True,
      notes="over a list or tuple of floats or a 1-D array (a generator expression is "
            "lowered to a list); the derivative of each item is 1, as for sum")
def fsum(iterable):
    tangent(math.fsum(iterable_dot))
    adjoint(iterable=runtime.fill_like(g, iterable))


nondiff(math.floor, math.ceil, math.trunc, math.isfinite, math.isinf, math.isnan,
        math.isclose, math.factorial, math.gcd, math.comb, math.perm,
        notes="integer-valued or boolean: zero derivative")
