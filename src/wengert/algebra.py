"""Expression algebra for derivative code: symbolic zeros and simplification.

A derivative rule is instantiated with the tangents or adjoints that exist;
an inactive operand contributes a *symbolic zero*, ``Zero``, which is never
materialised if it can be simplified away::

    x_dot * y + x * y_dot      with y_dot = Zero     ──▶   x_dot * y
    g * y                      for x's adjoint        ──▶   (unchanged)
    -(Zero)                                            ──▶   Zero

The simplifier also applies the identities a person would (``a * 1``,
``a + 0``, ``a + -b`` to ``a - b``, ``-a * b`` to ``-(a * b)``), so generated
code has no ``+ 0`` and no multiplications by one.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Optional

import numpy as np

from . import ir, runtime


@dataclass(frozen=True)
class Zero:
    """A symbolic zero with the shape of ``like`` (an atom) when known."""

    like: Optional[ir.Expr] = None

    def __repr__(self) -> str:
        return "Zero"


ZERO = Zero()

# Functions linear in every argument that can carry a derivative: a call
# whose derivative-carrying arguments are all zero is zero. Filled by rules.
LINEAR_FUNCTIONS: dict = {}      # fn -> ((position, name), ...) of its linear arguments
# Functions linear in each of these arguments separately (products): a zero in
# any one of them makes the result zero. (Same form.)
MULTILINEAR_FUNCTIONS: dict = {}


def is_zero(e) -> bool:
    return isinstance(e, Zero)


def is_const(e, value) -> bool:
    return isinstance(e, ir.Const) and type(e.value) in (int, float) and e.value == value


def neg(e):
    if is_zero(e):
        return e
    if isinstance(e, ir.Op) and e.fn is operator.neg:
        return e.args[0]
    if _const_factor(e) and not _boolean(e.args[1]):
        return _product([ir.Const(-e.args[0].value)] + _factors(e.args[1]))   # -(2*x): -2*x
    if isinstance(e, ir.Const) and type(e.value) in (int, float):
        return ir.Const(-e.value)
    return ir.Op(operator.neg, (e,))


def add(a, b):
    if is_zero(a):
        return b
    if is_zero(b):
        return a
    if a == b and not isinstance(a, ir.Const):
        return mul(ir.Const(2), a)
    if _is_neg(b):
        return sub(a, b.args[0])
    if _is_neg(a):
        return sub(b, a.args[0])
    flipped = _negative_factor_flipped(b)
    if flipped is not None:                   # a + -0.5 * x: a - 0.5 * x
        return ir.Op(operator.sub, (a, flipped))
    return ir.Op(operator.add, (a, b))


def _where(e) -> bool:
    return isinstance(e, ir.Op) and e.fn is np.where and len(e.args) == 3 and not e.kwargs


def merged_selections(terms) -> list:
    """Adjoint terms with each ``np.where(c, p, q)`` added into an earlier one
    with the same condition: ``where(c, 0.0, A) + where(c, B, 0.0)``, the
    adjoints of a selection's two arms, is ``where(c, B, A)`` (the same sums
    of the same selections; a float 0.0 arm adds nothing to an adjoint, a
    float array). Only for adjoints: on other values ``+`` of two arms may
    join lists or add bools as ints."""
    out, at = [], {}
    for t in terms:
        if _where(t) and t.args[0] in at:
            k = at[t.args[0]]
            w = out[k]
            out[k] = ir.Op(np.where, (w.args[0], _arm_sum(w.args[1], t.args[1]),
                                      _arm_sum(w.args[2], t.args[2])))
            continue
        if _where(t):
            at[t.args[0]] = len(out)
        out.append(t)
    return out


def _arm_sum(a, b):
    for x, y in ((a, b), (b, a)):
        if isinstance(x, ir.Const) and type(x.value) is float and x.value == 0.0:
            return y
    return add(a, b)


def sub(a, b):
    if is_zero(b):
        return a
    if is_zero(a):
        return neg(b)
    if _is_neg(b):
        return add(a, b.args[0])
    flipped = _negative_factor_flipped(b)
    if flipped is not None:                   # a - -0.5 * x: a + 0.5 * x
        return ir.Op(operator.add, (a, flipped))
    return ir.Op(operator.sub, (a, b))


def _negative_factor_flipped(e):
    """``c * x`` with a negative number ``c``, as ``-c * x``, else None (the
    same value negated exactly: no product regrouped)."""
    if not (_const_factor(e) and e.args[0].value < 0) or _boolean(e.args[1]):
        return None
    c = -e.args[0].value
    return e.args[1] if c == 1 and type(c) is int else ir.Op(operator.mul, (ir.Const(c), e.args[1]))


def _num(e) -> bool:
    return isinstance(e, ir.Const) and type(e.value) in (int, float)


def mul(a, b):
    if is_zero(a) or is_zero(b):
        return ZERO
    if _num(a) or _num(b) or _const_factor(a) or _const_factor(b):
        return _product(_factors(a) + _factors(b))
    if is_const(a, 1):
        return b
    if is_const(b, 1):
        return a
    if is_const(a, -1):
        return neg(b)
    if is_const(b, -1):
        return neg(a)
    if _is_neg(a) and _is_neg(b):
        return mul(a.args[0], b.args[0])
    if _is_neg(a):
        return neg(mul(a.args[0], b))
    if _is_neg(b):
        return neg(mul(a, b.args[0]))
    return ir.Op(operator.mul, (a, b))


_BOOLEAN_OPS = {operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
                operator.and_, operator.or_, operator.not_}


def _boolean(e) -> bool:
    """An expression with a boolean value (a comparison, a mask)."""
    return isinstance(e, ir.Op) and (e.fn in _BOOLEAN_OPS or e.fn in (
        np.logical_and, np.logical_or, np.logical_not, np.isnan, np.isfinite, np.isinf))


def _const_factor(e) -> bool:
    return isinstance(e, ir.Op) and e.fn is operator.mul and _num(e.args[0])


def _factors(e) -> list:
    """``2 * x * y`` -> [2, x, y] (elementwise products only)."""
    if isinstance(e, ir.Op) and e.fn is operator.mul:
        return _factors(e.args[0]) + _factors(e.args[1])
    if _is_neg(e) and not _boolean(e.args[0]):
        return [ir.Const(-1)] + _factors(e.args[0])      # 2 * -x: -2 * x
    return [e]


def _product(factors):
    """Rebuild a product with its numeric constants folded and first."""
    c, rest = 1, []
    for f in factors:
        if _num(f):
            c = c * f.value
        else:
            rest.append(f)
    if not rest:
        return ir.Const(c)
    out = rest[0]
    for f in rest[1:]:
        out = ir.Op(operator.mul, (out, f))
    if len(rest) == 1 and _boolean(out) and c in (1, -1):
        return ir.Op(operator.mul, (ir.Const(float(c)), out))   # keep a float, not a bool
    if c == 1:
        return out
    if c == -1:
        return neg(out)
    return ir.Op(operator.mul, (ir.Const(c), out))


def div(a, b):
    if is_zero(a):
        return ZERO
    if is_const(b, 1):
        return a
    if _is_neg(a):
        return neg(div(a.args[0], b))
    return ir.Op(operator.truediv, (a, b))


def sum_of(terms):
    out = ZERO
    for t in terms:
        out = add(out, t)
    return out


def factor_sums(e):
    """``a*b + a*c - a`` as ``a * (b + c - 1)``: a variable that is a factor
    of every term of a sum is multiplied once (bottom-up, whole expression)."""
    if not isinstance(e, ir.Op):
        return e
    e = ir.Op(e.fn, tuple(factor_sums(a) for a in e.args), e.kwargs)
    if e.fn not in (operator.add, operator.sub) or e.kwargs:
        return e
    terms = _signed_terms(e, 1)
    if len(terms) < 2:
        return e
    lists = [_factors(t) for _, t in terms]
    common = next((f for f in lists[0] if isinstance(f, ir.Var) and
                   all(f in fs for fs in lists[1:])), None)
    if common is None:
        return e
    out = None
    for (sign, _), fs in zip(terms, lists):
        fs = list(fs)
        fs.remove(common)
        rest = _product(fs) if fs else ir.Const(1)
        if out is None:
            out = rest if sign > 0 else neg(rest)
        else:
            out = ir.Op(operator.add if sign > 0 else operator.sub, (out, rest))
    return mul(common, out)


def _signed_terms(e, sign):
    if isinstance(e, ir.Op) and e.fn in (operator.add, operator.sub) and not e.kwargs and \
            len(e.args) == 2:
        right = sign if e.fn is operator.add else -sign
        return _signed_terms(e.args[0], sign) + _signed_terms(e.args[1], right)
    return [(sign, e)]


def _is_const_like(e) -> bool:
    return isinstance(e, ir.Const)


def _is_neg(e) -> bool:
    return isinstance(e, ir.Op) and e.fn is operator.neg


def power(a, b):
    if is_const(b, 1):
        return a
    return ir.Op(operator.pow, (a, b))


_BUILDERS = {operator.add: add, operator.sub: sub, operator.mul: mul,
             operator.truediv: div, operator.pow: power}

_FOLDABLE = {operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
             operator.neg}


def _foldable(fn) -> bool:
    if isinstance(fn, np.ufunc):
        return True
    return fn in _FOLDABLE or (getattr(fn, "__module__", None) == "math"
                               or (type(fn).__name__ == "builtin_function_or_method"
                                   and getattr(math, getattr(fn, "__name__", ""), None) is fn))


def _fold(fn, args):
    """Evaluate an arithmetic or ``math`` call on numeric constants."""
    if not all(isinstance(a, ir.Const) and type(a.value) in (int, float) for a in args):
        return None
    if not _foldable(fn):
        return None
    try:
        v = fn(*(a.value for a in args))
    except (ArithmeticError, ValueError, TypeError):
        return None
    if hasattr(v, "item") and getattr(v, "ndim", 1) == 0:
        v = v.item()        # a Python number: weakly typed, keeps float32 float32
    if type(v) not in (int, float) or v != v or v in (float("inf"), float("-inf")):
        return None
    return ir.Const(v)


def simplify(e):
    """Simplify bottom-up; returns an ``ir.Expr`` or ``ZERO``. Found once per
    expression object (a pure function of it: the passes simplify the same
    subexpressions again and again), kept on the object."""
    if not isinstance(e, ir.Op):
        return e
    found = e.__dict__.get("_simplified")
    if found is None:
        found = _simplify(e)
        object.__setattr__(e, "_simplified", found)
    return found


def _simplify(e):
    picked = _pick(e)
    if picked is not None:                 # (a, Zero)[1] is Zero, not a materialised 0.0
        return simplify(picked)
    args = tuple(simplify(a) for a in e.args)
    kwargs = tuple((k, simplify(v)) for k, v in e.kwargs)
    fn = e.fn
    if not kwargs:
        folded = _fold(fn, args)
        if folded is not None:
            return folded
    if fn in _BUILDERS and len(args) == 2:
        return _BUILDERS[fn](*args)
    if getattr(fn, "__name__", None) == "pow_slope" and \
            getattr(fn, "__module__", None) == "wengert.runtime" and not kwargs and \
            all(isinstance(a, ir.Const) and type(a.value) in (int, float) for a in args[1:]):
        return _pow_slope(args)      # a constant exponent: c * x ** (y - n), or zero
    if fn is operator.getitem and isinstance(args[0], ir.Op) and \
            args[0].fn in (ir.MAKE_TUPLE, ir.MAKE_LIST) and isinstance(args[1], ir.Const) \
            and type(args[1].value) is int and -len(args[0].args) <= args[1].value < len(args[0].args):
        return args[0].args[args[1].value]
    if fn is operator.getitem and isinstance(args[0], ir.Op) and \
            isinstance(args[0].fn, ir.PseudoOp) and args[0].fn.kind == "dict" and \
            isinstance(args[1], ir.Const) and args[1].value in args[0].fn.keys:
        return args[0].args[args[0].fn.keys.index(args[1].value)]
    if fn is operator.neg:
        return neg(args[0])
    if fn is operator.matmul and (is_zero(args[0]) or is_zero(args[1])):
        return ZERO
    if fn is ir.IFEXP and is_zero(args[1]) and is_zero(args[2]):
        return ZERO
    if fn in (list, tuple) and len(args) == 1 and not kwargs and is_zero(args[0]) and \
            args[0].like is not None:      # a copy of a zero list: zeros as long as it
        return ir.Op(fn, (materialize(args[0]),))      # (not one 0.0: `[0.0] + ys_dot`)
    linear = _linear_positions(fn)
    if linear:
        given = _given(linear, args, kwargs)       # by position or by keyword
        if given and all(is_zero(a) for a in given):
            return ZERO
    multi = _multilinear_positions(fn)
    if multi and any(is_zero(a) for a in _given(multi, args, kwargs)):
        return ZERO
    return ir.Op(fn, tuple(materialize(a) for a in args),
                 tuple((k, materialize(v)) for k, v in kwargs))


def _pow_slope(args):
    """``runtime.pow_slope(x, y, n)`` for constants ``y`` and ``n``: ``x **
    2``'s derivative is ``2 * x``, ``x ** 0``'s is zero."""
    x, y = args[0], args[1].value
    n = args[2].value if len(args) > 2 else 1
    c = y
    for k in range(1, n):
        c = c * (y - k)
    if c == 0:
        return Zero(like=x) if ir.is_atom(x) else ZERO
    return simplify(ir.Op(operator.mul, (ir.Const(c), ir.Op(operator.pow, (
        x, ir.Op(operator.sub, (ir.Const(y), ir.Const(n))))))))


def _given(params, args, kwargs) -> list:
    """The arguments passed for ``params`` (``(position, name)`` pairs) by
    position or by keyword; those not passed are left out."""
    by_name = dict(kwargs)
    return [args[i] if i < len(args) else by_name[name]
            for i, name in params if i < len(args) or name in by_name]


def _multilinear_positions(fn):
    try:
        return MULTILINEAR_FUNCTIONS.get(fn)
    except TypeError:
        return None


def _pick(e):
    """``(a, b)[i]`` / ``{k: v}[k]`` with a constant index: the element."""
    if e.fn is not operator.getitem or len(e.args) != 2:
        return None
    box, index = e.args
    if not (isinstance(box, ir.Op) and isinstance(box.fn, ir.PseudoOp)
            and isinstance(index, ir.Const)):
        return None
    if box.fn.kind in ("tuple", "list") and type(index.value) is int and \
            -len(box.args) <= index.value < len(box.args):
        return box.args[index.value]
    if box.fn.kind == "dict" and index.value in box.fn.keys:
        return box.args[box.fn.keys.index(index.value)]
    return None


def _linear_positions(fn):
    try:
        return LINEAR_FUNCTIONS.get(fn)
    except TypeError:       # unhashable callable
        return None


def materialize(e):
    """A zero that survived simplification, as a real value: zeros shaped
    like the operand it stands for (``0.0`` once kinds show it is a scalar)."""
    if not is_zero(e):
        return e
    if isinstance(e.like, ir.Var):
        return ir.Op(runtime.zeros_like, (e.like,))
    return ir.Const(0.0)
