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

import collections as _collections
import operator
import types
from dataclasses import replace

from typing import Optional

from . import ir, runtime
from .analysis import _MAX_NESTED, FunctionArg, Instance, SeqItems, build_kind, is_function
from .names import fresh
from .optimize import (_map_blocks as optimize_map_blocks, _rename_target, rename_expr,
                       rename_vars, substitute_block)

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
    if any(n in callee.namespace.bindings and
           fn.namespace.bindings.get(n, _UNBOUND) is not callee.namespace.bindings[n]
           for n in callee.free_data):
        return None                      # data its own globals hold (a derivative's,
                                         # frozen from a closure): not bound here
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


_UNBOUND = object()


def _names(fn: ir.Function) -> set:
    names = set(fn.param_names())
    for s in ir.walk(fn.body):
        names |= set(ir.stmt_writes(s))
        names |= set(ir.stmt_reads(s))
        if isinstance(s, (ir.For, ir.While)) and s.stop:
            names.add(s.stop)
    return names


# --------------------------------------------------------------------------
# methods of instance arguments


def resolve_methods(fn: ir.Function, classes: dict, containers=None, held=None,
                    held_objects=None, arg_instances=None):
    """Calls of methods of objects whose class is known become calls of the
    class's functions, as Python would make them: ``obj.method(a)`` is
    ``Class.method(obj, a)`` and ``obj(a)`` is ``Class.__call__(obj, a)``.
    Known are: instance arguments (``classes``: name -> class, the
    specialisation's, which the dispatcher checks), module data that is an
    instance (its class guarded the same way by the caller), a name bound
    once to one of them (a helper's parameter spliced in: ``forward_self =
    self``), an item of a container argument (``containers``: name ->
    ``SeqItems`` whose items include ``Instance``s; the dispatcher checks each
    item's class) read at a constant key or, when every item has one class, in
    a loop, and an instance the function refers to as a constant (an object
    reached through a module, ``mod.MODEL``, bound when the derivative is
    built, as functions are); ``super()`` in a method looks after the
    method's class in the MRO of its object's class. Only methods that are
    plain functions on the class are resolved (a static method drops
    ``obj``), with their defaults and keywords bound; a property, a class
    method, ``*args``, a class that redefines ``__getattribute__`` and an
    instance attribute are left alone, so their calls meet the missing-rule
    error as before.

    Returns ``(fn, receivers)``: the function (``fn`` itself when nothing
    changes; else with ``instances``, the class of each name known to hold an
    instance, for the callees it builds) and the names in ``classes`` whose
    methods were resolved.

    ``held``: ``{(name, attribute): function}`` for the functions instance
    arguments hold in attributes (``self.act = np.tanh``; the dispatcher
    checks each by identity): ``self.act(x)``, and a name bound once to
    ``self.act``, call that function.

    Operators on instances (``w + x``) are calls of their classes'
    ``__add__`` (``_operator_call``). ``held_objects``: ``{(name,
    attribute): class}`` of the objects instance arguments hold in
    attributes (``self.s``): operators on them are refused."""
    if not classes and not containers and not any(_object_call(s) for s in ir.walk(fn.body)):
        return fn, set()
    counts: dict = {}
    for s in ir.walk(fn.body):
        for t in ir.stmt_writes(s):
            counts[t] = counts.get(t, 0) + 1
    known = {n: c for n, c in classes.items() if not counts.get(n)}
    containers = named_containers(fn, containers, counts)
    roots = {n: n for n in known}
    for s in ir.walk(fn.body):             # copies of them, assigned once
        if not (isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and
                counts.get(s.target.name) == 1):
            continue
        if isinstance(s.value, ir.Var) and s.value.name in known:
            known[s.target.name] = known[s.value.name]
            if s.value.name in roots:
                roots[s.target.name] = roots[s.value.name]
        elif isinstance(s.value, ir.Const) and _instance(s.value.value) is not None:
            known[s.target.name] = _instance(s.value.value)     # (a constant: no guard)
        elif isinstance(s.value, ir.Const) and is_function(s.value.value):
            known[s.target.name] = _Function(s.value.value)     # (a function argument,
                                                                # passed on to a helper)
        elif isinstance(s.value, ir.Op) and s.value.fn is runtime.bind_keywords and \
                len(s.value.args) == 1 and isinstance(s.value.args[0], ir.Const):
            known[s.target.name] = _Function(s.value.args[0].value, s.value.kwargs)
                                                 # a nested function passed as a value
        elif isinstance(s.value, ir.Op) and s.value.fn is super and len(s.value.args) == 2 \
                and isinstance(s.value.args[0], ir.Const) and isinstance(s.value.args[1], ir.Var) \
                and s.value.args[1].name in known:        # t = super(C, self)
            start, obj = s.value.args[0].value, s.value.args[1].name
            mro = known[obj].__mro__
            if start in mro:
                known[s.target.name] = _After(mro[mro.index(start) + 1:], obj)
                if obj in roots:
                    roots[s.target.name] = roots[obj]
        elif held and isinstance(s.value, ir.Op) and isinstance(s.value.fn, ir.PseudoOp) and \
                s.value.fn.kind == "attr" and isinstance(s.value.args[0], ir.Var) and \
                (roots.get(s.value.args[0].name), s.value.fn.name) in held:   # f = self.act
            known[s.target.name] = _Function(held[roots[s.value.args[0].name],
                                                  s.value.fn.name])
        elif isinstance(s.value, ir.Op) and user_class(s.value.fn):
            known[s.target.name] = _Built(s.value.fn)        # m = Scale(k): for m * x
        elif isinstance(s.value, ir.Op) and _holds_known_objects(s.value, known):
            known[s.target.name] = _Items()                  # objs = [Shift(3.0)]
        elif isinstance(s.value, ir.Op) and s.value.fn is operator.getitem and \
                isinstance(s.value.args[0], ir.Var) and \
                isinstance(known.get(s.value.args[0].name), _Items):
            known[s.target.name] = _Items(item=True)         # objs[0]: an object, class unknown
        elif isinstance(s.value, ir.Op) and isinstance(s.value.fn, ir.PseudoOp) and \
                s.value.fn.kind == "attr" and isinstance(s.value.args[0], ir.Var) and \
                isinstance(known.get((s.value.args[0].name, s.value.fn.name)), _Nested):
            nested = known[s.value.args[0].name, s.value.fn.name]      # s = self.a.s
            known[s.target.name] = _Held(nested.cls, nested.label, s.value.fn.name)
            _nested_in(known, s.target.name, nested.kind, f"{nested.label}.{s.value.fn.name}")
        elif isinstance(s.value, ir.Op) and isinstance(s.value.fn, ir.PseudoOp) and \
                s.value.fn.kind == "attr" and isinstance(s.value.args[0], ir.Var) and \
                isinstance(known.get(s.value.args[0].name), _Held) and \
                known[s.value.args[0].name].opaque:
            holder = known[s.value.args[0].name]     # self.a.b. ... .c.v: not followed
            known[s.target.name] = _TooDeep(f"{holder.owner}.{holder.attr}.{s.value.fn.name}")
        elif isinstance(s.value, ir.Op) and isinstance(s.value.fn, ir.PseudoOp) and \
                s.value.fn.kind == "attr" and isinstance(s.value.args[0], ir.Var) and \
                isinstance(known.get(s.value.args[0].name), _TooDeep):
            known[s.target.name] = _TooDeep(
                f"{known[s.value.args[0].name].label}.{s.value.fn.name}")
        elif held_objects and isinstance(s.value, ir.Op) and \
                isinstance(s.value.fn, ir.PseudoOp) and s.value.fn.kind == "attr" and \
                isinstance(s.value.args[0], ir.Var) and \
                (roots.get(s.value.args[0].name), s.value.fn.name) in held_objects:
            owner, attr = roots[s.value.args[0].name], s.value.fn.name     # p = self.prior
            held_kind = held_objects[owner, attr]
            if isinstance(held_kind, Instance):      # its class and the functions it holds:
                known[s.target.name] = held_kind.cls   # resolved as a list item's are
                for a, ak in held_kind.attrs:
                    if isinstance(ak, FunctionArg):
                        known[(s.target.name, a)] = _Function(ak.fn)
                    elif isinstance(ak, Instance):     # an object it holds: refused
                        known[(s.target.name, a)] = _Nested(ak.cls, f"{owner}.{attr}", ak)
            else:
                known[s.target.name] = _Held(held_kind, owner, attr)
        elif isinstance(s.value, ir.Op) and s.value.fn is operator.getitem and \
                len(s.value.args) == 2 and isinstance(s.value.args[0], ir.Var) and \
                s.value.args[0].name in containers:
            k = containers[s.value.args[0].name]
            cls = _item_class(k, s.value.args[1])
            if cls is not None:
                known[s.target.name] = cls
            for attr, f in _item_functions(k, s.value.args[1]).items():
                known[(s.target.name, attr)] = _Function(f)    # layer.act(x)
            for attr, c in _item_objects(k, s.value.args[1]).items():
                known[(s.target.name, attr)] = _Nested(c.cls, s.target.name, c)   # layer.s
    _chosen_and_unpacked(fn, known, containers, counts)
    for s in ir.walk(fn.body):             # copies of items holding functions
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and \
                counts.get(s.target.name) == 1 and isinstance(s.value, ir.Var):
            for key in [key for key in known if isinstance(key, tuple) and
                        key[0] == s.value.name]:
                known[(s.target.name, key[1])] = known[key]
    used: set = set()
    if held:                               # self.act(x): the function it holds
        for n, root in roots.items():
            for (p, attr), f in held.items():
                if p == root:
                    known[(n, attr)] = _Function(f)
    body = _resolve_block(fn.body, known, roots, used)
    arg_instances = arg_instances or {}
    instances = {n: _with_functions(n, c, known, arg_instances.get(roots.get(n)))
                 for n, c in known.items() if isinstance(c, type)}      # (not _Held)
    if body == fn.body and (fn.instances or {}) == instances:
        return fn, used
    return fn.with_body(body, instances=instances), used


def _with_functions(name, cls, known, argument=None):
    """``cls``, or its ``Instance`` with the functions the object ``name``
    is known to hold in attributes (``layer.act``, an item of ``self.layers``):
    a callee built for it (not spliced in) calls them too. ``argument``: the
    ``Instance`` of the argument ``name`` is (or copies), with the kinds of
    the attributes read of it (``self.layers``' items, by a callee too:
    ``api._callee_reads``), which the callee built for it knows."""
    held = sorted(((key[1], FunctionArg(f.fn)) for key, f in known.items()
                   if isinstance(key, tuple) and key[0] == name and
                   isinstance(f, _Function) and not f.keywords), key=lambda t: t[0])
    if isinstance(argument, Instance) and argument.cls is cls and argument.attrs:
        have = {a for a, _ in argument.attrs}
        return Instance(cls, tuple(sorted(argument.attrs + tuple(
            (a, k) for a, k in held if a not in have), key=lambda t: t[0])))
    return Instance(cls, tuple(held)) if held else cls


_PLAIN = (types.FunctionType, types.BuiltinFunctionType, type, ir.PseudoOp)


class _Function:
    """A name bound once to a function (``resolve_methods``): a call of it is
    a call of the function (with ``keywords`` added: a nested function's
    variables of the function it is defined in)."""

    def __init__(self, fn, keywords=()):
        self.fn, self.keywords = fn, tuple(keywords)


def _chosen_and_unpacked(fn, known, containers, counts) -> None:
    """Objects reached otherwise than by a name bound once: ``a, = objs`` of a
    container whose items' classes are known (each its item's class), and
    ``o = a if c else b`` (a name bound on several paths to objects): their
    one class where all agree, else marked ``_Chosen`` (operators refused,
    never taken for numbers')."""
    for s in ir.walk(fn.body):
        v = s.value if isinstance(s, ir.Assign) else None
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and \
                isinstance(v, ir.Op) and isinstance(v.fn, ir.PseudoOp) and \
                v.fn.kind == "method" and v.fn.name == "get" and len(v.args) >= 2 and \
                isinstance(v.args[0], ir.Var) and v.args[0].name in containers and \
                isinstance(v.args[1], ir.Const) and counts.get(s.target.name) == 1 and \
                s.target.name not in known:      # d.get("k") of a dict of objects: its item
            k = containers[v.args[0].name]
            cls = _item_class(k, v.args[1]) if any(
                _same_key(key, v.args[1], len(k.items)) for key, _ in k.items) else None
            if cls is not None:
                known[s.target.name] = cls
        if isinstance(s, ir.Assign) and isinstance(s.target, tuple) and \
                isinstance(s.value, ir.Var) and s.value.name in containers:
            k = containers[s.value.name]
            for j, t in enumerate(s.target):
                cls = _item_class(k, ir.Const(j))
                if cls is not None and counts.get(t.name) == 1:
                    known[t.name] = cls
    values: dict = {}
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and \
                counts.get(s.target.name, 0) > 1 and s.target.name not in known:
            values.setdefault(s.target.name, []).append(s.value)
    for name, vs in values.items():
        found = [known.get(v.name) if isinstance(v, ir.Var) else None for v in vs]
        if not any(isinstance(c, type) for c in found):
            continue
        classes = {c for c in found if c is not None}
        if len(classes) == 1 and all(isinstance(c, type) for c in found):
            known[name] = classes.pop()
        else:
            known[name] = _Chosen(name)
    for s in ir.walk(fn.body):             # (and their copies: o = v)
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and \
                isinstance(s.value, ir.Var) and counts.get(s.target.name) == 1 and \
                s.target.name not in known and \
                isinstance(known.get(s.value.name), (type, _Chosen)):
            found = known[s.value.name]     # (a chosen one named as the copy: the user's)
            known[s.target.name] = _Chosen(s.target.name) if isinstance(found, _Chosen) \
                else found


class _Chosen:
    """A name bound on several paths, to an object on one of them at least,
    whose class is not one: its operators are refused."""

    def __init__(self, name):
        self.name = name


class _Nested:
    """What ``(name, attribute)`` holds: an object of class ``cls`` two
    attributes deep or more (``self.a.s``), whose operators and methods are
    refused; ``kind``, its ``Instance``, lists the objects it holds in turn."""

    def __init__(self, cls, label: str, kind: Optional[Instance] = None):
        self.cls, self.label = cls, label      # (label: how the user reaches the holder)
        self.kind = kind


def _nested_in(known, name: str, kind, label: str) -> None:
    """Mark the objects the object ``name`` (of ``Instance`` ``kind``, reached
    as ``label``) holds, so that reading one (``self.a.b.s``) makes a
    ``_Held``, whose operators are refused."""
    for a, ak in (kind.attrs if isinstance(kind, Instance) else ()):
        if isinstance(ak, Instance):
            known[(name, a)] = _Nested(ak.cls, label, ak)
    if isinstance(kind, Instance) and kind.opaque:
        known[name].opaque = True


class _TooDeep:
    """A value read of an object held deeper than wengert follows
    (``analysis._MAX_NESTED``): it may be an object, so its operators are
    refused."""

    def __init__(self, label: str):
        self.label = label


class _After:
    """What ``super(C, obj)`` finds methods in: the classes after ``C`` in the
    MRO of ``obj``'s class, bound to ``obj``."""

    def __init__(self, classes, obj: str):
        self.classes, self.obj = classes, obj

    def lookup(self, name: str):
        for c in self.classes:
            if name in vars(c):
                plain = c.__getattribute__ is object.__getattribute__
                if plain and METHOD_LOOKED_UP is not None:
                    METHOD_LOOKED_UP(self.classes, name)
                return _function_of(vars(c)[name]) if plain else None
        return None


def _item_class(k, index):
    """The class of the item of a container of kind ``k`` (a ``SeqItems``) at
    ``index``: a constant key's, or any index's (a key, for a dict) in a
    container whose items all have one class."""
    if isinstance(index, ir.Const):
        for key, item in k.items:
            if _same_key(key, index, len(k.items)):
                return item.cls if isinstance(item, Instance) else None
        return None
    classes = {item.cls if isinstance(item, Instance) else None for _, item in k.items}
    if len(classes) == 1 and None not in classes:   # a list's, or a dict's at its keys
        return classes.pop()                        # in a loop over it
    return None


def _item_objects(k, index) -> dict:
    """``{attribute: class}`` of the objects the item of a container of kind
    ``k`` at ``index`` holds (``analysis.held_objects``): refused in an
    operator or a method call, never taken for numbers."""
    items = [item for key, item in k.items if _same_key(key, index, len(k.items))] \
        if isinstance(index, ir.Const) else [item for _, item in k.items]
    out: dict = {}
    for item in items:
        for a, ak in (item.attrs if isinstance(item, Instance) else ()):
            if isinstance(ak, Instance):
                out.setdefault(a, ak)
    return out


MAX_UNROLLED = 16      # items of a container of unlike objects a loop is written out for


def unroll_item_loops(fn: ir.Function, containers: dict) -> ir.Function:
    """A loop over a container argument whose items are objects of different
    classes, or hold different functions (``[Dense(..., np.tanh),
    Dense(..., relu)]``), written out once per item, as a user would write
    ``layers[0](x)``, ``layers[1](...)``: each item is then read at a constant
    key, whose class and functions are known (``_item_class``,
    ``_item_functions``), and its methods are resolved. The container's
    length is part of the specialisation (``ItemsKey``). Left alone: a loop
    that may ``break`` or return, one over more than ``MAX_UNROLLED`` items
    (their calls are then refused), and one over like objects (it stays a
    loop: its items' methods are resolved by their one class)."""
    if not containers:
        return fn
    writes: dict = {}
    for s in ir.walk(fn.body):
        for n in ir.stmt_writes(s):
            writes[n] = writes.get(n, 0) + 1
    containers = named_containers(fn, containers, writes)
    defs = {s.target.name: s.value for s in ir.walk(fn.body)
            if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and
            writes.get(s.target.name) == 1}
    taken = set(writes) | set(fn.param_names()) | ir.all_reads(fn.body)
    temps, changed = set(fn.temps), [False]

    def container_of(loop):
        """The container ``loop`` runs over by index, if one to write out."""
        if not isinstance(loop, ir.For) or loop.stop or not isinstance(loop.target, ir.Var) \
                or writes.get(loop.target.name) != 1:
            return None
        it = defs.get(loop.iter.name) if isinstance(loop.iter, ir.Var) else loop.iter
        if not (isinstance(it, ir.Op) and it.fn is range and len(it.args) == 1 and
                not it.kwargs):
            return None
        n = defs.get(it.args[0].name) if isinstance(it.args[0], ir.Var) else it.args[0]
        if not (isinstance(n, ir.Op) and n.fn is len and len(n.args) == 1 and
                isinstance(n.args[0], ir.Var)) or \
                any(isinstance(x, ir.Return) for x in ir.walk(loop.body)):
            return None
        over = n.args[0].name
        if over in containers:
            candidates = [containers[over]]            # a list: its items
        else:                                          # a dict: its keys, then d[key]
            keys = defs.get(over)
            read = ir.all_reads(loop.body)
            candidates = [k for name, k in containers.items() if name in read and
                          k.dtype == "dict" and isinstance(keys, ir.Const) and
                          keys.value == tuple(key for key, _ in k.items)]
        for k in candidates:
            items = {item for _, item in k.items}
            if 1 < len(k.items) <= MAX_UNROLLED and len(items) > 1 and \
                    any(isinstance(item, Instance) for item in items):
                return k
        return None

    def written_out(loop, k) -> list:
        """``loop``'s body once per item, in SSA form again: each copy writes
        names of its own and reads what the copy before it wrote (a value an
        adjoint reads is never overwritten by a later copy); after the last,
        the loop's names take their final values, as after the loop."""
        index = loop.target.name
        body = block(loop.body)
        written = sorted(ir.all_writes(body))
        read, before = set(), set()       # read before the body writes them: carried
        for x in body:
            read |= ir.all_reads([x]) - before
            before |= ir.all_writes([x])
        out = []
        cur = {}
        for n in written:          # what the loop starts from, under a name of its own:
            if n in read:          # the name itself is written again after the last copy
                cur[n] = fresh(taken, f"{n}_in")
                temps.add(cur[n])
                out.append(ir.Assign(ir.Var(cur[n]), ir.Var(n), loop.loc))
            else:
                cur[n] = n
        for j in range(len(k.items)):
            mine = {n: fresh(taken, f"{n}_{j}") for n in written}
            temps.update(mine[n] for n in written if n in fn.temps)
            copy = substitute_block(body, {index: ir.Const(j)})
            copy = _item_keys(copy, k, j)
            for x in copy:
                writes = ir.all_writes([x])
                if isinstance(x, ir.Assign):      # (a carry no more: a plain assignment)
                    out.append(replace(x, target=_rename_target(x.target, mine),
                                       value=rename_expr(x.value, cur), carry=False))
                else:              # (a block: what it writes, its own names inside)
                    out.extend(rename_vars([x], {**cur, **{n: mine[n] for n in writes}}))
                cur.update((n, mine[n]) for n in writes)
        out.extend(ir.Assign(ir.Var(n), ir.Var(cur[n]), loop.loc) for n in written
                   if cur[n] != n)
        out.append(ir.Assign(ir.Var(index), ir.Const(len(k.items) - 1), loop.loc))
        return out

    def _item_keys(copy, k, j):
        """``key = keys[j]`` (a dict's keys, a constant tuple) as the key."""
        if k.dtype != "dict":
            return copy
        keys = {x.target.name: ir.Const(defs[x.value.args[0].name].value[j]) for x in copy
                if isinstance(x, ir.Assign) and isinstance(x.target, ir.Var) and
                isinstance(x.value, ir.Op) and x.value.fn is operator.getitem and
                x.value.args[1] == ir.Const(j) and isinstance(x.value.args[0], ir.Var) and
                isinstance(defs.get(x.value.args[0].name), ir.Const) and
                type(defs[x.value.args[0].name].value) is tuple and
                j < len(defs[x.value.args[0].name].value)}
        return substitute_block(copy, keys) if keys else copy

    def block(stmts):
        out = []
        for s in stmts:
            k = container_of(s)
            if k is None:
                out.append(optimize_map_blocks(s, block))
                continue
            changed[0] = True
            out.extend(written_out(s, k))
        return out
    body = block(fn.body)
    if not changed[0]:
        return fn
    return fn.with_body(body, temps=frozenset(temps))


def named_containers(fn: ir.Function, containers, counts=None) -> dict:
    """``{name: SeqItems}`` of the names that hold a container whose items'
    kinds are known (``containers``: a parameter's name, or ``(parameter,
    attribute)`` for one an instance argument holds, ``self.layers``): the
    parameter if never rebound; a name bound once to it, to the attribute
    (of the parameter or a copy of it), or, for a list or tuple, to
    ``iterated`` of one of them (what a loop over it reads by index)."""
    if not containers:
        return {}
    if counts is None:
        counts = {}
        for s in ir.walk(fn.body):
            for t in ir.stmt_writes(s):
                counts[t] = counts.get(t, 0) + 1
    out = {n: k for n, k in containers.items() if isinstance(n, str) and not counts.get(n)}
    roots = {n: n for n in fn.param_names() if not counts.get(n)}
    roots.update((key[0], key[0]) for key in containers      # (a module-level object's)
                 if isinstance(key, tuple) and not counts.get(key[0]))
    items: dict = {}           # a name bound to an item: its Instance (a block's layers)
    for s in ir.walk(fn.body):
        if not (isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and
                counts.get(s.target.name) == 1):
            continue
        v, t = s.value, s.target.name
        if isinstance(v, ir.Var):
            if v.name in roots:
                roots[t] = roots[v.name]
            if v.name in out:
                out[t] = out[v.name]
            if v.name in items:
                items[t] = items[v.name]
        elif isinstance(v, ir.Op) and isinstance(v.fn, ir.PseudoOp) and v.fn.kind == "attr" \
                and isinstance(v.args[0], ir.Var) and v.args[0].name in items and \
                isinstance(dict(items[v.args[0].name].attrs).get(v.fn.name), SeqItems):
            out[t] = dict(items[v.args[0].name].attrs)[v.fn.name]      # block.layers
        elif isinstance(v, ir.Op) and v.fn is operator.getitem and len(v.args) == 2 and \
                isinstance(v.args[0], ir.Var) and v.args[0].name in out and \
                not (isinstance(v.args[1], ir.Const) and type(v.args[1].value) is slice):
            k = out[v.args[0].name]
            index = v.args[1]
            found = [item for key, item in k.items if _same_key(key, index, len(k.items))] \
                if isinstance(index, ir.Const) else list({item for _, item in k.items})
            if len(found) == 1 and isinstance(found[0], Instance) and \
                    any(isinstance(a, SeqItems) for _, a in found[0].attrs):
                items[t] = found[0]
            elif len(found) == 1 and isinstance(found[0], SeqItems) and \
                    isinstance(index, ir.Const):
                out[t] = found[0]                 # objs[0]: a list of objects in a list
        elif isinstance(v, ir.Op) and isinstance(v.fn, ir.PseudoOp) and v.fn.kind == "attr" \
                and isinstance(v.args[0], ir.Var) and \
                (roots.get(v.args[0].name), v.fn.name) in containers:
            out[t] = containers[roots[v.args[0].name], v.fn.name]
        elif isinstance(v, ir.Op) and v.fn is runtime.iterated and len(v.args) == 1 and \
                isinstance(v.args[0], ir.Var) and v.args[0].name in out and \
                out[v.args[0].name].dtype != "dict":
            out[t] = out[v.args[0].name]          # a list's iterated(xs) is xs
        elif isinstance(v, ir.Op) and v.fn is operator.getitem and len(v.args) == 2 and \
                isinstance(v.args[0], ir.Var) and v.args[0].name in out and \
                out[v.args[0].name].dtype != "dict" and isinstance(v.args[1], ir.Const) and \
                type(v.args[1].value) is slice:   # self.layers[:-1]: those items
            k = out[v.args[0].name]
            kept = [item for _, item in k.items][v.args[1].value]
            if kept:
                out[t] = replace(k, items=tuple(enumerate(kept)))
    return out


# --------------------------------------------------------------------------
# fields of namedtuples


def namedtuple_fields(fn: ir.Function, classes: dict, containers: dict):
    """Reads of a field of a namedtuple whose class is known, ``p.g``, become
    reads of its item, ``p[0]``, as Python's accessor reads it (differentiated
    as an item is; ``analysis.field_index`` says which fields read so). Known
    are: ``classes`` (name -> class: a namedtuple argument, module data, each
    checked by the dispatcher), a name bound once to one of them (a helper's
    parameter spliced in), and an item of a container argument
    (``containers``: name -> ``SeqItems`` whose items' classes the dispatcher
    checks) read at a constant key, or at any key where all its items have
    one class (a loop over it). Returns ``(fn, used)``: ``used``, the names
    of ``classes`` whose fields were read; ``fn`` with ``instances`` giving
    each known name its ``NamedTupleOf`` (passed to a callee built for it)."""
    from .analysis import NamedTupleOf, field_index
    counts: dict = {}
    for s in ir.walk(fn.body):
        for t in ir.stmt_writes(s):
            counts[t] = counts.get(t, 0) + 1
    known = {n: c for n, c in classes.items() if not counts.get(n)}
    roots = {n: n for n in known}
    held = named_containers(fn, {n: k for n, k in containers.items()
                                 if _holds_namedtuples(k)}, counts)
    for s in ir.walk(fn.body):
        if not (isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and
                counts.get(s.target.name) == 1 and isinstance(s.value, (ir.Var, ir.Op))):
            continue
        v, t = s.value, s.target.name
        if isinstance(v, ir.Var) and v.name in known:
            known[t] = known[v.name]
            roots[t] = roots.get(v.name)
        elif isinstance(v, ir.Op) and v.fn is operator.getitem and len(v.args) == 2 and \
                isinstance(v.args[0], ir.Var) and v.args[0].name in held:
            cls = _item_namedtuple(held[v.args[0].name], v.args[1])
            if cls is not None:
                known[t] = cls
    used: set = set()

    def field(s):
        e = s.value if isinstance(s, (ir.Assign, ir.Effect)) else None
        if not (isinstance(e, ir.Op) and isinstance(e.fn, ir.PseudoOp) and
                e.fn.kind in ("attr", "method") and e.args and
                isinstance(e.args[0], ir.Var) and e.args[0].name in known):
            return s
        cls = known[e.args[0].name]
        if e.fn.kind == "method":          # p.scaled(s): PT.scaled(p, s), as Python calls it
            call = _namedtuple_method_call(cls, e)
        elif not isinstance(s, ir.Assign):
            return s
        else:
            i = field_index(cls, e.fn.name)
            call = ir.Op(operator.getitem, (e.args[0], ir.Const(i))) if i is not None \
                else _namedtuple_property_call(cls, e)      # p.ratio: its getter, called
        if call is None:
            return s
        if roots.get(e.args[0].name) is not None:
            used.add(roots[e.args[0].name])
        return replace(s, value=call)

    def block(stmts):
        return [optimize_map_blocks(field(s), block) for s in stmts]
    body = block(fn.body)
    instances = dict(fn.instances or {})
    instances.update((n, NamedTupleOf((-2,), "seq", cls=c)) for n, c in known.items())
    if body == fn.body and (fn.instances or {}) == instances:
        return fn, used
    return fn.with_body(body, instances=instances), used


def _namedtuple_function(cls, name: str, want_property: bool):
    """The function a namedtuple class of the user's (``typing.NamedTuple``,
    or a class deriving from ``collections.namedtuple(...)``) defines as the
    method (a property's getter, ``want_property``) ``name``: ``(function,
    is_static)``, or None (a field, a tuple method, what ``collections``
    writes itself: ``_replace``, ``_asdict``; a subclass's property or method
    named as a field, which stays refused)."""
    import inspect
    if not (isinstance(cls, type) and issubclass(cls, tuple)) or \
            cls.__getattribute__ is not tuple.__getattribute__ or \
            name in getattr(cls, "_fields", ()):      # (one shadowing a field: refused)
        return None
    try:
        attr = inspect.getattr_static(cls, name)
    except AttributeError:
        return None
    if want_property:
        if not isinstance(attr, property) or not isinstance(attr.fget, types.FunctionType):
            return None
        found = (attr.fget, False)
    else:
        found = _function_of(attr)
    if found is None or found[0].__module__ == "collections" or \
            found[0].__code__.co_filename == getattr(_collections, "__file__", None):
        return None
    if METHOD_LOOKED_UP is not None:
        METHOD_LOOKED_UP(cls.__mro__, name)
    return found


def _namedtuple_method_call(cls, e: ir.Op):
    """``p.name(a)`` on a namedtuple of class ``cls``: ``cls.name(p, a)``, or None."""
    found = _namedtuple_function(cls, e.fn.name, False)
    if found is None:
        return None
    func, static = found
    bound = _bound_arguments(func, (() if static else (e.args[0],)) + tuple(e.args[1:]),
                             e.kwargs)
    return None if bound is None else ir.Op(func, *bound)


def _namedtuple_property_call(cls, e: ir.Op):
    """``p.name``, a property of a namedtuple of class ``cls``: its getter
    called, ``fget(p)``, or None."""
    found = _namedtuple_function(cls, e.fn.name, True)
    if found is None:
        return None
    bound = _bound_arguments(found[0], (e.args[0],), ())
    return None if bound is None else ir.Op(found[0], *bound)


def _holds_namedtuples(k) -> bool:
    return isinstance(k, SeqItems) and any(isinstance(i, SeqItems) and i.cls is not None
                                           for _, i in k.items)


def _item_namedtuple(k, index):
    """The namedtuple class of the item of a container of kind ``k`` at
    ``index`` (as ``_item_class``: a constant key's, or any key's where all
    items have one class)."""
    if isinstance(index, ir.Const):
        found = [i for key, i in k.items if _same_key(key, index, len(k.items))]
    else:
        found = list({i.cls if isinstance(i, SeqItems) else None for _, i in k.items})
        return found[0] if len(found) == 1 else None
    return found[0].cls if len(found) == 1 and isinstance(found[0], SeqItems) else None


def _item_functions(k, index) -> dict:
    """``{attribute: function}`` the item of a container of kind ``k`` at
    ``index`` holds (``analysis.held_functions``): a constant key's, or any
    index's where every item holds that one function there."""
    items = [item for key, item in k.items if _same_key(key, index, len(k.items))] \
        if isinstance(index, ir.Const) else [item for _, item in k.items]
    if not items or not all(isinstance(item, Instance) for item in items):
        return {}
    found = [{a: f.fn for a, f in item.attrs if isinstance(f, FunctionArg)} for item in items]
    return {a: f for a, f in found[0].items() if all(other.get(a) is f for other in found)}


def _same_key(key, want, n) -> bool:
    return (type(key) is type(want.value) and key == want.value) or \
        (type(key) is int and type(want.value) is int and key - n == want.value)


def _object_call(s) -> bool:
    """Whether ``s`` calls a method, or an instance bound as a constant, or
    makes an object of a class written in Python, or applies an operator to
    an instance bound as a constant (``_operator_call``)."""
    if not (isinstance(s, (ir.Assign, ir.Effect)) and isinstance(s.value, ir.Op)):
        return False
    fn = s.value.fn
    if type(fn) is types.BuiltinFunctionType and fn in _DUNDERS:
        return any(isinstance(a, ir.Const) and _instance(a.value) is not None
                   for a in s.value.args)
    return (isinstance(fn, ir.PseudoOp) and fn.kind == "method") or \
        user_class(fn) or _instance(fn) is not None


def user_class(fn) -> bool:
    """A class written in Python, not wengert's or NumPy's."""
    return isinstance(fn, type) and bool(fn.__flags__ & (1 << 9)) and \
        not fn.__module__.startswith(("wengert", "numpy"))


def _instance(obj):
    """The class of ``obj`` if it is an instance of a class written in Python
    (not wengert's own: derivatives and custom rules are called as they are)."""
    if isinstance(obj, _PLAIN):
        return None
    k = build_kind(obj)
    if isinstance(k, Instance) and not type(obj).__module__.startswith(("wengert", "numpy")):
        return k.cls
    return None


def _resolve_block(stmts, known, roots, used) -> list:
    out = []
    for s in stmts:
        for attr in ("body", "orelse", "test_body"):
            if hasattr(s, attr):
                s = replace(s, **{attr: _resolve_block(getattr(s, attr), known, roots, used)})
        held_fn = _read_held_function(s, known)
        if held_fn is not None:                 # act = self.act: that function (None too),
            s = replace(s, value=ir.Const(held_fn.fn))   # so `act is None` is decided
        elif isinstance(s, (ir.Assign, ir.Effect)) and isinstance(s.value, ir.Op):
            call = _resolved_call(s.value, known)
            if call is None:
                call = _operator_call(s, known)
            if call is not None:
                obj = s.value.args[0] if isinstance(s.value.fn, ir.PseudoOp) else None
                if isinstance(obj, ir.Var) and obj.name in roots:
                    used.add(roots[obj.name])
                s = replace(s, value=call)
        out.append(s)
    return out


def _read_held_function(s, known):
    """The ``_Function`` ``s`` reads from an attribute where an object holds
    a function or None (``act = self.act``, ``layer.act``), checked by
    identity at each call: read as that constant, so that ``if self.act is
    None`` is decided where the derivative is built. Else None."""
    if not (isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and
            isinstance(s.value, ir.Op) and isinstance(s.value.fn, ir.PseudoOp) and
            s.value.fn.kind == "attr" and s.value.args):
        return None
    obj = s.value.args[0]
    found = known.get(s.target.name)
    if not isinstance(found, _Function) and isinstance(obj, ir.Var):
        found = known.get((obj.name, s.value.fn.name))
    return found if isinstance(found, _Function) and not found.keywords else None


# Python's operators -> (method, reflected method) a class may define them by
_DUNDERS = {operator.add: ("__add__", "__radd__"), operator.sub: ("__sub__", "__rsub__"),
            operator.mul: ("__mul__", "__rmul__"), operator.truediv: ("__truediv__", "__rtruediv__"),
            operator.floordiv: ("__floordiv__", "__rfloordiv__"),
            operator.mod: ("__mod__", "__rmod__"), operator.pow: ("__pow__", "__rpow__"),
            operator.matmul: ("__matmul__", "__rmatmul__"),
            operator.neg: ("__neg__", None), operator.pos: ("__pos__", None),
            abs: ("__abs__", None), operator.getitem: ("__getitem__", None),
            operator.or_: ("__or__", "__ror__"), operator.and_: ("__and__", "__rand__"),
            operator.xor: ("__xor__", "__rxor__"), operator.lshift: ("__lshift__", "__rlshift__"),
            operator.rshift: ("__rshift__", "__rrshift__"), operator.invert: ("__invert__", None),
            operator.lt: ("__lt__", "__gt__"), operator.le: ("__le__", "__ge__"),
            operator.gt: ("__gt__", "__lt__"), operator.ge: ("__ge__", "__le__")}
_SYMBOLS = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/",
            operator.floordiv: "//", operator.mod: "%", operator.pow: "**",
            operator.matmul: "@", operator.neg: "-", operator.pos: "+", abs: "abs()",
            operator.getitem: "[]", operator.or_: "|", operator.and_: "&", operator.xor: "^",
            operator.lshift: "<<", operator.rshift: ">>", operator.invert: "~",
            operator.lt: "<", operator.le: "<=", operator.gt: ">", operator.ge: ">="}
OPERATORS = frozenset(_DUNDERS)
_SWAPPED = {operator.lt: operator.gt, operator.le: operator.ge, operator.gt: operator.lt,
            operator.ge: operator.le}


class _Held:
    """A name bound once to an object an instance argument holds in an
    attribute (``s = self.s``): its class is known, but not the kinds of its
    own attributes, so its operators are refused, not taken for numbers'."""

    def __init__(self, cls: type, owner: str, attr: str):
        self.cls, self.owner, self.attr = cls, owner, attr
        self.opaque = False         # (what it holds is not known: ``_TooDeep``)


class _Built:
    """A name bound once to an object the function makes (``m = Scale(k)``):
    its operators are its class's (``_operator_call``); its methods are not
    resolved (what it holds is not known)."""

    def __init__(self, cls: type):
        self.cls = cls


class _Items:
    """A list or tuple the function builds holding objects of its own
    classes (``objs = [Shift(3.0)]``), or (``item``) one read from it: its
    operators are refused, never taken for numbers'."""

    def __init__(self, item: bool = False):
        self.item = item


def _holds_known_objects(e: ir.Op, known) -> bool:
    """A display, an append or ``iterated`` of one, holding a known object."""
    if e.fn is runtime.iterated or e.fn is runtime.list_append:
        if isinstance(e.args[0], ir.Var) and isinstance(known.get(e.args[0].name), _Items):
            return True
    if e.fn in (ir.MAKE_LIST, ir.MAKE_TUPLE, runtime.list_append):
        classes = [_operand_class(a, known) for a in e.args]
        return any(isinstance(c, _TooDeep) or (isinstance(c, (type, _Built, _Held)) and
                   not _array_like(c if isinstance(c, type) else c.cls)) for c in classes)
    return False


def _operator_call(s, known):
    """``a + b`` (any of ``_DUNDERS``) where an operand is an instance of a
    class written in Python: a call of the class's ``__add__`` (or of the
    other operand's ``__radd__``), as Python makes it, differentiated like
    any method. Refused (never taken for arithmetic on numbers) where the
    class defines no such method in Python, or updates in place
    (``__iadd__``), or the object is held in an attribute."""
    e = s.value
    if type(e.fn) is not types.BuiltinFunctionType or e.fn not in _DUNDERS or e.kwargs:
        return None
    classes = [_operand_class(a, known) for a in e.args]
    from .errors import NoRuleError
    deep = next((c for c in classes if isinstance(c, _TooDeep)), None)
    if deep is not None:
        raise NoRuleError(
            f"`{_SYMBOLS[e.fn]}` on `{deep.label}`, read of an object held more than "
            f"{_MAX_NESTED} attributes deep (wengert does not follow objects that "
            "deep, so it cannot tell whether this is a number or an object)", s.loc,
            hint="read the value into a local variable of a shallower object, or pass it "
                 "in as an argument")
    chosen = next((c for c in classes if isinstance(c, _Chosen)), None)
    if chosen is not None:
        raise NoRuleError(
            f"`{_SYMBOLS[e.fn]}` on `{chosen.name}`, an object of your own class on one path "
            "and another class or a value on another (its class is not one where the "
            "operator is)", s.loc,
            hint="apply the operator in each branch, where the object's class is known")
    if all(c is None for c in classes) or \
            (e.fn is operator.getitem and not isinstance(classes[0], type)):
        return None                 # (obj[i]: only a container of a known class counts)
    if any(isinstance(c, _Items) for c in classes):
        raise NoRuleError(
            f"`{_SYMBOLS[e.fn]}` on an object read from a list or tuple this function builds "
            "(its class is not known where it is read)", s.loc,
            hint="apply the operator to the object before putting it in the list, or pass "
                 "the list in as an argument (its items' classes are then known)")
    classes = [c.cls if isinstance(c, _Built) else c for c in classes]
    if any(_array_like(c.cls if isinstance(c, _Held) else c) for c in classes
           if c is not None and not isinstance(c, _Items)):
        return None                 # a Dask array: NumPy's arithmetic, the rules' own
    from .errors import NoRuleError
    symbol = _SYMBOLS[e.fn]
    method, reflected = _DUNDERS[e.fn]
    for c in classes:
        if isinstance(c, _Held):
            raise NoRuleError(
                f"`{symbol}` on an object held in an attribute (`{c.owner}.{c.attr}`, "
                f"a {c.cls.__qualname__}): its `{method}` is not differentiated there",
                s.loc, hint=f"pass the object in as an argument (its class's `{method}` is "
                            "then called and differentiated), or compute the value with "
                            "numbers and arrays")
    first = classes[0]
    if e.fn in (operator.lt, operator.le, operator.gt, operator.ge) and \
            not isinstance(first, type) and len(classes) == 2 and isinstance(classes[1], type):
        raise NoRuleError(
            f"`{symbol}` with an object of your class {classes[1].__qualname__} on the right: "
            f"an array on the left compares its items with it one by one, a number lets it "
            f"answer with its `{reflected}`", s.loc,
            hint=f"put the object on the left (`w {_SYMBOLS[_SWAPPED[e.fn]]} x`), where its "
                 f"class's `{reflected}` is called and differentiated")
    if isinstance(first, type):
        if getattr(s, "augmented", False) and \
                method_function(first, "__i" + method[2:]) is not None:
            raise NoRuleError(
                f"`{symbol}=` on an instance of {first.__qualname__}, whose "
                f"`__i{method[2:]}` updates it in place", s.loc,
                hint=f"write `a = a {symbol} b` with a `{method}` that returns a new object")
        found = method_function(first, method)
        order = e.args
    elif len(e.args) == 2 and isinstance(classes[1], type) and reflected:
        first, method = classes[1], reflected
        found = method_function(first, method)
        order = (e.args[1], e.args[0])
    else:
        found = None
    if found is None or found[1]:
        raise NoRuleError(
            f"`{symbol}` on an instance of {first.__qualname__} that defines no `{method}` "
            "written in Python", s.loc,
            hint=f"define `{method}` on the class (it is then called and differentiated), or "
                 "compute the value with numbers and arrays")
    bound = _bound_arguments(found[0], tuple(order), ())
    return None if bound is None else ir.Op(found[0], *bound)


def _array_like(cls) -> bool:
    """An array type of NumPy's protocols (Dask's), or a container (a
    namedtuple): its operators are NumPy's or the container's, as before."""
    return issubclass(cls, (tuple, list, dict)) or any(     # (`__array_ufunc__ = None`
        getattr(cls, n, None) is not None                     #  opts out of NumPy's; an
        for n in ("__array_ufunc__", "__array_function__"))  #  `__array__` alone: its own)


def returned_objects(stmts) -> set:
    """The names in ``stmts`` bound to what a call of a function that may
    return an object of a class written in Python returns (``w =
    make_shift()``, a helper not spliced in: ``analysis.RETURNS_OBJECT``),
    and their copies. Its class is not known where the call is, so an
    operator on it is refused (``refuse_returned_objects``)."""
    from . import analysis
    calls = [s for s in ir.walk(stmts) if isinstance(s, ir.Assign) and
             isinstance(s.target, ir.Var) and isinstance(s.value, ir.Op) and
             isinstance(s.value.fn, types.FunctionType)]
    if not calls or analysis.RETURNS_OBJECT is None:
        return set()
    found = {s.target.name for s in calls if analysis.RETURNS_OBJECT(s.value.fn)}
    copies = [(s.target.name, s.value.name) for s in ir.walk(stmts)
              if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and
              isinstance(s.value, ir.Var)]
    while found:
        more = {t for t, v in copies if v in found and t not in found}
        if not more:
            break
        found |= more
    return found


def refuse_returned_objects(e: ir.Op, objects: set, loc) -> None:
    """Refuse an operator (``w + x``) differentiated with an operand in
    ``objects`` (``returned_objects``): Python calls its class's ``__add__``,
    which the build cannot see, so arithmetic on numbers would be wrong."""
    if not objects or type(e.fn) is not types.BuiltinFunctionType or e.fn not in _DUNDERS:
        return
    for a in e.args:
        if isinstance(a, ir.Var) and a.name in objects:
            from .errors import NoRuleError
            method = _DUNDERS[e.fn][0]
            raise NoRuleError(
                f"`{_SYMBOLS[e.fn]}` on `{a.name}`, which a function this one calls may "
                "return as an object of a class written in Python (not spliced in here: its "
                f"class, and so its `{method}`, is not known)", loc,
                hint="make the object in this function (`w = Shift(3.0)`) or pass it in as "
                     f"an argument: its class's `{method}` is then called and differentiated")


def _operand_class(a, known):
    """The class of an operand known to be an instance (or ``_Held``), else None."""
    if isinstance(a, ir.Var):
        c = known.get(a.name)
        if isinstance(c, _Chosen):
            return c
        if isinstance(c, _Items):
            return c if c.item else None
        return c if isinstance(c, (type, _Held, _Built, _TooDeep)) else None
    if isinstance(a, ir.Const):
        return _instance(a.value)
    return None


def _resolved_call(e: ir.Op, known):
    """``e`` as a call of a class's function, or None."""
    fn = e.fn
    if isinstance(fn, ir.PseudoOp):
        if fn.kind != "method" or not e.args:
            return None
        obj, name, rest = e.args[0], fn.name, e.args[1:]
        if name == "__call__" and isinstance(obj, ir.Const) and \
                is_function(obj.value):       # a function argument, bound
            return _function_call(obj.value, rest, e.kwargs)
        if name == "__call__" and isinstance(obj, ir.Var) and \
                isinstance(known.get(obj.name), _Function):
            found = known[obj.name]
            return _function_call(found.fn, rest, e.kwargs + found.keywords)
        if isinstance(obj, ir.Var) and isinstance(known.get((obj.name, name)), _Function):
            return _function_call(known[obj.name, name].fn, rest, e.kwargs)   # self.act(x)
        if isinstance(obj, ir.Var):
            cls = known.get(obj.name)
            if isinstance(cls, (_Held, _Built, _Items, _TooDeep)):
                return None        # (an object in an attribute or made here: as before)
        elif isinstance(obj, ir.Const):
            cls = _instance(obj.value)
        else:
            cls = None
    else:
        cls = _instance(fn)
        if cls is None:
            return None
        obj, name, rest = ir.Const(fn), "__call__", e.args
    if cls is None:
        return None
    from .rules import registry
    if not isinstance(fn, ir.PseudoOp) and registry.lookup(fn) is not None:
        return None                        # a callable object with a rule of its own
    if isinstance(cls, _After):            # super(C, obj).name: looked up after C
        found, obj = cls.lookup(name), ir.Var(cls.obj)
    else:
        found = method_function(cls, name)
    if found is None:
        held = _derivative_method(cls, name) if isinstance(cls, type) else None
        if held is not None:           # @wengert.grad in the class body: model.dloss(x)
            return ir.Op(held._of_method(), (obj,) + tuple(rest), e.kwargs)
        return None
    func, static = found
    bound = _bound_arguments(func, (() if static else (obj,)) + tuple(rest), e.kwargs)
    if bound is None:
        return None
    return ir.Op(func, *bound)


def _function_call(func, args, kwargs):
    """A call of ``func`` with its defaults bound as lowering binds a call of a
    function by name (a NumPy function or one with a rule: called as it is)."""
    from .rules import registry
    if func is None:
        return None                    # (an attribute holding None, called: refused)
    if not isinstance(func, types.FunctionType) or registry.has_rule(func):
        return ir.Op(func, tuple(args), tuple(kwargs))
    bound = _bound_arguments(func, tuple(args), kwargs)
    return None if bound is None else ir.Op(func, *bound)


def _bound_arguments(func, args, kwargs):
    """``(positional, keyword)`` arguments of a call of ``func`` with its
    defaults filled in, as lowering binds a call of a function by name; None
    when they do not fit or it takes ``*args``/``**kwargs``."""
    import inspect
    try:
        sig = inspect.signature(func)
        bound = sig.bind(*args, **dict(kwargs))
    except (TypeError, ValueError):
        return None
    pos, kw = [], []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            return None
        value = bound.arguments[p.name] if p.name in bound.arguments else ir.Const(p.default)
        (kw.append((p.name, value)) if p.kind == p.KEYWORD_ONLY else pos.append(value))
    return tuple(pos), tuple(kw)


# ``(classes, name) -> None``: told of each method looked up in ``classes`` (a
# class's MRO, or what ``super()`` searches), whose derivative then holds
# while they keep that method (``api``: a guard per class up to the one
# defining it)
METHOD_LOOKED_UP = None


def method_function(cls, name: str):
    """``(function, is_static)`` that ``instance.name`` calls for an instance
    of ``cls`` whose own attributes do not shadow it, or None."""
    import inspect
    if cls.__getattribute__ is not object.__getattribute__:
        return None
    try:
        found = _function_of(inspect.getattr_static(cls, name))
    except AttributeError:
        return None
    if found is not None and METHOD_LOOKED_UP is not None:
        METHOD_LOOKED_UP(cls.__mro__, name)
    return found


def _derivative_method(cls, name: str):
    """The derivative (``@wengert.grad`` on a method) the class body of
    ``cls`` defines as ``name``, or None."""
    import inspect
    if cls.__getattribute__ is not object.__getattribute__:
        return None
    try:
        attr = inspect.getattr_static(cls, name)
    except AttributeError:
        return None
    return attr if callable(getattr(attr, "_of_method", None)) else None


def _function_of(attr):
    """``(function, is_static)`` for a class attribute that is a plain or
    static method written in Python, else None."""
    if isinstance(attr, staticmethod) and isinstance(attr.__func__, types.FunctionType):
        return attr.__func__, True
    if isinstance(attr, types.FunctionType):
        return attr, False
    return None
