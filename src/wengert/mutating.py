"""Calls that change an object in place, which the Wengert list cannot hold.

The Wengert list holds values: ``M_1 = f(M)`` makes a new ``M_1`` and leaves
``M`` as it was. A call that writes into an argument breaks that, and the
change is invisible to every later stage::

    M = np.outer(x, x)                    M = np.outer(x, x)
    _ = np.fill_diagonal(M, 0.0)   ──▶    _ = np.fill_diagonal(M, 0.0)   (None, never read:
    return np.sum(M)                      return np.sum(M)                dead code, deleted)

and both the value and the derivative would be those of the unchanged ``M``.
Such calls are refused by name instead, from the tables below:

* the functions that write into their first argument (``np.fill_diagonal``,
  ``np.copyto``, ...), every ``ufunc.at`` (``np.add.at``) and the unbound
  mutating methods (``list.sort(xs)``): ``function_hint``;
* any call with ``out=`` (``np.exp(y, out=y)``);
* the methods of lists, dicts and arrays that change their object
  (``xs.sort()``, ``d.update(e)``, ``y.fill(0.0)``): ``MUTATING_METHODS``.

``frontend.lower`` refuses the first two wherever they appear, and a method
called on a list, dict or array the function built. On another object the
method may be one of the user's own class, legitimately called ``update``,
which ``inline.resolve_methods`` turns into a call of the class's function
once the object's class is known. What stays unresolved is kept by dead-code
elimination (``ir.Op.effect``) and counts as used (``analysis.useful``), so
that building the derivative refuses it (``registry.missing_rule_error``)
instead of dropping it.

A function of the user's that changes what it is given (``u[0] = 0.0``,
``u *= c``, ``xs.append(v)`` on a parameter) is checked where its code is:
differentiated, its parameters are data from outside it, which it may not
change; spliced into the caller (``inline``), the change is the caller's,
checked as if written there (``specialize.check_in_place``). A call whose
result is not used is neither: ``refuse_discarded_changes`` (run by
``analysis.active``) refuses it if the helper changes an argument that is
seen afterwards (``changed_parameter``).
"""

from __future__ import annotations

import operator
import os
import random

import numpy as np

# Each hint says what to write instead; ``{a}`` is the argument written into,
# ``{b}`` the next one.
MUTATING_FUNCTIONS = {
    np.fill_diagonal: "`{a} = np.where(np.eye(len({a}), dtype=bool), {b}, {a})` (for a "
                      "zero diagonal, `{a} = {a} * (1 - np.eye(len({a})))`)",
    np.put: "`{a}[indices] = v` on an array the function created",
    np.place: "`{a}[mask] = v` on an array the function created",
    np.putmask: "`{a} = np.where(mask, v, {a})`",
    np.copyto: "`{a} = np.array({b})` (with where=: `{a} = np.where(where, {b}, {a})`)",
    np.put_along_axis: "`{a}[index] = v` on an array the function created",
    np.random.shuffle: "`{a} = {a}[np.random.permutation(len({a}))]`",
    random.shuffle: "`order = random.sample(range(len({a})), len({a}))`, then "
                    "`{a} = [{a}[i] for i in order]`",
    operator.setitem: "`{a}[i] = v` on an array, list or dict the function created",
    operator.delitem: "`{a} = {a}[:i] + {a}[i + 1:]`",
}

UFUNC_AT_HINT = ("`for k in range(len(i)): {a}[i[k]] = np.{ufunc}({a}[i[k]], v[k])` on an "
                 "array the function created (`{a}[i] = np.{ufunc}({a}[i], v)` when no index "
                 "repeats)")

# Methods of lists, dicts and arrays that change their object, with what to
# write instead (``append``, ``extend`` and ``pop()`` on a local list are
# supported: ``frontend.lower`` makes them values).
MUTATING_METHODS = {
    "sort": "`y = np.sort(y)` (for a list: `ys = np.sort(np.array(xs))`)",
    "reverse": "`xs = xs[::-1]`",
    "insert": "`xs = xs[:i] + [v] + xs[i:]` (at the front: `xs = [v] + xs`)",
    "remove": "`xs = [u for u in xs if u != v]`",
    "clear": "`xs = []` or `d = {}`",
    "update": "`d[k] = v` for each key, on a dict the function built",
    "setdefault": "`if k not in d: d[k] = v`, then read `d[k]`",
    "popitem": "`v = d[k]` and a new dict without `k`",
    "fill": "`y = np.full_like(y, v)`",
    "put": "`y[indices] = v` on an array the function created",
    "itemset": "`y[i] = v` on an array the function created",
    "resize": "`z = np.zeros(n)`, then `z[:len(y)] = y` (a new array)",
    "partition": "`y = np.sort(y)` (sorted is partitioned)",
    "setfield": "`z = y.copy()`, then item assignments into `z` (a new array)",
    "shuffle": "`y = y[np.random.permutation(len(y))]`",
}

# Supported only as the lowering makes them values: ``xs.append(v)`` and
# ``xs.extend(vs)`` as statements of their own, ``v = xs.pop()``.
VALUE_FORMS = {
    "append": "`xs.append(v)` as a statement of its own (it returns None)",
    "extend": "`xs.extend(vs)` as a statement of its own (it returns None)",
    "pop": "`v = xs[i]` and a new list or dict without that item (`xs = xs[:i] + "
           "xs[i + 1:]`; `v = xs.pop()`, a list's last item, is supported)",
}


def method_hint(name: str):
    """What to write instead of the method ``name`` of a list, dict or array,
    if it changes its object; else None."""
    return MUTATING_METHODS.get(name) or VALUE_FORMS.get(name)


def instead(alternative: str) -> str:
    """The ``help:`` line of a refusal: what to write instead."""
    return ("wengert computes new values and cannot follow a change made in place; "
            f"instead, write {alternative}")


def function_hint(fn):
    """What to write instead of calling ``fn``, if it writes into its first
    argument (``{a}`` in the hint stands for that argument, ``{b}`` for the
    second); else None."""
    try:
        hint = MUTATING_FUNCTIONS.get(fn)
    except TypeError:                       # an unhashable callable object
        return None
    if hint is not None:
        return hint
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, np.ufunc) and getattr(fn, "__name__", None) == "at":
        return UFUNC_AT_HINT.replace("{ufunc}", owner.__name__)
    if getattr(fn, "__objclass__", None) in (list, dict, np.ndarray):   # list.sort(xs)
        return method_hint(getattr(fn, "__name__", None))
    return None


def maybe_itself(e) -> bool:
    """``np.array(x, copy=False)``/``copy=None``, ``x.astype(t, copy=False)``
    (``np.asarray(x, dtype=t)`` is lowered to it): ``x`` itself where it has
    that dtype already, so a name for it shares ``x``'s memory, as a view."""
    from . import ir
    if not (isinstance(e, ir.Op) and (e.fn is np.array or (
            isinstance(e.fn, ir.PseudoOp) and e.fn.kind == "method" and
            e.fn.name == "astype"))):
        return False
    copy = dict(e.kwargs).get("copy")
    return copy is not None and not (isinstance(copy, ir.Const) and copy.value is True)


# --------------------------------------------------------------------------
# a helper that changes what it is given
#
# A call of a user function is a value in the Wengert list too::
#
#     def apply_bc(u):                   u = x * 1.0
#         u[0] = 0.0           f(x):     _ = apply_bc(u)     (never read: dead code)
#                                        return np.sum(u ** 2)
#
# Differentiated (its result used), the helper refuses the change of its
# parameter itself (an input, for it). Its result unused, nothing looks inside
# it: ``refuse_discarded_changes`` does, and refuses the call if what it
# changes is seen afterwards.


def changed_parameter(fn, i: int, callee_changes):
    """``(loc, augmented, parameter)`` of a change in place of the object
    ``fn`` is given as its ``i``-th argument (``augmented``: only ``u += v``,
    in place for an array, a rebinding for a number), else None. ``callee_changes(g,
    j)`` answers the same of a function ``fn`` calls, a nested helper."""
    from . import ir
    names = fn.param_names()
    if i >= len(names):
        return None
    same = {names[i]}               # names that may be (or share memory with) it
    stmts = list(ir.walk(fn.body))
    changed = True
    while changed:
        changed = False
        for s in stmts:
            targets, sources = _related(s)
            if same.intersection(sources) and not same.issuperset(targets):
                same.update(targets)
                changed = True
    found = None
    for s in stmts:
        how = _change(s, same, callee_changes)
        if how is not None and (found is None or found[1] and not how):
            found = (s.loc, how, names[i])
    return found


def _change(s, same: set, callee_changes):
    """None, or whether the change ``s`` makes to a name in ``same`` is
    ``u += v`` only (True) or surely in place (False)."""
    from . import analysis, ir
    from .rules import registry
    if not isinstance(s, (ir.Assign, ir.Effect)) or not isinstance(s.value, ir.Op):
        return None
    first = s.value.args[0] if s.value.args else None
    if isinstance(s, ir.Assign) and isinstance(first, ir.Var) and first.name in same:
        if s.store:                       # y[i] = v, xs.append(v), xs.pop()
            return False
        if s.augmented:
            return True
    found = None
    for e in analysis._stmt_ops(s):
        args = e.args + tuple(v for _, v in e.kwargs)
        if isinstance(e.fn, ir.PseudoOp) and e.fn.kind == "method" and \
                (e.fn.name in ir.EFFECT_METHODS or e.fn.name in MUTATING_METHODS) and \
                args and isinstance(args[0], ir.Var) and args[0].name in same:
            return False                  # d.update(e), xs.sort()
        if analysis._may_mutate(e.fn) and not isinstance(e.fn, ir.PseudoOp) and \
                registry.lookup(e.fn) is None:
            for j, a in _arguments(e):
                if a.name in same:          # a nested helper
                    how = callee_changes(e.fn, j)
                    if isinstance(how, Exception) or (how is not None and not how[1]):
                        return False      # surely, or one wengert cannot read
                    found = found or how is not None
    return found


def _arguments(e):
    """``(position or keyword, variable)`` of the variables a call is given."""
    from . import ir
    return [(j, a) for j, a in list(enumerate(e.args)) + list(e.kwargs)
            if isinstance(a, ir.Var)]


def _related(s):
    """``(targets, sources)``: the names ``s`` binds, and those whose object
    they may be, share memory with or hold (``specialize._may_view``)."""
    from . import ir
    from .specialize import _held_whole, _may_view
    if isinstance(s, ir.For):
        return tuple(ir.target_names(s.target)), tuple(ir.expr_vars(s.iter))
    if not isinstance(s, ir.Assign):
        return (), ()
    names, held = _may_view(s, {})
    sources = list(names) + list(held) + list(_held_whole(s))
    if isinstance(s.value, ir.Op) and (s.store or s.augmented) and s.value.args and \
            isinstance(s.value.args[0], ir.Var):
        sources.append(s.value.args[0].name)
    return tuple(s.targets()), tuple(sources)


def refuse_discarded_changes(fn, used: set, callee_changes) -> None:
    """Refuse a call of a user function whose result is not ``used`` (dead
    code: dropped, or left out of the derivative) that changes an argument
    in place, when the change is seen afterwards: the argument (or a name
    sharing its memory) is read after the call, or is the caller's own
    argument or data. (A call whose result is used is differentiated, and
    the helper then refuses the change itself.)"""
    from . import analysis, ir
    dead = [s for s in ir.walk(fn.body) if isinstance(s, ir.Assign) and
            isinstance(s.value, ir.Op) and analysis._may_mutate(s.value.fn) and
            not isinstance(s.value.fn, ir.PseudoOp) and
            not any(t in used for t in s.targets())]
    from .rules import registry
    seen = None
    for s in dead:
        func = s.value.fn
        if registry.lookup(func) is not None:
            continue                      # a rule of the user's: a primitive
        for j, a in _arguments(s.value):
            how = callee_changes(func, j)
            if how is None:
                continue
            if seen is None:
                seen = _Seen(fn)
            if not seen.after(s, a.name, augmented=not isinstance(how, Exception) and how[1]):
                continue
            if isinstance(how, Exception):  # it cannot be read: its own refusal
                raise how if how.loc is not None else type(how)(how.message, s.loc,
                                                                how.hint)
            raise _discarded_change_error(s, func, a.name, how, fn)


class _Seen:
    """Whether a change of a name's object at a statement is seen afterwards."""

    def __init__(self, fn):
        from . import ir
        from .optimize import _live_after
        self.fn, self.live, self.kinds = fn, {}, None
        _live_after(fn.body, set(), self.live)
        self.group: dict = {}
        for s in ir.walk(fn.body):        # names that may share an object, both ways
            targets, sources = _related(s)
            for a in targets:
                for b in sources:
                    self.group.setdefault(a, set()).add(b)
                    self.group.setdefault(b, set()).add(a)
        assigned = ir.all_writes(fn.body)
        read = {n for s in ir.walk(fn.body) for n in ir.stmt_reads(s)}
        self.outside = set(fn.param_names()) | (read - assigned)

    def sharing(self, name: str) -> set:
        out, todo = set(), [name]
        while todo:
            n = todo.pop()
            if n not in out:
                out.add(n)
                todo.extend(self.group.get(n, ()))
        return out

    def after(self, s, name: str, augmented: bool) -> bool:
        from . import analysis
        if augmented:                     # u += v: in place only on an array
            if self.kinds is None:
                self.kinds = analysis.infer_kinds(self.fn, {})
            k = self.kinds.get(name)
            if k is not None and (k.pyfloat or (k.shape == () and not k.array0)):
                return False
        group = self.sharing(name)
        return bool(group & (self.live[id(s)] | self.outside))


def _discarded_change_error(s, func, arg: str, how, fn):
    from .errors import UnsupportedSyntaxError
    name = getattr(func, "__name__", "the function")
    where, _, param = how
    user = (fn.user_of or {}).get(arg, arg)
    at = f", at {os.path.basename(where.filename)}:{where.lineno}" if where is not None \
        else ""
    return UnsupportedSyntaxError(
        f"this call of `{name}` changes `{user}` in place (its parameter `{param}`{at}) and "
        "its result is not used", s.loc,
        hint=instead(f"`{user} = {name}(...)`, with `{name}` changing a copy "
                     f"(`{param} = {param}.copy()`, `list({param})` for a list) and "
                     "returning it"))
