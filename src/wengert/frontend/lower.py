"""Lower: a gast function definition -> the Wengert list (``ir.Function``).

Three things happen while walking the tree:

* **Flattening.** Every nested expression gets a fresh temporary, so each
  assignment performs one operation on atoms::

      y = a * b + c          ──▶   v1 = a * b
                                   y = v1 + c

* **Resolution.** Every call, operator and attribute is resolved to the Python
  object it denotes: ``a * b`` is ``operator.mul``, ``np.sin`` is the ufunc
  object, a helper is the user's function object. Names are resolved as
  Python would (closure, then module globals, then builtins) when the
  derivative is built.

* **SSA renaming.** Each assignment to a user variable creates a new version
  (``x = x + 1`` becomes ``x_1 = x + 1``), so no value is ever overwritten
  in straight-line code. Where branches join, both branches assign the same
  merged name; a loop-carried variable keeps one name across iterations and
  the body ends with a copy back into it.

Early ``return``, ``break`` and ``continue`` have been turned into flags by
``frontend.jumps`` before this stage sees the tree.
"""

from __future__ import annotations

import ast
import builtins
import copy
import functools
import inspect
import itertools
import linecache
import math
import operator
import random
import types
from dataclasses import dataclass
from typing import Optional

import gast
import numpy as np

from .. import analysis, ir, mutating, runtime
from ..errors import NoRuleError, UnsupportedSyntaxError, UsageError, WengertError
from ..names import NameGen
from .jumps import eliminate_jumps
from .parse import BUILTIN, ParsedFunction


BINOPS = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.FloorDiv: operator.floordiv,
    gast.Mod: operator.mod, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
    gast.BitAnd: operator.and_, gast.BitOr: operator.or_,
    gast.BitXor: operator.xor, gast.LShift: operator.lshift,
    gast.RShift: operator.rshift,
}
UNARYOPS = {gast.USub: operator.neg, gast.UAdd: operator.pos,
            gast.Not: operator.not_, gast.Invert: operator.invert}
CMPOPS = {
    gast.Lt: operator.lt, gast.LtE: operator.le, gast.Gt: operator.gt,
    gast.GtE: operator.ge, gast.Eq: operator.eq, gast.NotEq: operator.ne,
    gast.Is: operator.is_, gast.IsNot: operator.is_not,
    gast.In: operator.contains, gast.NotIn: None,
}

# Constructs outside the subset, with what to do instead.
UNSUPPORTED_STMTS = {
    gast.Try: ("try/except/finally", "move the try block outside the differentiated function"),
    gast.With: ("a `with` block", "move the `with` statement outside the differentiated function"),
    gast.AsyncWith: ("`async with`", "differentiate synchronous code only"),
    gast.AsyncFor: ("`async for`", "differentiate synchronous code only"),
    gast.AsyncFunctionDef: ("an `async def`", "define it at module level (wengert "
                            "differentiates synchronous code only)"),
    gast.Global: ("a `global` declaration", "pass the value in as an argument and return the new value"),
    gast.Nonlocal: ("a `nonlocal` declaration", "pass the value in as an argument and return the new value"),
    gast.ClassDef: ("a class definition", "define the class at module level"),
    gast.Raise: ("`raise`", "check inputs before calling the derivative"),
    gast.Import: ("an `import` statement", "import at module level"),
    gast.ImportFrom: ("an `import` statement", "import at module level"),
}
for _name, _what in (("Match", ("a `match` statement", "rewrite it with if/elif/else")),
                     ("TryStar", ("try/except*", "move the try block outside the differentiated function"))):
    if hasattr(gast, _name):
        UNSUPPORTED_STMTS[getattr(gast, _name)] = _what

UNSUPPORTED_EXPRS = {
    gast.Yield: ("`yield` (a generator)", "return a list or array instead of yielding"),
    gast.YieldFrom: ("`yield from` (a generator)", "return a list or array instead of yielding"),
    gast.Await: ("`await`", "differentiate synchronous code only"),
    gast.NamedExpr: ("an assignment expression (:=)", "assign on a line of its own"),
    gast.Set: ("a set display", "use a tuple or a list"),
    gast.SetComp: ("a set comprehension", "use a list"),
    gast.JoinedStr: ("an f-string", "format strings outside the differentiated function"),
    gast.Starred: ("a starred item (`*xs` in a call or a display)",
                   "write the items out, or join lists with + (`xs + [x]`) and pass the "
                   "arguments one by one"),
}

# calls kept as statements for their effect (``runtime.assert_``: an ``assert``
# of the user's, as generated code writes it, differentiated again; seeding the
# global random generators, whose draws reverse mode keeps and never repeats)
EFFECT_FUNCTIONS = {print, runtime.assert_, runtime.check_value, runtime.check_returned,
                    runtime.check_operand,
                    np.random.seed,
                    random.seed}


@dataclass
class LocalFunction:
    """A nested ``def`` or lambda, lifted to a function of its own: the
    enclosing function's variables it reads become keyword-only parameters
    (``free``), values from the enclosing closure are passed as constants.
    A default that reads the enclosing function's variables (``def g(t,
    k=k)``) is evaluated at the ``def``, as Python does: ``defaults`` maps
    its parameter to that value, passed by every call that omits it."""

    func: object
    free: tuple
    consts: tuple
    defaults: tuple = ()
    helpers: tuple = ()         # (name, lifted function): nested functions it calls

    def constants(self, closure) -> tuple:
        """``(name, Const)`` pairs every call passes: the enclosing closure's
        values it reads, and the nested functions (without variables of their
        own) it calls."""
        return tuple((n, ir.Const(closure[n])) for n in self.consts) + \
            tuple((n, ir.Const(f)) for n, f in self.helpers)


_LIFTED = itertools.count(1)


class Scope:
    """The current SSA name of every user variable, and the nested functions
    (defs and lambdas) bound at this point."""

    def __init__(self, env=None, fns=None):
        self.env = dict(env or {})
        self.fns = dict(fns or {})

    def copy(self) -> "Scope":
        return Scope(self.env, self.fns)


_CONFLICT = "conflict"      # a name bound to different functions on different paths


def _library(module: str) -> bool:
    """Whether a function of ``module`` is a library's, not the user's code."""
    return module.split(".")[0] in ("numpy", "scipy", "math", "builtins", "jax", "torch",
                                    "sklearn", "pandas", "autograd")


class _LocalDerivative:
    """A name bound to ``wengert.grad(g, ...)`` inside the function
    (``g_fn = wengert.grad(inner)``): a call of it is ``wengert.grad(g, ...)(x)``."""

    def __init__(self, call):
        self.call = call


def _names(names) -> str:
    return ", ".join(f"`{n}`" for n in names)


class Lowerer:
    def __init__(self, pf: ParsedFunction):
        self.pf = pf
        self.names = NameGen(_identifiers(pf.node))
        self.ns = ir.Namespace()
        self.scope = Scope()
        self.free: dict = {}          # free data name -> "global" | "closure"
        self.out: list = []
        self.fresh: set = set()       # IR names holding arrays this function created
        self.containers: set = set()  # those of them that are lists or dicts
        self._passed: set = set()     # ids of names that are arguments of a call
        self._captured: dict = {}     # variable -> the nested function passed with its value
        self._carried_stack: list = []   # the variables each open loop carries

    # -- entry -------------------------------------------------------------

    def lower(self) -> ir.Function:
        node = self.pf.node
        params = self._params(node)
        body_nodes = list(node.body)
        doc = None
        if body_nodes and _is_docstring(body_nodes[0]):
            doc = body_nodes[0].value.value
            body_nodes = body_nodes[1:]
        body_nodes = eliminate_jumps(body_nodes, self.names, self.pf)
        self.block(body_nodes)
        if not self.out or not isinstance(self.out[-1], ir.Return):
            self.out.append(ir.Return(ir.NONE, self.pf.loc(node)))
        self.ns.reserve_locals(self.names.taken)
        return ir.Function(name=_func_name(self.pf), params=params, body=self.out,
                           namespace=self.ns, filename=self.pf.filename, doc=doc,
                           temps=frozenset(self.names.temps),
                           free_data=frozenset(self.free),
                           closure_data=frozenset(n for n, k in self.free.items()
                                                  if k == "closure"),
                           user_of={k: self._copy_of.get(v, v)
                                    for k, v in self.names.user_of.items()})

    def _params(self, node) -> list:
        args = node.args
        if args.vararg is not None or args.kwarg is not None:
            bad = args.vararg or args.kwarg
            func = self.pf.func
            hint = "list the parameters one by one"
            if getattr(func, "__wrapped__", None) is not None:     # functools.wraps
                hint = (f"`{func.__name__}` is a decorator's wrapper "
                        f"(`{func.__code__.co_name}`, made with functools.wraps): "
                        f"differentiate `{func.__name__}.__wrapped__`, the undecorated function")
            raise UnsupportedSyntaxError(
                "functions with *args or **kwargs cannot be differentiated",
                self.pf.loc(bad), hint=hint)
        if getattr(args, "posonlyargs", None):
            pos = list(args.posonlyargs) + list(args.args)
        else:
            pos = list(args.args)
        func = self.pf.func
        defaults = list(func.__defaults__ or ()) if func is not None else []
        kwdefaults = dict(func.__kwdefaults__ or {}) if func is not None else {}
        params = []
        first_default = len(pos) - len(defaults)
        for i, a in enumerate(pos):
            d = ir.Const(defaults[i - first_default]) if i >= first_default else None
            params.append(ir.Param(a.id, d))
        for a in args.kwonlyargs:
            d = ir.Const(kwdefaults[a.id]) if a.id in kwdefaults else None
            params.append(ir.Param(a.id, d, kwonly=True))
        for p in params:
            self.names.reserve(p.name)
            self.scope.env[p.name] = p.name
        self.param_names = {p.name for p in params}
        self.first_param = params[0].name if params and not params[0].kwonly else None
        return params

    # -- statements ----------------------------------------------------------

    def block(self, nodes) -> None:
        for n in nodes:
            self.stmt(n)

    def lower_block(self, nodes, scope: Scope) -> list:
        """Lower ``nodes`` into a new list under ``scope`` (restoring state)."""
        saved_out, saved_scope = self.out, self.scope
        self.out, self.scope = [], scope
        try:
            self.block(nodes)
            return self.out
        finally:
            self.out, self.scope = saved_out, saved_scope

    def stmt(self, node) -> None:
        method = getattr(self, "stmt_" + type(node).__name__, None)
        if method is None:
            what, hint = UNSUPPORTED_STMTS.get(
                type(node), (f"the statement `{type(node).__name__}`", None))
            raise UnsupportedSyntaxError(f"{what} is not supported", self.pf.loc(node),
                                         hint=hint)
        method(node)

    def stmt_Pass(self, node) -> None:
        pass

    def stmt_Delete(self, node) -> None:
        """``del xs[i:j]`` is ``xs[i:j] = []``; ``del name`` frees a value the
        function does not read again (nothing to compute)."""
        for target in node.targets:
            if isinstance(target, gast.Name):
                continue
            if isinstance(target, gast.Subscript) and isinstance(target.slice, gast.Slice) \
                    and target.slice.step is None:
                base, index = self._setitem_target(target)
                empty = gast.copy_location(gast.List(elts=[], ctx=gast.Load()), target)
                self._setitem(base, index, self.atom(empty), node)
                continue
            raise UnsupportedSyntaxError(
                ("`del` of items by a step" if isinstance(target.slice, gast.Slice) else
                 "`del` of an item") if isinstance(target, gast.Subscript) else
                f"`del` of {type(target).__name__.lower()}", self.pf.loc(target),
                hint="build the list or dict without them (`xs = xs[:i] + xs[i + 1:]`, "
                     "`d = {k: v for k, v in d.items() if k != key}`), or delete a run of "
                     "items with `del xs[i:j]`")

    def stmt_Expr(self, node) -> None:
        value = node.value
        if isinstance(value, gast.Constant):
            return          # docstrings and bare constants
        if isinstance(value, (gast.Yield, gast.YieldFrom, gast.Await)):
            self.op_expr(value)         # raises, naming the construct
        if isinstance(value, gast.Call):
            self._refuse_writing_call(value)
            if isinstance(value.func, gast.Attribute) and self._is_local(value.func.value):
                self.method_statement(value)
                return
            if isinstance(value.func, gast.Name) and value.func.id in self.scope.fns:
                raise UnsupportedSyntaxError(
                    f"a call of `{value.func.id}`, a nested function, whose value is "
                    "discarded: a call made for its effect (changing a list or dict of "
                    "this function, `acc.append(v)`) cannot be differentiated",
                    self.pf.loc(node),
                    hint="make the change here, in this function (`acc.append(v)`), or have "
                         f"`{value.func.id}` return what it computes and use the value")
            if isinstance(value.func, gast.Attribute):
                self._refuse_method_of_type(value)
            fn = self._callee_object(value.func)
            if fn in EFFECT_FUNCTIONS:
                self.out.append(ir.Effect(self.op_expr(value), self.pf.loc(node)))
                return
        raise UnsupportedSyntaxError(
            "an expression statement whose value is discarded", self.pf.loc(node),
            hint="remove it, or use the value it computes (`y = np.exp(x)`, then read `y`): "
                 "a call made only for its side effect cannot be differentiated")

    def method_statement(self, call) -> None:
        base = call.func.value
        if call.func.attr == "append" and len(call.args) == 1 and not call.keywords:
            xs = self.name_atom(base.id, base)
            v = self.atom(call.args[0])
            self.define(base.id, ir.Op(runtime.list_append, (xs, v)), call)
            self.out[-1].store = True     # (Python appends to the list in place)
            return
        if call.func.attr == "extend" and len(call.args) == 1 and not call.keywords:
            xs = self.name_atom(base.id, base)
            items = self._temp_assign(ir.Op(list, (self.atom(call.args[0]),)), call)
            self.define(base.id, ir.Op(runtime.seq_concat, (xs, items)), call)
            self.out[-1].store = True     # (Python extends the list in place)
            return
        raise self._method_in_place_error(call)

    def stmt_Assert(self, node) -> None:
        test = self.atom(node.test)
        args = (test,) if node.msg is None else (test, self.atom(node.msg))
        check = runtime.check_value if getattr(node, "value_error", False) else runtime.assert_
        self.out.append(ir.Effect(ir.Op(check, args), self.pf.loc(node)))

    def stmt_FunctionDef(self, node) -> None:
        self.scope.fns[node.name] = self._lift(node, node.name)
        self.scope.env.pop(node.name, None)

    def stmt_Return(self, node) -> None:
        value = self.atom(node.value) if node.value is not None else ir.NONE
        self.out.append(ir.Return(value, self.pf.loc(node)))

    def stmt_Assign(self, node) -> None:
        targets = node.targets
        if len(targets) > 1:          # a = b = expr
            value = self.atom(node.value)
            for t in targets:
                self.assign_atom(t, value, node)
            return
        self.assign(targets[0], node.value, node)

    def stmt_AnnAssign(self, node) -> None:
        if node.value is not None:
            self.assign(node.target, node.value, node)

    def stmt_AugAssign(self, node) -> None:
        target = node.target
        if not isinstance(target, gast.Name):
            self.augassign_other(node)
            return
        fn = BINOPS[type(node.op)]
        left = self.name_atom(target.id, target)
        right = self.atom(node.value)
        self.define(target.id, ir.Op(fn, (left, right)), node)
        self.out[-1].augmented = True

    def augassign_other(self, node) -> None:
        target = node.target
        if isinstance(target, gast.Subscript):
            base, index = self._setitem_target(target)
            if self.scope.env[base] in self.containers:
                raise UnsupportedSyntaxError(
                    f"an augmented assignment (`+=`, `*=`, ...) to an item of the list or "
                    f"dict `{base}`", self.pf.loc(target),
                    hint=f"an array item would be changed in place, and every other name "
                         f"for it with it: write `{base}[...] = {base}[...] + v`")
            old = self._temp_assign(ir.Op(operator.getitem, (self.name_atom(base, target), index)),
                                    node)
            new = self._temp_assign(ir.Op(BINOPS[type(node.op)], (old, self.atom(node.value))),
                                    node)
            self._setitem(base, index, new, node)
            return
        raise UnsupportedSyntaxError(
            "augmented assignment to an attribute", self.pf.loc(node),
            hint="keep the value in a local variable and return it")

    def _setitem_target(self, target):
        """``y[...]`` as an assignment target: ``y`` must be an array this
        function created (writing into an input would change the caller's data)."""
        if not isinstance(target.value, gast.Name) or target.value.id not in self.scope.env:
            nested = isinstance(target.value, gast.Subscript)
            raise UnsupportedSyntaxError(
                "assignment into an item of an item (`d[\"p\"][\"w\"] = v`, `A[i][j] = v`)"
                if nested else
                "assignment into a subscript of something other than a local array, list "
                "or dict", self.pf.loc(target),
                hint="take the inner one out, assign into it and put it back "
                     "(`p = dict(d[\"p\"]); p[\"w\"] = v; d[\"p\"] = p`), or index an "
                     "array at once (`A[i, j] = v`)" if nested else
                     "assign into a local array, list or dict (y = np.zeros(n); y[i] = v)")
        name = target.value.id
        if self.scope.env[name] not in self.fresh:
            other = self._another_name(name)
            if other is not None:
                raise UnsupportedSyntaxError(
                    f"assignment into `{name}[...]`, whose array `{other}` holds too (`{name} "
                    f"= {other} = ...`): NumPy would change it under both names",
                    self.pf.loc(target),
                    hint=f"give each name an array of its own (`{name} = np.zeros(n)`, "
                         f"`{other} = {name}.copy()`)")
            raise UnsupportedSyntaxError(
                f"assignment into `{name}[...]`, which may be (a view of) an input array or "
                "of data this function did not create", self.pf.loc(target),
                hint=f"copy it first (`{name} = {name}.copy()`: an array, a list or a "
                     "dict), or build it inside the function (`np.zeros(n)`, `[]`, `{}`)")
        return name, self._index(target.slice)

    def _another_name(self, name) -> Optional[str]:
        """Another variable bound to the same value as ``name`` by a copy
        (``a = b = np.zeros(3)``, ``b = a``), or None."""
        defs = {s.target.name: s.value for s in self.out
                if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var)}
        mine = self.scope.env[name]
        source = defs.get(mine)
        if not isinstance(source, ir.Var) or source.name in self.scope.env.values():
            return None                       # (a copy of a variable of the user's)
        source = source.name
        for other, var in self.scope.env.items():
            if other != name and isinstance(var, str) and (
                    var == source or (isinstance(defs.get(var), ir.Var) and
                                      defs[var].name == source)):
                return other
        return None

    def _setitem(self, name, index, value, node) -> None:
        var = self.define(name, ir.Op(runtime.setitem, (self.name_atom(name, node), index, value)),
                          node)
        self.out[-1].store = True
        self.fresh.add(var.name)

    def assign(self, target, value_node, node) -> None:
        if isinstance(target, gast.Name) and isinstance(value_node, gast.Lambda):
            self.scope.fns[target.id] = self._lift(value_node, target.id)
            self.scope.env.pop(target.id, None)
            return
        if isinstance(target, gast.Name) and isinstance(value_node, gast.Call) and \
                isinstance(value_node.func, (gast.Name, gast.Attribute)) and value_node.args \
                and self._makes_derivative(value_node.func):
            self.scope.fns[target.id] = _LocalDerivative(value_node)   # g = wengert.grad(f)
            self.scope.env.pop(target.id, None)
            return
        if isinstance(target, gast.Name) and isinstance(value_node, gast.Name) and \
                value_node.id in self.scope.fns and value_node.id not in self.scope.env:
            self.scope.fns[target.id] = self.scope.fns[value_node.id]   # h = g: g's calls
            self.scope.env.pop(target.id, None)
            return
        if isinstance(target, gast.Name):         # (a call's errors point at the call)
            self.define(target.id, self.op_expr(value_node),
                        value_node if isinstance(value_node, gast.Call) else node)
        elif isinstance(target, (gast.Tuple, gast.List)):
            if isinstance(value_node, (gast.Tuple, gast.List)) and \
                    len(value_node.elts) == len(target.elts) and \
                    not any(isinstance(e, gast.Starred) for e in target.elts):
                values = [self.atom(v) for v in value_node.elts]   # a, b = b, a
                for t, v in zip(target.elts, values):
                    self.assign_atom(t, v, node)
            else:
                self.unpack(target, self.op_expr(value_node), node)
        else:
            self.assign_other(target, value_node, node)

    def assign_other(self, target, value_node, node) -> None:
        if isinstance(target, gast.Subscript):
            base, index = self._setitem_target(target)
            value = self.atom(value_node) if value_node is not None else None
            self._setitem(base, index, value, node)
            return
        if isinstance(target, gast.Attribute):
            raise UnsupportedSyntaxError(
                "assignment to an attribute", self.pf.loc(target),
                hint="keep the value in a local variable and return it")
        raise UnsupportedSyntaxError(
            f"assignment to {type(target).__name__.lower()}", self.pf.loc(target),
            hint="assign to a plain variable")

    def assign_atom(self, target, atom, node) -> None:
        if isinstance(target, gast.Name):
            self.define(target.id, atom, node)
        elif isinstance(target, gast.Subscript):
            base, index = self._setitem_target(target)
            self._setitem(base, index, atom, node)
        elif isinstance(target, (gast.Tuple, gast.List)):
            self.unpack(target, atom, node)
        else:
            self.assign_other(target, None, node)

    def unpack(self, target, value: ir.Expr, node) -> None:
        """``a, b = value``; a target that is not a plain name (``(c, d)``,
        ``y[i]``) is assigned from a temporary afterwards, and a starred one
        (``a, *rest, b = value``) takes ``list(value[1:-1])``."""
        starred = [i for i, t in enumerate(target.elts) if isinstance(t, gast.Starred)]
        if starred:
            self._unpack_starred(target.elts, starred[0], value, node)
            return
        new, later = [], []
        for t in target.elts:
            if isinstance(t, gast.Name):
                new.append(ir.Var(self.new_version(t.id)))
            else:
                new.append(ir.Var(self.names.temp()))
                later.append((t, new[-1]))
        self.out.append(ir.Assign(tuple(new), value, self.pf.loc(node)))
        for t, v in zip(target.elts, new):
            if isinstance(t, gast.Name):
                self.scope.env[t.id] = v.name
        for t, v in later:
            self.assign_atom(t, v, node)

    def _unpack_starred(self, elts, i, value, node) -> None:
        whole = value if ir.is_atom(value) else self._temp_assign(value, node)
        after = len(elts) - i - 1
        size = self._temp_assign(ir.Op(len, (whole,)), node)   # Python raises below that
        enough = self._temp_assign(ir.Op(operator.ge, (size, ir.Const(len(elts) - 1))), node)
        self.out.append(ir.Effect(ir.Op(runtime.check_value, (enough, ir.Const(
            f"not enough values to unpack (expected at least {len(elts) - 1})"))),
            self.pf.loc(node)))

        def item(key):
            return self._temp_assign(ir.Op(operator.getitem, (whole, ir.Const(key))), node)
        for j, t in enumerate(elts[:i]):
            self.assign_atom(t, item(j), node)
        rest = item(slice(i, -after if after else None))
        self.assign_atom(elts[i].value, self._temp_assign(ir.Op(list, (rest,)), node), node)
        for j, t in enumerate(elts[i + 1:]):
            self.assign_atom(t, item(j - after), node)

    def define(self, user_name: str, value: ir.Expr, node) -> ir.Var:
        self.scope.fns.pop(user_name, None)
        var = ir.Var(self.new_version(user_name))
        self.out.append(ir.Assign(var, value, self.pf.loc(node)))
        self.scope.env[user_name] = var.name
        if _creates_array(value, self.fresh):
            self.fresh.add(var.name)
            if _makes_container(value, self.containers):
                self.containers.add(var.name)
        return var

    def new_version(self, user_name: str) -> str:
        if user_name in self._captured:   # (a later call of it would read the new value)
            fname, where = self._captured[user_name]
            raise UnsupportedSyntaxError(
                f"`{user_name}` is assigned after the nested function `{fname}`, which reads "
                "it, was passed to a call", self.pf.loc(where),
                hint=f"wengert passes `{fname}` with the value `{user_name}` has there; "
                     f"give the new value another name, or pass `{user_name}` to "
                     f"`{fname}` as an argument")
        return self.names.version(user_name)

    # -- control flow ----------------------------------------------------------

    def stmt_If(self, node) -> None:
        known = self._static_test(node.test)
        if known is not None:          # if hasattr(np, "trapezoid"): only the branch taken
            self.block(node.body if known else node.orelse)
            return
        test = self.atom(node.test)
        body_scope, else_scope = self.scope.copy(), self.scope.copy()
        body = self.lower_block(node.body, body_scope)
        orelse = self.lower_block(node.orelse, else_scope)
        self._merge(body, body_scope, orelse, else_scope, node)
        self.out.append(ir.If(test, body, orelse, self.pf.loc(node)))

    def _static_test(self, test):
        """The value of ``hasattr(M, "name")`` (``not`` of it too) for a module
        or class ``M`` named at module level, known when the function is
        lowered (a compatibility test: ``np.trapezoid`` or ``np.trapz``), else
        None. The branch not taken may name what does not exist."""
        if isinstance(test, gast.UnaryOp) and isinstance(test.op, gast.Not):
            inner = self._static_test(test.operand)
            return None if inner is None else not inner
        if not (isinstance(test, gast.Call) and len(test.args) == 2 and not test.keywords and
                isinstance(test.args[1], gast.Constant) and isinstance(test.args[1].value, str)):
            return None
        if self._static_value(test.func) is not builtins.hasattr:
            return None
        obj = self._static_value(test.args[0])
        if obj is _NOT_STATIC or not isinstance(obj, (types.ModuleType, type)):
            return None
        return hasattr(obj, test.args[1].value)

    def _merge_functions(self, *scopes) -> None:
        for name in sorted(set().union(*(sc.fns for sc in scopes))):
            bound = [sc.fns.get(name) for sc in scopes]
            self.scope.fns[name] = bound[0] if all(b is bound[0] for b in bound) else _CONFLICT

    def _merge(self, body, bscope, orelse, escope, node) -> None:
        """Give every variable the branches disagree on one merged name."""
        self._merge_functions(bscope, escope)
        loc = self.pf.loc(node)
        for user in sorted(set(bscope.env) | set(escope.env)):
            a, b = bscope.env.get(user), escope.env.get(user)
            if a == b:
                self.scope.env[user] = a
                continue
            merged = self.names.version(user)
            if a in self.fresh and b in self.fresh:
                self.fresh.add(merged)
                if a in self.containers or b in self.containers:
                    self.containers.add(merged)
            for block, name, before in ((body, a, self.scope.env.get(user)),
                                        (orelse, b, self.scope.env.get(user))):
                if name is None:
                    # unbound on this path (Python would fail to read it): a
                    # placeholder, so that derivative code, which initialises
                    # adjoints on every path, never reads an unbound name
                    block.append(ir.Assign(ir.Var(merged), ir.NONE, loc))
                    continue
                if name != before and _defined_once_in(block, name):
                    _rename_in_block(block, {name: merged})
                else:
                    block.append(ir.Assign(ir.Var(merged), ir.Var(name), loc))
            self.scope.env[user] = merged

    def stmt_For(self, node) -> None:
        if node.orelse:
            raise UnsupportedSyntaxError("`for ... else`", self.pf.loc(node),
                                         hint="use a flag variable after the loop")
        if not self._is_call_to(node.iter, range):
            self.block(self._index_loop(node))
            return
        iterable = self.atom(node.iter)
        carried = self._carried(node.body, node.target)
        loop_names = self._enter_loop(carried, node)
        target = self._loop_target(node.target)
        body_scope = self.scope.copy()
        body = self.lower_block(node.body, body_scope)
        self._close_loop(body, body_scope, loop_names, node)
        stop = getattr(node, "wengert_stop", None)
        self.out.append(ir.For(target, iterable, body, self.pf.loc(node),
                               stop=self.scope.env.get(stop) if stop else None))

    def stmt_While(self, node) -> None:
        if node.orelse:
            raise UnsupportedSyntaxError("`while ... else`", self.pf.loc(node),
                                         hint="use a flag variable after the loop")
        carried = self._carried(node.body, None)
        loop_names = self._enter_loop(carried, node)
        test_scope = self.scope.copy()
        saved_out, saved_scope = self.out, self.scope
        self.out, self.scope = [], test_scope
        try:
            test = self.atom(node.test)
            test_body = self.out
        finally:
            self.out, self.scope = saved_out, saved_scope
        body_scope = test_scope.copy()
        body = self.lower_block(node.body, body_scope)
        self._close_loop(body, body_scope, loop_names, node)
        stop = getattr(node, "wengert_stop", None)
        self.out.append(ir.While(test_body, test, body, self.pf.loc(node),
                                 stop=self.scope.env.get(stop) if stop else None))

    # -- nested functions and comprehensions -------------------------------------

    def _lift(self, node, name: str) -> LocalFunction:
        """Compile a nested def or lambda as a function of its own."""
        if isinstance(node, gast.Lambda):
            ret = gast.copy_location(gast.Return(value=node.body), node.body)
            body = [ret]
        else:
            body = list(node.body)
            if node.decorator_list:
                raise UnsupportedSyntaxError("a decorated nested function", self.pf.loc(node),
                                             hint="define it at module level")
        args = node.args
        if args.vararg is not None or args.kwarg is not None:
            raise UnsupportedSyntaxError("a nested function with *args or **kwargs",
                                         self.pf.loc(node), hint="list its parameters one by one")
        params = {a.id for a in list(getattr(args, "posonlyargs", []) or []) + list(args.args)
                  + list(args.kwonlyargs)}
        probe = gast.Module(body=body, type_ignores=[])
        loaded, stored = set(), set()
        for n in gast.walk(probe):
            if isinstance(n, gast.Name):
                (stored if isinstance(n.ctx, gast.Store) else loaded).add(n.id)
            if isinstance(n, (gast.Global, gast.Nonlocal)):
                raise UnsupportedSyntaxError("`global`/`nonlocal` in a nested function",
                                             self.pf.loc(n), hint="return the new value instead")
        outer = loaded - params - stored
        if isinstance(node, gast.Lambda) and name in outer:
            raise UnsupportedSyntaxError(
                f"a lambda that calls itself (`{name}`)", self.pf.loc(node),
                hint="define the function at module level (a nested function cannot call "
                     "itself)")
        args, defaults = self._evaluated_defaults(args)
        helpers = []
        for n in sorted(outer & set(self.scope.fns)):
            lf = self.scope.fns[n]       # (a helper reading no variables here: a constant)
            if not isinstance(lf, LocalFunction) or lf.free or lf.consts or lf.defaults or \
                    lf.helpers:
                raise UnsupportedSyntaxError(
                    f"a nested function calling another nested function (`{n}`) that reads "
                    "variables of the function they are in", self.pf.loc(node),
                    hint=f"pass what `{n}` reads to it as arguments, or define the helpers at "
                         "module level")
            helpers.append((n, lf.func))
        outer -= {n for n, _ in helpers}
        free = tuple(sorted(outer & set(self.scope.env)))
        consts = tuple(sorted(n for n in outer - set(self.scope.env) if n in self.pf.closure))
        later = sorted(n for n in outer - set(free) - set(consts) - set(self.scope.fns)
                       if not self.pf.lookup(n)[0] and n in _assigned_names(self.pf.node))
        if later:
            what = "a lambda" if isinstance(node, gast.Lambda) else f"`{name}`"
            raise UnsupportedSyntaxError(
                f"{what} reads `{later[0]}`, which this function assigns only after it is "
                "defined: wengert binds a nested function's variables where it is defined",
                self.pf.loc(node), hint=f"assign `{later[0]}` before the nested function")
        extra = [_g_name(n) for n in free + consts + tuple(n for n, _ in helpers)]
        for a in extra:
            a.ctx = gast.Param()
        new_args = gast.arguments(
            args=list(args.args), posonlyargs=list(getattr(args, "posonlyargs", []) or []),
            vararg=None, kwonlyargs=list(args.kwonlyargs) + extra,
            kw_defaults=list(args.kw_defaults) + [None] * len(extra), kwarg=None,
            defaults=list(args.defaults))
        fields = {"type_params": []} if "type_params" in gast.FunctionDef._fields else {}
        fdef = gast.FunctionDef(name=name, args=new_args, body=body, decorator_list=[],
                                returns=None, type_comment=None, **fields)
        module = gast.Module(body=[gast.copy_location(fdef, node)], type_ignores=[])
        tree = gast.gast_to_ast(module)
        ast.fix_missing_locations(tree)
        source = ast.unparse(tree) + "\n"
        filename = f"<wengert lifted {self.pf.node.name}.{name} #{next(_LIFTED)}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        namespace: dict = {}
        try:
            exec(compile(source, filename, "exec"), self.pf.globals, namespace)
        except Exception as exc:
            raise UnsupportedSyntaxError(
                f"the nested function `{name}` could not be lifted ({exc})", self.pf.loc(node),
                hint="define it at module level") from None
        lifted = namespace[name]
        lifted.__wengert_origin__ = (self.pf.filename, _line_map(tree, source, self.pf))
        return LocalFunction(lifted, free, consts, defaults, tuple(helpers))

    def _evaluated_defaults(self, args):
        """``(args, defaults)``: the defaults that read the enclosing
        function's variables evaluated here, at the ``def`` (``defaults``:
        ``(parameter, value)`` pairs), and ``None`` in their place in ``args``."""
        positional = list(getattr(args, "posonlyargs", []) or []) + list(args.args)
        pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults)) \
            + list(zip(args.kwonlyargs, args.kw_defaults))
        local = [(param, d) for param, d in pairs if d is not None and any(
            isinstance(n, gast.Name) and n.id in self.scope.env for n in gast.walk(d))]
        if not local:
            return args, ()
        defaults = tuple((param.id, self._temp_assign(self.op_expr(d), d)) for param, d in local)
        evaluated = {id(d) for _, d in local}

        def placeholder(d):
            return _g_const(None) if id(d) in evaluated else d
        args = gast.arguments(
            args=list(args.args), posonlyargs=list(getattr(args, "posonlyargs", []) or []),
            vararg=args.vararg, kwonlyargs=list(args.kwonlyargs),
            kw_defaults=[placeholder(d) for d in args.kw_defaults], kwarg=args.kwarg,
            defaults=[placeholder(d) for d in args.defaults])
        return args, defaults

    def _makes_derivative(self, func) -> bool:
        from .. import api
        try:
            return self._static_value(func) in (api.grad, api.value_and_grad)
        except WengertError:
            return False

    def _local_call(self, node) -> ir.Expr:
        lf = self.scope.fns[node.func.id]
        if isinstance(lf, _LocalDerivative):     # g_fn(x) after g_fn = wengert.grad(f)
            return self._derivative_call(gast.copy_location(gast.Call(
                func=lf.call, args=node.args, keywords=node.keywords), node))
        if lf is _CONFLICT:
            raise UnsupportedSyntaxError(
                f"calling `{node.func.id}`, which is defined differently on different paths "
                "(in the branches of an `if` or in a loop)", self.pf.loc(node),
                hint="define each function under its own name and choose between the "
                     "calls with if/else")
        args = tuple(self.atom(a) for a in node.args)
        kwargs = tuple((k.arg, self.atom(k.value)) for k in node.keywords)
        kwargs += tuple((n, self.name_atom(n, node)) for n in lf.free)
        kwargs += lf.constants(self.pf.closure)
        return ir.Op(lf.func, *self._bind_call(lf.func, args, kwargs, node, lf.defaults))

    def _local_function_value(self, name: str, node) -> ir.Atom:
        """A nested def or lambda used as a value (``apply_twice(g, x)``): the
        lifted function, with the variables it reads from this function bound
        as keywords (``runtime.bind_keywords``); called where it is passed, it
        is a call of the lifted function with them (``inline.resolve_methods``)."""
        lf = self.scope.fns[name]
        if isinstance(lf, _LocalDerivative):
            raise UnsupportedSyntaxError(
                f"`{name}`, a derivative made inside this function, used as a value",
                self.pf.loc(node), hint=f"call it here (`{name}(x)`), or make it outside "
                                        "and pass it in as an argument")
        if lf is _CONFLICT:
            raise UnsupportedSyntaxError(
                f"`{name}`, which is defined differently on different paths, used as a value",
                self.pf.loc(node), hint="define each function under its own name and choose "
                                        "between them with if/else where it is passed")
        bound = tuple((n, self.name_atom(n, node)) for n in lf.free) + \
            lf.constants(self.pf.closure) + tuple(lf.defaults)
        if not bound:
            return self._ref(name, lf.func)
        for n in lf.free:                  # read when it runs: their values here must last
            if any(n in carried for carried in self._carried_stack):
                raise UnsupportedSyntaxError(
                    f"the nested function `{name}`, which reads `{n}`, passed to a call in a "
                    f"loop that assigns `{n}`", self.pf.loc(node),
                    hint=f"pass `{n}` to `{name}` as an argument (the helper passing it on): "
                         f"a call kept from an earlier iteration would read a later `{n}`")
            self._captured.setdefault(n, (name, node))
        if id(node) not in self._passed:    # (stored, it would not see later values of them)
            raise UnsupportedSyntaxError(
                f"the nested function `{name}`, which reads {_names(lf.free + lf.consts)} of "
                "the function it is in, used as a value other than an argument of a call",
                self.pf.loc(node),
                hint=f"pass `{name}` straight to the function that calls it "
                     f"(`apply({name}, x)`), or call it here")
        return self._temp_assign(ir.Op(runtime.bind_keywords, (self._ref(name, lf.func),),
                                       bound), node)

    def _list_pop(self, base, node) -> ir.Expr:
        """``v = xs.pop()``: ``xs_1, v = list_pop(xs)``."""
        xs = self.name_atom(base.id, base)
        rest = ir.Var(self.new_version(base.id))
        last = ir.Var(self.names.temp())
        self.out.append(ir.Assign((rest, last), ir.Op(runtime.list_pop, (xs,)), self.pf.loc(node),
                                  store=True))    # (Python changes the list in place)
        if isinstance(xs, ir.Var) and xs.name in self.fresh:
            self.fresh.add(rest.name)             # (still the list made here)
        self.scope.env[base.id] = rest.name
        return last

    def _derivative_call(self, node) -> ir.Expr:
        """``wengert.grad(g, ...)(x)`` inside a differentiated function: the
        derivative is made when this one is built, and called like a function."""
        inner = node.func
        maker = self._static_value(inner.func)
        from .. import api
        if maker is not _NOT_STATIC and maker not in (api.grad, api.value_and_grad) and \
                (getattr(maker, "__module__", "") or "").startswith(
                    ("wengert.api", "wengert.transforms")):     # wengert.hessian(f)(x)
            raise UnsupportedSyntaxError(
                f"calling `{_dotted(inner.func)}` inside a function being differentiated",
                self.pf.loc(inner.func),
                hint="call a derivative made by wengert.grad or wengert.value_and_grad "
                     "(wengert.grad(g)(x)); other operators work on the outside")
        if maker not in (api.grad, api.value_and_grad) or not inner.args:
            raise UnsupportedSyntaxError(
                "calling the result of a call", self.pf.loc(node),
                hint="assign the function to a name first (or call wengert.grad(f)(x))")
        target = inner.args[0]
        free_kwargs, defaults = (), ()
        if isinstance(target, gast.Name) and target.id in self.scope.fns:
            lf = self.scope.fns[target.id]
            if isinstance(lf, _LocalDerivative):
                raise UnsupportedSyntaxError(
                    f"differentiating `{target.id}`, a derivative made inside this function",
                    self.pf.loc(target),
                    hint="differentiate the function itself twice, outside "
                         "(wengert.grad(wengert.grad(f)))")
            if lf is _CONFLICT:
                raise UnsupportedSyntaxError(
                    f"differentiating `{target.id}`, which is defined differently on "
                    "different paths", self.pf.loc(target), hint="give each its own name")
            fn, defaults = lf.func, lf.defaults
            free_kwargs = tuple((n, self.name_atom(n, node)) for n in lf.free) + \
                lf.constants(self.pf.closure)
        elif isinstance(target, gast.Lambda):
            lf = self._lift(target, "lambda_")
            fn, defaults = lf.func, lf.defaults
            free_kwargs = tuple((n, self.name_atom(n, node)) for n in lf.free) + \
                lf.constants(self.pf.closure)
        else:
            fn = self._static_value(target)
            if fn is _NOT_STATIC:
                raise UnsupportedSyntaxError(
                    "differentiating a function that is not known when the derivative is "
                    "built", self.pf.loc(target), hint="pass a function defined with def")
        options = {}
        for k in inner.keywords:
            value = self.op_expr(k.value)
            if not isinstance(value, ir.Const):
                raise UnsupportedSyntaxError(
                    f"a `{k.arg}=` option that is not a constant", self.pf.loc(k.value),
                    hint="write the option as a literal")
            options[k.arg] = value.value
        try:
            derivative = maker(fn, **options)
        except Exception as exc:
            raise UsageError(f"cannot make the derivative: {exc}", self.pf.loc(inner)) from None
        args = tuple(self.atom(a) for a in node.args)
        kwargs = tuple((k.arg, self.atom(k.value)) for k in node.keywords) + free_kwargs
        return ir.Op(derivative, *self._bind_call(fn, args, kwargs, node, defaults))

    def expr_ListComp(self, node) -> ir.Expr:
        return self._comprehension(node)

    def expr_GeneratorExp(self, node) -> ir.Expr:
        return self._comprehension(node)

    def expr_DictComp(self, node) -> ir.Expr:
        return self._comprehension(node)

    def _comprehension(self, node) -> ir.Expr:
        """``[e for t in it if c]`` becomes a loop that appends to a list,
        ``{k: e for t in it}`` one that assigns ``d[k] = e`` in a dict (its
        keys, like every index, carry no derivative). Targets are renamed, so
        they do not leak into the function's scope."""
        mapping = {}
        for gen in node.generators:
            for n in gast.walk(gen.target):
                if isinstance(n, gast.Name):
                    mapping[n.id] = self._synthetic(n.id)
        rename = _Renamer(mapping)
        if isinstance(node, gast.DictComp):
            acc = self._synthetic("entries")
            key = gast.Subscript(value=_g_name(acc), slice=rename.visit(node.key),
                                 ctx=gast.Store())
            inner = gast.Assign(targets=[key], value=rename.visit(node.value), type_comment=None)
            empty = gast.Dict(keys=[], values=[])
        else:
            acc = self._synthetic("items")
            inner = gast.Expr(value=_g_call_method(acc, "append", [rename.visit(node.elt)],
                                                   node))
            empty = gast.List(elts=[], ctx=gast.Load())
        stmt = gast.copy_location(inner, node)
        for gen in reversed(node.generators):
            if getattr(gen, "is_async", 0):
                raise UnsupportedSyntaxError("an async comprehension", self.pf.loc(node))
            for cond in reversed(gen.ifs):
                stmt = gast.copy_location(gast.If(test=rename.visit(cond), body=[stmt],
                                                  orelse=[]), node)
            stmt = gast.copy_location(gast.For(target=rename.visit(gen.target),
                                               iter=rename.visit(gen.iter) if gen is not
                                               node.generators[0] else gen.iter,
                                               body=[stmt], orelse=[], type_comment=None),
                                      node)
        init = _g_assign(acc, empty, node)
        self.block([init, stmt])
        return ir.Var(self.scope.env[acc])

    def expr_Lambda(self, node) -> ir.Expr:
        raise UnsupportedSyntaxError(
            "a lambda used as a value", self.pf.loc(node),
            hint="assign it to a name (f = lambda x: ...) and call it, or use def")

    def _is_call_to(self, node, fn) -> bool:
        return isinstance(node, gast.Call) and \
            self._static_value(node.func) is fn and not node.keywords

    def _call_keywords(self, node, fn, allowed) -> Optional[dict]:
        """The keywords of a call to ``fn`` taking only keywords in ``allowed``
        (``enumerate(xs, start=1)``, ``zip(a, b, strict=True)``), else None."""
        if not (isinstance(node, gast.Call) and self._static_value(node.func) is fn):
            return None
        keywords = {k.arg: k.value for k in node.keywords}
        return keywords if set(keywords) <= set(allowed) else None

    @property
    def _copy_of(self) -> dict:
        """Synthetic names made as copies of the user's variables (a dict
        iterated while the body changes it) -> that variable: messages name it."""
        if "_copies" not in self.__dict__:
            self._copies = {}
        return self._copies

    def _synthetic(self, base: str) -> str:
        """A fresh user-level name for code this stage writes itself."""
        name, i = base, 0
        while name in self.names.taken or name in self.names.avoid:
            i += 1
            name = f"{base}_{i}"
        self.names.avoid.add(name)
        return name

    def _index_loop(self, node) -> list:
        """``for v in xs`` becomes ``for i in range(len(xs)): v = xs[i]``, so
        iterating over arrays, lists and tuples differentiates like indexing;
        ``enumerate`` (with a start), ``zip`` and ``reversed`` compose."""
        pre: list = []
        it, target = node.iter, node.target
        index = None
        if self._is_call_to(it, enumerate) and len(it.args) == 1 and \
                isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == 2 \
                and isinstance(target.elts[0], gast.Name):
            index, target, it = target.elts[0].id, target.elts[1], it.args[0]
        length, element = self._iteration(it, pre, node)
        index = index or self._synthetic("i")
        read = gast.Assign(targets=[target], value=element(_g_name(index)), type_comment=None)
        loop = gast.For(target=_g_name(index, store=True),
                        iter=_g_call(BUILTIN + "range", [length], node),
                        body=[gast.copy_location(read, node)] + list(node.body),
                        orelse=[], type_comment=None)
        gast.copy_location(loop, node)
        if hasattr(node, "wengert_stop"):
            loop.wengert_stop = node.wengert_stop
        return pre + [loop]

    def _iteration(self, it, pre, node):
        """``(length, element)`` for an iterable: ``element(i)`` is the i-th item."""
        rebound = set()
        for stmt in node.body:
            rebound |= _assigned_names(stmt)

        def named(expr, base):
            if isinstance(expr, gast.Name) and expr.id in self.scope.env \
                    and expr.id not in rebound:
                return expr.id          # (a name the body rebinds is read once, first)
            name = self._synthetic(base)
            inner = expr.args[0] if isinstance(expr, gast.Call) and len(expr.args) == 1 and \
                isinstance(expr.func, gast.Name) and expr.func.id == _ITERATED else expr
            if isinstance(inner, gast.Name):  # (a copy of the user's variable, or what a
                self._copy_of[name] = inner.id   # loop reads of it: named as it)
            pre.append(_g_assign(name, expr, node))
            return name
        keywords = self._call_keywords(it, enumerate, ("start",))
        if keywords is not None and len(it.args) + len(keywords) in (1, 2) and it.args:
            length, inner = self._iteration(it.args[0], pre, node)
            start = it.args[1] if len(it.args) == 2 else keywords.get("start")
            start = start if start is None or isinstance(start, gast.Constant) else \
                _g_name(named(start, "start"))
            return length, lambda i: gast.Tuple(
                elts=[i if start is None else _g_binop(i, gast.Add(), start), inner(i)],
                ctx=gast.Load())
        keywords = self._call_keywords(it, zip, ("strict",))
        if keywords is not None and it.args and _constant_flag(keywords.get("strict")):
            parts = [self._iteration(a, pre, node) for a in it.args]
            strict = keywords.get("strict") is not None and keywords["strict"].value
            length = parts[0][0] if len(parts) == 1 or strict else \
                _g_call(BUILTIN + "min", [p[0] for p in parts], node)
            if strict:                # Python raises where the lengths differ
                length = _g_name(named(length, "n"))
                for j, (n, _) in enumerate(parts[1:], start=2):
                    check = gast.copy_location(gast.Assert(
                        test=gast.Compare(left=n, ops=[gast.Eq()], comparators=[length]),
                        msg=_g_const(f"zip() argument {j} has a length different from "
                                     "argument 1's (strict=True)")), node)
                    check.value_error = True         # (a ValueError, as Python's)
                    pre.append(check)
            return length, lambda i: gast.Tuple(elts=[e(i) for _, e in parts], ctx=gast.Load())
        if self._is_call_to(it, reversed) and len(it.args) == 1:
            length, inner = self._iteration(it.args[0], pre, node)
            n = named(length, "n")
            return _g_name(n), lambda i: inner(_g_binop(_g_binop(_g_name(n), gast.Sub(),
                                                                 _g_const(1)), gast.Sub(), i))
        if isinstance(it, gast.Call) and isinstance(it.func, gast.Attribute) and \
                it.func.attr in ("keys", "values", "items") and not it.args and \
                not it.keywords:            # a dict's keys, then its items at them
            d = named(it.func.value, "d")
            keys = named(_g_call(_ITERATED, [_g_name(d)], node), "keys")

            def key(i):
                return gast.Subscript(value=_g_name(keys), slice=i, ctx=gast.Load())

            def value(i):
                return gast.Subscript(value=_g_name(d), slice=key(i), ctx=gast.Load())
            element = {"keys": key, "values": value,
                       "items": lambda i: gast.Tuple(elts=[key(i), value(i)], ctx=gast.Load())}
            return _g_call(BUILTIN + "len", [_g_name(keys)], node), element[it.func.attr]
        if not self._is_call_to(it, range):
            # a dict's keys, where it is one (api.fold_iterations: known kinds)
            it = _g_call(_ITERATED, [it], node)
        seq = named(it, "seq")
        return (_g_call(BUILTIN + "len", [_g_name(seq)], node),
                lambda i: gast.Subscript(value=_g_name(seq), slice=i, ctx=gast.Load()))

    def _carried(self, body_nodes, target) -> list:
        assigned = set()
        for n in body_nodes:
            assigned |= _assigned_names(n)
        if target is not None:
            assigned -= _assigned_names_target(target)
        return sorted(assigned)

    def _enter_loop(self, carried, node) -> dict:
        """Give each loop-carried variable its loop name, copying in its value."""
        loop_names = {}
        loc = self.pf.loc(node)
        self._carried_stack.append(set(carried))
        for user in carried:
            name = self.new_version(user)
            before = self.scope.env.get(user)
            if before is not None:
                self.out.append(ir.Assign(ir.Var(name), ir.Var(before), loc))
                if before in self.fresh:
                    self.fresh.add(name)
                if before in self.containers:
                    self.containers.add(name)
            elif not _first_assignment_unconditional(node.body, user):
                # assigned on some paths only: give it a value, so that joining
                # branches never reads an unbound name (Python would not read it)
                self.out.append(ir.Assign(ir.Var(name), ir.NONE, loc))
            loop_names[user] = name
            self.scope.env[user] = name
        return loop_names

    def _close_loop(self, body, body_scope, loop_names, node) -> None:
        self._carried_stack.pop()
        loc = self.pf.loc(node)
        self._merge_functions(Scope(fns=self.scope.fns), body_scope)
        for user, name in loop_names.items():
            last = body_scope.env.get(user)
            if last is not None and last != name:
                body.append(ir.Assign(ir.Var(name), ir.Var(last), loc, carry=True))
            self.scope.env[user] = name

    def _loop_target(self, target):
        if isinstance(target, gast.Name):
            prev = self.scope.env.get(target.id)
            var = ir.Var(self.new_version(target.id))
            if prev is not None:        # a loop that never runs leaves it unchanged
                self.out.append(ir.Assign(var, ir.Var(prev), self.pf.loc(target)))
            self.scope.env[target.id] = var.name
            return var
        if isinstance(target, (gast.Tuple, gast.List)) and \
                all(isinstance(e, gast.Name) for e in target.elts):
            out = []
            for e in target.elts:
                out.append(ir.Var(self.new_version(e.id)))
                self.scope.env[e.id] = out[-1].name
            return tuple(out)
        raise UnsupportedSyntaxError("this loop target", self.pf.loc(target),
                                     hint="loop over plain names (`for i, v in ...`)")

    # -- expressions -------------------------------------------------------------

    def atom(self, node) -> ir.Atom:
        """Lower ``node`` to an atom, emitting temporaries for its operations."""
        e = self.op_expr(node)
        if ir.is_atom(e):
            return e
        var = ir.Var(self.names.temp())
        self.out.append(ir.Assign(var, e, self.pf.loc(node)))
        return var

    def op_expr(self, node) -> ir.Expr:
        """Lower ``node`` to an atom or one operation whose operands are atoms."""
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            what, hint = UNSUPPORTED_EXPRS.get(
                type(node), (f"the expression `{type(node).__name__}`", None))
            raise UnsupportedSyntaxError(f"{what} is not supported", self.pf.loc(node),
                                         hint=hint)
        return method(node)

    def expr_Constant(self, node) -> ir.Expr:
        if isinstance(node.value, complex):
            raise UnsupportedSyntaxError(
                "a complex number", self.pf.loc(node),
                hint="wengert differentiates real-valued code; split real and imaginary "
                     "parts into separate real variables")
        return ir.Const(node.value)

    def expr_Name(self, node) -> ir.Expr:
        return self.name_atom(node.id, node)

    def name_atom(self, name: str, node) -> ir.Atom:
        if name in self.scope.env:
            return ir.Var(self.scope.env[name])
        if name in self.scope.fns:
            return self._local_function_value(name, node)
        found, value = self.pf.lookup(name)
        if not found:
            raise UnsupportedSyntaxError(
                f"the name `{name}` is not defined (or is used before it is assigned)",
                self.pf.loc(node), hint="define it before this line")
        if _is_static(value):
            return self._ref(name, value)
        return self._free_data(name, value)

    def _ref(self, name: str, value) -> ir.Const:
        """A module, function or class referenced by name."""
        bound = self.ns.bind(name, value)
        self.ns.spell_as(value, bound)
        return ir.Const(value)

    def _free_data(self, name: str, value) -> ir.Var:
        """A global or closure variable read as data: inactive, read live."""
        kind = "closure" if name in self.pf.closure else "global"
        self.free[name] = kind
        # a derivative differentiated again: generated code binds the values it
        # freezes in its globals and reads the user's module through __builtins__
        generated = self.pf.globals.get("__name__") == "wengert.generated"
        if kind == "closure" or (generated and name in self.pf.globals):
            self.ns.bindings[name] = value
        elif generated:
            self.ns.live_globals = self.pf.builtins
        else:
            self.ns.live_globals = self.pf.globals
        self.names.reserve(name)
        return ir.Var(name)

    def expr_BinOp(self, node) -> ir.Expr:
        fn = BINOPS[type(node.op)]
        return ir.Op(fn, (self.atom(node.left), self.atom(node.right)))

    def expr_UnaryOp(self, node) -> ir.Expr:
        operand = self.atom(node.operand)
        if isinstance(operand, ir.Const) and isinstance(node.op, gast.USub) \
                and isinstance(operand.value, (int, float)):
            return ir.Const(-operand.value)
        return ir.Op(UNARYOPS[type(node.op)], (operand,))

    def expr_Compare(self, node) -> ir.Expr:
        if len(node.ops) > 1:
            return self.op_expr(_chain_to_boolop(node))
        left = self.atom(node.left)
        right = self.atom(node.comparators[0])
        op = type(node.ops[0])
        if op is gast.In:
            return ir.Op(operator.contains, (right, left))
        if op is gast.NotIn:
            inside = self._temp_assign(ir.Op(operator.contains, (right, left)), node)
            return ir.Op(operator.not_, (inside,))
        return ir.Op(CMPOPS[op], (left, right))

    def _temp_assign(self, value: ir.Expr, node) -> ir.Var:  # noqa: D102
        var = ir.Var(self.names.temp())
        self.out.append(ir.Assign(var, value, self.pf.loc(node)))
        return var

    def expr_BoolOp(self, node) -> ir.Expr:
        """``a and b`` evaluates ``b`` only when ``a`` is true: an ``if``."""
        first = self.atom(node.values[0])
        rest = node.values[1:]
        inner = rest[0] if len(rest) == 1 else gast.copy_location(
            gast.BoolOp(op=node.op, values=rest), rest[0])
        result = ir.Var(self.names.temp())
        loc = self.pf.loc(node)
        evaluated = self._branch_value(inner, result)
        kept = [ir.Assign(result, first, loc)]
        if isinstance(node.op, gast.And):
            self.out.append(ir.If(first, evaluated, kept, loc))
        else:
            self.out.append(ir.If(first, kept, evaluated, loc))
        return result

    def _branch_value(self, node, result: ir.Var) -> list:
        """Statements that compute ``node`` into ``result`` (for one branch)."""
        saved_out = self.out
        self.out = []
        try:
            value = self.op_expr(node)
            self.out.append(ir.Assign(result, value, self.pf.loc(node)))
            return self.out
        finally:
            self.out = saved_out

    def expr_IfExp(self, node) -> ir.Expr:
        test = self.atom(node.test)
        result = ir.Var(self.names.temp())
        self.out.append(ir.If(test, self._branch_value(node.body, result),
                              self._branch_value(node.orelse, result), self.pf.loc(node)))
        return result

    def expr_Tuple(self, node) -> ir.Expr:
        elts = tuple(self.atom(e) for e in node.elts)
        if all(isinstance(e, ir.Const) for e in elts):
            return ir.Const(tuple(e.value for e in elts))     # axis=(0, 1)
        return ir.Op(ir.MAKE_TUPLE, elts)

    def expr_Dict(self, node) -> ir.Expr:
        keys = []
        for k in node.keys:
            if not (isinstance(k, gast.Constant) and type(k.value) in (str, int, bool, float)):
                raise UnsupportedSyntaxError(
                    "a dict display whose keys are not constants" if k is not None else
                    "`**` unpacking in a dict display", self.pf.loc(k or node),
                    hint="use constant keys: {'w': w, 'b': b}")
            keys.append(k.value)
        return ir.Op(ir.MakeDict(keys), tuple(self.atom(v) for v in node.values))

    def expr_List(self, node) -> ir.Expr:
        return ir.Op(ir.MAKE_LIST, tuple(self.atom(e) for e in node.elts))

    def expr_Slice(self, node) -> ir.Expr:
        parts = tuple(self.atom(p) if p is not None else ir.NONE
                      for p in (node.lower, node.upper, node.step))
        if all(isinstance(p, ir.Const) for p in parts):
            return ir.Const(slice(*(p.value for p in parts)))
        return ir.Op(ir.SLICE, parts)

    def expr_Subscript(self, node) -> ir.Expr:
        value = self.atom(node.value)
        index = self._index(node.slice)
        return ir.Op(operator.getitem, (value, index))

    def _index(self, node) -> ir.Atom:
        if isinstance(node, gast.Tuple):
            parts = tuple(self._index_part(e) for e in node.elts)
            if all(isinstance(p, ir.Const) for p in parts):
                return ir.Const(tuple(p.value for p in parts))
            return self._temp_assign(ir.Op(ir.MAKE_TUPLE, parts), node)
        return self._index_part(node)

    def _index_part(self, node) -> ir.Atom:
        e = self.op_expr(node)
        if ir.is_atom(e):
            return e
        return self._temp_assign(e, node)

    def expr_Attribute(self, node) -> ir.Expr:
        static = self._static_value(node)
        if static is not _NOT_STATIC:
            return self._static_expr(node, static)
        base = self.atom(node.value)
        return ir.Op(ir.Attr(node.attr), (base,))

    def expr_Call(self, node) -> ir.Expr:
        for a in node.args:
            if isinstance(a, gast.Starred):
                raise UnsupportedSyntaxError("star-arguments (*args) in a call",
                                             self.pf.loc(a), hint="pass the arguments one by one")
        for k in node.keywords:
            if k.arg is None:
                raise UnsupportedSyntaxError("keyword unpacking (**kwargs) in a call",
                                             self.pf.loc(node), hint="pass the keywords one by one")
        self._refuse_writing_call(node)
        self._refuse_method_in_place(node)
        self._passed.update(id(a) for a in list(node.args) + [k.value for k in node.keywords]
                            if isinstance(a, gast.Name))
        func = node.func
        if isinstance(func, gast.Name) and func.id == _ITERATED:   # (lowering's own)
            return ir.Op(runtime.iterated, tuple(self.atom(a) for a in node.args))
        if isinstance(func, gast.Name) and func.id in self.scope.fns \
                and func.id not in self.scope.env:
            return self._local_call(node)
        if isinstance(func, gast.Attribute) and func.attr == "pop" and not node.args \
                and not node.keywords and self._is_local(func.value):
            return self._list_pop(func.value, node)
        if isinstance(func, gast.Call):
            return self._derivative_call(node)
        if (isinstance(func, gast.Name) and self._object_name(func.id)) or \
                isinstance(func, gast.Subscript):
            # an object called (layers[-1](x) too): its class's __call__ once its
            # class is known
            args = (self.atom(func),) + tuple(self.atom(a) for a in node.args)
            kwargs = tuple((k.arg, self.atom(k.value)) for k in node.keywords)
            return ir.Op(ir.Method("__call__"), args, kwargs)
        if isinstance(func, gast.Attribute) and self._static_value(func) is _NOT_STATIC:
            self._refuse_method_of_type(node)
            base = self.atom(func.value)
            args = (base,) + tuple(self.atom(a) for a in node.args)
            kwargs = tuple((k.arg, self.atom(k.value)) for k in node.keywords)
            return ir.Op(ir.Method(func.attr), args, kwargs)
        fn = self._callee_object(func)
        if fn is builtins.super and not node.args and not node.keywords and \
                isinstance(self.pf.closure.get("__class__"), type) and \
                getattr(self, "first_param", None) in self.scope.env:
            # super() in a method: super(TheClass, self), whose methods the class
            # of self resolves (inline.resolve_methods)
            return ir.Op(builtins.super, (ir.Const(self.pf.closure["__class__"]),
                                          self.name_atom(self.first_param, node)))
        self._refuse_sort_key(fn, node)
        idiom = self._idiom(fn, node)
        if idiom is not None:
            return idiom
        if fn is runtime.setitem_into:      # generated code, differentiated again:
            fn = runtime.setitem            # values, not updates, in the Wengert list
        if fn is np.einsum and len(node.args) >= 2 and \
                isinstance(node.args[1], (gast.List, gast.Tuple)):
            raise NoRuleError(
                "the sublist form of `np.einsum` (operands each followed by a list of axis "
                "numbers)", self.pf.loc(node),
                hint="write the subscripts as a string: np.einsum(x, [0], A, [0, 1], [1]) is "
                     "np.einsum('i,ij->j', x, A)")
        args = tuple(self.atom(a) for a in node.args)
        kwargs = tuple((k.arg, self.atom(k.value)) for k in node.keywords)
        while isinstance(fn, functools.partial) and callable(fn.func) and \
                not _is_rule_target(fn) and \
                not isinstance(fn, analysis.FUNCTION_TYPES):   # (a Derivative is one)
            # k = partial(rate, A=2e3); k(T): rate(T, A=2e3)
            given = dict(kwargs)
            args = tuple(ir.Const(a) for a in fn.args) + args
            kwargs = tuple((k, ir.Const(v)) for k, v in fn.keywords.items()
                           if k not in given) + kwargs
            fn = fn.func
        if fn in (builtins.max, builtins.min) and not kwargs and len(args) != 2 and args:
            return self._extreme(fn, args, node)
        given = dict(kwargs)
        if fn in (np.array, np.asarray) and len(args) + len(kwargs) >= 2 and \
                len(args) <= 2 and set(given) <= {"dtype", "copy"} and \
                not (len(args) == 2 and "dtype" in given) and \
                type(getattr(given.get("copy"), "value", None)) in (bool, type(None)):
            # np.array(x, dtype=float), np.array(x, copy=None), np.asarray(x, float)
            dtype = args[1] if len(args) == 2 else given.get("dtype", ir.NONE)
            copy = given["copy"].value if "copy" in given else fn is np.array
            if dtype == ir.NONE:       # (copy=None or False: x itself where it can be)
                return ir.Op(np.array if copy is True else np.asarray, args[:1])
            array = self._temp_assign(ir.Op(np.asarray, args[:1]), node)
            if copy is True:
                return ir.Op(ir.Method("astype"), (array, dtype))     # (a copy, as np.array's)
            # the array itself where it has that dtype already
            return ir.Op(ir.Method("astype"), (array, dtype), (("copy", ir.Const(False)),))
        if fn is np.linalg.svd and _svdvals_call(args, kwargs):
            return ir.Op(np.linalg.svdvals, args[:1])     # the same values, its own rule
        if fn is runtime.items_adjoint and len(args) >= 3 and isinstance(args[1], ir.Const):
            return self._items_adjoint(args, node)
        if isinstance(fn, types.FunctionType) and not _is_rule_target(fn):
            return ir.Op(fn, *self._bind_call(fn, args, kwargs, node))
        from ..custom import CustomJVP, CustomVJP
        if isinstance(fn, (CustomVJP, CustomJVP)):   # its rules take arguments by position
            return ir.Op(fn, *fn.bind_arguments(args, kwargs, self.pf.loc(node)))
        return ir.Op(fn, args, kwargs)

    # -- builtins written out as the forms that differentiate already ----------

    def _idiom(self, fn, node) -> Optional[ir.Expr]:
        """``pow(x, y)`` is ``x ** y``; ``zip``, ``enumerate``, ``map`` and
        ``filter`` are the lists of their items (comprehensions, so loops);
        ``functools.reduce`` is a loop; a dict view passed to ``sum``, ``list``,
        ``max``, ... is the list of its items, and ``dict(zip(ks, vs))``,
        ``dict(d.items())`` are dict comprehensions. None: a call as it is."""
        if fn is builtins.pow:
            return self._pow(node)
        if fn is functools.reduce:
            return self._reduce(node)
        if any(fn is f for f in _LAZY):
            return self.op_expr(self._lazy_list(node, refuse=True))
        if not node.args or not any(fn is f for f in _CONSUMERS):
            return None
        arg = node.args[0]
        if fn in (builtins.list, builtins.tuple) and len(node.args) == 1 and \
                not node.keywords and isinstance(arg, gast.Call) and \
                self._call_keywords(arg, reversed, ()) == {} and len(arg.args) == 1:
            # list(reversed(xs)) is list(xs[::-1]): the same items, last first
            backwards = gast.copy_location(gast.Subscript(
                value=arg.args[0], slice=gast.Slice(lower=None, upper=None,
                                                    step=_g_const(-1)),
                ctx=gast.Load()), arg)
            return self.op_expr(gast.copy_location(gast.Call(
                func=node.func, args=[backwards], keywords=[]), node))
        if fn is builtins.list and len(node.args) == 1 and not node.keywords:
            items = self._lazy_list(arg)         # list(zip(a, b)): the comprehension itself
            return None if items is None else self.op_expr(items)
        if fn is builtins.dict:
            if node.keywords or len(node.args) != 1 or \
                    not (_view_method(arg) == "items" or self._iterates_as_loop(arg)):
                return None
            k, v = self._synthetic("k"), self._synthetic("v")
            return self.op_expr(gast.copy_location(gast.DictComp(
                key=_g_name(k), value=_g_name(v), generators=[_g_for(
                    gast.Tuple(elts=[_g_name(k, True), _g_name(v, True)], ctx=gast.Store()),
                    arg)]), node))
        if not any(_view_method(a) is not None for a in node.args):
            return None
        args = [self._lazy_list(a) if _view_method(a) is not None else a for a in node.args]
        return self.op_expr(gast.copy_location(gast.Call(func=node.func, args=args,
                                                         keywords=node.keywords), node))

    def _iterates_as_loop(self, node) -> bool:
        """Whether ``node`` is a ``zip(...)`` or ``enumerate(...)`` that a loop
        takes as it is (``_iteration``)."""
        zip_keywords = self._call_keywords(node, zip, ("strict",))
        if zip_keywords is not None:
            return bool(node.args) and _constant_flag(zip_keywords.get("strict"))
        keywords = self._call_keywords(node, enumerate, ("start",))
        return keywords is not None and 1 <= len(node.args) <= 2 and \
            len(node.args) + len(keywords) <= 2

    def _lazy_list(self, node, refuse=False) -> Optional[gast.ListComp]:
        """The items of ``zip(...)``, ``enumerate(...)``, ``map(f, ...)``,
        ``filter(f, xs)`` or ``d.keys()``/``d.values()``/``d.items()`` as a
        list comprehension (the forms loops take), else None (``refuse``:
        an error saying what to write instead)."""
        if _view_method(node) is not None or self._iterates_as_loop(node):
            t = self._synthetic("item")
            return gast.copy_location(gast.ListComp(
                elt=_g_name(t), generators=[_g_for(_g_name(t, True), node)]), node)
        fn = self._callee_value(node.func) if isinstance(node, gast.Call) else None
        if (fn is builtins.map or fn is builtins.filter) and not node.keywords and \
                len(node.args) >= 2 and (fn is builtins.map or len(node.args) == 2):
            f, its = node.args[0], node.args[1:]
            names = [self._synthetic("item") for _ in its]
            target = _g_name(names[0], True) if len(its) == 1 else gast.Tuple(
                elts=[_g_name(n, True) for n in names], ctx=gast.Store())
            it = its[0] if len(its) == 1 else gast.copy_location(
                gast.Call(func=_g_name(BUILTIN + "zip"), args=list(its), keywords=[]), node)
            if fn is builtins.map:
                elt = self._applied(f, names, node)
                if elt is not None:
                    return gast.copy_location(gast.ListComp(
                        elt=elt, generators=[_g_for(target, it)]), node)
            else:
                keep = _g_name(names[0]) if _is_none(f) else self._applied(f, names, node)
                if keep is not None:
                    return gast.copy_location(gast.ListComp(
                        elt=_g_name(names[0]), generators=[_g_for(target, it, [keep])]), node)
        if not refuse:
            return None
        name = getattr(fn, "__name__", "this call")
        raise UnsupportedSyntaxError(
            f"`{name}(...)` in this form", self.pf.loc(node),
            hint="write a list comprehension or a loop: `[f(x) for x in xs]` for `map(f, xs)`, "
                 "`[x for x in xs if f(x)]` for `filter(f, xs)`, `for a, b in zip(xs, ys):` "
                 "(map and filter take a function named at module level, an attribute such "
                 "as `np.sin`, a local function, or a lambda written in the call)")

    def _applied(self, f, names, node):
        """``f(*names)`` as an expression: a lambda's body with its parameters
        named so, another function called; None for a function that an
        expression computes (``map(make(), xs)`` would compute it once)."""
        if isinstance(f, gast.Lambda):
            a = f.args
            params = [p.id for p in a.posonlyargs + a.args]
            if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or len(params) != len(names):
                return None
            return _Renamer(dict(zip(params, names))).visit(copy.deepcopy(f.body))
        if not isinstance(f, (gast.Name, gast.Attribute)):
            return None
        return gast.copy_location(gast.Call(func=f, args=[_g_name(n) for n in names],
                                            keywords=[]), node)

    def _pow(self, node) -> ir.Expr:
        """``pow(x, y)`` is ``x ** y`` (three-argument ``pow`` is modular
        arithmetic on integers: refused)."""
        given = dict(zip(("base", "exp", "mod"), node.args))
        given.update((k.arg, k.value) for k in node.keywords)
        if len(node.args) > 3 or not {"base", "exp"} <= set(given) <= {"base", "exp", "mod"}:
            raise UsageError("bad call to `pow`: it takes `pow(base, exp)`", self.pf.loc(node))
        if "mod" in given and not _is_none(given["mod"]):
            raise UnsupportedSyntaxError(
                "three-argument `pow(x, y, mod)` (modular exponentiation of integers, which "
                "has no derivative)", self.pf.loc(node),
                hint="compute it outside the differentiated function, or, on floats, write "
                     "`x ** y % m`")
        return ir.Op(operator.pow, (self.atom(given["base"]), self.atom(given["exp"])))

    def _reduce(self, node) -> ir.Expr:
        """``functools.reduce(f, xs, init)`` is the loop ``acc = init; for x in
        xs: acc = f(acc, x)``; without ``init``, ``acc = xs[0]`` and the loop
        runs over ``xs[1:]``."""
        acc, item = self._synthetic("acc"), self._synthetic("item")
        step = self._applied(node.args[0], [acc, item], node) \
            if len(node.args) in (2, 3) and not node.keywords else None
        if step is None:
            raise UnsupportedSyntaxError(
                "`functools.reduce(...)` in this form", self.pf.loc(node),
                hint="write the loop: `acc = init` then `for x in xs: acc = f(acc, x)` "
                     "(reduce takes a function named at module level, an attribute such as "
                     "`operator.add`, a local function, or a lambda of two parameters "
                     "written in the call)")
        seq = node.args[1]
        if len(node.args) == 3:
            first = _g_assign(acc, node.args[2], node)
        else:
            if not (isinstance(seq, gast.Name) and seq.id in self.scope.env):
                name = self._synthetic("seq")
                self.block([_g_assign(name, seq, node)])
                seq = _g_name(name)
            first = _g_assign(acc, gast.Subscript(value=seq, slice=_g_const(0),
                                                  ctx=gast.Load()), node)
            seq = gast.Subscript(value=seq, slice=gast.Slice(
                lower=_g_const(1), upper=None, step=None), ctx=gast.Load())
        loop = gast.copy_location(gast.For(
            target=_g_name(item, True), iter=seq, body=[_g_assign(acc, step, node)],
            orelse=[], type_comment=None), node)
        self.block([first, loop])
        return ir.Var(self.scope.env[acc])

    def _items_adjoint(self, args, node) -> ir.Expr:
        """Generated code differentiated again: ``items_adjoint(x, keys, *ts)``
        as what it computes, the sum of ``getitem_adjoint(t, x, key)`` for
        each item (functions with rules)."""
        x, keys, ts = args[0], args[1].value, args[2:]
        terms = [self._temp_assign(ir.Op(runtime.getitem_adjoint, (t, x, ir.Const(k))), node)
                 for k, t in zip(keys, ts)]
        for term in terms[1:-1]:
            terms[0] = self._temp_assign(ir.Op(runtime.accumulate, (terms[0], term)), node)
        return ir.Op(runtime.accumulate, (terms[0], terms[-1])) if len(terms) > 1 else terms[0]

    def _extreme(self, fn, args, node) -> ir.Expr:
        """``max(a, b, c)`` as ``max(max(a, b), c)`` (ties keep the first, as
        the builtin does); ``max(xs)`` as the item it returns,
        ``xs[extreme_index(xs, True)]``, whose derivative is the getitem's."""
        if len(args) == 1:
            index = self._temp_assign(ir.Op(runtime.extreme_index,
                                            (args[0], ir.Const(fn is builtins.max))), node)
            return ir.Op(operator.getitem, (args[0], index))
        acc = args[0]
        for a in args[1:-1]:
            acc = self._temp_assign(ir.Op(fn, (acc, a)), node)
        return ir.Op(fn, (acc, args[-1]))

    def _bind_call(self, fn, args, kwargs, node, evaluated=()):
        """Desugar keywords and defaults of a call to a user function
        (``evaluated``: defaults evaluated at a nested function's ``def``)."""
        try:
            sig = inspect.signature(fn, follow_wrapped=False)
            bound = sig.bind(*args, **dict(kwargs))
        except (TypeError, ValueError) as exc:
            raise UsageError(f"bad call to `{fn.__name__}`: {exc}", self.pf.loc(node)) from None
        pos, kw = [], []
        for p in sig.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                module = getattr(fn, "__module__", None) or ""
                if _library(module):      # (not the user's helper: a rule is the way)
                    raise NoRuleError(
                        f"no derivative rule for `{module}.{fn.__qualname__}` (a library "
                        "function: wengert differentiates library functions by their "
                        "rules only)", self.pf.loc(node),
                        hint=f"register one with @wengert.defrule({fn.__name__}) (see "
                             "docs/rules.md), or wrap the result in wengert.stop_gradient"
                             "(...) if it should not be differentiated")
                if getattr(fn, "__wrapped__", None) is not None:    # @functools.wraps
                    raise UnsupportedSyntaxError(
                        f"calling `{fn.__name__}`, wrapped by a decorator whose wrapper takes "
                        "*args or **kwargs", self.pf.loc(node),
                        hint=f"call the undecorated function (`{fn.__name__}.__wrapped__` is "
                             "it) if the decorator does not change the result, or give the "
                             "wrapper the function's own parameters")
                raise UnsupportedSyntaxError(
                    f"calling `{fn.__name__}`, which takes *args or **kwargs",
                    self.pf.loc(node), hint="give the helper explicit parameters")
            value = bound.arguments[p.name] if p.name in bound.arguments \
                else dict(evaluated).get(p.name, ir.Const(p.default))
            if p.kind == p.KEYWORD_ONLY:
                kw.append((p.name, value))
            else:
                pos.append(value)
        return tuple(pos), tuple(kw)

    def _callee_object(self, func):
        value = self._static_value(func)
        if value is _NOT_STATIC:
            if isinstance(func, gast.Name) and func.id in self.scope.env:
                raise UnsupportedSyntaxError(
                    f"calling the local variable `{func.id}`", self.pf.loc(func),
                    hint="call a function defined at module level")
            if isinstance(func, gast.Name) and not self.pf.lookup(func.id)[0]:
                if self.pf.origin is not None and func.id == self.pf.node.name:
                    raise UnsupportedSyntaxError(      # (lowering a lifted nested def)
                        f"the nested function `{func.id}` calls itself: a nested function "
                        "calling itself (recursion) is not supported", self.pf.loc(func),
                        hint=f"define `{func.id}` at module level, where it can call itself, "
                             "passing what it reads of the enclosing function as arguments")
                raise UnsupportedSyntaxError(
                    f"the name `{func.id}` is not defined here", self.pf.loc(func),
                    hint="define the function at module level (a nested function cannot "
                         "call itself or another nested function)")
            if isinstance(func, gast.Lambda):
                raise UnsupportedSyntaxError(
                    "a lambda called where it is written (`(lambda ...)(...)`)",
                    self.pf.loc(func),
                    hint="assign it to a name first (`g = lambda t: ...`, then `g(x)`), or "
                         "define it with def")
            if isinstance(func, gast.Attribute):       # (a statement: see stmt_Expr)
                raise self._discarded_method_error(func)
            raise UnsupportedSyntaxError("this kind of call", self.pf.loc(func),
                                         hint="call a named function")
        if not callable(value):
            raise UsageError(f"`{_dotted(func)}` is not callable", self.pf.loc(func))
        try:
            hash(value)
        except TypeError:              # np.poly1d, np.polynomial.Polynomial: library
            raise NoRuleError(         # objects called, with no rule of their own
                f"calling `{_dotted(func)}`, a {type(value).__module__}."
                f"{type(value).__qualname__} object", self.pf.loc(func),
                hint="wengert differentiates library calls by their rules: evaluate it "
                     "with a NumPy function on its data (`np.polyval(p.coeffs, x)` for a "
                     "np.poly1d, `np.polynomial.polynomial.polyval(x, p.coef)` for a "
                     "Polynomial) or write the function out in Python") from None
        import builtins as _b
        if value in (_b.eval, _b.exec, _b.compile, _b.globals, _b.locals, _b.vars,
                     _b.setattr, _b.delattr, _b.input, _b.open):
            raise UnsupportedSyntaxError(
                f"calling `{_dotted(func)}` inside a function being differentiated",
                self.pf.loc(func),
                hint="code run by eval/exec (or reached through globals/setattr) cannot be "
                     "differentiated: write it out in the function")
        if (getattr(value, "__module__", "") or "").startswith(("wengert.api", "wengert.transforms")):
            raise UnsupportedSyntaxError(
                f"calling `{_dotted(func)}` inside a function being differentiated", self.pf.loc(func),
                hint="call a derivative made by wengert.grad or wengert.value_and_grad "
                     "(wengert.grad(g)(x)); other operators work on the outside")
        self._static_expr(func, value)
        if isinstance(value, functools._lru_cache_wrapper) and \
                isinstance(getattr(value, "__wrapped__", None), types.FunctionType):
            return value.__wrapped__      # @functools.lru_cache/cache: the same values
        return value

    def _object_name(self, name: str) -> bool:
        """Whether a call of ``name`` calls an object: a parameter, or module or
        closure data that is an instance with a ``__call__`` written in Python."""
        if name in self.scope.fns:
            return False
        if name in self.scope.env:         # a local: its class may be known when the
            return True                    # derivative is built (a loop over layers)
        found, value = self.pf.lookup(name)
        return found and _callable_object(value)

    def _refuse_method_of_type(self, call) -> None:
        """``type(obj).method(obj, x)``: refused, naming what to write instead
        (``obj.method(x)``, whose class is then known), not as a call of ``type``."""
        func = call.func
        inner = func.value
        if not (isinstance(inner, gast.Call) and len(inner.args) == 1 and
                not inner.keywords and self._static_value(inner.func) is builtins.type):
            return
        obj = _source_text(inner.args[0])
        rest = call.args[1:] if call.args and _source_text(call.args[0]) == obj else None
        written = ", ".join([_source_text(a) for a in rest] +
                            [f"{k.arg}={_source_text(k.value)}" for k in call.keywords]) \
            if rest is not None else "..."
        raise UnsupportedSyntaxError(
            f"calling the method `{func.attr}` through `type({obj})` "
            f"(`type({obj}).{func.attr}(...)`) is not supported", self.pf.loc(call),
            hint=f"call it on the object: `{obj}.{func.attr}({written})` (its class is then "
                 f"known where `{obj}` is an argument, module data or an item of one)")

    def _refuse_sort_key(self, fn, node) -> None:
        """``sorted(xs, key=...)``, ``max(xs, key=...)``: the rules take no
        ``key=``; refused before a lambda passed as the key is (whose own
        message would send the user to a named function, refused the same)."""
        if fn not in (builtins.sorted, builtins.min, builtins.max):
            return
        key = next((k.value for k in node.keywords if k.arg == "key"), None)
        if key is None:
            return
        from ..rules import registry
        rule = registry.lookup(fn)
        if rule is not None and "key" in rule.params:
            return                                  # (a rule of the user's that takes it)
        if len(node.args) == 1 and isinstance(node.args[0], gast.Name):
            xs, first = node.args[0].id, ""
        else:                                       # (max(a, b, key=f): of the list)
            xs = "xs"
            seq = _source_text(node.args[0]) if len(node.args) == 1 else \
                "[" + ", ".join(_source_text(a) for a in node.args) + "]"
            first = f"`xs = {seq}`, then "
        if isinstance(key, gast.Lambda) and len(key.args.args) == 1 and \
                not key.args.defaults and not key.args.kwonlyargs:
            v, keyed = key.args.args[0].id, _source_text(key.body)
        else:
            v, keyed = "v", f"{_source_text(key)}(v)"
        reverse = any(k.arg == "reverse" for k in node.keywords)
        keys = f"[-({keyed}) for {v} in {xs}]" if reverse else f"[{keyed} for {v} in {xs}]"
        if fn is builtins.sorted:
            instead = (f"sort the values themselves (`sorted({xs})`, `sorted({xs}, "
                       "reverse=True)`), or compute the order of the keys with np.argsort "
                       f"and index: {first}`ys = [{xs}[i] for i in "
                       f"np.argsort({keys}, kind=\"stable\")]`")
        else:
            arg = "argmax" if fn is builtins.max else "argmin"
            instead = (f"find the position of the extreme key with np.{arg} and index: "
                       f"{first}`y = {xs}[int(np.{arg}({keys}))]`")
        raise NoRuleError(
            f"the keyword argument `key=` of `{fn.__name__}` is not supported by its derivative "
            "rule", self.pf.loc(node), hint=instead)

    def _discarded_method_error(self, func) -> WengertError:
        """The refusal of ``obj.method(...)`` as a statement, where ``obj`` is
        not a local name: a list of module data (``LOG.append(v)``), an item
        of a container (``d["a"].append(v)``), an attribute (``o.xs.append(v)``)."""
        method, obj = func.attr, _source_text(func.value)
        loc = self.pf.loc(func)
        root = func.value
        while isinstance(root, (gast.Attribute, gast.Subscript)):
            root = root.value
        if isinstance(func.value, gast.Name):           # module data (or a closure's)
            found, value = self.pf.lookup(func.value.id)
            if found and isinstance(value, list) and method in ("append", "extend", "pop"):
                how = "pop()" if method == "pop" else f"{method}(...)"
                new = obj.lower() if obj.lower() != obj else f"new_{obj}"
                return UnsupportedSyntaxError(
                    f"`{obj}.{how}` changes `{obj}`, a list from outside the function (an "
                    "argument or module data)", loc,
                    hint=f"Python would change the module's list too, the derivative would "
                         f"not: build a new list under a name of this function (`{new} = "
                         f"{obj} + [v]`, `{new} = {obj}[:-1]`) and return it, or copy it "
                         f"first (`{new} = list({obj})`, then `{new}.{method}(...)`)")
            instead = mutating.method_hint(method)
            return UnsupportedSyntaxError(
                f"the method call `{obj}.{method}(...)`, made for its effect (its value is "
                f"discarded), on `{obj}`, module data", loc,
                hint="a call made only for its effect cannot be differentiated (Python "
                     "would change the module's object, the derivative would not): make the "
                     "change outside the differentiated function, or compute a new value in "
                     "a variable of this function and use it" +
                     (f" ({instead})" if instead else ""))
        where = f"an item of `{_source_text(root)}`" if isinstance(func.value, gast.Subscript) \
            else f"an attribute of `{_source_text(func.value.value)}`" \
            if isinstance(func.value, gast.Attribute) else ""
        if isinstance(func.value, gast.Subscript) and self._is_local(root):
            instead = {"append": f"`{obj} = {obj} + [v]`",
                       "extend": f"`{obj} = {obj} + list(vs)`",
                       "pop": f"`{obj} = {obj}[:-1]`", "sort": f"`{obj} = sorted({obj})`",
                       "reverse": f"`{obj} = {obj}[::-1]`"}.get(method)
            if instead is not None:            # a container this function holds: store back
                return UnsupportedSyntaxError(
                    f"`{obj}.{method}(...)` changes `{obj}`, {where}, in place", loc,
                    hint=f"build the new list and store it back: {instead}")
        if isinstance(func.value, (gast.Subscript, gast.Attribute)) and \
                method in ("append", "extend", "pop"):
            local = func.value.attr if isinstance(func.value, gast.Attribute) else "items"
            return UnsupportedSyntaxError(
                f"`{obj}.{method}(...)` changes `{obj}`, {where}, in place", loc,
                hint=f"copy it into a variable of this function and change that (`{local} = "
                     f"list({obj})`, then `{local}.{method}(...)`), then use or return it")
        if not isinstance(func.value, (gast.Subscript, gast.Attribute)):
            return UnsupportedSyntaxError(
                f"the method call `{obj}.{method}(...)` on a value not assigned to a name, "
                "made for its effect (its value is discarded)", loc,
                hint=f"assign the value to a name first (`xs = {obj}`, then "
                     f"`xs.{method}(...)`) and use that name afterwards")
        return UnsupportedSyntaxError(
            f"the method call `{obj}.{method}(...)` on `{obj}`, {where}, made for its effect "
            "(its value is discarded)", loc,
            hint=mutating.instead(mutating.method_hint(method) or "a new value and use it") +
            "; a call made only for its effect cannot be differentiated")

    def _static_value(self, node):
        """The object a name or attribute chain denotes when it is not local."""
        if isinstance(node, gast.Name):
            if node.id in self.scope.env or node.id in self.scope.fns:
                return _NOT_STATIC
            found, value = self.pf.lookup(node.id)
            if found and _is_static(value):
                return value
            return _NOT_STATIC
        if isinstance(node, gast.Attribute):
            base = self._static_value(node.value)
            if base is _NOT_STATIC:
                return _NOT_STATIC
            if not isinstance(base, (types.ModuleType, type)):
                try:                    # stats.norm.logpdf: a method with a rule (defrule)
                    value = getattr(base, node.attr)
                except Exception:       # (a property that raises: not static)
                    return _NOT_STATIC
                try:
                    return value if _is_rule_target(value) else _NOT_STATIC
                except TypeError:       # (unhashable)
                    return _NOT_STATIC
            try:
                return getattr(base, node.attr)
            except AttributeError:
                raise UsageError(f"`{_dotted(node)}` does not exist",
                                 self.pf.loc(node)) from None
        return _NOT_STATIC

    def _static_expr(self, node, value) -> ir.Const:
        """Record how the user spelled a static object; return it as a constant."""
        if _is_literal(value):
            return ir.Const(value)
        root = node
        while isinstance(root, gast.Attribute):
            root = root.value
        found, root_value = self.pf.lookup(root.id)
        bound = self.ns.bind(root.id, root_value)
        self.ns.spell_as(root_value, bound)
        text = bound + _dotted(node)[len(root.id):]
        self.ns.spell_as(value, text)
        return ir.Const(value)

    def _is_local(self, node) -> bool:
        return isinstance(node, gast.Name) and node.id in self.scope.env

    # -- calls that change an object in place (see ``mutating``) ---------------

    def _refuse_writing_call(self, call) -> None:
        """A call that writes into an argument (``np.fill_diagonal(M, v)``,
        ``np.add.at``, ``out=y``) is refused wherever it is: the Wengert list
        would hold its result and lose its effect. Functions wengert lowers
        itself may take ``out=``: what they do with it is checked there."""
        func = call.func
        callee = self._callee_value(func)
        own = (isinstance(func, gast.Name) and func.id in self.scope.fns) or \
            (isinstance(callee, types.FunctionType) and not _is_rule_target(callee))
        out = None if own else _out_argument(callee, call)
        if out is not None:
            name, target = _dotted(func), _source_text(out)
            rest = gast.Call(func=func, args=[a for a in call.args if a is not out],
                             keywords=[k for k in call.keywords if k.value is not out])
            raise UnsupportedSyntaxError(
                f"`{name}(..., out={target})` writes its result into `{target}` in place",
                self.pf.loc(call),
                hint=f"NumPy would write into `{target}` in place: compute the new array "
                     f"instead, e.g. `{target} = {_source_text(rest)}`")
        hint = mutating.function_hint(callee)
        if hint is not None:
            texts = [_source_text(a) for a in call.args[:2]]
            target, value = texts + ["y", "v"][len(texts):]
            raise UnsupportedSyntaxError(
                f"`{_dotted(func)}` writes into its argument `{target}` in place",
                self.pf.loc(call),
                hint=mutating.instead(hint.replace("{a}", target).replace("{b}", value)))

    def _refuse_method_in_place(self, call) -> None:
        """``v = xs.sort()`` on a list, dict or array the function built (of
        another object, it may be a method of the user's own class: see
        ``mutating``); so are ``v = xs.append(u)``, which is a value only as
        a statement of its own (``method_statement``), and ``xs.pop(i)``."""
        func = call.func
        if not (isinstance(func, gast.Attribute) and self._is_local(func.value)) or \
                self.scope.env[func.value.id] not in self.fresh:
            return
        value = func.attr == "pop" and not call.args and not call.keywords   # v = xs.pop()
        if mutating.method_hint(func.attr) is not None and not value:
            raise self._method_in_place_error(call)

    def _method_in_place_error(self, call) -> UnsupportedSyntaxError:
        name, method = call.func.value.id, call.func.attr
        instead = mutating.method_hint(method) or \
            "a new value (`xs = xs + [v]`, `y = np.sort(y)`)"
        return UnsupportedSyntaxError(
            f"the method call `{name}.{method}(...)` would change `{name}` in place",
            self.pf.loc(call), hint=mutating.instead(instead))

    def _callee_value(self, func):
        """The object a callee denotes when lowering knows it (``np.put``, and
        ``np.add.at``, a method of a static object); else None."""
        value = self._static_value(func)
        if value is _NOT_STATIC and isinstance(func, gast.Attribute):
            base = self._static_value(func.value)
            value = _NOT_STATIC if base is _NOT_STATIC else getattr(base, func.attr, None)
        return None if value is _NOT_STATIC else value


_NOT_STATIC = object()
_ITERATED = "__wengert_iterated"      # runtime.iterated, in loops lowering writes
_LAZY = (builtins.zip, builtins.enumerate, builtins.map, builtins.filter)
# builtins that take the items of a dict view (``sum(d.values())``) as a list's
_CONSUMERS = (builtins.list, builtins.tuple, builtins.sum, builtins.sorted, builtins.max,
              builtins.min, builtins.dict, math.fsum)


def _view_method(node) -> Optional[str]:
    """``"values"`` for ``d.values()`` (``keys``, ``items`` likewise), else None."""
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
            node.func.attr in ("keys", "values", "items") and not node.args and \
            not node.keywords:
        return node.func.attr
    return None


def _g_for(target, iter_, ifs=()):
    return gast.comprehension(target=target, iter=iter_, ifs=list(ifs), is_async=0)


def _assigned_names(fn_node) -> set:
    """The names a function's body assigns (nested functions' bodies too)."""
    return {n.id for n in gast.walk(fn_node)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}


def _g_name(id_, store=False):
    return gast.Name(id=id_, ctx=gast.Store() if store else gast.Load(),
                     annotation=None, type_comment=None)


def _constant_flag(node) -> bool:
    """Whether a keyword argument is absent or the constant True or False."""
    return node is None or (isinstance(node, gast.Constant) and type(node.value) is bool)


def _g_const(v):
    return gast.Constant(value=v, kind=None)


def _g_call(fname, args, like):
    return gast.copy_location(gast.Call(func=_g_name(fname), args=list(args), keywords=[]), like)


def _g_binop(a, op, b):
    return gast.BinOp(left=a, op=op, right=b)


def _g_call_method(obj, method, args, like):
    func = gast.Attribute(value=_g_name(obj), attr=method, ctx=gast.Load())
    return gast.copy_location(gast.Call(func=func, args=list(args), keywords=[]), like)


def _g_assign(name, value, like):
    node = gast.Assign(targets=[_g_name(name, store=True)], value=value, type_comment=None)
    return gast.copy_location(node, like)


class _Renamer(gast.NodeTransformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        if node.id in self.mapping:
            return gast.copy_location(
                gast.Name(id=self.mapping[node.id], ctx=node.ctx, annotation=None,
                          type_comment=None), node)
        return node


_FRESH_METHODS = {"copy", "astype", "flatten"}


def _makes_container(value, containers) -> bool:
    """Does ``value`` (a new array, list or dict) make a list or dict?"""
    if isinstance(value, ir.Var):
        return value.name in containers
    fn = value.fn
    if isinstance(fn, ir.PseudoOp):
        return fn.kind in ("list", "dict")
    if _container_copy(value):
        return True
    return fn is runtime.setitem and isinstance(value.args[0], ir.Var) and \
        value.args[0].name in containers


def _container_copy(value) -> bool:
    """``dict(d)``, ``list(xs)``: a new dict or list (a shallow copy, like
    ``d.copy()``), whose items may be assigned without changing ``d``'s."""
    return value.fn in (dict, list) and len(value.args) <= 1 and not value.kwargs


def _creates_array(value, fresh) -> bool:
    """Does ``value`` produce an array (or a list or dict, for ``d[k] = v``)
    that nothing else refers to?"""
    import numpy as np
    if isinstance(value, ir.Var):
        return value.name in fresh
    if not isinstance(value, ir.Op):
        return False
    fn = value.fn
    if mutating.maybe_itself(value):                   # np.array(x, copy=None), x.astype(t, copy=False)
        return False
    if isinstance(fn, ir.PseudoOp):           # a list or dict display: a new container
        return (fn.kind == "method" and fn.name in _FRESH_METHODS) or fn.kind in ("list", "dict")
    if fn is runtime.setitem or isinstance(fn, np.ufunc) or _container_copy(value):
        return True
    if fn in (runtime.list_append, runtime.seq_concat) and isinstance(value.args[0], ir.Var):
        return value.args[0].name in fresh      # appended to: still the list made here
    if fn in (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
              operator.neg, operator.matmul):
        return True
    if getattr(fn, "__name__", None) in _FRESH_NUMPY and getattr(np, fn.__name__, None) is fn:
        return True
    return isinstance(fn, types.FunctionType) and analysis.RETURNS_FRESH is not None and \
        not (getattr(fn, "__module__", None) or "").startswith(("numpy", "scipy")) and \
        analysis.RETURNS_FRESH(fn)          # a helper of the user's that returns an array it made


_FRESH_NUMPY = {"zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
                "full_like", "array", "copy", "arange", "linspace", "eye", "identity",
                "stack", "concatenate", "vstack", "hstack", "column_stack", "outer", "tile",
                "repeat", "dot", "matmul", "einsum", "diag", "tril", "triu", "cumsum",
                "cumprod", "sort", "where", "clip", "kron", "cross", "pad"}


def _out_argument(fn, call):
    """The argument a call passes as ``out=`` (not ``out=None``): by keyword,
    or by position to a ufunc (its outputs follow its inputs) or a NumPy
    function (``np.clip(a, lo, hi, out)``); else None."""
    for k in call.keywords:
        if k.arg == "out":
            return None if _is_none(k.value) else k.value
    position = fn.nin if isinstance(fn, np.ufunc) else _out_position(fn)
    if position is None or len(call.args) <= position or _is_none(call.args[position]):
        return None
    return call.args[position]


def _out_position(fn):
    if not (getattr(fn, "__module__", None) or "").startswith("numpy"):
        return None
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    return next((i for i, p in enumerate(params) if p.name == "out" and
                 p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)), None)


def _is_none(node) -> bool:
    return isinstance(node, gast.Constant) and node.value is None


def _source_text(node) -> str:
    """How the user wrote ``node`` (``y``, ``M[0]``), for a message."""
    return ast.unparse(gast.gast_to_ast(node))


def _svdvals_call(args, kwargs) -> bool:
    """``np.linalg.svd(a, compute_uv=False)``: the singular values alone, which
    ``np.linalg.svdvals(a)`` computes (NumPy 2), whatever ``full_matrices``."""
    kw = dict(kwargs)
    return hasattr(np.linalg, "svdvals") and len(args) == 1 and \
        kw.get("compute_uv") == ir.Const(False) and \
        set(kw) <= {"compute_uv", "full_matrices"} and \
        isinstance(kw.get("full_matrices", ir.Const(True)), ir.Const)


def _is_static(value) -> bool:
    """Modules, functions and classes are resolved when the derivative is built;
    data (numbers, arrays) in globals is read when the derivative runs, and so
    is an object whose ``__call__`` is written in Python (a model, a layer):
    calls of it are calls of its class's ``__call__`` (``inline.resolve_methods``),
    guarded by its class."""
    if _callable_object(value):
        return False
    return callable(value) or isinstance(value, types.ModuleType)


def _callable_object(value) -> bool:
    """An instance of a class written in Python with a ``__call__`` of its own."""
    from ..inline import _instance, method_function
    cls = _instance(value)
    return cls is not None and method_function(cls, "__call__") is not None \
        and not _is_rule_target(value)


def _is_literal(value) -> bool:
    return value is None or value is Ellipsis or type(value) in (bool, int, float, complex, str)


def _is_rule_target(fn) -> bool:
    from ..rules import registry
    return registry.has_rule(fn)


def _dotted(node) -> str:
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "<expr>"


def _func_name(pf: ParsedFunction) -> str:
    name = pf.node.name
    return "lambda_" if name == "<lambda>" else name


def _is_docstring(node) -> bool:
    return isinstance(node, gast.Expr) and isinstance(node.value, gast.Constant) \
        and isinstance(node.value.value, str)


def _identifiers(tree) -> set:
    return {n.id for n in gast.walk(tree) if isinstance(n, gast.Name)}


def _line_map(tree, source, pf) -> list:
    """For a lifted function: ``(generated line, generated col, user line, user
    col)`` per statement, so errors inside it point at the user's file."""
    out = []

    def statements(node):
        for field in ("body", "orelse"):
            for child in getattr(node, field, []) or []:
                if isinstance(child, ast.stmt):
                    yield child
                    yield from statements(child)
    for made, parsed in zip(statements(tree), statements(ast.parse(source))):
        if getattr(made, "lineno", None):
            out.append((parsed.lineno, parsed.col_offset, made.lineno,
                        made.col_offset + pf.col_offset))
    return out


def _first_assignment_unconditional(body, name) -> bool:
    """Is ``name`` bound by a plain top-level statement of ``body`` before any
    nested (conditional) statement could bind it, and not read before it (a
    value from the previous iteration: ``y = p * x`` before ``p = x * x``)?"""
    for stmt in body:
        if name in _read_names(stmt) or (isinstance(stmt, gast.AugAssign) and
                                         isinstance(stmt.target, gast.Name) and
                                         stmt.target.id == name):
            return False                 # read first: the previous iteration's value
        if isinstance(stmt, (gast.Assign, gast.AugAssign, gast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
            if any(isinstance(n, gast.Name) and n.id == name
                   for t in targets for n in gast.walk(t)):
                return True
        if name in _assigned_names(stmt):
            return False
    return False


def _read_names(node) -> set:
    """Names a statement reads (loads), nested statements included."""
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and
            isinstance(n.ctx, gast.Load)}


def _assigned_names(node) -> set:
    """Names a statement may rebind, including lists it appends to. A name
    bound to a lambda (``g = lambda t: ...``) is not among them: like a
    nested def, the lambda is lifted and bound at lowering time, never
    assigned in the Wengert list."""
    out = set()
    lifted = {id(t) for n in gast.walk(node)
              if isinstance(n, gast.Assign) and isinstance(n.value, gast.Lambda)
              for t in n.targets if isinstance(t, gast.Name)}
    # (xs.append(v) is a statement of its own; ys = np.append(ys, v) rebinds ys, not np)
    statements = {id(n.value) for n in gast.walk(node) if isinstance(n, gast.Expr)}
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
            if id(n) not in lifted:
                out.add(n.id)
        elif isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store) and \
                isinstance(n.value, gast.Name):
            out.add(n.value.id)                 # y[i] = v rebinds y
        elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                isinstance(n.func.value, gast.Name) and \
                (n.func.attr == "pop" or (n.func.attr in ("append", "extend") and
                                          id(n) in statements)):
            out.add(n.func.value.id)            # xs.append(v), xs.extend(vs), xs.pop()
                                                # rebind xs
    return out


def _assigned_names_target(target) -> set:
    return _assigned_names(target)


def _chain_to_boolop(node):
    parts = []
    left = node.left
    for op, right in zip(node.ops, node.comparators):
        c = gast.Compare(left=left, ops=[op], comparators=[right])
        gast.copy_location(c, node)
        parts.append(c)
        left = right
    b = gast.BoolOp(op=gast.And(), values=parts)
    return gast.copy_location(b, node)


def _defined_once_in(block, name: str) -> bool:
    """One real definition (a ``None`` placeholder for a path that does not
    bind the name is renamed with it): the name can be renamed in place."""
    count = sum(1 for s in ir.walk(block) if name in ir.stmt_writes(s) and
                not (isinstance(s, ir.Assign) and s.value == ir.NONE))
    return count == 1


def _rename_in_block(block, mapping) -> None:
    from ..optimize import rename_vars
    block[:] = rename_vars(block, mapping)


def lower(pf: ParsedFunction) -> ir.Function:
    return Lowerer(pf).lower()
