"""Specialise a Wengert list to the kinds of its arguments.

A derivative is built for arguments of known kinds (an array of shape
``(1000, 2)``, a Python float, …) and used only for arguments of those kinds.
Under that guard, shapes are constants::

    n, d = x.shape          ──▶    n = 1000
    q = icf[:, :d]                 d = 2
                                   q = icf[:, :2]

so this pass replaces ``x.shape``, ``x.ndim``, ``x.size``, ``len(x)`` and
``np.shape(x)`` of known arrays by constants and propagates them through the
structural operations that build indices and shapes (tuples, slices, integer
arithmetic, unpacking). Kinds inferred afterwards then reach further: indexing
with ``icf[:, :d]`` has a known result shape, so its adjoint needs no runtime
helper. Only variables assigned once are propagated, and only small constants.
"""

from __future__ import annotations

import functools
import operator
import types
import re
from collections import Counter
from dataclasses import replace

import numpy as np

from . import algebra, analysis, ir, runtime
from .mutating import maybe_itself
from .names import fresh
from .optimize import _map_blocks
from .reverse import _at, _put

_INT_OPS = {operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod,
            operator.neg}


def fold_iterations(fn: ir.Function, arg_kinds) -> ir.Function:
    """``seq = iterated(xs)`` (what a loop ``for v in xs`` reads by index,
    ``frontend.lower``) where what ``xs`` is is known when the derivative is
    built: a dict's keys, as a constant (a dict argument, whose keys and their
    order the dispatcher checks; a dict display; a dict frozen in), else ``xs``
    itself, read in its place in the loop (an array, a list or tuple argument,
    one built here, a NumPy result). Elsewhere the loop calls
    ``runtime.iterated``, which gives a dict's keys at run time: constants, so
    a dict that depends on what is differentiated must be one of the known
    ones."""
    sites = [s for s in ir.walk(fn.body) if isinstance(s, ir.Assign) and
             isinstance(s.target, ir.Var) and isinstance(s.value, ir.Op) and
             s.value.fn is runtime.iterated and len(s.value.args) == 1]
    if not sites:
        return fn
    writes = Counter(n for s in ir.walk(fn.body) for n in ir.stmt_writes(s))
    defs = {s.target.name: s.value for s in ir.walk(fn.body)
            if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var)}
    params = dict(zip(fn.param_names(), arg_kinds or ()))
    lists = analysis.local_sequences(fn)
    decided = {}
    for s in sites:
        xs = source = s.value.args[0]
        while isinstance(source, ir.Var) and writes[source.name] == 1 and \
                isinstance(defs.get(source.name), (ir.Var, ir.Const)):
            source = defs[source.name]       # a copy (a helper's parameter, spliced in)
        named = isinstance(source, ir.Var)
        what = _iterated(source, params.get(source.name) if named else None,
                         defs.get(source.name) if named and writes[source.name] == 1
                         else None, named and source.name in lists)
        if what is not None:
            decided[id(s)] = xs if what is source else what
    if not decided:
        return fn
    from .optimize import substitute_block

    def block(stmts):
        out, renamed = [], {}
        for j, s in enumerate(stmts):
            what = decided.get(id(s))
            if what is not None and isinstance(what, ir.Var) and \
                    _renamable(stmts, j, s.target.name, what.name, writes, reads):
                renamed[s.target.name] = what     # the loop reads xs itself
                continue
            if what is not None:
                s = ir.with_value(s, what)
            out.append(_map_blocks(s, block))
        return substitute_block(out, renamed) if renamed else out
    reads = Counter(n for s in ir.walk(fn.body) for n in ir.stmt_reads(s))
    return fn.with_body(block(fn.body))


def _renamable(stmts, j, seq: str, xs: str, writes, reads) -> bool:
    """Whether what reads ``seq`` after ``stmts[j]`` (``seq = iterated(xs)``:
    the loop after it) can read ``xs`` in its place: ``seq`` is read nowhere
    else, and nothing from there to its last reader writes ``xs``."""
    if writes[seq] != 1:
        return False
    readers = [k for k in range(j + 1, len(stmts)) if seq in ir.all_reads(stmts[k:k + 1])]
    if not readers:
        return False
    region = stmts[j + 1:readers[-1] + 1]
    inside = sum(1 for s in ir.walk(region) for n in ir.stmt_reads(s) if n == seq)
    return inside == reads[seq] and xs not in ir.all_writes(region)


def _iterated(xs, kind, definition, built_here: bool):
    """What ``iterated(xs)`` is, if known: a constant tuple of keys, or ``xs``."""
    if isinstance(xs, ir.Const):
        if isinstance(xs.value, dict):
            return ir.Const(tuple(xs.value))
        return xs if isinstance(xs.value, (list, tuple, np.ndarray, range)) else None
    if isinstance(kind, analysis.SeqItems):
        return ir.Const(tuple(k for k, _ in kind.items)) if kind.dtype == "dict" else xs
    if kind is not None and not isinstance(kind, analysis.Instance) and \
            (kind == analysis.RANGE or (not kind.pyfloat and kind.shape[:1] != (-2,))):
        return xs                         # an array (or a range)
    if built_here:
        return xs
    if isinstance(definition, ir.Op) and isinstance(definition.fn, ir.PseudoOp):
        if definition.fn.kind == "dict":
            return ir.Const(tuple(definition.fn.keys))
        if definition.fn.kind in ("list", "tuple"):
            return xs
    if isinstance(definition, ir.Op) and (
            definition.fn in _ARITHMETIC or
            (getattr(definition.fn, "__module__", None) or "").startswith("numpy")):
        return xs                         # a NumPy result: an array (or a number)
    return None


_ARITHMETIC = {operator.add, operator.sub, operator.mul, operator.truediv, operator.matmul,
               operator.neg, operator.pow}


def specialize(body, kinds: dict) -> list:
    writes = Counter(n for s in ir.walk(body) for n in ir.stmt_writes(s))
    consts: dict = {}
    # a name assigned None somewhere (``best = None`` before a loop, a helper's
    # return value on a path without ``return``) has the kind of its other
    # values, but ``best is None`` is not known from that kind
    none = may_be_none(body, kinds)
    if none:
        kinds = _NotNone(kinds, none)
    return _block(body, kinds, writes, consts)


def may_be_none(body, kinds=None) -> set:
    """Names assigned None anywhere in ``body``, or what a function written
    in Python returned (it may return None on some path), or a module or
    closure value not known to be a number or an array (``s = NOTHING``), or
    copies of them."""
    defs = [s for s in ir.walk(body) if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var)]
    written = {s.target.name for s in defs}
    kinds = kinds or {}
    none = {s.target.name for s in defs if s.value == ir.NONE or (
        isinstance(s.value, ir.Op) and isinstance(s.value.fn, types.FunctionType)) or (
        isinstance(s.value, ir.Var) and s.value.name not in written and
        type(kinds.get(s.value.name)) is not analysis.Kind)}
    grew = bool(none)
    while grew:
        grew = False
        for s in defs:
            if isinstance(s.value, ir.Var) and s.value.name in none and \
                    s.target.name not in none:
                none.add(s.target.name)
                grew = True
    return none


def may_be_none_in(sweep) -> set:
    """``may_be_none`` of a sweep's function (``Forward``, ``Reverse``), found
    once: a callee these names are passed to is not specialised for their
    other kind."""
    found = sweep.__dict__.get("_may_be_none")
    if found is None:
        found = sweep._may_be_none = may_be_none(sweep.fn.body, sweep.kinds)
    return found


class _NotNone(dict):
    """``kinds`` for ``_identical``: without the names that may be None."""

    def __init__(self, kinds, none):
        super().__init__(kinds)
        self.none = none


def _block(stmts, kinds, writes, consts) -> list:
    out = []
    for s in stmts:
        s = _map_blocks(s, lambda b: _block(b, kinds, writes, consts))
        if isinstance(s, ir.Assign):
            value = _fold(ir.substitute(s.value, consts), kinds)
            s = ir.with_value(s, value)
            if isinstance(s.target, tuple) and isinstance(value, ir.Const) and \
                    isinstance(value.value, tuple) and len(value.value) == len(s.target):
                for t, v in zip(s.target, value.value):      # n, d = (1000, 2)
                    out.append(replace(s, target=t, value=ir.Const(v)))
                    if writes[t.name] == 1 and _small(v):
                        consts[t.name] = ir.Const(v)
                continue
            if isinstance(s.target, ir.Var) and isinstance(value, ir.Const) and \
                    writes[s.target.name] == 1 and _small(value.value):
                consts[s.target.name] = value
        elif isinstance(s, (ir.Effect, ir.Return)):
            s = ir.with_value(s, ir.substitute(s.value, consts))
        elif isinstance(s, ir.If):
            s = replace(s, test=ir.substitute(s.test, consts))
            if isinstance(s.test, ir.Const) and type(s.test.value) is bool:
                out.extend(s.body if s.test.value else s.orelse)   # if w is None, w None
                continue
        elif isinstance(s, ir.For):
            s = replace(s, iter=_fold(ir.substitute(s.iter, consts), kinds))
        out.append(s)
    return out


def _small(v) -> bool:
    if type(v) in (int, bool, float, type(None), slice) or v is Ellipsis:
        return True
    return type(v) is tuple and len(v) <= 32 and all(_small(x) for x in v)


def _fold(e, kinds):
    """Fold shape queries of known arrays and structural operations on constants."""
    if not isinstance(e, ir.Op):
        return e
    fn, args = e.fn, e.args
    if len(args) == 1 and isinstance(args[0], ir.Var) and not e.kwargs:
        k = kinds.get(args[0].name)
        if k is not None and not k.pyfloat and k.shape[:1] not in ((-1,), (-2,)):
            shape = tuple(k.shape)
            if isinstance(fn, ir.PseudoOp) and fn.kind == "attr":
                table = {"shape": shape, "ndim": len(shape), "size": int(np.prod(shape))}
                if fn.name in table:
                    return ir.Const(table[fn.name])
            if fn is len and shape:
                return ir.Const(shape[0])
            if fn is np.shape:
                return ir.Const(shape)
            if fn is np.ndim:
                return ir.Const(len(shape))
            if fn is runtime.iterated:        # a loop over an array: its rows
                return args[0]
    if fn in (operator.is_, operator.is_not) and len(args) == 2 and not e.kwargs:
        found = _identical(args, kinds)          # w is None: known where w's kind is
        if found is not None:
            return ir.Const(found if fn is operator.is_ else not found)
    if not all(isinstance(a, ir.Const) for a in args) or e.kwargs:
        return e
    values = [a.value for a in args]
    if fn is ir.MAKE_TUPLE and all(_small(v) for v in values):
        return ir.Const(tuple(values))
    if fn is ir.SLICE:
        return ir.Const(slice(*values))
    if fn in _INT_OPS and all(type(v) is int for v in values):
        return ir.Const(fn(*values))
    if fn is operator.getitem and type(values[0]) is tuple and type(values[1]) is int:
        try:
            return ir.Const(values[0][values[1]])
        except IndexError:
            return e
    if fn is range and all(type(v) is int for v in values):
        return e                  # keep ``range(5)`` readable; its kind is known anyway
    return e


def _identical(args, kinds):
    """``a is b`` when known: both constants (a function, None), or one None
    and the other a value of a known kind (an array, a number: not None)."""
    a, b = args
    if isinstance(a, ir.Const) and isinstance(b, ir.Const):
        return a.value is b.value
    for x, y in ((a, b), (b, a)):
        if isinstance(y, ir.Const) and y.value is None and isinstance(x, ir.Var) and \
                type(kinds.get(x.name)) is analysis.Kind and \
                x.name not in getattr(kinds, "none", ()):
            return False
    return None


def check_in_place(fn: ir.Function, kinds: dict) -> None:
    """``x += v`` on an array, ``y[i] = v`` and ``ys.append(v)`` update in
    place in NumPy and Python, so every other name for that array or list (an
    input, ``b = y``, a view ``r = y[1:]``) sees the change; wengert computes
    a new value instead. Where that could differ, refuse it."""
    from .errors import UnsupportedSyntaxError
    sharing = check_updates_of_shared_arrays(fn, kinds)
    for s in ir.walk(fn.body):
        if not (isinstance(s, ir.Assign) and s.augmented and isinstance(s.value, ir.Op)):
            continue
        old = s.value.args[0]
        if not isinstance(old, ir.Var):
            continue
        k = kinds.get(old.name)
        union = s.value.fn is operator.or_ and any(    # d |= {...}: a dict, whatever d's
            analysis.expr_kind(a, kinds) == analysis.SEQ for a in s.value.args)  # kind here
        if union or k is not None and k.shape[:1] == (-2,) and k.dtype in ("seq", "dict") and \
                s.value.fn in (operator.add, operator.mul, operator.or_):
            if sharing is None:
                sharing = _Sharing(fn, kinds)
            _check_sequence_update(s, kinds, sharing)       # xs += [v]: extends xs
            continue
        if k is not None and (k.pyfloat or k.shape[:1] in ((-1,), (-2,)) or
                              (k.shape == () and not k.array0)):
            continue                   # a number, range or NumPy scalar: rebinding is right
        if sharing is None:            # (the analysis, made once an update needs it)
            sharing = _Sharing(fn, kinds)
        group = sharing.sharing(s, views=True)
        outside = {n for n in sharing.inputs(s) if not _number(kinds.get(n))}
        stale = sorted(n for n in sharing.after[id(s)] & group
                       if n != s.target.name and not _number(kinds.get(n)))
        if outside or stale:
            what = (f"`{sharing.user(sorted(outside)[0])}`, an input or data from outside"
                    if outside else f"`{sharing.user(stale[0])}`, another name for it or a "
                                    "view of it, used afterwards")
            raise UnsupportedSyntaxError(
                "an augmented assignment (`+=`, `*=`, ...) to an array that shares its "
                f"memory with {what}", s.loc,
                hint="NumPy would change the array for every name it has; write "
                     "`x = x + v` (a new array) instead")


# Operations whose result may share memory with an argument: basic indexing,
# reshapes and transposes return views; a user function may return its argument.
_VIEW_METHODS = {"reshape", "ravel", "view", "transpose", "swapaxes", "squeeze",
                 "diagonal", "T", "real", "imag", "flat", "mT"}
_VIEW_FUNCTIONS = {"reshape", "ravel", "transpose", "swapaxes", "moveaxis", "rollaxis",
                   "squeeze", "expand_dims", "broadcast_to", "diagonal", "atleast_1d",
                   "atleast_2d", "atleast_3d", "asarray", "asanyarray", "ascontiguousarray",
                   "flip", "fliplr", "flipud", "rot90", "real", "imag", "matrix_transpose",
                   "permute_dims", "broadcast_arrays", "split", "array_split", "hsplit",
                   "vsplit", "dsplit", "unstack", "diag"}   # (np.diag of a 2-d array)


class _Sharing:
    """Which names may share memory (NumPy arrays and Python lists updated in
    place) at each update, and which names are live after each statement.

    A points-to analysis along the control flow: each name maps to the
    objects it may be (``names``: what a list's append changes) and those it
    may share memory with (``views``: what an array's update changes, its
    views and what it holds included). A statement that makes a new object
    gives it the statement's own object; made again (a loop), the one made
    before is renamed to the statement's summary object, so a copy made in
    a loop is never the array the previous iteration made::

        for s in range(2):
            new = u.copy()     # new: {copy}     u: {u0, copy'}
            new[0] = u[1]      # no common object: not the same array
            u = new            # u: {copy}

    Names a function reads but never assigns (its parameters, data from
    outside) start as objects of their own, ``("in", name)``."""

    def __init__(self, fn: ir.Function, kinds: dict):
        from .optimize import _live_after
        self.kinds = kinds
        self.groups: dict = {}    # id(update) -> (names, views): who shares its old value
        self.after: dict = {}
        _live_after(fn.body, set(), self.after)
        assigned = {n for s in ir.walk(fn.body) for n in ir.stmt_writes(s)}
        read = {n for s in ir.walk(fn.body) for n in ir.stmt_reads(s)}
        self.outside = set(fn.param_names()) | (read - assigned)
        self.defs = {s.target.name: s.value for s in ir.walk(fn.body)
                     if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var)}
        writes = Counter(n for s in ir.walk(fn.body) for n in ir.stmt_writes(s))
        self.tuples = {s.target.name: s.value for s in ir.walk(fn.body)   # names bound once:
                       if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and
                       isinstance(s.value, ir.Op) and writes[s.target.name] == 1}
        # (y[i, j]'s index, y = np.array([a, b]): what _element reads)
        state = _State({n: (frozenset({("in", n)}),) * 2 for n in self.outside}, set())
        self._block(fn.body, state)
        self.user_of = fn.user_of or {}

    def _block(self, stmts, state):
        """Run ``stmts`` from ``state`` (changed in place); return the state after."""
        for s in stmts:
            if isinstance(s, ir.Assign):
                self._assign(s, state)
            elif isinstance(s, ir.If):
                state = self._block(s.body, state.copy()).join(self._block(s.orelse, state))
            elif isinstance(s, ir.For):
                state = self._loop(s, self._iteration(s, state))
            elif isinstance(s, ir.While):
                state = self._loop(s, self._block(s.test_body, state))
        return state

    def _loop(self, s, entry):
        """The state at the head of a loop: what enters it joined with what
        every iteration leaves, to a fixpoint."""
        head = entry
        while True:
            out = self._block(s.body, head.copy())
            if isinstance(s, ir.While):
                out = self._block(s.test_body, out)
            else:
                out = self._iteration(s, out)
            new = entry.join(out)
            if new.names == head.names:
                return head
            head = new

    def _iteration(self, s, state):
        """A ``for`` loop's target takes an item of what it iterates over."""
        for j, t in enumerate(ir.target_names(s.target)):
            state.assign(t, (id(s), j), [], list(ir.expr_vars(s.iter)))
        return state

    def _assign(self, s, state):
        if (s.store or s.augmented) and isinstance(s.value, ir.Op) and s.value.args and \
                isinstance(s.value.args[0], ir.Var):
            self.groups[id(s)] = state.sharing(s.value.args[0].name)
        if _popped(s):                       # xs_1, v = list_pop(xs): xs changed in place
            xs = s.value.args[0].name
            self.groups[id(s)] = state.sharing(xs)
            rest, last = s.targets()
            state.assign(rest, (id(s), 0), [xs], [])
            state.assign(last, (id(s), 1), [], [xs])
            return
        if not isinstance(s.target, ir.Var):
            # a, b = Y (an array's rows, a list's items), np.split(y, 2): each a
            # view of it or an item it holds (not what a user function returns)
            shared = []
            whole = analysis.expr_kind(s.value, self.kinds)
            rows = whole is None or whole.pyfloat or len(whole.shape) != 1 or \
                whole.shape[0] < 0                 # (a 1-d array's items: numbers)
            if rows and (isinstance(s.value, ir.Var) or (isinstance(s.value, ir.Op) and
                                                         not _user_function(s.value.fn))):
                names, held = _may_view(replace(s, target=ir.Var("")), self.kinds,
                                        self.tuples)
                shared = names + held
            base = s.value.name if isinstance(s.value, ir.Var) else None
            k = self.kinds.get(base)
            of_list = k is not None and k.shape[:1] == (-2,) and k.dtype in ("seq", "dict")
            for j, t in enumerate(s.targets()):
                item = self.kinds.get(t)
                if of_list and (item is None or item.shape[:1] == (-2,)):
                    state.assign_item(t, (id(s), j), base, [], self.kinds)   # a, b = M
                else:
                    state.assign(t, (id(s), j), [], [] if _number(item) else shared)
            return
        names, held = _may_view(s, self.kinds, self.tuples)
        read = _attribute_of_object(s, self.kinds)
        if read is not None:                    # xs = self.buf: the object's own list
            state.assign_outside(s.target.name, ("in", f"{read[0]}.{read[1]}"), [read[0]])
            return
        item = _item_of_sequence(s, self.kinds)
        if item is not None and not names:      # inner = outer[0]: the list outer holds
            state.assign_item(s.target.name, (id(s), 0), item, held, self.kinds)
            return
        state.assign(s.target.name, (id(s), 0), names, held, _held_whole(s))

    def sharing(self, s, views: bool) -> set:
        """The names that, just before the update ``s``, may be the list it
        updates (or, with ``views``, share memory with the array)."""
        return self.groups[id(s)][1 if views else 0]

    def holding(self, s) -> set:
        """The names that, just before the update ``s``, may hold the list it
        updates as an item (``b = [a]``, ``hist.append((cur, i))``)."""
        return self.groups[id(s)][3]

    def given(self, s) -> list:
        """The names from outside (parameters, module data) whose very list
        the update ``s`` may change (the caller's list: Python changes it)."""
        return sorted(o[1] for o in self.groups[id(s)][4] if o[0] == "in")

    def inputs(self, s) -> list:
        """The names from outside whose data the array ``s`` updates may share."""
        return sorted(o[1] for o in self.groups[id(s)][2] if o[0] == "in")

    def user(self, name: str) -> str:
        """How the user wrote ``name``: their variable, the expression a
        temporary holds (``A[1]``), or the sequence a loop iterates over."""
        return _spelled(name, self.user_of, self.defs, depth=3)


class _State:
    """The points-to state of ``_Sharing``: ``names`` maps a name to its two
    sets of objects, ``holders`` an object to the names whose ``views`` hold
    it; ``made``: the objects made so far (a statement making one again
    renames the old one to its summary)."""

    def __init__(self, names: dict, made: set):
        self.names, self.made = names, made
        self.holders: dict = {}
        for n, (_, views) in names.items():
            for o in views:
                self.holders.setdefault(o, set()).add(n)

    def copy(self) -> "_State":
        return _State(dict(self.names), set(self.made))

    def join(self, other: "_State") -> "_State":
        names = dict(self.names)
        for n, (a, b) in other.names.items():
            mine = names.get(n)
            names[n] = (a, b) if mine is None else (mine[0] | a, mine[1] | b)
        return _State(names, self.made | other.made)

    def sharing(self, name: str):
        """``(names, views, objects, holding)``: who may be ``name``'s object,
        who may share memory with it, the objects it may share memory with,
        and who may hold its object as an item (its ``("whole", ...)`` tag)."""
        own, views = self.names.get(name, (frozenset(), frozenset()))
        viewing = set().union(*(self.holders.get(o, ()) for o in views))
        same = {n for n in viewing if self.names[n][0] & own}
        holding = set().union(*(self.holders.get(("whole",) + o, ()) for o in own))
        return same, viewing, views, holding, own

    def assign(self, target: str, site, same: list, held: list, whole=()) -> None:
        """``target`` assigned: the object(s) of the names in ``same`` (a copy
        of a name, a view by reshaping), else the new object of ``site``;
        sharing memory with ``held`` too, and holding the objects of
        ``whole`` as items (tagged ``("whole", ...)``: a change of one in
        place is seen through ``target``)."""
        empty = (frozenset(), frozenset())
        if same:
            own = frozenset().union(*(self.names.get(n, empty)[0] for n in same))
        else:
            fresh = ("new",) + site
            if fresh in self.made:
                self._rename(fresh, ("old",) + site)
            self.made.add(fresh)
            own = frozenset({fresh})
        views = own.union(*(self.names.get(n, empty)[1] for n in same + held))
        views = views.union(*(frozenset(("whole",) + o for o in self.names.get(n, empty)[0])
                              for n in whole))
        self._bind(target, own, views)

    def _bind(self, target: str, own: frozenset, views: frozenset) -> None:
        """``target`` now is (one of) ``own``, sharing memory with ``views``."""
        for o in self.names.get(target, (frozenset(), frozenset()))[1]:
            self.holders[o].discard(target)
        self.names[target] = (own, views)
        for o in views:
            self.holders.setdefault(o, set()).add(target)

    def assign_outside(self, target: str, obj, held: list) -> None:
        """``target`` bound to ``obj``, an object from outside the function
        (an attribute of an argument: ``xs = self.buf``)."""
        own = frozenset({obj})
        self._bind(target, own, own.union(*(self.names.get(n, (frozenset(), frozenset()))[1]
                                            for n in held)))

    def assign_item(self, target: str, site, base: str, held: list, kinds: dict) -> None:
        """``target = base[k]`` of a list, tuple or dict: the very objects
        ``base`` holds as items (an update of the one in place is one of
        ``base``'s item), or, where they are not known (a list from outside),
        ``base``'s own objects (so the caller's data is seen to change)."""
        empty = (frozenset(), frozenset())
        own_base, views_base = self.names.get(base, empty)
        items = frozenset(o[1:] for o in views_base if o[:1] == ("whole",) and (
            o[1] in ("new", "old") or (o[1] == "in" and _sequence(kinds.get(o[2])))))
        if not items:
            outside = frozenset(o for o in own_base if o[:1] == ("in",))
            if not outside:
                self.assign(target, site, [], held)
                return
            items = outside
        self._bind(target, items, items.union(*(self.names.get(n, empty)[1] for n in held)))

    def _rename(self, old, new) -> None:
        for a, b in ((old, new), (("whole",) + old, ("whole",) + new)):
            def renamed(objects, a=a, b=b):
                return frozenset(b if o == a else o for o in objects) if a in objects \
                    else objects
            for n in self.holders.pop(a, ()):
                self.names[n] = tuple(renamed(objects) for objects in self.names[n])
                self.holders.setdefault(b, set()).add(n)


def _spelled(name: str, user_of: dict, defs: dict, depth: int) -> str:
    """``name`` as the user would write it (see ``_Sharing.user``)."""
    e = defs.get(name)
    if isinstance(e, ir.Op) and e.fn is runtime.iterated and isinstance(e.args[0], ir.Var):
        return _spelled(e.args[0].name, user_of, defs, depth)
    if name in user_of:
        return user_of[name]
    if isinstance(e, ir.Var):
        return _spelled(e.name, user_of, defs, depth)
    if depth and isinstance(e, ir.Op):
        import ast
        from .backend import Emitter
        names = {v: _spelled(v, user_of, defs, depth - 1) for v in ir.expr_vars(e)}
        try:
            text = ast.unparse(Emitter(ir.Namespace()).expr(e))
        except (TypeError, ValueError):     # an expression the emitter cannot spell
            return name
        return re.sub(r"\b\w+\b", lambda m: names.get(m.group(0), m.group(0)), text)
    return name


def _may_view(s, kinds, tuples=None):
    """``(names, held)``: the variables whose memory the value of ``s`` may
    share. ``names``: its array or list itself (a copy of a name, a subscript
    assignment's or an append's result, which is the old value updated in
    place, a view by reshaping); ``held``: arrays it holds or views without
    being them (a basic-indexing view, an item of a list or tuple, a tuple
    or list made of them, what a user function may return)."""
    e = s.value
    if isinstance(e, ir.Var):
        return [e.name], []
    if not isinstance(e, ir.Op):
        return [], []
    args = [a.name for a in e.args if isinstance(a, ir.Var)]
    base = e.args[0].name if e.args and isinstance(e.args[0], ir.Var) else None
    if e.fn in (runtime.setitem, runtime.list_append, runtime.seq_concat) and s.store and base:
        return [base], args[1:] if e.fn is not runtime.setitem else []   # (xs.extend(ys) too)
    if e.fn is runtime.iterated and base:
        return [base], []             # a loop over a list reads the list itself
    if base and (e.fn in (list, dict, tuple) or _method(e, "copy") and _sequence(kinds.get(base))):
        return [], [base]             # a shallow copy: a new list holding the same items
    if e.fn is operator.getitem and base:
        k = kinds.get(s.target.name) if isinstance(s.target, ir.Var) else None
        if k is not None and (k.pyfloat or (k.shape == () and not k.array0)):
            return [], []             # a number: a copy
        if _element(kinds.get(base), e.args[1], kinds, tuples or {}, base):
            return [], []             # y[n, 0] of a 2-d array: an element, a copy
        return [], [base]
    if e.fn is np.einsum and len(e.args) == 2 and isinstance(e.args[1], ir.Var):
        return [e.args[1].name], []   # np.einsum("ii->i", A): of one operand, a view
    if base and (_numpy_view(e.fn) or maybe_itself(e) or (
            isinstance(e.fn, ir.PseudoOp) and e.fn.kind in ("method", "attr") and
            e.fn.name in _VIEW_METHODS)):
        return [base], []
    if _user_function(e.fn) and analysis.RETURNS_FRESH is not None and \
            analysis.RETURNS_FRESH(e.fn):
        return [], []                 # an array the function made (api._returns_fresh)
    if (isinstance(e.fn, ir.PseudoOp) and e.fn.kind in ("tuple", "list", "dict")) or \
            _user_function(e.fn):
        return [], args
    return [], []


def _attribute_of_object(s, kinds):
    """``(base, name)`` for ``x = base.name``, an attribute read of an object
    (not an array's ``.T`` or ``.shape``) whose value may be a list or dict."""
    e = s.value
    if not (isinstance(s.target, ir.Var) and isinstance(e, ir.Op) and
            isinstance(e.fn, ir.PseudoOp) and e.fn.kind == "attr" and e.args and
            isinstance(e.args[0], ir.Var)) or e.fn.name in _VIEW_METHODS:
        return None
    base = kinds.get(e.args[0].name)
    if base is not None and type(base) is analysis.Kind:
        return None                       # an array's attribute
    item = kinds.get(s.target.name)
    if item is not None and (item.pyfloat or item.shape[:1] != (-2,)):
        return None                       # a number or an array
    return e.args[0].name, e.fn.name


def _item_of_sequence(s, kinds):
    """The list, tuple or dict ``s`` (``x = xs[k]``) reads an item of, if its
    item may be a list or dict (not a number, not an array of known kind)."""
    e = s.value
    if not (isinstance(s.target, ir.Var) and isinstance(e, ir.Op) and
            e.fn is operator.getitem and len(e.args) == 2 and isinstance(e.args[0], ir.Var)):
        return None
    k = kinds.get(e.args[0].name)
    if k is None or k.shape[:1] != (-2,) or k.dtype not in ("seq", "dict"):
        return None
    item = kinds.get(s.target.name)
    if item is not None and (item.pyfloat or item.shape[:1] not in ((-2,),)):
        return None                       # a number or an array: as before
    return e.args[0].name


def _popped(s) -> bool:
    """``xs_1, v = list_pop(xs)`` from ``xs.pop()``, which changes ``xs`` in
    place (``store``; generated code's own ``list_pop`` makes a new list)."""
    return isinstance(s, ir.Assign) and s.store and not isinstance(s.target, ir.Var) and \
        len(s.target) == 2 and isinstance(s.value, ir.Op) and \
        s.value.fn is runtime.list_pop and isinstance(s.value.args[0], ir.Var)


def _held_whole(s) -> list:
    """The names whose lists (or arrays) the value of ``s`` holds as items
    themselves, not copies: a display's (``[a]``, ``(cur, i)``, ``{"k": v}``)
    and what an append adds."""
    e = s.value
    if not isinstance(e, ir.Op):
        return []
    if isinstance(e.fn, ir.PseudoOp) and e.fn.kind in ("tuple", "list", "dict"):
        return [a.name for a in e.args if isinstance(a, ir.Var)]
    if e.fn is runtime.list_append and len(e.args) == 2 and isinstance(e.args[1], ir.Var):
        return [e.args[1].name]
    return []


def _element(k, index, kinds, tuples, base=None) -> bool:
    """Whether ``y[index]`` on an array of kind ``k`` is one element: an
    int (or a tuple of them, ``(n, 0)``, one per axis) indexing every axis.
    ``tuples``: the values of names bound once (an index tuple; ``y``'s
    array when its kind is not known, ``np.array([a, b])`` of numbers)."""
    ndim = _ndim(k, base, kinds, tuples)
    if not ndim:
        return False
    if isinstance(index, ir.Var) and isinstance(tuples.get(index.name), ir.Op) and \
            tuples[index.name].fn is ir.MAKE_TUPLE:
        parts = tuples[index.name].args
    elif isinstance(index, ir.Const) and type(index.value) is tuple:
        parts = tuple(ir.Const(p) for p in index.value)
    else:
        parts = (index,)
    from .analysis import INT, expr_kind
    return len(parts) == ndim and all(
        (isinstance(p, ir.Const) and type(p.value) is int) or
        (isinstance(p, ir.Var) and expr_kind(p, kinds) == INT) for p in parts)


def _ndim(k, base, kinds, defs):
    """The number of axes of the array ``base`` (of kind ``k``), or None:
    from its kind, or, unknown, for ``np.array([a, b, ...])`` of numbers
    (updated by assignments into it: the same array), one."""
    if k is not None:
        return None if k.pyfloat or k.shape[:1] in ((-1,), (-2,)) else len(k.shape)
    from .analysis import expr_kind
    for _ in range(16):
        d = defs.get(base)
        if isinstance(d, ir.Op) and d.fn is runtime.setitem and isinstance(d.args[0], ir.Var):
            base = d.args[0].name
            continue
        break
    else:
        return None
    if not (isinstance(d, ir.Op) and d.fn in (np.array, np.asarray) and len(d.args) == 1 and
            not d.kwargs and isinstance(d.args[0], ir.Var)):
        return None
    items = defs.get(d.args[0].name)
    if isinstance(items, ir.Op) and items.fn in (ir.MAKE_LIST, ir.MAKE_TUPLE) and items.args \
            and all(_number(expr_kind(a, kinds)) for a in items.args):
        return 1
    return None


def _method(e, name: str) -> bool:
    return isinstance(e.fn, ir.PseudoOp) and e.fn.kind == "method" and e.fn.name == name


def _sequence(k) -> bool:
    return k is not None and not k.pyfloat and k.shape[:1] == (-2,)


def _number(k) -> bool:
    return k is not None and (k.pyfloat or (k.shape == () and not k.array0))


def _numpy_view(fn) -> bool:
    name = getattr(fn, "__name__", None)
    return name in _VIEW_FUNCTIONS and getattr(np, name, None) is fn


def _user_function(fn) -> bool:
    import types
    from .rules import registry
    return isinstance(fn, types.FunctionType) and registry.lookup(fn) is None


def check_updates_of_shared_arrays(fn: ir.Function, kinds: dict, sharing=None):
    """``y[i] = v`` updates ``y``'s array in place in NumPy (``ys.append(v)``
    its list in Python): every other name for it (``b = y``) and every view
    of it (``r = y[1:]``, ``y.reshape(...)``) sees the change. wengert computes
    a new array instead, so a name or view made before the update and read
    after it would hold the old values: refuse that. Returns the sharing
    analysis, if one was needed (else ``sharing``)."""
    from .errors import UnsupportedSyntaxError
    sites = [s for s in ir.walk(fn.body) if isinstance(s, ir.Assign) and s.store and
             isinstance(s.target, ir.Var) and isinstance(s.value, ir.Op) and
             isinstance(s.value.args[0], ir.Var)]
    pops = [s for s in ir.walk(fn.body) if _popped(s)]
    if not sites and not pops:
        return sharing
    sharing = sharing or _Sharing(fn, kinds)
    loops = _enclosing_loops(fn.body, ())
    for s in sites + pops:
        given = sharing.given(s) if s.value.fn in (runtime.list_append, runtime.seq_concat,
                                                    runtime.list_pop) else ()
        if given:
            raise _given_list_error(s, sharing.user(given[0]))
    for s in sites:
        append = s.value.fn in (runtime.list_append, runtime.seq_concat)   # (or extend)
        old = s.value.args[0].name       # an item of a list or dict replaced: not its items
        container = append or _sequence(kinds.get(old))
        group = sharing.sharing(s, views=not container)
        holders = sharing.holding(s) - group if container else set()
        stale = sorted(n for n in sharing.after[id(s)] & (group | holders)
                       if n != s.target.name and not _number(kinds.get(n)))
        if stale and stale[0] in holders:
            raise _held_update_error(s, stale[0], sharing, f"{_list_method(s)}(...)" if append
                                     else "[...] = ...")
        if stale:
            raise _shared_update_error(s, stale[0], append, container, sharing,
                                       loops[id(s)])
    for s in pops:                       # a list another holds, popped: the holder sees it
        rest = s.targets()[0]
        stale = sorted(n for n in sharing.after[id(s)] & sharing.holding(s)
                       if n != rest and not _number(kinds.get(n)))
        if stale:
            raise _held_update_error(s, stale[0], sharing, "pop()")
    return sharing


def _check_sequence_update(s, kinds, sharing) -> None:
    """``xs += ys``, ``xs *= n`` on a list and ``d |= e`` on a dict change the
    object in place in Python (``extend``, ``update``): every other name for it,
    a list holding it, and the caller's list passed in see the change, where
    wengert computes a new one. Refused where that could differ. (A tuple's
    ``t += (v,)`` rebinds ``t``: a tuple display added is taken for that.)"""
    from .errors import UnsupportedSyntaxError
    added = s.value.args[1] if len(s.value.args) > 1 else None
    made = sharing.defs.get(added.name) if isinstance(added, ir.Var) else None
    if isinstance(made, ir.Op) and made.fn is ir.MAKE_TUPLE:
        return
    symbol = {operator.add: "+=", operator.mul: "*=", operator.or_: "|="}[s.value.fn]
    name = sharing.user(s.value.args[0].name)
    what = "dict" if symbol == "|=" else "list"
    how = {"+=": "extends it", "*=": "repeats its items in it", "|=": "updates it"}[symbol]
    new = {"+=": f"{name} = {name} + [...]", "*=": f"{name} = {name} * n",
           "|=": f"{name} = {{**{name}, **other}}"}[symbol]
    given = sharing.given(s)
    if given:
        raise UnsupportedSyntaxError(
            f"`{name} {symbol} ...` changes `{sharing.user(given[0])}`, a {what} from outside "
            f"the function (an argument or module data): Python's `{symbol}` on a {what} "
            f"{how} in place", s.loc,
            hint=f"Python would change the caller's {what} too, the derivative would not: "
                 f"write `{new}` (a new {what}) and return it")
    group = sharing.sharing(s, views=False)
    holders = sharing.holding(s) - group
    stale = sorted(n for n in sharing.after[id(s)] & (group | holders)
                   if n != s.target.name and not _number(kinds.get(n)))
    if stale:
        raise UnsupportedSyntaxError(
            f"`{name} {symbol} ...` while `{sharing.user(stale[0])}`, another name for the "
            f"same {what} (or one holding it), is used afterwards: Python's `{symbol}` on a "
            f"{what} {how} in place", s.loc,
            hint=f"write `{new}` (a new {what}), or copy it first")


def _given_list_error(s, name: str):
    """The refusal of ``xs.append(v)``, ``xs.extend(vs)`` or ``xs.pop()`` on a
    list the function was given: Python changes the caller's list; the
    derivative would compute a new one and leave the caller's as it was."""
    from .errors import UnsupportedSyntaxError
    how = {runtime.list_append: "append(...)", runtime.seq_concat: "extend(...)",
           runtime.list_pop: "pop()"}[s.value.fn]
    return UnsupportedSyntaxError(
        f"`{name}.{how}` changes `{name}`, a list from outside the function (an argument "
        "or module data)", s.loc,
        hint=f"Python would change the caller's list too, the derivative would not: build "
             f"a new list (`{name} = {name} + [v]`, `{name} = {name}[:-1]`) and return it, or "
             f"copy it first (`{name} = list({name})`)")


def _held_update_error(s, holder: str, sharing, update: str):
    """The refusal of ``xs.append(v)``, ``xs[i] = v`` or ``xs.pop()`` while
    ``holder``, a list, tuple or dict holding ``xs`` as an item, is used
    afterwards: Python changes the item ``holder`` holds too."""
    from .errors import UnsupportedSyntaxError
    name, xs = sharing.user(holder), sharing.user(s.value.args[0].name)
    how = (f"`{xs}.{update}`" if update != "[...] = ..." else f"an assignment into `{xs}[...]`")
    instead = f"(`v = {xs}[-1]; {xs} = {xs}[:-1]`)" if update == "pop()" else \
        f"(`{xs} = {xs} + [v]`)" if update.startswith("append") else f"(`{xs} = list({xs})` first)"
    return UnsupportedSyntaxError(
        f"{how} while `{name}`, which holds that list as an item, is used afterwards",
        s.loc, hint=f"Python would change the list in `{name}` too; build a new list instead "
                    f"{instead}, or put a copy in `{name}` (`list({xs})`)")


def _list_method(s) -> str:
    """``append`` or ``extend``: the list method an update site was written as."""
    return "extend" if s.value.fn is runtime.seq_concat else "append"


def _shared_update_error(s, stale: str, append: bool, container: bool, sharing, loops):
    """The refusal of the update ``s`` (``xs.append(v)``, ``y[i] = v`` of an
    array or of a ``container``, a list or dict) while ``stale`` is used
    afterwards, in the user's words: their variable, the expression a
    temporary holds (``A[1]``), or the ``for`` loop over the sequence."""
    from .errors import UnsupportedSyntaxError
    name, array = sharing.user(stale), sharing.user(s.target.name)
    spliced = not array.isidentifier()   # (a helper's list, spliced in: what it was given)
    if spliced:
        array = sharing.user(s.value.args[0].name)
    method = _list_method(s)
    update = f"`{array}.{method}(...)`" if append else f"an assignment into `{array}[...]`"
    who = "Python" if container else "NumPy"
    if spliced and name == array and not any(_iterates_over(loop, stale) for loop in loops):
        what = f"this `.{method}(...)`" if append else "this assignment into `[...]`"
        given = "list" if append else "list or dict" if container else "array"
        return UnsupportedSyntaxError(
            f"{what} changes `{name}`, the {given} given to the function it is in, and "
            f"`{name}` is used afterwards", s.loc,
            hint=f"{who} would change `{name}` too; build a new list instead "
                 f"(`xs = xs + [v]`) and return it, or pass a copy (`list({name})`)"
            if append else f"{who} would change `{name}` too; update a copy "
                           f"(`y = y.copy()`) and return it, or pass a copy")
    if any(_iterates_over(loop, stale) for loop in loops):
        copy = f"list({name})" if container else f"{name}.copy()"
        return UnsupportedSyntaxError(
            f"{update} inside a `for` loop over `{name}`", s.loc,
            hint=f"{who} would change what the loop reads next; loop over a copy "
                 f"(`for v in {copy}:`)" + (", or build a new list" if append else ""))
    same = "the same list" if append else "the same list or dict" if container else \
        "the same array or a view of it"
    if not name.isidentifier():          # a temporary: the value of an expression
        return UnsupportedSyntaxError(
            f"{update} while `{name}`, read before it and {same}, is used afterwards",
            s.loc, hint=f"{who} would change `{name}` too; copy it where it is read "
                        f"(`{name}.copy()`)")
    copy = f"`{array} = {array} + [v]`), or copy it first (`{name} = list({array})`" \
        if append else f"`.copy()` what `{name}` is assigned, e.g. `{name} = {array}[i].copy()` " \
        f"for a row or `{name} = {array}[1:].copy()` for a slice" \
        if not container else f"`{name} = {array}.copy()`"
    if loops and not append:             # (buffers swapped from step to step: u, v = v, u)
        return UnsupportedSyntaxError(
            f"{update} while `{name}`, which may be {same} (arrays whose names are "
            "exchanged from one iteration to the next are not told apart), is used "
            "afterwards", s.loc,
            hint=f"make a new array each iteration (`{array} = np.zeros(...)` inside the loop, "
                 f"then fill it), or copy: {copy}")
    return UnsupportedSyntaxError(
        f"{update} while `{name}`, another name for {same}, is used afterwards", s.loc,
        hint=f"{who} would change `{name}` too; "
             + (f"build a new list instead ({copy})" if append else
                f"make it a copy before the update ({copy})"))


def _enclosing_loops(stmts, loops) -> dict:
    """``id(statement) -> `` the ``for`` loops around it, innermost last."""
    out = {}
    for s in stmts:
        out[id(s)] = loops
        inner = loops + (s,) if isinstance(s, ir.For) else loops
        for block in ir.child_blocks(s):
            out.update(_enclosing_loops(block, inner))
    return out


def _iterates_over(loop: ir.For, name: str) -> bool:
    """Whether ``loop`` reads ``name[i]`` at its index ``i`` (``for v in xs``
    is lowered to a loop over ``range(len(xs))``, ``frontend.lower``), or
    ``d[k]`` at a key read at its index (``for k, v in d.items()``)."""
    index = set(ir.target_names(loop.target))
    index |= {s.target.name for s in loop.body if isinstance(s, ir.Assign) and
              isinstance(s.target, ir.Var) and isinstance(s.value, ir.Op) and
              s.value.fn is operator.getitem and isinstance(s.value.args[1], ir.Var) and
              s.value.args[1].name in index}
    return any(isinstance(s, ir.Assign) and isinstance(s.value, ir.Op) and
               s.value.fn is operator.getitem and s.value.args[0] == ir.Var(name) and
               isinstance(s.value.args[1], ir.Var) and s.value.args[1].name in index
               for s in loop.body)


def specialized_kinds(body, kinds_in, fn):
    """Kinds again, after specialisation made more of them known."""
    return analysis.infer_kinds(fn.with_body(body), kinds_in)


# --------------------------------------------------------------------------
# known shapes in the generated code

_ELEMENTWISE = {operator.mul, operator.truediv, operator.add, operator.sub}


def fold_shapes(fn: ir.Function, param_kinds: dict) -> ir.Function:
    """Peephole rewrites of a generated derivative whose array shapes are all
    known (float64 throughout), where the adjoint helpers' general forms do
    work the shapes make unnecessary:

    - ``np.broadcast_to(a, s) * y`` with ``y`` of shape ``s`` is ``a * y``
      (NumPy broadcasts anyway); ``np.broadcast_to(c, s)`` of a number ``c``
      assigned to a variable (the adjoint of ``sum``/``mean`` seeds one) is
      the number ``c`` wherever it meets an array of shape ``s``::

          v_bar = np.broadcast_to(1.0, (1000,)) / 1000   ──▶   (gone)
          z_bar = v_bar * (1.0 - y)                          z_bar = 0.001 * (1.0 - y)

    - ``unbroadcast(t, like)`` is ``np.sum`` over the known broadcast axes
      (an ``np.einsum`` when ``t`` is a product of two arrays of its shape:
      no temporary, and fast on short trailing axes);
    - ``getitem_adjoint(t, x, (:, None, :))`` (the adjoint of inserting axes)
      is a reshape, and a reshape to the shape an array has is that array.

    A statement is rewritten only if every uniform variable in it folds away;
    assignments left unread are removed by the optimiser afterwards."""
    if not any(isinstance(e, ir.Op) and e.fn in _shape_helpers()
               for s in ir.walk(fn.body) for e in _exprs(s)):
        return fn
    kinds = analysis.infer_kinds(fn, param_kinds)
    writes = Counter(n for s in ir.walk(fn.body) for n in ir.stmt_writes(s))
    uniform: dict = {}

    def number(e):
        if isinstance(e, ir.Const):
            return type(e.value) in (int, float)
        if (isinstance(e, ir.Var) and writes[e.name] <= 1) or (      # (a parameter: 0)
                isinstance(e, ir.Op) and isinstance(e.fn, ir.PseudoOp) and
                e.fn.kind == "attr"):                   # an instance's attribute
            k = analysis.expr_kind(e, kinds)
            return k is not None and k.pyfloat and k != analysis.INT
        return False

    def uniform_of(e):
        """``(c, shape)`` if ``e`` is the uniform float64 array ``c`` over ``shape``."""
        if isinstance(e, ir.Var):
            return uniform.get(e.name)
        if _is_broadcast(e) and number(e.args[0]):
            return e.args[0], e.args[1].value
        if isinstance(e, ir.Op) and e.fn is np.expand_dims and len(e.args) == 2 and \
                isinstance(e.args[1], ir.Const) and not e.kwargs:
            inner = uniform_of(e.args[0])
            if inner is not None:
                try:
                    shape = np.expand_dims(np.empty(inner[1], dtype=bool), e.args[1].value).shape
                except (ValueError, TypeError, IndexError):      # AxisError is both
                    return None
                return inner[0], shape
        return None

    def kind(e, numbers=False):
        """A float64 array's kind (or, with ``numbers``, a Python float's too)."""
        k = analysis.expr_kind(e, kinds)
        if k is None or k == analysis.INT:
            return None
        if k.pyfloat:
            return k if numbers else None
        return k if k.dtype == "<f8" else None

    def fold(e):
        if not isinstance(e, ir.Op):
            return e
        e = ir.Op(e.fn, tuple(fold(a) for a in e.args), e.kwargs)
        out = _fold_one(e, uniform_of, kind)
        return e if out is None else out

    def mentions_uniform(e):
        if uniform_of(e) is not None and isinstance(e, ir.Var):
            return True
        return isinstance(e, ir.Op) and any(map(mentions_uniform, e.args + tuple(
            v for _, v in e.kwargs)))

    def rewrite(stmts):
        out = []
        for s in stmts:
            s = _map_blocks(s, rewrite)
            if isinstance(s, ir.Assign) and isinstance(s.value, ir.Op):
                value = fold(s.value)
                u = uniform_of(value) if isinstance(s.target, ir.Var) else None
                if u is not None and writes[s.target.name] == 1 and \
                        not isinstance(value, ir.Var):
                    uniform[s.target.name] = u
                if value != s.value and not mentions_uniform(value):
                    s = replace(s, value=algebra.materialize(algebra.simplify(value)))
            out.append(s)
        return out

    body = rewrite(fn.body)
    return fn if body == fn.body else fn.with_body(body)


def _fold_one(e, uniform_of, kind):
    if e.fn in _ELEMENTWISE and len(e.args) == 2 and not e.kwargs:
        a, b = e.args
        for u, other, first in ((a, b, True), (b, a, False)):
            uni = uniform_of(u)
            if uni is not None and isinstance(other, ir.Const) and \
                    type(other.value) in (int, float) and e.fn in (operator.mul, operator.truediv):
                c, shape = uni                   # (c over s) / 2: (c / 2) over s
                value = algebra.simplify(ir.Op(e.fn, (c, other) if first else (other, c)))
                return ir.Op(np.broadcast_to, (value, ir.Const(shape)))
            if uni is None and _is_broadcast(u) and isinstance(other, ir.Const) and \
                    type(other.value) in (int, float) and \
                    e.fn in (operator.mul, operator.truediv) and \
                    kind(u.args[0]) is not None:
                a = u.args[0]                    # (a over s) / 16: (a / 16) over s, which
                value = ir.Op(e.fn, (a, other) if first else (other, a))   # folds into
                return ir.Op(np.broadcast_to, (value, u.args[1]))          # the next one
            ko = kind(other)
            if ko is None:
                continue
            if uni is not None and _covers(ko.shape, uni[1]):
                c = uni[0]
            elif _is_broadcast(u) and _covers(ko.shape, u.args[1].value) and \
                    kind(u.args[0], numbers=True) is not None:
                c = u.args[0]
            else:
                continue
            return algebra.simplify(ir.Op(e.fn, (c, other) if first else (other, c)))
    if e.fn is runtime.unbroadcast and len(e.args) == 2 and not e.kwargs:
        return _unbroadcast_known(e.args[0], e.args[1], kind)
    if e.fn is runtime.getitem_adjoint and len(e.args) == 3 and not e.kwargs:
        t, x, index = e.args
        kt, kx = kind(t), kind(x)
        if kt is None or kx is None or not isinstance(index, ir.Const):
            return None
        parts = index.value if type(index.value) is tuple else (index.value,)
        if all(p is None or p == slice(None) for p in parts) and \
                tuple(d for d in kt.shape if d != 1) == tuple(d for d in kx.shape if d != 1) \
                and _inserted(kx.shape, parts) == tuple(kt.shape):
            return _reshape(t, kx.shape, kind)
        return None
    if e.fn in _matmul_adjoints() and len(e.args) == 3 and not e.kwargs:
        return _matmul_adjoint_known(e, kind)
    if e.fn in _norm_helpers() and len(e.args) >= 5 and not e.kwargs and \
            all(a == ir.NONE for a in e.args[2:4]) and e.args[4] == ir.Const(False):
        y, x = e.args[:2] if e.fn.__name__ == "_norm_expand" else e.args[1::-1]
        kx, ky = kind(x), kind(y, numbers=True)   # the 2-norm of a whole array (ord and
        #                                           axis None): its gradient is x / norm
        if kx is None or ky is None or ky.shape != () or (
                e.fn.__name__ == "_norm_grad" and not isinstance(y, ir.Var)):
            return None
        if e.fn.__name__ == "_norm_expand":
            return y
        return ir.Op(operator.truediv, (x, ir.Op(ir.IFEXP, (
            ir.Op(operator.ne, (y, ir.Const(0.0))), y, ir.Const(1.0)))))
    if e.fn is _reduced_size() and e.args and kind(e.args[0]) is not None and \
            all(isinstance(v, ir.Const) for v in e.args[1:] + tuple(v for _, v in e.kwargs)):
        try:                  # the number of entries a reduction combines: a constant
            return ir.Const(e.fn(np.empty(kind(e.args[0]).shape, dtype=bool),
                                 *(v.value for v in e.args[1:]),
                                 **{k: v.value for k, v in e.kwargs}))
        except (ValueError, TypeError, IndexError):
            return None
    if e.fn is np.expand_dims and len(e.args) == 2 and isinstance(e.args[1], ir.Const) and \
            not e.kwargs and kind(e.args[0]) is not None and kind(e.args[0]).shape:
        return _new_axes(e.args[0], e.args[1].value, len(kind(e.args[0]).shape))
    if e.fn is np.reshape and len(e.args) == 2 and isinstance(e.args[1], ir.Const) and \
            not e.kwargs and type(e.args[1].value) is tuple and \
            all(type(n) is int and n >= 0 for n in e.args[1].value):
        return _reshape(e.args[0], e.args[1].value, kind)
    if e.fn is operator.mul and len(e.args) == 2 and _num(e.args[0]):
        return _scale(e.args[1], e.args[0].value, kind)
    return None


@functools.lru_cache(maxsize=None)
def _matmul_adjoints():
    from .rules import numpy_products as prod
    return {prod.matmul_adjoint_a: 0, prod.matmul_adjoint_b: 1}


def _matmul_adjoint_known(e, kind):
    """The adjoints of ``a @ b`` for stacks of matrices with the same batch
    shape: ``t @ bᵀ`` and ``aᵀ @ t``, one batched product each."""
    t, a, b = e.args
    kt, ka, kb = kind(t), kind(a), kind(b)
    if kt is None or ka is None or kb is None or len(ka.shape) < 2 or \
            not (len(ka.shape) == len(kb.shape) == len(kt.shape)) or \
            not (ka.shape[:-2] == kb.shape[:-2] == kt.shape[:-2]):
        return None
    if _matmul_adjoints()[e.fn] == 0:
        return ir.Op(operator.matmul, (t, _transposed(b, len(kb.shape))))
    return ir.Op(operator.matmul, (_transposed(a, len(ka.shape)), t))


def _transposed(x, ndim):
    if ndim == 2:
        return ir.Op(np.transpose, (x,))
    return ir.Op(np.swapaxes, (x, ir.Const(-1), ir.Const(-2)))


def _num(e) -> bool:
    return isinstance(e, ir.Const) and type(e.value) in (int, float) and \
        type(e.value) is not bool


def _size(e, kind):
    k = kind(e)
    return int(np.prod(k.shape)) if k is not None else None


_LINEAR_VIEWS = {np.expand_dims, np.reshape, np.swapaxes, np.transpose, np.broadcast_to}


def _scale(e, c, kind):
    """``c * e`` with the number ``c`` applied where it costs least: to the
    smaller factor of a product, inside an axis insertion or reshape (so
    ``2 * (expand_dims(-0.5 * b) * Q)`` is ``expand_dims(-b) * Q``)."""
    if c == 1:
        return e
    if isinstance(e, ir.Op) and not e.kwargs:
        if e.fn is operator.neg and len(e.args) == 1:
            return _scale(e.args[0], -c, kind)
        if e.fn is operator.mul and len(e.args) == 2:
            if _num(e.args[0]):
                return _scale(e.args[1], c * e.args[0].value, kind)
            sa, sb = _size(e.args[0], kind), _size(e.args[1], kind)
            if sa is not None and sb is not None and sa != sb:
                if sa < sb:
                    return ir.Op(operator.mul, (_scale(e.args[0], c, kind), e.args[1]))
                return ir.Op(operator.mul, (e.args[0], _scale(e.args[1], c, kind)))
        if e.fn in _LINEAR_VIEWS and e.args and kind(e.args[0], numbers=True) is not None:
            inner = _scale(e.args[0], c, kind)
            return ir.Op(e.fn, (inner,) + e.args[1:])
    return algebra.mul(ir.Const(c), e)


def _covers(shape, other) -> bool:
    """An array of ``shape`` combined with one of ``other`` keeps ``shape``."""
    try:
        return np.broadcast_shapes(tuple(shape), tuple(other)) == tuple(shape)
    except ValueError:
        return False


def _inserted(shape, parts):
    """``x[parts]``'s shape for an index of full slices and ``None``s."""
    out, rest = [], list(shape)
    for p in parts:
        if p is None:
            out.append(1)
        elif rest:
            out.append(rest.pop(0))
    return tuple(out + rest)


def _reshape(t, want, kind):
    """``np.reshape(t, want)``, or ``t`` if it has that shape; a reshape of a
    reshape is one reshape."""
    if isinstance(t, ir.Op) and t.fn is operator.neg and len(t.args) == 1:
        return ir.Op(operator.neg, (_reshape(t.args[0], want, kind),))
    while isinstance(t, ir.Op) and t.fn is np.reshape and len(t.args) == 2 and not t.kwargs:
        t = t.args[0]
    k = kind(t)
    if k is not None and tuple(k.shape) == tuple(want):
        return t
    return ir.Op(np.reshape, (t, ir.Const(tuple(want))))


def _unbroadcast_known(t, like, kind):
    if isinstance(t, ir.Const) and type(t.value) is float:
        return t                                     # a number stays that number
    if isinstance(t, ir.Op) and t.fn is operator.neg and len(t.args) == 1:
        inner = _unbroadcast_known(t.args[0], like, kind)   # negate the smaller array
        return None if inner is None else ir.Op(operator.neg, (inner,))
    kt, kl = kind(t), kind(like)
    if kt is None or kl is None:
        return None
    have, want = tuple(kt.shape), tuple(kl.shape)
    if have == want:
        return t
    lead = len(have) - len(want)
    if lead < 0 or any(w not in (1, h) for h, w in zip(have[lead:], want)):
        return None
    axes = tuple(range(lead)) + tuple(lead + i for i, w in enumerate(want)
                                      if w == 1 and have[lead + i] != 1)
    kept = tuple(n for i, n in enumerate(have) if i not in axes)
    summed = _sum(t, axes, have, kind)
    if summed.fn is np.sum and lead == 0:        # the kept axes stay, as ones
        return ir.Op(np.sum, (t,), (("axis", ir.Const(axes)), ("keepdims", ir.Const(True))))
    return _reshape(summed, want, kind)


def _sum(t, axes, shape, kind):
    """``np.sum(t, axis=axes)``, as an ``np.einsum`` where that is faster and
    adds in the same order: NumPy sums along a middle axis one slow strided
    pass per element (5x slower on a (5, 1000, 2) array), and a product summed
    by einsum needs no temporary. When the last axis is summed and long,
    ``np.sum``'s pairwise summation is kept (it is more accurate)."""
    operands = (t,)
    if isinstance(t, ir.Op) and t.fn is operator.mul and len(t.args) == 2:
        ka, kb = kind(t.args[0]), kind(t.args[1])
        if ka is not None and kb is not None and tuple(ka.shape) == tuple(kb.shape) == shape:
            operands = t.args
    naive = len(shape) - 1 not in axes or shape[-1] <= 8
    if len(shape) > 26 or not naive or (len(operands) == 1 and len(shape) - 1 in axes):
        return ir.Op(np.sum, (t,), (("axis", ir.Const(axes)),))
    letters = "abcdefghijklmnopqrstuvwxyz"[:len(shape)]
    out = "".join(c for i, c in enumerate(letters) if i not in axes)
    spec = ",".join([letters] * len(operands)) + "->" + out
    return ir.Op(np.einsum, (ir.Const(spec),) + tuple(operands))


def _is_broadcast(e) -> bool:
    return isinstance(e, ir.Op) and e.fn is np.broadcast_to and len(e.args) == 2 and \
        not e.kwargs and isinstance(e.args[1], ir.Const) and \
        type(e.args[1].value) is tuple and e.args[1].value != ()


def _new_axes(t, axes, ndim):
    """``np.expand_dims(t, axes)`` of an array of ``ndim`` dimensions as an
    indexing (``t[:, None]``: 0.1 µs, not 1.5), or None."""
    axes = axes if type(axes) is tuple else (axes,)
    n = ndim + len(axes)
    if not all(type(a) is int and -n <= a < n for a in axes):
        return None
    at = {a % n for a in axes}
    if len(at) != len(axes):
        return None
    index = tuple(None if i in at else slice(None) for i in range(n))
    while index and index[-1] == slice(None):
        index = index[:-1]
    return ir.Op(operator.getitem, (t, ir.Const(index if len(index) > 1 else index[0])))


def _norm_helpers():
    from .rules.linalg import _norm_expand, _norm_grad
    return (_norm_expand, _norm_grad)


def _reduced_size():
    from .rules.numpy_reductions import reduced_size
    return reduced_size


def _shape_helpers():
    return (np.broadcast_to, runtime.unbroadcast, runtime.getitem_adjoint, np.reshape,
            np.expand_dims, _reduced_size()) + _norm_helpers() + tuple(_matmul_adjoints())


def _exprs(s):
    if isinstance(s, ir.Assign):
        yield from _subexprs(s.value)


def _subexprs(e):
    yield e
    if isinstance(e, ir.Op):
        for a in e.args:
            yield from _subexprs(a)


# --------------------------------------------------------------------------
# gradients the caller owns

# runtime helpers that may return their first argument itself
_PASS_THROUGH = {runtime.unbroadcast, runtime.broadcast_like, runtime.as_array,
                 runtime.setitem_into, runtime.scatter_into, runtime.last_writes}
# what may return a read-only broadcast view (the adjoint of np.sum(w), of
# np.mean(w)): the caller could not update it in place (``g *= lr``)
_READ_ONLY = {np.broadcast_to, runtime.broadcast_like, runtime.fill_like}


def owned_gradients(fn: ir.Function, path: tuple, arg_kinds: dict) -> ir.Function:
    """A gradient returned to the caller must be an array of its own: the
    adjoint of ``np.sum(x * W)`` is ``W`` itself, and of ``np.sum(x * y)``
    with respect to ``x`` the input ``y``; a caller that updates the gradient
    in place (``g *= lr``) would change ``W`` or ``y``. Each returned gradient
    that may be an input, module data, a constant array of the code, a view
    of one or a read-only broadcast view (the adjoint of ``np.sum(w)``) is
    copied (``copy_of``); one computed afresh is returned as it is.
    ``path``: where the gradients sit in the returned tuples."""
    ret = fn.body[-1] if fn.body else None
    if not isinstance(ret, ir.Return):
        return fn
    if fn.params and all(_number(arg_kinds.get(p.name)) for p in fn.params):
        return fn           # numbers in, numbers out (typed_gradients): nothing to share
    grads = _at(ret.value, path)
    if grads is None:
        return fn
    defs: dict = {}
    for s in ir.walk(fn.body):
        for name in ir.stmt_writes(s):
            defs.setdefault(name, []).append(s)
    kinds = analysis.infer_kinds(fn, {n: k for n, k in arg_kinds.items() if k is not None})
    outside = set(fn.param_names())
    sh: dict = {}              # name -> may share: a fixpoint (loops), False -> True only

    def shared(e) -> bool:
        """May ``e``'s value be (or hold, or view) an array from outside?"""
        if isinstance(e, ir.Const):
            return isinstance(e.value, (np.ndarray, list, dict))
        if isinstance(e, ir.Var):
            if _number(kinds.get(e.name)):
                return False
            return e.name in outside or e.name not in defs or sh.get(e.name, False)
        if not isinstance(e, ir.Op):
            return True
        f, args = e.fn, e.args
        if f in _READ_ONLY:
            return True
        if f is operator.getitem or f in _PASS_THROUGH or _numpy_view(f) or \
                maybe_itself(e) or (isinstance(f, ir.PseudoOp) and
                                    f.kind in ("method", "attr") and f.name in _VIEW_METHODS):
            return bool(args) and shared(args[0])
        if (isinstance(f, ir.PseudoOp) and f.kind in ("tuple", "list", "dict")) or \
                f in (ir.MAKE_TUPLE, ir.MAKE_LIST):
            return any(shared(a) for a in args)
        if isinstance(f, ir.PseudoOp) and f.kind == "attr":      # self.W: the object's own
            return not _number(analysis.expr_kind(e, kinds))    # array (not .shape, .ndim)
        if (getattr(f, "__module__", None) or "").startswith("wengert.rules"):
            return any(shared(a) for a in args)  # an adjoint helper (unpad): may be a view
        if _user_function(f) and getattr(f, "__module__", "") != runtime.__name__:
            return True                      # it may return what it was given
        return False                         # arithmetic, ufuncs, reductions: a new value

    def shared_def(s, name) -> bool:
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and s.target.name == name:
            return shared(s.value)
        return True                          # a loop variable, an unpacked tuple

    changed = True
    while changed:
        changed = False
        for name, sites in defs.items():
            if not sh.get(name) and any(shared_def(s, name) for s in sites):
                sh[name] = changed = True

    def container(g) -> bool:
        """Does ``g`` put adjoints into a new dict, list or tuple as they are?"""
        return isinstance(g, ir.Op) and not g.kwargs and (
            g.fn is runtime.items_adjoint or (
                g.fn is runtime.getitem_adjoint and len(g.args) == 3 and
                analysis.expr_kind(g.args[1], kinds) == analysis.SEQ))

    def own_items(g):
        """``g`` with the adjoints it places owned (the container is new)."""
        if g.fn is runtime.items_adjoint:
            return ir.Op(g.fn, g.args[:2] + tuple(own(t) for t in g.args[2:]))
        return ir.Op(g.fn, (own(g.args[0]),) + g.args[1:])

    body = list(fn.body[:-1])
    where = {s.target.name: i for i, s in enumerate(body)
             if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var)}

    def own(g):
        if isinstance(g, ir.Op) and g.fn in (ir.MAKE_TUPLE, ir.MAKE_LIST) and not g.kwargs:
            return ir.Op(g.fn, tuple(own(a) for a in g.args))
        if isinstance(g, ir.Op) and g.fn in (float, runtime.as_scalar):
            return g                         # a number: immutable
        if isinstance(g, ir.Op) and g.fn is runtime.as_items and len(g.args) == 2:
            return ir.Op(g.fn, (own(g.args[0]), g.args[1]))    # (its arrays as they are)
        if container(g):
            return own_items(g)
        if isinstance(g, ir.Var) and len(defs.get(g.name, ())) == 1 and \
                g.name in where and container(body[where[g.name]].value):
            s = body[where[g.name]]          # params_bar = items_adjoint(...), returned
            body[where[g.name]] = replace(s, value=own_items(s.value))
            return g
        return ir.Op(runtime.copy_of, (g,)) if shared(g) else g

    new = own(grads)
    if new == grads and body == fn.body[:-1]:
        return fn
    return fn.with_body(body + [replace(ret, value=_put(ret.value, path, new))])


# --------------------------------------------------------------------------
# sums pushed through linear maps

_ADD = (operator.add, np.add)
_SUB = (operator.sub, np.subtract)
_NEG = (operator.neg, np.negative)
_MUL = (operator.mul, np.multiply)
_MATMUL = (operator.matmul, np.matmul)


def push_sums(fn: ir.Function, param_kinds: dict) -> ir.Function:
    """The sum over one axis of an array read once, whose value is a linear
    map of other arrays, is the map of their sums: for ``A`` of shape
    ``(k, n, d)``, ``c`` constant along ``n`` and any ``B``::

        t = A * c + A @ B                     S = np.sum(A, axis=1, keepdims=True)
        g = np.einsum('abc->ac', t)   ──▶    g = np.squeeze(S * c + S @ B, axis=1)

    the adjoint of a broadcast (``x[None, :, :] - means[:, None, :]``)
    summing a chain rule that never needed the full ``(k, n, d)`` array: one
    reduction of ``A`` instead of a product and a batched matrix product over
    all of it. Only where something is pushed through (a product by a
    constant along the axis, or a matrix product of the axis's rows); the
    sum of the rest is the same sum. Top-level statements, shapes known."""
    body = fn.body
    if not any(isinstance(e, ir.Op) and e.fn in (np.einsum, np.sum)
               for s in body for e in _exprs(s)):
        return fn
    kinds = analysis.infer_kinds(fn, param_kinds)
    reads = Counter(v for s in ir.walk(body) for v in ir.stmt_reads(s))
    writes = Counter(n for s in ir.walk(body) for n in ir.stmt_writes(s))
    taken = set(reads) | set(writes) | set(fn.param_names())
    defined: dict = {}
    out = []
    changed = False

    def shape(e):
        k = analysis.expr_kind(e, kinds)
        if k is None or k.shape[:1] in ((-1,), (-2,), (-3,)):
            return None
        return () if k.pyfloat else k.shape

    for s in body:
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and \
                isinstance(s.value, ir.Op):
            new_value, sums = _push_in(s.value, defined, reads, writes, shape, taken)
            if sums:
                for name, e in sums:
                    out.append(ir.Assign(ir.Var(name), e, s.loc))
                s = replace(s, value=new_value)
                changed = True
        out.append(s)
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and \
                writes[s.target.name] == 1:
            defined[s.target.name] = s.value
    return fn.with_body(out) if changed else fn


def _reduction(e, shape):
    """``(array, axis, keepdims)`` for ``np.sum(a, axis=j)`` or a one-operand
    ``np.einsum`` dropping one axis (``'abc->ac'``), else None."""
    if not isinstance(e, ir.Op):
        return None
    if e.fn is np.einsum and len(e.args) == 2 and not e.kwargs and \
            isinstance(e.args[0], ir.Const) and type(e.args[0].value) is str:
        spec = e.args[0].value.replace(" ", "")
        if spec.count("->") != 1:
            return None
        inp, res = spec.split("->")
        if not inp.isalpha() or len(set(inp)) != len(inp) or len(res) != len(inp) - 1:
            return None
        for j in range(len(inp)):
            if inp[:j] + inp[j + 1:] == res:
                return e.args[1], j, False
        return None
    if e.fn is np.sum and len(e.args) == 1:
        kw = dict(e.kwargs)
        axis, keep = kw.get("axis"), kw.get("keepdims", ir.Const(False))
        if set(kw) - {"axis", "keepdims"} or not isinstance(axis, ir.Const) or \
                not isinstance(keep, ir.Const) or type(keep.value) is not bool:
            return None
        j = axis.value
        if type(j) is tuple and len(j) == 1:
            j = j[0]
        if type(j) is not int:
            return None
        a_shape = shape(e.args[0])
        if a_shape is None or not a_shape:
            return None
        return e.args[0], j % len(a_shape), keep.value
    return None


def _push_in(e, defined, reads, writes, shape, taken):
    """``e`` with each sum it holds of a once-read linear value pushed in;
    ``(new e, [(name, base sum)])`` (no sums: unchanged). The value moves
    to ``e``'s statement: only if nothing it reads is assigned twice."""
    sums: list = []

    def visit(x):
        found = _reduction(x, shape)
        if found is not None:
            a, j, keep = found
            if isinstance(a, ir.Var) and a.name in defined and reads[a.name] == 1 and \
                    all(writes[v] <= 1 for v in ir.expr_vars(defined[a.name])):
                full = shape(a)
                if full is not None and len(full) >= 2:
                    new = []
                    result = _sum_keep(defined[a.name], j, full, shape, new)
                    if result is not None and result[1]:
                        for base in new:
                            if not any(b == base for _, b in sums):
                                name = fresh(taken, f"{a.name}_sum{j}")
                                sums.append((name, base))
                        named = _name_sums(result[0], sums)
                        return named if keep else ir.Op(np.squeeze, (named,),
                                                        (("axis", ir.Const(j)),))
        if isinstance(x, ir.Op):
            args = tuple(visit(y) for y in x.args)
            if any(p is not q for p, q in zip(args, x.args)):
                return ir.Op(x.fn, args, x.kwargs)
        return x

    new_e = visit(e)
    return new_e, sums


def _sum_keep(e, j, full, shape, bases):
    """``(expression equal to np.sum(e, axis=j, keepdims=True), pushed)``
    for ``e`` of shape ``full``, or None; the sums it is left with are
    appended to ``bases``."""
    def base(x):
        # einsum: much faster than np.sum over a middle axis with short trailing ones
        letters = "abcdefghijklmnopqrstuvwxyz"[:len(full)]
        spec = f"{letters}->{letters[:j] + letters[j + 1:]}"
        s = ir.Op(np.expand_dims, (ir.Op(np.einsum, (ir.Const(spec), x)), ir.Const(j)))
        bases.append(s)
        return s, False

    if not isinstance(e, ir.Op) or e.kwargs:
        return base(e)
    fn, args = e.fn, e.args
    ndim = len(full)

    def is_full(x):
        return shape(x) == full

    def constant_along(x):
        sx = shape(x)
        if sx is None:
            return False
        lead = ndim - len(sx)            # right-aligned, as NumPy broadcasts
        return lead >= 0 and (j < lead or sx[j - lead] == 1)

    if fn in _ADD + _SUB and len(args) == 2 and all(is_full(a) for a in args):
        left = _sum_keep(args[0], j, full, shape, bases)
        right = _sum_keep(args[1], j, full, shape, bases)
        if left is None or right is None:
            return None
        return ir.Op(fn, (left[0], right[0])), left[1] or right[1]
    if fn in _NEG and len(args) == 1 and is_full(args[0]):
        inner = _sum_keep(args[0], j, full, shape, bases)
        return None if inner is None else (ir.Op(fn, (inner[0],)), inner[1])
    if fn in _MUL and len(args) == 2:
        a, b = args
        if is_full(a) and constant_along(b):
            inner = _sum_keep(a, j, full, shape, bases)
            return None if inner is None else (ir.Op(fn, (inner[0], b)), True)
        if is_full(b) and constant_along(a):
            inner = _sum_keep(b, j, full, shape, bases)
            return None if inner is None else (ir.Op(fn, (a, inner[0])), True)
    if fn in _MATMUL and len(args) == 2 and j == ndim - 2:
        a, b = args
        sa, sb = shape(a), shape(b)
        if sa is not None and sb is not None and len(sa) == ndim and \
                2 <= len(sb) <= ndim and sa[j] == full[j]:      # (rows of a: B has none)
            inner = _sum_keep(a, j, sa, shape, bases)
            return None if inner is None else (ir.Op(fn, (inner[0], b)), True)
    return base(e)


def _name_sums(e, sums):
    for name, s in sums:
        if e == s:
            return ir.Var(name)
    if isinstance(e, ir.Op):
        return ir.Op(e.fn, tuple(_name_sums(a, sums) for a in e.args), e.kwargs)
    return e



# --------------------------------------------------------------------------
# sums of squares

def sums_of_squares(fn: ir.Function, param_kinds: dict) -> ir.Function:
    """``np.sum(x ** 2, axis=-1)`` of a float array of known shape is
    ``np.einsum('...i,...i->...', x, x)``, and ``np.sum(x ** 2)`` is
    ``np.vdot(x, x)`` (also for ``x * x`` and ``np.square(x)``): the same
    sums without the array of squares (three to four times faster; the
    order of the additions, and so the last bit, may differ). Likewise
    ``np.sum(a * b)`` of two arrays of one shape and dtype (``np.vdot(a,
    b)``; over the last axis, the einsum)."""
    if not any(isinstance(e, ir.Op) and e.fn is np.sum
               for s in ir.walk(fn.body) for e in _all_exprs(s)):
        return fn
    kinds = analysis.infer_kinds(fn, param_kinds)
    changed = [False]

    def squared(e):
        """``x`` if ``e`` is ``x ** 2``, ``x * x`` or ``np.square(x)`` of a
        float array of known shape, else None."""
        if not isinstance(e, ir.Op) or e.kwargs:
            return None
        x = None
        if e.fn in (operator.pow, np.power) and len(e.args) == 2 and \
                isinstance(e.args[1], ir.Const) and e.args[1].value == 2 and \
                type(e.args[1].value) in (int, float):
            x = e.args[0]
        elif e.fn in _MUL and len(e.args) == 2 and e.args[0] == e.args[1] and \
                isinstance(e.args[0], ir.Var):
            x = e.args[0]
        elif e.fn is np.square and len(e.args) == 1:
            x = e.args[0]
        if x is None:
            return None
        k = analysis.expr_kind(x, kinds)
        if k is None or k.pyfloat or not k.shape or k.shape[0] < 0 or \
                k.dtype not in ("<f8", "<f4"):
            return None
        return x

    def product(e):
        """``(a, b)`` if ``e`` is ``a * b`` of two float arrays of one known
        shape and dtype (no broadcasting), else None."""
        if not (isinstance(e, ir.Op) and e.fn in _MUL and len(e.args) == 2 and not e.kwargs):
            return None
        ka, kb = (analysis.expr_kind(a, kinds) for a in e.args)
        if ka is None or ka != kb or ka.pyfloat or not ka.shape or ka.shape[0] < 0 or \
                ka.dtype not in ("<f8", "<f4") or ka.array0:
            return None
        return e.args

    def rewrite(e):
        if not isinstance(e, ir.Op):
            return e
        args = tuple(rewrite(a) for a in e.args)
        e = e if all(a is b for a, b in zip(args, e.args)) else ir.Op(e.fn, args, e.kwargs)
        if e.fn is not np.sum or len(e.args) != 1:
            return e
        x = squared(e.args[0])
        y = x
        if x is None:
            x, y = product(e.args[0]) or (None, None)
        if x is None:
            return e
        kw = dict(e.kwargs)
        ndim = len(analysis.expr_kind(x, kinds).shape)
        if not kw or (ndim == 1 and set(kw) == {"axis"} and isinstance(kw["axis"], ir.Const)
                      and kw["axis"].value in (0, -1, (0,), (-1,))):
            changed[0] = True
            return ir.Op(np.vdot, (x, y))
        axis = kw.get("axis")
        if set(kw) != {"axis"} or not isinstance(axis, ir.Const):
            return e
        j = axis.value[0] if type(axis.value) is tuple and len(axis.value) == 1 else axis.value
        if type(j) is not int or j % ndim != ndim - 1:
            return e
        changed[0] = True
        return ir.Op(np.einsum, (ir.Const("...i,...i->..."), x, y))

    def block(stmts):
        out = []
        for s in stmts:
            if isinstance(s, (ir.Assign, ir.Return)) and isinstance(s.value, ir.Op):
                s = replace(s, value=rewrite(s.value))
            out.append(_map_blocks(s, block))
        return out

    body = block(fn.body)
    return fn.with_body(body) if changed[0] else fn


def diagonals_of_products(fn: ir.Function, param_kinds: dict) -> ir.Function:
    """``np.einsum('kbc,kbc->kc', a, x)`` (a sum over the second-to-last
    axis of a product) is the diagonal of ``np.swapaxes(x, -1, -2) @ a``:
    where that product is computed in the same block, the einsum reads its
    diagonal instead of multiplying again. The adjoint of ``s[:, None, :] *
    x + x @ L`` (a scale and a matrix applied to the same rows, as GMM's
    ``Q = diag(exp(q)) + L``) needs both."""
    if not any(isinstance(e, ir.Op) and e.fn is np.einsum
               for s in ir.walk(fn.body) for e in _all_exprs(s)):
        return fn
    kinds = analysis.infer_kinds(fn, param_kinds)
    taken = ir.all_reads(fn.body) | ir.all_writes(fn.body) | set(fn.param_names())
    changed = [False]

    def block(stmts):
        stmts = [_map_blocks(s, block) for s in stmts]
        for i, s in enumerate(stmts):
            for e in (_all_exprs(s) if isinstance(s, (ir.Assign, ir.Return)) else ()):
                pair = _diagonal_sum(e, kinds)
                if pair is None:
                    continue
                j, product = _product_of(stmts, pair)
                if product is None or any(
                        set(pair) & (set(ir.stmt_writes(x)) | ir.all_writes(_nested_blocks(x)))
                        for x in stmts[min(i, j):max(i, j)]):
                    continue                  # an operand changes in between
                first = min(i, j)
                name = fresh(taken, "gram")
                define = ir.Assign(ir.Var(name), product, stmts[first].loc)
                diag = ir.Op(np.diagonal, (ir.Var(name),), (
                    ("axis1", ir.Const(-2)), ("axis2", ir.Const(-1))))
                if not _operand_of_arithmetic(stmts[i].value, e):
                    diag = ir.Op(ir.Method("copy"), (diag,))    # (a view of gram)
                stmts[i] = replace(stmts[i], value=_swap(stmts[i].value, e, diag))
                stmts[j] = replace(stmts[j], value=_swap(stmts[j].value, product,
                                                         ir.Var(name)))
                stmts.insert(first, define)
                changed[0] = True
                return block(stmts)           # (indices moved: look again)
        return stmts

    body = block(list(fn.body))
    return fn.with_body(body) if changed[0] else fn


def _nested_blocks(s):
    return [x for b in (getattr(s, "body", ()), getattr(s, "orelse", ()),
                        getattr(s, "test_body", ())) for x in b] \
        if isinstance(s, (ir.If, ir.For, ir.While)) else []


def _diagonal_sum(e, kinds):
    """``(a, x)`` if ``e`` is ``np.einsum('...bc,...bc->...c', a, x)`` with
    named float operands of one known shape; else None."""
    if not (isinstance(e, ir.Op) and e.fn is np.einsum and len(e.args) == 3
            and not e.kwargs and isinstance(e.args[0], ir.Const)
            and isinstance(e.args[0].value, str)
            and all(isinstance(a, ir.Var) for a in e.args[1:])):
        return None
    spec = e.args[0].value.replace(" ", "")
    ins, _, out = spec.partition("->")
    parts = ins.split(",")
    if len(parts) != 2 or parts[0] != parts[1] or "." in spec or len(parts[0]) < 2 or \
            len(set(parts[0])) != len(parts[0]) or out != parts[0][:-2] + parts[0][-1]:
        return None
    ka, kx = (kinds.get(a.name) for a in e.args[1:])
    if ka is None or kx is None or ka.pyfloat or ka.shape != kx.shape or \
            len(ka.shape) != len(parts[0]) or ka.dtype != kx.dtype or \
            ka.dtype not in ("<f8", "<f4"):
        return None
    return e.args[1].name, e.args[2].name


def _product_of(stmts, pair):
    """``(index, expression)`` of ``np.swapaxes(x, -1, -2) @ a`` (either
    operand swapped) in ``stmts``; ``(None, None)`` if there is none."""
    a, x = pair
    for j, s in enumerate(stmts):
        if not isinstance(s, (ir.Assign, ir.Return)):
            continue
        for e in _all_exprs(s):
            if isinstance(e, ir.Op) and e.fn is operator.matmul and len(e.args) == 2 and \
                    not e.kwargs and isinstance(e.args[1], ir.Var):
                t = e.args[0]
                if isinstance(t, ir.Op) and t.fn is np.swapaxes and len(t.args) == 3 and \
                        not t.kwargs and isinstance(t.args[0], ir.Var) and \
                        {_axis(t.args[1]), _axis(t.args[2])} == {-1, -2} and \
                        {t.args[0].name, e.args[1].name} == {a, x} and \
                        (a != x or t.args[0].name == a):
                    return j, e
    return None, None


_ARITHMETIC = {operator.add, operator.sub, operator.mul, operator.truediv, operator.neg,
               np.add, np.subtract, np.multiply, np.true_divide, np.negative}


def _operand_of_arithmetic(root, e) -> bool:
    """Whether ``e`` is read in ``root`` only as an operand of arithmetic
    (whose result is a new array, never a view of ``e``)."""
    if not isinstance(root, ir.Op):
        return False
    if any(a is e for a in root.args):
        return root.fn in _ARITHMETIC and not root.kwargs
    return any(_operand_of_arithmetic(a, e) for a in root.args)


def _axis(c):
    return c.value if isinstance(c, ir.Const) and type(c.value) is int else None


def _swap(e, old, new):
    """``e`` with the subexpression ``old`` (by identity) replaced by ``new``."""
    if e is old:
        return new
    if not isinstance(e, ir.Op):
        return e
    args = tuple(_swap(a, old, new) for a in e.args)
    if all(a is b for a, b in zip(args, e.args)):
        return e
    return ir.Op(e.fn, args, e.kwargs)


def _all_exprs(s):
    if isinstance(s, (ir.Assign, ir.Return)):
        yield from _subexprs(s.value)
