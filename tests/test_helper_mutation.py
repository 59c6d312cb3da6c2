"""Helpers of the user's that change what they are given (``mutating``,
``analysis.active``): refused when the derivative is built, with wengert's
own error at the call or at the change, in every mode, or differentiated
right; never a silently wrong derivative.

A helper's result assigned to a name nobody reads (``_ = apply_bc(u)``) used
to be dead code, dropped with its effect on ``u``; spliced in, ``u *= c`` on
its parameter was folded into ``c * u`` and no longer seen as an update in
place. A helper that changes a copy it made itself is fine."""

import inspect

import numpy as np
import pytest

import wengert
from wengert import UnsupportedSyntaxError
from test_nondiff_audit import central_difference

MODES = [("reverse", True), ("forward", True), ("reverse", False), ("forward", False)]
IDS = ["reverse", "forward", "reverse-noopt", "forward-noopt"]
X = np.array([0.3, 1.2, -0.4])
# what a refusal says (the phrase depends on which check meets the change first)
PHRASES = ("in place", "an input array", "assignment to an attribute", "shares its memory",
           "given to the function it is in")


# --- helpers: each changes its argument on the line marked ``change``

def set_a(d, v):
    d["a"] = v                          # change
    return 0.0


def apply_bc(u):
    u[0] = 0.0                          # change
    u[-1] = 2.0 * u[-2]


def damp(u, c):
    u *= c                              # change
    return 1.0


def accum(acc, v):
    acc += v                            # change
    return acc


def push(lst, v):
    lst.append(v)                       # change
    return len(lst)


def bump(u, v):
    u[1] += v                           # change
    return 0.0


def update_a(d, v):
    d.update({"a": v})                  # change
    return 0.0


def extend_by(lst, v):
    lst.extend([v, v])                  # change
    return 0.0


def drop_last(lst):
    lst.pop()                           # change
    return 0.0


def zero_diagonal(m):
    np.fill_diagonal(m, 0.0)            # change
    return 0.0


def double(u):
    u *= 2.0                            # change
    return 1.0


def calls_double(u):
    k = double(u)                       # change
    return 0.0


class Point:
    def __init__(self, x):
        self.x = x


def move(p, v):
    p.x = v                             # change
    return 0.0


def zero_first(u):
    u = u.copy()
    u[0] = 0.0
    return u


# --- callers: the call is on the line marked ``call``

def reported_dict_item(x):
    d = {"a": x[0]}
    z = set_a(d, 3.0 * x[1])            # call
    return d["a"]


def reported_returns_none(x):
    u = x * 1.0
    _ = apply_bc(u)                     # call
    return np.sum(u ** 2)


def reported_result_used(x):
    u = x * 1.0
    k = damp(u, 0.5)                    # call
    return np.sum(u ** 2) * k


def reported_in_a_loop(x):
    acc = np.zeros(3)
    for i in range(3):
        unused = accum(acc, x * i)      # call
    return np.sum(acc ** 2)


def reported_append(x):
    hist = [x[0]]
    n = push(hist, 2.0 * x[1])          # call
    return hist[-1]


def item_augmented(x):
    u = x * 1.0
    z = bump(u, x[0])                   # call
    return np.sum(u ** 2)


def dict_update(x):
    d = {"a": x[0]}
    z = update_a(d, 3.0 * x[1])         # call
    return d["a"]


def list_extend(x):
    h = [x[0]]
    z = extend_by(h, 2.0 * x[1])        # call
    return h[-1]


def list_pop(x):
    h = [x[0], 2.0 * x[1]]
    z = drop_last(h)                    # call
    return h[-1]


def fill_diagonal(x):
    m = np.outer(x, x)
    z = zero_diagonal(m)                # call
    return np.sum(m)


def nested(x):
    u = x * 1.0
    z = calls_double(u)                 # call
    return np.sum(u ** 2)


def attribute(x):
    p = Point(x[0])
    z = move(p, 3.0 * x[1])             # call
    return p.x


def own_copy_used(x):
    u = x * 1.0
    w = zero_first(u)
    return np.sum(u ** 2) + np.sum(w ** 3)


def own_copy_unused(x):
    u = x * 1.0
    _ = zero_first(u)
    return np.sum(u ** 2)


def change_never_read(x):
    u = x * 1.0
    _ = damp(u, 0.5)                    # u is not read again: nothing sees the change
    return np.sum(x ** 2)


REPORTED = [reported_dict_item, reported_returns_none, reported_result_used,
            reported_in_a_loop, reported_append]
RELATED = [item_augmented, dict_update, list_extend, list_pop, fill_diagonal, nested,
           attribute]
WORKING = [own_copy_used, own_copy_unused, change_never_read]


def marked_lines(func, mark: str) -> set:
    lines, start = inspect.getsourcelines(func)
    return {start + i for i, text in enumerate(lines) if text.rstrip().endswith(f"# {mark}")}


def callees(f, depth=3) -> list:
    """The helpers ``f`` calls, and those they call (a nested helper)."""
    found = [globals()[n] for n in f.__code__.co_names
             if inspect.isfunction(globals().get(n))]
    return found + [h for g in found for h in callees(g, depth - 1)] if depth else found


def refused_or_right(f, mode, optimize):
    """None if refused as it should be or differentiated right, else what
    went wrong."""
    grad = wengert.grad(f, mode=mode, optimize=optimize)
    try:
        g = grad(X.copy())
    except UnsupportedSyntaxError as exc:
        allowed = marked_lines(f, "call").union(
            *(marked_lines(h, "change") for h in callees(f)))
        if exc.loc is None or exc.loc.lineno not in allowed:
            return f"refused at {exc.loc}, not at the call or the change: {exc}"
        if not any(p in exc.message for p in PHRASES) or not exc.hint:
            return f"refused without saying why or what to write instead: {exc}"
        if f"{exc.loc}" not in str(exc) or "^" not in str(exc):
            return f"refused without its place and caret: {exc}"
        return None
    expected = central_difference(f, [X.copy()], 0)
    if not np.allclose(g, expected, atol=1e-5):
        return f"silently wrong: {g}, expected {expected}"
    return None


@pytest.mark.parametrize("mode,optimize", MODES, ids=IDS)
def test_reported_forms(mode, optimize):
    problems = {f.__name__: refused_or_right(f, mode, optimize) for f in REPORTED}
    assert not {k: v for k, v in problems.items() if v}


@pytest.mark.parametrize("mode,optimize", MODES, ids=IDS)
def test_related_forms(mode, optimize):
    problems = {f.__name__: refused_or_right(f, mode, optimize) for f in RELATED}
    assert not {k: v for k, v in problems.items() if v}


@pytest.mark.parametrize("mode,optimize", MODES, ids=IDS)
def test_helpers_changing_a_copy_or_unseen_work(mode, optimize):
    for f in WORKING:
        g = wengert.grad(f, mode=mode, optimize=optimize)(X.copy())
        np.testing.assert_allclose(g, central_difference(f, [X.copy()], 0), atol=1e-5,
                                   err_msg=f.__name__)


@pytest.mark.parametrize("mode,optimize", MODES, ids=IDS)
def test_discarded_result_refused_at_the_call(mode, optimize):
    """With its result unused, and not spliced in (``optimize=False``), the
    call itself is refused, naming the helper, the argument and where the
    helper changes it; spliced in, the change in the helper is."""
    with pytest.raises(UnsupportedSyntaxError) as info:
        wengert.grad(reported_in_a_loop, mode=mode, optimize=optimize)(X.copy())
    exc = info.value
    if optimize:
        assert exc.loc.lineno in marked_lines(accum, "change")
        assert "shares its memory with `acc`" in exc.message
    else:
        assert exc.loc.lineno in marked_lines(reported_in_a_loop, "call")
        assert "this call of `accum` changes `acc` in place (its parameter `acc`, at " \
               "test_helper_mutation.py:" in exc.message
        assert "its result is not used" in exc.message
        assert "`acc = accum(...)`" in exc.hint
