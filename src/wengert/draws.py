"""Calls that give another value when run again: random draws, ``next(it)``.

Reverse mode runs parts of a loop body twice: once in the primal sweep, and
again in the adjoint sweep (the *replay*, which recomputes what the adjoint
reads instead of recording it). A draw cannot be recomputed::

    for _ in range(5):                        for _ in reversed(v1):
        x = x * (1 + 0.3 * rng.normal())  ──▶     v2 = rng.normal()      # another number
                                                  x_bar = x_bar * (1 + 0.3 * v2)

so ``reverse.Reverse._record_expensive`` keeps every draw the body makes at
its top level on the loop's tape (``draws_again``), one in a branch on a tape
of its own (it runs at most once an iteration), and refuses one inside an
inner loop that the replay would run again (``refuse_draws_in``).

The other place a function runs more than once is an API that calls the
derivative once per input or output element (forward-mode gradients of
arrays, ``jacfwd``, ``jacrev``, ``hessian``): each run draws anew from a
generator that lives outside the function, so the columns would belong to
different random numbers. ``outside_draw`` finds such a draw, and those APIs
refuse it; a generator the function makes from a seed (``rng =
np.random.default_rng(seed)``, ``np.random.seed(0)``) draws the same numbers
in every run.
"""

from __future__ import annotations

import operator
import random
import re
import types
from typing import Callable, Optional

import numpy as np

from . import ir
from .errors import UnsupportedSyntaxError, UsageError

# the methods of the data a function works on (arrays, lists, dicts, strings,
# numbers): whatever else a method is called on may hold state (a random
# generator's ``rng.normal()``, an iterator's ``__next__``)
_DATA_METHODS = frozenset(n for t in (np.ndarray, list, dict, tuple, str, set, float, int,
                                      complex) for n in dir(t) if not n.startswith("_"))
_STATE_MODULES = ("random", "time", "secrets", "uuid")
_GENERATORS = (random.Random, np.random.RandomState, np.random.Generator)
# the methods of random generators, for a generator that comes from outside
_DRAW_METHODS = frozenset(n for t in _GENERATORS for n in dir(t)
                          if not n.startswith("_")) - _DATA_METHODS | {"__next__"}
_MAKERS = {np.random.default_rng, np.random.RandomState, np.random.Generator, random.Random,
           np.random.SeedSequence, np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937,
           np.random.Philox, np.random.SFC64}
_SEEDS = {np.random.seed, random.seed}
_INT_ARITHMETIC = {operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod,
                   operator.pow}


def draws_again(e) -> bool:
    """Whether evaluating ``e`` again could give another value: a random draw
    (``np.random.normal()``, ``random.gauss(0, 1)``, ``rng.standard_normal()``),
    ``next(it)``, the clock, a method of an object of unknown kind."""
    if not isinstance(e, ir.Op):
        return False
    return _draws_here(e.fn) or any(draws_again(a) for a in e.args) or \
        any(draws_again(v) for _, v in e.kwargs)


def _draws_here(fn) -> bool:
    if isinstance(fn, ir.PseudoOp):
        return fn.kind == "method" and fn.name not in _DATA_METHODS
    if fn is next or isinstance(getattr(fn, "__self__", None), _GENERATORS) or \
            getattr(fn, "__name__", None) == "rvs":
        return True
    module = getattr(fn, "__module__", None) or ""
    if module in _STATE_MODULES or module.split(".")[:2] == ["numpy", "random"]:
        return True
    return type(fn) is types.FunctionType and CALLEE_DRAWS is not None and CALLEE_DRAWS(fn)


# set by ``api``: whether a Python function (a helper called, not spliced in)
# draws, in its body or its own callees (``draws_in_body``), and whether it
# draws from a generator that lives outside it (``outside_draw`` of its body)
CALLEE_DRAWS: Optional[Callable] = None
CALLEE_OUTSIDE: Optional[Callable] = None


_CHANGING_METHODS = frozenset({"append", "extend", "insert", "pop", "remove", "clear",
                               "update", "setdefault", "popitem", "add", "discard", "sort",
                               "reverse", "fill", "resize", "put", "itemset", "send"})


def changes_state(func) -> bool:
    """Whether ``func``'s source (one wengert cannot lower) changes state
    outside the call: ``global`` or ``nonlocal`` declarations, assignments
    to attributes or to items of what it did not make, ``setattr``, methods
    that change their object (``LOG.append(v)``), ``next``: run again, it
    could return another value."""
    import ast
    import inspect
    import textwrap
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return False
    made = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and
            isinstance(n.ctx, ast.Store)}
    for n in ast.walk(tree):
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            return True
        targets = n.targets if isinstance(n, ast.Assign) else \
            [n.target] if isinstance(n, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:           # (into what it made itself: its own business)
            if isinstance(t, (ast.Attribute, ast.Subscript)) and not (
                    isinstance(t.value, ast.Name) and t.value.id in made):
                return True
        if isinstance(n, ast.Call):
            f = n.func
            if isinstance(f, ast.Name) and f.id in ("setattr", "delattr", "next", "exec"):
                return True
            if isinstance(f, ast.Attribute) and f.attr in _CHANGING_METHODS and not (
                    isinstance(f.value, ast.Name) and f.value.id in made):
                return True
    return False


def draws_in_body(fn: ir.Function) -> bool:
    """Whether ``fn``'s Wengert list draws: a generator's method
    (``rng.normal()``), a function of ``np.random`` or ``random``, ``next``,
    or a call of a helper that does (methods of objects of other kinds are
    not counted here, as ``draws_again`` counts them where they are called)."""
    def strictly(e) -> bool:
        if not isinstance(e, ir.Op):
            return False
        here = (e.fn.kind == "method" and e.fn.name in _DRAW_METHODS) \
            if isinstance(e.fn, ir.PseudoOp) else _draws_here(e.fn)
        return here or any(map(strictly, e.args)) or any(strictly(v) for _, v in e.kwargs)
    return any(strictly(getattr(s, "value", None)) for s in ir.walk(fn.body))


def draws_with_parameters(e) -> bool:
    """Whether the call ``e`` is a random draw (a generator's method, a
    function of ``np.random`` or ``random``), for ``missing_rule_for`` to
    name when a differentiated value is among its arguments."""
    fn = e.fn
    if isinstance(fn, ir.PseudoOp):
        return fn.kind == "method" and fn.name in _DRAW_METHODS
    module = getattr(fn, "__module__", None) or ""
    return isinstance(getattr(fn, "__self__", None), _GENERATORS) or module == "random" or \
        (module.split(".")[:2] == ["numpy", "random"] and fn not in _MAKERS)


def _first_draw(e) -> ir.Op:
    """The innermost call of ``e`` that draws (``draws_again(e)`` holds)."""
    while not _draws_here(e.fn):
        e = next(a for a in e.args + tuple(v for _, v in e.kwargs) if draws_again(a))
    return e


def call_label(e) -> str:
    """``rng.normal(...)`` for the call in ``e`` that draws."""
    e = _first_draw(e)
    if isinstance(e.fn, ir.PseudoOp):
        if e.args and isinstance(e.args[0], ir.Var):
            return f"{e.args[0].name}.{e.fn.name}(...)"
        return f"{e.fn.name}(...)"                  # (of an object the code names: st.norm)
    name = getattr(e.fn, '__name__', 'call')
    code = getattr(e.fn, "__code__", None)
    if code is not None and code.co_filename.startswith("<wengert "):
        name = re.sub(r"_(fwd|bwd|vjp|grad|jvp)$", "", name)   # (a helper's generated code)
    return f"{name}(...)"


def refuse_draws_in(s) -> None:
    """Refuse a draw in ``s``, an inner loop of a loop body that the adjoint
    sweep runs again (a ``while`` loop, a loop with ``break``)."""
    for x in ir.walk([s]):
        value = getattr(x, "value", None)
        if isinstance(x, (ir.Assign, ir.Effect)) and draws_again(value):
            raise UnsupportedSyntaxError(
                f"`{call_label(value)}` inside an inner loop (a while loop, or a loop with "
                "break) of a loop: reverse mode runs the inner loop again for the adjoint, "
                "and this call would give another value (a random draw, next(), a method of "
                "an object whose kind is not known, a helper that changes state)", x.loc,
                hint="draw the values before the inner loop (`us = rng.random(n)`) and index "
                     "them, or make it a `for` loop over a range without break (recorded "
                     "once); or differentiate in mode='forward'")


def outside_draw(fn: ir.Function, arg_kinds=None) -> Optional[tuple]:
    """``(label, loc)`` of a draw in ``fn`` from a generator that lives outside
    it (an argument, module data, NumPy's or Python's global generator not
    seeded in ``fn``), or None: running ``fn`` twice would draw other numbers.
    A generator ``fn`` makes is its own if made from seeds: integer constants
    or arguments whose kind (``arg_kinds``, in parameter order) is an int
    (``default_rng(seed)``, ``Generator(PCG64(seed))``), not from None (a seed
    from the operating system) or a generator passed in."""
    ints = {p.name for p, k in zip(fn.params, arg_kinds or ())
            if k is not None and getattr(k, "shape", None) == () and
            getattr(k, "dtype", "") in ("int", "int64", "int32")}
    made, seeded = set(), False

    def seed(a) -> bool:
        if isinstance(a, ir.Const):
            return type(a.value) is int
        if isinstance(a, ir.Op):              # seed * 3 + 7, written into the call
            return a.fn in _INT_ARITHMETIC and not a.kwargs and all(map(seed, a.args))
        return isinstance(a, ir.Var) and (a.name in ints or a.name in made)

    for s in ir.walk(fn.body):
        value = getattr(s, "value", None)
        if not isinstance(value, ir.Op):
            continue
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and not value.kwargs \
                and value.fn in _INT_ARITHMETIC and all(map(seed, value.args)):
            ints.add(s.target.name)         # default_rng(seed + 1): an integer seed too
            continue
        seeds = value.args + tuple(v for _, v in value.kwargs)
        if isinstance(s, ir.Effect) and value.fn in _SEEDS and seeds and all(map(seed, seeds)):
            seeded = True
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and (
                value.fn in _MAKERS and seeds and all(map(seed, seeds)) or
                value.fn is iter and len(seeds) == 1 and _collection(seeds[0], fn, arg_kinds)):
            made.add(s.target.name)
    for s in ir.walk(fn.body):
        value = getattr(s, "value", None)
        if not isinstance(s, (ir.Assign, ir.Effect)) or not draws_again(value):
            continue
        for e in _calls(value):
            if _outside(e, made, seeded, seed):
                return call_label(e), s.loc
    return None


def _collection(a, fn, arg_kinds) -> bool:
    """Whether ``iter(a)`` makes a new iterator: ``a`` is a list, tuple or
    array, the function's own or an argument of such a kind (not an iterator
    passed in, which ``iter`` returns itself)."""
    if not isinstance(a, ir.Var):
        return isinstance(a, ir.Op)
    kinds = dict(zip(fn.param_names(), arg_kinds or ()))
    if a.name in kinds:
        return kinds[a.name] is not None
    return any(a.name in ir.stmt_writes(s) for s in ir.walk(fn.body))


def _calls(e):
    if isinstance(e, ir.Op):
        yield e
        for a in e.args + tuple(v for _, v in e.kwargs):
            yield from _calls(a)


def _outside(e, made, seeded, seed) -> bool:
    fn = e.fn
    if getattr(fn, "name" if isinstance(fn, ir.PseudoOp) else "__name__", None) == "rvs":
        # scipy.stats: NumPy's global generator unless given a seed
        return not any(k == "random_state" and seed(v) for k, v in e.kwargs)
    if isinstance(fn, ir.PseudoOp):
        if fn.kind != "method" or fn.name not in _DRAW_METHODS:
            return False
        obj = e.args[0] if e.args else None
        return not (isinstance(obj, ir.Var) and obj.name in made)
    if type(fn) is types.FunctionType:    # a helper that draws: from a generator made
        if not _draws_here(fn):                           # here and passed to it, or from
            return False
        args = e.args + tuple(v for _, v in e.kwargs)
        if seeded or any(isinstance(a, ir.Var) and a.name in made for a in args):
            return False
        return CALLEE_OUTSIDE is None or CALLEE_OUTSIDE(fn)   # (its own seeded generator)
                                                          # NumPy's global one seeded here
    if fn is next:              # (an iterator the function makes: iter() of a list)
        return not (e.args and isinstance(e.args[0], ir.Var) and e.args[0].name in made)
    if fn in _MAKERS or fn in _SEEDS:
        seeds = e.args + tuple(v for _, v in e.kwargs)
        return not (seeds and all(map(seed, seeds)))

    if isinstance(getattr(fn, "__self__", None), _GENERATORS) or \
            getattr(fn, "__module__", None) in ("random",):
        return not seeded
    module = getattr(fn, "__module__", None) or ""
    return module in ("time", "secrets", "uuid") or (
        module.split(".")[:2] == ["numpy", "random"] and not seeded)


def refuse_outside_draw(fn: ir.Function, what: str, arg_kinds=None,
                        runs: str = "runs the function once per element") -> None:
    """Refuse ``what`` (an API that runs ``fn`` more than once, or after the
    function itself ran) when ``fn`` draws from a generator that lives
    outside it."""
    found = outside_draw(fn, arg_kinds)
    if found is not None:
        label, loc = found
        raise UsageError(
            f"{what} {runs}, and `{label}` would draw other random numbers in each run "
            "(its generator comes from outside the function, or is seeded from the "
            "operating system; or it is a helper that changes state, `global n; n += 1`)",
            loc, hint="make the generator inside the function from an integer seed passed "
                      "in (`rng = np.random.default_rng(seed)`), draw the numbers outside "
                      "and pass them in, or use wengert.grad (reverse mode runs the "
                      "function once)")
