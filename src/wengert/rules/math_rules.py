"""The ``math`` module: Python floats in, Python floats out. Derivatives are
written with ``math`` functions too, so scalar code stays scalar (no NumPy
call on its hot path).

Where a derivative divides by something that is zero at a point the function
itself is defined (``math.sqrt`` at 0), Python floats raise ZeroDivisionError;
NumPy, and so wengert, gives inf or nan there. Those rules test the value
first and compute the rare case with NumPy (``_over``), so the common case
stays one float division.

``math.gamma`` and ``math.lgamma`` differentiate with the digamma function
``ψ = Γ'/Γ``, which the standard library lacks: ``_polygamma`` computes it
(and its derivatives, for higher order) for Python floats::

    d gamma(x) = gamma(x) ψ(x) dx        d lgamma(x) = ψ(x) dx

``math.prod`` and ``math.dist`` take sequences (lists, tuples, 1-D arrays):
their rules read the items as one array, ``stacked_items(xs)`` (broadcast
against each other), and give each item its adjoint through
``unstacked_items`` (a tuple of floats for a list of floats), reusing
``np.prod``'s ``prod_others``, exact when items are 0, and its own rules for
second derivatives::

    d prod(xs) = Σᵢ dxᵢ Πⱼ≠ᵢ xⱼ          d dist(p, q) = Σᵢ (pᵢ - qᵢ)(dpᵢ - dqᵢ) / dist(p, q)"""

import functools
import math

import numpy as np

from .. import runtime
from ..runtime import unbroadcast
from .numpy_reductions import _cast_like, prod_others, unreduce
from .numpy_shape import _like
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
      notes="the derivative in the exponent is x ** y * log(x): 0 at x = 0 where y > 0, "
            "NaN for x < 0")
def pow_(x, y):       # math.pow(0.0, -0.5) raises; NumPy gives inf
    # d/dy: math.log(x) raises at x <= 0; there, 0 at x = 0 where y > 0, else NumPy's -inf, NaN
    tangent(y * (math.pow(x, y - 1.0) if x else float(np.power(x, y - 1.0))) * x_dot
            + (ans * math.log(x) if x > 0.0 else runtime.pow_slope(x, y, 0, dy=1)) * y_dot)
    adjoint(x=g * y * (math.pow(x, y - 1.0) if x else float(np.power(x, y - 1.0))),
            y=g * (ans * math.log(x) if x > 0.0 else runtime.pow_slope(x, y, 0, dy=1)))


@rule(math.atan2, scalar_result=True)
def atan2(y, x):       # at (0, 0): 0 / 0, nan as NumPy divides
    tangent((x * y_dot - y * x_dot) * (1.0 / (x * x + y * y) if x * x + y * y
                                       else float(np.divide(1.0, x * x + y * y))))
    adjoint(y=g * x * (1.0 / (x * x + y * y) if x * x + y * y
                       else float(np.divide(1.0, x * x + y * y))),
            x=-g * y * (1.0 / (x * x + y * y) if x * x + y * y
                        else float(np.divide(1.0, x * x + y * y))))


@rule(math.hypot, scalar_result=True, notes="of two or three coordinates")
def hypot(x, y, z=None):       # at the origin: 0 / 0, nan as NumPy divides
    tangent((x / ans if ans else float(np.divide(x, ans))) * x_dot
            + (y / ans if ans else float(np.divide(y, ans))) * y_dot
            + (z / ans if ans else float(np.divide(z, ans))) * z_dot)
    adjoint(x=g * (x / ans if ans else float(np.divide(x, ans))),
            y=g * (y / ans if ans else float(np.divide(y, ans))),
            z=g * (z / ans if ans else float(np.divide(z, ans))))


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


def stacked_items(xs):
    """The items of the sequence ``xs`` as one array, on a new first axis
    (broadcast against each other, in the dtype their product has); an array
    as it is (``math.prod`` iterates over its first axis)."""
    if hasattr(xs, "ndim"):
        return xs
    items = list(xs)
    if all(type(x) in (float, int) for x in items):         # Python numbers (or none)
        return np.array(items, dtype=np.float64)
    return np.stack(np.broadcast_arrays(*items)).astype(np.result_type(*items), copy=False)


def unstacked_items(t, xs):
    """The adjoint of ``stacked_items(xs)``: each item's slice of ``t``,
    summed to the item's shape and typed like it (a tuple for a list or
    tuple, a Python float for a float); an array for an array."""
    if hasattr(xs, "ndim"):
        return _like(t, xs)
    return tuple(_like(unbroadcast(ti, x), x) for ti, x in zip(t, xs))


@rule(math.prod,
      notes="over a list or tuple of numbers (or arrays, broadcast) or an array (over its "
            "first axis); exact when items are 0 (one or several), and so are second "
            "derivatives, as for np.prod; start= is a constant (a differentiated one is "
            "refused)")
def prod(iterable, *, start=1):
    tangent(np.sum(stacked_items(iterable_dot) * prod_others(stacked_items(iterable), axis=0),
                   axis=0) * start)
    adjoint(iterable=unstacked_items(unreduce(g, stacked_items(iterable), axis=0)
                                     * prod_others(stacked_items(iterable), axis=0) * start,
                                     iterable))


@rule(math.dist, scalar_result=True,
      notes="points as lists or tuples of floats or 1-D arrays; at p == q the derivative "
            "is 0 / 0, NaN, as for math.hypot at the origin")
def dist(p, q):
    tangent(float(np.sum((stacked_items(p) - stacked_items(q)) / ans
                         * (stacked_items(p_dot) - stacked_items(q_dot)))))
    adjoint(p=unstacked_items(g * ((stacked_items(p) - stacked_items(q)) / ans), p),
            q=unstacked_items(-g * ((stacked_items(p) - stacked_items(q)) / ans), q))


@rule(stacked_items, linear=("xs",))
def stacked_items_(xs):
    tangent(stacked_items(xs_dot))
    adjoint(xs=unstacked_items(g, xs))


@rule(unstacked_items, linear=("t",), zero_derivative=("xs",))
def unstacked_items_(t, xs):
    tangent(unstacked_items(t_dot, xs))
    adjoint(t=_cast_like(stacked_items(g), t))


# -- gamma: the standard library has no digamma, so the polygamma function of a
#    Python float is computed here, and has a rule of its own (derivatives of
#    derivatives of gamma and lgamma call it with n + 1)

_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6,    # B₂, B₄, …, B₂₀
              -3617 / 510, 43867 / 798, -174611 / 330)


def _polygamma(n: int, x: float) -> float:
    """The polygamma function ``ψ⁽ⁿ⁾(x)`` of a Python float (``n = 0``: digamma,
    the derivative of ``lgamma``), about 1e-15 relative for ``x > 0``; NaN at
    the poles ``0, -1, -2, …``. For ``x < 0`` the reflection formula
    ``ψ⁽ⁿ⁾(x) = (-1)ⁿ ψ⁽ⁿ⁾(1 - x) - π dⁿ/dxⁿ cot(πx)``; for ``x > 0`` the
    recurrence ``ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) + (-1)ⁿ⁺¹ n! / xⁿ⁺¹`` up to ``x ≥ 6 + n``,
    then the asymptotic series."""
    if x <= 0.0 and (math.isinf(x) or x == math.floor(x)):
        return math.nan
    if x < 0.0:
        return ((-1.0) ** n * _polygamma(n, 1.0 - x)
                - math.pi ** (n + 1) * _cot_derivative(n, _cot_pi(x)))
    shift = 0.0
    try:
        while x < 6.0 + n:
            shift += (1.0 / x) ** (n + 1)
            x += 1.0
    except OverflowError:                   # x tiny: ψ⁽ⁿ⁾(x) ≈ (-1)ⁿ⁺¹ n!/xⁿ⁺¹
        return (-1.0) ** (n + 1) * math.inf
    return (-1.0) ** (n + 1) * math.factorial(n) * shift + _polygamma_series(n, x)


def _polygamma_series(n: int, x: float) -> float:
    """``ψ⁽ⁿ⁾(x) ~ (-1)ⁿ⁺¹ [(n-1)!/xⁿ + n!/(2xⁿ⁺¹) + Σₖ B₂ₖ (2k+n-1)!/((2k)! x²ᵏ⁺ⁿ)]``,
    whose first term is ``log x`` for ``n = 0``: Horner's rule in ``1/x²``."""
    inv = 1.0 / x
    t = inv * inv
    s = 0.0
    for c in reversed(_series_coefficients(n)):
        s = (s + c) * t
    tail = inv ** n * (s + math.factorial(n) / 2.0 * inv)
    if n == 0:
        return math.log(x) - tail
    return (-1.0) ** (n + 1) * (math.factorial(n - 1) * inv ** n + tail)


@functools.lru_cache(maxsize=None)
def _series_coefficients(n: int) -> tuple:
    """``B₂ₖ (2k+n-1)! / (2k)!`` for k = 1, 2, …"""
    return tuple(b * math.factorial(2 * k + n - 1) / math.factorial(2 * k)
                 for k, b in enumerate(_BERNOULLI, start=1))


def _cot_derivative(n: int, c: float) -> float:
    """``dⁿ/dyⁿ cot(y)`` at ``cot(y) = c``: a polynomial ``Pₙ(c)`` with
    ``P₀ = c``, ``Pₖ₊₁ = -(1 + c²) Pₖ'``."""
    p = [0.0, 1.0]                                           # coefficients of c⁰, c¹, …
    for _ in range(n):
        d = [i * p[i] for i in range(1, len(p))] + [0.0, 0.0]
        p = [-(d[i] + (d[i - 2] if i >= 2 else 0.0)) for i in range(len(d))]
    out = 0.0
    for a in reversed(p):
        out = out * c + a
    return out


def _cot_pi(x: float) -> float:
    """``cot(πx)``, exactly 0 at half-integers: reduced to ``|r| ≤ 1/4`` by
    the period 1 and ``cot(πr) = -tan(π(r ∓ 1/2))`` (the differences are exact)."""
    r = x - round(x)
    if abs(r) <= 0.25:
        return 1.0 / math.tan(math.pi * r)
    return -math.tan(math.pi * (r - math.copysign(0.5, r)))


_unary(math.gamma, "ans * _polygamma(0, x)")
_unary(math.lgamma, "_polygamma(0, x)", notes="log|Γ(x)|: the derivative is digamma(x)")


@rule(_polygamma, scalar_result=True)
def polygamma(n, x):
    tangent(_polygamma(n + 1, x) * x_dot)
    adjoint(x=g * _polygamma(n + 1, x))


nondiff(math.floor, math.ceil, math.trunc, math.isfinite, math.isinf, math.isnan,
        math.isclose, math.factorial, math.gcd, math.comb, math.perm,
        notes="integer-valued or boolean: zero derivative")
