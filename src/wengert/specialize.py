"""Specialise a Wengert list to the kinds of its arguments.

A derivative is built for arguments of known kinds (an array of shape
``(1000, 2)``, a Python float, …) and used only for arguments of those kinds.
Under that guard, shapes are constants::

    n, d = x.shape          ──▶    n = 1000
    q = icf[:, :d]                 d = 2
                                   q = icf[:, :2]

so this pass replaces ``x.shape``, ``x.ndim``, ``x.size``, ``len(x)`` and
``np.shape(x)`` of known arrays by constants and propagates them through the
structural operations that build indices and shapes (tuples, slices, integer
arithmetic, unpacking). Kinds inferred afterwards then reach further: indexing
with ``icf[:, :d]`` has a known result shape, so its adjoint needs no runtime
helper. Only variables assigned once are propagated, and only small constants.
"""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import replace

import numpy as np

from . import analysis, ir
from .optimize import _map_blocks

_INT_OPS = {operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod,
            operator.neg}


def specialize(body, kinds: dict) -> list:
    writes = Counter(n for s in ir.walk(body) for n in ir.stmt_writes(s))
    consts: dict = {}
    return _block(body, kinds, writes, consts)


def _block(stmts, kinds, writes, consts) -> list:
    out = []
    for s in stmts:
        s = _map_blocks(s, lambda b: _block(b, kinds, writes, consts))
        if isinstance(s, ir.Assign):
            value = _fold(ir.substitute(s.value, consts), kinds)
            s = replace(s, value=value)
            if isinstance(s.target, tuple) and isinstance(value, ir.Const) and \
                    isinstance(value.value, tuple) and len(value.value) == len(s.target):
                for t, v in zip(s.target, value.value):      # n, d = (1000, 2)
                    out.append(replace(s, target=t, value=ir.Const(v)))
                    if writes[t.name] == 1 and _small(v):
                        consts[t.name] = ir.Const(v)
                continue
            if isinstance(s.target, ir.Var) and isinstance(value, ir.Const) and \
                    writes[s.target.name] == 1 and _small(value.value):
                consts[s.target.name] = value
        elif isinstance(s, (ir.Effect, ir.Return)):
            s = replace(s, value=ir.substitute(s.value, consts))
        elif isinstance(s, ir.If):
            s = replace(s, test=ir.substitute(s.test, consts))
        elif isinstance(s, ir.For):
            s = replace(s, iter=_fold(ir.substitute(s.iter, consts), kinds))
        out.append(s)
    return out


def _small(v) -> bool:
    if type(v) in (int, bool, float, type(None), slice) or v is Ellipsis:
        return True
    return type(v) is tuple and len(v) <= 32 and all(_small(x) for x in v)


def _fold(e, kinds):
    """Fold shape queries of known arrays and structural operations on constants."""
    if not isinstance(e, ir.Op):
        return e
    fn, args = e.fn, e.args
    if len(args) == 1 and isinstance(args[0], ir.Var) and not e.kwargs:
        k = kinds.get(args[0].name)
        if k is not None and not k.pyfloat and k.shape[:1] not in ((-1,), (-2,)):
            shape = tuple(k.shape)
            if isinstance(fn, ir.PseudoOp) and fn.kind == "attr":
                table = {"shape": shape, "ndim": len(shape), "size": int(np.prod(shape))}
                if fn.name in table:
                    return ir.Const(table[fn.name])
            if fn is len and shape:
                return ir.Const(shape[0])
            if fn is np.shape:
                return ir.Const(shape)
            if fn is np.ndim:
                return ir.Const(len(shape))
    if not all(isinstance(a, ir.Const) for a in args) or e.kwargs:
        return e
    values = [a.value for a in args]
    if fn is ir.MAKE_TUPLE and all(_small(v) for v in values):
        return ir.Const(tuple(values))
    if fn is ir.SLICE:
        return ir.Const(slice(*values))
    if fn in _INT_OPS and all(type(v) is int for v in values):
        return ir.Const(fn(*values))
    if fn is operator.getitem and type(values[0]) is tuple and type(values[1]) is int:
        try:
            return ir.Const(values[0][values[1]])
        except IndexError:
            return e
    if fn is range and all(type(v) is int for v in values):
        return e                  # keep ``range(5)`` readable; its kind is known anyway
    return e


def check_in_place(fn: ir.Function, kinds: dict) -> None:
    """``x += v`` on an array updates it in place in NumPy, so every other name
    for that array (an input, ``a = x``) would see the change; wengert computes
    a new array instead. Where that could differ, refuse it."""
    from .errors import UnsupportedSyntaxError
    params = set(fn.param_names())
    user_of = fn.user_of or {}
    copies: dict = {}
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and \
                isinstance(s.value, ir.Var) and not s.carry and \
                user_of.get(s.target.name, s.target.name) != \
                user_of.get(s.value.name, s.value.name):   # `b = a`, not an SSA copy
            copies.setdefault(s.value.name, []).append(s.target.name)
            copies.setdefault(s.target.name, []).append(s.value.name)
    for s in ir.walk(fn.body):
        if not (isinstance(s, ir.Assign) and s.augmented and isinstance(s.value, ir.Op)):
            continue
        old = s.value.args[0]
        if not isinstance(old, ir.Var):
            continue
        k = kinds.get(old.name)
        if k is not None and (k.pyfloat or k.shape[:1] in ((-1,), (-2,)) or
                              (k.shape == () and not k.array0)):
            continue                   # a number, list or NumPy scalar: rebinding is right
        shared = old.name in params or bool(copies.get(old.name))
        if shared:
            raise UnsupportedSyntaxError(
                "an augmented assignment (`+=`, `*=`, ...) to an array that is an input "
                "or has another name", s.loc,
                hint="NumPy would change the array for every name it has; write "
                     "`x = x + v` (a new array) instead")


def specialized_kinds(body, kinds_in, fn):
    """Kinds again, after specialisation made more of them known."""
    return analysis.infer_kinds(fn.with_body(body), kinds_in)
