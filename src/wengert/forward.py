"""Forward mode: each active statement is followed by its tangent statement.

For ``f(x1, x2) = log(x1) + x1*x2 - sin(x2)`` the tangent program reads::

    def f_jvp(x1, x2, x1_dot, x2_dot):
        v1 = math.log(x1)
        v1_dot = x1_dot / x1
        v2 = x1 * x2
        v2_dot = x1_dot * x2 + x1 * x2_dot
        ...
        return v5, v5_dot

(the optimiser then folds single-use tangents into their use). Inactive
values have a symbolic zero tangent that is never materialised; a variable
assigned on several paths (a branch merge, a loop-carried value) always has a
real tangent variable, set to zero where its value is a constant. Loops and
branches keep their shape.
"""

from __future__ import annotations

import operator
import types

import numpy as np

from . import algebra, analysis, inline, ir, optimize
from .errors import UnsupportedSyntaxError
from .names import NameGen
from .rules import numpy_products as prod, numpy_reductions as red, registry
from .complexes import refuse_complex
from .custom import CustomJVP, CustomVJP
from .runtime import broadcast_like
from . import runtime


class Forward:
    def __init__(self, fn: ir.Function, wrt, kinds: dict, ctx):
        self.fn = fn
        self.wrt = tuple(wrt)
        self.kinds = kinds or {}
        self._returned_objects = None
        self.ctx = ctx
        self.active = analysis.active(fn, self.wrt, self.kinds)
        refuse_complex(fn, self.active, self.kinds)
        self.names = NameGen(fn.namespace.taken | set(fn.namespace.bindings))
        self.names.reserve(*_all_names(fn))
        self.names.temps = set(fn.temps)
        self.dot: dict = {}
        self.dot_names: dict = {}
        self.multi = _multiply_assigned(fn.body)


    @property
    def may_be_none(self) -> set:
        from .specialize import may_be_none_in
        return may_be_none_in(self)
    def dot_name(self, var: str) -> str:
        if var not in self.dot_names:
            name = self.names.fresh(f"{var}_dot")
            self.dot_names[var] = name
            if self.kinds.get(var) is not None:
                self.kinds[name] = self.kinds[var]    # a tangent is shaped like its value
        return self.dot_names[var]

    def run(self, name: str, aux: str = None) -> ir.Function:
        for p in self.wrt:
            self.dot[p] = ir.Var(self.dot_name(p))
        body = self.block(self.fn.body)
        if aux is not None:             # return ((out, aux), out_dot)
            ret = body[-1]
            value, dot = ret.value.args
            body[-1] = ir.Return(ir.Op(ir.MAKE_TUPLE, (
                ir.Op(ir.MAKE_TUPLE, (value, ir.Var(aux))), dot)), ret.loc)
        params = primal_params(self.fn) + [ir.Param(self.dot_names[p]) for p in self.wrt]
        temps = set(self.names.temps) | {d for v, d in self.dot_names.items()
                                         if v in self.fn.temps}
        return ir.Function(name=name, params=params, body=body,
                           namespace=self.fn.namespace, filename=self.fn.filename,
                           temps=frozenset(temps))

    def tangent(self, e) -> object:
        """Tangent of an atom: a Var, or ZERO."""
        if isinstance(e, ir.Var):
            return self.dot.get(e.name, algebra.ZERO)
        return algebra.ZERO

    def zeros(self, var: str) -> ir.Expr:
        return zeros_for(var, self.kinds)

    def returned_objects(self) -> set:
        """``inline.returned_objects`` of the function, found once."""
        if self._returned_objects is None:
            self._returned_objects = inline.returned_objects(self.fn.body)
        return self._returned_objects

    # -- statements ------------------------------------------------------------

    def block(self, stmts) -> list:
        out = []
        for s in stmts:
            out.extend(self.stmt(s))
        return out

    def stmt(self, s) -> list:
        if isinstance(s, ir.Assign):
            return self.assign(s)
        if isinstance(s, ir.If):
            return [ir.If(s.test, self.block(s.body), self.block(s.orelse), s.loc)]
        if isinstance(s, ir.For):
            if isinstance(s.iter, ir.Var) and s.iter.name in self.active:
                raise UnsupportedSyntaxError(
                    "a loop over a differentiated array or list (forward mode)", s.loc,
                    hint="loop over indices with range(len(...)) and index the array")
            return [ir.For(s.target, s.iter, self.block(s.body), s.loc, s.stop)]
        if isinstance(s, ir.While):
            return [ir.While(self.block(s.test_body), s.test, self.block(s.body), s.loc,
                             s.stop)]
        if isinstance(s, ir.Return):
            value = s.value
            t = self.materialized(value)
            return [ir.Return(ir.Op(ir.MAKE_TUPLE, (value, t)), s.loc)]
        return [s]

    def materialized(self, atom) -> ir.Expr:
        t = self.tangent(atom)
        if algebra.is_zero(t):
            if isinstance(atom, ir.Var):
                return self.zeros(atom.name)
            if isinstance(atom, ir.Const) and isinstance(atom.value, (tuple, list)):
                return ir.Const(runtime.zeros_like(atom.value))   # ((3.0, 4.0): (0.0, 0.0))
            return ir.Const(0.0)
        return t

    def assign(self, s: ir.Assign) -> list:
        targets = s.targets()
        if not any(t in self.active for t in targets):
            return [s]
        e = s.value
        if isinstance(e, ir.Op) and isinstance(e.fn, CustomVJP):
            return self.call(s, e.fn.fun)        # forward mode: differentiate the primal
        if isinstance(e, ir.Op) and isinstance(e.fn, CustomJVP) and e.fn.jvp is not None:
            return self.custom_jvp(s)
        if isinstance(e, ir.Op) and _is_user_function(e.fn):
            return self.call(s)
        if isinstance(s.target, tuple):
            return self.assign_many(s)
        target = targets[0]
        t = self.tangent_of(e, target, s.loc)
        out = [s]
        if algebra.is_zero(t):
            if target in self.multi:
                out.append(ir.Assign(ir.Var(self.dot_name(target)), self.zeros(target), s.loc))
                self.dot[target] = ir.Var(self.dot_name(target))
            else:
                self.dot[target] = algebra.ZERO
            return out
        name = self.dot_name(target)
        # (the tangent of a loop's closing copy x = x_2 is one too: coalesced alike)
        out.append(ir.Assign(ir.Var(name), t, s.loc, carry=s.carry and isinstance(t, ir.Var)))
        self.dot[target] = ir.Var(name)
        return out

    def assign_many(self, s: ir.Assign) -> list:
        """``a, b = op(...)``: the rule's tangent is a tuple."""
        targets = s.targets()
        ans = ir.Op(ir.MAKE_TUPLE, tuple(ir.Var(t) for t in targets))
        k = analysis.expr_kind(s.value, self.kinds) if isinstance(s.value, ir.Op) else None
        if k is not None and not k.pyfloat and k.shape and k.shape[0] >= 0:
            ans = ir.Op(np.stack, (ans,))   # a, b = np.sqrt(p): the rows of one array
        t = self.tangent_of(s.value, None, s.loc, ans=ans)
        out = [s]
        if algebra.is_zero(t):
            t = ir.Op(ir.MAKE_TUPLE, tuple(algebra.ZERO for _ in targets))
        parts = [algebra.simplify(ir.Op(operator.getitem, (t, ir.Const(i))))
                 for i in range(len(targets))]
        if isinstance(t, ir.Op) and t.fn is ir.MAKE_TUPLE:
            parts = list(t.args)
        for name, part in zip(targets, parts):
            if algebra.is_zero(part) and name not in self.multi:
                self.dot[name] = algebra.ZERO
                continue
            value = self.zeros(name) if algebra.is_zero(part) else part
            out.append(ir.Assign(ir.Var(self.dot_name(name)), value, s.loc))
            self.dot[name] = ir.Var(self.dot_name(name))
        return out

    def tangent_of(self, e, target, loc, ans=None):
        if isinstance(e, (ir.Var, ir.Const)):
            return self.tangent(e)
        if isinstance(e.fn, ir.PseudoOp) and e.fn.kind in ("tuple", "list", "dict"):
            if all(algebra.is_zero(self.tangent(a)) for a in e.args):
                return algebra.ZERO
            return ir.Op(e.fn, tuple(self.materialized(a) for a in e.args))
        if type(e.fn) is types.BuiltinFunctionType and e.fn in inline.OPERATORS:
            inline.refuse_returned_objects(e, self.returned_objects(), loc)
        r = registry.lookup(analysis.derivative_op(e, self.kinds))
        if r is None:
            raise registry.missing_rule_for(e, self.fn.body, loc, self.fn.instances)
        if r.nondiff:
            r.check_refused(e, self.active, self.kinds, loc)
            return algebra.ZERO
        bound = r.bind(e, loc)
        r.check_inactive(bound, self.active, self.kinds, loc)
        dots = {p: self.tangent(bound[p]) for p in r.diff_params}
        if all(algebra.is_zero(d) for d in dots.values()):
            return algebra.ZERO
        arrays = r.lists_as_arrays(e, bound, self.kinds)
        dots = {p: d if arrays[p] is bound[p] or algebra.is_zero(d) else ir.Op(np.asarray, (d,))
                for p, d in dots.items()}
        bound = arrays
        t = r.tangent_expr(bound, dots, ans if ans is not None else ir.Var(target))
        if target is None:
            return t
        # (no target: in a tangent, the target's shape is the result's, which
        # says nothing of what an ``unbroadcast`` inside it sums: only its
        # argument's own kind can drop it, as for ``unbroadcast(t_dot, like)``)
        t = simplify_kinds(t, self.kinds, None)
        if r.elementwise and not algebra.is_zero(t):
            t = self._broadcast_fix(t, r, bound, dots, target)
        return t

    def _broadcast_fix(self, t, r, bound, dots, target):
        """A tangent that skipped an inactive operand may be narrower than
        the result (``x + c`` with ``c`` of a larger shape): widen it."""
        out_kind = self.kinds.get(target)
        for p in r.diff_params:
            if not algebra.is_zero(dots[p]):
                continue
            arg = bound[p]
            k = analysis.expr_kind(arg, self.kinds)
            if k is not None and (k.shape == () or
                                  (out_kind is not None and
                                   all(analysis.same_shape(analysis.expr_kind(bound[q], self.kinds), out_kind)
                                       for q in r.diff_params if not algebra.is_zero(dots[q])))):
                continue
            if isinstance(arg, ir.Var) and arg.name in set(ir.expr_vars(t)):
                continue
            return ir.Op(broadcast_like, (t, ir.Var(target)))
        return t

    def custom_jvp(self, s: ir.Assign) -> list:
        """``y = f(x)`` with a user rule: ``y, y_dot = rule((x,), (x_dot,))``."""
        e = s.value
        dots = tuple(self.materialized(a) for a in e.args)
        if all(algebra.is_zero(self.tangent(a)) for a in e.args):
            return [s] + self._zero_tangents(s)
        call = ir.Op(e.fn.jvp, (ir.Op(ir.MAKE_TUPLE, e.args), ir.Op(ir.MAKE_TUPLE, dots)))
        if isinstance(s.target, tuple):     # s, c = f(x): the rule's outputs unpacked
            out_dots = tuple(ir.Var(self.dot_name(t)) for t in s.targets())
            pair = (ir.Var(self.names.temp("r")), ir.Var(self.names.temp("r_dot")))
            for t, d in zip(s.targets(), out_dots):
                self.dot[t] = d
            return [ir.Assign(pair, call, s.loc), ir.Assign(s.target, pair[0], s.loc),
                    ir.Assign(out_dots, pair[1], s.loc)]
        target = s.targets()[0]
        out_dot = ir.Var(self.dot_name(target))
        self.dot[target] = out_dot
        return [ir.Assign((s.target, out_dot), call, s.loc)]

    def _zero_tangents(self, s: ir.Assign) -> list:
        """Targets of a statement with no tangent: a symbolic zero, or a real
        zero where the variable is also assigned on another path (a merge)."""
        out = []
        for t in s.targets():
            if t in self.multi and t in self.active:
                out.append(ir.Assign(ir.Var(self.dot_name(t)), self.zeros(t), s.loc))
                self.dot[t] = ir.Var(self.dot_name(t))
            else:
                self.dot[t] = algebra.ZERO
        return out

    def call(self, s: ir.Assign, fn=None) -> list:
        e = s.value
        fn = fn or e.fn
        args = all_args(e)
        positions = tuple(i for i, a in enumerate(args)
                          if not algebra.is_zero(self.tangent(a)))
        if not positions:
            return [s] + self._zero_tangents(s)
        callee = self.ctx.callee(fn, "jvp", positions, s.loc,
                                 analysis.call_kinds(args, self.kinds, self.fn.instances,
                                                     self.may_be_none))
        dots = tuple(self.tangent(args[i]) for i in positions)
        targets = s.targets()
        out_dot = tuple(ir.Var(self.dot_name(t)) for t in targets)
        if not isinstance(s.target, tuple):
            target = (s.target, out_dot[0])
        else:
            target = (ir.Var(self.names.temp("r")), ir.Var(self.names.temp("r_dot")))
        stmts = [ir.Assign(target, ir.Op(callee, all_args(e) + dots), s.loc)]
        if isinstance(s.target, tuple):
            stmts.append(ir.Assign(s.target, target[0], s.loc))
            stmts.append(ir.Assign(out_dot, target[1], s.loc))
        for t, d in zip(targets, out_dot):
            self.dot[t] = d
        return stmts


def primal_params(fn: ir.Function) -> list:
    """Derivative functions take every primal argument positionally; the API
    applies the user's defaults and keywords before calling them."""
    return [ir.Param(p.name) for p in fn.params]


def all_args(e: ir.Op) -> tuple:
    """A user-function call's arguments in signature order (derivative
    functions take keyword-only parameters positionally too)."""
    return e.args + tuple(v for _, v in e.kwargs)


def _is_user_function(fn) -> bool:
    return isinstance(fn, types.FunctionType) and registry.lookup(fn) is None


def _multiply_assigned(stmts) -> set:
    from collections import Counter
    c = Counter()
    for s in ir.walk(stmts):
        for t in ir.stmt_writes(s):
            c[t] += 1
    loop_written = set()
    for s in ir.walk(stmts):
        if isinstance(s, (ir.For, ir.While)):
            loop_written |= ir.all_writes(s.body)
    return {n for n, k in c.items() if k > 1} | loop_written


def _all_names(fn: ir.Function) -> set:
    names = set(fn.param_names())
    for s in ir.walk(fn.body):
        names |= set(ir.stmt_writes(s))
        names |= set(ir.stmt_reads(s))
    return names


def zeros_for(var: str, kinds: dict) -> ir.Expr:
    k = kinds.get(var)
    if k is not None and k.pyfloat:
        return ir.Const(0.0)
    if k is not None and k.shape[:1] not in ((-1,), (-2,)):
        if np.dtype(k.dtype).kind in "biu":       # a comparison's derivative is real
            return ir.Op(np.zeros_like, (ir.Var(var),), (("dtype", ir.Const(np.float64)),))
        return ir.Op(np.zeros_like, (ir.Var(var),))
    return ir.Op(runtime.zeros_like, (ir.Var(var),))


def _product_adjoint(fn, args, kinds):
    """The adjoint helpers of ``@``/``np.dot`` on known vectors and matrices,
    written out (``t @ b.T``): no helper call, and ``a`` itself is not read."""
    side_a = fn in (prod.dot_adjoint_a, prod.matmul_adjoint_a)
    side_b = fn in (prod.dot_adjoint_b, prod.matmul_adjoint_b)
    if not (side_a or side_b) or len(args) != 3:
        return None
    t, a, b = args
    ka, kb = analysis.expr_kind(a, kinds), analysis.expr_kind(b, kinds)
    if ka is None or kb is None or ka.pyfloat or kb.pyfloat or \
            not (1 <= len(ka.shape) <= 2 and 1 <= len(kb.shape) <= 2):
        return None
    na, nb = len(ka.shape), len(kb.shape)
    mm = lambda x, y: ir.Op(operator.matmul, (x, y))          # noqa: E731
    T = lambda x: ir.Op(ir.Attr("T"), (x,))                    # noqa: E731
    if side_a:
        if na == 2 and nb == 2:
            return mm(t, T(b))
        if na == 1 and nb == 2:
            return mm(b, t)
        if na == 2 and nb == 1:
            return ir.Op(np.outer, (t, b))
        return ir.Op(operator.mul, (t, b))
    if na == 2 and nb == 2:
        return mm(T(a), t)
    if na == 2 and nb == 1:
        return mm(t, a)
    if na == 1 and nb == 2:
        return ir.Op(np.outer, (a, t))
    return ir.Op(operator.mul, (t, a))


def _known_shape_forms(fn, args, kwargs, kinds):
    """Helpers whose result follows from known shapes: ``reduced_size`` is a
    number; spreading a scalar over a float64 array is a broadcast view."""
    if fn is red.unreduce:
        return _unreduce_view(args, dict(kwargs), kinds)
    if kwargs:
        return None
    product = _product_adjoint(fn, args, kinds)
    if product is not None:
        return product
    if fn in (np.shape, len) and len(args) == 1:
        k = analysis.expr_kind(args[0], kinds)
        if k is not None and not k.pyfloat and k.shape[:1] not in ((-1,), (-2,)):
            if fn is np.shape:
                return ir.Const(tuple(k.shape))
            if k.shape:
                return ir.Const(k.shape[0])
    if fn is red.reduced_size and len(args) in (1, 2):
        k = analysis.expr_kind(args[0], kinds)
        axis = args[1] if len(args) == 2 else ir.NONE
        if k is not None and not k.pyfloat and k.shape[:1] not in ((-1,), (-2,)) \
                and isinstance(axis, ir.Const):
            try:
                return ir.Const(int(red.reduced_size(np.empty(k.shape), axis.value)))
            except Exception:
                return None
    return None


def _unreduce_view(args, kwargs, kinds):
    """``unreduce(t, a, axis, keepdims)`` (the adjoint of a sum over ``axis``) on
    known float64 shapes: a broadcast view of ``t``, no array of ones."""
    names = ("t", "a", "axis", "keepdims")
    bound = dict(zip(names, args))
    bound.update(kwargs)
    t, a = bound.get("t"), bound.get("a")
    axis = bound.get("axis", ir.NONE)
    keepdims = bound.get("keepdims", ir.Const(False))
    if t is None or a is None or not isinstance(axis, ir.Const) or \
            not isinstance(keepdims, ir.Const):
        return None
    ka, kt = analysis.expr_kind(a, kinds), analysis.expr_kind(t, kinds)
    if ka is None or kt is None or ka.pyfloat or ka.shape[:1] in ((-1,), (-2,)) or \
            ka.dtype != "<f8" or not (kt.pyfloat or kt.dtype == "<f8"):
        return None
    shape = tuple(ka.shape)
    if axis.value is None or keepdims.value:
        if axis.value is None and kt.shape != ():
            return None
        return ir.Op(np.broadcast_to, (t, ir.Const(shape)))
    try:
        axes = axis.value if isinstance(axis.value, tuple) else (axis.value,)
        axes = tuple(sorted(ax % len(shape) for ax in axes))
    except TypeError:
        return None
    return ir.Op(np.broadcast_to, (ir.Op(np.expand_dims, (t, ir.Const(axes))),
                                   ir.Const(shape)))


def simplify_kinds(e, kinds: dict, target):
    """Drop ``unbroadcast(t, x)`` where ``t`` provably has ``x``'s shape: its
    own kind says so, or (reverse mode) ``target``, the statement whose
    adjoint ``g`` it is made of, has that shape (``t`` is then ``g`` times
    values broadcast to it). None: only ``t``'s own kind counts."""
    if not isinstance(e, ir.Op):
        return e
    args = tuple(simplify_kinds(a, kinds, target) for a in e.args)
    if e.fn is runtime.unbroadcast and len(args) == 2:
        like = analysis.expr_kind(args[1], kinds)
        for out in (kinds.get(target), analysis.expr_kind(args[0], kinds)):
            if analysis.same_shape(like, out) and (like.pyfloat or like.dtype == out.dtype):
                return args[0]
    special = _known_shape_forms(e.fn, args, e.kwargs, kinds)
    if special is not None:
        return special
    if e.fn is runtime.adjoint_as and len(args) == 2 and \
            getattr(analysis.expr_kind(args[1], kinds), "pyfloat", False):
        return args[0]                          # float(x) of a number: its adjoint as it is
    if e.fn is runtime.stored and len(args) == 2 and _floating(analysis.expr_kind(args[1], kinds)):
        return args[0]                          # stored into a float array: as it is
    if e.fn is runtime.zeros_like and len(args) == 1:
        k = analysis.expr_kind(args[0], kinds)
        if k is not None and k.pyfloat:
            return ir.Const(0.0)
    if e.fn is broadcast_like and len(args) == 2:
        if analysis.same_shape(analysis.expr_kind(args[0], kinds),
                               analysis.expr_kind(args[1], kinds)):
            return args[0]
    if e.fn is operator.pow and len(args) == 2:
        return _scalar_power(*args, kinds)
    if all(a is b for a, b in zip(args, e.args)):
        return e                                # nothing dropped: the same expression
    return ir.Op(e.fn, args, e.kwargs)


def _floating(k) -> bool:
    """Whether kind ``k`` is a known array (or NumPy scalar) of floats."""
    if k is None or k.pyfloat:
        return False
    try:
        return np.dtype(k.dtype).kind == "f"
    except TypeError:                  # "seq", "range", ...
        return False


def _scalar_power(x, p, kinds):
    """``x ** p`` in a derivative (``y * x ** (y - 1)``) on Python numbers
    raises ZeroDivisionError at ``x == 0`` for ``p < 0``, where NumPy gives
    inf: test ``x`` first, and compute that case as NumPy does."""
    power = ir.Op(operator.pow, (x, p))
    kx, kp = analysis.expr_kind(x, kinds), analysis.expr_kind(p, kinds)
    if not (isinstance(x, ir.Var) and kx is not None and kx.pyfloat and
            kp is not None and kp.pyfloat) or \
            (isinstance(p, ir.Const) and p.value >= 0):
        return power
    numpy_power = ir.Op(float, (ir.Op(np.power, (x, p)),))
    return ir.Op(ir.IFEXP, (x, power, numpy_power))


def forward(fn: ir.Function, wrt, kinds=None, ctx=None, name=None, aux=None) -> ir.Function:
    held = ctx is None or ctx.optimize
    if held:                             # m in m + log(sum(exp(b - m))): no tangent
        fn = optimize.hold_shifts(fn, kinds)
    d = Forward(fn, wrt, kinds, ctx).run(name or f"{fn.name}_jvp", aux)
    return optimize.release_shifts(d) if held else d
