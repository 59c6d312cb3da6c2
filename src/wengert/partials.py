"""Taping local partial derivatives instead of the values they are made from.

Reverse mode records a loop's carried values in the primal sweep and, in
the adjoint sweep, pops them and replays the iteration to recompute what
the adjoint reads. On scalar code the adjoint of an iteration is often a
few products of adjoints with *local partial derivatives*, numbers that
depend on the primal values only::

    for i in v1:                          for i in reversed(v1):
        tape.append(x)                        x = tape.pop()
        v2 = 0.01 * x                         v2 = 0.01 * x
        v3 = math.sin(x)                      v3 = math.sin(x)
        x = x + v2 * v3                       x_bar = x_bar * (0.01 * v3 + v2 * math.cos(x) + 1)

The pass computes those partials in the primal sweep, where the values they
read are at hand, and records them in place of the state; the adjoint sweep
pops them and multiplies (no replay, no transcendental function run twice)::

    for i in v1:                          for i in reversed(v1):
        v2 = 0.01 * x                         x_bar = x_bar * tape.pop()
        v3 = math.sin(x)
        tape.append(0.01 * v3 + v2 * math.cos(x) + 1)
        x = x + v2 * v3

It applies to a recording loop and its adjoint loop side by side in the
function's body whose adjoint body is straight-line code after one pop,
where every partial is a number (a Python float or a NumPy scalar, never an
array: those are ``reverse._record_expensive``'s), none of the replayed
values is read after the adjoint loop, no more partials are recorded than
the state held (or, when computing them calls a function, four times as
many), and it pays: the adjoint loop no longer calls a function (``sin(x)``
replayed) or it runs over the tape without popping it (its loop variable no
longer read). Values computed from the loop variable and loop-invariant
names only are computed again in the adjoint loop, not recorded. Everything
else is left as it was.
"""

from __future__ import annotations

import math
import operator
from collections import Counter

from . import analysis, ir
from . import optimize as opt
from .names import fresh
from .reverse import _is_pop

_MAX_PER_STATE = 4          # partials recorded per state value when they call functions


def tape_partials(fn: ir.Function, kinds_in: dict) -> ir.Function:
    """``fn`` with each eligible loop pair recording partials (see above)."""
    pairs = []
    for i, s in enumerate(fn.body):
        for tape in _pushed_tapes(s):
            j = next((j for j in range(i + 1, len(fn.body))
                      if _pops_first(fn.body[j], tape)), None)
            if j is not None:
                pairs.append((i, j, tape))
                break
    if not pairs:
        return fn
    uses = _tape_uses(fn.body, {tape for _, _, tape in pairs})
    context = _Context(fn, kinds_in)
    body = list(fn.body)
    for i, j, tape in pairs:
        if uses.get(tape) == [1, 1]:      # pushed and popped there only
            made = _rewrite(body[i], body[j], body[i + 1:j], body[j + 1:], context)
            if made is not None:
                body[i], body[j] = made
            else:
                body[j] = _over_tape(body[j])
    if all(a is b for a, b in zip(body, fn.body)):
        return fn
    return fn.with_body(body)


class _Context:
    """What the rewrites look up in the whole function, found when first
    needed: the names it uses, the kinds of its values."""

    def __init__(self, fn, kinds_in):
        self.fn, self.kinds_in = fn, kinds_in
        self._taken = self._inferred = None

    @property
    def taken(self) -> set:
        if self._taken is None:
            self._taken = {n for s in ir.walk(self.fn.body)
                           for n in ir.stmt_writes(s) + ir.stmt_reads(s)}
            self._taken |= set(self.fn.param_names())
        return self._taken

    def kind(self, e):
        """``e``'s kind: from reverse mode's kinds if they know it, else
        from kinds inferred on the function as it is now."""
        k = analysis.expr_kind(e, self.fn.kinds) if self.fn.kinds else None
        if k is None:
            if self._inferred is None:
                self._inferred = analysis.infer_kinds(self.fn, {
                    n: k for n, k in self.kinds_in.items() if k is not None})
            k = analysis.expr_kind(e, self._inferred)
        return k


# --------------------------------------------------------------------------
# finding the pairs


def _tape_uses(stmts, tapes) -> dict:
    """tape name -> [pushes, pops] anywhere in ``stmts``, for ``tapes``
    (both are statements of their own: ``tape.append(v)``, ``v = tape.pop()``;
    reverse mode uses a tape for nothing else)."""
    uses = {t: [0, 0] for t in tapes}
    for s in ir.walk(stmts):
        tape = _push_of(s)
        if tape in uses:
            uses[tape][0] += 1
        elif isinstance(s, ir.Assign) and _is_pop(s.value) and \
                isinstance(s.value.args[0], ir.Var) and s.value.args[0].name in uses:
            uses[s.value.args[0].name][1] += 1
    return uses


def _ops(e):
    if isinstance(e, ir.Op):
        yield e
        for a in e.args + tuple(v for _, v in e.kwargs):
            yield from _ops(a)


def _push_of(s):
    """The tape ``s`` pushes to (``tape.append(...)``), or None."""
    if isinstance(s, ir.Effect) and isinstance(s.value, ir.Op) and \
            isinstance(s.value.fn, ir.PseudoOp) and s.value.fn.kind == "method" and \
            s.value.fn.name == "append" and len(s.value.args) == 2 and \
            isinstance(s.value.args[0], ir.Var):
        return s.value.args[0].name
    return None


def _pushed_tapes(s) -> list:
    """The tapes a loop pushes to at the top level of its body."""
    if not isinstance(s, (ir.For, ir.While)):
        return []
    return [t for t in map(_push_of, s.body) if t is not None]


def _pops_first(s, tape) -> bool:
    return isinstance(s, ir.For) and bool(s.body) and isinstance(s.body[0], ir.Assign) and \
        _is_pop(s.body[0].value) and s.body[0].value.args[0] == ir.Var(tape)


# --------------------------------------------------------------------------
# the rewrite


def _rewrite(primal, adjoint, between, after, context):
    """``(primal loop, adjoint loop)`` recording partials, or None."""
    at = next(k for k, s in enumerate(primal.body) if _push_of(s) is not None and
              _push_of(s) == adjoint.body[0].value.args[0].name)
    push, pop = primal.body[at], adjoint.body[0]
    pushed = push.value.args[1]
    state = pop.targets()
    values = pushed.args if isinstance(pushed, ir.Op) and pushed.fn is ir.MAKE_TUPLE \
        and isinstance(pop.target, tuple) else (pushed,)
    if len(values) != len(state) or not all(ir.is_atom(v) for v in values):
        return None
    rest = adjoint.body[1:]
    if not all(isinstance(s, ir.Comment) or (
            isinstance(s, ir.Assign) and not (s.store or s.augmented) and
            not any(_is_pop(op) or op.effect for op in _ops(s.value))) for s in rest):
        return None
    # the names that hold the same values in both loops: those neither loop
    # nor the code between writes, and the loop variable when both run over
    # the same sequence (one forwards, one backwards)
    moving = ir.all_writes(primal.body) | ir.all_writes(adjoint.body) | \
        ir.all_writes(between) | set(ir.stmt_writes(primal)) | set(ir.stmt_writes(adjoint))
    same = set()
    if isinstance(primal, ir.For) and primal.target == adjoint.target and \
            isinstance(primal.target, ir.Var) and \
            adjoint.iter == ir.Op(reversed, (primal.iter,)) and \
            not set(ir.expr_vars(primal.iter)) & moving:
        same.add(primal.target.name)

    def steady(name):
        return name in same or name not in moving

    # names the adjoint loop may keep for what it pops: written there once,
    # used nowhere outside the two loops
    writes = [n for s in rest if isinstance(s, ir.Assign) for n in s.targets()] + list(state)
    outside = {n for s in ir.walk(between + after) for n in ir.stmt_writes(s) + ir.stmt_reads(s)}
    own = {n for n in writes if writes.count(n) == 1 and n not in outside}
    current = dict(zip(state, values))     # name -> its value in the primal loop's terms
    dropped = set(state)                   # names the adjoint no longer computes
    free = set()        # values computed from the steady names only: computed again
    again = set()       # (their statements, by id)
    in_primal = ir.all_reads(primal.body) | ir.all_writes(primal.body)
    copies, kept = [], []
    partials: dict = {}                    # expression (primal's terms) -> [name, pushed]
    stale = set()                          # names read before this iteration sets them
    kinds_of, calls = [], []
    lazy = [False]                         # a conditional expression read adjoints
    saves = [False]                        # the adjoint loop no longer calls a function             # (the partials' expressions, in the adjoint's terms)

    def partial(e):
        """``e`` (in the adjoint's terms) with its largest subexpressions that
        depend on primal values only replaced by recorded partials."""
        if isinstance(e, ir.Const):
            return e
        names = ir.expr_vars(e)
        if all(n in current or steady(n) for n in names) and _pure(e) and \
                any(n in current and n not in free for n in names):
            moved = ir.substitute(e, current)
            entry = partials.get(moved)
            if entry is None:
                if isinstance(e, ir.Var) and e.name in own and \
                        e.name not in (p[0] for p in partials.values()):
                    entry = [e.name, moved]           # popped under its own name
                else:
                    name = fresh(context.taken, "partial")
                    entry = [name, ir.Var(name) if isinstance(moved, ir.Op) else moved]
                partials[moved] = entry
                kinds_of.append(e)
                calls.append(_calls(e))
            return ir.Var(entry[0])
        if isinstance(e, ir.Var):
            stale.add(e.name)
            return e
        if e.fn is ir.IFEXP:        # (its branches run only when chosen: none recorded
            lazy[0] = True          #  from them, which the primal loop would run always)
            return e
        return ir.Op(e.fn, tuple(partial(a) for a in e.args),
                     tuple((k, partial(v)) for k, v in e.kwargs))

    for s in rest:
        if isinstance(s, ir.Comment):
            kept.append(s)
            continue
        names = ir.expr_vars(s.value)
        if isinstance(s.target, ir.Var) and _pure(s.value) and \
                all(n in current or steady(n) for n in names):
            base = s.target.name            # replayed: now computed in the primal loop
            name = base if base in own and base not in in_primal else \
                fresh(context.taken, base + "_r")
            context.taken.add(name)
            copies.append(ir.Assign(ir.Var(name), ir.substitute(s.value, current), s.loc))
            if any(n in current and n not in free for n in names):
                dropped.add(base)
                saves[0] = saves[0] or _calls(s.value)
            else:                           # (w = 1.0 / (i + 1): not recorded)
                free.add(base)
                kept.append(s)
                again.add(id(s))
            current[base] = ir.Var(name)
            continue
        kept.append(ir.with_value(s, partial(s.value)))
        for n in s.targets():
            current.pop(n, None)
    if not partials or lazy[0]:
        return None
    _, live = opt.liveness(after, set())
    needed = live | stale           # the free values the adjoint loop still reads
    for k in range(len(kept) - 1, -1, -1):
        s = kept[k]
        if id(s) in again and s.target.name not in needed:
            dropped.add(s.target.name)
            del kept[k]
        elif not isinstance(s, ir.Comment):
            needed |= set(ir.expr_vars(s.value))
    if stale & dropped or live & dropped:
        return None
    # worth it where the adjoint loop no longer calls a function (sin(x) replayed),
    # or runs over the tape without pops (its loop variable unused)
    over_tape = adjoint.stop is None and \
        not set(ir.target_names(adjoint.target)) & ir.all_reads(kept)
    if not (saves[0] or over_tape):
        return None
    if len(partials) > len(state) and not (
            any(calls) and len(partials) <= _MAX_PER_STATE * len(state)):
        return None
    for e in kinds_of:
        k = context.kind(e)
        if not (k is not None and k.shape == () and (k.pyfloat or not k.array0)):
            return None
    made = copies + [ir.Assign(pushed, e, push.loc) for e, (_, pushed) in partials.items()
                     if isinstance(e, ir.Op)]
    values = [p for _, p in partials.values()]
    record = ir.Effect(ir.Op(push.value.fn, (push.value.args[0], values[0] if len(values) == 1
                                             else ir.Op(ir.MAKE_TUPLE, tuple(values)))), push.loc)
    body = _shared(primal.body[:at] + made + [record], primal.body[at + 1:])
    names = [ir.Var(n) for n, _ in partials.values()]
    target = names[0] if len(names) == 1 else tuple(names)
    if over_tape:
        # the loop variable unused: iterate over the tape backwards (no pops)
        return ir.copy_with(primal, body=body), ir.copy_with(
            adjoint, target=target, iter=ir.Op(reversed, (pop.value.args[0],)), body=kept)
    popped = ir.Assign(target, pop.value, pop.loc)
    return ir.copy_with(primal, body=body), ir.copy_with(adjoint, body=[popped] + kept)


def _over_tape(adjoint):
    """``for i in reversed(v1): x = tape.pop(); ...`` as ``for x in
    reversed(tape): ...`` where ``i`` is not read and nothing else pops
    (one pop a call fewer per iteration); else ``adjoint`` itself."""
    pop, rest = adjoint.body[0], adjoint.body[1:]
    if adjoint.stop is not None or \
            set(ir.target_names(adjoint.target)) & (ir.all_reads(rest) | set(pop.targets())) or \
            any(isinstance(x, ir.Assign) and _is_pop(x.value) for x in ir.walk(rest)):
        return adjoint
    return ir.copy_with(adjoint, target=pop.target,
                        iter=ir.Op(reversed, (pop.value.args[0],)), body=rest)


def _shared(made, later) -> list:
    """``made + later``, where ``later`` reads what ``made`` computed instead
    of computing it again (any subexpression, until a name it reads is
    written or something may change a value in place). A statement of
    ``later`` that then copies one of ``made``'s, the first assignment of
    its name, gives that statement its name (``v2_r = E ... v2 = v2_r``
    becomes ``v2 = E``)."""
    known, copies = {}, {}
    for s in made:
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and \
                isinstance(s.value, ir.Op) and _pure(s.value):
            known[s.value] = s.target.name
    ours = set(known.values())
    out = list(made)
    for s in later:
        if known and isinstance(s, (ir.Assign, ir.Effect, ir.Return)):
            s = ir.with_value(s, _replace_known(ir.substitute(s.value, copies), known))
        if opt._may_mutate(s):
            known, copies = {}, {}
        else:
            written = set(ir.stmt_writes(s)) | ir.all_writes(opt._nested(s))
            if written:
                known = {e: v for e, v in known.items()
                         if v not in written and written.isdisjoint(e.vars)}
                copies = {b: a for b, a in copies.items()
                          if b not in written and a.name not in written}
            if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and \
                    isinstance(s.value, ir.Var) and s.value.name in ours:
                copies[s.target.name] = s.value
        out.append(s)
    return _named_back(out, ours)


def _named_back(stmts, ours) -> list:
    """``c = E ... v = c`` (``c`` one of ``ours``) as ``v = E``, where ``v``
    is assigned there only and read nowhere before, ``c`` nowhere else
    assigned and ``v``'s statement at the top level."""
    writes = Counter(n for s in ir.walk(stmts) for n in ir.stmt_writes(s))
    mapping, drop, read = {}, set(), set()
    for s in stmts:
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and \
                isinstance(s.value, ir.Var) and s.value.name in ours:
            v, c = s.target.name, s.value.name
            if writes[v] == 1 and writes[c] == 1 and v not in read and c not in mapping:
                mapping[c] = v
                drop.add(id(s))
        read.update(ir.stmt_reads(s))
        for b in ir.child_blocks(s):
            read |= ir.all_reads(b)
    if not mapping:
        return stmts
    return opt.rename_vars([s for s in stmts if id(s) not in drop], mapping)


def _replace_known(e, known):
    if not isinstance(e, ir.Op):
        return e
    name = known.get(e)
    if name is not None:
        return ir.Var(name)
    args = tuple(_replace_known(a, known) for a in e.args)
    kwargs = tuple((k, _replace_known(v, known)) for k, v in e.kwargs)
    if all(a is b for a, b in zip(args, e.args)) and \
            all(a[1] is b[1] for a, b in zip(kwargs, e.kwargs)):
        return e
    return ir.Op(e.fn, args, kwargs)


_ARITH = {id(f) for f in (operator.add, operator.sub, operator.mul, operator.truediv,
                          operator.neg, operator.pos, operator.pow)}
_MATH = {id(getattr(math, n)) for n in dir(math) if callable(getattr(math, n))}


def _calls(e) -> bool:
    """Whether computing ``e`` calls a function (not only arithmetic)."""
    return any(not (isinstance(op.fn, ir.PseudoOp) or id(op.fn) in _ARITH) for op in _ops(e))


def _pure(e) -> bool:
    """Whether ``e`` computes a value from its operands only, creating
    nothing mutable: operators, ufuncs, ``math``'s functions."""
    if not isinstance(e, ir.Op):
        return True
    fn = e.fn
    if isinstance(fn, ir.PseudoOp):
        ok = fn.kind in ("attr", "ifexp")   # (a conditional expression recorded whole)
    else:
        ok = id(fn) in _MATH or (opt._shareable(ir.Op(fn)) and not e.kwargs)
    return ok and all(_pure(a) for a in e.args) and all(_pure(v) for _, v in e.kwargs)


def _shareable(e) -> bool:
    """What the primal loop's common subexpressions may share: also
    ``math``'s functions (pure, and their results are immutable)."""
    if isinstance(e, ir.Op) and not isinstance(e.fn, ir.PseudoOp) and id(e.fn) in _MATH:
        return all(_shareable(a) for a in e.args) and not e.kwargs
    return opt._shareable(e)
