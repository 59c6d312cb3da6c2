"""Optimisation passes on the IR (primal and derivative code alike).

Each pass is a function ``Function -> Function``; ``optimize`` runs them in a
fixed order until nothing changes:

* ``copy_propagation``   ``a = b`` with both assigned once: uses of ``a`` read ``b``
* ``inline_single_use``  a generated temporary read once, in a later statement
  of the same block, is substituted into that use (this is what turns
  ``v2_bar = out_bar; x1_bar = v2_bar * x2`` into ``x1_bar = out_bar * x2``)
* ``dead_code``          statements whose results nobody reads are removed
  (structured liveness: branches are joined, loops iterated to a fixpoint)

Reverse mode prepares the primal with ``common_subexpressions`` (one value per
repeated pure expression in a block) and ``fuse_sigmoids`` (``1/(1+np.exp(-z))``
as one operation whose adjoint reads its result; ``expand_sigmoids`` spells it
out again). Both modes hold the shift of a stable log-sum-exp or softmax
constant (``hold_shifts``; its derivatives cancel). ``readable`` runs last: ``forward_rows`` (a row written and read
back is the value written), ``factor_tiles`` (a concatenation of products by
tiles already concatenated is one product), the name-merging passes, then
``update_in_place``
(``setitem`` without a copy where nothing reads the old array again)::

    h1 = setitem(h, i, h[i] + a)          r = h[i] + a
    r = h1[i]                     ──▶     ...
    ...                                   h = setitem_into(h, i, w)
    h = setitem(h1, i, w)

Every pass preserves the meaning of the program; ``optimize=False`` on the API
skips them all, and the test suite checks that both give the same numbers.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from dataclasses import replace

import numpy as np

from . import ir, runtime
from .mutating import function_hint
from .names import fresh


# --------------------------------------------------------------------------
# renaming


def rename_expr(e, mapping):
    if isinstance(e, ir.Var):
        return ir.Var(mapping.get(e.name, e.name))
    if isinstance(e, ir.Op):
        return ir.Op(e.fn, tuple(rename_expr(a, mapping) for a in e.args),
                     tuple((k, rename_expr(v, mapping)) for k, v in e.kwargs))
    return e


def _rename_target(t, mapping):
    if isinstance(t, ir.Var):
        return ir.Var(mapping.get(t.name, t.name))
    return tuple(ir.Var(mapping.get(v.name, v.name)) for v in t)


def rename_vars(stmts, mapping) -> list:
    """Rename variables (reads and writes) throughout a block."""
    out = []
    for s in stmts:
        if isinstance(s, ir.Assign):
            out.append(replace(s, target=_rename_target(s.target, mapping),
                               value=rename_expr(s.value, mapping)))
        elif isinstance(s, (ir.Effect, ir.Return)):
            out.append(replace(s, value=rename_expr(s.value, mapping)))
        elif isinstance(s, ir.If):
            out.append(replace(s, test=rename_expr(s.test, mapping),
                               body=rename_vars(s.body, mapping),
                               orelse=rename_vars(s.orelse, mapping)))
        elif isinstance(s, ir.For):
            out.append(replace(s, target=_rename_target(s.target, mapping),
                               iter=rename_expr(s.iter, mapping),
                               body=rename_vars(s.body, mapping),
                               stop=mapping.get(s.stop, s.stop) if s.stop else None))
        elif isinstance(s, ir.While):
            out.append(replace(s, test_body=rename_vars(s.test_body, mapping),
                               test=rename_expr(s.test, mapping),
                               body=rename_vars(s.body, mapping),
                               stop=mapping.get(s.stop, s.stop) if s.stop else None))
        else:
            out.append(s)
    return out


def substitute_block(stmts, mapping, simplify=False) -> list:
    """Replace reads of variables by expressions (not writes); with
    ``simplify``, fold what the substitution made foldable (``1.0 * x``)."""
    from .algebra import materialize, simplify as simp

    def sub(e, fold=simplify):
        new = ir.substitute(e, mapping)
        return materialize(simp(new)) if fold and new != e else new
    out = []
    for s in stmts:
        if isinstance(s, (ir.Assign, ir.Effect, ir.Return)):
            # an update in place (``u *= c``, ``y[i] = v``) keeps its form: its first
            # operand is the object it changes (``specialize.check_in_place``)
            in_place = isinstance(s, ir.Assign) and (s.augmented or s.store)
            out.append(ir.with_value(s, sub(s.value, simplify and not in_place)))
        elif isinstance(s, ir.If):
            out.append(replace(s, test=ir.substitute(s.test, mapping),
                               body=substitute_block(s.body, mapping, simplify),
                               orelse=substitute_block(s.orelse, mapping, simplify)))
        elif isinstance(s, ir.For):
            out.append(replace(s, iter=ir.substitute(s.iter, mapping),
                               body=substitute_block(s.body, mapping, simplify)))
        elif isinstance(s, ir.While):
            out.append(replace(s, test_body=substitute_block(s.test_body, mapping, simplify),
                               test=ir.substitute(s.test, mapping),
                               body=substitute_block(s.body, mapping, simplify)))
        else:
            out.append(s)
    return out


# --------------------------------------------------------------------------
# counting


def _write_counts(stmts) -> Counter:
    return Counter(t for s in ir.walk(stmts) for t in ir.stmt_writes(s))


def _read_counts(stmts) -> Counter:
    c = Counter()
    for s in ir.walk(stmts):
        for n in ir.stmt_reads(s):
            c[n] += 1
        if isinstance(s, (ir.For, ir.While)) and s.stop:
            c[s.stop] += 1
    return c


def has_effect(e) -> bool:
    return isinstance(e, ir.Op) and e.effect


# --------------------------------------------------------------------------
# passes


def copy_propagation(fn: ir.Function, keep=()) -> ir.Function:
    writes = _write_counts(fn.body)
    params = set(fn.param_names())
    mapping = {}
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) \
                and isinstance(s.value, (ir.Var, ir.Const)):
            t = s.target.name
            if writes[t] != 1 or t in params or t in keep:
                continue
            if t not in fn.temps:
                continue
            if isinstance(s.value, ir.Var):
                src = s.value.name
                if writes[src] > 1 or (writes[src] == 0 and src not in params):
                    continue
            elif not _small_const(s.value):
                continue
            mapping[t] = s.value
    if not mapping:
        return fn
    mapping = {k: _resolve(v, mapping) for k, v in mapping.items()}
    body = _drop_assigns(fn.body, set(mapping))
    return fn.with_body(substitute_block(body, mapping, simplify=True))


def _small_const(c: ir.Const) -> bool:
    return type(c.value) in (int, float, bool, type(None))


def _resolve(v, mapping, depth=0):
    while isinstance(v, ir.Var) and v.name in mapping and depth < 100:
        v = mapping[v.name]
        depth += 1
    return v


def _drop_assigns(stmts, names) -> list:
    out = []
    for s in stmts:
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) \
                and s.target.name in names:
            continue
        out.append(_map_blocks(s, lambda b: _drop_assigns(b, names)))
    return out


def _map_blocks(s, f):
    """``s`` with ``f`` applied to each of its blocks: ``s`` itself when
    ``f`` gave every block back statement for statement."""
    t = type(s)
    if t is ir.If:
        body, orelse = f(s.body), f(s.orelse)
        return s if _same(body, s.body) and _same(orelse, s.orelse) else \
            ir.copy_with(s, body=body, orelse=orelse)
    if t is ir.For:
        body = f(s.body)
        return s if _same(body, s.body) else ir.copy_with(s, body=body)
    if t is ir.While:
        test_body, body = f(s.test_body), f(s.body)
        return s if _same(test_body, s.test_body) and _same(body, s.body) else \
            ir.copy_with(s, test_body=test_body, body=body)
    return s


def _same(new: list, old: list) -> bool:
    """The same statements (the same objects), in the same order."""
    return len(new) == len(old) and all(a is b for a, b in zip(new, old))


def inline_single_use(fn: ir.Function, keep=()) -> ir.Function:
    """Substitute temporaries read once into their use in the same block."""
    writes = _write_counts(fn.body)
    reads = _read_counts(fn.body)
    keep = set(keep) | set(fn.param_names())
    candidates = {n for n, c in writes.items()
                  if c == 1 and reads[n] == 1 and n not in keep and n in fn.temps}
    body = _inline_block(fn.body, candidates, _PerStatement(_nested_names))
    return fn.with_body(body)


def _inline_block(stmts, candidates, nested) -> list:
    stmts = [_map_blocks(s, lambda b: _inline_block(b, candidates, nested)) for s in stmts]
    i = 0
    while i < len(stmts):
        s = stmts[i]
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) \
                and s.target.name in candidates and not has_effect(s.value):
            j = _use_index(stmts, i, s.target.name, set(ir.expr_vars(s.value)), nested)
            if j is not None:
                mapping = {s.target.name: s.value}
                stmts[j] = _substitute_own(stmts[j], mapping)
                del stmts[i]
                continue
        i += 1
    return stmts


def _use_index(stmts, i, name, deps, nested):
    """Index of the statement after ``i`` that reads ``name`` itself (not in a
    nested block), if nothing in between writes one of ``deps``."""
    for j in range(i + 1, len(stmts)):
        s = stmts[j]
        if name in ir.stmt_reads(s):
            if isinstance(s, ir.While):
                return None       # the test is re-evaluated every iteration
            return j
        nested_reads, written = nested(s)
        if name in nested_reads:
            return None
        if written & deps:
            return None
        if isinstance(s, ir.Assign) and has_effect(s.value) and \
                any(has_effect(ir.Var(d)) for d in deps):
            return None
    return None


def _nested(s):
    out = []
    for b in ir.child_blocks(s):
        out.extend(b)
    return out


def _nested_names(s):
    """(names read in ``s``'s nested blocks, names ``s`` writes, nested ones too)"""
    return ir.all_reads(_nested(s)), set(ir.stmt_writes(s)) | ir.all_writes(_nested(s))


def _substitute_own(s, mapping):
    from .algebra import materialize, simplify
    if isinstance(s, (ir.Assign, ir.Effect, ir.Return)):
        return ir.with_value(s, materialize(simplify(ir.substitute(s.value, mapping))))
    if isinstance(s, ir.If):
        return replace(s, test=ir.substitute(s.test, mapping))
    if isinstance(s, ir.For):
        return replace(s, iter=ir.substitute(s.iter, mapping))
    return s


def dead_code(fn: ir.Function) -> ir.Function:
    body, _ = _dce_block(fn.body, set())
    return fn.with_body(body)


def _dce_block(stmts, live_out):
    live = set(live_out)
    out = []
    for s in reversed(stmts):
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and \
                isinstance(s.value, ir.Var) and s.value.name == s.target.name:
            continue                                  # x = x
        if isinstance(s, ir.Assign):
            targets = s.targets()
            if not live.isdisjoint(targets) or has_effect(s.value):
                out.append(s)
                live.difference_update(targets)
                live.update(ir.expr_vars(s.value))
        elif isinstance(s, (ir.Effect, ir.Return)):
            out.append(s)
            live.update(ir.expr_vars(s.value))
        elif isinstance(s, ir.Comment):
            out.append(s)
        elif isinstance(s, ir.If):
            body, lb = _dce_block(s.body, live)
            orelse, le = _dce_block(s.orelse, live)
            if _only_comments(body) and _only_comments(orelse):
                continue
            out.append(replace(s, body=body, orelse=orelse))
            live = lb | le | set(ir.expr_vars(s.test))
        elif isinstance(s, (ir.For, ir.While)):
            new, live = _dce_loop(s, live)
            if new is not None:
                out.append(new)
        else:
            out.append(s)
    out.reverse()
    return out, live


def _dce_loop(s, live_after):
    stop = {s.stop} if s.stop else set()
    targets = set(ir.target_names(s.target)) if isinstance(s, ir.For) else set()
    header = set(ir.expr_vars(s.iter if isinstance(s, ir.For) else s.test))
    live_end = set(live_after) | stop
    for _ in range(100):
        if isinstance(s, ir.While):
            tb, lt = _dce_block(s.test_body, live_end | header)
            body, lb = _dce_block(s.body, lt)
            start = lb | lt
        else:
            body, lb = _dce_block(s.body, live_end)
            start = lb - targets
        new_end = set(live_after) | stop | start | (header if isinstance(s, ir.While) else set())
        if new_end == live_end:
            break
        live_end = new_end
    if _only_comments(body) and not (targets & live_after):
        return None, set(live_after)
    if isinstance(s, ir.While):
        new = replace(s, test_body=tb, body=body)
        return new, set(live_after) | lb | lt | header
    new = replace(s, body=body)
    return new, set(live_after) | (lb - targets) | header


def liveness(stmts, live_out):
    """``(stmts without dead code, variables live before them)``."""
    return _dce_block(stmts, set(live_out))


def live_before(s, live_out: set) -> set:
    """The variables live before statement ``s`` (``liveness([s], live_out)[1]``,
    without rebuilding a simple statement)."""
    if isinstance(s, ir.Assign):
        if isinstance(s.target, ir.Var) and isinstance(s.value, ir.Var) and \
                s.value.name == s.target.name:
            return set(live_out)                      # x = x
        targets = s.targets()
        if live_out.isdisjoint(targets) and not has_effect(s.value):
            return set(live_out)                      # dead
        return (live_out - set(targets)) | set(ir.expr_vars(s.value))
    if isinstance(s, (ir.Effect, ir.Return)):
        return live_out | set(ir.expr_vars(s.value))
    if isinstance(s, ir.Comment):
        return set(live_out)
    return _dce_block([s], set(live_out))[1]


def loop_live_end(loop, live_after) -> set:
    """Variables live at the end of an iteration of ``loop`` (a fixpoint)."""
    stop = {loop.stop} if loop.stop else set()
    targets = set(ir.target_names(loop.target)) if isinstance(loop, ir.For) else set()
    live_end = set(live_after) | stop
    for _ in range(100):
        _, lin = _dce_block(loop.body, live_end)
        new = set(live_after) | stop | (lin - targets)
        if isinstance(loop, ir.While):
            _, lt = _dce_block(loop.test_body, new | set(ir.expr_vars(loop.test)))
            new |= lt
        if new == live_end:
            break
        live_end = new
    return live_end


def _only_comments(stmts) -> bool:
    return all(isinstance(s, ir.Comment) for s in stmts)


def _refs(s) -> set:
    return set(ir.all_reads([s])) | set(ir.all_writes([s])) | \
        ({s.stop} if isinstance(s, (ir.For, ir.While)) and s.stop else set())


class _PerStatement:
    """``summary(stmt)``, found once per statement object: passes that ask
    about the same statements once per candidate they look at stay linear."""

    def __init__(self, summary):
        self.summary = summary
        self._found = {}          # id(stmt) -> (stmt, summary); holding stmt keeps ids unique

    def __call__(self, s):
        found = self._found.get(id(s))
        if found is None:
            found = self._found[id(s)] = (s, self.summary(s))
        return found[1]


def coalesce_carries(fn: ir.Function) -> ir.Function:
    """``y = f(x); x = y`` at the end of a loop body becomes ``x = f(x)``."""
    writes = _write_counts(fn.body)
    return fn.with_body(_coalesce_in(fn.body, writes, set(fn.param_names()), _PerStatement(_refs)))


def _coalesce_in(stmts, writes, params, refs) -> list:
    out = []
    for s in stmts:
        s = _map_blocks(s, lambda b: _coalesce_in(b, writes, params, refs))
        if isinstance(s, (ir.For, ir.While)):
            s = replace(s, body=_coalesce_body(list(s.body), writes, params, refs))
        out.append(s)
    return out


def _coalesce_body(body, writes, params, refs) -> list:
    changed = True
    while changed:
        changed = False
        for k in range(len(body) - 1, -1, -1):
            c = body[k]
            if not (isinstance(c, ir.Assign) and c.carry and isinstance(c.value, ir.Var)):
                continue
            loop_var, y = c.target.name, c.value.name
            j = next((i for i in range(k) if isinstance(body[i], ir.Assign)
                      and body[i].targets() == (y,)), None)
            if j is None or writes[y] != 1 or y in params:
                continue
            between = body[j + 1:k]
            if any(y in refs(x) for x in body[k + 1:]):
                continue
            if any(loop_var in refs(x) for x in between):
                # x read after y = f(x) (a tangent, x_dot * cos(x)): y = f(x) moved
                # down to the copy, past statements that neither read y nor write
                # what f(x) reads
                d = body[j]
                reads = set(ir.expr_vars(d.value))
                if not isinstance(d.target, ir.Var) or d.store or d.augmented or \
                        has_effect(d.value) or \
                        any(y in refs(x) or not isinstance(x, (ir.Assign, ir.Comment)) or
                            reads & set(ir.stmt_writes(x)) for x in between):
                    continue
                body[j:k] = between + [d]
                j = k - 1
            body[j:k] = rename_vars(body[j:k], {y: loop_var})
            del body[k]
            changed = True
            break
    return body


_DERIVED = ("_bar", "_dot")


def coalesce_copies(fn: ir.Function) -> ir.Function:
    """A top-level copy ``a = b`` that ends ``b``'s life (or starts ``a``'s)
    merges the two names: ``x_1 = x`` before a loop lets the loop use ``x``."""
    body = list(fn.body)
    params = set(fn.param_names())
    local = _write_counts(fn.body)          # names the function itself assigns
    refs = [_refs(s) for s in body]         # kept beside body (renaming updates both)
    k = 0
    while k < len(body):
        c = body[k]
        if isinstance(c, ir.Assign) and isinstance(c.target, ir.Var) and \
                isinstance(c.value, ir.Var) and c.target.name != c.value.name:
            a, b = c.target.name, c.value.name
            if a.endswith(_DERIVED) and not b.endswith(_DERIVED) and local[b] and \
                    b not in params:
                k += 1                  # theta_bar = v_2: the adjoint seeded by a primal
                continue                # value; merged, the primal would be named theta_bar
            a_before = any(a in r for r in refs[:k])
            b_after = any(b in r for r in refs[k + 1:])
            if not a_before and not b_after and b not in params and a not in params \
                    and local[b]:                              # (not a global's name)
                _rename_in(body, refs, range(k), b, a)         # b's life ends here
                del body[k], refs[k]
                continue
            derived = a.endswith(("_bar", "_dot")) and b in params   # keep x_bar, not out_bar
            if not a_before and not b_after and a not in params and not derived \
                    and (local[b] or b in params):
                _rename_in(body, refs, range(k + 1, len(body)), a, b)   # a's life starts here
                del body[k], refs[k]
                continue
        k += 1
    return fn.with_body(body)


def _rename_in(body, refs, indices, old: str, new: str) -> None:
    """Rename ``old`` to ``new`` in the statements at ``indices`` that refer
    to it (``refs``: the names each refers to), in place."""
    for i in indices:
        if old in refs[i]:
            body[i] = rename_vars([body[i]], {old: new})[0]
            refs[i] = _refs(body[i])


# --------------------------------------------------------------------------
# common subexpressions


def common_subexpressions(fn: ir.Function) -> ir.Function:
    """``b = E`` after ``a = E`` in the same block becomes ``b = a`` when
    nothing in between writes ``a`` or a variable ``E`` reads (copy
    propagation then drops ``b``). Only operations without side effects are
    shared (operators, ufuncs, NumPy's pure functions); a statement that may
    mutate something (a method call, a Python function, ``out=``) forgets
    everything. Each nested block starts with nothing known: a loop body
    runs again after the writes at its end, a branch may not run at all."""
    return fn.with_body(_cse_block(fn.body))


def _cse_block(stmts, shareable=None) -> list:
    """``common_subexpressions`` of a block; ``shareable`` (default
    ``_shareable``) says which operations may be shared."""
    shareable = shareable or _shareable
    known = {}             # expression (copies resolved) -> variable holding it
    copies = {}            # b -> Var(a) after b = a
    out = []
    for s in stmts:
        s = _map_blocks(s, lambda b: _cse_block(b, shareable))
        key = None
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) \
                and isinstance(s.value, ir.Op) and shareable(s.value):
            key = ir.substitute(s.value, copies)
            held = known.get(key)
            if held is not None:
                s, key = replace(s, value=ir.Var(held)), None
        if _may_mutate(s):
            known.clear()
            copies.clear()
        else:
            written = set(ir.stmt_writes(s)) | ir.all_writes(_nested(s))
            if written:
                known = {e: v for e, v in known.items()
                         if v not in written and written.isdisjoint(e.vars)}
                copies = {b: a for b, a in copies.items()
                          if b not in written and a.name not in written}
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var):
            name = s.target.name
            if key is not None and name not in key.vars:
                known.setdefault(key, name)
            elif isinstance(s.value, ir.Var) and s.value.name != name:
                copies[name] = copies.get(s.value.name, s.value)
        out.append(s)
    return out


_PURE_RUNTIME = {runtime.setitem, runtime.getitem_adjoint, runtime.unbroadcast,
                 runtime.broadcast_like, runtime.zeros_like, runtime.sigmoid,
                 runtime.last_writes}


def _shareable(e) -> bool:
    """An operation whose result depends on its arguments' values only, and
    which creates no object a later statement could mutate (lists, dicts)."""
    if not isinstance(e, ir.Op):
        return True
    fn = e.fn
    if isinstance(fn, ir.PseudoOp):
        ok = fn.kind == "slice"
    else:
        ok = (isinstance(fn, np.ufunc) or getattr(fn, "__module__", None) in (
            "_operator", "operator")) and not any(k == "out" for k, _ in e.kwargs)
    return ok and all(_shareable(a) for a in e.args) and \
        all(_shareable(v) for _, v in e.kwargs)


def _may_mutate(s) -> bool:
    """Whether ``s`` may change a value in place (not only rebind names)."""
    if isinstance(s, (ir.If, ir.For, ir.While)):
        return any(_may_mutate(x) for b in ir.child_blocks(s) for x in b) or \
            (isinstance(s, ir.For) and _mutating_expr(s.iter))
    if isinstance(s, (ir.Assign, ir.Effect, ir.Return)):
        return _mutating_expr(s.value)
    return False


def _mutating_expr(e) -> bool:
    if not isinstance(e, ir.Op):
        return False
    fn = e.fn
    if isinstance(fn, ir.PseudoOp):
        bad = fn.kind == "method"
    elif isinstance(fn, np.ufunc) or getattr(fn, "__module__", None) in ("_operator", "operator") \
            or fn in _PURE_RUNTIME:
        bad = False
    else:
        module = getattr(fn, "__module__", None) or ""
        bad = not (module == "numpy" or module.startswith("numpy.")) or \
            function_hint(fn) is not None
    return bad or any(k == "out" for k, _ in e.kwargs) or \
        any(_mutating_expr(a) for a in e.args) or any(_mutating_expr(v) for _, v in e.kwargs)


# --------------------------------------------------------------------------
# sigmoids


def fuse_sigmoids(fn: ir.Function) -> ir.Function:
    """``n = -z; e = np.exp(n); y = 1.0 + e; s = 1.0 / y`` (temporaries each
    written and read once, in one block) becomes ``s = sigmoid(z)``
    (``runtime.sigmoid``), whose adjoint ``g * s * (1.0 - s)`` reads only
    ``s``. Reverse mode fuses before it differentiates and spells the sigmoid
    out again afterwards (``expand_sigmoids``)."""
    writes, reads = _write_counts(fn.body), _read_counts(fn.body)
    single = {n for n in fn.temps if writes[n] == 1 and reads[n] == 1}
    return fn.with_body(_fuse_block(fn.body, single))


def _fuse_block(stmts, single) -> list:
    stmts = [_map_blocks(s, lambda b: _fuse_block(b, single)) for s in stmts]
    where = {s.target.name: i for i, s in enumerate(stmts)
             if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var)
             and s.target.name in single}
    drop, fused = set(), {}
    for k, s in enumerate(stmts):
        chain = _sigmoid_chain(s, stmts, where)
        if chain is None or not chain[0] < chain[1] < chain[2] < k:
            continue
        z = chain[-1]
        between = [x for i, x in enumerate(stmts[chain[0] + 1:k], chain[0] + 1)
                   if i not in chain]
        if any(z in set(ir.stmt_writes(x)) | ir.all_writes(_nested(x))
               or (z in _refs(x) and _may_mutate(x)) for x in between):
            continue                        # z changes before the division: keep it
        drop.update(chain[:3])
        fused[k] = replace(s, value=ir.Op(runtime.sigmoid, (ir.Var(z),)))
    return [fused.get(i, s) for i, s in enumerate(stmts) if i not in drop]


def _sigmoid_chain(s, stmts, where):
    """``(index of n, of e, of y, z)`` if ``s`` is ``1 / y`` with ``y = 1 + e``,
    ``e = np.exp(n)``, ``n = -z``; else None."""
    y = _unit_op(s, operator.truediv, where, const_first=True)
    e = y and _unit_op(stmts[where[y]], operator.add, where)
    n = e and _unit_op(stmts[where[e]], np.exp, where)
    neg = n and stmts[where[n]].value
    if not (isinstance(neg, ir.Op) and neg.fn in (operator.neg, np.negative)
            and len(neg.args) == 1 and not neg.kwargs and isinstance(neg.args[0], ir.Var)):
        return None
    return where[n], where[e], where[y], neg.args[0].name


def _unit_op(s, fn, where, const_first=False):
    """The single-use temporary that ``s`` combines with the constant 1 by
    ``fn`` (``1 / y``, ``1 + e`` or ``e + 1``, ``np.exp(n)``), or None."""
    if not (isinstance(s, ir.Assign) and isinstance(s.target, ir.Var)
            and isinstance(s.value, ir.Op) and s.value.fn is fn and not s.value.kwargs):
        return None
    args = s.value.args
    if fn is np.exp:
        temps = args if len(args) == 1 else ()
    elif len(args) == 2 and _is_one(args[0]):
        temps = args[1:]
    elif len(args) == 2 and _is_one(args[1]) and not const_first:
        temps = args[:1]
    else:
        return None
    if len(temps) == 1 and isinstance(temps[0], ir.Var) and temps[0].name in where:
        return temps[0].name
    return None


def _is_one(a) -> bool:
    return isinstance(a, ir.Const) and type(a.value) in (int, float) and a.value == 1


def expand_sigmoids(fn: ir.Function) -> ir.Function:
    """``sigmoid(z)`` spelled out again: ``1.0 / (1.0 + np.exp(-z))``."""
    def expand(e):
        if not isinstance(e, ir.Op):
            return e
        e = ir.Op(e.fn, tuple(expand(a) for a in e.args),
                  tuple((k, expand(v)) for k, v in e.kwargs))
        if e.fn is runtime.sigmoid:
            one = ir.Const(1.0)
            exp = ir.Op(np.exp, (ir.Op(operator.neg, e.args),))
            return ir.Op(operator.truediv, (one, ir.Op(operator.add, (one, exp))))
        return e

    def block(stmts):
        out = []
        for s in stmts:
            s = _map_blocks(s, block)
            if isinstance(s, (ir.Assign, ir.Effect, ir.Return)) and \
                    isinstance(s.value, ir.Op) and _uses(s.value, runtime.sigmoid):
                s = replace(s, value=expand(s.value))
            out.append(s)
        return out
    return fn.with_body(block(fn.body))


def _uses(e, fn) -> bool:
    return isinstance(e, ir.Op) and (e.fn is fn or any(_uses(a, fn) for a in e.args)
                                     or any(_uses(v, fn) for _, v in e.kwargs))


# --------------------------------------------------------------------------
# shifts whose derivatives cancel


_EXPS = {np.exp, math.exp}
_LOGS = {np.log, math.log}
_ADDS = {operator.add, np.add}
_SUBS = {operator.sub, np.subtract}


def hold_shifts(fn: ir.Function, kinds) -> ir.Function:
    """Hold the shift ``m`` of a numerically stable log-sum-exp, softmax or
    log-softmax constant (``runtime.held``) for differentiation::

        m + log(sum(exp(b - m), axis))           (also exp(a - m) + exp(c - m))
        exp(b - m) / sum(exp(b - m), axis, keepdims=True)
        (b - m) - log(sum(exp(b - m), axis, keepdims=True))

    each is the same for every ``m`` constant along ``axis``, so ``m``'s
    derivatives through it cancel exactly: the adjoint of ``m = max(b)`` (one
    minus the softmax's sum, times the ties' share) and its tangent are never
    computed. The temporaries in between must be read only there, and the
    shapes known to put ``m`` (and the sum) on the axes that are not summed.
    Derivative code reads ``m`` again (``release_shifts``)."""
    writes, reads = _write_counts(fn.body), _read_counts(fn.body)
    taken = set(writes) | set(reads) | set(fn.param_names())
    before = set(taken)
    body = _hold_block(fn.body, kinds or {}, writes, reads, taken)
    if taken == before:
        return fn
    return fn.with_body(body, temps=fn.temps | (taken - before))   # (folded away again)


def release_shifts(fn: ir.Function) -> ir.Function:
    """``runtime.held(m)`` read as ``m`` again (after differentiation)."""
    if not any(isinstance(s, ir.Assign) and isinstance(s.value, ir.Op)
               and s.value.fn is runtime.held for s in ir.walk(fn.body)):
        return fn
    return copy_propagation(fn.with_body(_release_block(fn.body)))


def _release_block(stmts) -> list:
    out = []
    for s in stmts:
        s = _map_blocks(s, _release_block)
        if isinstance(s, ir.Assign) and isinstance(s.value, ir.Op) and \
                s.value.fn is runtime.held:
            s = replace(s, value=s.value.args[0])
        out.append(s)
    return out


def _hold_block(stmts, kinds, writes, reads, taken) -> list:
    stmts = [_map_blocks(s, lambda b: _hold_block(b, kinds, writes, reads, taken))
             for s in stmts]
    where = {s.target.name: i for i, s in enumerate(stmts)
             if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var)
             and writes[s.target.name] == 1}
    held, changed = {}, {}          # shift -> its held name; index -> new statement
    inserts = {}                    # index -> statements to put before it
    for k, s in enumerate(stmts):
        found = _shifted(s, stmts, where, kinds, reads)
        if found is None:
            continue
        m, uses, outer = found       # statements subtracting m; ``outer``: adds m back
        first = min(uses + ([k] if outer else []))
        if any(m in set(ir.stmt_writes(x)) | ir.all_writes(_nested(x))
               for x in stmts[first:k + 1]) or \
                any(i in changed for i in uses + ([k] if outer else [])):
            continue                 # m changes in between; or already rewritten
        name = held.get((m, first))
        if name is None:
            name = held[(m, first)] = fresh(taken, f"{m}_held")
            inserts.setdefault(first, []).append(
                ir.Assign(ir.Var(name), ir.Op(runtime.held, (ir.Var(m),)), stmts[first].loc))
        mapping = {m: ir.Var(name)}
        for i in uses + ([k] if outer else []):
            x = changed.get(i, stmts[i])
            changed[i] = replace(x, value=ir.substitute(x.value, mapping))
    if not changed:
        return stmts
    out = []
    for i, s in enumerate(stmts):
        out.extend(inserts.get(i, ()))
        out.append(changed.get(i, s))
    return out


def _shifted(s, stmts, where, kinds, reads):
    """``(m, indices of the statements computing b - m, whether s adds m
    back)`` if ``s`` ends one of ``hold_shifts``' patterns; else None."""
    if not (isinstance(s, ir.Assign) and isinstance(s.target, ir.Var)
            and isinstance(s.value, ir.Op) and len(s.value.args) == 2 and not s.value.kwargs):
        return None
    fn, (a, b) = s.value.fn, s.value.args
    if fn in _ADDS:                                  # m + log(sum(exp(x - m)))
        for m, log in ((a, b), (b, a)):
            found = _log_sum_exp(log, stmts, where, kinds, reads, once=True)
            if found is not None and isinstance(m, ir.Var) and found[0] == m.name and \
                    _fits(found[2], m.name, kinds, outer=True):
                return m.name, found[1], True
    elif fn is operator.truediv or fn is np.true_divide:     # exp(b - m) / sum(exp(b - m))
        if isinstance(a, ir.Var) and reads[a.name] == 2 and _single(b, where, reads):
            red = _reduction(stmts[where[b.name]].value)
            if red is not None and red[0] == a and a.name in where:
                d = _exp_of_shift(a.name, stmts, where, reads, reads_of_exp=2)
                if d is not None and _fits((red, d[2]), d[0], kinds, outer=False):
                    return d[0], [d[1]], False
    elif fn in _SUBS and isinstance(a, ir.Var) and a.name in where and \
            reads[a.name] == 2:                      # (b - m) - log(sum(exp(b - m)))
        found = _log_sum_exp(b, stmts, where, kinds, reads, once=False)
        if found is not None and found[1] == [where[a.name]] and \
                _fits(found[2], found[0], kinds, outer=False):
            return found[0], found[1], False
    return None


def _single(e, where, reads) -> bool:
    return isinstance(e, ir.Var) and e.name in where and reads[e.name] == 1


def _log_sum_exp(e, stmts, where, kinds, reads, once):
    """For ``e`` = ``log(s)``, ``s`` a sum of ``exp(x - m)`` (a reduction of
    one, or ``+`` of several): ``(m, indices of the x - m statements,
    shape facts)``, each temporary read once (``once=False``: the ``x - m`` of
    a reduction is read twice, there and by a log-softmax)."""
    if not _single(e, where, reads):
        return None
    log = stmts[where[e.name]].value
    if not (isinstance(log, ir.Op) and log.fn in _LOGS and len(log.args) == 1
            and not log.kwargs and _single(log.args[0], where, reads)):
        return None
    total = stmts[where[log.args[0].name]].value
    red = _reduction(total)
    if red is not None:
        if not (isinstance(red[0], ir.Var) and _single(red[0], where, reads)):
            return None
        d = _exp_of_shift(red[0].name, stmts, where, reads, reads_of_shift=1 if once else 2)
        return None if d is None else (d[0], [d[1]], (red, d[2]))
    if not once:
        return None
    terms, stack = [], [total]                       # exp(x - m) + exp(y - m) + ...
    while stack:
        t = stack.pop()
        if isinstance(t, ir.Op) and t.fn in _ADDS and len(t.args) == 2 and not t.kwargs:
            for a in t.args:
                if not _single(a, where, reads):
                    return None
                stack.append(stmts[where[a.name]].value)
                terms.append(a.name)
    found = []
    for name in terms:
        v = stmts[where[name]].value
        if isinstance(v, ir.Op) and v.fn in _EXPS:
            d = _exp_of_shift(name, stmts, where, reads)
            if d is None:
                return None
            found.append(d)
        elif not (isinstance(v, ir.Op) and v.fn in _ADDS):
            return None                              # a term that is not exp(x - m)
    ms = {d[0] for d in found}
    if len(found) < 2 or len(ms) != 1:
        return None
    return ms.pop(), [d[1] for d in found], None


def _exp_of_shift(name, stmts, where, reads, reads_of_exp=1, reads_of_shift=1):
    """For ``name = exp(d)``, ``d = x - m``: ``(m, index of d's statement, d)``."""
    v = stmts[where[name]].value
    if not (isinstance(v, ir.Op) and v.fn in _EXPS and len(v.args) == 1 and not v.kwargs
            and isinstance(v.args[0], ir.Var) and v.args[0].name in where
            and reads[name] == reads_of_exp and reads[v.args[0].name] == reads_of_shift):
        return None
    i = where[v.args[0].name]
    sub = stmts[i].value
    if not (isinstance(sub, ir.Op) and sub.fn in _SUBS and len(sub.args) == 2
            and not sub.kwargs and isinstance(sub.args[1], ir.Var)):
        return None
    return sub.args[1].name, i, v.args[0].name


def _reduction(e):
    """``(summed, axis, keepdims)`` for ``np.sum(x, axis, keepdims=...)`` or
    ``x.sum(...)`` with constant arguments; else None."""
    if not isinstance(e, ir.Op):
        return None
    is_method = isinstance(e.fn, ir.PseudoOp) and e.fn.kind == "method" and e.fn.name == "sum"
    if not (e.fn is np.sum or is_method) or not e.args:
        return None
    params = dict(zip(("axis", "dtype", "out", "keepdims"), e.args[1:]))
    params.update(e.kwargs)
    if set(params) - {"axis", "keepdims"} or \
            not all(isinstance(v, ir.Const) for v in params.values()):
        return None
    axis = params.get("axis", ir.Const(None)).value
    keepdims = params.get("keepdims", ir.Const(False)).value
    if not (axis is None or isinstance(axis, int) or
            (isinstance(axis, tuple) and all(isinstance(x, int) for x in axis))) or \
            not isinstance(keepdims, bool):
        return None
    return e.args[0], axis, keepdims


def _fits(facts, m, kinds, outer) -> bool:
    """Whether the shift ``m`` is constant along the summed axes (so ``x - m``
    subtracts one value from all the terms of each sum) and, where the sum is
    combined with ``m`` or ``x - m`` again (``outer``: ``m + log(s)``, else
    ``e / s`` or ``d - log(s)``), its entries line up with theirs."""
    if facts is None:
        return True                  # exp(x - m) + exp(y - m): elementwise throughout
    (summed, axis, keepdims), d = facts
    kd, km = kinds.get(d), kinds.get(m)
    if kd is None or km is None or any(n < 0 for n in kd.shape + km.shape):
        return False
    n = len(kd.shape)
    try:
        axes = tuple(range(n)) if axis is None else _normalize(axis, n)
    except ValueError:
        return False
    mshape = km.shape
    if len(mshape) > n:
        return False
    padded = (1,) * (n - len(mshape)) + tuple(mshape)
    if any(padded[a] != 1 for a in axes):
        return False                 # m varies along a summed axis
    if keepdims:
        return True                  # the sum keeps every axis in place
    if outer:                        # m + log(s): m's axes are the sum's last ones
        return all(a < n - len(mshape) for a in axes)
    return all(a < len(axes) for a in axes)   # s broadcast back: leading axes summed


def _normalize(axis, n):
    axes = (axis,) if isinstance(axis, int) else axis
    out = tuple(a + n if a < 0 else a for a in axes)
    if any(not 0 <= a < n for a in out) or len(set(out)) != len(out):
        raise ValueError(axis)
    return out


# --------------------------------------------------------------------------
# rows stored and read again


def forward_rows(fn: ir.Function) -> ir.Function:
    """``y = setitem(x, i, v); ...; r = y[i]; ...; z = setitem(y, i, w)``,
    where ``y`` is read nowhere else, becomes ``r = v; ...; z = setitem(x,
    i, w)``: the row written is read back as the value written, and the
    second write of the row makes the first one dead (a state's adjoint
    updated row by row: one copy of the state fewer and no indexing). ``i``
    is an int and ``v`` has exactly the row's shape and dtype (reverse
    mode's kinds), so ``y[i]`` is ``v``."""
    if not fn.kinds or not any(_setitem_site(s) for s in ir.walk(fn.body)):
        return fn
    writes, reads = _write_counts(fn.body), _read_counts(fn.body)
    return fn.with_body(_forward_block(fn.body, fn.kinds, writes, reads))


def _forward_block(stmts, kinds, writes, reads) -> list:
    stmts = [_map_blocks(s, lambda b: _forward_block(b, kinds, writes, reads)) for s in stmts]
    k = 0
    while k < len(stmts):
        new = _forward_row(stmts, k, kinds, writes, reads)
        if new is not None:
            stmts = new
        else:
            k += 1
    return stmts


def _forward_row(stmts, k, kinds, writes, reads):
    s = stmts[k]
    if not (_setitem_site(s) and writes[s.target.name] == 1 and _exact_row(s.value, kinds)):
        return None
    y = s.target.name
    x, i, v = s.value.args
    deps = {x.name} | set(ir.expr_vars(i)) | set(ir.expr_vars(v))
    row = ir.Op(operator.getitem, (ir.Var(y), i))
    uses, last = [], None
    for j in range(k + 1, len(stmts)):
        t = stmts[j]
        if y in ir.all_reads(_nested(t)) or (isinstance(t, (ir.For, ir.While)) and t.stop == y):
            return None
        if y in ir.stmt_reads(t):
            if _setitem_site(t) and t.value.args[0] == ir.Var(y) and t.value.args[1] == i \
                    and y not in ir.expr_vars(t.value.args[2]):
                last = j
                break
            if not isinstance(t, (ir.Assign, ir.Effect, ir.Return)):
                return None
            uses.append(j)
        if deps & (set(ir.stmt_writes(t)) | ir.all_writes(_nested(t))) or \
                (_may_mutate(t) and deps & _refs(t)):
            return None
    if last is None or len(uses) > 1 or reads[y] != len(uses) + 1:
        return None
    out = list(stmts)
    if uses:
        t = out[uses[0]]
        value = _replace_expr(t.value, row, v)
        if y in ir.expr_vars(value):
            return None                       # y read otherwise than as its row i
        out[uses[0]] = replace(t, value=value)
    z = out[last]
    out[last] = replace(z, value=ir.Op(runtime.setitem, (x,) + z.value.args[1:]))
    del out[k]
    return out


def _exact_row(e, kinds) -> bool:
    """``setitem(x, i, v)`` with an int ``i`` and ``v`` exactly ``x[i]``'s kind."""
    from . import analysis
    x, i, v = e.args
    kx, kv = analysis.expr_kind(x, kinds), analysis.expr_kind(v, kinds)
    if kx is None or kv is None or kx.pyfloat or kv.pyfloat or not kx.shape \
            or any(n < 0 for n in kx.shape) or kv.shape != kx.shape[1:]:
        return False
    if not (isinstance(i, ir.Const) and type(i.value) is int or
            isinstance(i, ir.Var) and kinds.get(i.name) == analysis.INT):
        return False
    try:
        return np.dtype(kx.dtype) == np.dtype(kv.dtype)
    except TypeError:
        return False


def _replace_expr(e, old, new):
    """``e`` with every occurrence of the expression ``old`` replaced by ``new``."""
    if e == old:
        return new
    if isinstance(e, ir.Op):
        return ir.Op(e.fn, tuple(_replace_expr(a, old, new) for a in e.args),
                     tuple((k, _replace_expr(a, old, new)) for k, a in e.kwargs))
    return e


# --------------------------------------------------------------------------
# products of tiles


def factor_tiles(fn: ir.Function) -> ir.Function:
    """``np.concatenate((a * x, b * y))`` after ``B = np.concatenate((a, b))``
    in the same block is ``B * np.concatenate((x, y))``: one product instead of
    one per tile (the adjoints of ``w[:n] * x + bias[:n]``, ``w[n:] * y +
    bias[n:]`` with respect to ``w`` and ``bias``). Every factor has exactly
    its partner's shape and dtype (reverse mode's kinds): nothing broadcasts."""
    if not fn.kinds or not any(isinstance(s, ir.Assign) and _tiles(s.value) is not None
                               for s in ir.walk(fn.body)):
        return fn                 # (no tiles: nothing to factor)
    return fn.with_body(_tiles_block(fn.body, fn.kinds))


def _tiles_block(stmts, kinds) -> list:
    known = {}                                # the tiles' tuple -> the variable holding it
    out = []
    for s in stmts:
        s = _map_blocks(s, lambda b: _tiles_block(b, kinds))
        if isinstance(s, (ir.Assign, ir.Effect, ir.Return)) and known:
            value = _factor_tiles(s.value, known, kinds)
            if value is not s.value:
                s = replace(s, value=value)
        if _may_mutate(s):
            known.clear()
        else:
            written = set(ir.stmt_writes(s)) | ir.all_writes(_nested(s))
            if written:
                known = {t: v for t, v in known.items()
                         if v not in written and written.isdisjoint(ir.expr_vars(t))}
        tiles = _tiles(s.value) if isinstance(s, ir.Assign) else None
        if tiles is not None and isinstance(s.target, ir.Var) \
                and s.target.name not in ir.expr_vars(tiles):
            known.setdefault(tiles, s.target.name)
        out.append(s)
    return out


def _tiles(e):
    """``np.concatenate((a, b, ...))``'s tuple of tiles, or None."""
    if isinstance(e, ir.Op) and e.fn is np.concatenate and len(e.args) == 1 \
            and not e.kwargs and isinstance(e.args[0], ir.Op) \
            and e.args[0].fn is ir.MAKE_TUPLE and len(e.args[0].args) > 1:
        return e.args[0]
    return None


def _factor_tiles(e, known, kinds):
    if not isinstance(e, ir.Op):
        return e
    args = tuple(_factor_tiles(a, known, kinds) for a in e.args)
    if any(a is not b for a, b in zip(args, e.args)):
        e = ir.Op(e.fn, args, e.kwargs)
    tiles = _tiles(e)
    if tiles is None:
        return e
    for whole, name in known.items():
        others = _partners(tiles.args, whole.args, kinds)
        if others is not None:
            rest = ir.Op(np.concatenate, (ir.Op(ir.MAKE_TUPLE, others),))
            return ir.Op(operator.mul, (ir.Var(name), rest))
    return e


def _partners(products, factors, kinds):
    """``(x, y, ...)`` if ``products`` is ``(a * x, b * y, ...)`` (either
    order) for ``factors`` ``(a, b, ...)``, each ``x`` of its ``a``'s kind."""
    from . import analysis
    if len(products) != len(factors):
        return None
    out = []
    for p, a in zip(products, factors):
        if not (isinstance(p, ir.Op) and p.fn is operator.mul and len(p.args) == 2
                and not p.kwargs and a in p.args):
            return None
        x = p.args[1] if p.args[0] == a else p.args[0]
        ka, kx = analysis.expr_kind(a, kinds), analysis.expr_kind(x, kinds)
        if ka is None or ka != kx or ka.pyfloat or not ka.shape or \
                any(n < 0 for n in ka.shape):
            return None
        out.append(x)
    return tuple(out)


# --------------------------------------------------------------------------
# updates in place


def update_in_place(fn: ir.Function) -> ir.Function:
    """``y = setitem(x, i, v)`` copies ``x``; it becomes ``setitem_into``
    (an update of ``x`` in place) when no variable that may share ``x``'s
    memory is read afterwards. Which variables may share memory is decided
    for the whole function at once: a value that is not a new array (a view,
    a copy of a name, an item of a tape, another setitem) joins the names it
    is made from; parameters and names the function does not assign are
    never updated. Liveness is structured: loops to a fixpoint."""
    sites = [s for s in ir.walk(fn.body) if _setitem_site(s)]
    if not sites:
        return fn
    share = _sharing(fn)
    local = _write_counts(fn.body)
    outside = {n for n in share if not local[n]} | set(fn.param_names())
    for n in _read_only(fn):              # broadcasts are read-only views
        outside |= share.get(n, {n})
    after = {}
    _live_after(fn.body, set(), after)
    chosen = set()
    for s in sites:
        x, y = s.value.args[0].name, s.target.name
        group = share.get(x, {x})
        if group & outside or (group - {y}) & after[id(s)]:
            continue
        chosen.add(id(s))
    if not chosen:
        return fn
    return fn.with_body(_into_block(fn.body, chosen))


def _read_only(fn) -> set:
    """Names assigned an array that may not be writable: a broadcast, or a
    value made from no variable that is not a new array (``np.broadcast_to(1.0,
    (2,))``, a seed)."""
    out = set()
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Assign) and isinstance(s.value, ir.Op):
            e = s.value
            if e.fn in (np.broadcast_to, runtime.broadcast_like) or (
                    not ir.expr_vars(e) and not _new_array(e, s.targets(), fn.arrays)):
                out.update(s.targets())
    return out


def _setitem_site(s) -> bool:
    return isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) \
        and isinstance(s.value, ir.Op) and s.value.fn is runtime.setitem \
        and len(s.value.args) == 3 and not s.value.kwargs \
        and isinstance(s.value.args[0], ir.Var)


def _into_block(stmts, chosen) -> list:
    out = []
    for s in stmts:
        s = _map_blocks(s, lambda b: _into_block(b, chosen))
        if id(s) in chosen:
            s = replace(s, value=ir.Op(runtime.setitem_into, s.value.args))
        out.append(s)
    return out


def _sharing(fn) -> dict:
    """name -> the set of names that may share memory with it."""
    parent = {}

    def find(n):
        parent.setdefault(n, n)
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    def join(names):
        names = [find(n) for n in names]
        for n in names[1:]:
            parent[n] = names[0]
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Assign):
            join(list(s.targets()) + _referenced(s.value, s.targets(), fn.arrays))
        elif isinstance(s, ir.Effect):
            join(list(ir.expr_vars(s.value)))
        elif isinstance(s, ir.For):
            join(list(ir.target_names(s.target)) + list(ir.expr_vars(s.iter)))
        for n in ir.stmt_reads(s):
            find(n)
    groups = {}
    for n in list(parent):
        groups.setdefault(find(n), set()).add(n)
    return {n: groups[find(n)] for n in parent}


def _referenced(e, targets, arrays) -> list:
    """Variables whose memory the value of ``e`` may share: none for a new
    array; an indexing's or an update's base, not its index; an array's
    update copies the values in (a list's holds them)."""
    if not isinstance(e, ir.Op):
        return list(ir.expr_vars(e))
    if _new_array(e, targets, arrays):
        return []
    fn, args = e.fn, e.args
    if fn is operator.getitem and len(args) == 2 and not e.kwargs:
        return list(ir.expr_vars(args[0]))
    if fn in (runtime.setitem, runtime.scatter_into) and len(args) == 3 and not e.kwargs:
        x = args[0]
        into_array = isinstance(x, ir.Var) and x.name in arrays
        return list(ir.expr_vars(x)) + ([] if into_array else list(ir.expr_vars(args[2])))
    return list(ir.expr_vars(e))


_NEW_NUMPY = {"zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
              "full_like", "array", "copy", "stack", "concatenate"}


_ARITHMETIC = {operator.add, operator.sub, operator.mul, operator.truediv, operator.neg,
               operator.pow, operator.matmul}


def _new_array(e: ir.Op, targets, arrays) -> bool:
    """Does ``e`` make a new array that holds no reference to its arguments?
    (Arithmetic does when its result is known to be an array: on lists it
    concatenates or repeats, and the new list holds the old items.)"""
    if any(k in ("out", "copy") for k, _ in e.kwargs):     # (np.array(x, copy=False))
        return False
    fn = e.fn
    if isinstance(fn, np.ufunc) or fn in (runtime.zeros_like, runtime.getitem_adjoint):
        return True
    if fn in _ARITHMETIC:
        return len(targets) == 1 and targets[0] in arrays
    name = getattr(fn, "__name__", None)
    return name in _NEW_NUMPY and getattr(np, name, None) is fn


def _live_after(stmts, live_out, table) -> set:
    """Fill ``table[id(s)]`` with the variables live after each statement
    ``s``; return those live before ``stmts``."""
    live = set(live_out)
    for s in reversed(stmts):
        table[id(s)] = set(live)
        if isinstance(s, ir.Assign):
            live.difference_update(s.targets())
            live.update(ir.expr_vars(s.value))
        elif isinstance(s, (ir.Effect, ir.Return)):
            live.update(ir.expr_vars(s.value))
        elif isinstance(s, ir.If):
            live = _live_after(s.body, live, table) | _live_after(s.orelse, live, table) \
                | set(ir.expr_vars(s.test))
        elif isinstance(s, (ir.For, ir.While)):
            live = _live_loop(s, live, table)
    return live


def _live_loop(s, live_after, table) -> set:
    stop = {s.stop} if s.stop else set()
    header = set(ir.expr_vars(s.iter if isinstance(s, ir.For) else s.test))
    targets = set(ir.target_names(s.target)) if isinstance(s, ir.For) else set()
    end = set(live_after) | stop
    while True:
        if isinstance(s, ir.While):
            test_in = _live_after(s.test_body, end | header, table)
            start = _live_after(s.body, test_in, table) | test_in
        else:
            start = _live_after(s.body, end, table) - targets
        new = set(live_after) | stop | start | (header if isinstance(s, ir.While) else set())
        if new == end:
            break
        end = new
    if isinstance(s, ir.While):
        return set(live_after) | start | header
    return set(live_after) | start | header


def optimize(fn: ir.Function, keep=()) -> ir.Function:
    """Run the passes to a fixpoint (bounded)."""
    return optimize_to_fixpoint(fn, keep)[0]


def optimize_to_fixpoint(fn: ir.Function, keep=()):
    """``(optimize(fn, keep), whether the passes reached their fixpoint)``: a
    function equal to a fixpoint needs no optimising again."""
    for _ in range(8):
        before = fn.body
        fn = copy_propagation(fn, keep)
        fn = dead_code(fn)
        fn = inline_single_use(fn, keep)
        fn = dead_code(fn)
        if fn.body == before:     # structural: unchanged statements are the same objects
            return fn, True
    return fn, False


def factor_sums(fn: ir.Function) -> ir.Function:
    """Common factors out of sums, in every assignment (``algebra.factor_sums``)."""
    from .algebra import factor_sums as factor

    def block(stmts):
        out = []
        for s in stmts:
            s = _map_blocks(s, block)
            if isinstance(s, ir.Assign) and isinstance(s.value, ir.Op):
                s = ir.with_value(s, factor(s.value))
            out.append(s)
        return out
    return fn.with_body(block(fn.body))


def readable(fn: ir.Function) -> ir.Function:
    """Name-merging passes, run last (they make names multiply assigned),
    then updates in place (after them: no later pass may move a read)."""
    fn = coalesce_carries(factor_tiles(forward_rows(fn)))
    fn = coalesce_copies(fn)
    return update_in_place(dead_code(fn))
