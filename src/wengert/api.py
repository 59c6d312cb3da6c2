"""The public API: ``grad``, ``value_and_grad``, ``jvp``, ``vjp``, ``lower``.

A derivative is built once per (function, mode, wrt, argument kinds) and
cached. At the first call with new kinds of arguments (Python floats; arrays
of a given shape and dtype) the derivative is *specialised*: generated code
for those kinds drops runtime helpers whose result is known (no
``unbroadcast`` where shapes match). The general version, used when kinds are
not known, is always correct; a specialised one is used only for arguments of
its kinds, checked by a cheap key lookup on each call.

Functions called by the differentiated function are differentiated
recursively (each its own generated function, built once).
"""

from __future__ import annotations

import ast
import collections.abc
import functools
import inspect
import itertools
from collections import Counter
import linecache
import operator
import os
import re
import threading
import types
import weakref
from dataclasses import dataclass, replace as dc_replace
from typing import Optional

import numpy as np

from . import analysis, ir, optimize as opt, runtime
from .names import fresh
from .backend import compile_function, is_comment, render
from . import draws as draws_module
from .draws import changes_state, draws_in_body, refuse_outside_draw
from .errors import UnsupportedSyntaxError, UsageError, WengertError
from .forward import forward
from .frontend.lower import lower as _lower
from .frontend.parse import parse_function
from .partials import tape_partials
from .reverse import prune_tapes, reverse, typed_gradients
from . import inline as inline_module
from .inline import (MAX_DEPTH, inline_calls, namedtuple_fields, resolve_methods,
                     unroll_item_loops)
from .specialize import (check_in_place, diagonals_of_products, fold_iterations, fold_shapes,
                         owned_gradients, push_sums, specialize, sums_of_squares)

_LOCK = threading.RLock()
_LOWERED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_BUILT: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


@dataclass
class Built:
    """One compiled derivative: the Python function, its source and IR."""

    function: object
    source: str
    ir: ir.Function
    out_kind: object = None
    unparsed: Optional[str] = None      # the source before comments (backend.render)
    guards: tuple = ()        # the module data whose kinds it was specialised for
    # the IR before ``opt.readable`` merged names (each still assigned once but
    # for loop carries): what a later pass that moves or substitutes may rework
    single: Optional[ir.Function] = None


# --------------------------------------------------------------------------
# module data: specialised for, and guarded

_SCOPES: dict = {}            # id(module dict) -> the dict (guards name it by id)
_RECORDERS: list = []         # open recordings: each collects the guards consulted


class _Recording:
    """Collects, while a derivative is built, every piece of module data whose
    kind it was specialised for: ``(id(module dict), name, kind_key)``."""

    def __enter__(self):
        self.guards = {}
        _RECORDERS.append(self.guards)
        return self

    def __exit__(self, *exc):
        i = max(i for i, r in enumerate(_RECORDERS) if r is self.guards)
        del _RECORDERS[i]                # by identity: recordings compare equal

    def result(self) -> tuple:
        return tuple(self.guards.values())


def _record(guards) -> None:
    for guard in guards:
        for r in _RECORDERS:
            r[guard[:2]] = guard


def _guards_hold(guards) -> bool:
    """The module data still has the kinds code was specialised for (a
    function or class named at module level, a method on a class, a closure
    variable: still that object, ``_Same``; ``_Same(None)``: still absent, as
    ``scope.get`` finds it)."""
    for scope_id, name, key in guards:
        scope = _scope(scope_id)
        if scope is None:
            return False                 # (a closure's cells, gone with its function)
        if isinstance(key, _Defined):
            if not key.holds():
                return False
        elif isinstance(key, _Same):
            if scope.get(name) is not key.obj:
                return False
        elif name not in scope or _data_key(scope[name]) != key:
            return False
    return True


class _Defined:
    """A guard's key: a function (held weakly) still has the code and
    defaults a build read (``_definition``). Checked where a build is looked
    up, not by the dispatcher: a call pays nothing for it."""

    __slots__ = ("ref", "definition")

    def __init__(self, func):
        self.ref, self.definition = weakref.ref(func), _definition(func)

    def holds(self) -> bool:
        func = self.ref()
        return func is not None and _same_definition(self.definition, func)

    def __eq__(self, other):
        return type(other) is _Defined and other.ref == self.ref and \
            all(a is b for a, b in zip(self.definition, other.definition))

    def __hash__(self):
        return hash(self.ref)


_DEFINITIONS: dict = {}        # (a guard's scope for _Defined keys: never read)


class _Same:
    """A guard's key: that very object (compared and hashed by identity, so
    an array or a dict can be one)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other) -> bool:
        return type(other) is _Same and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __repr__(self) -> str:
        return f"_Same({self.obj!r})"


class _Cells:
    """A function's closure cells read like a module's dict (``get``, ``in``,
    ``[]``): the values the generated code froze, whose identity a guard
    checks (a variable the enclosing function rebinds, ``nonlocal T; T =
    T * 0.5``, gets code built for its new value)."""

    __slots__ = ("cells", "__weakref__")

    def __init__(self, func):
        self.cells = dict(zip(func.__code__.co_freevars, func.__closure__))

    def get(self, name, default=None):
        cell = self.cells.get(name)
        try:
            return default if cell is None else cell.cell_contents
        except ValueError:               # (a variable deleted since)
            return default

    def __contains__(self, name) -> bool:
        return self.get(name, _MISSING) is not _MISSING

    def __getitem__(self, name):
        value = self.get(name, _MISSING)
        if value is _MISSING:
            raise KeyError(name)
        return value


_CELLS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # function -> _Cells
_CELL_SCOPES: "weakref.WeakValueDictionary" = weakref.WeakValueDictionary()   # id -> _Cells
def _rebound(guards) -> bool:
    """Whether an object a build called or froze (``_Same``) was rebound
    since (module data of another kind may come back: not counted)."""
    for scope_id, name, key in guards:
        if isinstance(key, _Defined) and not key.holds():
            return True                    # (its code or defaults replaced)
        if isinstance(key, _Same):
            scope = _scope(scope_id)
            if scope is None or scope.get(name) is not key.obj:
                return True
    return False


def _scope(scope_id):
    """The module dict, class dict or closure (``_Cells``) a guard reads."""
    scope = _SCOPES.get(scope_id)
    return _CELL_SCOPES.get(scope_id) if scope is None else scope


_CLASS_SCOPES: dict = {}      # class -> its __dict__ (a guard reads methods there)


def _method_looked_up(classes, name) -> None:
    """A build calls the method ``name`` found in ``classes`` (an MRO, or
    the part of one ``super()`` searches) as the function it is now."""
    _record(_method_guards(classes, name))


def _method_guards(classes, name) -> list:
    """Guards that each class of ``classes`` up to the one defining ``name``
    has that attribute as now (absent, then that object)."""
    guards = []
    for c in classes:
        scope = _CLASS_SCOPES.get(c)
        if scope is None:
            scope = _CLASS_SCOPES[c] = vars(c)
            _SCOPES.setdefault(id(scope), scope)
        found = scope.get(name)
        guards.append((id(scope), name, _Same(found)))
        if found is not None:
            break
    return guards


def _data_kinds(fn: ir.Function) -> dict:
    """The kinds of the module data ``fn`` reads by name (a global array, a
    constant), as they are now: each one read live becomes a guard of what is
    built with it. Values generated code froze (closure cells) need none."""
    out = {}
    for name, value, scope in _data_values(fn):
        k = analysis.kind_of_value(value)
        if k is None:
            continue                     # unknown: code for any kind is built
        out[name] = k
        if scope is not None:
            _SCOPES.setdefault(id(scope), scope)
            _record([(id(scope), name, analysis.kind_key(value))])
    return out


# --------------------------------------------------------------------------
# building


def _definition(func) -> tuple:
    """What a function's derivatives are built from besides its source: its
    code object and default values (replacing ``f.__code__`` or
    ``f.__defaults__`` makes it another function for the caches)."""
    return (getattr(func, "__code__", None), getattr(func, "__defaults__", None),
            getattr(func, "__kwdefaults__", None))


def _same_definition(definition: tuple, func) -> bool:
    return all(a is b for a, b in zip(definition, _definition(func)))


_DEFINED = "__definition__"       # (a key of the per-function dicts _for_function keeps)


def _for_function(cache, func) -> dict:
    """``cache``'s entries for ``func``, forgotten if its code or defaults
    were replaced since they were made (for a cache without guards: the
    others hold ``lowered``'s ``_Defined`` guard among theirs)."""
    per_fn = cache.get(func)
    if per_fn is None or not _same_definition(per_fn[_DEFINED], func):
        per_fn = cache[func] = {_DEFINED: _definition(func)}
    return per_fn


def lowered(func) -> ir.Function:
    """The Wengert list of ``func`` (cached while the functions and classes
    it names at module level are the same objects: it calls them as
    constants, so a helper redefined in a notebook is lowered again, and
    every build that used it is guarded by it, ``_static_guards``)."""
    with _LOCK:
        cached = _LOWERED.get(func)
        if cached is not None and _guards_hold(cached[1]):
            _record(cached[1])
            return cached[0]
        fn = _lower(parse_function(func))
        guards = _static_guards(func)
        if isinstance(func, types.FunctionType):     # (its code and defaults: as read)
            _SCOPES.setdefault(id(_DEFINITIONS), _DEFINITIONS)
            guards = tuple(guards) + ((id(_DEFINITIONS), id(func), _Defined(func)),)
        _LOWERED[func] = (fn, guards)
        _record(guards)
        return fn


def _static_object(value) -> bool:
    """A function, a partial or a class written in Python: called as the
    object it is when the derivative is built."""
    return analysis.is_function(value) or isinstance(value, functools.partial) or \
        inline_module.user_class(value)


def _at_call(exc: WengertError, func, loc) -> WengertError:
    """A callee's error as the caller sees it: placed at the call if it has
    no place; for a library's function (``np.format_float_positional``,
    written in Python without a rule), said of the call, not of a line in the
    library's source that the user did not write."""
    import sys
    module = sys.modules.get(getattr(func, "__module__", None) or "")
    if module is not None and not _users_module(module) and \
            not (getattr(func, "__module__", "") or "").startswith("wengert"):
        from .errors import NoRuleError
        name = f"{func.__module__}.{getattr(func, '__qualname__', func.__name__)}"
        where = f" ({exc.loc})" if exc.loc is not None else ""
        return NoRuleError(
            f"no derivative rule for `{name}` (a library function written in Python, whose "
            f"source wengert cannot differentiate: {exc.message}{where})", loc,
            hint="compute it outside the differentiated function, wrap its result in "
                 "wengert.stop_gradient(...) if it needs no derivative, or register a rule "
                 "with @wengert.defrule")
    if exc.loc is None:
        return type(exc)(exc.message, loc, exc.hint)
    return exc


def _users_module(module) -> bool:
    """A module of the user's (not the standard library's, nor an installed
    package's): a helper in it may be redefined while the derivative lives."""
    import sys
    top = module.__name__.split(".")[0]
    if top in sys.builtin_module_names or top in getattr(sys, "stdlib_module_names", ()) or \
            top in ("numpy", "scipy", "wengert", "math", "os", "sys", "functools"):
        return False
    path = getattr(module, "__file__", None) or ""
    return "site-packages" not in path and "dist-packages" not in path


def _static_guards(func) -> tuple:
    """``(id(module dict), name, _Same(value))`` for every name
    ``func``'s code (nested functions' included) reads from its module that
    holds a function or a class written in Python: a call of it is compiled
    as a call of that object, so the derivative holds only while the name
    does (the dispatcher checks each by identity)."""
    scope = getattr(func, "__globals__", None)
    if not isinstance(scope, dict) or scope.get("__name__") == "wengert.generated":
        return ()
    names, todo = set(), [func.__code__]
    while todo:
        code = todo.pop()
        names.update(code.co_names)
        todo.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    guards = []
    for name in sorted(names):
        value = scope.get(name, _MISSING)
        if _static_object(value):
            guards.append((id(scope), name, _Same(value)))
        if isinstance(value, types.FunctionType):    # its defaults are bound where it is called
            _SCOPES.setdefault(id(_DEFINITIONS), _DEFINITIONS)
            guards.append((id(_DEFINITIONS), id(value), _Defined(value)))
        if isinstance(value, types.ModuleType) and _users_module(value):
            inner = vars(value)                  # helpers.g(x): that function too
            found = [(id(inner), n, _Same(inner[n])) for n in sorted(names)
                     if n in inner and _static_object(inner[n])]
            if found:
                _SCOPES.setdefault(id(inner), inner)
                guards.extend(found)
        if _static_object(value) and isinstance(value, type):    # Base.f(self, x), C.k(x)
            for n in sorted(names):
                if any(n in vars(c) for c in value.__mro__[:-1]):
                    guards.extend(_method_guards(value.__mro__, n))
    if guards:
        _SCOPES.setdefault(id(scope), scope)
    if getattr(func, "__closure__", None):       # closure variables: frozen, so guarded
        cells = _CELLS.get(func)
        if cells is None:
            cells = _CELLS[func] = _Cells(func)
            _CELL_SCOPES[id(cells)] = cells
        guards.extend((id(cells), name, _Same(cells[name]))
                      for name in sorted(cells.cells) if name in cells)
    return tuple(guards)


class _ForwardRef:
    """Stands for a derivative still being built (recursion)."""

    __wengert_grows__ = True      # an f_fwd calling itself: its residuals nest

    def __init__(self, name):
        self.__name__ = name
        self.target = None

    def __call__(self, *args):
        return self.target(*args)


_IN_PROGRESS: dict = {}


def _resolve_self_reference(function, ref, target=None) -> None:
    """A recursive derivative calls itself through the stand-in it was built
    with: bind the name to the finished function (or ``target``), so that the
    generated code calls a plain generated function (which can be
    differentiated again)."""
    namespace = getattr(function, "__globals__", None)
    for name, value in list((namespace or {}).items()):
        if value is ref:
            namespace[name] = function if target is None else target


def _none_returns_refused(body: list) -> list:
    """``body`` checking, where it may return None (``return None``, a
    branch without ``return``), that it does not (``runtime.check_returned``,
    an effect before the return): the function differentiated must return a
    value, and a zero derivative of None would be wrong."""
    ret = body[-1] if body else None
    if not isinstance(ret, ir.Return) or not isinstance(ret.value, ir.Var):
        return body
    defs: dict = {}
    for s in ir.walk(body):
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var):
            defs.setdefault(s.target.name, []).append(s.value)
    reach, todo = set(), [ret.value.name]
    while todo:                 # the names copied into the one returned
        n = todo.pop()
        if n not in reach:
            reach.add(n)
            todo.extend(v.name for v in defs.get(n, ()) if isinstance(v, ir.Var))
    def may_be_none(v):            # None, or what a function of the user's returned
        return v == ir.NONE or (isinstance(v, ir.Op) and isinstance(v.fn, types.FunctionType)
                                and not (v.fn.__module__ or "").startswith("wengert"))
    if not any(may_be_none(v) for n in reach for v in defs.get(n, ())) or \
            all(v == ir.NONE or (isinstance(v, ir.Var) and v.name in defs)
                for n in reach for v in defs.get(n, ())):
        return body             # (never None; always None: refused by the caller)
    where = f"{os.path.basename(ret.loc.filename)}:{ret.loc.lineno}" if ret.loc else "?"
    return body[:-1] + [ir.Effect(ir.Op(runtime.check_returned, (ret.value, ir.Const(where))),
                                  ret.loc), ret]


def _none_operands_checked(body: list, kinds=None) -> list:
    """``body`` checking, before each arithmetic operation one of whose
    operands may be None on the path taken (a helper spliced in that returns
    nothing on some path: ``helper(x) * 3.0``), that it is not
    (``runtime.check_operand``): Python raises there, and the operation may
    be dead code in the derivative, which would then give a gradient of a
    value that was never computed. A may-None analysis follows the
    structured code; a name is checked only where a None may reach it."""
    changed = [False]
    tests: dict = {}            # t -> (n, whether t means n is None) after t = n is None

    def block(stmts, none: set):
        out = []
        for s in stmts:
            if isinstance(s, ir.Assign):
                for t in [t for t, (n, _) in tests.items() if t in s.targets() or
                          n in s.targets()]:
                    del tests[t]
                if isinstance(s.value, ir.Op) and _raises_on_none(s.value.fn):
                    for a in dict.fromkeys(a for a in s.value.args if a == ir.NONE or (
                            isinstance(a, ir.Var) and a.name in none)):
                        out.append(ir.Effect(ir.Op(runtime.check_operand, (
                            a, ir.Const(_where(s.loc)))), s.loc))   # (None itself: raises)
                        if isinstance(a, ir.Var):
                            none = none - {a.name}      # (checked: not None after it)
                        changed[0] = True
                maybe = s.value == ir.NONE or (isinstance(s.value, ir.Var) and
                                               s.value.name in none)
                none = (none | set(s.targets())) if maybe else none - set(s.targets())
                test = _none_test(s.value)
                if test is not None and isinstance(s.target, ir.Var):
                    tests[s.target.name] = test
                out.append(s)
            elif isinstance(s, ir.If):
                n, is_none = tests.get(s.test.name, (None, None)) \
                    if isinstance(s.test, ir.Var) else (None, None)
                body, a = block(s.body, none - {n} if is_none is False else none)
                orelse, b = block(s.orelse, none - {n} if is_none else none)
                out.append(ir.copy_with(s, body=body, orelse=orelse))
                none = a | b
            elif isinstance(s, (ir.For, ir.While)):
                start = set(none)
                for _ in range(20):          # (reaches its fixpoint in a few rounds)
                    if isinstance(s, ir.While):
                        _, start_t = block(s.test_body, start)
                    else:
                        start_t = start - set(ir.target_names(s.target))
                    new_body, end = block(s.body, start_t)
                    if isinstance(s, ir.While):
                        _, end = block(s.test_body, end)
                    if end <= start:
                        break
                    start = start | end
                if isinstance(s, ir.While):
                    test_body, _ = block(s.test_body, start)
                    out.append(ir.copy_with(s, test_body=test_body, body=new_body))
                else:
                    out.append(ir.copy_with(s, body=new_body))
                none = start
            else:
                out.append(s)
        return out, none

    given = {n for n, k in (kinds or {}).items()       # arguments and module data that
             if isinstance(n, str) and isinstance(k, analysis.FunctionArg) and k.fn is None}
    new, _ = block(body, given)                          # are None
    return new if changed[0] else body


def _none_test(e):
    """``(n, True)`` for ``n is None``, ``(n, False)`` for ``n is not None``."""
    if isinstance(e, ir.Op) and (e.fn is operator.is_ or e.fn is operator.is_not) and \
            len(e.args) == 2:
        a, b = e.args
        if b == ir.NONE and isinstance(a, ir.Var):
            return a.name, e.fn is operator.is_
        if a == ir.NONE and isinstance(b, ir.Var):
            return b.name, e.fn is operator.is_
    return None


def _raises_on_none(fn) -> bool:
    """An operation Python refuses None in (arithmetic, ordering, NumPy's
    ufuncs, ``math``'s functions)."""
    return isinstance(fn, np.ufunc) or id(fn) in _NONE_RAISES or \
        getattr(fn, "__module__", None) == "math"


_NONE_RAISES = {id(f) for f in (
    operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv, operator.mod,
    operator.pow, operator.neg, operator.pos, operator.matmul, operator.lt, operator.le,
    operator.gt, operator.ge, abs, min, max, float, int, round)}


def _where(loc) -> str:
    return f"{os.path.basename(loc.filename)}:{loc.lineno}" if loc else "?"


def build(func, mode: str, wrt: tuple, arg_kinds: Optional[tuple] = None,
          return_value: bool = False, optimize: bool = True,
          seed_param: bool = True, has_aux: bool = False,
          tuple_result: bool = False, split: bool = True, callee: bool = False) -> Built:
    """Build (or fetch) a derivative of ``func``.

    ``mode``: ``"jvp"`` (forward) or ``"vjp"`` (reverse); ``wrt``: positions.
    ``split``: reverse mode calls the user functions it does not inline
    through ``f_fwd``/``f_bwd`` pairs (``reverse.split_vjp``); a derivative
    that will be differentiated again is built without them. ``callee``: a
    helper's derivative (a path of it may return None; the function
    differentiated itself must return a value on the path taken).
    """
    if isinstance(func, Derivative):      # a derivative of a derivative
        func = func.as_function(arg_kinds)
    key = (mode, wrt, arg_kinds, return_value, optimize, seed_param, has_aux, tuple_result,
           split, callee)
    with _LOCK:
        per_fn = _BUILT.setdefault(func, {})
        cached = _still_valid(per_fn.get(key))
        if cached is not None:
            return cached
        with _Recording() as recording:
            built = _build(func, mode, wrt, arg_kinds, return_value, optimize, seed_param,
                           has_aux, tuple_result, split, callee)
        built.guards = recording.result()
        _record(built.guards)
        per_fn[key] = built
        return built


def _still_valid(built):
    """A cached build whose module-data guards still hold (recorded for the
    build in progress), or None."""
    if built is None or not _guards_hold(built.guards):
        return None
    _record(built.guards)
    return built


def _build(func, mode, wrt, arg_kinds, return_value, optimize, seed_param, has_aux,
           tuple_result, split, callee=False) -> Built:
    primal, kinds_in, body, kinds = _prepared(func, arg_kinds, optimize)
    body = _none_operands_checked(body, kinds)
    if not callee:
        body = _none_returns_refused(body)
    names = primal.param_names()
    wrt_names = tuple(names[i] for i in wrt)
    kinds_in, kinds, aux = dict(kinds_in), dict(kinds), None   # (modes add derivatives' kinds)
    if has_aux:
        body, aux = _split_aux(body, primal, kinds)
    work = primal.with_body(body, namespace=primal.namespace.copy())
    suffix = "_jvp" if mode == "jvp" else ("_grad" if len(wrt) and not return_value
                                            else "_vjp")
    name = f"{primal.name}{suffix}"
    ctx = _Context(optimize, split)
    out_kind = _output_kind(work, kinds)
    if mode == "vjp" and not seed_param and out_kind is not None and out_kind.shape != ():
        raise _non_scalar_output("a gradient", func, out_kind)   # the seed is 1.0
    if mode == "jvp":
        d = forward(work, wrt_names, kinds, ctx, name=name, aux=aux)
    else:
        d = reverse(work, wrt_names, kinds, ctx, name=name, return_value=return_value,
                    out_bar_default=_seed(out_kind),
                    seed_param=seed_param, aux=aux, tuple_result=tuple_result)
    if optimize:
        # forward mode keeps the Wengert list's primal statements (each
        # followed by its tangent); reverse mode inlines freely.
        keep = set(primal.temps) if mode == "jvp" else set()
        d, settled = opt.optimize_to_fixpoint(d, keep)
        if mode == "vjp":
            pruned = prune_tapes(d)
            if not settled or pruned.body != d.body:     # (else already optimal)
                d = opt.optimize(pruned, keep)
        for _ in range(3 if kinds_in else 0):   # shapes known: peephole, re-optimise
            folded = fold_shapes(d, kinds_in)
            if folded is d:
                break
            d = opt.optimize(folded, keep)
        if mode == "vjp" and kinds_in:
            pushed = push_sums(d, kinds_in)
            d = d if pushed is d else opt.optimize(pushed, keep)
        if kinds_in:
            d = diagonals_of_products(sums_of_squares(d, kinds_in), kinds_in)
        if mode == "vjp" and kinds_in:         # folding drops reads of shapes
            pruned = prune_tapes(d)
            d = d if pruned is d else opt.optimize(pruned, keep)
        d = opt.factor_sums(d)
        if mode == "vjp" and kinds_in:         # scalar loops: partials on the tape
            taped = tape_partials(d, kinds_in)
            d = d if taped is d else opt.optimize(taped, keep)
    single = d
    if optimize:
        d = opt.readable(d)
    known = dict(kinds_in)
    if mode == "vjp" and seed_param and out_kind is not None:
        known[d.params[-1].name] = out_kind   # the cotangent has the output's kind
                                              # (vjp's pullback converts it to that)
    if mode == "vjp" and kinds_in:     # a float's gradient is a float, on the final code
        d = typed_gradients(d, wrt_names, known, return_value, aux is not None,
                            len(wrt) != 1 or tuple_result, constants=optimize)
    if mode == "vjp":                  # never an input's or module data's own array
        d = owned_gradients(d, (1,) if return_value else (0,) if aux is not None else (),
                            known)
    objects = (analysis.Instance, analysis.FunctionArg)
    shown = {n: k if isinstance(k, objects) or _objects_in(k) else kinds_in[n]  # in order,
             for n, k in zip(names, arg_kinds or ())           # instances and functions
             if isinstance(k, objects) or n in kinds_in}       # too
    shown.update((k, v) for k, v in kinds_in.items() if k not in shown)
    d.header_comment = _header(primal, mode, wrt_names, shown)
    if d.pause_gc:
        d.header_comment += ("\nthe residuals of its calls accumulate: the cyclic garbage "
                             "collector is paused while it runs")
    function, source, unparsed = _compile_named(d)
    return Built(function, source, d, out_kind, unparsed, single=single)


_PREPARED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _prepared(func, arg_kinds, optimize: bool):
    """``(primal, kinds_in, body, kinds)``: what every mode's build of ``func``
    for ``arg_kinds`` starts from (helpers inlined, the body specialised,
    in-place updates checked), made once and shared by them while the
    module data it was specialised for keeps its kinds."""
    key = (arg_kinds, optimize)
    per_fn = _PREPARED.setdefault(func, {})
    cached = per_fn.get(key)
    if cached is not None and _guards_hold(cached[1]):
        _record(cached[1])
        return cached[0]
    with _Recording() as recording:
        primal = _with_methods_resolved(fold_iterations(lowered(func), arg_kinds),
                                        arg_kinds, optimize)
        kinds_in = _kinds_in(primal, arg_kinds)
        if arg_kinds is not None:
            kinds_in.update(_data_kinds(primal))     # module data: guarded at each call
        body, kinds = _specialised_kinds(primal, kinds_in)
        check_in_place(primal.with_body(body), kinds)
        body = _resolve_derivative_calls(body, kinds)
    guards = recording.result()
    _record(guards)
    prepared = (primal, kinds_in, body, kinds)
    try:
        per_fn[key] = (prepared, guards)
    except TypeError:                  # kinds that cannot be a key
        pass
    return prepared


def _with_methods_resolved(primal, arg_kinds, optimize: bool):
    """``primal`` with calls of its instance arguments' methods made calls
    of their classes' functions (``inline.resolve_methods``) and, optimising,
    helpers spliced in: a method spliced in may call another method of the
    same object (``self.layer(x)`` in ``self.forward(x)``), resolved in turn."""
    primal = _functions_bound(primal, arg_kinds)
    classes = {n: k.cls for n, k in zip(primal.param_names(), arg_kinds or ())
               if isinstance(k, analysis.Instance)}
    arg_instances = {n: k for n, k in zip(primal.param_names(), arg_kinds or ())
                     if isinstance(k, analysis.Instance)}
    held = {(n, a): ak.fn for n, k in zip(primal.param_names(), arg_kinds or ())
            if isinstance(k, analysis.Instance) for a, ak in k.attrs
            if isinstance(ak, analysis.FunctionArg)}     # self.act: that function
    objects = {(n, a): ak for n, k in zip(primal.param_names(), arg_kinds or ())
               if isinstance(k, analysis.Instance) for a, ak in k.attrs
               if isinstance(ak, analysis.Instance)}   # self.prior: its class and functions
    containers = {n: k for n, k in zip(primal.param_names(), arg_kinds or ())
                  if _objects_in(k)}
    containers.update(((n, a), ak) for n, k in zip(primal.param_names(), arg_kinds or ())
                      if isinstance(k, analysis.Instance) for a, ak in k.attrs
                      if _objects_in(ak))                        # self.layers
    data = _data_instances(primal)
    classes.update((n, type(v)) for n, (v, _) in data.items())
    arg_instances.update((n, _attribute_kind(v)) for n, (v, _) in data.items()
                         if n not in arg_instances)     # (what a callee given it knows)
    for name, value, scope in _data_values(primal):   # a module-level list of objects:
        if _holds_objects(value) and name not in containers:   # its items' classes
            containers[name] = analysis.arg_kind(value, instances=True)
            if scope is not None:                     # (guarded item by item)
                _SCOPES.setdefault(id(scope), scope)
                _record([(id(scope), name, _data_key(value))])
    for n, (v, _) in data.items():      # a module-level object: what it holds too, its
        for a, ak in analysis.held_functions(v):     # key checked like an argument's
            held[(n, a)] = ak.fn
        for a, ak in analysis.held_objects(v):
            objects[(n, a)] = _attribute_kind(getattr(v, a))
        for a, ak in analysis.held_containers(v, 1):
            containers[(n, a)] = ak
    used: set = set()
    for _ in range(MAX_DEPTH + 1):
        primal = _held_calls_split(primal, objects, classes)   # self.fc1(x): its __call__
        primal = unroll_item_loops(primal, containers)    # (unlike objects: one by one)
        resolved, receivers = resolve_methods(primal, classes, containers, held, objects, arg_instances)
        used |= receivers
        if not optimize:
            primal = resolved
            break
        # (a helper's loops over what it was given: folded as the caller's)
        primal, before = fold_iterations(inline_calls(resolved, lowered), arg_kinds), primal
        if resolved is before and \
                resolve_methods(primal, classes, containers, held, objects, arg_instances)[0] is primal:
            break                      # nothing (more) resolved, nor brought in to resolve
    else:         # a recursive method: what the last splice brought in, resolved
        primal, receivers = resolve_methods(primal, classes, containers, held, objects, arg_instances)
        used |= receivers
    primal, read = _namedtuple_fields(primal, arg_kinds)
    data.update(read)
    for name in sorted((used | set(read)) & set(data)):     # module data: guarded like
        value, scope = data[name]                            # its kinds (an object: with
        if scope is not None:                                # what it holds)
            _SCOPES.setdefault(id(scope), scope)
            _record([(id(scope), name, _data_key(value))])
    return _function_copies_bound(opt.copy_propagation(primal)) if optimize else primal


def _data_key(v):
    """The key module data is guarded by: its kind's (an object's with the
    functions and objects it holds; a list of objects item by item)."""
    return analysis.arg_key(v) if _holds_objects(v) else analysis._item_key(v)


def _held_calls_split(primal, objects, classes):
    """``self.fc1(x)`` where ``fc1`` is an object ``self`` holds (not a method
    of its class): ``h = self.fc1`` then ``h(x)``, whose ``__call__`` is then
    resolved as a list item's is (``inline.resolve_methods``)."""
    if not objects:
        return primal
    roots, once = {}, Counter(n for s in ir.walk(primal.body) for n in ir.stmt_writes(s))
    for n in list(primal.param_names()) + [n for n in classes if not once[n]]:
        roots[n] = n                    # (a parameter, or a module-level object)
    for s in ir.walk(primal.body):      # copies of a parameter, assigned once
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and \
                isinstance(s.value, ir.Var) and s.value.name in roots and \
                once[s.target.name] == 1:
            roots[s.target.name] = roots[s.value.name]
    taken = set(once) | set(primal.param_names())
    counter = itertools.count(1)

    def split(stmts):
        out = []
        for s in stmts:
            s = opt._map_blocks(s, split)
            e = getattr(s, "value", None)
            if isinstance(s, (ir.Assign, ir.Effect)) and isinstance(e, ir.Op) and \
                    isinstance(e.fn, ir.PseudoOp) and e.fn.kind == "method" and e.args and \
                    isinstance(e.args[0], ir.Var) and \
                    (roots.get(e.args[0].name), e.fn.name) in objects and \
                    classes.get(roots[e.args[0].name]) is not None and \
                    inline_module.method_function(classes[roots[e.args[0].name]],
                                                  e.fn.name) is None:
                name = next(f"{e.fn.name}_{k}" for k in counter
                            if f"{e.fn.name}_{k}" not in taken)
                taken.add(name)
                out.append(ir.Assign(ir.Var(name), ir.Op(ir.Attr(e.fn.name), (e.args[0],)),
                                     s.loc))
                s = ir.with_value(s, ir.Op(ir.Method("__call__"),
                                           (ir.Var(name),) + e.args[1:], e.kwargs))
            out.append(s)
        return out
    body = split(primal.body)
    return primal if body == primal.body else primal.with_body(body)


def _namedtuple_fields(primal, arg_kinds):
    """``(primal, data)``: ``primal`` reading the fields of the namedtuples
    whose classes are known as their items (``inline.namedtuple_fields``):
    arguments (their kinds carry the class), items of container arguments,
    module data (``data``: ``{name: (value, scope)}`` of those read, whose
    class is then guarded)."""
    names = primal.param_names()
    classes = {n: k.cls for n, k in zip(names, arg_kinds or ())
               if isinstance(k, (analysis.NamedTupleOf, analysis.SeqItems)) and
               k.cls is not None}
    containers = {n: k for n, k in zip(names, arg_kinds or ())
                  if isinstance(k, analysis.SeqItems)}
    data = {name: (value, scope) for name, value, scope in _data_values(primal)
            if analysis.namedtuple_class(value) is not None}
    classes.update((n, type(v)) for n, (v, _) in data.items())
    if not classes and not containers:
        return primal, {}
    primal, used = namedtuple_fields(primal, classes, containers)
    return primal, {n: data[n] for n in used if n in data}


def _function_copies_bound(primal):
    """A name bound once to a function (a helper's parameter spliced in,
    ``adapt_f = integrand``) read as the function itself: passed on to a
    callee (a recursion), it is then that function (``FunctionArg``)."""
    from .optimize import substitute_block
    writes: dict = {}
    for s in ir.walk(primal.body):
        for n in ir.stmt_writes(s):
            writes[n] = writes.get(n, 0) + 1
    bound = {s.target.name: s.value for s in ir.walk(primal.body)
             if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and
             isinstance(s.value, ir.Const) and analysis.is_function(s.value.value) and
             writes.get(s.target.name) == 1}
    return primal.with_body(substitute_block(primal.body, bound)) if bound else primal


def _functions_bound(primal, arg_kinds):
    """``primal`` reading each function argument (``analysis.FunctionArg``)
    it never rebinds as the function itself: a call of it is a call of the
    function (``inline.resolve_methods``), differentiated like any other."""
    from .optimize import substitute_block
    written = ir.all_writes(primal.body)
    bound = {n: ir.Const(k.fn) for n, k in zip(primal.param_names(), arg_kinds or ())
             if isinstance(k, analysis.FunctionArg) and n not in written}
    return primal.with_body(substitute_block(primal.body, bound)) if bound else primal


def _data_instances(fn: ir.Function) -> dict:
    """``{name: (instance, scope)}`` for the module or closure data ``fn``
    reads by name that is an instance of a class written in Python (scope:
    the module's globals, where it is read live; None for a closure cell)."""
    return {name: (value, scope) for name, value, scope in _data_values(fn)
            if isinstance(analysis.build_kind(value), analysis.Instance)}


def _data_values(fn: ir.Function):
    """``(name, value, scope)`` of the module or closure data ``fn`` reads by
    name, as it is now (scope: the module's globals, where it is read live;
    None for a value frozen in the generated code's own globals)."""
    ns = fn.namespace
    for name in sorted(fn.free_data):
        if name in ns.bindings:
            yield name, ns.bindings[name], None
        elif ns.live_globals is not None and name in ns.live_globals:
            yield name, ns.live_globals[name], ns.live_globals


def build_tangent_grad(func, position: int, arg_kinds: tuple, return_value: bool) -> Built:
    """The gradient with respect to one Python float by the tangent sweep:
    the function's JVP with its seed made the constant 1.0, folded in. For one
    scalar input it is the cheaper evaluation of the same derivative (one
    pass, no tape), as a hand-written gradient of a loop accumulates the chain
    rule forward."""
    if isinstance(func, Derivative):      # a derivative of a derivative
        func = func.as_function(arg_kinds)
    key = ("tangent_grad", position, arg_kinds, return_value)
    with _LOCK:
        per_fn = _BUILT.setdefault(func, {})
        cached = _still_valid(per_fn.get(key))
        if cached is not None:
            return cached
        jvp = build(func, "jvp", (position,), arg_kinds)
        d = jvp.single          # (copy propagation is sound only before names merge)
        ret = d.body[-1]
        n = len(d.params) - 1
        if not (isinstance(ret, ir.Return) and isinstance(ret.value, ir.Op) and
                ret.value.fn is ir.MAKE_TUPLE and len(ret.value.args) == 2):
            return None
        value, tangent = ret.value.args
        seed = d.params[n].name
        primal = lowered(func)
        body = [ir.Assign(ir.Var(seed), ir.Const(1.0), ret.loc)] + d.body[:-1] + [
            ir.Return(ir.Op(ir.MAKE_TUPLE, (value, tangent)) if return_value else tangent,
                      ret.loc)]
        g = dc_replace(d, name=f"{primal.name}_{'vjp' if return_value else 'grad'}",
                       params=d.params[:n], body=body, temps=d.temps | {seed},
                       namespace=d.namespace.copy())
        g = opt.readable(opt.optimize(g, set(primal.temps)))
        wrt_name = primal.param_names()[position]
        kinds_in = {k: v for k, v in zip(primal.param_names(), arg_kinds) if v is not None}
        g = typed_gradients(g, (wrt_name,), kinds_in, return_value, False, False)
        g.header_comment = (f"gradient of {primal.name} with respect to {wrt_name} by the "
                            "tangent sweep (forward mode: one Python-float input, no tape)\n"
                            "specialised for " +
                            ", ".join(f"{k}: {v}" for k, v in kinds_in.items()))
        function, source, unparsed = _compile_named(g)
        built = Built(function, source, g, jvp.out_kind, unparsed, jvp.guards)
        per_fn[key] = built
        return built


def _finite(t) -> bool:
    """Whether a tangent (a number or an array) holds no inf or NaN."""
    if type(t) is float:
        return t - t == 0.0
    return bool(np.isfinite(t).all())


def _one_python_float(positions, kinds) -> bool:
    if kinds is None or len(positions) != 1:
        return False
    k = kinds[positions[0]]
    return k is not None and k.pyfloat and k.dtype == "float64"


def _output_kind_for(func, kinds, optimize: bool):
    """The kind ``func`` returns for arguments of ``kinds``: for a plain
    function, from the start of its build (``_prepared``, which the build
    then reuses), else inferred (``_callee_kind``)."""
    if isinstance(func, types.FunctionType):
        try:
            primal, _, body, found = _prepared(func, kinds, optimize)
        except WengertError:
            return None                  # (the build says what is wrong)
        return _output_kind(primal.with_body(body), found)
    return _callee_kind(_plain(func), kinds)


def _tangent_sweep_pays(func, positions, kinds, optimize: bool) -> bool:
    """Reverse mode's gradient by the tangent sweep instead: one Python-float
    input and a loop (whose adjoint would need a tape and a second pass)."""
    if not optimize or not _one_python_float(positions, kinds):
        return False
    try:
        body = lowered(func).body
    except WengertError:
        return False
    return any(isinstance(s, (ir.For, ir.While)) for s in ir.walk(body))


def _compile_named(d):
    """``(function, source, unparsed)`` (``backend.render``), compiled under a
    name none of the objects it calls has."""
    source, unparsed = render(d)
    if _own_name(d) != d.name:           # (emitting bound the names of what it calls)
        d.name = _own_name(d)
        source, unparsed = render(d)
    function, _ = compile_function(d, source)
    return function, source, unparsed


def _own_name(d) -> str:
    """A name for the generated function that no object it calls is bound to
    (``p_grad_jvp`` calling another specialisation also named ``p_grad_jvp``:
    the definition would replace it). Its own stand-in may share it."""
    name, i = d.name, 0
    ns = d.namespace
    while name in ns.taken or (name in ns.bindings and
                               not isinstance(ns.bindings[name], _ForwardRef)):
        i += 1
        name = f"{d.name}_{i}"
    return name


def _resolve_derivative_calls(stmts, kinds) -> list:
    """``wengert.grad(g)(x)`` inside a function: call the generated derivative
    of ``g`` for these kinds directly (it is then differentiated like any callee)."""
    from dataclasses import replace as _replace
    out = []
    for s in stmts:
        if isinstance(s, ir.Assign) and isinstance(s.value, ir.Op) and \
                isinstance(s.value.fn, Derivative):
            e = s.value
            args = _derivative_call_args(e.fn, e.args, e.kwargs, s.loc)
            arg_kinds = tuple(kinds.get(("container", a.name)) if isinstance(a, ir.Var) and
                              ("container", a.name) in kinds else analysis.expr_kind(a, kinds)
                              for a in args)
            fn = e.fn.as_function(arg_kinds)
            s = _replace(s, value=ir.Op(fn, args))
        for attr in ("body", "orelse", "test_body"):
            if hasattr(s, attr):
                s = _replace(s, **{attr: _resolve_derivative_calls(getattr(s, attr), kinds)})
        out.append(s)
    return out


def _derivative_call_args(d: "Derivative", args, kwargs, loc) -> tuple:
    """The arguments of a call of derivative ``d`` inside a function, bound
    as Python binds them to its function's parameters (keywords by name,
    defaults filled in), in order: its generated function takes every one
    positionally. Arguments that do not fit are refused at the call."""
    sig = d._sig
    try:
        bound = sig.bind(*args, **dict(kwargs))
    except TypeError as exc:
        raise UsageError(f"bad call to `{d.__name__}`: {exc}", loc,
                         hint=_call_hint(d.__wrapped__)) from None
    return tuple(bound.arguments[p.name] if p.name in bound.arguments else ir.Const(p.default)
                 for p in sig.parameters.values())


def _split_aux(body, primal, kinds):
    """``has_aux``: the function returns ``(out, aux)``; differentiate ``out``
    and pass ``aux`` through untouched. A return known not to be a pair is
    refused here, not left to fail unpacking in the generated code."""
    ret = body[-1]
    r = ret.value
    defs = [s for s in ir.walk(body) if isinstance(s, ir.Assign) and isinstance(r, ir.Var)
            and s.targets() == (r.name,)]
    returned = _not_a_pair(r, defs, kinds)
    if returned is not None:
        raise UsageError(
            f"has_aux=True needs `{primal.name}` to return a pair `(output, aux)`, but it "
            f"returns {returned}", defs[0].loc if len(defs) == 1 else ret.loc,
            hint="return the value to differentiate and the auxiliary data as a pair "
                 "(`return loss, aux`), or drop has_aux=True")
    names = set(primal.param_names()) | {n for s in ir.walk(body) for n in ir.stmt_writes(s)}
    out_name, aux_name = fresh(names, "out"), fresh(names, "aux")
    if len(defs) == 1 and isinstance(defs[0].value, ir.Op) and \
            defs[0].value.fn is ir.MAKE_TUPLE and len(defs[0].value.args) == 2:
        out, aux = defs[0].value.args
        split = [ir.Assign(ir.Var(out_name), out, ret.loc),
                 ir.Assign(ir.Var(aux_name), aux, ret.loc)]
    else:                  # several returns: take the pair apart at the end
        split = [ir.Assign((ir.Var(out_name), ir.Var(aux_name)), r, ret.loc)]
    return body[:-1] + split + [ir.Return(ir.Var(out_name), ret.loc)], aux_name


def _not_a_pair(r, defs, kinds) -> Optional[str]:
    """What a function returns (``r``, assigned by ``defs``) if it is known
    not to be a pair: a number, an array that does not unpack to two, a
    tuple of another length; else None."""
    sizes = {len(s.value.args) for s in defs if isinstance(s.value, ir.Op) and
             s.value.fn in (ir.MAKE_TUPLE, ir.MAKE_LIST) and not s.value.kwargs}
    if defs and len(sizes) == 1 and 2 not in sizes and \
            all(isinstance(s.value, ir.Op) and s.value.fn in (ir.MAKE_TUPLE, ir.MAKE_LIST)
                for s in defs):
        n = sizes.pop()
        return f"a tuple of {n} item{'s' if n != 1 else ''}"
    k = analysis.expr_kind(r, kinds)
    if type(k) is not analysis.Kind or any(d < 0 for d in k.shape):
        return None                    # (a list, tuple or dict, or not known)
    if k.shape == ():
        return "a number"
    return None if k.shape[0] == 2 else f"an array of shape {k.shape}"


def _kinds_in(primal, arg_kinds) -> dict:
    """The known argument kinds, by parameter name."""
    if arg_kinds is None:
        return {}
    out = analysis.known_kinds(primal.param_names(), arg_kinds)
    for n, k in zip(primal.param_names(), arg_kinds):
        if isinstance(k, analysis.Instance):      # its attributes' kinds
            out.update((("attr", n, a), ak) for a, ak in k.attrs
                       if not isinstance(ak, (analysis.FunctionArg, analysis.Instance)))
    containers = {n: k for n, k in out.items() if isinstance(k, analysis.SeqItems)}
    if containers:
        written = ir.all_writes(primal.body)
        for n, k in containers.items():
            out[n] = analysis.SEQ
            if n not in written:         # (another value, or an item set: items unknown)
                out.update(analysis.item_kinds(n, k))
                if _objects_in(k):       # passed on (to a gradient called inside): as is
                    out[("container", n)] = k
    return out


def _specialised_kinds(primal, kinds_in):
    """``(body, kinds)``: the kinds of ``primal``'s variables for arguments of
    ``kinds_in``; with any known, its body specialised to them (shapes are
    constants under the specialisation's guard) and its kinds found again
    (unless specialising left it as it was: then they are the same)."""
    kinds = analysis.infer_kinds(primal, kinds_in)
    body = primal.body
    for _ in range(3 if kinds_in else 0):   # folded sizes can make more kinds known
        specialised = specialize(body, kinds)        # (n = len(x) - 1; np.zeros(n))
        if specialised == body:
            break
        body = specialised
        kinds = analysis.infer_kinds(primal.with_body(body), kinds_in)
    return body, kinds


_KIND_IN_PROGRESS: dict = {}      # (id(func), arg kinds) -> the kind assumed for now
# the lowest depth in _KIND_IN_PROGRESS whose assumed kind the inference
# under way has read (one list, changed under _LOCK)
_ASSUMED = [0]


def _plain(func):
    """The Python function behind a derivative (for kind queries)."""
    while isinstance(func, Derivative):
        func = func.__wrapped__
    return func


_KINDS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _callee_kind(func, arg_kinds):
    """The kind ``func`` returns for arguments of ``arg_kinds`` (None if unknown);
    remembered per function."""
    with _LOCK:                        # one thread infers; recursion is detected per key
        per_fn = _KINDS.get(func)
        if per_fn is not None and arg_kinds in per_fn:
            result, guards = per_fn[arg_kinds]
            if _guards_hold(guards):
                _record(guards)
                return result
        depth = len(_KIND_IN_PROGRESS)
        saved, _ASSUMED[0] = _ASSUMED[0], depth
        try:
            with _Recording() as recording:
                result = _infer_callee_kind(func, arg_kinds)
            lowest = _ASSUMED[0]
        finally:
            _ASSUMED[0] = min(saved, _ASSUMED[0])
        # an answer that read the kind assumed for a call still being inferred
        # (one entered before this one) holds only under that assumption: not
        # remembered. One that read only its own (its recursion) is final,
        # unless it is still PENDING (it never returns without recursing:
        # what it returns is left to the call that recursed into it).
        if lowest >= depth and result != analysis.PENDING:
            try:
                _KINDS.setdefault(func, {})[arg_kinds] = (result, recording.result())
            except TypeError:
                pass
        return result


def _infer_callee_kind(func, arg_kinds):
    """A fixpoint for recursive functions: a recursive call first returns
    ``PENDING`` (joins to the other branch's kind, the base case's), then the
    kind found so far, until the kind returned is the kind assumed. A kind
    that keeps changing joins to None (unknown), so this ends."""
    key = (id(func), arg_kinds)
    if key in _KIND_IN_PROGRESS:         # recursion: the kind assumed for now
        _ASSUMED[0] = min(_ASSUMED[0], list(_KIND_IN_PROGRESS).index(key))
        return _KIND_IN_PROGRESS[key]
    if len(_KIND_IN_PROGRESS) > 20:
        _ASSUMED[0] = -1                 # cut off by depth: nothing above is final
        return None
    try:
        primal = lowered(func)
    except WengertError:
        return None
    assumed = _KIND_IN_PROGRESS[key] = analysis.PENDING
    try:
        for _ in range(8):
            found = _returned_kind(primal, arg_kinds)
            joined = analysis._join(assumed, found)
            if joined == assumed:
                break
            assumed = _KIND_IN_PROGRESS[key] = joined
        else:
            assumed = None
    finally:
        del _KIND_IN_PROGRESS[key]
    if assumed == analysis.PENDING and not _KIND_IN_PROGRESS:
        return None                      # never returns without recursing
    return assumed


def _returned_kind(primal, arg_kinds):
    kinds_in = analysis.known_kinds(primal.param_names(), arg_kinds)
    kinds_in.update(_data_kinds(primal))
    kinds = analysis.infer_kinds(primal, kinds_in)
    if kinds_in:
        known = {n: k for n, k in kinds.items() if k != analysis.PENDING}
        kinds = analysis.infer_kinds(primal.with_body(specialize(primal.body, known)),
                                     kinds_in)
    ret = primal.body[-1]
    return analysis.expr_kind(ret.value, kinds) if isinstance(ret, ir.Return) else None


def _derivative_kind(fn, arg_kinds):
    """A gradient is shaped like the input it is taken with respect to."""
    if not isinstance(fn, Derivative):
        return False
    if fn.what != "grad" or fn.has_aux or fn._tuple:
        return analysis.SEQ if fn._tuple or fn.what != "grad" else None
    i = fn._positions[0]
    k = arg_kinds[i] if i < len(arg_kinds) else None
    return analysis.FLOAT if k in (analysis.INT, analysis.NUMBER) else k


_IN_PROGRESS_ANALYSES: set = set()    # (cache id, id(func), key) being found


def _remembered(cache, func, key, assume, unreadable, find):
    """``find(primal)`` for ``func``'s Wengert list, remembered per function
    (and ``key``) in ``cache``; ``unreadable(exc)`` where it cannot be
    lowered. A recursion meets the question it is answering: it gets
    ``assume``, and an answer found under that assumption is remembered only
    once no such question is open, or when it is not the assumption (the
    analyses are monotone: one step beyond the assumption holds anyway)."""
    with _LOCK:
        try:
            known = _for_function(cache, func)
        except TypeError:                  # (not a function a weak key can hold)
            known = {}
        if key in known:
            return known[key]
        marker = (id(cache), id(func), key)
        if marker in _IN_PROGRESS_ANALYSES:
            return assume
        _IN_PROGRESS_ANALYSES.add(marker)
        try:
            try:
                primal = lowered(func)
            except WengertError as exc:
                found = unreadable(exc)
            else:
                found = find(primal)
        finally:
            _IN_PROGRESS_ANALYSES.discard(marker)
        if found != assume or not any(m[0] == id(cache) for m in _IN_PROGRESS_ANALYSES):
            known[key] = found
        return found


_MUTATES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _callee_mutates(func, i: int) -> bool:
    """Whether ``func`` may change its ``i``-th argument in place (a list it
    was given): it rebinds that parameter, or gives it to something that may
    (``analysis.mutated_names``). A recursion assumes not: none of the
    functions in it changes it unless one of them does so itself."""
    def find(primal) -> bool:
        names = primal.param_names()
        if i >= len(names) or primal.params[i].kwonly:
            return True
        return names[i] in ir.all_writes(primal.body) or \
            names[i] in analysis.mutated_names(primal)
    return _remembered(_MUTATES, func, i, False, lambda exc: True, find)


_CHANGES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _callee_changes(func, key):
    """Whether ``func`` changes in place the object it is given as its
    argument ``key`` (a position or a keyword): ``(loc, augmented,
    parameter)`` of the change (``mutating.changed_parameter``), None if it
    does not, or the error that says why it cannot be read. A recursion
    assumes not, as ``_callee_mutates`` does."""
    def find(primal):
        from . import mutating
        names = primal.param_names()
        i = names.index(key) if isinstance(key, str) and key in names else key
        return None if not isinstance(i, int) else \
            mutating.changed_parameter(primal, i, _callee_changes)
    return _remembered(_CHANGES, func, key, None, lambda exc: _at_call(exc, func, None), find)


_RETURNS_OBJECT: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _returns_object(func, _seen=frozenset()) -> bool:
    """Whether ``func`` may return an instance of a class written in Python
    (``return Shift(3.0)``, through copies, conditional expressions and calls
    of other such functions, a recursion's base case included): an operator
    on what it returns is that class's, never arithmetic on numbers
    (``inline.refuse_returned_objects``). Remembered per function."""
    try:
        known = _for_function(_RETURNS_OBJECT, func)       # {True: the answer}
    except TypeError:
        known = {}
    if True in known:
        return known[True]
    try:
        primal = lowered(func)
    except WengertError:
        return False
    defs: dict = {}
    for s in ir.walk(primal.body):
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var):
            defs.setdefault(s.target.name, []).append(s.value)
    seen = _seen | {func}

    def made(e, depth=0) -> bool:
        if depth > 16:
            return False
        if isinstance(e, ir.Var):
            return any(made(v, depth + 1) for v in defs.get(e.name, ()))
        if isinstance(e, ir.Const):
            cls = inline_module._instance(e.value)
            return cls is not None and not inline_module._array_like(cls)
        if isinstance(e, ir.Op):
            if e.fn is ir.IFEXP:
                return made(e.args[1], depth + 1) or made(e.args[2], depth + 1)
            if inline_module.user_class(e.fn):
                return not inline_module._array_like(e.fn)
            if isinstance(e.fn, types.FunctionType) and e.fn not in seen:
                return _returns_object(e.fn, seen)
        return False

    found = any(made(s.value) for s in ir.walk(primal.body)
                if isinstance(s, ir.Return) and s.value is not None)
    if found or not _seen:            # (a False inside a recursion: for this path only)
        known[True] = found
    return found


_RETURNS_FRESH: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _returns_fresh(func) -> bool:
    """Whether every ``return`` of ``func`` returns an array ``func`` made
    itself (``np.zeros``, arithmetic, ``.copy()``, an assignment into one of
    those, what another such function returns; ``analysis.made_arrays``):
    never a parameter, a view or an item of one, module data or a list, so
    its caller may assign into the result (``u = smooth(u); u[0] = u[1]``).
    A recursion assumes not; a function wengert cannot read does not.
    Remembered per function."""
    def find(primal) -> bool:
        made = analysis.made_arrays(primal, _returns_fresh)
        returns = [s for s in ir.walk(primal.body) if isinstance(s, ir.Return)]
        return bool(returns) and all(isinstance(s.value, ir.Var) and s.value.name in made
                                     for s in returns)
    return _remembered(_RETURNS_FRESH, func, True, False, lambda exc: False, find)


_DRAWS_IN: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _callee_draws(func) -> bool:
    """Whether ``func``, a helper without a rule, draws random numbers (or
    calls ``next``), itself or in its callees, or may change state (a body
    wengert cannot lower): reverse mode must not run it again in its adjoint
    sweep. Remembered per function."""
    from .custom import RULE_FUNCTIONS
    from .rules import registry
    if registry.lookup(func) is not None or func in RULE_FUNCTIONS:
        return False
    # one wengert cannot read as a Wengert list (`global n; n += 1`, `self.i = ...`,
    # `LOG.append(v)`): it may change state, and give another value when run again
    return _remembered(_DRAWS_IN, func, True, False, lambda exc: changes_state(func),
                       draws_in_body)


_OUTSIDE_IN: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _callee_outside(func) -> bool:
    """Whether ``func``, a helper that draws, draws from a generator that
    lives outside it (one given to it, NumPy's global one), not only from
    one it makes from an integer seed. Remembered per function."""
    return _remembered(_OUTSIDE_IN, func, True, True, lambda exc: True,
                       lambda primal: draws_module.outside_draw(primal) is not None)


draws_module.CALLEE_DRAWS = _callee_draws
draws_module.CALLEE_OUTSIDE = _callee_outside
analysis.CALLEE_KIND = _callee_kind
analysis.RETURNS_OBJECT = _returns_object
analysis.RETURNS_FRESH = _returns_fresh
analysis.CALLEE_MUTATES = _callee_mutates
analysis.CALLEE_CHANGES = _callee_changes
inline_module.METHOD_LOOKED_UP = _method_looked_up
analysis.DERIVATIVE_KIND = _derivative_kind


def _header(primal, mode, wrt_names, kinds_in) -> str:
    what = "tangent (forward mode)" if mode == "jvp" else "adjoint (reverse mode)"
    lines = [f"{what} of {primal.name} with respect to {', '.join(wrt_names) or 'nothing'}"]
    if kinds_in:
        shown = []
        for name, k in kinds_in.items():
            if not isinstance(name, str):
                continue                                 # an item: shown with its container
            items = [(key[2], v) for key, v in kinds_in.items()
                     if isinstance(key, tuple) and key[0] == "key" and key[1] == name and
                     not (type(key[2]) is int and key[2] < 0)]
            if items:
                dict_like = any(type(key) is str for key, _ in items)
                k = analysis.SeqItems(k.shape, "dict" if dict_like else "seq", items=tuple(items))
            elif ("items", name) in kinds_in:
                k = analysis.SeqOf(k.shape, k.dtype, item=kinds_in[("items", name)])
            shown.append(f"{name}: {k}")
        lines.append("specialised for " + ", ".join(shown))
    return "\n".join(lines)


def _seed(out_kind):
    """The default cotangent: 1 in the output's own dtype (float32 stays float32)."""
    if out_kind is None or out_kind.pyfloat or out_kind.shape != ():
        return 1.0
    dtype = np.dtype(out_kind.dtype)
    return 1.0 if dtype == np.float64 else dtype.type(1)


def _output_kind(primal, kinds):
    ret = primal.body[-1]
    return analysis.expr_kind(ret.value, kinds) if isinstance(ret, ir.Return) else None


def _refuse_passed_closure(func, loc, arg_kinds, optimize: bool = False) -> None:
    """A nested function that reads variables of the function it is in,
    passed to a helper that is not spliced in (``optimize=False``): its value
    (``runtime.bind_keywords``, a partial) has no derivative, and the helper
    built on its own would not know what it calls. Refused at the place it is
    passed, as reverse mode refuses its call in the helper."""
    if func is not runtime.bind_keywords:
        return
    first = arg_kinds[0] if arg_kinds else None
    name = getattr(getattr(first, "fn", None), "__name__", None)
    name = "a lambda" if name in (None, "<lambda>") else f"`{name}`"
    raise UnsupportedSyntaxError(
        f"{name}, a nested function that reads variables of the function it is in, "
        "passed to a helper that is not spliced in (" +
        ("a recursive helper" if optimize else "with optimize=False helpers are not") +
        "): its derivative through those variables cannot be followed", loc,
        hint=("" if optimize else "differentiate with optimize=True (the default), or ") +
             "pass the variables it reads to the helper as arguments and on to the function "
             "(`apply(f, w, x)` calling `f(x, w)`), the function defined at module level")


class _Context:
    """What forward and reverse mode ask of the API: derivatives of callees."""

    def __init__(self, optimize: bool, split: bool = True):
        self.optimize = optimize
        self.split = split

    def callee(self, func, mode: str, positions: tuple, loc, arg_kinds=None):
        _refuse_passed_closure(func, loc, arg_kinds, self.optimize)
        if arg_kinds is not None and all(k is None for k in arg_kinds):
            arg_kinds = None
        key = (id(func), mode, positions, arg_kinds, self.split)
        if key in _IN_PROGRESS:
            return _IN_PROGRESS[key]
        ref = _ForwardRef(f"{func.__name__}_{mode}")
        _IN_PROGRESS[key] = ref
        try:
            try:
                built = build(func, mode, positions, arg_kinds, return_value=False,
                              optimize=self.optimize, split=self.split, callee=True)
            except WengertError as exc:
                raise _at_call(exc, func, loc) from None
            ref.target = built.function
            _resolve_self_reference(built.function, ref)
            return built.function
        finally:
            _IN_PROGRESS.pop(key, None)

    def split_callee(self, func, positions: tuple, loc, arg_kinds=None):
        """``(f_fwd, f_bwd)`` for a callee's reverse mode (see
        ``reverse.split_vjp``)."""
        _refuse_passed_closure(func, loc, arg_kinds, self.optimize)
        if arg_kinds is not None and all(k is None for k in arg_kinds):
            arg_kinds = None
        key = (id(func), "split", positions, arg_kinds)
        if key in _IN_PROGRESS:
            return _IN_PROGRESS[key]
        refs = (_ForwardRef(f"{func.__name__}_fwd"), _ForwardRef(f"{func.__name__}_bwd"))
        _IN_PROGRESS[key] = refs
        try:
            try:
                pair = build_split(func, positions, arg_kinds, self.optimize)
            except WengertError as exc:
                raise _at_call(exc, func, loc) from None
            for ref, fn in zip(refs, pair):
                ref.target = fn
            for fn in pair:
                for ref, target in zip(refs, pair):
                    _resolve_self_reference(fn, ref, target)
            return pair
        finally:
            _IN_PROGRESS.pop(key, None)


def build_split(func, positions, arg_kinds, optimize: bool):
    """The compiled ``(f_fwd, f_bwd)`` pair of ``func`` (``reverse.split_vjp``)."""
    from .reverse import split_vjp
    key = ("split", positions, arg_kinds, optimize)
    with _LOCK:
        per_fn = _BUILT.setdefault(func, {})
        cached = per_fn.get(key)
        if cached is not None and _guards_hold(cached[1]):
            _record(cached[1])
            return cached[0]
        built = build(func, "vjp", positions, arg_kinds, return_value=True,
                      optimize=optimize, callee=True)
        name = built.ir.name[:-len("_vjp")] if built.ir.name.endswith("_vjp") \
            else built.ir.name
        parts = split_vjp(built.ir, f"{name}_fwd", f"{name}_bwd")
        if parts is None:                # no adjoint sweep to cut at: value, then VJP
            function = built.function
            full = build(func, "vjp", positions, arg_kinds, optimize=optimize)

            def fwd(*args):
                return function(*args)[0], args
            pair = (fwd, lambda res, g: full.function(*res, g))
        else:
            pair = tuple(_compile_named(p)[0] for p in parts)
        # (read by its callers' reverse mode: pause the collector over them)
        pair[0].__wengert_grows__ = built.ir.pause_gc
        per_fn[key] = (pair, built.guards)
        return pair


# --------------------------------------------------------------------------
# argument handling


_MISSING = object()           # an argument the caller left out


def _signature(func):
    try:
        return inspect.signature(func)
    except (TypeError, ValueError):
        return None


def _wrt_positions(func, wrt, sig=_MISSING):
    """Normalise ``wrt`` to (positions, tuple_result); ``sig``: ``func``'s
    signature, if already found."""
    sig = _signature(func) if sig is _MISSING else sig
    params = list(sig.parameters) if sig is not None else []
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    positions = []
    where = "0" if len(params) == 1 else f"0 to {len(params) - 1}"
    hint = (f"pass wrt= a parameter name ({', '.join(map(repr, params))}) or position "
            f"({where}), or a tuple of them" if params else
            f"`{func.__name__}` has no parameters to differentiate with respect to")
    for w in items:
        if isinstance(w, str):
            if w not in params:
                raise UsageError(f"`{w}` is not a parameter of `{func.__name__}` "
                                 f"(its parameters: {', '.join(params)})", hint=hint)
            positions.append(params.index(w))
        elif isinstance(w, int) and not isinstance(w, bool):
            n = len(params)
            if not -n <= w < n:
                raise UsageError(f"wrt={w} is out of range: `{func.__name__}` has {n} "
                                 "parameters", hint=hint)
            positions.append(w % n)
        else:
            raise UsageError(f"wrt must be a parameter position or name, not {w!r}",
                             hint=hint)
    if len(set(positions)) != len(positions):
        twice = next(p for p in positions if positions.count(p) > 1)
        raise UsageError(f"wrt names the parameter `{params[twice]}` twice ({wrt!r})",
                         hint="name each parameter once; the gradient comes back once for it")
    return tuple(positions), not single


def _bound(func):
    """``(function, leading arguments, keywords)`` for a bound method
    (``model.loss``, or a classmethod bound to its class) or a
    ``functools.partial`` of a function, else None. Their derivative is the
    function's, with the bound arguments passed as they are: held, never
    differentiated (an instance's attributes are read like any argument's)."""
    if isinstance(func, types.MethodType) and \
            isinstance(func.__func__, (types.FunctionType, Derivative)):
        return func.__func__, (func.__self__,), {}
    if type(func) in (functools.partial, _BoundDerivative) and \
            isinstance(func.func, (types.FunctionType, Derivative)):
        return func.func, func.args, dict(func.keywords)
    return None


def _shift_wrt(wrt, func, lead: int, keywords):
    """``wrt`` of a bound method or a partial, for its function (the ``lead``
    bound arguments come first)."""
    sig = _signature(func)
    params = list(sig.parameters) if sig is not None else []

    free = len(params) - lead                  # the arguments it is called with

    def one(w):
        if isinstance(w, str) and (w in params[:lead] or w in keywords):
            raise UsageError(f"wrt={w!r} is bound (the instance of a method, or an argument "
                             f"of a functools.partial of `{func.__name__}`)",
                             hint="differentiate with respect to the arguments it is called "
                                  "with; bound ones are held constant")
        if isinstance(w, int) and not isinstance(w, bool):
            if not -free <= w < free:
                raise UsageError(f"wrt={w} is out of range: `{func.__name__}` is called with "
                                 f"{free} argument{'s' if free != 1 else ''} after the bound "
                                 f"one{'s' if lead != 1 else ''}",
                                 hint="count positions from the first argument after the "
                                      "instance (or the partial's arguments)")
            return w + lead if w >= 0 else w
        return w
    return tuple(one(w) for w in wrt) if isinstance(wrt, (tuple, list)) else one(wrt)


class _BoundDerivative(functools.partial):
    """A derivative of a bound method or of a ``functools.partial``: the
    partial of the function's derivative, whose attributes (``.source``) it
    shows. Not a bound method: that would hand ``specialize`` to the
    function's derivative without the instance."""

    def __new__(cls, func, /, *args, **keywords):
        self = super().__new__(cls, func, *args, **keywords)
        # as the function's own: called inside a differentiated function, help()
        self.__module__ = getattr(func, "__module__", None)
        self.__doc__ = getattr(func, "__doc__", None)
        return self

    def __getattr__(self, name):
        if name == "__wrapped__":        # (inspect.signature: the partial's, bound
            raise AttributeError(name)   #  arguments left out, not the function's)
        return getattr(self.func, name)

    def __eq__(self, other):             # m.loss == m.loss, as bound methods
        return type(other) is type(self) and other.func is self.func and \
            len(other.args) == len(self.args) and \
            all(a is b for a, b in zip(other.args, self.args)) and \
            other.keywords.keys() == self.keywords.keys() and \
            all(other.keywords[k] is v for k, v in self.keywords.items())

    def __hash__(self):
        return hash((id(self.func),) + tuple(map(id, self.args)))

    def specialize(self, /, *args, **kwargs) -> str:
        """``Derivative.specialize`` with the bound arguments first, as a call."""
        return self.func.specialize(*self.args, *args, **{**self.keywords, **kwargs})


def _on_bound(func, transform, wrt, **options):
    """``transform`` of a bound method or of a partial: the function's, with
    the instance (or the partial's arguments) bound first."""
    f, lead, keywords = _bound(func)
    d = transform(f, wrt=_shift_wrt(wrt, f, len(lead), keywords), **options)
    return _BoundDerivative(d, *lead, **keywords)


def _check_function(func, api: str):
    if isinstance(func, Derivative):
        return func
    if _bound(func) is not None:
        raise UsageError(f"wengert.{api} does not take a bound method or a partial",
                         hint=f"pass the function, with the bound arguments as its "
                              f"first arguments")
    from .custom import CustomJVP, CustomVJP
    if isinstance(func, (CustomVJP, CustomJVP)):
        return func.fun
    made = getattr(func, "__wengert_operator__", None)
    if made is not None:                 # jacfwd(jacrev(f)): a wrapper, not source
        raise UsageError(
            f"wengert.{api} of a function made by wengert.{made}: only derivatives made by "
            "grad and value_and_grad can be differentiated again",
            hint="for second derivatives use wengert.hessian(f), "
                 "wengert.jacfwd(wengert.grad(f)) or wengert.jacrev(wengert.grad(f)), "
                 "and wengert.hvp(f) for Hessian-vector products")
    if type(func) is functools.partial and isinstance(func.func, types.MethodType):
        m = func.func
        owner = m.__self__ if isinstance(m.__self__, type) else type(m.__self__)
        cls, name = owner.__name__, m.__func__.__name__
        raise UsageError(
            f"wengert.{api} of a functools.partial of a bound method (`{cls}.{name}`) is not "
            "supported", hint=f"make the partial of the class's function with the object "
                              f"first (`functools.partial({cls}.{name}, obj, ...)`), or pass "
                              f"the bound method itself (`wengert.{api}(obj.{name})`)")
    if not isinstance(func, types.FunctionType):
        raise UsageError(f"wengert.{api} needs a Python function, not {type(func).__name__}",
                         hint="pass a function defined with def")
    return func


def _full_args(sig, func, args, kwargs):
    """All positional arguments, defaults applied (fast path: no keywords)."""
    if not kwargs and sig is not None and len(args) == len(sig.parameters):
        return args
    if sig is None:
        return args
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise UsageError(f"{func.__name__}(): {exc}", hint=_call_hint(func)) from None
    bound.apply_defaults()
    return tuple(bound.arguments.values())


def _call_hint(func) -> str:
    return (f"a derivative takes the arguments of the function: "
            f"{func.__name__}{_signature(func)}")


def _holds_complex(v, depth: int = 0) -> bool:
    """Whether the list, tuple or dict ``v`` holds a complex number or array."""
    if depth > 8:
        return False
    for item in (v.values() if type(v) is dict else v):
        if type(item) is complex or isinstance(item, np.complexfloating) or \
                (type(item) is np.ndarray and item.dtype.kind == "c") or \
                (type(item) in (list, tuple, dict) and _holds_complex(item, depth + 1)):
            return True
    return False


def _promote(args, positions):
    """Integer inputs we differentiate are treated as floats; complex ones are
    refused (a real derivative of complex code would be silently wrong)."""
    for i in positions:
        a = args[i] if i < len(args) else None
        if type(a) is complex or (type(a) is np.ndarray and a.dtype.kind == "c") or \
                isinstance(a, np.complexfloating) or \
                (type(a) in (list, tuple, dict) and _holds_complex(a)):
            raise UsageError(
                f"argument {i} is complex: wengert differentiates real-valued functions",
                hint="pass the real and imaginary parts as separate real arguments")
    if not any(type(args[i]) in (int, bool) or
               isinstance(args[i], (np.integer, np.bool_)) or
               (type(args[i]) is np.ndarray and args[i].dtype.kind in "iub")
               for i in positions):
        return args
    out = list(args)
    for i in positions:
        a = out[i]
        if type(a) in (int, bool):
            out[i] = float(a)
        elif isinstance(a, (np.integer, np.bool_)):      # np.int64(3): np.float64(3.0)
            out[i] = np.float64(a)
        elif type(a) is np.ndarray and a.dtype.kind in "iub":
            out[i] = a.astype(np.float64)
    return tuple(out)


# --------------------------------------------------------------------------
# derivative objects


class Derivative(functools.partial):
    """A callable derivative of a function, specialised per argument kinds.

    ``.source`` is the generated source most recently used (or the general
    version before the first call); ``__wrapped__`` is the original function.
    """

    # A call runs generated code (``_install_dispatcher``) that checks the
    # kinds of its arguments against those it has a specialisation for (no
    # per-call key computation, keywords bound natively). The object is a
    # functools.partial of that code with no arguments bound: a partial is
    # called without building a bound method or an argument tuple (Python's
    # vectorcall, inherited by subclasses from 3.12 on), much faster than an
    # instance's ``__call__``; the dispatcher is swapped in by ``__setstate__``.

    def __new__(cls, *args, **kwargs):
        return functools.partial.__new__(cls, _unready)

    def __init__(self, func, wrt, mode: str, what: str, optimize: bool = True,
                 has_aux: bool = False):
        self.__wrapped__ = func
        self.has_aux = has_aux
        self.mode = mode
        self.what = what                        # "grad" | "value_and_grad"
        self.optimize = optimize
        self._sig = _signature(func)
        self._wrt = wrt
        self._definition = _definition(func)    # (wengert.grad(f) again: the same one
                                                #  while f's code and defaults are)
        self._positions, self._tuple = _wrt_positions(func, wrt, self._sig)
        self._cache: dict = {}
        self._last: Optional[Built] = None
        functools.update_wrapper(self, func, updated=())
        self.__name__ = f"{func.__name__}_{what}"
        self.__qualname__ = self.__name__
        self._keys: list = []                   # specialisations, in the order built
        self._built: dict = {}                  # key -> Built, where the call is its function
        self._attributes: dict = {}             # (position, class) -> attributes read
        _install_dispatcher(self)

    def __repr__(self) -> str:
        wrt = self._positions if self._tuple else self._positions[0]
        return (f"<wengert.{self.what} of {self.__wrapped__.__qualname__} "
                f"wrt={wrt} mode={self.mode!r}>")

    def __get__(self, obj, cls=None):
        """A derivative in a class body (``@wengert.grad`` on a method) binds
        like a method: ``m.loss(x)`` is ``wengert.grad(m.loss)(x)``, whose
        ``wrt`` counts the arguments after ``self`` (docs/api.md, "Methods and
        partials"). Through the class, ``M.loss(m, x)``, it is the function's."""
        if obj is None:
            return self
        method = self.__dict__.get("_method")
        if method is None:
            method = self._method = self._of_method()
        return _BoundDerivative(method, obj)

    def _of_method(self) -> "Derivative":
        """This derivative of the function called as a method: ``wrt`` shifted
        past ``self``."""
        func = self.__wrapped__
        if isinstance(func, Derivative):        # @grad @grad: each level binds
            func = func._of_method()
        return _derivative(func, _shift_wrt(self._wrt, func, 1, {}), self.mode, self.what,
                           self.optimize, self.has_aux)

    def _generic_call(self, /, *args, **kwargs):   # where no dispatcher is generated
        return self._slow_call(*_full_args(self._sig, self.__wrapped__, args, kwargs))

    def _dispatch_to(self, function) -> None:
        """Make ``function`` what a call of this derivative runs."""
        self.__setstate__((function, (), None, self.__dict__))

    def __reduce__(self):
        raise TypeError(f"cannot pickle {self!r}: derivatives are built again "
                        f"from the function (wengert.grad(f) where it is unpickled)")

    def __copy__(self):                  # (as a function: itself)
        return self

    def __deepcopy__(self, memo):
        return self

    def _slow_call(self, *args):
        """The path for kinds the dispatcher does not check inline."""
        return self._function_for(args)(*_promote(args, self._positions))

    def _function_for(self, args):
        """The generated function for ``args``' kinds, built if new."""
        if any(a is _MISSING for a in args):
            self._bad_call(**{name: a for name, a in zip(self._sig.parameters, args)
                              if a is not _MISSING})
        refuse_iterators(self.__wrapped__, args)
        kinds = self._attribute_keys(args, tuple(map(analysis.arg_key, args)))
        call = self._lookup(kinds)
        if call is None:
            self._differentiable(args)
        if call is None and len(self._keys) >= _MAX_GUARDED and \
                any(isinstance(k, analysis.ItemsKey) for k in kinds) and \
                not any(_holds_objects(a) for a in args):
            # containers seen with many item shapes: code for any items from now on
            # (not for objects: their classes are what their methods are found by)
            kinds = tuple(map(analysis.kind_key, args))
            call = self._lookup(kinds)
        if call is None:
            call = self._specialize(_promote(args, self._positions), kinds)
        return call

    def _differentiable(self, args) -> None:
        """Refuse an object or a function at a differentiated position."""
        names = list(_signature(self.__wrapped__).parameters)
        for i in self._positions:
            k = analysis.build_kind(args[i]) if i < len(args) else None
            if hasattr(type(args[i]), "__array_function__"):
                continue                     # an array of another library (Dask)
            if isinstance(k, (analysis.Instance, analysis.FunctionArg)):
                what = f"a `{type(args[i]).__qualname__}` object" \
                    if isinstance(k, analysis.Instance) else "None" if args[i] is None else \
                    f"the function `{getattr(args[i], '__name__', args[i])}`"
            elif isinstance(args[i], (str, bytes, set, frozenset, collections.abc.Iterator)) \
                    or (k is None and args[i] is not None and not isinstance(
                        args[i], (list, tuple, dict, np.ndarray, np.generic, float, int))):
                what = f"a `{type(args[i]).__qualname__}`"      # (a set, a generator, text)
            elif _holds_objects(args[i]):
                k = analysis.arg_kind(args[i], instances=True)
                classes = sorted({item.cls.__qualname__ for _, item in k.items
                                  if isinstance(item, analysis.Instance)})
                what = f"a {type(args[i]).__name__} that holds " + \
                    ", ".join(f"`{c}`" for c in classes) + " objects"
            else:
                continue
            name = f"`{names[i]}`" if i < len(names) else f"argument {i}"
            raise UsageError(
                f"wengert.{self.what} differentiates with respect to {name}, and it is "
                f"{what}, which has no derivative",
                hint="differentiate with respect to the arrays it holds (wrt= another "
                     "argument, or pass them in as arguments), or differentiate a method "
                     "bound to the object: wengert.grad(obj.method)")

    def specialize(self, /, *args, **kwargs) -> str:
        """Build the code a call with arguments like these runs (for their
        kinds: shapes, dtypes, the kinds of a container's items), as the
        first such call would, without running it; returns its source. A
        warm-up off the clock: the call that follows finds it built."""
        call = self._function_for(_full_args(self._sig, self.__wrapped__, args, kwargs))
        built = next((b for b in self._built.values() if b.function is call), None)
        return built.source if built is not None else self.source

    def _attribute_keys(self, args, keys) -> tuple:
        """``keys`` with each instance argument's made an ``AttrsKey`` of the
        attributes the function reads of it (``analysis.instance_attributes``,
        found at the first call with its class), so that the code built reads
        them with their kinds."""
        out = list(keys)
        for i, (a, k) in enumerate(zip(args, keys)):
            if i in self._positions or not isinstance(analysis.build_kind(a),
                                                      analysis.Instance):
                continue
            own = getattr(a, "__dict__", None)      # (which of them hold functions:
            held = frozenset(n for n, v in own.items()  # self.act(x) reads one)
                             if analysis.is_function(v) or v is None) \
                if isinstance(own, dict) else None
            names = self._attributes.get((i, k, held))
            if names is None:
                names = self._attributes[(i, k, held)] = self._attributes_read(args, i)
            called = self._attributes.get((i, k, "called"))
            if called is None:                  # methods called on it: the class's, while
                called = self._attributes[(i, k, "called")] = tuple(sorted(   # the object
                    _shadowed_methods(self.__wrapped__, i, lambda n: True)))  # has none
            entries = tuple((n, _attribute_key(getattr(a, n)) if hasattr(a, n) else
                             AttributeError) for n in names) + tuple(
                (n, analysis.NOT_OWN) for n in called
                if n not in names and isinstance(own, dict) and n not in own)
            if entries:                         # (missing: Python raises where it is read)
                out[i] = analysis.AttrsKey(k, entries)
        return tuple(out)

    def _attributes_read(self, args, i) -> tuple:
        return _attributes_read(self.__wrapped__, args, i, self._positions, self.optimize)

    def _lookup(self, kinds):
        return next((self._cache[key] for key in self._keys
                     if key[0] == kinds and _guards_hold(key[1])), None)

    def _bad_call(self, /, *args, **kwargs):   # (a parameter may be named `self`)
        """Arguments that do not fit the signature: the dispatcher sends too
        few or too many here, off its fast path."""
        kwargs = {k: v for k, v in kwargs.items() if v is not _MISSING}
        _full_args(self._sig, self.__wrapped__, args, kwargs)
        raise UsageError(f"{self.__wrapped__.__name__}() got arguments that do not fit "
                         "its signature", hint=_call_hint(self.__wrapped__))

    def _specialize(self, args, arg_keys):
        """Build for these arguments' kinds. The key is theirs and the kinds of
        the module data the code was specialised for (``guards``), each checked
        by the dispatcher before this code runs."""
        kinds = tuple(analysis.arg_kind(a, instances=i not in self._positions)
                      if isinstance(k, analysis.ItemsKey) or
                      (isinstance(k, analysis.IntsKey) and i not in self._positions) else
                      _instance_kind(a, k) if isinstance(k, analysis.AttrsKey) else
                      analysis.wrt_kind(a) if i in self._positions else
                      analysis.build_kind(a) for i, (a, k) in enumerate(zip(args, arg_keys)))
        with _LOCK, _Recording() as recording, runtime.gc_paused():
            call = self._make(kinds)      # (a build's objects hold no cycles: the
        key = (arg_keys, recording.result())   # collector would only walk them)
        with _LOCK:
            for dead in [k for k in self._keys if _rebound(k[1])]:
                self._keys.remove(dead)          # built for a function, a method or a
                self._cache.pop(dead, None)      # closure value rebound since: never
                self._built.pop(dead, None)      # valid again until it is rebound back
            if key not in self._cache:
                self._cache[key] = call
                if self._last is not None and call is self._last.function:
                    self._built[key] = self._last
                self._keys.append(key)
                _install_dispatcher(self)
        return call

    def _make(self, kinds):
        if self.mode in ("auto", "reverse"):
            return self._make_reverse(kinds)
        if self.mode == "forward":
            return self._make_forward(kinds)
        raise UsageError(f"mode must be 'auto', 'reverse' or 'forward', not {self.mode!r}",
                         hint="pass mode='auto' (the default), 'reverse' or 'forward'")

    def _make_reverse(self, kinds):
        want_value = self.what == "value_and_grad"
        out_kind = _output_kind_for(self.__wrapped__, kinds, self.optimize) \
            if kinds is not None and not self.has_aux else None
        if out_kind is not None and out_kind.shape != ():
            raise _non_scalar_output(self.what, self.__wrapped__, out_kind)
        known = out_kind is not None
        if self.mode == "auto" and known and out_kind.pyfloat and \
                not (self.has_aux or self._tuple) and \
                _tangent_sweep_pays(self.__wrapped__, self._positions, kinds, self.optimize):
            built = build_tangent_grad(self.__wrapped__, self._positions[0], kinds, want_value)
            if built is not None:
                self._last = built
                return built.function
        with_value = want_value or not (known or self.has_aux)
        built = build(self.__wrapped__, "vjp", self._positions, kinds,
                      return_value=with_value, optimize=self.optimize, has_aux=self.has_aux,
                      seed_param=False, tuple_result=self._tuple)
        if built.out_kind is not None and with_value == want_value:
            self._last = built
            return built.function
        # the output's kind is unknown: check it is a scalar at run time
        built = build(self.__wrapped__, "vjp", self._positions, kinds, return_value=True,
                      optimize=self.optimize, has_aux=self.has_aux, seed_param=False,
                      tuple_result=self._tuple)
        self._last = built
        f, what, has_aux = built.function, self.what, self.has_aux
        primal, sig = self.__wrapped__, self._sig

        def checked(*args):
            try:
                value, g = f(*args)
            except Exception:
                # (the adjoint sweep, seeded with 1.0, fails on an output that is
                # not a scalar before the value can be checked: say so instead)
                error = _non_scalar_primal(primal, sig, args, what, has_aux)
                if error is not None:
                    raise error from None
                raise
            _check_scalar(value[0] if has_aux else value, what)
            if want_value:
                return value, g
            return (g, value[1]) if has_aux else g
        return checked

    def _make_forward(self, kinds):
        def jvp_of(positions):
            return build(self.__wrapped__, "jvp", positions, kinds, optimize=self.optimize,
                         has_aux=self.has_aux)
        built = jvp_of(self._positions)
        if self.optimize and _one_python_float(self._positions, kinds) and \
                built.out_kind is not None and built.out_kind.pyfloat and \
                not (self.has_aux or self._tuple):
            # the tangent sweep with its seed folded in: no wrapper around it
            tangent = build_tangent_grad(self.__wrapped__, self._positions[0], kinds,
                                         self.what == "value_and_grad")
            if tangent is not None:
                self._last = tangent
                return tangent.function
        self._last = built
        f = built.function
        positions, tuple_result, want_value = self._positions, self._tuple, \
            self.what == "value_and_grad"
        has_aux = self.has_aux

        what = self.what
        scalar_out = built.out_kind is not None and built.out_kind.shape == ()
        if len(positions) > 1 or kinds is None or any(kinds[i] is None or kinds[i].shape != ()
                                                      for i in positions):
            refuse_outside_draw(built.ir, "a forward-mode gradient", kinds)  # (a run per element)
        # several inputs: one sweep of the JVP of all of them per input, the
        # others' tangents zero. A zero tangent times an infinite or NaN partial
        # (log(x) of x ** y at x < 0) would make NaN of another input's
        # derivative: a derivative that is not finite is computed again by a
        # sweep of that input alone, the others' tangents symbolic zeros (built
        # the first time one is needed)
        alone: list = []

        def sweep(j, args, tangents):
            value, t = f(*args, *tangents)
            if len(positions) == 1 or _finite(t):
                return value, t
            if not alone:
                alone.extend(jvp_of((p,)).function for p in positions)
            return alone[j](*args, tangents[j])
        if kinds is not None and all(kinds[i] is not None and kinds[i].pyfloat
                                     for i in positions):
            # Python floats: one pass per input, seeds made once
            seeds = [tuple(1.0 if k == j else 0.0 for k in range(len(positions)))
                     for j in range(len(positions))]

            def forward_grad(*args):
                grads = []
                for j, seed in enumerate(seeds):
                    value, t = sweep(j, args, seed)
                    grads.append(t)
                if not scalar_out:
                    _check_scalar(value[0] if has_aux else value, what)
                grads = [t if type(t) is float else float(t) for t in grads]   # not an int
                result = tuple(grads) if tuple_result else grads[0]
                if has_aux:
                    return (value, result) if want_value else (result, value[1])
                return (value, result) if want_value else result
            return forward_grad

        def forward_grad(*args):
            value, grads = None, []
            zeros = [_zero_like(args[k]) for k in positions]
            for j, i in enumerate(positions):
                x = args[i]
                tangents = list(zeros)
                if isinstance(x, (list, tuple, dict)):
                    outs = []
                    for tangents[j] in _one_hot_tangents(x):
                        value, t = sweep(j, args, tangents)
                        _check_scalar(value[0] if has_aux else value, what)
                        outs.append(t)
                    grads.append(_shaped_like(x, iter(outs)))
                    continue
                shape = np.shape(x)
                if shape == ():
                    tangents[j] = _unit(x)
                    value, t = sweep(j, args, tangents)
                    _check_scalar(value[0] if has_aux else value, what)
                    grads.append(_typed_like(t, x))
                    continue
                # the input's float dtype (float16 stays float16)
                g = np.zeros(shape, dtype=x.dtype if x.dtype.kind == "f" else
                             np.result_type(x, np.float64))
                e = np.zeros(shape, dtype=g.dtype)       # one seed buffer, reused
                tangents[j] = e
                for idx in np.ndindex(*shape):
                    e[idx] = 1
                    value, t = sweep(j, args, tangents)
                    e[idx] = 0
                    _check_scalar(value[0] if has_aux else value, what)
                    g[idx] = t
                grads.append(g)
            result = tuple(grads) if tuple_result else grads[0]
            if has_aux:
                return (value, result) if want_value else (result, value[1])
            return (value, result) if want_value else result
        return forward_grad

    def _repr_html_(self) -> str:
        """Notebooks show the generated source, highlighted."""
        from .display import derivative_html
        return derivative_html(self)

    @property
    def source(self) -> str:
        if self._last is None:
            self._make(None)
        return self._last.source

    def as_function(self, kinds=None):
        """A plain generated function computing this derivative for arguments
        of ``kinds``: what a derivative of this derivative differentiates."""
        if kinds is not None and all(k is None for k in kinds):
            kinds = None
        want_value = self.what == "value_and_grad"
        arrays = kinds is not None and any(kinds[i] is not None and kinds[i].shape != ()
                                           for i in self._positions)
        if self.mode != "forward" or arrays:
            # (a forward-mode gradient of an array, one tangent pass per element,
            # is differentiated as the adjoint that computes the same numbers)
            return build(self.__wrapped__, "vjp", self._positions, kinds,
                         return_value=want_value, optimize=self.optimize,
                         seed_param=False, tuple_result=self._tuple,
                         has_aux=self.has_aux, split=False).function
        built = build(self.__wrapped__, "jvp", self._positions, kinds, optimize=self.optimize)
        return _forward_grad_function(self, built, kinds)


analysis.FUNCTION_TYPES += (Derivative,)     # a gradient passed in: called as one


_MAX_GUARDED = 8


def _attributes_read(func, args, i, positions, optimize: bool) -> tuple:
    """The attributes of argument ``i`` (an instance) ``func`` reads, with
    kinds worth specialising for (arrays, numbers and functions in the
    instance's own ``__dict__``, on a class with Python's attribute lookup),
    when that is all it does with the object."""
    a, cls = args[i], type(args[i])
    if cls.__getattribute__ is not object.__getattribute__ or \
            not isinstance(getattr(a, "__dict__", None), dict):
        return ()
    kinds = tuple(analysis.kind_of_value(x) if j in positions else
                  analysis.build_kind(x) for j, x in enumerate(args))
    try:
        with _LOCK, _Recording():
            primal = _with_methods_resolved(lowered(func), kinds, optimize)
    except WengertError:
        return ()                    # (the build says what is wrong)
    own = vars(a)

    def held(n):                     # self.act(x): a function in the instance's dict
        return n in own and (analysis.is_function(own[n]) or own[n] is None or   # (None:
                             isinstance(analysis.build_kind(own[n]), analysis.Instance)) \
            and not _data_descriptor(cls, n)    # `self.act is None` decided; self.fc1(x))
    names = analysis.instance_attributes(primal, primal.param_names()[i], held,
                                         _callee_reads(cls, held, optimize)) or ()
    names = tuple(sorted(set(names) | _shadowed_methods(func, i, held)))
    return tuple(n for n in names if n in own and not _data_descriptor(cls, n) and
                 (analysis.kind_of_value(own[n]) is not None or held(n) or
                  _holds_objects(own[n]) or
                  isinstance(analysis.build_kind(own[n]), analysis.Instance)))


def _callee_reads(cls, held, optimize: bool, depth: int = 0, seen=frozenset()):
    """``passed(callee, positions)`` for ``analysis.instance_attributes``: the
    attributes a function given the object (of class ``cls``) at those
    positions reads of it, its methods resolved (``Model.forward(self, x)``,
    a method built as a callee), in turn through its own callees; None where
    it does more than read them, cannot be read, or recurses."""
    from .rules import registry

    def passed(callee, positions):
        if depth >= MAX_DEPTH or callee in seen or registry.lookup(callee) is not None:
            return None
        try:
            params = list(_signature(callee).parameters)
            kinds = tuple(analysis.Instance(cls) if j in positions else None
                          for j in range(len(params)))
            with _Recording():
                primal = _with_methods_resolved(lowered(callee), kinds, optimize)
        except (WengertError, TypeError, ValueError):
            return None
        deeper = _callee_reads(cls, held, optimize, depth + 1, seen | {callee})
        found = set()
        for j in positions:
            read = analysis.instance_attributes(primal, primal.param_names()[j], held, deeper)
            if read is None:
                return None
            found.update(read)
        return tuple(sorted(found))
    return passed


def _shadowed_methods(func, i, held) -> set:
    """The methods ``func`` calls on its argument ``i`` (``self.forward(x)``)
    that the object holds as functions of its own (``n.forward = lambda x:
    ...``): Python calls those, not the class's, so they are read (and
    guarded) like ``self.act``. Found before the calls are resolved to the
    class's functions."""
    try:
        fn = lowered(func)
    except WengertError:
        return set()
    names = fn.param_names()
    if i >= len(names):
        return set()
    me = names[i]
    return {e.fn.name for s in ir.walk(fn.body) for e in analysis._stmt_ops(s)
            if isinstance(e.fn, ir.PseudoOp) and e.fn.kind == "method" and e.args and
            e.args[0] == ir.Var(me) and held(e.fn.name)}


_ATTRIBUTES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def refuse_iterators(func, args) -> None:
    """A generator, ``map``, ``zip``, an ``itertools`` iterator or a set as an
    argument the function loops over: an iterator can be read once (wengert
    may run the function more than once, and reads a loop's items by index),
    and a set's order is not one to differentiate along. (``next(it)`` on an
    iterator passed in is a draw: ``draws``.)"""
    if not any(isinstance(a, (collections.abc.Iterator, set, frozenset)) for a in args):
        return
    looped = _looped_parameters(func)
    names = list(_signature(_plain(func)).parameters) if _signature(_plain(func)) else []
    for i, a in enumerate(args):
        if isinstance(a, (collections.abc.Iterator, set, frozenset)) and i < len(names) \
                and names[i] in looped:
            what = "a set" if isinstance(a, (set, frozenset)) else \
                f"an iterator (`{type(a).__name__}`)"
            raise UsageError(
                f"`{names[i]}` of `{getattr(func, '__name__', func)}` is {what}, which it "
                "loops over",
                hint="pass a list or a tuple (list(...) of it): an iterator can be read "
                     "only once, and a set has no order to differentiate along")


def _looped_parameters(func) -> set:
    """The parameters ``func`` loops over (``for c in coeffs``) itself."""
    try:
        fn = lowered(_plain(func))
    except WengertError:
        return set()            # (the build says what is wrong)
    params = set(fn.param_names())
    return {s.value.args[0].name for s in ir.walk(fn.body)
            if isinstance(s, ir.Assign) and isinstance(s.value, ir.Op) and
            s.value.fn is runtime.iterated and s.value.args and
            isinstance(s.value.args[0], ir.Var) and s.value.args[0].name in params}


def instance_build_kinds(func, args, positions, optimize: bool = True) -> tuple:
    """``analysis.build_kinds``, with each instance argument's ``Instance``
    carrying the kinds of the attributes ``func`` reads of it (as a
    derivative's dispatcher specialises them): for the entry points that
    build for each call's arguments (``jvp``, ``vjp``, ``jacfwd``, ...)."""
    refuse_iterators(func, args)
    kinds = list(analysis.build_kinds(args, positions))
    for i, (a, k) in enumerate(zip(args, kinds)):
        if i not in positions and _holds_objects(a):     # a list of layers: each class
            kinds[i] = analysis.arg_kind(a, instances=True)
            continue
        if i in positions or not isinstance(k, analysis.Instance):
            continue
        own = getattr(a, "__dict__", None)
        held = frozenset(n for n, v in own.items()
                         if analysis.is_function(v) or v is None) \
            if isinstance(own, dict) else None
        key = (i, type(a), held, tuple(positions), optimize)
        per_fn = _ATTRIBUTES.setdefault(func, {})
        names = per_fn.get(key)
        if names is None:
            names = per_fn[key] = _attributes_read(_plain(func), args, i, positions,
                                                   optimize)
        if names:
            kinds[i] = _instance_kind(a, analysis.AttrsKey(type(a), tuple(
                (n, None) for n in names)))
    return tuple(kinds)


def _instance_kind(obj, key: "analysis.AttrsKey") -> "analysis.Instance":
    """The ``Instance`` of ``obj`` with the kinds of the attributes in ``key``
    (a function's ``FunctionArg``: called as that function)."""
    kinds = ((n, _attribute_kind(getattr(obj, n)) if hasattr(obj, n) else None)
             for n, k in key.attrs            # (a missing one: Python raises, when read;
             if k is not analysis.NOT_OWN)    #  a method of the class's: no kind)
    return analysis.Instance(key.cls, tuple((n, k) for n, k in kinds if k is not None))


def _attribute_kind(v):
    if _holds_objects(v):                 # self.layers: each item's class (and functions)
        return analysis.arg_kind(v, instances=True)
    if isinstance(analysis.build_kind(v), analysis.Instance):   # self.prior: its class and
        return analysis.Instance(type(v), analysis.held_functions(v) +   # what it holds
                                 analysis.held_objects(v) + analysis.held_containers(v, 1))
    return analysis.FunctionArg(v) if analysis.is_function(v) or v is None else \
        analysis.kind_of_value(v)


def _attribute_key(v):
    if _holds_objects(v):
        return analysis.arg_key(v)
    if isinstance(analysis.build_kind(v), analysis.Instance):
        return analysis._item_key(v)     # its class and the functions it holds, checked
    return analysis.FunctionArg(v) if analysis.is_function(v) else analysis.kind_key(v)


def _objects_in(k) -> bool:
    """Whether kind ``k`` is a container's holding instances (its items'
    classes and functions are shown in the header)."""
    return isinstance(k, analysis.SeqItems) and \
        any(isinstance(item, analysis.Instance) or _objects_in(item) for _, item in k.items)


def _holds_objects(v) -> bool:
    """Whether ``v`` is a list, tuple or dict (that ``analysis.arg_kind``
    specialises) holding an instance of a class written in Python: a model's
    ``self.layers``, whose items' methods are then resolved."""
    return type(v) in (list, tuple, dict) and _objects_in(analysis.arg_kind(v, instances=True))


_data_descriptor = analysis.data_descriptor


def _install_dispatcher(d: "Derivative") -> None:
    """Generate ``__call__`` for ``d``: the original signature (keywords and
    defaults bind natively), then one inline guard per specialisation::

        def f_grad(x=__w_missing, y=2.0, *__w_extra):
            if __w_extra:
                return __w_bad(x, y, *__w_extra)
            if type(x) is float and type(y) is float:
                return __w_spec0(x, y)
            return __w_slow(x, y)

    Arguments that do not fit the signature reach ``__w_bad`` or
    ``__w_slow`` (a missing one is ``__w_missing``, which no guard passes),
    which raise a UsageError naming the function.
    """
    sig = d._sig
    if sig is None:
        d._dispatch_to(d._generic_call)
        return
    # builtins by names of their own: an inlined body that reads module data
    # runs with the user's module as its builtins
    g = {"__w_slow": d._slow_call, "__w_bad": d._bad_call, "__w_nd": np.ndarray,
         "__w_type": type, "__w_float": float,
         "__w_f64": _as_float64, "__w_missing": _MISSING}
    params, names, kwonly = [], [], []
    for i, p in enumerate(sig.parameters.values()):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            d._dispatch_to(d._generic_call)     # not differentiable anyway: the generic path
            return
        # a missing argument is __w_missing: no guard passes it, so it reaches
        # __w_slow; extra positional arguments land in *__w_extra
        default = "__w_missing"
        if p.default is not inspect.Parameter.empty:
            g[f"__w_default{i}"] = p.default
            default = f"__w_default{i}"
        (kwonly if p.kind == p.KEYWORD_ONLY else params).append(f"{p.name}={default}")
        names.append(p.name)
    positional = names[:len(params)] + ["*__w_extra"]
    by_name = [f"{n}={n}" for n in names[len(params):]]
    # named like the derivative, so a TypeError for an unknown keyword names it
    fname = d.__name__ if d.__name__.isidentifier() else "__call__"
    lines = [f"def {fname}({', '.join(params + ['*__w_extra'] + kwonly)}):",
             "    if __w_extra:",
             f"        return __w_bad({', '.join(positional + by_name)})"]
    for n, key in enumerate(d._keys[:_MAX_GUARDED]):
        conds, args = [], []
        for j, (name, k) in enumerate(zip(names, key[0])):
            cond, arg = _guard(name, k, j in d._positions, g, f"{n}_{j}")
            conds.append(cond)
            args.append(arg)
        checked = [g for g in key[1] if not isinstance(g[2], _Defined)]   # (a function's
        for j, (scope_id, name, k) in enumerate(checked):   # code and defaults: not per call)
            scope = _scope(scope_id)
            if isinstance(scope, _Cells):          # a closure variable: its cell
                g[f"__w_scope{n}_{j}"] = scope.cells[name]
                read = f"__w_scope{n}_{j}.cell_contents"
            else:
                g[f"__w_scope{n}_{j}"] = scope
                read = f"__w_scope{n}_{j}.get({name!r})"
            cond, _ = _guard(read, k, False, g, f"{n}_g{j}")
            conds.append(cond)
        g[f"__w_spec{n}"] = d._cache[key]
        lines.append(f"    if {' and '.join(conds) or 'True'}:")
        inline = _inline_body(d, key, names, args, g) if n == 0 else None
        lines.extend(inline or [f"        return __w_spec{n}({', '.join(args)})"])
    lines.append(f"    return __w_slow({', '.join(names)})")
    source = "\n".join(lines) + "\n"
    code = _DISPATCH_CODE.get(source)
    if code is None:
        filename = f"<wengert dispatch {d.__name__} #{next(_DISPATCH)}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        code = _DISPATCH_CODE[source] = compile(source, filename, "exec")
    exec(code, g)
    d._dispatch_to(g[fname])
    d._dispatch_source = source


_DISPATCH = itertools.count(1)
_DISPATCH_CODE: dict = {}           # dispatcher source -> compiled code (shared)


def _unready(*args, **kwargs):
    raise UsageError("a derivative was called before it was made")


def _inline_body(d, key, names, args, g):
    """The first specialisation's body, inlined under its guard (one Python
    call fewer per gradient): only for plain generated functions."""
    built = d._built.get(key)
    if built is None or list(args) != list(names):
        return None
    bindings = built.ir.namespace.bindings
    if any(k in g and g[k] is not v for k, v in bindings.items()):
        return None
    cached = getattr(built, "_inline", None)
    if cached is None:
        cached = built._inline = _inline_lines(built)
    if cached is False or cached[0] != list(names):
        return None
    g.update(bindings)
    live = built.ir.namespace.live_globals
    if live is not None:
        g["__builtins__"] = live
    return cached[1]


def _inline_lines(built):
    """``(parameter names, indented body lines)`` of a generated function:
    its statements without comments, as ``ast.unparse`` writes them. Read
    from the text unparsing wrote before comments were added, unless a
    re-parse could give other text: a docstring (written as one), or a
    complex constant (``(1+2j)`` parses back as a sum)."""
    unparsed = built.unparsed
    if unparsed is None or built.ir.doc or re.search(r"\dj\b", unparsed):
        tree = ast.parse(built.source).body[0]
        body = [line for stmt in tree.body for line in ast.unparse(stmt).splitlines()]
    else:
        lines = unparsed.split("\n")
        tree = ast.parse(lines[0] + "\n    pass").body[0]        # the def line
        body = [line[4:] for line in lines[1:] if not is_comment(line)]
    params = [a.arg for a in tree.args.args]
    defaults = tree.args.defaults
    required = params[:len(params) - len(defaults)]
    out = []
    for name, default in zip(params[len(required):], defaults):
        out.append(f"        {name} = {ast.unparse(default)}")
    out.extend("        " + line for line in body)
    return (required, out)


def _guard(name, k, wrt, g, tag):
    """The inline test that an argument has kind key ``k``, and how to pass it."""
    if isinstance(k, _Same):                 # that very object
        g[f"__w_f{tag}"] = k.obj
        return f"{name} is __w_f{tag}", name
    if isinstance(k, analysis.FunctionArg):  # a function: that one
        g[f"__w_f{tag}"] = k.fn
        return f"{name} is __w_f{tag}", name
    if isinstance(k, analysis.AttrsKey):     # an instance: its class and attributes
        g[f"__w_t{tag}"] = k.cls
        g["__w_getattr"] = getattr
        conds = [f"__w_type({name}) is __w_t{tag}"]
        for i, (attr, item) in enumerate(k.attrs):
            if item is analysis.NOT_OWN:      # self.energy(x): no energy of its own
                g["__w_own"] = runtime.own_attributes
                conds.append(f"{attr!r} not in __w_own({name})")
                continue
            value = f"__w_a{tag}_{i}"
            cond = _guard(value, item, False, g, f"{tag}_{i}")[0]
            conds.append(cond.replace(value, f"({value} := __w_getattr({name}, {attr!r}, None))",
                                      1))
        return " and ".join(conds), name
    if isinstance(k, analysis.IntsKey):      # a list of ints (a short one: each checked)
        g[f"__w_t{tag}"] = k.type
        g["__w_all_ints"] = runtime.all_ints
        g["__w_len"] = len              # (builtins by names of their own: see below)
        return (f"__w_type({name}) is __w_t{tag} and __w_len({name}) <= {analysis._MAX_INTS} "
                f"and __w_all_ints({name})"), name
    if isinstance(k, analysis.ItemsKey):     # a container: its length, keys and items
        g[f"__w_t{tag}"] = k.type
        g["__w_len"] = len              # (an inlined body may run with the user's module
        conds = [f"__w_type({name}) is __w_t{tag}",          # as its builtins)
                 f"__w_len({name}) == {len(k.items)}"]
        if k.type is dict:                   # in order: loops over it run in it
            g[f"__w_keys{tag}"] = tuple(key for key, _ in k.items)
            g["__w_tuple"] = tuple
            conds.append(f"__w_tuple({name}) == __w_keys{tag}")
        for i, (key, item) in enumerate(k.items):
            conds.append(_guard(f"{name}[{key!r}]", item, False, g, f"{tag}_{i}")[0])
        return " and ".join(conds), name
    if isinstance(k, tuple):            # an array: shape and dtype
        shape, dtype = k
        g[f"__w_dt{tag}"] = np.dtype(dtype)
        cond = (f"__w_type({name}) is __w_nd and {name}.shape == {shape!r} "
                f"and {name}.dtype is __w_dt{tag}")
        arg = f"__w_f64({name})" if wrt and np.dtype(dtype).kind in "iub" else name
        return cond, arg
    g[f"__w_t{tag}"] = k
    arg = name
    if wrt and k in (int, bool):
        arg = f"__w_float({name})"
    elif wrt and isinstance(k, type) and issubclass(k, (np.integer, np.bool_)):
        g["__w_npf64"] = np.float64                     # as _promote does
        arg = f"__w_npf64({name})"
    return f"__w_type({name}) is __w_t{tag}", arg


def _as_float64(a):
    return a.astype(np.float64)


def _forward_grad_function(d: "Derivative", built, kinds):
    """Forward-mode gradient with respect to scalar inputs, as generated source:
    one tangent pass per input, each seeded with 1."""
    import linecache
    from .backend import _counter
    if kinds is not None and any(kinds[i] is not None and kinds[i].shape != ()
                                 for i in d._positions):
        raise UsageError(
            "a forward-mode gradient can be differentiated again only with respect to "
            "scalar inputs", hint="use mode='reverse' for the inner gradient")
    params = list(_signature(d.__wrapped__).parameters)
    jvp_name = built.function.__name__
    name = re.sub(r"\W", "_", d.__name__)          # (`<lambda>_grad`: lambda__grad)
    if not name.isidentifier():
        name = "f_grad"
    lines = [f"def {name}({', '.join(params)}):"]
    for i in d._positions:              # kinds unknown here: check they are scalars
        if kinds is None or kinds[i] is None:
            lines.append(f"    {params[i]} = check_scalar({params[i]}, 'a forward-mode gradient "
                         f"differentiated again (inputs must be scalars)')")
    outs = []
    for j, i in enumerate(d._positions):
        seeds = ", ".join("1.0" if k == j else "0.0" for k in range(len(d._positions)))
        lines.append(f"    value, t{j} = {jvp_name}({', '.join(params)}, {seeds})")
        outs.append(f"t{j}")
    result = outs[0] if not d._tuple else "(" + ", ".join(outs) + ",)"
    if d.what == "value_and_grad":
        result = f"(value, {result})"
    lines.append(f"    return {result}")
    src = "\n".join(lines) + "\n"
    filename = f"<wengert {name} #{next(_counter)}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    from .runtime import check_scalar
    namespace = {jvp_name: built.function, "check_scalar": check_scalar}
    exec(compile(src, filename, "exec"), namespace)
    return namespace[name]


def _typed_like(t, x):
    """A forward-mode gradient with respect to the scalar ``x`` (the tangent
    ``t``), given ``x``'s type: a Python float, a NumPy scalar of its type,
    or a 0-d array of its dtype."""
    if type(x) is float:
        return t if type(t) is float else float(t)
    if isinstance(x, np.generic):
        return t if type(t) is type(x) else type(x)(t)
    if type(x) is np.ndarray:
        return runtime.as_array(t, x.dtype.type)
    return t


def _non_scalar_output(what: str, func, out_kind) -> UsageError:
    shape = _sequence_shape(func) if out_kind == analysis.SEQ else f"shape {out_kind.shape}"
    return UsageError(
        f"{what} needs a function with a scalar output, but `{func.__name__}` returns {shape}",
        hint="use wengert.vjp or wengert.jacrev for other outputs, or has_aux=True "
             "to return extra values")


def _sequence_shape(func) -> str:
    """How a function returning a list or tuple is described: as NumPy sees
    it (``shape (2,)``) when its length can be read from the return."""
    fn = lowered(_plain(func))
    ret = fn.body[-1]
    defs = [s.value for s in ir.walk(fn.body) if isinstance(s, ir.Assign) and
            isinstance(ret, ir.Return) and isinstance(ret.value, ir.Var) and
            s.targets() == (ret.value.name,)]
    if len(defs) == 1 and isinstance(defs[0], ir.Op) and \
            defs[0].fn in (ir.MAKE_TUPLE, ir.MAKE_LIST):
        what = "a tuple" if defs[0].fn is ir.MAKE_TUPLE else "a list"
        return f"{what} of shape ({len(defs[0].args)},)"
    if len(defs) == 1 and isinstance(defs[0], ir.Op) and isinstance(defs[0].fn, ir.PseudoOp) \
            and defs[0].fn.kind == "dict":
        return "a dict"
    return "a dict, list or tuple"


def _zero_like(x):
    if isinstance(x, float) or type(x) is int:
        return 0.0
    if _no_derivative(x):
        return None
    if isinstance(x, (list, tuple, dict)):
        return _rebuild(x, map(_zero_like, _items(x)))
    return np.zeros_like(x)


def _no_derivative(x) -> bool:
    """A string, bytes or None in a container argument (a label, an option):
    not differentiated; its gradient is None, in both modes."""
    return x is None or isinstance(x, (str, bytes))


def _items(x):
    return x.values() if isinstance(x, dict) else x


def _rebuild(x, items):
    """A list, tuple (named too) or dict like ``x`` holding ``items``: a
    plain dict, list or tuple for a subclass (a ``defaultdict``, whose
    constructor takes a factory; an ``OrderedDict``), as reverse mode gives."""
    if isinstance(x, dict):
        return dict(zip(x.keys(), items))
    if hasattr(x, "_fields"):
        return type(x)(*items)
    return list(items) if isinstance(x, list) else tuple(items)


def _one_hot_tangents(x):
    """One tangent per scalar entry of ``x`` (a number, an array, or a list,
    tuple or dict of them): ``x``'s zero with a 1 at that entry."""
    if isinstance(x, (list, tuple, dict)):
        zero = [_zero_like(e) for e in _items(x)]
        for i, e in enumerate(_items(x)):
            for t in _one_hot_tangents(e):
                yield _rebuild(x, zero[:i] + [t] + zero[i + 1:])
    elif _no_derivative(x):
        return
    elif np.shape(x) == ():
        yield _unit(x)
    else:
        for idx in np.ndindex(*np.shape(x)):
            e = np.zeros(np.shape(x), dtype=np.result_type(x, np.float32))
            e[idx] = 1
            yield e


def _unit(x):
    """The tangent 1 for a scalar ``x``, of its type: a 0-d array for a 0-d
    array (the code built for one indexes it: ``x[()]``, ``x.T``)."""
    if isinstance(x, np.ndarray):
        return np.ones((), dtype=np.result_type(x, np.float32))
    return x.dtype.type(1) if isinstance(x, np.generic) else 1.0


def _shaped_like(x, derivatives):
    """The gradient with respect to ``x`` from the derivatives along
    ``_one_hot_tangents(x)``, in order: shaped like ``x``."""
    if isinstance(x, (list, tuple, dict)):
        return _rebuild(x, [_shaped_like(e, derivatives) for e in _items(x)])
    if _no_derivative(x):
        return None
    if np.shape(x) == ():
        return runtime.as_item(next(derivatives), x)
    g = np.zeros(np.shape(x), dtype=np.result_type(x, np.float32))
    for idx in np.ndindex(*np.shape(x)):
        g[idx] = next(derivatives)
    return g


def _non_scalar_primal(func, sig, args, what, has_aux) -> Optional[UsageError]:
    """``_check_scalar``'s UsageError if ``func`` at ``args`` (all its
    parameters, in order) returns something other than a scalar, else None
    (a failure of ``func`` itself included: the caller's error stands)."""
    try:
        kinds = [p.kind for p in sig.parameters.values()] if sig is not None else []
        positional = [a for a, k in zip(args, kinds) if k != inspect.Parameter.KEYWORD_ONLY]
        keywords = {n: a for n, a, k in zip(sig.parameters if sig else (), args, kinds)
                    if k == inspect.Parameter.KEYWORD_ONLY}
        value = func(*(positional if sig is not None else args), **keywords)
    except Exception:
        return None
    if has_aux:
        try:
            _, _ = value
        except (TypeError, ValueError):
            return UsageError(f"has_aux=True needs `{func.__name__}` to return a pair "
                              f"`(output, aux)`, but it returned {type(value).__name__}",
                              hint="return the value to differentiate and the auxiliary data "
                                   "as a pair (`return loss, aux`), or drop has_aux=True")
    try:
        _check_scalar(value[0] if has_aux and isinstance(value, tuple) else value, what)
    except UsageError as error:
        return error
    return None


def _check_scalar(value, what):
    if value is None:
        raise UsageError(f"{what} needs a function with a scalar output, but it returned None",
                         hint="add the missing `return`")
    if isinstance(value, (str, bytes)):
        raise UsageError(f"{what} needs a function with a scalar output, but it returned a "
                         f"{type(value).__name__}", hint="return the number it computes")
    if np.ndim(value) != 0:
        raise UsageError(
            f"{what} needs a function with a scalar output, but it returned shape "
            f"{np.shape(value)}",
            hint="use wengert.vjp or wengert.jacrev for array outputs, or reduce "
                 "the output (e.g. with np.sum)")


# function -> {(wrt, mode, what, optimize, has_aux): weakref to its Derivative}.
# The Derivative is held weakly too: it holds its function (``__wrapped__``),
# so a strong value would keep the weak key alive.
_DERIVATIVES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _derivative(func, wrt, mode, what, optimize, has_aux) -> "Derivative":
    """The Derivative for these options: the one already made while it lives
    (its specialisations are then shared), otherwise a new one."""
    key = (wrt, mode, what, optimize, has_aux)
    try:
        ref = _DERIVATIVES.get(func, {}).get(key)
    except TypeError:                           # an unhashable wrt (a list)
        return Derivative(func, wrt, mode, what, optimize, has_aux)
    d = ref() if ref is not None else None
    if d is not None and not (_same_definition(d._definition, func) and all(
            k.holds() for key in d._keys for _, _, k in key[1] if isinstance(k, _Defined))):
        d = None                      # (its or a callee's code or defaults replaced: anew)
        _DERIVATIVES.get(func, {}).pop(key, None)
    if d is None:
        d = Derivative(func, wrt, mode, what, optimize, has_aux)
        with _LOCK:
            made = _DERIVATIVES.setdefault(func, {})
            old = made.get(key)
            d = (old() if old is not None else None) or d
            made[key] = weakref.ref(d)
    return d


# --------------------------------------------------------------------------
# public functions


def grad(func=None, wrt=0, mode: str = "auto", optimize: bool = True,
         has_aux: bool = False):
    """The gradient of a scalar function.

    Usable bare (``@wengert.grad``), with options (``@wengert.grad(wrt=1)``)
    or as a call (``wengert.grad(f, wrt=("x", "y"))``). ``wrt`` is a position,
    a parameter name, or a tuple of them (the result is then a tuple).

    ``mode``: ``"reverse"`` (the adjoint sweep), ``"forward"`` (one tangent
    sweep per input), or ``"auto"`` (the default): reverse mode, except for
    one Python-float input to a function with a loop, whose gradient the
    tangent sweep computes in one pass with no tape.

    >>> import wengert
    >>> def g(x):
    ...     return 2 * x ** 2 - x + 1
    >>> wengert.grad(g)(3.0)
    11.0
    """
    if func is None:
        return lambda f: grad(f, wrt=wrt, mode=mode, optimize=optimize, has_aux=has_aux)
    if _bound(func) is not None:
        return _on_bound(func, grad, wrt, mode=mode, optimize=optimize, has_aux=has_aux)
    func = _check_function(func, "grad")
    return _derivative(func, wrt, mode, "grad", optimize, has_aux)


def value_and_grad(func=None, wrt=0, mode: str = "auto", optimize: bool = True,
                   has_aux: bool = False):
    """Like ``grad``, returning ``(value, gradient)`` (``((value, aux), gradient)``
    with ``has_aux=True``)."""
    if func is None:
        return lambda f: value_and_grad(f, wrt=wrt, mode=mode, optimize=optimize,
                                        has_aux=has_aux)
    if _bound(func) is not None:
        return _on_bound(func, value_and_grad, wrt, mode=mode, optimize=optimize,
                         has_aux=has_aux)
    func = _check_function(func, "value_and_grad")
    return _derivative(func, wrt, mode, "value_and_grad", optimize, has_aux)


def jvp(func, primals, tangents, has_aux: bool = False):
    """Forward mode: ``(f(*primals), J @ tangents)`` (JAX's convention); with
    ``has_aux=True``, ``(out, J @ tangents, aux)``."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise UsageError("jvp takes the primals and the tangents as tuples: "
                         "jvp(f, (x, y), (dx, dy))",
                         hint="wrap a single argument and its tangent: jvp(f, (x,), (dx,))")
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise UsageError(f"jvp got {len(primals)} primals but {len(tangents)} tangents",
                         hint="pass one tangent per primal, shaped like it")
    func, primals, first = _unbound_primals(func, primals, "jvp")
    _differentiable_primals(primals, first, "jvp")
    tangents = tuple(t if _held_integer(p, t) else
                     _fitted(t, p, "tangent", f"jvp of `{func.__name__}`", "primal", f"[{i}]")
                     for i, (p, t) in enumerate(zip(primals[first:], tangents)))
    positions = tuple(i for i in range(first, len(primals))   # (tangents: from `first`)
                      if not _held_integer(primals[i], tangents[i - first]))
    tangents = tuple(tangents[i - first] for i in positions)
    primals = _full_args(_signature(func), func, _promote(primals, positions), {})
    kinds = instance_build_kinds(func, primals, positions)    # (defaults held, as passed)
    built = build(func, "jvp", positions, kinds, has_aux=has_aux)
    out, tangent = built.function(*primals, *tangents)
    if has_aux:
        return out[0], tangent, out[1]
    return out, tangent


def _held_integer(primal, tangent) -> bool:
    """An integer primal (a label, an index array) with a zero (or None)
    tangent: held as it is, not made a float to be differentiated."""
    integer = type(primal) in (int, bool) or isinstance(primal, (np.integer, np.bool_)) or \
        (type(primal) is np.ndarray and primal.dtype.kind in "iub")
    try:
        return integer and (tangent is None or not np.any(tangent))
    except (TypeError, ValueError):
        return False


def vjp(func, *primals, has_aux: bool = False):
    """Reverse mode: ``(f(*primals), pullback)``; ``pullback(cotangent)``
    returns a tuple with one adjoint per primal. With ``has_aux=True``, ``f``
    returns ``(out, aux)`` and the result is ``(out, pullback, aux)``."""
    func, primals, first = _unbound_primals(func, primals, "vjp")
    _differentiable_primals(primals, first, "vjp")
    # an integer or boolean array (labels, indices) is held as it is, not made a
    # float to be differentiated: its adjoint is a zero
    every = tuple(range(first, len(primals)))
    positions = tuple(i for i in every if not _held_integer(primals[i], None)) or every
    given = _promote(primals, positions)
    primals = _full_args(_signature(func), func, given, {})
    kinds = instance_build_kinds(func, primals, positions)    # (defaults held, as passed)
    built = build(func, "vjp", positions, kinds, return_value=True, has_aux=has_aux)
    refuse_outside_draw(built.ir, "vjp", kinds, runs="runs the function again in each pullback")
    value = func(*given)

    out_kind = built.out_kind

    def pullback(cotangent):
        cotangent = _fitted(cotangent, value[0] if has_aux else value, "cotangent",
                            f"the pullback of `{func.__name__}`", "output")
        try:
            _, grads = built.function(*primals, _cotangent_like(cotangent, out_kind))
        except (KeyError, IndexError, TypeError, ValueError):
            # (only off the path that works: a cotangent shaped unlike the output)
            wrong = _unlike(cotangent, value[0] if has_aux else value)
            if wrong is None:
                raise
            raise UsageError(f"the cotangent given to the pullback of `{func.__name__}` "
                             f"{wrong}",
                             hint="pass a cotangent with the output's structure: "
                                  f"{_structure(value[0] if has_aux else value)}") from None
        grads = grads if len(positions) > 1 else (grads,)
        if len(positions) == len(every):
            return grads
        found = dict(zip(positions, grads))
        return tuple(found[i] if i in found else 0.0 if type(primals[i]) is not np.ndarray
                     else np.zeros(np.shape(primals[i])) for i in every)
    pullback.source = built.source
    if has_aux:
        return value[0], pullback, value[1]
    return value, pullback


def _fitted(c, like, what: str, to: str, of: str, where: str = ""):
    """``c``, a cotangent (or tangent) for the value ``like``, in ``like``'s
    structure: a list or tuple given for an array made an array (NumPy
    would repeat a list: ``2 * [1.0, 2.0]``); refused where its structure,
    shape or type cannot be ``like``'s (a silently broadcast or complex one)."""
    def refuse(why):
        raise UsageError(f"the {what} given to {to} {why}",
                         hint=f"pass a {what} with the {of}'s structure: {_structure(like)}")
    at = f" at {where}" if where else ""
    if isinstance(like, dict):
        if not isinstance(c, dict):
            refuse(f"is a {type(c).__name__}{at} where the {of} has a dict")
        extra = [k for k in c if k not in like]
        missing = [k for k in like if k not in c]
        if missing or extra:
            refuse(f"has no key {', '.join(map(repr, missing))}{at}" if missing else
                   f"has the key {', '.join(map(repr, extra))}{at}, which the {of} has not")
        return {k: _fitted(c[k], v, what, to, of, f"{where}[{k!r}]") for k, v in like.items()}
    if isinstance(like, (tuple, list)) and not isinstance(like, np.ndarray):
        if not isinstance(c, (tuple, list)):
            refuse(f"is a {type(c).__name__}{at} where the {of} has a {type(like).__name__}")
        if len(c) != len(like):
            refuse(f"has {len(c)} item{'s' if len(c) != 1 else ''}{at} where the {of} has "
                   f"{len(like)}")
        items = [_fitted(u, v, what, to, of, f"{where}[{i}]")
                 for i, (u, v) in enumerate(zip(c, like))]
        return type(c)(items) if type(c) in (list, tuple) else tuple(items)
    if isinstance(like, (np.ndarray, np.generic, float, int)) and not isinstance(like, bool):
        if c is None or isinstance(c, (str, bytes, dict)):
            refuse(f"is {'None' if c is None else 'a ' + type(c).__name__}{at} where the "
                   f"{of} is a number or an array")
        if isinstance(c, (list, tuple)):
            try:
                c = np.asarray(c, dtype=np.float64)
            except (TypeError, ValueError):
                refuse(f"is a {type(c).__name__}{at} that is not an array of numbers")
        if np.iscomplexobj(c):
            refuse(f"is complex{at}: wengert differentiates real-valued functions")
        if np.shape(c) != np.shape(like):
            refuse(f"has shape {np.shape(c)}{at} where the {of} has shape {np.shape(like)}")
    return c


def _unlike(cotangent, out, where: str = "") -> Optional[str]:
    """How ``cotangent`` differs in structure from the output ``out`` (a
    dict's keys, a tuple's or list's length, nesting), or None."""
    at = f" at {where}" if where else ""
    if isinstance(out, dict):
        if not isinstance(cotangent, dict):
            return f"is a {type(cotangent).__name__}{at} where the output has a dict"
        missing = [k for k in out if k not in cotangent]
        if missing:
            return f"has no key {', '.join(map(repr, missing))}{at}"
        items = ((f"[{k!r}]", cotangent[k], v) for k, v in out.items())
    elif isinstance(out, (tuple, list)):
        if not isinstance(cotangent, (tuple, list)):
            return f"is a {type(cotangent).__name__}{at} where the output has a " \
                   f"{type(out).__name__}"
        if len(cotangent) != len(out):
            return f"has {len(cotangent)} item{'s' if len(cotangent) != 1 else ''}{at} " \
                   f"where the output has {len(out)}"
        items = ((f"[{i}]", c, v) for i, (c, v) in enumerate(zip(cotangent, out)))
    else:
        return None
    return next((w for w in (_unlike(c, v, where + k) for k, c, v in items)
                 if w is not None), None)


def _structure(v) -> str:
    """``v``'s structure as a cotangent should have it: ``{'a': array of shape (3,)}``."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {_structure(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (tuple, list)):
        inner = ", ".join(_structure(x) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
    if isinstance(v, np.ndarray):
        return f"array of shape {v.shape}"
    return "number" if isinstance(v, (float, int, np.number)) else type(v).__name__


def _unbound_primals(func, primals, api):
    """``(function, primals, first differentiated position)``: a bound
    method's function, with its instance as the first primal (held)."""
    bound = _bound(func)
    if bound is None:
        return _check_function(func, api), primals, 0
    f, lead, keywords = bound
    if keywords:
        raise UsageError(f"wengert.{api} of a functools.partial with keyword arguments",
                         hint=f"bind them positionally, or differentiate `{f.__name__}` "
                              "itself")
    return _check_function(f, api), tuple(lead) + primals, len(lead)


def _differentiable_primals(primals, first, api):
    """Refuse an object or a function among the primals ``jvp``/``vjp``
    differentiate (every one they are given): it has no derivative."""
    for i, p in enumerate(primals[first:]):
        k = analysis.build_kind(p)
        opaque = k is None and not isinstance(p, (list, tuple, dict, np.ndarray, np.generic,
                                                  float, int, type(None)))
        if isinstance(k, (analysis.Instance, analysis.FunctionArg)) or opaque:
            what = "None" if p is None else f"the function `{getattr(p, '__name__', p)}`" \
                if isinstance(k, analysis.FunctionArg) else f"a `{type(p).__qualname__}` object"
            raise UsageError(
                f"wengert.{api} differentiates with respect to every primal it is given, and "
                f"primal {i} is {what}, which has none",
                hint="hold it fixed: pass a function of the differentiated values only (a "
                     "method bound to the object, `obj.f`, or a function defined in a file "
                     "that calls f(x, obj))")


def _cotangent_like(c, k):
    """A cotangent of the output's kind (the generated code, and the types of
    the gradients it returns, assume it): ``1`` for a float output is ``1.0``."""
    if k is None or type(c) is np.ndarray and k.pyfloat:
        return c
    if k.pyfloat:
        return c if type(c) is float or k != analysis.FLOAT else float(c)
    if k.shape[:1] in ((-1,), (-2,)) or np.dtype(k.dtype).kind != "f":
        return c
    dtype = np.dtype(k.dtype)
    if k.shape == () and not k.array0:
        return c if type(c) is dtype.type else dtype.type(c)
    if type(c) is np.ndarray and c.dtype != dtype:
        return c.astype(dtype)
    return c


def unbound(func, wrt, args=None, kinds=None):
    """``(function, wrt, args, kinds)``: for a bound method (``model.loss``) or a
    partial without keywords, its function, ``wrt`` counted from its first
    parameter, and the bound arguments first in ``args`` (or their kinds in
    ``kinds``); else all as given."""
    bound = None if isinstance(func, Derivative) else _bound(func)
    if bound is None or bound[2]:
        return func, wrt, args, kinds
    f, lead, _ = bound
    wrt = _shift_wrt(wrt, f, len(lead), {})
    if args is not None:
        args = tuple(lead) + tuple(args)
    elif kinds is not None:
        kinds = tuple(analysis.build_kind(a) for a in lead) + tuple(kinds)
    return f, wrt, args, kinds


def lower(func) -> ir.Function:
    """The Wengert list of ``func``; ``print()`` it to read it as Python."""
    func = _check_function(unbound(func, 0)[0], "lower")
    return lowered(func)


def derivative_source(func, mode: str = "reverse", wrt=0, kinds=None,
                      optimize: bool = True) -> str:
    """Generated source of a derivative (what ``wengert show`` prints); of a
    bound method, its function's with the instance held (``kinds``, if
    given, the method's arguments' after it)."""
    func, wrt, _, kinds = unbound(func, wrt, None, kinds)
    func = _check_function(func, "derivative_source")
    positions, _ = _wrt_positions(func, wrt)
    if mode == "wengert":
        return str(lower(func))
    m = {"reverse": "vjp", "forward": "jvp", "vjp": "vjp", "jvp": "jvp"}.get(mode)
    if m is None:
        raise UsageError(f"unknown mode {mode!r}",
                         hint="use mode='reverse', 'forward', 'vjp', 'jvp' or 'wengert'")
    return build(func, m, positions, kinds, return_value=mode == "vjp",
                 optimize=optimize).source
