"""Inline small helper functions into the Wengert list.

A call to a user function without a rule is otherwise differentiated as a
callee: its own generated derivative, which recomputes the callee's primal in
the adjoint sweep. For a small helper (``sigmoid``, ``softplus``, a loss term)
it is cheaper, and reads better, to splice its Wengert list into the caller::

    def sigmoid(z):                     h = sigmoid(a)
        return 1 / (1 + np.exp(-z))          ──▶   sigmoid_v1 = -a
                                                   sigmoid_v2 = np.exp(sigmoid_v1)
                                                   ...
                                                   h = sigmoid_v4

The callee's variables are renamed (``sigmoid_*``) and its temporaries stay
temporaries, so the optimiser folds them. Recursive functions, large ones, and
ones that read module data of another module are left as calls.
"""

from __future__ import annotations

import types
from dataclasses import replace

from . import ir
from .optimize import rename_vars

MAX_STATEMENTS = 40
MAX_DEPTH = 3


def inline_calls(fn: ir.Function, lowered, depth: int = 0, stack=()) -> ir.Function:
    """``lowered(func) -> ir.Function`` gives a callee's Wengert list; ``fn``
    itself is returned when it calls nothing to inline."""
    taken = _names(fn)
    temps = set(fn.temps)
    free = set(fn.free_data)            # globals the spliced helpers read, by name
    body = _block(fn.body, fn, lowered, taken, temps, depth, stack, free)
    if body == fn.body and temps == set(fn.temps) and free == set(fn.free_data):
        return fn                        # nothing to inline: the same list
    return fn.with_body(body, temps=frozenset(temps), free_data=frozenset(free))


def _block(stmts, fn, lowered, taken, temps, depth, stack, free) -> list:
    out = []
    for s in stmts:
        for attr in ("body", "orelse", "test_body"):
            if hasattr(s, attr):
                s = replace(s, **{attr: _block(getattr(s, attr), fn, lowered, taken, temps,
                                               depth, stack, free)})
        spliced = _splice(s, fn, lowered, taken, temps, depth, stack, free)
        out.extend(spliced if spliced is not None else [s])
    return out


def _splice(s, fn, lowered, taken, temps, depth, stack, free):
    if not (isinstance(s, ir.Assign) and isinstance(s.value, ir.Op)):
        return None
    callee_fn = s.value.fn
    if not isinstance(callee_fn, types.FunctionType) or callee_fn in stack or depth >= MAX_DEPTH:
        return None
    from .rules import registry
    if registry.lookup(callee_fn) is not None:
        return None
    try:
        callee = lowered(callee_fn)
    except Exception:                    # no source, unsupported: a callee as before
        return None
    if sum(1 for _ in ir.walk(callee.body)) > MAX_STATEMENTS:
        return None
    if callee.closure_data:
        return None                      # values captured from its closure
    if callee.free_data and callee.namespace.live_globals is not fn.namespace.live_globals:
        return None                      # it reads another module's data by name
    if callee.free_data & set(_names(fn)):
        return None
    if any(isinstance(x, ir.Effect) for x in ir.walk(callee.body)):
        return None                      # keep print() and asserts where they were
    callee = inline_calls(callee, lowered, depth + 1, stack + (callee_fn,))
    args = s.value.args + tuple(v for _, v in s.value.kwargs)
    params = callee.param_names()
    if len(args) != len(params):
        return None
    if callee.free_data & (taken - set(fn.free_data) - free):
        return None                      # a global's name is a local here: keep the call
    free |= set(callee.free_data)
    prefix = callee.name.strip("_") or "f"
    mapping = {}
    for name in sorted(_names(callee) - set(callee.free_data)):
        new = f"{prefix}_{name}"
        i = 0
        while new in taken:
            i += 1
            new = f"{prefix}_{name}_{i}"
        taken.add(new)
        mapping[name] = new
        if name in callee.temps:
            temps.add(new)
    ret = callee.body[-1]
    body = rename_vars(callee.body[:-1], mapping)
    binds = [ir.Assign(ir.Var(mapping[p]), a, s.loc) for p, a in zip(params, args)]
    for p in params:
        temps.add(mapping[p])            # parameters are copies: let them fold away
    result = ir.substitute(ret.value, {k: ir.Var(v) for k, v in mapping.items()})
    return binds + body + [replace(s, value=result)]


def _names(fn: ir.Function) -> set:
    names = set(fn.param_names())
    for s in ir.walk(fn.body):
        names |= set(ir.stmt_writes(s))
        names |= set(ir.stmt_reads(s))
        if isinstance(s, (ir.For, ir.While)) and s.stop:
            names.add(s.stop)
    return names
