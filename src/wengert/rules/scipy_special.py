"""scipy.special: expit, logit, erf, erfc, erfinv, ndtr, log_ndtr, gammaln,
digamma (psi), polygamma, xlogy, xlog1py, logsumexp, softmax, log_softmax.

SciPy is optional: without it this module imports cleanly and registers
nothing. Most of these are ufuncs, so their rules are one-line derivatives in
the style of ``numpy_elementwise`` (elementwise, dtype-preserving, broadcast
binary adjoints reduced back to each operand's shape)::

    d expit(x) = expit(x) (1 - expit(x)) dx        d gammaln(x) = digamma(x) dx

The reductions (``logsumexp``, ``softmax``, ``log_softmax``) reduce over
``axis`` (``None``: all axes); ``_expand`` puts a reduced result back into the
shape it broadcasts against, ``_reduce`` is its adjoint. ``logsumexp``'s
``b=`` and ``return_sign=`` are not supported (an error when the derivative
is built).
"""

import math  # noqa: F401 (used by the derivative strings)

import numpy as np

from ..runtime import broadcast_like, unbroadcast  # noqa: F401 (used by binary templates)
from .registry import adjoint, binary, rule, tangent, unary

try:
    import scipy.special as sp
except ImportError:         # no SciPy: no rules
    sp = None

NS = globals()


def _polygamma(n, x):
    """``polygamma(n, x)`` in the dtype of ``x`` (SciPy computes it in float64)."""
    return sp.polygamma(n, x).astype(np.result_type(x), copy=False)


def _axes(x, axis):
    """The reduced axes, non-negative and sorted."""
    if axis is None:
        return tuple(range(np.ndim(x)))
    return tuple(sorted(int(a) % np.ndim(x) for a in np.atleast_1d(axis)))


def _expand(y, x, axis, keepdims):
    """A reduction's result (or adjoint) with the reduced axes put back as 1s."""
    if keepdims or np.ndim(y) == 0:
        return y
    return np.expand_dims(y, _axes(x, axis))


def _reduce(t, x, axis, keepdims):
    """Sum ``t`` over the reduced axes (the adjoint of ``_expand``)."""
    if np.ndim(t) == 0:
        return t
    return np.sum(t, axis=_axes(x, axis), keepdims=keepdims)


if sp is not None:
    unary(sp.expit, "ans * (1.0 - ans)", NS)
    unary(sp.logit, "1.0 / (x * (1.0 - x))", NS)
    unary(sp.erf, "(2.0 / math.sqrt(math.pi)) * np.exp(-(x * x))", NS)
    unary(sp.erfc, "(-2.0 / math.sqrt(math.pi)) * np.exp(-(x * x))", NS)
    unary(sp.erfinv, "(math.sqrt(math.pi) / 2.0) * np.exp(ans * ans)", NS)
    unary(sp.ndtr, "(1.0 / math.sqrt(2.0 * math.pi)) * np.exp(-0.5 * x * x)", NS)
    unary(sp.log_ndtr, "(1.0 / math.sqrt(2.0 * math.pi)) * np.exp(-0.5 * x * x - ans)", NS)
    unary(sp.gammaln, "sp.digamma(x)", NS, notes="log|Γ(x)|: the derivative is digamma(x)")
    unary(sp.digamma, "_polygamma(1, x)", NS)
    binary(sp.xlogy, dx="np.log(y)", dy="x / np.where(x == 0.0, 1.0, y)", namespace=NS,
           notes="0 at x == 0 for the y-derivative, as xlogy is 0 there")
    binary(sp.xlog1py, dx="np.log1p(y)", dy="x / np.where(x == 0.0, 1.0, 1.0 + y)",
           namespace=NS, notes="0 at x == 0 for the y-derivative")

    @rule(sp.polygamma, notes="SciPy computes it in float64")
    def polygamma(n, x):
        tangent(sp.polygamma(n + 1, x) * x_dot)
        adjoint(x=g * sp.polygamma(n + 1, x))

    @rule(_polygamma)
    def polygamma_(n, x):
        tangent(_polygamma(n + 1, x) * x_dot)
        adjoint(x=g * _polygamma(n + 1, x))

    @rule(_expand, linear=("y",))
    def expand_(y, x, axis, keepdims):
        tangent(_expand(y_dot, x, axis, keepdims))
        adjoint(y=_reduce(g, x, axis, keepdims))

    @rule(_reduce, linear=("t",))
    def reduce_(t, x, axis, keepdims):
        tangent(_reduce(t_dot, x, axis, keepdims))
        adjoint(t=broadcast_like(_expand(g, x, axis, keepdims), t))

    @rule(sp.logsumexp, notes="b= and return_sign= are not supported")
    def logsumexp(a, axis=None, keepdims=False):
        # d lse(a) = Σ softmax(a) da,  softmax(a) = exp(a - lse(a))
        tangent(_reduce(np.exp(a - _expand(ans, a, axis, keepdims)) * a_dot, a, axis, keepdims))
        adjoint(a=np.exp(a - _expand(ans, a, axis, keepdims)) * _expand(g, a, axis, keepdims))

    @rule(sp.softmax)
    def softmax(x, axis=None):
        tangent(ans * (x_dot - np.sum(ans * x_dot, axis=axis, keepdims=True)))
        adjoint(x=ans * (g - np.sum(g * ans, axis=axis, keepdims=True)))

    @rule(sp.log_softmax)
    def log_softmax(x, axis=None):
        tangent(x_dot - np.sum(np.exp(ans) * x_dot, axis=axis, keepdims=True))
        adjoint(x=g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True))
