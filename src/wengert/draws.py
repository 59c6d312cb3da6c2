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

import random
from typing import Optional

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
_MAKERS = {np.random.default_rng, np.random.RandomState, np.random.Generator, random.Random}
_SEEDS = {np.random.seed, random.seed}


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
    return module in _STATE_MODULES or module.split(".")[:2] == ["numpy", "random"]


def _first_draw(e) -> ir.Op:
    """The innermost call of ``e`` that draws (``draws_again(e)`` holds)."""
    while not _draws_here(e.fn):
        e = next(a for a in e.args + tuple(v for _, v in e.kwargs) if draws_again(a))
    return e


def call_label(e) -> str:
    """``rng.normal(...)`` for the call in ``e`` that draws."""
    e = _first_draw(e)
    if isinstance(e.fn, ir.PseudoOp):
        obj = e.args[0].name if e.args and isinstance(e.args[0], ir.Var) else "..."
        return f"{obj}.{e.fn.name}(...)"
    return f"{getattr(e.fn, '__name__', 'call')}(...)"


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
                "an object whose kind is not known)", x.loc,
                hint="draw the values before the inner loop (`us = rng.random(n)`) and index "
                     "them, or make it a `for` loop over a range without break (recorded "
                     "once); or differentiate in mode='forward'")


def outside_draw(fn: ir.Function) -> Optional[tuple]:
    """``(label, loc)`` of a draw in ``fn`` from a generator that lives outside
    it (an argument, module data, NumPy's or Python's global generator never
    seeded in ``fn``, an unseeded ``default_rng()``), or None: running ``fn``
    twice would draw other numbers."""
    made, seeded = set(), False
    for s in ir.walk(fn.body):
        value = getattr(s, "value", None)
        if isinstance(s, ir.Effect) and isinstance(value, ir.Op) and value.fn in _SEEDS:
            seeded = True
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var) and \
                isinstance(value, ir.Op) and (value.fn in _MAKERS and (value.args or value.kwargs)
                                              or value.fn is iter):
            made.add(s.target.name)
    for s in ir.walk(fn.body):
        value = getattr(s, "value", None)
        if not isinstance(s, (ir.Assign, ir.Effect)) or not draws_again(value):
            continue
        for e in _calls(value):
            if _outside(e, made, seeded):
                return call_label(e), s.loc
    return None


def _calls(e):
    if isinstance(e, ir.Op):
        yield e
        for a in e.args + tuple(v for _, v in e.kwargs):
            yield from _calls(a)


def _outside(e, made, seeded) -> bool:
    fn = e.fn
    if isinstance(fn, ir.PseudoOp):
        if fn.kind != "method" or fn.name not in _DRAW_METHODS:
            return False
        obj = e.args[0] if e.args else None
        return not (isinstance(obj, ir.Var) and obj.name in made)
    if fn is next:
        return not (e.args and isinstance(e.args[0], ir.Var) and e.args[0].name in made)
    if fn is np.random.default_rng:
        return not (e.args or e.kwargs)
    if fn in _MAKERS or fn in _SEEDS:
        return False
    if isinstance(getattr(fn, "__self__", None), _GENERATORS) or \
            getattr(fn, "__module__", None) in ("random",):
        return not seeded
    module = getattr(fn, "__module__", None) or ""
    return module in ("time", "secrets", "uuid") or (
        module.split(".")[:2] == ["numpy", "random"] and not seeded)


def refuse_outside_draw(fn: ir.Function, what: str) -> None:
    """Refuse ``what`` (an API that runs ``fn`` once per element) when ``fn``
    draws from a generator that lives outside it."""
    found = outside_draw(fn)
    if found is not None:
        label, loc = found
        raise UsageError(
            f"{what} runs the function once per element, and `{label}` would draw other "
            "random numbers in each run (its generator comes from outside the function)",
            loc, hint="make the generator inside the function from a seed passed in "
                      "(`rng = np.random.default_rng(seed)`), draw the numbers outside and "
                      "pass them in, or use reverse mode (wengert.grad, mode='reverse')")
