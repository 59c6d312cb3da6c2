"""Analyses on the Wengert list: activity and kinds.

**Activity.** A variable is *varied* if it depends on an input we
differentiate with respect to, and *useful* if the output depends on it. Only
*active* variables (varied and useful) get derivative code; constants get
none. For g(x) = 2x² − x + 1::

    v1 = x ** 2        active
    v2 = 2 * v1        active
    v3 = v2 - x        active
    v4 = v3 + 1        active      (the constants 2 and 1 are never active)

A non-differentiable operation (``len``, ``x > 0``, ``np.argmax``) produces an
inactive value whatever its inputs.

**Kinds.** With the kinds of the arguments known (``float``; an array of a
given shape and dtype), the kinds of intermediate values follow for
elementwise operations, which lets generated code drop ``unbroadcast`` where
shapes provably match and keep Python floats on ``math`` functions. Unknown
stays unknown (``None``): generated code is then general, never wrong. A
variable that is an int on one path and a float on another is a ``NUMBER``:
its dtype is unknown, but it is never an array (so ``x += v`` may rebind it).
"""

from __future__ import annotations

import builtins
import functools
from collections import Counter
import itertools
import operator
import types
from dataclasses import dataclass
from typing import Optional

import numpy as np

from . import ir, runtime
from .rules import registry


# --------------------------------------------------------------------------
# activity


def _stmt_edges(s):
    """(targets, sources, differentiable) for dataflow of one statement."""
    if isinstance(s, ir.Assign):
        return s.targets(), ir.expr_vars(s.value), _differentiable(s.value)
    if isinstance(s, ir.For):
        return ir.target_names(s.target), ir.expr_vars(s.iter), True
    return (), (), False


def _differentiable(e: ir.Expr) -> bool:
    if not isinstance(e, ir.Op):
        return True
    if isinstance(e.fn, ir.PseudoOp) and e.fn.kind in ("tuple", "list", "dict", "ifexp"):
        return True
    r = registry.lookup(e.fn)
    return not (r is not None and r.nondiff and not r.refuse)    # a refusal must be reached


def varied(fn: ir.Function, wrt, kinds=None) -> set:
    """Variables that depend on ``wrt`` through differentiable operations. A
    variable whose kind is an integer (``k[0] = x`` into an int array: NumPy
    truncates) holds piecewise-constant values: it has no derivative."""
    out = set(wrt)
    edges = [_stmt_edges(s) for s in ir.walk(fn.body)]
    discrete = {n for n, k in (kinds or {}).items() if type(n) is str and is_integer(k)}
    changed = True
    while changed:
        changed = False
        for targets, sources, diff in edges:
            if diff and any(v in out for v in sources):
                for t in targets:
                    if t not in out and t not in discrete:
                        out.add(t)
                        changed = True
    return out


def is_integer(k) -> bool:
    """Whether kind ``k`` is a Python int or an integer or boolean array."""
    if not isinstance(k, Kind) or type(k) is not Kind:
        return False
    if k.dtype == "int":
        return True
    try:
        return k.shape[:1] not in ((-1,), (-2,), (-3,), (-4,)) and \
            np.dtype(k.dtype).kind in "iub"
    except TypeError:                  # "number", "seq", ...: not a NumPy dtype
        return False


def useful(fn: ir.Function) -> set:
    """What the output depends on, and the result of a method call that
    changes its object (``_ = obj.update(v)``): its effect is not in the list,
    so it must meet the differentiation, which refuses it, not skip it."""
    out = set()
    stmts = list(ir.walk(fn.body))
    for s in stmts:
        if isinstance(s, ir.Return):
            out.update(ir.expr_vars(s.value))
        elif isinstance(s, ir.Assign) and isinstance(s.value, ir.Op) and s.value.effect:
            out.update(s.targets())
    edges = [_stmt_edges(s) for s in stmts]
    changed = True
    while changed:
        changed = False
        for targets, sources, diff in reversed(edges):      # uses before definitions
            if diff and any(t in out for t in targets):
                for v in sources:
                    if v not in out:
                        out.add(v)
                        changed = True
    return out


def active(fn: ir.Function, wrt, kinds=None) -> set:
    """Variables that get derivative code when differentiating w.r.t. ``wrt``
    (none for one of an integer kind, if ``kinds`` are given: ``varied``).
    A call whose result is not useful gets none, nor is it differentiated:
    one of a helper that changes its argument in place is refused
    (``mutating.refuse_discarded_changes``)."""
    used = useful(fn)
    if CALLEE_CHANGES is not None:
        from .mutating import refuse_discarded_changes
        refuse_discarded_changes(fn, used, CALLEE_CHANGES)
    return varied(fn, wrt, kinds) & used


# --------------------------------------------------------------------------
# kinds


@dataclass(frozen=True)
class Kind:
    """``pyfloat``: a Python number (``FLOAT``, ``INT``, or ``NUMBER``: either
    of them or a NumPy float64 scalar, never an array). Otherwise a NumPy
    array or scalar; of shape ``()``, ``array0`` says the value may be a 0-d
    ndarray (mutable, so an in-place update would be seen through its other
    names) rather than an immutable NumPy scalar such as ``np.float64(2.0)``."""

    shape: tuple
    dtype: str = "float64"
    pyfloat: bool = False
    array0: bool = False

    def __eq__(self, other) -> bool:      # (kind inference compares kinds all the time:
        if self is other:                 #  most are the same few objects)
            return True
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.shape == other.shape and self.dtype == other.dtype and \
            self.pyfloat == other.pyfloat and self.array0 == other.array0

    def __str__(self) -> str:
        if self.pyfloat:
            return self.dtype if self.dtype in ("int", "number") else "float"
        if self.dtype in ("seq", "range"):
            return self.dtype
        return f"{self.dtype}[{','.join(map(str, self.shape))}]"


FLOAT = Kind((), "float64", pyfloat=True)
INT = Kind((), "int", pyfloat=True)          # a Python int (loop index, constant)
RANGE = Kind((-1,), "range")                 # a range object (only iterated over)
SEQ = Kind((-2,), "seq")                     # a list, tuple or dict (adjoint: same)
NUMBER = Kind((), "number", pyfloat=True)    # an int, a float or a NumPy float64 scalar
# The result of a recursive call while the callee's kind is being found (a
# fixpoint, ``api._infer_callee_kind``): no value yet, so it joins to the other.
PENDING = Kind((-3,), "pending")
SLICE = Kind((-2,), "slice")                 # a slice object (not an array: shape (-2,))
# a complex number or array: no operation's kind is known from it (a marker for
# ``complexes.refuse_complex``: derivatives of complex values are not supported)
COMPLEX = Kind((-4,), "complex")


@dataclass(frozen=True)
class SeqOf(Kind):
    """A callee's argument that is a list or tuple of any length all of whose
    items have the kind ``item`` (only ``INT`` so far: a list of indices, as
    ``cols[:j] + cols[j + 1:]`` passed on in a recursion). The build gives
    its name the kind ``SEQ`` and ``("items", name)`` the item's kind
    (``known_kinds``), so that ``A[cols[j]]`` is known to be a number."""

    item: Optional[Kind] = None

    def __str__(self) -> str:
        return f"seq of {self.item}"


def _dtype_kind(v):
    """``v.dtype.kind``, or None: also for an object whose ``__getattr__``
    raises something else than AttributeError for a name it lacks."""
    try:
        return getattr(getattr(v, "dtype", None), "kind", None)
    except Exception:
        return None


def kind_of_value(v) -> Optional[Kind]:
    t = type(v)
    if t is float:
        return FLOAT
    if t is int:
        return INT
    if t in (list, tuple, dict):
        return SEQ
    if t is np.ndarray and v.dtype.kind in "fbiu":
        return Kind(v.shape, v.dtype.str, array0=v.ndim == 0)
    if t is complex or _dtype_kind(v) == "c":
        return COMPLEX
    if t is np.ndarray:
        return None
    if isinstance(v, np.generic) and v.dtype.kind == "f":
        return Kind((), v.dtype.str)
    return None


@dataclass(frozen=True)
class Instance:
    """An argument that is an instance of a class written in Python (``self``
    of a bound method, a model object). Not a kind of value: it is never
    differentiated, the analyses know nothing of it, and ``api._kinds_in``
    leaves it out. It carries the class, so that ``obj.method(x)`` can be
    compiled as a call of the class's function (``inline.resolve_methods``),
    and keys the specialisation (the dispatcher checks the type)."""

    cls: type
    # ``((name, Kind), ...)``: the kinds of the attributes the function reads
    # (``instance_attributes``), under the dispatcher's guard; its reads of
    # ``obj.name`` have them (``("attr", obj, name)`` in the build's kinds)
    attrs: tuple = ()
    # an object held deeper than ``held_objects`` follows: what it holds is
    # not known (operators on its attributes are refused)
    opaque: bool = False

    def __str__(self) -> str:
        if self.attrs:
            inner = ", ".join(f"{n}: {k}" for n, k in self.attrs)
            return f"{self.cls.__qualname__} instance ({inner})"
        return f"{self.cls.__qualname__} instance"


@dataclass(frozen=True)
class AttrsKey:
    """The specialisation key of an instance argument whose attributes'
    kinds the build knows: its class and ``((name, kind_key), ...)`` of
    those attributes; the dispatcher checks them inline."""

    cls: type
    attrs: tuple


def instance_attributes(fn: ir.Function, name: str, held=lambda attr: False,
                        passed=None) -> Optional[tuple]:
    """The attributes ``fn`` reads of its parameter ``name`` (sorted), if
    that is all it does with it: never rebound, never passed on or called
    (a callee or method given the object could rebind an attribute between
    two reads), so each attribute keeps the kind it had at the call. Else
    ``()``. A call ``name.f(...)`` counts as a read of ``f`` when
    ``held(f)`` says the object holds a function there (``self.act(x)``).
    ``passed(callee, positions)``: the attributes a function of the user's
    given the object reads of it (``Model.forward(self, x)``, a method not
    spliced in), or None where it does more with it; with it, None (not
    ``()``) is returned where ``fn`` does more than read."""
    found = set()

    def uses(e) -> bool:
        if isinstance(e, ir.Var):
            return e.name != name
        if not isinstance(e, ir.Op):
            return True
        if isinstance(e.fn, ir.PseudoOp) and e.fn.kind == "attr" and \
                isinstance(e.args[0], ir.Var) and e.args[0].name == name:
            found.add(e.fn.name)
            return True
        if isinstance(e.fn, ir.PseudoOp) and e.fn.kind == "method" and e.args and \
                isinstance(e.args[0], ir.Var) and e.args[0].name == name and \
                held(e.fn.name):
            found.add(e.fn.name)
            return all(uses(a) for a in e.args[1:]) and all(uses(v) for _, v in e.kwargs)
        if e.fn is builtins.super and len(e.args) == 2 and isinstance(e.args[1], ir.Var) and \
                e.args[1].name == name:
            return True         # super(C, self): its methods, resolved, read self as here
        if passed is not None and type(e.fn) is types.FunctionType and \
                not any(name in ir.expr_vars(v) for _, v in e.kwargs) and \
                any(isinstance(a, ir.Var) and a.name == name for a in e.args):
            given = tuple(j for j, a in enumerate(e.args)    # a callee given the object:
                          if isinstance(a, ir.Var) and a.name == name)   # what it reads
            read = passed(e.fn, given)
            if read is None:
                return False
            found.update(read)
            return all(uses(a) for j, a in enumerate(e.args) if j not in given)
        return name not in e.vars or (all(uses(a) for a in e.args) and
                                      all(uses(v) for _, v in e.kwargs))

    gave_up = () if passed is None else None
    for s in ir.walk(fn.body):
        if name in ir.stmt_writes(s):
            return gave_up
        for e in _stmt_exprs(s):
            if not uses(e):
                return gave_up
    return tuple(sorted(found))


def _stmt_exprs(s) -> tuple:
    if isinstance(s, (ir.Assign, ir.Effect, ir.Return)):
        return (s.value,)
    if isinstance(s, (ir.If, ir.While)):
        return (s.test,)
    if isinstance(s, ir.For):
        return (s.iter,)
    return ()


_NOT_INSTANCES = (np.ndarray, np.generic, types.ModuleType, types.FunctionType,
                  types.BuiltinFunctionType, type, list, tuple, dict, str, bytes, int,
                  float, complex, bool, range, slice, set, frozenset)


@dataclass(frozen=True)
class FunctionArg:
    """An argument that is a function (a ``def``, a NumPy function): not a
    value either. The build calls it where the function calls the parameter
    (``api._functions_bound``: an ODE solver's right-hand side), and it keys
    the specialisation by identity (the dispatcher checks ``rhs is f``)."""

    fn: object

    def __str__(self) -> str:
        if self.fn is None:
            return "None"
        name = getattr(self.fn, "__qualname__", None) or getattr(self.fn, "__name__", None)
        return f"the function {name or self.fn!s}"        # (a ufunc has no __qualname__
                                                           # in older NumPy)


# what an argument that is a function can be (api adds its Derivative: a
# gradient passed in is called like a function)
FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType, np.ufunc) + (
    (type(np.sum),) if type(np.sum) is not types.FunctionType else ())   # (NumPy >= 1.25:
                                                     # np.sum is an _ArrayFunctionDispatcher)


def is_function(v) -> bool:
    """Whether ``v`` is a function an argument can be (``FunctionArg``): not
    a method bound to an object (``xs.append`` changes ``xs``)."""
    return isinstance(v, FUNCTION_TYPES) and not (
        isinstance(v, types.BuiltinFunctionType) and
        not isinstance(getattr(v, "__self__", None), (types.ModuleType, type(None))))


def build_kind(v) -> Optional[object]:
    """``kind_of_value(v)``; for an instance of a class written in Python
    (not NumPy's, not a builtin type), its ``Instance``; for a function, its
    ``FunctionArg``; for a namedtuple, its ``NamedTupleOf``; for None, the
    ``FunctionArg`` of None (bound as the constant it is, as a function is:
    ``if w is None`` is then decided where the derivative is built)."""
    if is_function(v) or v is None:
        return FunctionArg(v)
    if namedtuple_class(v) is not None:
        return NamedTupleOf(SEQ.shape, SEQ.dtype, cls=type(v))
    k = kind_of_value(v)
    if k is None and v is not None and not isinstance(v, _NOT_INSTANCES) and \
            type(v).__module__ not in ("builtins", "numpy") and \
            type(v).__flags__ & _HEAP_TYPE:          # a class statement's (slots too)
        return Instance(type(v))
    return k


_HEAP_TYPE = 1 << 9        # Py_TPFLAGS_HEAPTYPE: set for classes made by ``class``


def build_kinds(args, wrt=()) -> tuple:
    """The kinds of a call's arguments for a build: ``build_kind`` of each,
    and ``wrt_kind`` at the differentiated positions ``wrt``."""
    return tuple(wrt_kind(a) if i in wrt else build_kind(a) for i, a in enumerate(args))


def wrt_kind(v) -> Optional[Kind]:
    """The kind of a differentiated argument: ``kind_of_value``, and a
    namedtuple's ``NamedTupleOf`` (its fields are read by name)."""
    if namedtuple_class(v) is not None:
        return NamedTupleOf(SEQ.shape, SEQ.dtype, cls=type(v))
    return kind_of_value(v)


def namedtuple_class(v) -> Optional[type]:
    """The class of ``v`` if it is a namedtuple (``collections.namedtuple``,
    ``typing.NamedTuple``) whose fields read as its items: ``v.name`` is
    ``v[cls._fields.index(name)]`` (``field_index``)."""
    t = type(v)
    if t is tuple or not isinstance(v, tuple):
        return None
    fields = getattr(t, "_fields", None)
    return t if type(fields) is tuple and all(type(f) is str for f in fields) else None


def field_index(cls: type, name: str) -> Optional[int]:
    """The index of the field ``name`` of the namedtuple class ``cls``, if
    reading ``obj.name`` on its instances is reading that item: the class's
    attribute lookup is Python's and finds the namedtuple's own accessor
    (not a property or method of a subclass with that name)."""
    import inspect
    if name not in cls._fields or cls.__getattribute__ is not tuple.__getattribute__:
        return None
    base = next((c for c in cls.__mro__ if "_fields" in vars(c)), None)
    found = inspect.getattr_static(cls, name, None)
    if base is None or vars(base).get(name) is not found or \
            not hasattr(type(found), "__set__"):            # (a data descriptor)
        return None
    return cls._fields.index(name)


def call_kinds(args, kinds: dict, instances=None, none=()) -> tuple:
    """The kinds of a call's arguments, for building the callee: an
    instance's ``Instance`` (``instances``: name -> class, or its
    ``Instance`` with the functions it holds), a list of ints' ``SeqOf``,
    else ``expr_kind``; not known for a name that may be None (``none``:
    ``w = None`` before a loop that passes ``w``, then a float: the callee's
    ``w is None`` is decided when it runs)."""
    return tuple(None if isinstance(a, ir.Var) and a.name in none else
                 _instance_kind(instances[a.name]) if instances and isinstance(a, ir.Var) and
                 a.name in instances and not isinstance(instances[a.name], NamedTupleOf) else
                 instances[a.name] if instances and isinstance(a, ir.Var) and
                 a.name in instances else
                 FunctionArg(a.value) if isinstance(a, ir.Const) and
                 is_function(a.value) else _arg_kind_in(a, kinds) for a in args)


def _instance_kind(c) -> Instance:
    return c if isinstance(c, Instance) else Instance(c)


def _arg_kind_in(a, kinds):
    k = expr_kind(a, kinds)
    if k == SEQ and isinstance(a, ir.Var) and kinds.get(("items", a.name)) == INT:
        return SeqOf(SEQ.shape, SEQ.dtype, item=INT)
    return k


def known_kinds(names, arg_kinds) -> dict:
    """``{name: kind}`` of the arguments whose kind is known (not
    ``Instance``); a ``SeqOf``'s name is a ``SEQ`` with ``("items", name)``."""
    out = {}
    for n, k in zip(names, arg_kinds):
        if isinstance(k, SeqOf):
            out[n] = SEQ
            out[("items", n)] = k.item
        elif k is not None and not isinstance(k, (Instance, FunctionArg, NamedTupleOf)):
            out[n] = k
    return out


@dataclass(frozen=True)
class SeqItems(Kind):
    """An argument that is a dict, list or tuple of float arrays and floats,
    with its items' kinds (``items``: ``((key, Kind), ...)``). The build gives
    its name the kind ``SEQ`` and each item read at a constant key the kind
    ``("key", name, key)`` (``api._kinds_in``): code reading
    ``params["W"]`` is specialised like code given ``W`` itself."""

    items: tuple = ()
    # a namedtuple's class (its fields are its items, read by name too:
    # ``inline.namedtuple_fields``); the dispatcher checks it (``ItemsKey``)
    cls: Optional[type] = None

    def __str__(self) -> str:
        if self.cls is not None:
            inner = ", ".join(f"{f}: {v}" for f, (_, v) in zip(self.cls._fields, self.items))
            return f"{self.cls.__qualname__}({inner})"
        inner = ", ".join(f"{k!r}: {v}" for k, v in self.items)
        return f"{{{inner}}}" if self.dtype == "dict" else f"({inner})"


@dataclass(frozen=True)
class NamedTupleOf(Kind):
    """A namedtuple argument whose items are not specialised (not all float
    arrays and floats, or passed on to a callee): its class, which the
    dispatcher checks, so that its fields are read by name
    (``inline.namedtuple_fields``). Like ``Instance``, not a kind the
    analyses give its name (``known_kinds`` leaves it out)."""

    cls: Optional[type] = None

    def __str__(self) -> str:
        return f"{self.cls.__qualname__} namedtuple"


def _container(v) -> bool:
    """A dict, list or tuple (a namedtuple too) ``arg_kind`` may specialise."""
    return type(v) in (list, tuple, dict) or namedtuple_class(v) is not None


_MAX_ITEMS = 64
_MAX_INTS = 256            # a list of ints: the dispatcher checks every item (``IntsKey``)


def arg_kind(v, depth: int = 0, instances: bool = False) -> Optional[Kind]:
    """``kind_of_value``, and a ``SeqItems`` for a small dict, list or tuple
    whose items are all float arrays, Python floats or such containers (at
    str or int keys, nested at most four deep); with ``instances``, instances
    of classes written in Python too (``Instance``: their methods can be
    resolved, ``inline.resolve_methods``)."""
    t = type(v)
    named = namedtuple_class(v)
    unknown = SEQ if named is None else NamedTupleOf(SEQ.shape, SEQ.dtype, cls=named)
    if t in (list, tuple) and 0 < len(v) <= _MAX_INTS and all(type(i) is int for i in v):
        return SeqOf(SEQ.shape, SEQ.dtype, item=INT)       # indices: any number of them
    if (t in (list, tuple, dict) or named) and 0 < len(v) <= _MAX_ITEMS and depth < 4:
        items = v.items() if t is dict else enumerate(v)
        out = []
        for key, item in items:
            if type(key) not in (str, int):
                return unknown
            k = arg_kind(item, depth + 1, instances) if _container(item) \
                else build_kind(item) if instances else kind_of_value(item)
            if isinstance(k, Instance):
                out.append((key, Instance(k.cls, held_functions(item) + held_objects(item) +
                                          held_containers(item, depth + 1))))
                continue
            if isinstance(k, (FunctionArg, NamedTupleOf)):
                return unknown               # (a list of functions: items not specialised)
            if not (isinstance(k, SeqItems) or (k is not None and (k == FLOAT or (
                    not k.pyfloat and k.shape[:1] not in ((-1,), (-2,)) and
                    np.dtype(k.dtype).kind == "f")))):
                return unknown
            out.append((key, k))
        return SeqItems(SEQ.shape, "dict" if t is dict else "seq", items=tuple(out), cls=named)
    return unknown if named is not None else kind_of_value(v)


def held_functions(obj) -> tuple:
    """``((name, FunctionArg), ...)`` of the functions ``obj`` holds in its
    own attributes (``self.act = np.tanh``), sorted: an item of a container
    calls them as those functions (``layer.act(x)``), under the dispatcher's
    identity checks (``ItemsKey``)."""
    return tuple(sorted((n, FunctionArg(v)) for n, v in _own_attributes(obj).items()
                        if is_function(v) or v is None))   # (None: `self.act is None`)


class _NotOwn:
    """An ``AttrsKey`` entry: the instance holds no attribute of that name of
    its own, so a method of that name called on it is its class's (the
    dispatcher checks ``name not in obj.__dict__``: one assigned to the
    instance later gets code of its own)."""

    def __repr__(self) -> str:
        return "NOT_OWN"


NOT_OWN = _NotOwn()


_MAX_NESTED = 8     # objects in attributes of objects: followed this deep


def held_objects(obj, depth: int = 0) -> tuple:
    """``((name, Instance), ...)`` of the objects of classes written in Python
    ``obj`` holds in its own attributes, sorted, each with the objects it
    holds in turn (``self.a.b.s``): an operator or a method on one of them
    (``self.a.s + x``, two attributes deep or more) is refused, never taken
    for arithmetic on numbers; the dispatcher checks their classes (and the
    types of all their attributes, ``_item_key``). Deeper than
    ``_MAX_NESTED``, an object's ``Instance`` is ``opaque``: what it holds
    is not known, and operators on what is read of it are refused."""
    if depth >= _MAX_NESTED:
        return ()
    return tuple(sorted(
        (n, Instance(type(v), held_objects(v, depth + 1), opaque=depth + 1 >= _MAX_NESTED))
        for n, v in _own_attributes(obj).items() if isinstance(build_kind(v), Instance)))


def held_containers(obj, depth: int = 0) -> tuple:
    """``((name, SeqItems), ...)`` of the lists, tuples and dicts of objects
    ``obj`` holds in its own attributes (a block's ``self.layers``), sorted:
    their items' classes are known as a container argument's are."""
    if depth >= 4:
        return ()
    out = []
    for n, v in _own_attributes(obj).items():
        if type(v) in (list, tuple, dict):
            k = arg_kind(v, depth, instances=True)
            if isinstance(k, SeqItems) and any(isinstance(i, Instance) for _, i in k.items):
                out.append((n, k))
    return tuple(sorted(out, key=lambda p: p[0]))


def _own_attributes(obj) -> dict:
    """The attributes in ``obj``'s own ``__dict__`` that reading ``obj.name``
    finds (a class with Python's attribute lookup; not shadowed by a
    property or a slot)."""
    own = getattr(obj, "__dict__", None)
    if not isinstance(own, dict) or type(obj).__getattribute__ is not object.__getattribute__:
        return {}
    return {n: v for n, v in own.items() if type(n) is str and not data_descriptor(type(obj), n)}


def data_descriptor(cls, name) -> bool:
    """Whether ``obj.name`` on an instance of ``cls`` is the class's (a
    property, a slot) rather than the instance's own attribute."""
    found = getattr(cls, name, None)
    return hasattr(type(found), "__set__") or hasattr(type(found), "__delete__")


def item_kinds(name, k: "SeqItems") -> dict:
    """``{("key", name, key): kind}`` for a container ``name`` of kind ``k``
    (int keys also counted from the end: ``xs[-1]``)."""
    out = {}
    for key, item in k.items:
        if isinstance(item, Instance):
            continue                  # not a kind: its class resolves its methods
        out[("key", name, key)] = item
        if type(key) is int:
            out[("key", name, key - len(k.items))] = item
    return out


@dataclass(frozen=True)
class ItemsKey:
    """The specialisation key of a container argument: its type and its
    items' keys (``kind_key`` of each); the dispatcher checks them inline."""

    type: type
    items: tuple


@dataclass(frozen=True)
class IntsKey:
    """The specialisation key of a list or tuple of ints (at most
    ``_MAX_INTS`` of them): its type; the dispatcher checks the items."""

    type: type


def arg_key(v):
    """``kind_key``, with the items of a container ``arg_kind`` specialises."""
    k = arg_kind(v, instances=True) if _container(v) else None
    if isinstance(k, SeqItems):
        return _items_key(v)
    if isinstance(k, SeqOf):
        return IntsKey(type(v))
    if is_function(v):
        return FunctionArg(v)           # the function itself (checked by identity)
    return kind_key(v)


def _items_key(v):
    items = v.items() if type(v) is dict else enumerate(v)
    return ItemsKey(type(v), tuple(
        (key, _items_key(item) if _container(item) else _item_key(item))
        for key, item in items))


def _item_key(item, depth: int = 0):
    """``kind_key``; for an instance holding functions or containers of
    objects in attributes, an ``AttrsKey`` of them (functions checked by
    identity, containers item by item, objects with what they hold, as deep
    as ``held_objects`` follows them)."""
    if not isinstance(build_kind(item), Instance):
        return kind_key(item)
    held = held_functions(item) + tuple((n, _items_key(getattr(item, n)))
                                        for n, _ in held_containers(item))
    covered = {n for n, _ in held}   # (and the type of every other attribute: one that
    held += tuple(                   # held a number when the code was built may hold an
        (n, _item_key(v, depth + 1) if depth + 1 < _MAX_NESTED and   # object, refused,
         isinstance(build_kind(v), Instance) else type(v))             # next)
        for n, v in _own_attributes(item).items() if n not in covered)
    return AttrsKey(type(item), tuple(sorted(held, key=lambda p: p[0]))) if held \
        else kind_key(item)


def kind_key(v):
    """A hashable, cheap summary of an argument for the specialisation cache."""
    t = type(v)
    if t is float:
        return float
    if t is np.ndarray:
        return (v.shape, v.dtype.str)
    return t                     # a NumPy scalar: its type (np.float64, ...)


def _join(a: Optional[Kind], b: Optional[Kind]) -> Optional[Kind]:
    """One kind for a variable assigned values of kinds ``a`` and ``b``: a Python
    float and a NumPy float64 scalar are both float64 scalars (shape ()); with
    a Python int, they are a ``NUMBER`` (never an array: its dtype is unknown)."""
    if a == b or b == PENDING:
        return a
    if a == PENDING:
        return b
    if a is None or b is None or a.shape != b.shape or a.shape != ():
        return None
    if a.pyfloat and b.pyfloat:
        return NUMBER                                # two of INT, FLOAT, NUMBER
    if a in (INT, NUMBER) or b in (INT, NUMBER):
        other = b if a in (INT, NUMBER) else a
        return NUMBER if not other.array0 and np.dtype(other.dtype) == np.float64 else None
    da = "<f8" if a.pyfloat else a.dtype
    db = "<f8" if b.pyfloat else b.dtype
    if da != db:
        return None
    k = a if not a.pyfloat else b
    return k if k.array0 or not (a.array0 or b.array0) else Kind(k.shape, k.dtype, array0=True)


def _dummies(k: Kind) -> tuple:
    """Values of kind ``k`` that NumPy's type promotion can tell apart."""
    if k == NUMBER:
        return 0, 0.0, np.float64(0.0)
    if k.pyfloat:
        return (0,) if k == INT else (0.0,)
    return (np.empty((), dtype=np.dtype(k.dtype)),)


def _broadcast(kinds) -> Optional[Kind]:
    if all(k is FLOAT for k in kinds):  # (the common case: Python floats)
        return FLOAT
    if any(k is None or not isinstance(k, Kind) for k in kinds):
        return None                     # (not known, or None, a function: no arithmetic)
    if any(k == RANGE or k == SEQ for k in kinds):
        return None
    if all(k.pyfloat for k in kinds):
        if all(k == INT for k in kinds):
            return INT
        return NUMBER if NUMBER in kinds else FLOAT   # (float * np.float64: np.float64)
    return _promoted(tuple(kinds))


@functools.lru_cache(maxsize=4096)
def _promoted(kinds: tuple) -> Optional[Kind]:
    """The kind NumPy gives an elementwise operation on arrays of ``kinds``
    (asked once per combination: kind inference meets the same ones again
    at every statement and every pass)."""
    try:
        shape = np.broadcast_shapes(*(k.shape for k in kinds))
        dtypes = {np.result_type(*values)
                  for values in itertools.product(*(_dummies(k) for k in kinds))}
    except (ValueError, TypeError):
        return None
    if len(dtypes) != 1:
        return None                   # a NUMBER's promotion depends on what it is
    dtype = dtypes.pop()
    if dtype.kind != "f":
        return None
    return Kind(tuple(shape), dtype.str)


def infer_kinds(fn: ir.Function, arg_kinds: dict) -> dict:
    """Kinds of variables; a variable assigned twice with different kinds
    (or from an unknown operation) has kind None, unless ``_join`` finds one
    kind for both. A list or tuple the function builds itself (``sequences``)
    also has the kind of every item it may hold, under ``("items", name)``."""
    sequences = local_sequences(fn)
    kinds: dict = {}
    conflict: set = set()
    mutated = mutated_names(fn) if any(
        isinstance(n, tuple) and n[0] == "items" for n in arg_kinds) else None
    for name, k in arg_kinds.items():
        if isinstance(name, tuple) and name[0] == "items" and name[1] in mutated:
            continue                # a list changed in place: its items' kinds may change
        kinds[name] = k
    changes: dict = {}          # variable -> how often its kinds (its items' too) changed

    def put(name, k):
        if name in conflict:
            return False
        base = name if isinstance(name, str) else name[1]
        if name in kinds and kinds[name] != k:
            joined = _join(kinds[name], k)
            if joined is not None:
                changed = joined != kinds[name]
                kinds[name] = joined
            else:
                conflict.add(name)
                kinds[name] = None
                changed = True
        elif name not in kinds:
            kinds[name] = k
            changed = True
        else:
            return False
        if changed:
            changes[base] = changes.get(base, 0) + 1
        return changed

    found: dict = {}            # id(statement) -> (changes of what it reads, its kind)

    def displayed(name, value) -> bool:
        """``name = (a, b)`` (or a list not changed in place): the kind of each
        slot, so that ``np.concatenate(name)`` has a kind (by stand-ins)."""
        nonlocal mutated
        form = Kind((-1, len(value.args)), value.fn.kind)    # (-1: never an array's)
        if value.fn is ir.MAKE_LIST:
            if mutated is None:
                mutated = mutated_names(fn)
            if name in mutated:
                form = None
        key = ("display", name)
        if key in kinds and kinds[key] != form:
            form = None
        if kinds.get(key, 0) == form:
            grew = False
        else:
            kinds[key], grew = form, True
        if form is not None:
            for i, a in enumerate(value.args):
                grew |= put(("slot", name, i), expr_kind(a, kinds))
        return grew

    def value_kind(s):
        """``expr_kind(s.value)``, found again on a later pass only if a
        variable it reads changed kind (its kind depends on nothing else)."""
        stamp = tuple([changes.get(v, 0) for v in ir.expr_vars(s.value)])
        seen = found.get(id(s))
        if seen is None or seen[0] != stamp:
            seen = found[id(s)] = (stamp, expr_kind(s.value, kinds))
        return seen[1]

    stmts = list(ir.walk(fn.body))
    nested = any(isinstance(k, SeqItems) for k in arg_kinds.values())
    once = Counter(t for s in stmts for t in ir.stmt_writes(s)) if nested else {}
    for _ in range(100):            # loops: settle carried variables (joins only go up)
        changed = False
        for s in stmts:
            if isinstance(s, ir.Assign) and s.value == ir.NONE:
                continue            # a placeholder for "not yet assigned" carries no kind
            if isinstance(s, ir.Assign) and isinstance(s.value, ir.Var) and \
                    s.value.name not in kinds:
                continue            # a copy of a value not reached yet (a loop's phi)
            if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var):
                changed |= put(s.target.name, value_kind(s))
                if isinstance(s.value, ir.Op) and not s.value.kwargs and (
                        s.value.fn is ir.MAKE_TUPLE or s.value.fn is ir.MAKE_LIST):
                    changed |= displayed(s.target.name, s.value)
                inner = _inner_container(s.value, kinds) if nested and \
                    once[s.target.name] == 1 else None
                if inner is not None:          # layer = params["layer1"]: its items too
                    for key, k in item_kinds(s.target.name, inner).items():
                        changed |= put(key, k)
                if s.target.name in sequences:
                    for k in _new_items(s.value, kinds):
                        changed |= put(("items", s.target.name), k)
                elif kinds.get(s.target.name) == SEQ:     # a slice of a list of ints, ...
                    if mutated is None:
                        mutated = mutated_names(fn)
                    reached, k = _value_items(s.value, kinds)
                    if reached:
                        changed |= put(("items", s.target.name),
                                       None if s.target.name in mutated else k)
            elif isinstance(s, ir.For) and _over_tape(s.iter, kinds):   # for a, b in reversed(tape)
                tape = s.iter.args[0].name
                if isinstance(s.target, ir.Var):
                    changed |= put(s.target.name, kinds.get(("item", tape)))
                    changed |= put(("items", s.target.name), None)
                else:
                    for i, t in enumerate(s.target):
                        changed |= put(t.name, kinds.get(("item", tape, i)))
                        changed |= put(("items", t.name), None)
            elif isinstance(s, ir.For) and isinstance(s.target, ir.Var):
                changed |= put(s.target.name, _iterated_kind(s.iter, kinds))
                changed |= put(("items", s.target.name), None)
            elif isinstance(s, ir.Assign) and _is_method(s.value, "pop", 1) and \
                    isinstance(s.value.args[0], ir.Var):         # a, b = tape.pop()
                tape = s.value.args[0].name
                for i, t in enumerate(s.target):
                    changed |= put(t.name, kinds.get(("item", tape, i)))
                    changed |= put(("items", t.name), None)
            elif isinstance(s, ir.Assign) and isinstance(s.value, ir.Op) and \
                    s.value.fn is ir.MAKE_TUPLE and len(s.value.args) == len(s.target) and \
                    not s.value.kwargs:                   # a, b = (e1, e2): each its own
                for t, k in zip(s.target, [expr_kind(e, kinds) for e in s.value.args]):
                    changed |= put(t.name, k)
                    changed |= put(("items", t.name), None)
            elif isinstance(s, (ir.Assign, ir.For)):
                for t in ir.stmt_writes(s):
                    changed |= put(t, None)
                    changed |= put(("items", t), None)
            elif isinstance(s, ir.Effect) and _is_method(s.value, "append", 2) and \
                    isinstance(s.value.args[0], ir.Var):        # a tape: what it holds
                tape, item = s.value.args[0].name, s.value.args[1]
                changed |= put(("item", tape), expr_kind(item, kinds))
                if isinstance(item, ir.Op) and item.fn is ir.MAKE_TUPLE:
                    for i, a in enumerate(item.args):
                        changed |= put(("item", tape, i), expr_kind(a, kinds))
        if not changed:
            break
    return kinds


def _over_tape(it, kinds) -> bool:
    """``reversed(tape)``, a tape whose pushes' kinds are known."""
    return isinstance(it, ir.Op) and it.fn is reversed and len(it.args) == 1 and \
        isinstance(it.args[0], ir.Var) and ("item", it.args[0].name) in kinds


def _inner_container(e, kinds) -> Optional["SeqItems"]:
    """The ``SeqItems`` of ``xs[key]``, an argument's item that is itself a
    container, or None."""
    if isinstance(e, ir.Op) and e.fn is operator.getitem and len(e.args) == 2 and \
            isinstance(e.args[0], ir.Var) and isinstance(e.args[1], ir.Const) and \
            type(e.args[1].value) in (str, int):
        k = kinds.get(("key", e.args[0].name, e.args[1].value))
        return k if isinstance(k, SeqItems) else None
    return None


def local_sequences(fn: ir.Function) -> set:
    """Names only ever bound to lists and tuples built here: a display
    (``[a, b]``), an append to one of them, or one of them (lists are values
    in the IR: ``xs.append(v)`` is ``xs_2 = list_append(xs_1, v)``). Their
    items are then all known; a parameter's, or a list a user function was
    given (it may add to it), are not. None when the function builds no
    list or tuple (a name bound only to ``None`` placeholders has no items)."""
    makers = (ir.MAKE_LIST, ir.MAKE_TUPLE, runtime.list_append)
    if not any(isinstance(s, ir.Assign) and isinstance(s.value, ir.Op) and s.value.fn in makers
               for s in ir.walk(fn.body)):
        return set()
    binds: dict = {}
    for s in ir.walk(fn.body):
        for name in ir.stmt_writes(s):
            binds.setdefault(name, []).append(s)
    escaped = {a.name for s in ir.walk(fn.body) for e in _stmt_ops(s) if _may_mutate(e.fn)
               for a in e.args + tuple(v for _, v in e.kwargs) if isinstance(a, ir.Var)}

    def built(s, names):
        if not (isinstance(s, ir.Assign) and isinstance(s.target, ir.Var)):
            return False
        v = s.value
        if v == ir.NONE or (isinstance(v, ir.Var) and v.name in names):
            return True
        if isinstance(v, ir.Op) and v.fn in (ir.MAKE_LIST, ir.MAKE_TUPLE) and not v.kwargs:
            return True
        return isinstance(v, ir.Op) and v.fn is runtime.list_append and len(v.args) == 2 \
            and isinstance(v.args[0], ir.Var) and v.args[0].name in names

    names = set(binds) - set(fn.param_names()) - escaped
    while True:
        keep = {n for n in names if all(built(s, names) for s in binds[n])}
        if keep == names:
            return names
        names = keep


def _may_mutate(fn) -> bool:
    """A method call (``tape.pop()``) or a user function may change a list in place."""
    if isinstance(fn, ir.PseudoOp):
        return fn.kind == "method"
    return isinstance(fn, types.FunctionType) and \
        not (getattr(fn, "__module__", None) or "").startswith("wengert.")


def _stmt_ops(s):
    exprs = [s.value] if isinstance(s, (ir.Assign, ir.Effect, ir.Return)) else \
        [s.iter] if isinstance(s, ir.For) else [s.test] if isinstance(s, (ir.If, ir.While)) \
        else []
    todo = [e for e in exprs if isinstance(e, ir.Op)]
    while todo:
        e = todo.pop()
        yield e
        todo.extend(a for a in e.args + tuple(v for _, v in e.kwargs) if isinstance(a, ir.Op))


def _new_items(value, kinds) -> list:
    """Kinds of the items a local sequence bound to ``value`` holds (the
    known ones so far: an empty list holds none)."""
    if isinstance(value, ir.Var):
        key = ("items", value.name)
        return [kinds[key]] if key in kinds else []
    if value.fn in (ir.MAKE_LIST, ir.MAKE_TUPLE):
        return [expr_kind(a, kinds) for a in value.args]
    if value.fn is runtime.list_append:
        return _new_items(value.args[0], kinds) + [expr_kind(value.args[1], kinds)]
    return []                                     # the None placeholder


def _value_items(e, kinds) -> tuple:
    """``(reached, kind)``: the kind of every item of the list or tuple ``e``
    evaluates to (None if unknown), unless ``e`` reads a variable not reached
    yet (``reached`` False: a loop's carried value, found on a later pass).
    Slices, concatenations and copies of a list keep its items' kinds;
    ``list(range(n))`` holds ints."""
    if isinstance(e, ir.Var):
        key = ("items", e.name)
        return (True, kinds[key]) if key in kinds else (e.name in kinds, None)
    if not isinstance(e, ir.Op) or e.kwargs:
        return True, None
    if e.fn is operator.getitem and len(e.args) == 2 and (
            expr_kind(e.args[1], kinds) == SLICE or
            (isinstance(e.args[1], ir.Const) and type(e.args[1].value) is slice)):
        return _value_items(e.args[0], kinds)            # xs[a:b]
    if e.fn is operator.add and len(e.args) == 2:        # xs + ys
        (ra, a), (rb, b) = _value_items(e.args[0], kinds), _value_items(e.args[1], kinds)
        return ra and rb, a if a == b else None
    if e.fn in (list, tuple) and len(e.args) == 1:       # list(range(n)), list(xs)
        if expr_kind(e.args[0], kinds) == RANGE:
            return True, INT
        return _value_items(e.args[0], kinds)
    if e.fn in (ir.MAKE_LIST, ir.MAKE_TUPLE) and e.args:
        ks = {expr_kind(a, kinds) for a in e.args}
        return True, ks.pop() if len(ks) == 1 else None
    return True, None


# what may take a list without changing it: besides these, NumPy's functions
# (not np.random's: shuffle changes a list) and wengert's runtime (values)
_READS_LISTS = {len, list, tuple, sorted, sum, max, min, enumerate, zip, reversed, iter,
                any, all, abs, slice, range, isinstance, type}


def mutated_names(fn: ir.Function) -> set:
    """Names of ``fn`` whose value may be changed in place: given to a
    method (``xs.sort()``), to a user function that may change that
    parameter (``CALLEE_MUTATES``), or to anything not known to only read
    a list. Their items' kinds are not kept (``infer_kinds``)."""
    out = set()
    for s in ir.walk(fn.body):
        for e in _stmt_ops(s):
            fn_ = e.fn
            if isinstance(fn_, ir.PseudoOp):
                if fn_.kind != "method":
                    continue
            elif isinstance(fn_, types.FunctionType) and not (
                    getattr(fn_, "__module__", None) or "").startswith("wengert."):
                if CALLEE_MUTATES is not None and not e.kwargs:
                    out.update(a.name for i, a in enumerate(e.args)
                               if isinstance(a, ir.Var) and CALLEE_MUTATES(fn_, i))
                    continue
            elif _reads_only(fn_):
                continue
            out.update(a.name for a in e.args + tuple(v for _, v in e.kwargs)
                       if isinstance(a, ir.Var))
    return out


def _reads_only(f) -> bool:
    try:
        if f in _READS_LISTS:
            return True
    except TypeError:
        return False
    module = getattr(f, "__module__", None) or ""
    if isinstance(f, np.ufunc) or module in ("_operator", "operator", "math"):
        return True
    return (module.startswith("numpy") and not module.startswith("numpy.random")) or \
        module.startswith("wengert.")


# ``(func, i) -> bool``: whether the user function ``func`` may change its
# ``i``-th argument in place (set by ``api``)
CALLEE_MUTATES = None

# ``(func, i or keyword) -> None | (loc, augmented, parameter) | WengertError``:
# whether the user function ``func`` surely does not change that argument in
# place, where it does, or why it cannot be read (set by ``api``)
CALLEE_CHANGES = None


def _items_kind(e, kinds) -> Optional[Kind]:
    """The kind of every item of a local sequence ``e`` (None if unknown)."""
    return kinds.get(("items", e.name)) if isinstance(e, ir.Var) else None


def _iterated_kind(it, kinds) -> Optional[Kind]:
    """The kind of ``t`` in ``for t in it``."""
    k = expr_kind(it, kinds)
    if k == RANGE:
        return INT
    if k == PENDING:
        return PENDING
    if isinstance(it, ir.Op) and it.fn is reversed and len(it.args) == 1 and not it.kwargs:
        it = it.args[0]                            # the same items, last first
        k = expr_kind(it, kinds)
    if k == SEQ:
        return _items_kind(it, kinds)
    return _row_kind(k)                            # an array's rows


def expr_kind(e: ir.Expr, kinds: dict) -> Optional[Kind]:
    if isinstance(e, ir.Var):
        return kinds.get(e.name)
    if isinstance(e, ir.Const):
        v = e.value
        if type(v) in (float, int):
            return FLOAT if type(v) is float else INT
        return kind_of_value(v)
    if isinstance(e, ir.Op):
        for a in e.args:                   # (PENDING is one object: an identity test)
            if isinstance(a, ir.Var) and kinds.get(a.name) is PENDING:
                return PENDING             # computed from a value not known yet
        fn = e.fn
        if type(fn) is types.BuiltinFunctionType and fn in _ARITHMETIC and not e.kwargs:   # (most operations: the rest below)
            arg_kinds = [expr_kind(a, kinds) for a in e.args]
            if SEQ in arg_kinds:
                return SEQ if fn in (operator.add, operator.mul, operator.or_) else None
            k = _broadcast(arg_kinds)
            return FLOAT if k == INT and fn is operator.truediv else k
        if type(fn) is types.BuiltinFunctionType and fn.__module__ == "math" and \
                fn not in _MATH_INTEGER:
            return FLOAT                     # the math module computes Python floats
        if e.fn is ir.SLICE or e.fn is slice:
            return SLICE
        if e.fn is range or (e.fn is reversed and len(e.args) == 1 and
                             expr_kind(e.args[0], kinds) == RANGE):
            return RANGE
        if _is_method(e, "pop", 1) and isinstance(e.args[0], ir.Var):
            return kinds.get(("item", e.args[0].name))
        if isinstance(e.fn, ir.PseudoOp) and e.fn.kind == "attr" and \
                isinstance(e.args[0], ir.Var) and \
                ("attr", e.args[0].name, e.fn.name) in kinds:
            return kinds[("attr", e.args[0].name, e.fn.name)]   # an instance's attribute
        if _identity(e.fn) and len(e.args) == 1 and not e.kwargs:
            return expr_kind(e.args[0], kinds)   # stop_gradient(x), held(x): x
        if (e.fn is builtins.len and len(e.args) == 1 and not e.kwargs) or \
                getattr(e.fn, "__name__", "") == "extreme_index":
            return INT                     # (xs[len(xs) - 1 - i]: one of the items)
        if getattr(e.fn, "__name__", "") == "fill_like" and len(e.args) == 2:
            k = expr_kind(e.args[1], kinds)      # the adjoint of sum(xs): shaped like xs
            return None if k is None else k
        if e.fn is builtins.sum and len(e.args) == 1 and not e.kwargs:
            if expr_kind(e.args[0], kinds) == SEQ:        # 0 + xs[0] + ...: 0 if empty
                item = _items_kind(e.args[0], kinds)
                return _join(INT, _broadcast([INT, item])) if item is not None else None
            return _row_kind(expr_kind(e.args[0], kinds))   # sum(a): a[0] + a[1] + ...
        if e.fn in (builtins.max, builtins.min) and e.kwargs:
            return None                          # max(xs, key=abs): one item, or refused
        if e.fn in (builtins.max, builtins.min) and not e.kwargs:
            if len(e.args) == 1 and expr_kind(e.args[0], kinds) == SEQ:
                return _items_kind(e.args[0], kinds)      # one of the items
            ks = [expr_kind(a, kinds) for a in e.args]
            if len(ks) >= 2 and all(k is not None and k.shape == () for k in ks):
                return functools.reduce(_join, ks)        # one of the arguments
        if e.fn in (ir.MAKE_LIST, ir.MAKE_TUPLE, list, tuple, dict) or \
                (isinstance(e.fn, ir.PseudoOp) and e.fn.kind == "dict") or \
                getattr(e.fn, "__name__", "") == "list_append":
            return SEQ
        if e.fn is operator.getitem:
            return _getitem_kind(e, kinds)
        if getattr(e.fn, "__name__", None) in ("setitem", "splice") and \
                getattr(e.fn, "__module__", "") == "wengert.runtime":
            return expr_kind(e.args[0], kinds)          # y[i] = v keeps y's kind
        if e.fn is runtime.splice_adjoint or e.fn is runtime.splice_part:
            return expr_kind(e.args[1 if e.fn is runtime.splice_adjoint else 3], kinds)
        arg_kinds = None            # found once: nested expressions are walked once
        if e.fn in (operator.add, operator.mul):
            arg_kinds = [expr_kind(a, kinds) for a in e.args]
            if SEQ in arg_kinds:
                return SEQ
        try:
            like = _shaped_like().get(e.fn)
        except TypeError:                            # an unhashable callable
            like = None
        if like is not None:
            return _like_kind(e, like, kinds)
        if e.fn is ir.IFEXP:
            body, orelse = expr_kind(e.args[1], kinds), expr_kind(e.args[2], kinds)
            return body if body == orelse else _join(body, orelse)
        r = registry.lookup(e.fn)
        if getattr(e.fn, "__module__", None) == "math" and e.fn not in _MATH_INTEGER:
            return FLOAT                     # the math module computes Python floats
        if r is None and DERIVATIVE_KIND is not None:
            k = DERIVATIVE_KIND(e.fn, tuple(expr_kind(a, kinds) for a in e.args))
            if k is not False:
                return k
        if r is None and CALLEE_KIND is not None and isinstance(e.fn, types.FunctionType):
            return CALLEE_KIND(e.fn, tuple(_arg_kind_in(a, kinds) for a in e.args))
        if _member(e.fn, _COMPARISONS):
            return _bool_kind([expr_kind(a, kinds) for a in e.args])
        if r is not None and r.nondiff and getattr(e.fn, "__name__", None) in _CONSTRUCTORS \
                and getattr(np, e.fn.__name__, None) is e.fn:
            return _evaluated_kind(e, kinds)       # np.zeros((16, 128)): a known shape
        if r is not None and r.nondiff and isinstance(e.fn, np.ufunc):
            return _evaluated_kind(e, kinds)       # np.sign(x), np.floor(x): x's shape
        if r is None or r.nondiff:
            return None
        if r.scalar_result:
            return FLOAT
        if r.elementwise:
            k = _broadcast(arg_kinds or [expr_kind(a, kinds) for a in e.args])
            if k in (FLOAT, INT) and isinstance(e.fn, np.ufunc):
                return NUMBER                # np.sin(0.5): a NumPy float64, not a float
            # (int / int is a float; a NumPy float64 divided stays one)
            return FLOAT if k == INT and _member(e.fn, _TRUE_DIVISION) else k
        if _shape_stable(e.fn):
            return _evaluated_kind(e, kinds)
    return None


def _identity(fn) -> bool:
    return getattr(fn, "__name__", None) in ("held", "stop_gradient") and \
        getattr(fn, "__module__", None) in ("wengert.runtime", "wengert.custom")


def _is_method(e, name, nargs) -> bool:
    return isinstance(e, ir.Op) and isinstance(e.fn, ir.PseudoOp) and \
        e.fn.kind == "method" and e.fn.name == name and len(e.args) == nargs and not e.kwargs


_TRUE_DIVISION = {operator.truediv, np.true_divide}
# Python's arithmetic operators: elementwise rules (``_broadcast``), taken
# before every other case in ``expr_kind``; ``+`` and ``*`` also join lists
_ARITHMETIC = frozenset({operator.add, operator.sub, operator.mul, operator.truediv,
                         operator.pow, operator.neg, operator.pos, operator.mod})
_SHAPED_LIKE: dict = {}


def _shaped_like() -> dict:
    """Helpers of generated code whose result has the shape of argument ``i``
    (float64 in, float64 out): ``unbroadcast(t, like)`` is shaped like ``like``."""
    if not _SHAPED_LIKE:
        from .rules import numpy_products as prod
        from .rules import numpy_reductions as red
        from .rules import numpy_shape as shape
        _SHAPED_LIKE.update({
            shape.untake_along_axis: 1,
            runtime.unbroadcast: 1, runtime.broadcast_like: 1, runtime.getitem_adjoint: 1,
            runtime.scatter_into: 0, runtime.zeros_like: 0, red.tie_share: 0,
            prod.matmul_adjoint_a: 1, prod.matmul_adjoint_b: 2,
            prod.dot_adjoint_a: 1, prod.dot_adjoint_b: 2})
    return _SHAPED_LIKE


def _like_kind(e, like, kinds) -> Optional[Kind]:
    """Argument ``like``'s kind, when every array involved is float64 (then so
    is the result; other dtypes may promote either way)."""
    if len(e.args) <= like:
        return None
    known = {}                                       # argument position -> kind
    if e.fn is runtime.unbroadcast:
        k = known[0] = expr_kind(e.args[0], kinds)
        if k is not None and k.pyfloat:
            return k                                 # a number stays that number
    for i, a in enumerate(e.args + tuple(v for _, v in e.kwargs)):
        if isinstance(a, ir.Const) and not isinstance(a.value, np.ndarray):
            continue                                 # an index, an axis
        if i not in known:
            known[i] = expr_kind(a, kinds)
        k = known[i]
        if i not in (0, like) and k is not None and not k.pyfloat and \
                k.shape[:1] not in ((-1,), (-2,)) and np.dtype(k.dtype).kind in "iu":
            continue                                 # an index array: not in the result
        if k is None or not (k.pyfloat or k.dtype == "<f8"):
            return None
    k = known[like] if like in known else expr_kind(e.args[like], kinds)
    if k is None or k.pyfloat or k.shape == ():
        return None                                  # (zeros_like(None): a placeholder's)
    return Kind(k.shape, k.dtype)


import math as _math
_MATH_INTEGER = {_math.floor, _math.ceil, _math.trunc, _math.factorial, _math.gcd,
                 _math.comb, _math.perm, _math.isfinite, _math.isinf, _math.isnan,
                 _math.isclose, _math.isqrt, _math.prod} | {   # (prod: an int of ints)
    getattr(_math, n) for n in ("lcm", "sumprod") if hasattr(_math, n)}

# Set by the API: the kind a user function returns for arguments of given kinds,
# and the kind a derivative object returns (False when ``fn`` is not one).
CALLEE_KIND = None
# ``func -> bool``: whether every return of a user function returns an array
# it made itself (``api._returns_fresh``); its caller may update the result
RETURNS_FRESH = None


def made_arrays(fn: ir.Function, returns_fresh) -> set:
    """The names of ``fn`` that only ever hold arrays ``fn`` made itself: a
    NumPy function that makes one (``np.zeros``, ``np.array``, a ufunc),
    arithmetic, ``.copy()``, ``.astype(t)``, ``.flatten()``, an assignment
    into one of them (``out[1:-1] = v``), a copy of one, or a call of a
    function ``returns_fresh`` says returns one. Never a parameter, a view
    or an item of anything, module data, a list or dict (their items may be
    the arguments' arrays). A greatest fixpoint: a loop that carries a new
    array keeps it new."""
    from .frontend.lower import _container_copy, _creates_array
    params = set(fn.param_names())
    defs: dict = {}
    other = set(params)                   # written otherwise: unpacked, a loop's target
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var):
            defs.setdefault(s.target.name, []).append(s.value)
        else:
            other.update(ir.stmt_writes(s))
    made = set(defs) - other

    def makes(e) -> bool:
        if isinstance(e, ir.Var):
            return e.name in made
        if not isinstance(e, ir.Op):
            return False
        if e.fn is ir.IFEXP:
            return makes(e.args[1]) and makes(e.args[2])
        if e.fn is runtime.setitem:
            return bool(e.args) and makes(e.args[0])
        if isinstance(e.fn, types.FunctionType) and registry.lookup(e.fn) is None:
            return returns_fresh(e.fn)
        if isinstance(e.fn, ir.PseudoOp) and e.fn.kind != "method" or _container_copy(e):
            return False                  # a list, tuple or dict display or copy
        return e.fn not in (runtime.list_append, runtime.seq_concat) and _creates_array(e, made)

    changed = True
    while changed:
        changed = False
        for name in sorted(made):
            if not all(makes(v) for v in defs[name]):
                made.discard(name)
                changed = True
    return made
# (func) -> whether it may return an object of a class written in Python (api)
RETURNS_OBJECT = None
DERIVATIVE_KIND = None


# NumPy functions and ndarray methods whose result's shape and dtype depend
# only on their arguments' shapes, dtypes and constant arguments (never on
# values): their result kind is found by calling them on stand-in arrays.
_STABLE_FUNCTIONS = {
    "sum", "mean", "prod", "var", "std", "max", "min", "amax", "amin", "ptp", "average",
    "nansum", "nanmean", "nanmax", "nanmin", "median", "cumsum", "cumprod",
    "dot", "matmul", "inner", "outer", "tensordot", "einsum", "kron", "cross", "trace",
    "reshape", "ravel", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze",
    "broadcast_to", "atleast_1d", "atleast_2d", "atleast_3d", "roll", "flip", "flipud",
    "fliplr", "rot90", "tile", "pad", "diff", "diag", "diagonal", "triu", "tril",
    "clip", "where", "sort", "copy", "take", "take_along_axis", "full_like", "linspace",
    "concatenate", "stack", "hstack", "vstack", "column_stack", "dstack",
}
_CONSTRUCTORS = {"zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
                 "eye", "identity"}
_STABLE_METHODS = {"sum", "mean", "prod", "var", "std", "max", "min", "cumsum", "cumprod",
                   "dot", "trace", "reshape", "ravel", "flatten", "transpose", "swapaxes",
                   "squeeze", "clip", "copy", "diagonal", "take", "astype"}
_STABLE_ATTRS = {"T"}
_MAX_STAND_IN = 2_000_000


def _shape_stable(fn) -> bool:
    if isinstance(fn, ir.PseudoOp):
        return (fn.kind == "method" and fn.name in _STABLE_METHODS) or \
            (fn.kind == "attr" and fn.name in _STABLE_ATTRS)
    if fn is operator.matmul or fn is np.linalg.norm or fn is np.linalg.det:
        return True           # (their kinds by stand-in values: a norm's is a scalar)
    name = getattr(fn, "__name__", None)
    return name in _STABLE_FUNCTIONS and getattr(np, name, None) is fn


def _stand_in(e, kinds):
    """A value with ``e``'s kind (for shape inference), or raise LookupError."""
    if isinstance(e, ir.Const):
        return e.value
    if isinstance(e, ir.Op) and (e.fn is ir.MAKE_TUPLE or e.fn is ir.MAKE_LIST) and \
            not e.kwargs:                      # (a, b): stand-ins of a and b
        items = [_stand_in(a, kinds) for a in e.args]
        return tuple(items) if e.fn is ir.MAKE_TUPLE else items
    display = kinds.get(("display", e.name)) if isinstance(e, ir.Var) else None
    if display is not None:                    # v4 = (a, b): by the kinds of its slots
        items = [_stand_in_of(kinds.get(("slot", e.name, i)), e)
                 for i in range(display.shape[1])]
        return tuple(items) if display.dtype == "tuple" else items
    k = kinds.get(e.name) if isinstance(e, ir.Var) else \
        expr_kind(e, kinds) if isinstance(e, ir.Op) else None   # nested: by its kind
    return _stand_in_of(k, e)


def _stand_in_of(k, e):
    if k is None or k.shape[:1] in ((-1,), (-2,)) or int(np.prod(k.shape)) > _MAX_STAND_IN:
        raise LookupError(repr(e))
    if k in (NUMBER, INT):
        # an int's value can set a shape (np.zeros(n), x.reshape(n, -1), an axis):
        # a stand-in value would make one up (np.zeros(n) of shape (1,), then a
        # loop over range(len(out)) folded to one step); a float's never does
        raise LookupError(repr(e))
    if k.pyfloat:
        return 0.5
    if k.shape == () and not k.array0:
        return np.dtype(k.dtype).type(0.5)             # a NumPy scalar
    return np.full(k.shape, 0.5, dtype=np.dtype(k.dtype))


def _evaluated_kind(e, kinds) -> Optional[Kind]:
    try:
        args = [_stand_in(a, kinds) for a in e.args]
        kwargs = {k: _stand_in(v, kinds) for k, v in e.kwargs}
        if isinstance(e.fn, ir.PseudoOp):
            target = getattr(args[0], e.fn.name)
            value = target if e.fn.kind == "attr" else target(*args[1:], **kwargs)
        else:
            value = e.fn(*args, **kwargs)
    except Exception:               # unknown inputs, or the stand-ins do not fit
        return None
    k = kind_of_value(value)
    if k is not None and not k.pyfloat and k.dtype not in ("seq", "dict") and \
            np.dtype(k.dtype).kind not in "fb":
        return None
    return k


def _member(fn, table) -> bool:
    """``fn in table`` for a set: False for an unhashable callable (a
    ``np.poly1d``), which is in none of them."""
    try:
        return fn in table
    except TypeError:
        return False


_COMPARISONS = {operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
                np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
                np.isnan, np.isfinite, np.isinf, np.logical_not, np.logical_and,
                np.logical_or}


def _row_kind(k: Optional[Kind]) -> Optional[Kind]:
    """The kind of a float array's rows (or, for a vector, its NumPy scalars)."""
    if k is None or k.pyfloat or k.shape[:1] in ((-1,), (-2,), (-3,), ()) or \
            np.dtype(k.dtype).kind != "f":
        return None
    return Kind(k.shape[1:], k.dtype)


def _bool_kind(ks) -> Optional[Kind]:
    """An elementwise comparison of arrays: a boolean array of the broadcast shape."""
    if any(k is None or k.shape[:1] in ((-1,), (-2,)) for k in ks):
        return None
    if all(k.pyfloat for k in ks):
        return None                  # a Python bool
    try:
        shape = np.broadcast_shapes(*(k.shape for k in ks))
    except ValueError:
        return None
    return Kind(tuple(shape), "|b1")


def _getitem_kind(e, kinds) -> Optional[Kind]:
    """``x[i]``, ``x[1:]``, ``x[:, 0]`` on an array of known shape."""
    base = expr_kind(e.args[0], kinds)
    index = e.args[1]
    if base == SEQ and isinstance(e.args[0], ir.Var) and isinstance(index, ir.Const) and \
            type(index.value) in (str, int):
        k = kinds.get(("key", e.args[0].name, index.value))   # an argument's item
        if k is not None:
            return SEQ if isinstance(k, SeqItems) else k
    if base == SEQ and expr_kind(index, kinds) == INT:
        return _items_kind(e.args[0], kinds)              # xs[i]: one of the items
    if base == SEQ and (expr_kind(index, kinds) == SLICE or (
            isinstance(index, ir.Const) and type(index.value) is slice)):
        return SEQ                                        # xs[a:b]: a list or tuple
    if base is None or base.pyfloat or base.shape[:1] in ((-1,), (-2,)):
        return None
    if isinstance(index, ir.Const):
        parts = index.value if isinstance(index.value, tuple) else (index.value,)
        if not all(p is None or p is Ellipsis or type(p) in (int, slice) for p in parts):
            return None
        try:
            shape = np.empty(base.shape)[index.value].shape
        except (IndexError, TypeError, ValueError):
            return None
        return Kind(tuple(shape), base.dtype)
    if isinstance(index, (ir.Var, ir.Op)) and expr_kind(index, kinds) == INT and base.shape:
        return Kind(base.shape[1:], base.dtype)          # x[i], x[t + 1]: a row
    return None


def derivative_op(e: ir.Op, kinds: dict):
    """The primitive whose rule differentiates ``e``: ``a + b`` on lists is
    concatenation, not addition; ``1.0 / y`` is a reciprocal, whose adjoint
    reads its result instead of ``y``."""
    if e.fn is operator.truediv and _nonzero_const(e.args[0]):
        return runtime.const_over
    if e.fn is operator.add and any(expr_kind(a, kinds) == SEQ for a in e.args):
        return runtime.seq_concat
    if e.fn is runtime.setitem and _slice_index(e.args[1], kinds):
        k = expr_kind(e.args[0], kinds)
        if k is None or k == SEQ:
            return runtime.splice           # xs[0:2] = [a]: the length may change
    if e.fn is operator.mod and isinstance(e.args[0], ir.Const) and \
            isinstance(e.args[0].value, (str, bytes)):
        return format                       # "%.1f" % x: text (refused if differentiated)
    if e.fn is operator.or_ and len(e.args) == 2 and \
            any(expr_kind(a, kinds) == SEQ for a in e.args):
        return runtime.dict_union           # d | e: dicts (a set would not be differentiated)
    if e.fn is operator.mul and len(e.args) == 2:
        if expr_kind(e.args[0], kinds) == SEQ:
            return runtime.seq_repeat
        if expr_kind(e.args[1], kinds) == SEQ:
            return runtime.seq_repeat_left
    return e.fn


def _slice_index(e, kinds) -> bool:
    """Whether index ``e`` is a slice (``xs[0:2]``, lowered as ``slice(0, 2,
    None)``)."""
    return (isinstance(e, ir.Const) and type(e.value) is slice) or \
        (isinstance(e, ir.Op) and e.fn is slice) or expr_kind(e, kinds) is SLICE


def _nonzero_const(e) -> bool:
    return (isinstance(e, ir.Const) and type(e.value) in (int, float)
            and e.value != 0 and _math.isfinite(e.value))


def same_shape(a: Optional[Kind], b: Optional[Kind]) -> bool:
    return a is not None and b is not None and a.shape == b.shape
