"""The few helpers generated code calls.

Generated code is plain Python and NumPy; these helpers exist only where the
operation has no one-line NumPy spelling. Each has a derivative rule of its
own (``rules/runtime_rules.py``), so generated code can be differentiated
again. Specialised code (known shapes) calls none of them on its hot path.
"""

from __future__ import annotations

from collections.abc import ItemsView, KeysView, ValuesView
import functools
import gc

import numpy as np


def unbroadcast(t, like):
    """Sum ``t`` down to the shape of ``like`` (the adjoint of broadcasting),
    and back to ``like``'s floating dtype (the adjoint of type promotion)."""
    if type(t) in (float, np.float64) and type(like) in (float, np.float64):
        return t                         # numbers of unknown kind: nothing to do
    t_shape, shape = np.shape(t), np.shape(like)
    if t_shape != shape:
        lead = len(t_shape) - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and t_shape[lead + i] != 1)
        t = np.sum(t, axis=axes) if axes else t
        if np.shape(t) != shape:
            t = np.reshape(t, shape)
    dtype = getattr(like, "dtype", None)
    if dtype is not None and dtype.kind == "f" and getattr(t, "dtype", dtype) != dtype:
        t = t.astype(dtype)
    return t


def broadcast_like(t, like):
    """Broadcast ``t`` up to the shape of ``like`` (the adjoint of unbroadcast)."""
    shape = np.shape(like)
    if np.shape(t) == shape:
        return t
    return np.broadcast_to(t, shape)


def zeros_like(x):
    """A zero with the type, shape and dtype of ``x`` (elementwise for lists
    and tuples, whose adjoints are tuples). Derivatives are real: the zero of
    a boolean or an integer (a comparison, a count) is a float. A string,
    bytes or None (a container's label or option) has no derivative: None."""
    if isinstance(x, (float, int)):
        return 0.0
    if x is None or isinstance(x, (str, bytes)):
        return None
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    if isinstance(x, list):
        return [zeros_like(v) for v in x]
    if isinstance(x, tuple):
        return tuple_like(x, [zeros_like(v) for v in x])
    dtype = getattr(x, "dtype", None)
    if dtype is not None and dtype.kind in "biu":
        return np.zeros_like(x, dtype=np.float64)
    return np.zeros_like(x)


def accumulate(a, b):
    """``a + b`` for adjoints that may be tuples (of lists and tuples) or dicts
    (None: a string's or None's, which has no derivative)."""
    if a is None or b is None:
        return b if a is None else a
    if isinstance(a, (dict, tuple, list)) != isinstance(b, (dict, tuple, list)):
        if type(a) is float and a == 0.0:   # an item zeroed (`setitem(g, i, 0.0)`)
            return b                        # where the other is a row or a dict of its own
        if type(b) is float and b == 0.0:
            return a
    if isinstance(a, dict) or isinstance(b, dict):   # (a key added since: its own)
        return {k: accumulate(a[k], b[k]) if k in a and k in b else a[k] if k in a else b[k]
                for k in {**a, **b}}
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        items = [accumulate(u, v) for u, v in zip(a, b)]
        if isinstance(a, list) or isinstance(b, list):
            return items                                 # (a list's)
        return tuple_like(a if _named(a) else b, items)
    return a + b


def _named(x) -> bool:
    return type(x) is not tuple and hasattr(type(x), "_fields")


def tuple_like(x, items):
    """A tuple of ``items``; of ``x``'s namedtuple class if ``x`` is one (a
    namedtuple argument's gradient is a namedtuple, as its input)."""
    return type(x)(*items) if _named(x) else tuple(items)


def bind_keywords(fn, **keywords):
    """A nested function passed as a value, with the variables it reads
    from the function it is defined in (``functools.partial``)."""
    return functools.partial(fn, **keywords)


def all_ints(xs) -> bool:
    """The dispatcher's test of a list of ints (``analysis.IntsKey``)."""
    for x in xs:
        if type(x) is not int:
            return False
    return True


def list_append(xs, v):
    """``xs.append(v)`` as a value: a new list (the IR has no mutation)."""
    return list(xs) + [v]


def list_pop(xs):
    """``v = xs.pop()`` as a value: ``(xs[:-1], xs[-1])`` (the IR has no mutation)."""
    return list(xs[:-1]), xs[-1]


def unpop(rest, last, xs):
    """The adjoint of ``list_pop``: the rest's adjoints with the last appended
    (a zero part stands for zeros shaped like the matching entries)."""
    if not isinstance(rest, (list, tuple)):
        rest = zeros_like(list(xs[:-1]))
    if not isinstance(last, (list, tuple, dict, np.ndarray)) and last == 0.0:
        item = xs[-1]
        if isinstance(item, (list, tuple, dict)) or np.ndim(item):
            last = zeros_like(item)
    return list(rest) + [last]


def pow_slope(x, y, n=1, dy=0):
    """The ``n``-th derivative of ``x ** y`` with respect to ``x``: ``y * (y
    - 1) * ... * (y - n + 1) * x ** (y - n)``, and 0 where that coefficient
    is 0 (``x ** 0`` is 1 everywhere and ``x ** 1`` is ``x``, at ``x = 0``
    too, where the formula would give ``0 * inf``). At ``x = 0`` with ``y <
    n`` it is infinite, as NumPy computes it (Python's ``0.0 ** -0.5``
    raises). A constant exponent never reaches it: ``algebra.simplify``
    writes ``2 * x`` for the derivative of ``x ** 2``. With ``dy = m >= 1``,
    that derivative differentiated ``m`` times with respect to ``y`` (``x **
    y * log(x)`` for ``n = 0, m = 1``), 0 at ``x = 0`` where ``y > n``
    (``pow_partial``); generated code passes ``dy`` by keyword."""
    if dy:
        if n == 0 and dy == 1 and type(x) is float and x > 0.0 and type(y) is float:
            return x ** y * _math.log(x)       # (d/dy x ** y on Python floats)
        return pow_partial(x, y, n, dy)
    c = y if n else 1
    for k in range(1, n):
        c = c * (y - k)
    if isinstance(y, (int, float, np.number)):
        if c == 0:
            return 0.0 if isinstance(x, (int, float)) else np.zeros_like(x)
        if isinstance(x, (int, float)) and x == 0 and y < n:
            with np.errstate(divide="ignore"):
                return c * float(np.power(float(x), y - n))
        return c * x ** (y - n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(c == 0, 0.0, c * x ** (y - n))


def pow_slope_dy(x, y, n=1):
    """The derivative of ``pow_slope(x, y, n)`` with respect to ``y``
    (``pow_slope(x, y, n, dy=1)``: 0 at ``x = 0`` where ``y > n``)."""
    return pow_partial(x, y, n, 1)


def const_over(c, y):
    """``c / y`` for a nonzero constant ``c`` (``1.0 / (1.0 + np.exp(-z))``):
    the primal still divides; only the rule differs, reading the result and
    not ``y`` (``y``'s adjoint is ``-g * ans * ans / c``), so a loop keeps one
    value on its tape instead of two."""
    return c / y


def sigmoid(z):
    """``1.0 / (1.0 + np.exp(-z))`` as one operation: reverse mode fuses the
    four statements of a sigmoid into it while it differentiates, so the
    adjoint reads only the result (``g * s * (1.0 - s)``) and a loop keeps one
    value on its tape instead of two. Generated code spells it out again."""
    return 1.0 / (1.0 + np.exp(-z))


def sign(x):
    """``np.sign(x)``, as the rules write it (the derivative of ``abs``):
    specialised code on a Python float reads it as a conditional expression
    (``reverse.float_constants``), on an array as ``np.sign``; the user's own
    ``np.sign`` is never rewritten."""
    return np.sign(x)


def held(x):
    """``x`` itself, held constant by differentiation. ``optimize.hold_shifts``
    wraps the shift of a shifted log-sum-exp or softmax in it (``m + log(sum(
    exp(b - m)))`` is the same for every ``m``, so ``m``'s derivatives cancel
    and need not be computed); derivative code reads ``x`` again."""
    return x


class gc_paused:
    """``with gc_paused():`` runs its body with Python's cyclic garbage
    collector paused, and restores it however the body ends. A gradient
    whose primal sweep keeps the residuals of recursive calls (or of calls
    in a loop) builds millions of tuples and lists; the collector would walk
    them again and again as they accumulate, though they can hold no cycle
    (each refers only to what was computed before it). Pausing it halves the
    gradient of the expansion-by-minors determinant at l = 8. A collector
    already paused is left so (a nested gradient changes nothing); only
    garbage with reference cycles waits, until the gradient returns."""

    __slots__ = ("paused",)

    def __enter__(self):
        self.paused = gc.isenabled()
        if self.paused:
            gc.disable()

    def __exit__(self, *exc):
        if self.paused:
            gc.enable()
        return False


def iterated(xs):
    """What ``for v in xs`` reads by index: a dict's keys, in the order Python
    iterates them (a view of a dict: its items listed), an object of a class
    of the user's its items as its ``__iter__`` gives them, else ``xs``
    itself (a list, a tuple, an array)."""
    if type(xs) in (list, tuple, np.ndarray, range):
        return xs
    if isinstance(xs, (dict, KeysView, ValuesView, ItemsView)):   # (importable names:
        return list(xs)                                            # an exported module
    if isinstance(xs, (list, tuple, np.ndarray, str)) or \
            not hasattr(type(xs), "__iter__"):                     # imports them)
        return xs
    return list(xs)


def iterated_tangent(t, xs):
    """The tangent of ``iterated(xs)``: ``t``, or zeros for a dict's keys
    (constants)."""
    if isinstance(xs, (KeysView, ValuesView, ItemsView)):
        raise _view_error()
    return [0.0] * len(xs) if isinstance(xs, dict) else t


def iterated_adjoint(t, xs):
    """The adjoint of ``iterated(xs)``: ``t``, or a zero for a dict (its keys
    carry no derivative)."""
    if isinstance(xs, (KeysView, ValuesView, ItemsView)):
        raise _view_error()
    return zeros_like(xs) if isinstance(xs, dict) else t


def _view_error():
    from .errors import NonDifferentiableError
    return NonDifferentiableError(
        "a loop over a view of a dict (`d.values()` or `d.items()` passed in) that "
        "depends on what is being differentiated",
        hint="pass the dict itself and loop over `d.values()` or `d.items()` there")


def sorted_like(t, xs, reverse=False):
    """The tangent of ``sorted(xs)``: ``t``'s entries in the order ``sorted``
    puts ``xs``'s (the same stable sort, on the positions); zeros for a
    dict's keys (constants)."""
    if isinstance(xs, dict):
        return [0.0] * len(xs)
    return [t[i] for i in sorted(range(len(xs)), key=xs.__getitem__, reverse=reverse)]


def unsorted(t, xs, reverse=False):
    """The adjoint of ``sorted(xs)``: each entry of ``t`` back at the
    position of the item it was sorted from, as ``xs``'s adjoint (a tuple; an
    array for an array; a zero for a dict: its keys carry no derivative)."""
    if isinstance(xs, dict):
        return zeros_like(xs)
    out = [None] * len(xs)
    for k, i in enumerate(sorted(range(len(xs)), key=xs.__getitem__, reverse=reverse)):
        out[i] = t[k]
    return np.array(out, dtype=xs.dtype) if isinstance(xs, np.ndarray) else tuple(out)


def seq_concat(a, b):
    """``a + b`` for lists or tuples (the derivative splits at ``len(a)``)."""
    return a + b


def seq_repeat(xs, n):
    """``xs * n`` for a list or tuple (the derivative sums the copies)."""
    return xs * n


def seq_repeat_left(n, xs):
    """``n * xs`` for a list or tuple."""
    return n * xs


def unrepeat(t, m):
    """The adjoint of repeating a sequence of length ``m``: the copies summed."""
    out = []
    for i in range(m):
        acc = t[i]
        for v in t[i + m::m]:
            acc = accumulate(acc, v)
        out.append(acc)
    return tuple(out)


def extreme_index(xs, largest):
    """The index of the item ``max(xs)`` (``largest``) or ``min(xs)`` returns:
    the first of the extreme ones, as the builtins keep the first. Lowering
    reads ``max(xs)`` as ``xs[extreme_index(xs, True)]``, the same item, so
    its derivative is the getitem's: all of it goes to that one item. Raises
    what the builtin raises for an empty sequence or items that do not
    compare (the rows of a 2-D array)."""
    if not isinstance(xs, (list, tuple, np.ndarray)):
        raise TypeError(f"wengert differentiates max()/min() of a list, tuple or array, "
                        f"not of a {type(xs).__name__}")
    if len(xs) == 0:
        raise ValueError(f"{'max' if largest else 'min'}() iterable argument is empty")
    best_i, best = 0, xs[0]
    for i in range(1, len(xs)):
        v = xs[i]
        if (v > best) if largest else (v < best):
            best_i, best = i, v
    return best_i


def fill_like(t, xs):
    """The adjoint of ``sum(xs)``: ``t`` once per element (per row of an
    array, in its floating dtype: ``math.fsum`` gives a Python float)."""
    if isinstance(xs, np.ndarray):
        if xs.dtype.kind == "f" and getattr(t, "dtype", None) != xs.dtype:
            t = np.asarray(t, dtype=xs.dtype)
        return np.broadcast_to(t, xs.shape)
    return tuple(t for _ in xs)


def seq_adjoint(t, xs):
    """The adjoint of ``list(xs)``/``tuple(xs)``: rows stacked back for an
    array; a list for a list, a tuple for a tuple (the input's own structure)."""
    if isinstance(xs, np.ndarray):
        return np.stack([np.broadcast_to(r, xs.shape[1:]) for r in t]) if len(t) else \
            np.zeros_like(xs)
    if isinstance(xs, dict):          # list(d): its keys, which carry no derivative
        return zeros_like(xs)
    if len(t) == len(xs):             # (each item's adjoint of its item's type)
        t = [as_item(a, v) for a, v in zip(t, xs)]
    return list(t) if isinstance(xs, list) else tuple_like(xs, t)


def copied_dict(t, d):
    """The tangent (or adjoint) of ``dict(d)``, a shallow copy of the dict
    ``d``: a copy of ``t``. (``dict`` of pairs or of keywords has no rule.)"""
    if not isinstance(d, dict):
        from .errors import NoRuleError
        raise NoRuleError(f"no derivative rule for `dict(...)` of a {type(d).__name__}, "
                          "only for a copy of a dict",
                          hint="build the dict with a display ({\"k\": v, ...}), or copy "
                               "one with d.copy()")
    return dict(t)


def assert_(condition, message=None):
    """``assert condition, message`` (kept in generated code)."""
    if not condition:
        raise AssertionError(message) if message is not None else AssertionError()


def check_returned(value, where):
    """Raise where the function differentiated returned None (a ``return``
    forgotten in a branch): it has no derivative, and a zero one would be
    wrong (kept in generated code where a path may return None)."""
    if value is None:
        from .errors import UsageError
        raise UsageError(f"the function differentiated returned None ({where}): a "
                         "derivative needs the value it computes",
                         hint="return a value on every path (a `return` may be missing "
                              "in a branch)")


def check_operand(value, where):
    """Raise Python's TypeError where an operand of arithmetic is None (a
    helper that returned nothing on this path): the operation may be dead
    code in the derivative, which would then differentiate a value never
    computed (kept in generated code where a None may reach the operand)."""
    if value is None:
        raise TypeError(f"unsupported operand: None at {where} (a function called there "
                        "returned nothing on this path: a `return` may be missing in a "
                        "branch)")


def check_value(condition, message):
    """A check Python makes with a ``ValueError`` (too few values to unpack,
    ``zip(..., strict=True)`` over unlike lengths), kept in generated code."""
    if not condition:
        raise ValueError(message)


def setitem(x, index, v):
    """``x[index] = v`` as a value: a copy of ``x`` (an array, a list or a
    dict) with the entries replaced; of a tuple too, as the adjoint of a list
    can be one. (The IR has no mutation; an in-place version is an
    optimisation.)"""
    if type(x) is tuple:
        out = list(x)
        out[index] = _items_zero(out, index, v)
        return tuple(out)
    out = x.copy()
    if type(out) is list and type(index) is slice:
        v = _items_zero(out, index, v)
    out[index] = v
    return out


def splice(x, index, v):
    """``x[index] = v`` for a list ``x`` and a slice ``index``, which may
    change the list's length (``xs[0:2] = [a]``): ``setitem`` where the
    derivative needs the positions before and after."""
    return setitem(x, index, v)


def _window(x, index, v):
    """Where ``x[index] = v`` (a list, a slice) wrote: ``(start, stop, n)``,
    the positions ``start:stop`` of ``x`` replaced by ``n`` items, or None
    for an extended slice (which keeps the length)."""
    start, stop, step = index.indices(len(x))
    if step != 1:
        return None
    return start, max(start, stop), len(v)


def splice_adjoint(t, x, index, v):
    """The adjoint of ``x`` in ``x[index] = v`` (``splice``): ``t``'s items
    outside what was written, back at ``x``'s positions, and a zero for each
    item written over."""
    if type(x) is not list:
        return setitem(t, index, 0.0)
    w = _window(x, index, v)
    if w is None:
        return setitem(tuple(t), index, 0.0)
    start, stop, n = w
    t = tuple(t)
    return t[:start] + tuple(zeros_like(u) for u in x[start:stop]) + t[start + n:]


def splice_part(t, x, index, v):
    """The adjoint of ``v`` in ``x[index] = v`` (``splice``): the items of
    ``t`` where ``v``'s were written (an array for an array ``v``)."""
    if type(x) is not list:                 # an array (of a kind not known)
        return stored(unbroadcast(t[index], v), x)
    w = _window(x, index, v)
    if w is None:
        part = tuple(t)[index]
    else:
        part = tuple(t)[w[0]:w[0] + w[2]]
    return np.array(part) if isinstance(v, np.ndarray) else part


def dict_union(a, b):
    """``a | b`` for dicts: ``b``'s items over ``a``'s."""
    return a | b


def dict_union_left(t, a, b):
    """The adjoint of ``a`` in ``a | b``: ``t`` at ``a``'s keys that ``b``
    does not overwrite, a zero at those it does."""
    return {k: zeros_like(v) if k in b else t[k] for k, v in a.items()}


def dict_union_right(t, b):
    """The adjoint of ``b`` in ``a | b``: ``t`` at ``b``'s keys."""
    return {k: t[k] for k in b}


def own_attributes(obj):
    """The attributes ``obj`` holds itself (``__dict__``; none with slots only)."""
    return getattr(obj, "__dict__", ())


def adjoint_as(t, x):
    """``t``, an ndarray where ``x`` is one: the adjoint of a 0-d array read
    as a number (``float(a)``) is an array, which an update of ``a`` indexes."""
    return np.asarray(t) if type(x) is np.ndarray and type(t) is not np.ndarray else t


def stored(t, x):
    """``t``, the derivative of what ``x[index] = v`` stores, or a zero where
    ``x`` is an integer or boolean array: NumPy truncates what is stored there
    (a piecewise-constant value, whose derivative is zero)."""
    if isinstance(x, np.ndarray) and x.dtype.kind in "iub":
        return zeros_like(t)
    return t


def _items_zero(out, index, v):
    """``v``, or for the zero ``0.0`` into a slice of a list (the adjoint of
    ``xs[0:2] = [a, b]`` zeroes what was written over) a zero per item."""
    if type(index) is slice and type(v) is float and v == 0.0:
        return [zeros_like(u) for u in out[index]]
    return v


def setitem_into(x, index, v):
    """``x[index] = v`` in place, returning ``x``: ``setitem`` where the
    optimiser proved that nothing reads ``x``'s old value afterwards (the
    lowering reads generated code's calls to it as ``setitem`` again). A
    read-only array (a broadcast adjoint seed) is copied first."""
    if type(x) is tuple:
        return setitem(x, index, v)
    if isinstance(x, np.ndarray) and not x.flags.writeable:
        x = x.copy()
    elif type(x) is list and type(index) is slice:
        v = _items_zero(x, index, v)
    x[index] = v
    return x


def last_writes(t, x, index):
    """``t``, the adjoint of ``v`` in ``x[index] = v`` (shaped like
    ``x[index]``), with zeros where a later element of ``index`` writes the
    same position: NumPy keeps only the last write to a repeated position
    (``y[[1, 1]] = [a, b]`` leaves ``b``), so only it reaches the result. The
    winners come from NumPy's own assignment (element ids written, read
    back), so they agree with what it did. Only an integer array or a list
    in ``index`` can repeat a position; otherwise ``t`` is returned as it is."""
    if not may_repeat(index) or isinstance(x, (dict, list, tuple)):
        return t
    ids = np.arange(np.size(t)).reshape(np.shape(t))
    written = np.empty(np.shape(x), dtype=ids.dtype)
    written[index] = ids
    kept = written[index] == ids
    return t if kept.all() else np.where(kept, t, 0.0)


def may_repeat(index) -> bool:
    """Can ``index`` name one position of an array twice? Only with an
    integer array or a sequence in it (not an int, a slice, ``None``, ``...``,
    a 0-d array, a boolean mask or a dict's key)."""
    parts = index if type(index) is tuple else (index,)
    return any(isinstance(p, (list, tuple)) or
               getattr(p, "ndim", 0) > 0 and p.dtype != bool for p in parts)


def getitem_adjoint(t, x, index):
    """Scatter ``t`` into zeros shaped like ``x`` at ``index``, adding repeats.
    For a tuple or list ``x`` the adjoint is a tuple with ``t`` at ``index``."""
    if type(x) is np.ndarray and getattr(t, "dtype", None) == x.dtype:     # (fast path)
        out = np.zeros(x.shape, dtype=x.dtype)
        if type(index) in (int, slice) or _basic_index(index):
            out[index] = t
        else:
            np.add.at(out, index, t)
        return out
    if isinstance(x, dict):
        out = {k: zeros_like(v) for k, v in x.items()}
        out[index] = as_item(t, x[index]) if index in x else t
        return out
    if isinstance(x, (tuple, list)):
        out = [zeros_like(v) for v in x]
        out[index] = as_item(t, x[index]) if type(index) is int else t   # (slices too)
        return out if isinstance(x, list) else tuple_like(x, out)
    out = np.zeros(np.shape(x), dtype=np.result_type(t, x))
    if _basic_index(index):
        out[index] = t              # a view: no index repeats, so no accumulation needed
    else:
        np.add.at(out, index, t)    # integer arrays may repeat: add every contribution
    return out


def items_adjoint(x, index, *ts):
    """``accumulate(getitem_adjoint(t1, x, i1), getitem_adjoint(t2, x, i2),
    ...)`` for a dict, list or tuple ``x`` read at constant keys ``index``: one
    container, with zeros only for the items not read. An array adjoint of
    its item's shape and dtype that owns its memory is placed as it is (no
    full addition of zeros); anything else is added to zeros as before.
    (An array ``x``, where the same code also sees arrays, as before.)"""
    if not isinstance(x, (dict, list, tuple)):
        out = getitem_adjoint(ts[0], x, index[0])
        for k, t in zip(index[1:], ts[1:]):
            out = accumulate(out, getitem_adjoint(t, x, k))
        return out
    n = len(x)
    keys = index if isinstance(x, dict) else tuple(i % n if i < 0 else i for i in index)
    got = {}
    for k, t in zip(keys, ts):
        got[k] = accumulate(got[k], t) if k in got else t
    items = x.items() if isinstance(x, dict) else enumerate(x)
    out = {k: _placed(got[k], v) if k in got else as_item(zeros_like(v), v) for k, v in items}
    if isinstance(x, dict):
        return out
    return list(out.values()) if isinstance(x, list) else tuple_like(x, out.values())


def _placed(t, v):
    """``accumulate(zeros_like(v), t)``, without the addition where ``t`` is
    an array of ``v``'s shape and dtype that owns its memory (or a dict, list
    or tuple shaped like ``v`` holding such arrays: a new one holds them)."""
    if type(t) is np.ndarray and type(v) is np.ndarray and t is not v and \
            t.base is None and t.flags.writeable and t.shape == v.shape and \
            t.dtype == v.dtype:
        return t
    if type(t) is dict and type(v) is dict and t.keys() == v.keys():
        return {k: _placed(t[k], x) for k, x in v.items()}
    if type(t) in (list, tuple) and type(v) is type(t) and len(t) == len(v):
        return type(t)(_placed(a, x) for a, x in zip(t, v))
    return as_item(accumulate(zeros_like(v), t), v)


def as_item(t, v):
    """The adjoint ``t`` of a container's item ``v``: a Python float for a
    Python float item, a NumPy scalar of its type for a NumPy float scalar,
    an array of its dtype for a float array (a float32 item's adjoint that
    met float64 data: float32; a gradient has its input's type), as it is
    otherwise."""
    if isinstance(t, (dict, list, tuple)):
        return t
    if getattr(t, "ndim", 0) != 0:              # an array: the item's float dtype
        dtype = getattr(v, "dtype", None)
        if type(v) is np.ndarray and dtype.kind == "f" and t.dtype != dtype:
            return t.astype(dtype)
        return t
    if (type(v) is float or type(v) is int) and type(t) is not float:
        return float(t)                           # (an int item's too: a float)
    if isinstance(v, np.floating) and type(t) is not type(v):
        return type(v)(t)
    if type(v) is np.ndarray and type(t) is not np.ndarray:   # a 0-d array: a 0-d array
        return np.asarray(t, dtype=v.dtype if v.dtype.kind == "f" else None)
    return t


def as_items(t, x):
    """The adjoint ``t`` of a container ``x`` with each Python-float item's
    adjoint a Python float (``as_item``), in ``x``'s structure."""
    if type(x) is dict and type(t) is dict and t.keys() == x.keys():
        return {k: as_items(t[k], v) for k, v in x.items()}
    if (type(x) in (list, tuple) or _named(x)) and (type(t) in (list, tuple) or _named(t)) \
            and len(t) == len(x):
        items = [as_items(a, v) for a, v in zip(t, x)]
        return items if type(x) is list else tuple_like(x, items)
    return as_item(t, x)


def copy_of(x):
    """A copy (so an in-place update cannot reach a value someone else holds)."""
    return x.copy() if hasattr(x, "copy") else x


def scatter_into(out, index, t):
    """Add ``t`` into ``out[index]`` in place and return ``out``: accumulating
    several slices' adjoints into one buffer (``out`` is always a fresh array
    made by ``getitem_adjoint`` in generated code, or a read-only broadcast
    adjoint seed, copied first)."""
    if isinstance(out, np.ndarray) and not out.flags.writeable:
        out = out.copy()
    if type(index) in (int, slice) or _basic_index(index):   # (a row or a slice: first)
        out[index] += t
    else:
        np.add.at(out, index, t)
    return out


def scatter_tangent(base, like, index, t):
    """The tangent of ``scatter_into(out, index, ...)``: a copy of ``base``
    (the tangent of ``out``) with ``t`` added at ``index``. A ``base`` that
    is a number (the zero tangent of a buffer made from constants) is a zero
    shaped like the array ``like``."""
    if type(base) is np.ndarray or np.ndim(like) == 0:
        out = copy_of(base)
    else:
        out = np.zeros(np.shape(like), dtype=np.result_type(like, t))
        if base:
            out += base
    return scatter_into(out, index, t)


def _basic_index(index) -> bool:
    parts = index if type(index) is tuple else (index,)
    return all(p is None or p is Ellipsis or type(p) in (int, slice) for p in parts)


def check_scalar(value, what="grad"):
    """Raise if a function differentiated with ``grad`` returned a non-scalar."""
    if np.ndim(value) != 0:
        from .errors import UsageError
        raise UsageError(
            f"{what} needs a function with a scalar output, but it returned shape "
            f"{np.shape(value)}",
            hint="use wengert.vjp or wengert.jacrev for array outputs, or reduce "
                 "the output (e.g. with np.sum)")
    return value


def as_scalar(t, scalar_type):
    """``t`` as a NumPy scalar of ``scalar_type`` (``np.float32``): a gradient
    with respect to a NumPy scalar is a scalar of its type."""
    return scalar_type(t)


def as_array(t, scalar_type):
    """``t`` as an ndarray of ``scalar_type``'s dtype: a gradient with respect
    to an ndarray (a 0-d one too) is an ndarray of its dtype. A duck array
    (Dask) keeps its type, cast to the dtype: it stays lazy."""
    if type(t) is np.ndarray and t.dtype == scalar_type:
        return t
    if isinstance(t, (np.ndarray, np.generic, float, int)):
        return np.asarray(t, dtype=scalar_type)
    return t if t.dtype == scalar_type else t.astype(scalar_type)


# -- derivatives of x ** y with respect to the exponent (pow_slope(..., dy=m)) --

import math as _math       # (here, with the helpers that use it)


def pow_partial(x, y, n, m):
    """``pow_slope(x, y, n, dy=m)`` for ``m >= 1``: the derivative of ``x **
    y`` ``n`` times with respect to ``x`` and ``m`` times with respect to
    ``y``, ``x ** (y - n) * sum_j C(m, j) c_j(y) log(x) ** (m - j)``, where
    ``c_j`` is the ``j``-th derivative of ``c(y) = y (y - 1) ... (y - n + 1)``.
    Where ``x == 0`` and ``y > n`` it is exactly 0 (``0 ** (y - n)`` is 0 for
    every exponent near ``y``), where the formula would give ``0 * -inf``;
    elsewhere it is the formula as NumPy computes it (``x == 0`` with ``y <=
    n`` is infinite or NaN, ``x < 0`` is NaN). Python floats stay Python
    floats (``math.log``, never called at ``x <= 0``, where it raises)."""
    cs = [1]            # c_0, c_1, ... (those of degree <= n and j <= m: the rest are 0)
    for k in range(n):
        cs = [(cs[j] * (y - k) if j < len(cs) else 0) + (j * cs[j - 1] if j else 0)
              for j in range(min(len(cs) + 1, m + 1))]
    if isinstance(x, (float, int)) and isinstance(y, (float, int)):
        e = y - n
        if x == 0 and e > 0:
            return 0.0
        if x > 0:
            try:
                return x ** e * _pow_log_sum(cs, _math.log(x), m)
            except OverflowError:       # (Python's float ** raises; NumPy gives inf)
                pass
        return float(_pow_partial_numpy(np.float64(x), y, n, m, cs))   # NumPy's inf, NaN
    return _pow_partial_numpy(x, y, n, m, cs)


def _pow_partial_numpy(x, y, n, m, cs):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_x = np.log(x)
        if isinstance(x, (int, float)) and not isinstance(x, np.generic):
            log_x = float(log_x)        # (a Python number: float32 y stays float32)
        r = x ** (y - n if n else y) * _pow_log_sum(cs, log_x, m)
    if isinstance(y, (int, float)):
        if not y - n > 0:                       # (y NaN too: the formula's NaN)
            return r
        at_zero = x == 0
    else:
        at_zero = (x == 0) & (y - n > 0)
    if type(r) is np.ndarray and r.shape == np.shape(at_zero):
        if at_zero.any():                       # (r is a new array: zeroed in place)
            r[at_zero] = 0
        return r
    out = np.where(at_zero, 0.0, r)
    return out[()] if isinstance(r, np.generic) else out      # (a scalar stays one)


def _pow_log_sum(cs, log_x, m):
    """``sum_j C(m, j) cs[j] log_x ** (m - j)`` (the terms whose ``cs[j]`` is
    not listed are identically zero, and left out: ``0 * inf`` is NaN)."""
    s = None
    for j, c in enumerate(cs):
        if j == m:
            t = c
        else:
            t = log_x if j == m - 1 else log_x ** (m - j)
            if not (type(c) is int and c == 1):
                t = c * t
        k = _math.comb(m, j)
        t = t if k == 1 else k * t
        s = t if s is None else s + t
    return s
