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
"""

from __future__ import annotations

import operator
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
