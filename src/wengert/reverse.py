"""Reverse mode: a primal sweep, then the adjoint sweep in reverse order.

Straight-line code and branches need no tape: the IR is in SSA form, so every
value the adjoint sweep reads is still in its variable, and a branch is
re-tested on its (unchanged) condition. Contributions to an adjoint are
collected symbolically and written once, when the variable's definition is
reached, so the first write is an assignment and there are no zero-initialised
accumulators::

    def f_grad(x1, x2, out_bar=1.0):
        # adjoint sweep
        x1_bar = out_bar * x2 + out_bar / x1
        x2_bar = out_bar * x1 - out_bar * math.cos(x2)
        return x1_bar, x2_bar

**Loops** are where values are overwritten. The primal sweep pushes, at the
start of each iteration, the loop-carried values the adjoint will read (and
only those: a to-be-recorded analysis prunes the tape after optimisation).
The adjoint sweep runs the iterations backwards; each pops its state,
re-executes the body's primal statements it needs, then runs the body's
adjoint. A loop of n iterations over one float records n floats::

    tape = []
    for i in range(3):
        tape.append(x)
        x = x * math.sin(x)
    x_bar = out_bar
    for i in reversed(range(3)):
        x = tape.pop()
        x_bar = x_bar * (math.sin(x) + x * math.cos(x))

Values cheaper to keep than to recompute (expensive array operations, any
NumPy result on a small array) go on a second, kept tape instead of being
replayed. A nested ``for`` loop records in the primal sweep too, into one tape
over all outer iterations, and the outer body keeps its results, so the adjoint
of an outer iteration does not run the inner loop again; nested ``while`` loops
and loops with ``break`` are recorded by their parent's replay.
"""

from __future__ import annotations

import operator
from collections import Counter
import types
from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np

from . import algebra, analysis, inline, ir, optimize, runtime
from .complexes import refuse_complex
from .draws import draws_again, refuse_draws_in
from .custom import CustomJVP, CustomVJP
from .errors import UnsupportedSyntaxError, UsageError
from .forward import _all_names, all_args, primal_params, simplify_kinds, zeros_for
from .names import NameGen
from .rules import registry


@dataclass
class Tape:
    name: str
    state: tuple            # carried variables pushed at each iteration start
    counter: str = None     # iteration counter (while loops, loops with break)
    seq: str = None         # materialised iterable (non-sequence iterables)
    kept_name: str = None   # the tape of expensive results kept at the end of iterations
    kept: tuple = ()
    hoisted: bool = False   # a nested loop recorded in the primal sweep, not in a replay


@dataclass
class _State:
    pending: dict = field(default_factory=lambda: defaultdict(list))
    materialized: set = field(default_factory=set)
    owned: set = field(default_factory=set)      # adjoint arrays no one else holds

    def copy(self) -> "_State":
        p = defaultdict(list)
        for k, v in self.pending.items():
            p[k] = list(v)
        return _State(p, set(self.materialized), set(self.owned))


class Reverse:
    def __init__(self, fn: ir.Function, wrt, kinds: dict, ctx):
        self.fn = fn
        self.wrt = tuple(wrt)
        self.kinds = kinds or {}
        self._returned_objects = None
        self._number_zero: set = set()
        self.ctx = ctx
        self.active = analysis.active(fn, self.wrt, self.kinds)
        refuse_complex(fn, self.active, self.kinds)
        self.names = NameGen(fn.namespace.taken | set(fn.namespace.bindings))
        self.names.reserve(*_all_names(fn))
        self.names.temps = set(fn.temps)
        self.bar_names: dict = {}
        self.state = _State()
        self.tapes: dict = {}           # id(loop) -> Tape
        self.defs = _defining_ops(fn.body)
        once = optimize._write_counts(fn.body)
        self.index_ops = {n: d for n, d in self.defs.items() if once[n] == 1 and
                          isinstance(d, ir.Op) and d.fn in (ir.MAKE_TUPLE, ir.SLICE)}
        self.sequences = _sequence_like(fn.body, self.kinds)
        self.sequences |= {n for n, k in (fn.instances or {}).items()   # a namedtuple
                           if isinstance(k, analysis.NamedTupleOf)}   # (p.f(x), p.g())
        self.sequences |= {s.target.name for s in ir.walk(fn.body)      # None on a path (an
                           if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var)
                           and s.value == ir.NONE}       # early return's placeholder): its
        # adjoint may be None (runtime.zeros_like), added by runtime.accumulate
        self.primal_replacements: dict = {}     # id(stmt) -> statement (custom_vjp fwd)
        self.split_calls: dict = {}             # id(f_fwd call) -> id(the call it replaces)
        self.kept_calls: set = set()            # ids of calls whose f_fwd results are kept
        self.draw_tapes: dict = {}              # id(a draw in a branch of a loop) -> its tape
        self.split_fwds: list = []              # the f_fwd functions called
        self._keep_alive: list = []             # copies of loops whose ids key self.tapes
        self._everything_read = ir.all_reads(fn.body)
        self.tuple_result = False               # wrt=(0,): a 1-tuple of gradients
        self.depth = 0                          # loops around the statement being adjoined


    @property
    def may_be_none(self) -> set:
        from .specialize import may_be_none_in
        return may_be_none_in(self)
    def bar(self, var: str) -> str:
        if var not in self.bar_names:
            name = self.names.fresh(f"{var}_bar")
            self.bar_names[var] = name
            if self.kinds.get(var) is not None:
                self.kinds[name] = self.kinds[var]   # an adjoint is shaped like its value
        return self.bar_names[var]

    # -- adjoint bookkeeping ---------------------------------------------------

    def contribute(self, atom, expr) -> None:
        if isinstance(atom, ir.Var) and atom.name in self.active and not algebra.is_zero(expr):
            self.state.pending[atom.name].append(expr)

    def take(self, var: str):
        """The whole adjoint of ``var`` at its definition; resets it."""
        terms = list(reversed(self.state.pending.pop(var, [])))
        if var in self.state.materialized:
            self.state.materialized.discard(var)
            terms.insert(0, ir.Var(self.bar(var)))
        return self.sum(var, terms)

    def sum(self, var: str, terms):
        """Add adjoint contributions; lists and tuples add elementwise.
        Several ``getitem_adjoint`` terms (slices of one array) accumulate
        into a single buffer instead of one full array each."""
        if var not in self.sequences and not (self.kinds.get(var) is None and
                                              any(_container_made(t) for t in terms)):
            terms = _overwrite_zeroed(_concatenate_tiles(terms, self.kinds), self.kinds)
            return algebra.sum_of(_scatter_chain(algebra.merged_selections(terms)))
        out = algebra.ZERO
        for t in _items_together(terms):
            out = t if algebra.is_zero(out) else ir.Op(runtime.accumulate, (out, t))
        return out

    def materialize(self, var: str, out: list, loc=None) -> None:
        """Make ``var_bar`` hold the whole adjoint of ``var`` so far."""
        self.materialize_many([var], out, loc)

    def _with_readers(self, variables) -> list:
        """Add every variable whose pending terms read an adjoint about to be
        overwritten: they must be evaluated together with it (or before)."""
        names = {self.bar(v) for v in variables}
        changed = True
        while changed:
            changed = False
            for v, terms in list(self.state.pending.items()):
                if v in variables or not terms:
                    continue
                if any(set(ir.expr_vars(t)) & names for t in terms):
                    variables.append(v)
                    names.add(self.bar(v))
                    changed = True
        return variables

    def _flush_readers(self, name: str, out: list, loc=None) -> None:
        """Before ``name`` (an adjoint variable) is assigned, evaluate pending
        terms that still read its old value."""
        readers = [v for v, terms in self.state.pending.items()
                   if terms and any(name in set(ir.expr_vars(t)) for t in terms)]
        if readers:
            self.materialize_many(readers, out, loc)

    def _new_value(self, var: str):
        """The value ``var_bar`` must take to hold its whole adjoint (or None).
        An adjoint array this code made itself (``owned``) takes slices' adjoints
        in place (``scatter_into``) instead of a new full array per slice."""
        terms = list(reversed(self.state.pending.pop(var, [])))
        name = ir.Var(self.bar(var))
        if var in self.state.materialized:
            if not terms:
                return None
            if var in self.state.owned and self._array(var):
                value = algebra.sum_of(_scatter_chain([name] + terms, owned=name))
            else:
                value = self.sum(var, [name] + terms)
        else:
            self.state.materialized.add(var)
            value = self.sum(var, terms) if terms else self.zeros(var)
        if self._array(var) and _fresh_array(value):
            self.state.owned.add(var)
        else:
            self.state.owned.discard(var)
        return value

    def _array(self, var: str) -> bool:
        k = self.kinds.get(var)
        return k is not None and not k.pyfloat and k.shape[:1] not in ((-1,), (-2,)) \
            and var not in self.sequences

    def materialize_many(self, variables, out: list, loc=None) -> None:
        """Materialise several adjoints at once. Where one's new value reads
        another's old adjoint, they are assigned together (``a, b = ..., ...``),
        so no term sees an adjoint that was already updated."""
        variables = self._with_readers(list(variables))
        updates = [(self.bar(v), self._new_value(v)) for v in variables]
        updates = [(n, e) for n, e in updates if e is not None]
        names = {n for n, _ in updates}
        clash = [(n, e) for n, e in updates if (set(ir.expr_vars(e)) - {n}) & names]
        if len(clash) > 0:
            readers = {n for n, e in clash}
            read = set().union(*(set(ir.expr_vars(e)) for _, e in clash)) & names
            group = [(n, e) for n, e in updates if n in readers or n in read]
            rest = [(n, e) for n, e in updates if (n, e) not in group]
            for n, e in rest:
                out.append(ir.Assign(ir.Var(n), e, loc))
            out.append(ir.Assign(tuple(ir.Var(n) for n, _ in group),
                                 ir.Op(ir.MAKE_TUPLE, tuple(e for _, e in group)), loc))
            return
        for n, e in updates:
            out.append(ir.Assign(ir.Var(n), e, loc))

    def zeros(self, var: str) -> ir.Expr:
        if var in self._number_zero:
            return ir.Const(0.0)
        return zeros_for(var, self.kinds)

    def returned_objects(self) -> set:
        """``inline.returned_objects`` of the function, found once."""
        if self._returned_objects is None:
            self._returned_objects = inline.returned_objects(self.fn.body)
        return self._returned_objects

    # -- entry -------------------------------------------------------------------

    def run(self, name: str, return_value: bool, out_bar_default=1.0,
            seed_param: bool = True, aux: str = None) -> ir.Function:
        body = self.fn.body
        ret, main = body[-1], body[:-1]
        out_bar = self.names.fresh("out_bar")
        out_kind = analysis.expr_kind(ret.value, self.kinds)
        if out_kind is not None:
            self.kinds[out_bar] = out_kind      # the cotangent is shaped like the output
        self.contribute(ret.value, ir.Var(out_bar))
        adjoint = self.block(main)
        tail = []
        grads = []
        for p in self.wrt:
            g = self.take(p)
            if algebra.is_zero(g):
                g = self.zeros(p)
            if not (isinstance(g, ir.Var) and g.name == self.bar(p)):
                tail.append(ir.Assign(ir.Var(self.bar(p)), g, ret.loc))
            grads.append(ir.Var(self.bar(p)))
        primal = self.augment(main, replay=False)
        primal[:0] = [ir.Assign(ir.Var(t), ir.Op(ir.MAKE_LIST, ()))
                      for t in self.draw_tapes.values()]
        result = grads[0] if len(grads) == 1 and not self.tuple_result else \
            ir.Op(ir.MAKE_TUPLE, tuple(grads))
        aux_value = self._keep(ir.Var(aux), "aux", primal, ret.loc) if aux else None
        if return_value:                  # JAX's order: ((value, aux), grads)
            value = self._keep(ret.value, "value", primal, ret.loc)
            if aux:
                value = ir.Op(ir.MAKE_TUPLE, (value, aux_value))
            result = ir.Op(ir.MAKE_TUPLE, (value, result))
        elif aux:                         # (grads, aux)
            result = ir.Op(ir.MAKE_TUPLE, (result, aux_value))
        out = primal + [ir.Comment("adjoint sweep")] + adjoint + tail + \
            [ir.Return(result, ret.loc)]
        params = primal_params(self.fn)
        if seed_param:
            params.append(ir.Param(out_bar, ir.Const(out_bar_default)))
        else:      # the seed is a constant: a gradient with the function's own signature
            self.names.temps.add(out_bar)
            out.insert(0, ir.Assign(ir.Var(out_bar), ir.Const(out_bar_default), ret.loc))
        temps = set(self.names.temps) | {b for v, b in self.bar_names.items()
                                         if v in self.fn.temps}
        return ir.Function(name=name, params=params, body=out, namespace=self.fn.namespace,
                           filename=self.fn.filename, temps=frozenset(temps),
                           pause_gc=self._residuals_grow())

    def _residuals_grow(self) -> bool:
        """Whether the primal sweep keeps residuals without bound: of calls
        in a loop (a tape keeps them), or of calls whose own residuals grow
        (recursion: a call still being built is one). The collector is then
        paused while it runs (``runtime.gc_paused``)."""
        return bool(self.kept_calls) or any(getattr(f, "__wengert_grows__", False)
                                            for f in self.split_fwds)

    def _keep(self, value, base, primal, loc):
        """Copy a returned primal value aside: loops replayed in the adjoint
        sweep may overwrite its variable."""
        if not isinstance(value, ir.Var):
            return value
        keep = ir.Var(self.names.fresh(base))
        primal.append(ir.Assign(keep, value, loc))
        return keep

    # -- adjoint sweep -----------------------------------------------------------

    def block(self, stmts) -> list:
        out = []
        for s in reversed(stmts):
            out.extend(self.stmt(s))
        return out

    def stmt(self, s) -> list:
        if isinstance(s, ir.Assign):
            return self.assign(s)
        if isinstance(s, ir.If):
            return self.if_(s)
        if isinstance(s, ir.For):
            return self.for_(s)
        if isinstance(s, ir.While):
            return self.while_(s)
        return []

    def assign(self, s: ir.Assign) -> list:
        targets = s.targets()
        if not any(t in self.active for t in targets):
            for t in targets:
                self.take(t)
            return []
        e = s.value
        if isinstance(e, ir.Op) and e.effect and \
                registry.lookup(analysis.derivative_op(e, self.kinds)) is None:
            # _ = obj.update(v): refused even though nothing reads its result
            raise registry.missing_rule_for(e, self.fn.body, _made_at(e, self.fn, s.loc),
                                            self.fn.instances)
        if isinstance(e, ir.Op) and isinstance(e.fn, CustomVJP):
            return self.custom_vjp(s)
        if isinstance(e, ir.Op) and isinstance(e.fn, CustomJVP) and e.fn.jvp is not None:
            return self.transposed_jvp(s)
        if isinstance(e, ir.Op) and _is_user_function(e.fn):
            return self.call(s)
        out = []
        selection = None
        if isinstance(s.target, tuple):    # a, b = op(...): the adjoint is a tuple
            parts = [self.take(t) for t in targets]
            if all(algebra.is_zero(p) for p in parts):
                return []
            named = []
            for t, p in zip(targets, parts):
                if not algebra.is_zero(p) and not ir.is_atom(p):
                    self._flush_readers(self.bar(t), out, s.loc)
                    out.append(ir.Assign(ir.Var(self.bar(t)), p, s.loc))
                    p = ir.Var(self.bar(t))
                named.append(p)
            g = ir.Op(ir.MAKE_TUPLE, tuple(named))
            ans = ir.Op(ir.MAKE_TUPLE, tuple(ir.Var(t) for t in targets))
            target = None
            k = analysis.expr_kind(e, self.kinds) if isinstance(e, ir.Op) else None
            rows = ir.Op(ir.MAKE_TUPLE, tuple(self.zeros(t) if algebra.is_zero(p) else p
                                              for t, p in zip(targets, named)))
            if k is not None and not k.pyfloat and k.shape and k.shape[0] >= 0:
                # a, b = np.exp(p): one array unpacked into its rows, whose
                # adjoint is the rows' adjoints stacked (not a tuple)
                g, ans = ir.Op(np.stack, (rows,)), e
            elif k is None and isinstance(e, ir.Op) and _one_result(e, self.kinds):
                # (its kind not known, a loop's: stacked where it is an array)
                g, ans = ir.Op(runtime.seq_adjoint, (rows, e)), e
        else:
            target = targets[0]
            ans = ir.Var(target)
            g = self.take(target)
            if algebra.is_zero(g):
                return []
            selection = _selection(g) if _elementwise_rule(e, self.kinds) else None
            if selection is not None:
                # the adjoint is exactly zero where a np.where did not select
                # this value: keep it exactly zero there, even where this
                # operation's derivative is inf or NaN (sqrt of a negative)
                cond, g, picked = selection
            if not ir.is_atom(g):
                name = ir.Var(self.bar(target))
                self._flush_readers(name.name, out, s.loc)
                out.append(ir.Assign(name, g, s.loc))
                g = name
        if isinstance(e, (ir.Var, ir.Const)):
            if target is None:          # a, b = t: t's adjoint is a whole tuple
                g = ir.Op(ir.MAKE_TUPLE, tuple(self.zeros(t) if algebra.is_zero(p) else p
                                               for t, p in zip(targets, g.args)))
                if isinstance(e, ir.Var):       # rows of an array: stacked; a list's:
                    g = ir.Op(runtime.seq_adjoint, (g, e))   # a list (its own structure)
            self.contribute(e, g)
            return out
        if isinstance(e.fn, ir.PseudoOp) and e.fn.kind in ("tuple", "list", "dict"):
            import operator
            keys = e.fn.keys if e.fn.kind == "dict" else range(len(e.args))
            for k, a in zip(keys, e.args):
                self.contribute(a, ir.Op(operator.getitem, (g, ir.Const(k))))
            return out
        if type(e.fn) is types.BuiltinFunctionType and e.fn in inline.OPERATORS:
            inline.refuse_returned_objects(e, self.returned_objects(), s.loc)
        r = registry.lookup(analysis.derivative_op(e, self.kinds))
        if r is None:
            raise registry.missing_rule_for(e, self.fn.body, _made_at(e, self.fn, s.loc),
                                            self.fn.instances)
        if r.nondiff:
            r.check_refused(e, self.active, self.kinds, s.loc)
            return out
        bound = r.bind(e, s.loc)
        r.check_inactive(bound, self.active, self.kinds, s.loc)
        arrays = r.lists_as_arrays(e, bound, self.kinds)
        for p in r.diff_params:
            arg = bound[p]
            if isinstance(arg, ir.Var) and arg.name in self.active:
                c = r.adjoint_expr(p, arrays, g, ans)
                if target is not None:
                    c = simplify_kinds(self._single_writes(c), self.kinds, target)
                if selection is not None:
                    c = _select(cond, c, picked)
                self.contribute(arg, c)
        return out

    def custom_vjp(self, s: ir.Assign) -> list:
        """The primal sweep calls ``fwd`` (keeping its residuals), the adjoint
        sweep calls ``bwd(residuals, g)``."""
        import operator
        e = s.value
        if e.fn.fwd is None:
            raise UsageError(f"custom_vjp function `{e.fn.__name__}` has no rule: call "
                             f"{e.fn.__name__}.defvjp(fwd, bwd) before differentiating", s.loc)
        e.fn.check_keywords(e.kwargs, self.active, s.loc)
        g = self._custom_cotangent(s)
        active = [i for i, a in enumerate(e.args)
                  if isinstance(a, ir.Var) and a.name in self.active]
        if g is None or not active:
            return []
        res = ir.Var(self.names.fresh(f"{s.targets()[0]}_res"))
        if isinstance(s.target, tuple):     # s, c = f(x): fwd's output unpacked
            fwd = e.fn.unpacked_fwd(len(e.args), len(s.target), tuple(k for k, _ in e.kwargs))
            self.primal_replacements[id(s)] = ir.Assign(
                s.target + (res,), ir.Op(fwd, e.args, e.kwargs), s.loc)
        else:
            self.primal_replacements[id(s)] = ir.Assign(
                (s.target, res), ir.Op(e.fn.fwd, e.args, e.kwargs), s.loc)
        cts = ir.Var(self.names.temp("c"))
        out = [ir.Assign(cts, ir.Op(e.fn.bwd, (res, g)), s.loc)]
        for i in active:
            self.contribute(e.args[i], ir.Op(operator.getitem, (cts, ir.Const(i))))
        return out

    def transposed_jvp(self, s: ir.Assign) -> list:
        """A custom_jvp rule is linear in the tangents: its reverse-mode
        derivative with respect to them is the adjoint."""
        e = s.value
        g = self._custom_cotangent(s)
        n = len(e.args)
        active = tuple(i for i, a in enumerate(e.args)
                       if isinstance(a, ir.Var) and a.name in self.active)
        if g is None or not active:
            return []
        tangent_fn = e.fn.tangent_function(n)
        callee = self.ctx.callee(tangent_fn, "vjp", tuple(n + i for i in active), s.loc)
        zeros = tuple(self.zeros(a.name) if isinstance(a, ir.Var) else ir.Const(0.0)
                      for a in e.args)
        results = tuple(ir.Var(self.names.temp("c")) for _ in active)
        target = results[0] if len(results) == 1 else results
        out = [ir.Assign(target, ir.Op(callee, e.args + zeros + (g,)), s.loc)]
        for i, r in zip(active, results):
            self.contribute(e.args[i], r)
        return out

    def _custom_cotangent(self, s: ir.Assign):
        """The cotangent a custom rule gets for the output of ``s``, as a real
        value (``None`` where it is zero): for ``s, c = f(x)`` the tuple of the
        parts' adjoints, a zero part as zeros shaped like that part."""
        gs = [self.take(t) for t in s.targets()]
        if all(algebra.is_zero(g) for g in gs):
            return None
        if not isinstance(s.target, tuple):
            return algebra.materialize(gs[0])
        return ir.Op(ir.MAKE_TUPLE, tuple(
            self.zeros(t) if algebra.is_zero(g) else g for t, g in zip(s.targets(), gs)))

    def call(self, s: ir.Assign) -> list:
        """A user function without a rule: call its generated VJP."""
        e = s.value
        args = all_args(e)
        positions = tuple(i for i, a in enumerate(args)
                          if isinstance(a, ir.Var) and a.name in self.active)
        targets = s.targets()
        gs = [self.take(t) for t in targets]
        if all(algebra.is_zero(g) for g in gs) or not positions:
            return []
        out = []
        if not isinstance(s.target, tuple):
            g = algebra.materialize(gs[0])
        else:
            g = ir.Op(ir.MAKE_TUPLE, tuple(
                self.zeros(t) if algebra.is_zero(gi) else gi for t, gi in zip(targets, gs)))
        arg_kinds = analysis.call_kinds(args, self.kinds, self.fn.instances, self.may_be_none)
        if not self._splittable(s) and draws_again(e):
            self.ctx.callee(e.fn, "vjp", positions, s.loc, arg_kinds)   # (its own refusal first)
            raise UnsupportedSyntaxError(
                f"a call of `{e.fn.__name__}`, which draws random numbers or changes state "
                "(next(), a global), "
                + ("whose results are unpacked here" if isinstance(s.target, tuple) else
                   "in a derivative of a derivative") +
                ": reverse mode would run it again for the adjoint, and it would draw "
                "other numbers", s.loc,
                hint="draw the numbers in this function and pass them to the helper"
                     + (", or return one value from it (a tuple, unpacked on a line of its "
                        "own)" if isinstance(s.target, tuple) else "") +
                     "; or differentiate in mode='forward'")
        if self._splittable(s):
            fwd, bwd = self.ctx.split_callee(e.fn, positions, s.loc, arg_kinds)
            self.split_fwds.append(fwd)
            res = ir.Var(self.names.fresh(f"{targets[0]}_res"))
            split = ir.Assign((s.target, res), ir.Op(fwd, args), s.loc)
            self.primal_replacements[id(s)] = split
            self.split_calls[id(split)] = id(s)
            callee, args = bwd, (res,)
        else:
            callee = self.ctx.callee(e.fn, "vjp", positions, s.loc, arg_kinds)
        results = tuple(ir.Var(self.names.temp("c")) for _ in positions)
        target = results[0] if len(results) == 1 else results
        out.append(ir.Assign(target, ir.Op(callee, args + (g,)), s.loc))
        for i, r in zip(positions, results):
            self.contribute(all_args(e)[i], r)
        return out

    def _splittable(self, s) -> bool:
        """Call ``f_fwd`` in the primal sweep and ``f_bwd`` in the adjoint
        (see ``split_vjp``) when the result is one value that nothing here
        mutates in place (the residuals may hold it)."""
        if not isinstance(s.target, ir.Var) or not getattr(self.ctx, "split", False):
            return False
        if draws_again(s.value):
            return True                  # run once (f_bwd never runs it again)
        kind = self.kinds.get(s.target.name)
        if kind is not None and (kind.pyfloat or kind.shape[:1] not in ((-1,), (-2,))):
            return True                  # a number or an array: never mutated in place
        return kind is None and not any(
            isinstance(x.value, ir.Op) and isinstance(x.value.fn, ir.PseudoOp)
            and x.value.fn.kind == "method"
            for x in ir.walk(self.fn.body) if isinstance(x, (ir.Assign, ir.Effect)))

    # -- branches ----------------------------------------------------------------

    def if_(self, s: ir.If) -> list:
        out = []
        inside = ir.all_reads(s.body + s.orelse) | ir.all_writes(s.body + s.orelse)
        # evaluate now: pending terms of variables the branches touch, and pending
        # terms that read an adjoint a branch may assign (each branch must see them)
        touched = {self.bar_names[v] for v in inside if v in self.bar_names}
        flush = {v for v in inside if self.state.pending.get(v)}
        flush |= {v for v, terms in self.state.pending.items()
                  if terms and any(set(ir.expr_vars(t)) & touched for t in terms)}
        if flush:
            self.materialize_many(sorted(flush), out, s.loc)
        before = self.state.copy()
        body = self.branch(s.body, inside)
        after_body = self.state
        self.state = before.copy()
        orelse = self.branch(s.orelse, inside)
        after_else = self.state
        for v in sorted(after_body.materialized - after_else.materialized):
            orelse.append(ir.Assign(ir.Var(self.bar(v)), self.zeros(v), s.loc))
        for v in sorted(after_else.materialized - after_body.materialized):
            body.append(ir.Assign(ir.Var(self.bar(v)), self.zeros(v), s.loc))
        self.state = _State(before.pending, after_body.materialized | after_else.materialized,
                            after_body.owned & after_else.owned)
        if body or orelse:
            out.append(ir.If(s.test, body, orelse, s.loc))
        return out

    def branch(self, stmts, inside) -> list:
        out = self.block(stmts)
        self.materialize_many([v for v in sorted(self.state.pending)
                               if self.state.pending[v] and v in inside], out)
        return out

    # -- loops -------------------------------------------------------------------

    def for_(self, s: ir.For) -> list:
        if isinstance(s.iter, ir.Var) and s.iter.name in self.active:
            raise UnsupportedSyntaxError(
                "a loop over a differentiated array or list", s.loc,
                hint="loop over indices with range(len(...)) and index the array")
        body_adj, carried, out = self.loop_body(s)
        tape = self.new_tape(s, carried)
        if s.stop is not None:
            tape.counter = self.names.fresh("n_iter")
        seq = s.iter
        if not _is_sequence(s.iter, self.defs, self.fn):
            tape.seq = self.names.fresh("seq")
            seq = ir.Var(tape.seq)
        if tape.counter:
            import operator
            seq = ir.Op(operator.getitem, (seq, ir.Op(ir.SLICE, (ir.NONE, ir.Var(tape.counter),
                                                                  ir.NONE))))
        tape.hoisted = self.depth > 0 and not tape.counter and not tape.seq
        rev = ir.Op(reversed, (seq,))
        out.append(ir.For(s.target, rev, body_adj, s.loc))
        return out

    def while_(self, s: ir.While) -> list:
        body_adj, carried, out = self.loop_body(s)
        tape = self.new_tape(s, carried)
        tape.counter = self.names.fresh("n_iter")
        it = ir.Var(self.names.temp("_"))
        out.append(ir.For(it, ir.Op(range, (ir.Var(tape.counter),)), body_adj, s.loc))
        return out

    def loop_body(self, s):
        """Adjoint of one iteration, preceded by the pop and the replay."""
        out = []
        body_writes = ir.all_writes(s.body) | set(ir.stmt_writes(s))
        carried = sorted(n for n in body_writes
                         if any(isinstance(x, ir.Assign) and x.carry and n in x.targets()
                                for x in s.body))
        local = body_writes - set(carried)
        outer = ((ir.all_reads(s.body) - local) | set(carried)) & self.active
        # the replay below overwrites the loop's variables: pending terms that
        # read them must be evaluated now, while they hold their final values
        for v in sorted(self.state.pending):
            if any(set(ir.expr_vars(t)) & body_writes for t in self.state.pending[v]):
                outer = outer | {v}
        for v in sorted(outer):
            self.materialize(v, out, s.loc)
        saved = self.state
        self.state = _State(defaultdict(list), set(saved.materialized), set(saved.owned))
        self.depth += 1
        adj = self.block(s.body)
        self.depth -= 1
        # a name first bound in the loop, of an unknown kind (its shape may change
        # from one iteration to the next): the zero its adjoint starts the
        # previous iteration from is the number 0.0, which adds to a value of any
        # shape (zeros like its last value would broadcast the earlier ones')
        before = self._bound_before(s)
        self._number_zero = {n for n in carried if n not in before and n not in self.sequences
                             and self.kinds.get(n) is None}
        try:
            self.materialize_many(sorted(outer), adj, s.loc)
        finally:
            self._number_zero = set()
        self.state = _State(saved.pending, saved.materialized | outer,
                            saved.owned & self.state.owned)
        # only values live at the start of an iteration can be restored from the
        # tape (a temporary the body assigns first is recomputed by the replay);
        # an active value of a list's or an unknown kind too: the zero adjoint of
        # its value at the start of the iteration is shaped like that value,
        # which may differ from one iteration to the next (a list's length)
        _, live_in = optimize.liveness(s.body, self._everything_read)
        carried = [n for n in carried if n in live_in or (
            n in self.active and (n in self.sequences or self.kinds.get(n) is None)
            and n in self._bound_before(s))]
        replay = self.augment([x for x in s.body if not (isinstance(x, ir.Assign) and x.carry)],
                              replay=True)
        replay, kept = self._record_expensive(replay, adj, body_writes)
        tape_name = self.names.fresh("tape")
        pop = []
        if carried:
            pop = [ir.Assign(_tuple_target(carried), ir.Op(ir.Method("pop"),
                                                          (ir.Var(tape_name),)), s.loc)]
        self._pending_tape_name = tape_name
        self._pending_kept = (self.names.fresh("kept") if kept else None, tuple(kept))
        if kept:
            pop.append(ir.Assign(_tuple_target(kept), ir.Op(ir.Method("pop"), (
                ir.Var(self._pending_kept[0]),)), s.loc))
        return pop + replay + adj, carried, out

    def _bound_before(self, loop) -> set:
        """Names the function assigns outside ``loop``'s body: a loop-carried
        name among them holds a value when the loop starts (the lowering
        copies it in, or gives it a None placeholder)."""
        inside = {id(x) for x in ir.walk(loop.body)}
        return {n for x in ir.walk(self.fn.body) if id(x) not in inside
                for n in ir.stmt_writes(x)}

    def _record_expensive(self, replay, adj, body_writes):
        """Values the adjoint reads are kept on a tape of their own in the
        primal sweep instead of being computed again in the replay: results of
        expensive array operations (products, transcendental functions of
        arrays), every result of a NumPy call on a small array (its cost is
        the call's overhead), and the results of inner loops that record in
        the primal sweep (so the replay no longer runs them)."""
        # a random draw or next(it) would give another value if run again: the
        # statements of the body that make one are kept (never replayed), one in
        # a branch goes on a tape of its own; one in an inner loop the replay
        # runs is refused
        draws = [x for x in replay if isinstance(x, ir.Assign) and draws_again(x.value)]
        replay = self._draws_in_branches(replay)
        if not all(isinstance(x, (ir.Assign, ir.Effect, ir.Comment)) or self._hoisted(x)
                   for x in replay):
            if not draws:
                return replay, []
            kept = [n for x in draws for n in x.targets()]
            self.kept_calls.update(self.split_calls[id(x)] for x in draws
                                   if id(x) in self.split_calls)
            return [x for x in replay if not any(x is d for d in draws)], kept
        written = ir.all_writes(replay)
        _, needed = optimize.liveness(adj, ir.all_reads(adj) - written)
        views = self._invariant_views(replay, body_writes)
        kept, loops = [], []
        for x in reversed(replay):            # what the adjoint reads, and what that reads
            if self._hoisted(x):
                results = sorted(_loop_results(x) & needed, reverse=True)
                kept.extend(results)
                needed -= set(results)        # earlier assignments to them are not needed
                loops.append(x)
                continue
            if any(x is d for d in draws):    # kept, needed or not: never run again
                kept.extend(reversed(x.targets()))
                needed -= set(x.targets())
                if id(x) in self.split_calls:   # (a helper that draws: f_fwd's results)
                    self.kept_calls.add(self.split_calls[id(x)])
                continue
            if not (isinstance(x, ir.Assign) and set(x.targets()) & needed):
                continue
            if id(x) in self.split_calls:     # f_fwd's value and residuals, never rerun
                kept.extend(reversed(x.targets()))
                needed -= set(x.targets())
                self.kept_calls.add(self.split_calls[id(x)])
                continue
            if isinstance(x.target, ir.Var) and x.target.name not in views \
                    and self._worth_keeping(x):
                kept.append(x.target.name)    # kept: its own inputs are not needed
                needed.discard(x.target.name)
            else:
                needed |= set(ir.expr_vars(x.value))
        kept.reverse()
        if not kept:
            return replay, []
        drop = set(kept)
        return [x for x in replay if not (isinstance(x, ir.Assign) and set(x.targets()) & drop)
                and not any(x is loop for loop in loops)], kept

    def _draws_in_branches(self, stmts, branch: bool = False) -> list:
        """``stmts`` (a replay) with each draw in a branch taken from a tape of
        its own, which the primal sweep pushes to (``augment``): it runs at
        most once an iteration, so the iterations, replayed backwards, pop
        their own. A draw in an inner loop the replay runs again is refused;
        those at the top level are ``_record_expensive``'s to keep."""
        out = []
        for x in stmts:
            if isinstance(x, ir.If):
                x = replace(x, body=self._draws_in_branches(x.body, True),
                            orelse=self._draws_in_branches(x.orelse, True))
            elif isinstance(x, (ir.For, ir.While)) and not self._hoisted(x):
                refuse_draws_in(x)
            elif branch and isinstance(x, ir.Assign) and draws_again(x.value):
                key = id(x)
                if id(x) in self.split_calls:      # a helper that draws: f_fwd's results,
                    key = self.split_calls[id(x)]  # pushed where the primal sweep calls it
                    self.kept_calls.add(key)
                tape = self.draw_tapes.setdefault(key, self.names.fresh("draws"))
                x = replace(x, target=_tuple_target(x.targets()),      # (a, b = draw())
                            value=ir.Op(ir.Method("pop"), (ir.Var(tape),)))
            out.append(x)
        return out

    def _invariant_views(self, replay, body_writes) -> set:
        """Rows and slices (basic indexing: views, no copy) of arrays the loop
        does not write, or of such views: replaying them costs an indexing,
        keeping them one more object per iteration alive until the adjoint
        (``w = params[2 * i]; w[:b]``)."""
        views = set()
        for x in replay:
            if isinstance(x, ir.Assign) and isinstance(x.target, ir.Var) \
                    and isinstance(x.value, ir.Op) and x.value.fn is operator.getitem \
                    and not x.value.kwargs:
                base, index = x.value.args
                if isinstance(base, ir.Var) and (base.name not in body_writes or base.name in views) \
                        and self._array(base.name) and self._basic_index(index):
                    views.add(x.target.name)
        return views

    def _basic_index(self, index) -> bool:
        """An int, a constant slice, or a tuple of them (NumPy's basic indexing)."""
        parts = index.args if isinstance(index, ir.Op) and index.fn is ir.MAKE_TUPLE else (index,)
        return all(_int_index(p, self.kinds) or (isinstance(p, ir.Const) and (
            p.value is None or isinstance(p.value, slice))) for p in parts)

    def _single_writes(self, e):
        """``last_writes(t, x, index)`` is ``t`` where ``index`` cannot name a
        position twice: no part of it can be an integer array."""
        if not isinstance(e, ir.Op):
            return e
        args = tuple(self._single_writes(a) for a in e.args)
        if e.fn is runtime.last_writes and len(args) == 3 and not self._may_repeat(args[2]):
            return args[0]
        return e if all(a is b for a, b in zip(args, e.args)) else ir.Op(e.fn, args, e.kwargs)

    def _may_repeat(self, index) -> bool:
        """Can ``index`` hold an integer array? Not if every part is a constant
        basic index, a slice, a number, a 0-d array or a boolean mask."""
        if isinstance(index, ir.Const):
            return runtime.may_repeat(index.value)
        index = self._index_op(index)
        parts = index.args if isinstance(index, ir.Op) and index.fn is ir.MAKE_TUPLE else (index,)
        for p in map(self._index_op, parts):
            if isinstance(p, ir.Const):
                if runtime.may_repeat((p.value,)):
                    return True
            elif not (isinstance(p, ir.Op) and p.fn is ir.SLICE or
                      _number_or_mask(analysis.expr_kind(p, self.kinds))):
                return True
        return False

    def _index_op(self, e):
        """The tuple or slice a name assigned once holds (``v2 = (i, :)``)."""
        return self.index_ops.get(e.name, e) if isinstance(e, ir.Var) else e

    def _hoisted(self, s) -> bool:
        return isinstance(s, ir.For) and id(s) in self.tapes and self.tapes[id(s)].hoisted

    def _worth_keeping(self, stmt) -> bool:
        e = stmt.value
        if not isinstance(e, ir.Op):
            return False
        k = self.kinds.get(stmt.targets()[0])
        if k is None or k.pyfloat or k.shape[:1] in ((-1,), (-2,)):
            return False                       # Python numbers are cheaper to replay
        if int(np.prod(k.shape)) < 64:
            return True                        # small arrays: NumPy's call overhead
        if e.fn in _PRODUCTS:
            return True
        return (isinstance(e.fn, np.ufunc) and e.fn in _TRANSCENDENTAL) or e.fn is runtime.sigmoid

    def new_tape(self, s, carried) -> Tape:
        tape = Tape(self._pending_tape_name, tuple(carried))
        tape.kept_name, tape.kept = self._pending_kept
        self.tapes[id(s)] = tape
        return tape

    # -- primal sweep ------------------------------------------------------------

    def augment(self, stmts, replay: bool, nested: bool = False) -> list:
        """Primal statements with the pushes of the loops that record here.
        The primal sweep (``replay=False``) records top-level loops and, inside
        them (``nested``), the hoisted ones; a replay records the loops nested
        in the replayed body that are not hoisted."""
        out = []
        for s in stmts:
            if isinstance(s, ir.Effect) and replay:
                continue
            if isinstance(s, ir.If):
                out.append(replace(s, body=self.augment(s.body, replay, nested),
                                   orelse=self.augment(s.orelse, replay, nested)))
            elif isinstance(s, (ir.For, ir.While)) and id(s) in self.tapes:
                tape = self.tapes[id(s)]
                if replay:
                    out.extend([s] if tape.hoisted else self.recording_loop(
                        s, tape, self._kept_calls_split(s.body), init=[tape]))
                    continue
                body = self.augment(s.body, False, nested=True)
                if nested and not tape.hoisted:
                    out.append(replace(s, body=body))     # records in its parent's replay
                else:
                    inner = [self.tapes[id(x)] for x in ir.walk(s.body) if self._hoisted(x)]
                    out.extend(self.recording_loop(s, tape, body,
                                                   init=[] if nested else [tape] + inner))
            else:
                made = s if nested and id(s) not in self.kept_calls \
                    else self.primal_replacements.get(id(s), s)
                out.append(made)
                if id(s) in self.draw_tapes and not replay:
                    out.append(ir.Effect(ir.Op(ir.Method("append"), (
                        ir.Var(self.draw_tapes[id(s)]), _tuple_expr(made.targets()))), s.loc))
        return out

    def _kept_calls_split(self, stmts) -> list:
        """``stmts`` with each call whose ``f_fwd`` results a tape keeps
        replaced by that ``f_fwd`` call (where the loop records, the residuals
        it pushes must be this iteration's)."""
        if not self.kept_calls:
            return stmts
        out = []
        for s in stmts:
            if id(s) in self.kept_calls:
                out.append(self.primal_replacements[id(s)])
            elif any(id(x) in self.kept_calls for x in ir.walk([s])):
                new = optimize._map_blocks(s, self._kept_calls_split)
                if id(s) in self.tapes:            # tapes are found by the loop's id
                    self.tapes[id(new)] = self.tapes[id(s)]
                    self._keep_alive.append(new)
                out.append(new)
            else:
                out.append(s)              # (the same statement: tapes are found by id)
        return out

    def recording_loop(self, s, tape: Tape, body, init) -> list:
        """``s`` pushing its tapes; the tapes in ``init`` are made before it
        (a top-level loop also makes those of the hoisted loops inside it,
        which push into one tape over all of its iterations)."""
        import operator
        pre, push = [], []
        for t in init:
            if t.state:
                pre.append(ir.Assign(ir.Var(t.name), ir.Op(ir.MAKE_LIST, ()), s.loc))
            if t.kept:
                pre.append(ir.Assign(ir.Var(t.kept_name), ir.Op(ir.MAKE_LIST, ()), s.loc))
        if tape.state:
            push.append(ir.Effect(ir.Op(ir.Method("append"), (
                ir.Var(tape.name), _tuple_expr(tape.state))), s.loc))
        if tape.counter:
            pre.append(ir.Assign(ir.Var(tape.counter), ir.Const(0), s.loc))
            push.append(ir.Assign(ir.Var(tape.counter), ir.Op(
                operator.add, (ir.Var(tape.counter), ir.Const(1))), s.loc))
        body = push + list(body)
        if tape.kept:                    # expensive results, once computed
            at = next((i for i, x in enumerate(body) if isinstance(x, ir.Assign) and x.carry),
                      len(body))
            body.insert(at, ir.Effect(ir.Op(ir.Method("append"), (
                ir.Var(tape.kept_name), _tuple_expr(tape.kept))), s.loc))
        if isinstance(s, ir.For):
            it = s.iter
            if tape.seq:
                pre.append(ir.Assign(ir.Var(tape.seq), ir.Op(tuple, (s.iter,)), s.loc))
                it = ir.Var(tape.seq)
            return pre + [replace(s, iter=it, body=body)]
        return pre + [replace(s, body=body)]


_PRODUCTS = {operator.matmul, np.matmul, np.dot, np.einsum, np.tensordot, np.inner,
             np.outer, np.kron}
_TRANSCENDENTAL = {np.exp, np.expm1, np.log, np.log1p, np.log2, np.log10, np.sin, np.cos,
                   np.tan, np.tanh, np.sinh, np.cosh, np.arctan, np.arcsin, np.arccos,
                   np.arctanh, np.arcsinh, np.sqrt, np.cbrt, np.power, np.logaddexp}


def _selection(g):
    """``np.where(c, a, 0.0)`` or ``np.where(c, 0.0, a)``: (c, a, True/False)."""
    if isinstance(g, ir.Op) and g.fn is np.where and len(g.args) == 3 and not g.kwargs:
        c, a, b = g.args
        if algebra.is_const(b, 0):
            return c, a, True
        if algebra.is_const(a, 0):
            return c, b, False
    return None


def _select(cond, c, picked):
    """Apply the selection to a pointwise contribution (inside an unbroadcast)."""
    if isinstance(c, ir.Op) and c.fn is runtime.unbroadcast:
        return ir.Op(runtime.unbroadcast, (_select(cond, c.args[0], picked),) + c.args[1:])
    zero = ir.Const(0.0)
    return ir.Op(np.where, (cond, c, zero) if picked else (cond, zero, c))


def _elementwise_rule(e, kinds) -> bool:
    if not isinstance(e, ir.Op):
        return False
    r = registry.lookup(analysis.derivative_op(e, kinds))
    return r is not None and r.elementwise and not r.nondiff


def _scatter_chain(terms, owned=None):
    """``getitem_adjoint(a, x, i) + getitem_adjoint(b, x, j)`` becomes
    ``scatter_into(getitem_adjoint(a, x, i), j, b)``; with an ``owned``
    accumulator, ``x_bar + getitem_adjoint(a, x, i)`` is ``scatter_into(x_bar, i, a)``."""
    scattered = [t for t in terms if isinstance(t, ir.Op) and t.fn is runtime.getitem_adjoint
                 and len(t.args) == 3 and not t.kwargs]
    merged = _same_index_summed(scattered)
    if len(merged) < len(scattered):
        rest = [t for t in terms if not any(t is s for s in scattered)]
        terms, scattered = merged + rest, merged
    if owned is not None and scattered:
        chain = owned
        for t in scattered:
            chain = ir.Op(runtime.scatter_into, (chain, t.args[2], t.args[0]))
        rest = [t for t in terms if t is not owned and not any(t is s for s in scattered)]
        return [chain] + rest
    if len(scattered) < 2:
        return terms
    base = scattered[0]
    same = [t for t in scattered[1:] if t.args[1] == base.args[1]]
    if not same:
        return terms
    chain = base
    for t in same:
        chain = ir.Op(runtime.scatter_into, (chain, t.args[2], t.args[0]))
    rest = [t for t in terms if t is not base and not any(t is s for s in same)]
    return [chain] + rest


def _same_index_summed(scattered):
    """``getitem_adjoint(a, x, i) + getitem_adjoint(b, x, i)`` (the same
    index) is ``getitem_adjoint(a + b, x, i)``: one scatter of the sum (the
    adjoint of ``x[:-1]`` read twice), also for integer indices, where
    ``np.add.at`` of each is ``np.add.at`` of their sum."""
    groups: list = []
    for t in scattered:
        for g in groups:
            if g[0].args[1] == t.args[1] and g[0].args[2] == t.args[2]:
                g.append(t)
                break
        else:
            groups.append([t])
    return [g[0] if len(g) == 1 else
            ir.Op(runtime.getitem_adjoint,
                  (algebra.sum_of([t.args[0] for t in g]),) + g[0].args[1:])
            for g in groups]


def _concatenate_tiles(terms, kinds):
    """``getitem_adjoint(a, x, slice(0, 2)) + getitem_adjoint(b, x, slice(2, 5))``
    is ``np.concatenate((a, b))`` when the slices tile ``x``'s first axis and
    every part has its slice's shape (known kinds)."""
    parts = {}
    for t in terms:
        if _is_getitem_adjoint(t) and isinstance(t.args[2], ir.Const) and \
                type(t.args[2].value) is slice and isinstance(t.args[1], ir.Var):
            parts.setdefault(t.args[1].name, []).append(t)
    for name, tiles in parts.items():
        x = kinds.get(name)
        if len(tiles) < 2 or x is None or x.pyfloat or not x.shape or x.shape[0] < 0:
            continue
        spans = [t.args[2].value.indices(x.shape[0]) for t in tiles]
        order = sorted(range(len(tiles)), key=lambda k: spans[k][0])
        edges = [spans[k][:2] for k in order]
        if any(spans[k][2] != 1 for k in order) or edges[0][0] != 0 or \
                edges[-1][1] != x.shape[0] or \
                any(a[1] != b[0] for a, b in zip(edges, edges[1:])):
            continue
        if not all(_same_array(analysis.expr_kind(tiles[k].args[0], kinds),
                               analysis.Kind((stop - start,) + tuple(x.shape[1:]), x.dtype))
                   for k, (start, stop) in zip(order, edges)):
            continue
        whole = ir.Op(np.concatenate, (ir.Op(ir.MAKE_TUPLE, tuple(tiles[k].args[0]
                                                                   for k in order)),))
        terms = [whole if t is tiles[0] else t for t in terms
                 if not any(t is u for u in tiles[1:])]
    return terms


def _overwrite_zeroed(terms, kinds):
    """``setitem(b, i, 0.0) + getitem_adjoint(a, x, i)`` is ``setitem(b, i, a)``
    (an integer index, known kinds of one shape and dtype)."""
    zeroed = [t for t in terms if isinstance(t, ir.Op) and t.fn is runtime.setitem and
              len(t.args) == 3 and algebra.is_const(t.args[2], 0) and _int_index(t.args[1], kinds)]
    if not zeroed:
        return _add_into_row(terms, kinds)
    if len(zeroed) != 1:
        return terms
    base, index = zeroed[0].args[:2]
    whole = analysis.expr_kind(base, kinds)
    if whole is None or whole.pyfloat or not whole.shape or whole.shape[0] < 0:
        return terms
    row = analysis.Kind(tuple(whole.shape[1:]), whole.dtype)
    parts = [t for t in terms if _is_getitem_adjoint(t) and t.args[2] == index and
             _same_array(analysis.expr_kind(t.args[1], kinds), whole) and
             _same_array(analysis.expr_kind(t.args[0], kinds), row)]
    if not parts:
        return terms
    new = ir.Op(runtime.setitem, (base, index, algebra.sum_of([t.args[0] for t in parts])))
    return [new if t is zeroed[0] else t for t in terms if not any(t is u for u in parts)]


def _add_into_row(terms, kinds):
    """``getitem_adjoint(a, x, i) + b`` is ``setitem(b, i, b[i] + a)`` (one row
    of a copy of ``b`` updated, no zero buffer) for an integer index and
    known kinds of one shape and dtype."""
    if len(terms) != 2 or not _is_getitem_adjoint(terms[0]) and not _is_getitem_adjoint(terms[1]):
        return terms
    part, b = terms if _is_getitem_adjoint(terms[0]) else terms[::-1]
    a, x, index = part.args
    whole = analysis.expr_kind(x, kinds)
    if not (ir.is_atom(b) and _int_index(index, kinds) and _same_array(whole,
            analysis.expr_kind(b, kinds)) and whole.shape and _same_array(
            analysis.expr_kind(a, kinds), analysis.Kind(tuple(whole.shape[1:]), whole.dtype))):
        return terms
    row = ir.Op(operator.getitem, (b, index))
    return [ir.Op(runtime.setitem, (b, index, ir.Op(operator.add, (row, a))))]


def _number_or_mask(k) -> bool:
    """A kind of index that names no position twice: a number, a 0-d array or
    a boolean mask."""
    return k is not None and (k.pyfloat or k.shape == () or k.dtype == "|b1")


def _is_getitem_adjoint(t) -> bool:
    return isinstance(t, ir.Op) and t.fn is runtime.getitem_adjoint and len(t.args) == 3 \
        and not t.kwargs


def _int_index(i, kinds) -> bool:
    if isinstance(i, ir.Const):
        return type(i.value) is int
    return isinstance(i, ir.Var) and kinds.get(i.name) == analysis.INT


def _same_array(a, b) -> bool:
    """Known kinds of NumPy values with one shape and one dtype."""
    if a is None or b is None or a.pyfloat or b.pyfloat or a.shape != b.shape:
        return False
    try:
        return np.dtype(a.dtype) == np.dtype(b.dtype)
    except TypeError:
        return False


def _items_together(terms) -> list:
    """The adjoints of several items of one dict, list or tuple read at
    constant keys (``getitem_adjoint(W_bar, params, 'W')``, ...) as one
    ``items_adjoint(params, ('W', 'b'), W_bar, b_bar)``: a container with
    zeros only for the items not read, instead of one per term (each full of
    zeros) added item by item."""
    groups: dict = {}
    for t in terms:
        key = _item_term(t)
        if key is not None:
            groups.setdefault(key[0], []).append(t)
    out, done = [], set()
    for t in terms:
        key = _item_term(t)
        if key is None or len(groups[key[0]]) < 2:
            out.append(t)
        elif key[0] not in done:
            done.add(key[0])
            group = groups[key[0]]
            out.append(ir.Op(runtime.items_adjoint, (
                ir.Var(key[0]), ir.Const(tuple(g.args[2].value for g in group)),
                *(g.args[0] for g in group))))
    return out


def _item_term(t):
    """``(x,)`` for ``getitem_adjoint(t, x, k)`` with ``k`` a constant str or int."""
    if isinstance(t, ir.Op) and t.fn is runtime.getitem_adjoint and len(t.args) == 3 and \
            not t.kwargs and isinstance(t.args[1], ir.Var) and \
            isinstance(t.args[2], ir.Const) and type(t.args[2].value) in (str, int):
        return (t.args[1].name,)
    return None


def _fresh_array(e) -> bool:
    """Does ``e`` make a new array (one this code may update in place)?"""
    if not isinstance(e, ir.Op):
        return False
    return e.fn in (np.zeros_like, runtime.zeros_like, runtime.getitem_adjoint,
                    runtime.scatter_into, operator.add, operator.sub)


def _loop_results(loop) -> set:
    """What a loop leaves behind: its carried variables and its target."""
    carried = {n for x in loop.body if isinstance(x, ir.Assign) and x.carry
               for n in x.targets()}
    return carried | set(ir.target_names(loop.target))


def _tuple_target(names):
    if len(names) == 1:
        return ir.Var(names[0])
    return tuple(ir.Var(n) for n in names)


def _tuple_expr(names):
    if len(names) == 1:
        return ir.Var(names[0])
    return ir.Op(ir.MAKE_TUPLE, tuple(ir.Var(n) for n in names))


def _is_user_function(fn) -> bool:
    return isinstance(fn, types.FunctionType) and registry.lookup(fn) is None


def _one_result(e, kinds) -> bool:
    """Whether ``e`` computes one value (an elementwise NumPy function, an
    operator, an array's attribute such as ``.T``), not a tuple of them."""
    if isinstance(e.fn, ir.PseudoOp):
        return e.fn.kind == "attr"
    if type(e.fn) is types.BuiltinFunctionType and e.fn in inline.OPERATORS:
        return True
    r = registry.lookup(analysis.derivative_op(e, kinds))
    return r is not None and r.elementwise and not r.nondiff


def _made_at(e, fn, loc):
    """Where the refusal of ``e``, with no rule, belongs: an attribute read or
    a method call of an object the function makes itself (``m = Scale(x)``,
    ``m * 3.0`` spliced in as ``self.s * x``) is refused as its making
    (``registry.missing_rule_for``), at the line that makes it, where
    forward mode, meeting that line first, refuses it; else at ``loc``."""
    from .draws import draws_with_parameters
    if not (isinstance(e, ir.Op) and isinstance(e.fn, ir.PseudoOp) and e.args and
            isinstance(e.args[0], ir.Var)) or draws_with_parameters(e) or \
            registry._held_call(e, fn.instances) is not None:
        return loc
    made, stmts = e.args[0], ir.walk(fn.body)
    for _ in range(8):               # through copies (a method's `self`, spliced in)
        s = next((s for s in stmts if isinstance(s, ir.Assign) and s.target == made), None)
        if s is None:
            return loc
        if isinstance(s.value, ir.Op) and isinstance(s.value.fn, type):
            return s.loc or loc
        if not isinstance(s.value, ir.Var):
            return loc
        made = s.value
    return loc


def _sequence_like(stmts, kinds) -> set:
    """Variables whose adjoint may be a tuple (lists and tuples): known
    sequences; unknown-kind values that are indexed or appended to, or put
    into a list, tuple or dict (whose adjoint's items are then theirs); and
    unknown-kind items taken out of a sequence (a row of a list of lists).
    Their adjoints add item by item (``runtime.accumulate``), never by ``+``,
    which would join two lists."""
    import operator
    out = {n for n, k in kinds.items() if k == analysis.SEQ}
    containers = (ir.MAKE_LIST, ir.MAKE_TUPLE, runtime.list_append)
    for s in ir.walk(stmts):
        if isinstance(s, ir.Assign) and isinstance(s.value, ir.Op) and s.value.args:
            base = s.value.args[0]
            if isinstance(base, ir.Var) and kinds.get(base.name) is None and \
                    (s.value.fn in (operator.getitem, runtime.list_append, runtime.list_pop,
                                    sum, list, tuple)):
                out.add(base.name)
            if analysis.expr_kind(s.value, kinds) == analysis.SEQ:
                out.update(s.targets())
            if s.value.fn in containers or (isinstance(s.value.fn, ir.PseudoOp) and
                                            s.value.fn.kind == "dict"):
                out.update(a.name for a in s.value.args
                           if isinstance(a, ir.Var) and kinds.get(a.name) is None)
            if (s.value.fn is operator.getitem or analysis._is_method(s.value, "pop", 1)) \
                    and isinstance(base, ir.Var) and kinds.get(base.name) == analysis.SEQ:
                out.update(t for t in s.targets() if kinds.get(t) is None)
    return out


def _container_made(e) -> bool:
    """Whether the adjoint term ``e`` is a list, tuple or dict by how it is
    made (another adjoint added to it must not be joined to it by ``+``)."""
    if not isinstance(e, ir.Op):
        return False
    if e.fn is operator.getitem and len(e.args) == 2:       # t[:-1]: a list's rest
        i = e.args[1]
        return (isinstance(i, ir.Const) and type(i.value) is slice) or \
            (isinstance(i, ir.Op) and i.fn in (ir.SLICE, slice))
    return e.fn in (runtime.unpop, runtime.seq_adjoint, runtime.items_adjoint,
                    runtime.accumulate, ir.MAKE_LIST, ir.MAKE_TUPLE, runtime.splice,
                    runtime.splice_adjoint, runtime.splice_part)


def _defining_ops(stmts) -> dict:
    out = {}
    for s in ir.walk(stmts):
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var):
            out[s.target.name] = s.value
    return out


def _is_sequence(it, defs, fn) -> bool:
    """Can the adjoint sweep iterate ``it`` again, backwards?"""
    if isinstance(it, ir.Var):
        if it.name in fn.param_names():
            return True
        d = defs.get(it.name)
        return isinstance(d, ir.Op) and (d.fn is range or d.fn in (ir.MAKE_LIST, ir.MAKE_TUPLE))
    return isinstance(it, ir.Const) and isinstance(it.value, (range, tuple, list, np.ndarray))


# --------------------------------------------------------------------------
# to-be-recorded analysis: prune tape entries the adjoint never reads


def prune_tapes(fn: ir.Function) -> ir.Function:
    """Drop pushed values that are dead after their pop (after optimisation)."""
    pops = {}
    _find_pops(fn.body, set(), pops)
    if not pops:
        return fn
    keep = {tape: [n for n in names if n in live] for tape, (names, live) in pops.items()}
    if all(len(keep[tape]) == len(names) for tape, (names, _) in pops.items()):
        return fn
    return fn.with_body(_rewrite_tapes(fn.body, keep))


def _find_pops(stmts, live_out: set, pops: dict) -> None:
    """Backward scan recording, for each reversed loop, what is live after its pop."""
    live = set(live_out)
    for s in reversed(stmts):
        if not isinstance(s, (ir.For, ir.While, ir.If)) or \
                not any(isinstance(x, ir.Assign) and _is_pop(x.value) for x in ir.walk([s])):
            pass                        # (no pop in it: only what is live before it)
        elif isinstance(s, (ir.For, ir.While)):
            live_end = optimize.loop_live_end(s, live)
            body = s.body
            k = 0               # the leading pops: the carried state's, then the kept tape's
            while isinstance(s, ir.For) and k < len(body) and \
                    isinstance(body[k], ir.Assign) and _is_pop(body[k].value):
                _, after_pop = optimize.liveness(body[k + 1:], live_end)
                pops[body[k].value.args[0].name] = (body[k].targets(), after_pop)
                k += 1
            _find_pops(body, live_end, pops)
        elif isinstance(s, ir.If):
            _find_pops(s.body, live, pops)
            _find_pops(s.orelse, live, pops)
        live = optimize.live_before(s, live)


def _is_pop(e) -> bool:
    return isinstance(e, ir.Op) and isinstance(e.fn, ir.PseudoOp) and \
        e.fn.kind == "method" and e.fn.name == "pop"


def _is_push(s) -> bool:
    return isinstance(s, ir.Effect) and isinstance(s.value, ir.Op) and \
        isinstance(s.value.fn, ir.PseudoOp) and s.value.fn.name == "append"


def _rewrite_tapes(stmts, keep) -> list:
    out = []
    for s in stmts:
        if isinstance(s, ir.Assign) and isinstance(s.value, ir.Op) and \
                s.value.fn is ir.MAKE_LIST and not s.value.args and \
                isinstance(s.target, ir.Var) and s.target.name in keep and \
                not keep[s.target.name]:
            continue                                   # tape = [] no longer needed
        if _is_push(s) and s.value.args[0].name in keep:
            names = keep[s.value.args[0].name]
            if not names:
                continue
            out.append(replace(s, value=ir.Op(s.value.fn, (s.value.args[0], _tuple_expr(names)))))
            continue
        if isinstance(s, ir.Assign) and _is_pop(s.value) and s.value.args[0].name in keep:
            names = keep[s.value.args[0].name]
            if not names:
                continue
            out.append(replace(s, target=_tuple_target(names)))
            continue
        out.append(optimize._map_blocks(s, lambda b: _rewrite_tapes(b, keep)))
    return out


def typed_gradients(fn: ir.Function, wrt, arg_kinds: dict, return_value: bool,
                    aux: bool, many: bool, constants: bool = True) -> ir.Function:
    """Give each gradient the kind of its input: a Python float's gradient is
    a Python float, a float32 array's a float32 array, a 0-d array's a 0-d
    array. Runs on the final code, whose kinds are inferred afresh: the
    optimiser's identities keep values but not types (``1.0 * s`` is folded
    to ``s``, an int where ``s`` is one), and an adjoint's kind recorded
    while building it is its input's, not necessarily what was computed.
    Where the gradient provably has its input's kind, nothing is added;
    otherwise it is converted on return (``float(x_bar)``). With
    ``constants`` (the optimiser on), integer constants in arithmetic on
    Python floats become floats (``float_constants``), with the same kinds."""
    targets = [arg_kinds.get(p) for p in wrt]
    holders = [_holds_floats(arg_kinds, p) for p in wrt]   # containers with float items
    if not any(_castable(k) for k in targets) and not any(holders):
        return fn
    ret = fn.body[-1]
    path = ((1,) if return_value else (0,) if aux else ())
    grads = _at(ret.value, path)
    if grads is None or (many and not (isinstance(grads, ir.Op) and grads.fn is ir.MAKE_TUPLE
                                       and len(grads.args) == len(wrt))):
        return fn            # not the layout run() made: nothing to convert (no known kinds)
    kinds = analysis.infer_kinds(fn, {n: k for n, k in arg_kinds.items() if k is not None})
    if constants:
        fn = float_constants(fn, kinds)
    ret = fn.body[-1]
    grads = _at(ret.value, path)
    items = list(grads.args) if many else [grads]
    typed = [ir.Op(runtime.as_items, (g, ir.Var(p))) if holds else _as_kind(g, k, kinds)
             for g, k, p, holds in zip(items, targets, wrt, holders)]
    if all(a is b for a, b in zip(typed, items)):
        return fn
    new = ir.Op(ir.MAKE_TUPLE, tuple(typed)) if many else typed[0]
    return fn.with_body(fn.body[:-1] + [replace(ret, value=_put(ret.value, path, new))])


def float_constants(fn: ir.Function, kinds: dict) -> ir.Function:
    """``4 * x`` as ``4.0 * x`` where ``x`` is a Python float (and ``x - 1``,
    ``x > 0``): the same value, but Python's arithmetic on two floats skips
    the int-to-float conversion (``4 * x - 1.0``: 31 ns, ``4.0 * x - 1.0``:
    18 ns). Integer constants come from the user's code (``2 * x``) and from
    folding (``2 * (2 * x)``, the seed ``1.0`` folded away). Also on a float
    ``x``: ``x ** 2`` is ``x * x`` and ``runtime.sign(x)`` (the derivative of
    ``abs``; ``np.sign`` takes 1 µs on a float) a conditional expression; on
    an array, ``np.sign``."""
    def expr(e):
        if not isinstance(e, ir.Op):
            return e
        args = tuple(expr(a) for a in e.args)
        if len(args) == 1 and not e.kwargs and e.fn is runtime.sign:
            x = args[0]            # abs's derivative: np.sign of a float takes 1 µs and
            k = analysis.expr_kind(x, kinds)                # gives a NumPy float64
            if isinstance(x, ir.Var) and k == analysis.FLOAT:
                return ir.Op(ir.IFEXP, (ir.Op(operator.gt, (x, ir.Const(0.0))), ir.Const(1.0),
                                        ir.Op(ir.IFEXP, (ir.Op(operator.lt, (x, ir.Const(0.0))),
                                                         ir.Const(-1.0), ir.Op(operator.mul, (
                                                             x, ir.Const(0.0)))))))   # (0, -0, nan)
            if k is not None and not k.pyfloat:
                return ir.Op(np.sign, args)
        if e.fn is operator.pow and len(args) == 2 and args[1] == ir.Const(2) and \
                isinstance(args[0], ir.Var) and kinds.get(args[0].name) == analysis.FLOAT:
            return ir.Op(operator.mul, (args[0], args[0]))     # (x * x: the same float)
        if id(e.fn) in _FLOAT_ARITH and len(args) == 2 and not e.kwargs:
            a, b = args
            if _small_int(a) and analysis.expr_kind(b, kinds) == analysis.FLOAT:
                args = (ir.Const(float(a.value)), b)
            elif _small_int(b) and analysis.expr_kind(a, kinds) == analysis.FLOAT:
                args = (a, ir.Const(float(b.value)))
        return e if all(x is y for x, y in zip(args, e.args)) else ir.Op(e.fn, args, e.kwargs)

    def block(stmts):
        out = []
        for s in stmts:
            s = optimize._map_blocks(s, block)
            if isinstance(s, (ir.Assign, ir.Effect, ir.Return)):
                s = ir.with_value(s, expr(s.value))
            elif isinstance(s, (ir.If, ir.While)):
                test = expr(s.test)
                s = s if test is s.test else ir.copy_with(s, test=test)
            out.append(s)
        return out
    body = block(fn.body)
    return fn if all(a is b for a, b in zip(body, fn.body)) else fn.with_body(body)


_FLOAT_ARITH = {id(f) for f in (operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.lt, operator.le, operator.gt, operator.ge)}


def _small_int(e) -> bool:
    """An int constant a float holds exactly."""
    return isinstance(e, ir.Const) and type(e.value) is int and abs(e.value) <= 2 ** 53


def _holds_floats(kinds: dict, name) -> bool:
    """Whether the container argument ``name`` holds a Python float or int,
    a NumPy float scalar, a 0-d array or an array of a float dtype other than
    float64 (at any depth): its gradient's item there must have that type too
    (a float for an int)."""
    items = [k for key, k in kinds.items()
             if isinstance(key, tuple) and key[0] == "key" and key[1] == name]

    def floats(k):      # a Python float, a NumPy float scalar, an array not float64
        if isinstance(k, analysis.SeqItems):
            return any(floats(v) for _, v in k.items)
        return isinstance(k, analysis.Kind) and (k == analysis.FLOAT or k == analysis.INT or (
            not k.pyfloat and k.shape == ()) or (
            not k.pyfloat and k.shape[:1] not in ((-1,), (-2,)) and
            np.dtype(k.dtype).kind == "f" and np.dtype(k.dtype) != np.float64))
    return any(floats(k) for k in items)


def _castable(k) -> bool:
    return k is not None and not k.shape[:1] in ((-1,), (-2,)) and \
        (k.pyfloat or np.dtype(k.dtype).kind == "f")


def _as_kind(g, want, kinds):
    """``g`` converted to kind ``want`` unless it provably has that kind."""
    if not _castable(want):
        return g
    have = analysis.expr_kind(g, kinds)
    if want.pyfloat:
        return g if have == analysis.FLOAT else ir.Op(float, (g,))
    dtype = np.dtype(want.dtype)
    if want.shape == () and not want.array0:          # a NumPy scalar
        if have is not None and not have.pyfloat and have.shape == () and \
                not have.array0 and np.dtype(have.dtype) == dtype:
            return g
        return ir.Op(runtime.as_scalar, (g, ir.Const(dtype.type)))
    if want.shape != () and have is not None and not have.pyfloat and \
            have.shape == want.shape and np.dtype(have.dtype) == dtype:
        return g
    return ir.Op(runtime.as_array, (g, ir.Const(dtype.type)))


def _at(e, path):
    for i in path:
        if not (isinstance(e, ir.Op) and e.fn is ir.MAKE_TUPLE and i < len(e.args)):
            return None
        e = e.args[i]
    return e


def _put(e, path, new):
    if not path:
        return new
    args = list(e.args)
    args[path[0]] = _put(args[path[0]], path[1:], new)
    return ir.Op(e.fn, tuple(args), e.kwargs)


def reverse(fn: ir.Function, wrt, kinds=None, ctx=None, name=None,
            return_value=False, out_bar_default=1.0, seed_param=True, aux=None,
            tuple_result=False) -> ir.Function:
    if ctx is None or ctx.optimize:      # one value per repeated expression
        fn = optimize.copy_propagation(optimize.common_subexpressions(fn))
        fn = optimize.hold_shifts(fn, kinds)   # m in m + log(sum(exp(b - m))): no adjoint
    fn = optimize.fuse_sigmoids(fn)      # sigmoid(z): its adjoint reads only its result
    r = Reverse(fn, wrt, kinds, ctx)
    r.tuple_result = tuple_result
    d = r.run(name or f"{fn.name}_vjp", return_value, out_bar_default, seed_param, aux)
    arrays = frozenset(n for n in r.kinds if r._array(n))   # (for updates in place)
    return optimize.release_shifts(optimize.expand_sigmoids(
        d.with_body(d.body, arrays=arrays, kinds=r.kinds)))


def split_vjp(d: ir.Function, fwd_name: str, bwd_name: str):
    """A VJP with the value returned (``return (value, grads)``) and a seed
    parameter, cut at its adjoint sweep into two functions::

        def f_fwd(x, n):                      def f_bwd(res, out_bar):
            ...primal sweep...                    (x, tape) = res
            return (value, (x, tape))             ...adjoint sweep...
                                                  return x_bar

    The caller runs ``f_fwd`` in its own primal sweep and keeps the residuals
    (on its tape, inside a loop); its adjoint sweep calls ``f_bwd``. A
    recursive function's adjoint then never runs its callees' primal again.
    ``None`` when the function does not have that shape."""
    body = d.body
    cut = next((i for i, s in enumerate(body)
                if isinstance(s, ir.Comment) and s.text == "adjoint sweep"), None)
    ret = body[-1]
    if cut is None or not isinstance(ret, ir.Return) or not (
            isinstance(ret.value, ir.Op) and ret.value.fn is ir.MAKE_TUPLE
            and len(ret.value.args) == 2) or not d.params:
        return None
    seed = d.params[-1].name
    primal, adjoint = body[:cut], body[cut + 1:-1]
    value, grads = ret.value.args
    if seed in ir.all_reads(primal) or seed in ir.expr_vars(value):
        return None
    adjoint, live = optimize.liveness(adjoint + [ir.Return(grads, ret.loc)], set())
    adjoint = adjoint[:-1]               # (a loop left with no effect reads nothing)
    fixed = set(d.param_names()) - ir.all_writes(primal) - ir.all_writes(adjoint)
    once = Counter(n for x in ir.walk(primal) for n in ir.stmt_writes(x))
    adjoint = _reread_items(primal, adjoint, fixed, once, d.kinds or {})
    adjoint, live = optimize.liveness(adjoint + [ir.Return(grads, ret.loc)], set())
    adjoint = adjoint[:-1]
    # what the adjoint reads of the primal sweep (module data it reads itself)
    kept = set(d.param_names()) | ir.all_writes(primal)
    res_names = sorted((live - {seed}) & kept)
    names = NameGen(set(_all_names(d)) | set(d.param_names()))
    res = names.fresh("res")
    definite = set(d.param_names()) | {n for x in primal if isinstance(x, ir.Assign)
                                       for n in x.targets()}
    written = ir.all_writes(primal)
    tree = _branch_residuals(primal, adjoint, grads, seed, kept, ret.loc)
    if isinstance(tree, tuple):  # each branch keeps what its adjoint reads
        res_names = sorted(_tree_names(tree))
    unset = [ir.Assign(ir.Var(n), ir.Const(None), ret.loc) for n in res_names
             if n in written and n not in definite]     # assigned on some paths only

    def pack(ns):
        return ir.Op(ir.MAKE_TUPLE, tuple(ir.Var(n) for n in ns))
    if not isinstance(tree, tuple):
        fwd_body = unset + primal
        residuals = pack(res_names)
        bwd_body = ([ir.Assign(tuple(ir.Var(n) for n in res_names), ir.Var(res), ret.loc)]
                    if res_names else []) + adjoint
    else:                        # (the tests on its path, *its names)
        kept_name = names.fresh("kept")

        def keep(stmts, t, tests):
            if not isinstance(t, tuple):
                return stmts + [ir.Assign(ir.Var(kept_name), pack(tests + t), ret.loc)]
            test, (then, orelse) = t
            k = _last_if(stmts)
            last = stmts[k]
            return stmts[:k] + [replace(last, body=keep(last.body, then, tests + [test]),
                                        orelse=keep(last.orelse, orelse, tests + [test]))] \
                + stmts[k + 1:]

        def unpack(t, tests):
            if not isinstance(t, tuple):
                return [ir.Assign(tuple(ir.Var(n) for n in tests + t), ir.Var(res), ret.loc)]
            test, (then, orelse) = t
            at = ir.Op(operator.getitem, (ir.Var(res), ir.Const(len(tests))))
            return [ir.Assign(ir.Var(test), at, ret.loc),
                    ir.If(ir.Var(test), unpack(then, tests + [test]),
                          unpack(orelse, tests + [test]), ret.loc)]
        fwd_body = unset + keep(primal, tree, [])
        residuals = ir.Var(kept_name)
        bwd_body = unpack(tree, []) + adjoint
    fwd = replace(d, name=fwd_name, params=d.params[:-1], pause_gc=False,
                  body=fwd_body + [ir.Return(ir.Op(ir.MAKE_TUPLE, (value, residuals)), ret.loc)])
    bwd = replace(d, name=bwd_name, params=[ir.Param(res), d.params[-1]], pause_gc=False,
                  body=bwd_body + [ir.Return(grads, ret.loc)])
    return fwd, bwd


def _branch_residuals(primal, adjoint, grads, seed, kept, loc):
    """What ``f_fwd`` keeps for ``f_bwd``: the sorted names the adjoint sweep
    reads of the primal sweep; or, when the primal sweep ends in ``if
    test:`` and the adjoint sweep branches on the same ``test`` (a
    recursion's base cases and the rest), ``(test, (then, orelse))``, each
    the same for that branch (nested in turn). Each branch then keeps only
    what its own adjoint reads, after the tests on its path: a call that
    ends in a base case holds a small tuple."""
    k = _last_if(primal)
    last = primal[k] if k is not None else None
    at = [i for i, s in enumerate(adjoint) if isinstance(s, ir.If) and s.test == last.test] \
        if last is not None and isinstance(last.test, ir.Var) else []
    if len(at) != 1 or last.test.name in ir.all_writes(adjoint) or \
            last.test.name not in kept:
        return sorted((_read_first(adjoint + [ir.Return(grads, loc)]) - {seed}) & kept)
    i, test = at[0], last.test.name
    branch = adjoint[i]
    subs = tuple(_branch_residuals(p, adjoint[:i] + a + adjoint[i + 1:], grads, seed,
                                   kept - {test}, loc)
                 for p, a in ((last.body, branch.body), (last.orelse, branch.orelse)))
    if (subs[0] == subs[1] and not isinstance(subs[0], tuple)) or \
            ir.all_writes(primal[k + 1:]) & (_tree_names(subs[0]) | _tree_names(subs[1])):
        return sorted((_read_first(adjoint + [ir.Return(grads, loc)]) - {seed}) & kept)
    return test, subs                                  # (nothing to tell apart, above)


def _read_first(stmts) -> set:
    """The names ``stmts`` read before writing them, every statement counted:
    ``f_bwd`` runs the whole adjoint sweep, also where one branch's arm of
    it leaves a statement dead (``t_bar = -(s_bar * v9)`` read only in the
    other arm), so ``v9`` must be kept on both paths."""
    def every(block):
        out = []
        for s in block:
            if isinstance(s, ir.Assign):
                out += [s, ir.Effect(ir.Op(ir.MAKE_TUPLE, tuple(map(ir.Var, s.targets()))))]
            else:
                out.append(optimize._map_blocks(s, every))
        return out
    return optimize.liveness(every(stmts), set())[1]


def _reread_items(primal, adjoint, fixed, once, kinds):
    """``adjoint`` reading ``v = A[i]`` again where the primal sweep read it
    (``A`` a parameter neither sweep rebinds, ``v`` a number), at the start
    of the adjoint of the block that read it: ``f_fwd`` then keeps the index
    (a small int) rather than the number, and a base case of a recursion
    that reads four items keeps four ints."""
    again = []
    for x in primal:
        if isinstance(x, ir.Assign) and isinstance(x.target, ir.Var) and \
                isinstance(x.value, ir.Op) and x.value.fn is operator.getitem and \
                len(x.value.args) == 2 and isinstance(x.value.args[0], ir.Var) and \
                x.value.args[0].name in fixed and \
                isinstance(x.value.args[1], (ir.Var, ir.Const)) and \
                once[x.target.name] == 1 and x.target.name not in ir.all_writes(adjoint):
            k = kinds.get(x.target.name)
            index = x.value.args[1]
            if k is not None and k.shape == () and (isinstance(index, ir.Const) or (
                    kinds.get(index.name) == analysis.INT and
                    (once[index.name] == 1 or index.name in fixed))):
                again.append(x)
    reads = ir.all_reads(adjoint)
    again = [x for x in again if x.target.name in reads]
    k = _last_if(primal)
    last = primal[k] if k is not None else None
    at = [i for i, x in enumerate(adjoint) if isinstance(x, ir.If) and x.test == last.test] \
        if last is not None else []
    if len(at) == 1:                     # the branches: each where its adjoint runs
        branch = adjoint[at[0]]
        adjoint = adjoint[:at[0]] + [replace(
            branch, body=_reread_items(last.body, branch.body, fixed, once, kinds),
            orelse=_reread_items(last.orelse, branch.orelse, fixed, once, kinds))] \
            + adjoint[at[0] + 1:]
    return again + adjoint


def _last_if(stmts):
    """The position of the ``if`` that ends ``stmts``, but for plain
    assignments after it (``value = retval``); None if there is none."""
    k = len(stmts) - 1
    while k >= 0 and isinstance(stmts[k], ir.Assign) and isinstance(stmts[k].target, ir.Var):
        k -= 1
    return k if k >= 0 and isinstance(stmts[k], ir.If) else None


def _tree_names(t) -> set:
    if not isinstance(t, tuple):
        return set(t)
    return {t[0]} | _tree_names(t[1][0]) | _tree_names(t[1][1])
