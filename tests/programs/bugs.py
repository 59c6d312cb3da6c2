"""Minimal reproductions of the bugs the corpus found, each marked strict
xfail with a one-line diagnosis (the realistic programs that hit the same bug
share the diagnosis constant). When a bug is fixed its tests start to fail
(XPASS): remove the marks here and in the modules that import the constant.
The `prog_regression_*` programs at the end reproduce bugs fixed while the
corpus was written; they stay as regression tests."""

import math

import numpy as np

from . import bug, inputs

ZERO_TRIP_TARGET = (
    "a `for` target that already holds a value keeps it in Python when the loop runs "
    "zero times, but the lowering copies the loop's own version back after the loop "
    "(`k = k_1`), which is then unbound: UnboundLocalError in both modes")

NESTED_LOOP_PENDING_ADJOINT = (
    "in the adjoint of an outer loop whose body holds an inner loop reading the outer "
    "carried variable s, the inner loop's adjoint resets and re-accumulates s_bar "
    "before the pending contribution of `s = ... + x` to the loop-invariant x "
    "(x_bar += s_bar) is emitted, so that contribution reads the wrong s_bar: "
    "reverse-mode gradient wrong (forward mode right)")

CONDITIONAL_DEF = (
    "a nested def or lambda bound in only one branch of an `if` is lifted at lowering "
    "time into one table entry per name: the branch structure is dropped and the "
    "definition last in source order is always called (silently wrong value and "
    "gradient in both modes)")

UNPACK_ARRAY = (
    "tuple unpacking of an array (`a, b, c = x`, `r0, r1 = m`) gives x a tuple "
    "adjoint: reverse mode returns the gradient as a tuple of scalars/rows instead "
    "of an array of x's shape")

GLOBAL_COPY = (
    "readable()/coalesce_copies merges `w = K` where K is a module-level (or closure) "
    "data variable: the copy is deleted and `w` is read undefined (NameError in both "
    "modes); `for v in GLOBAL_LIST` hits it through the `seq = GLOBAL_LIST` copy")

LIST_REPEAT = (
    "`[x] * n` (list repetition) uses operator.mul's numeric adjoint: n * (tuple "
    "adjoint) repeats the tuple and unbroadcast sums it, so reverse mode is n times "
    "too large (forward mode is right)")

ENUMERATE_START = (
    "`enumerate(xs, start)` is not desugared by the loop lowering (only one-argument "
    "enumerate is): NoRuleError for `enumerate`")

ZIP_TARGET = (
    "`for pair in zip(a, b)` / `for i, (a, b) in enumerate(zip(a, b))`: the loop "
    "lowering desugars zip only for a flat tuple target of the same arity: NoRuleError "
    "for `zip`")


@inputs((0.7,))
def prog_bug_inner_loop_then_invariant_term(x):
    """Minimal: s <- 2 s + x through an inner loop; d/dx = 7, reverse gives 10."""
    s = x
    for i in range(2):
        acc = 0.0
        for k in range(2):
            acc = acc + s
        s = acc + x
    return s


@inputs((np.array([0.3, -0.4]),))
def prog_bug_unpack_array(x):
    """Minimal: reverse mode returns (x[1], x[0]), a tuple, not an array."""
    a, b = x
    return a * b


@inputs((0.7, 0))
def prog_bug_zero_trip_loop_target(x, n):
    """Minimal: with n = 0 Python returns x * 2; wengert raises UnboundLocalError."""
    k = 2
    for k in range(n):
        x = x * 1.5
    return x * k


K = 3.0
WEIGHTS = [0.5, 2.0]


@inputs((0.7,))
def prog_bug_copy_of_global(x):
    """Minimal: a local that is a plain copy of a module-level float."""
    w = K
    return x * w


@inputs((0.7,))
def prog_bug_loop_over_global_list(x):
    """Minimal: `for w in WEIGHTS` over a module-level list."""
    for w in WEIGHTS:
        x = x * w
    return x


@inputs((0.7,))
def prog_bug_list_repetition(x):
    """Minimal: `[x] * 2`; reverse mode gives 2 * (2x) instead of 2x."""
    xs = [x] * 2
    return xs[0] * xs[1]


@inputs((0.7,))
def prog_bug_enumerate_start(x):
    """Minimal: `enumerate(xs, 1)`."""
    s = 0.0
    for i, v in enumerate([x, x], 1):
        s = s + i * v
    return s


@inputs((0.7,))
def prog_bug_zip_single_target(x):
    """Minimal: `for pair in zip(a, b)`."""
    s = 0.0
    for pair in zip([x, x], [1.0, 2.0]):
        s = s + pair[0] * pair[1]
    return s


@inputs((0.7,))
def prog_bug_enumerate_zip(x):
    """Minimal: `for i, (a, b) in enumerate(zip(xs, ws))`."""
    s = 0.0
    for i, (a, b) in enumerate(zip([x, x], [1.0, 2.0])):
        s = s + i * a * b
    return s


@inputs((0.7,), (1.3,))
def prog_regression_value_after_loop(x):
    """Regression (fixed during this work): the post-loop value of a carried
    variable read by the adjoint of a later statement (`y * x`) and returned by
    value_and_grad was the value restored by the loop replay."""
    y = x
    for i in range(2):
        y = y * 0.9 + math.sin(y)
    return y * x


@inputs((0.5,), (1.5,))
def prog_regression_loop_invariant_factor(x):
    """Regression (fixed during this work): `p = p * x` in a loop: x's adjoint
    read the carried adjoint after it had been updated."""
    p = 1.0
    for i in range(3):
        p = p * x
    return p


@inputs((0.3,), (2.9,))
def prog_regression_statements_after_jump(x):
    """Regression (fixed during this work): statements after an `if` holding a
    `return`/`break`/`continue` inside a loop ran anyway (the guard was computed
    after the jump had been rewritten into flags)."""
    for i in range(3):
        if x > 2.0:
            return x * i
        x = x * 1.5
    return -x


@inputs((0.7,))
def prog_regression_nested_loop_temporary(x):
    """Regression (fixed during this work): a temporary assigned only in the
    inner loop's body was pushed on the outer tape before it existed."""
    s = 0.0
    for i in range(2):
        for j in range(2):
            t = x * j
            s = s + t
    return s


@inputs((0.7,))
def prog_regression_nested_sequence_target(x):
    """Regression (fixed during this work): the target of an inner
    `for v in seq` loop (UnboundLocalError in reverse mode)."""
    s = 0.0
    for i in range(2):
        for v in [x, 2.0]:
            s = s + v
    return s


@inputs((0.7,))
def prog_regression_triple_nested_range(x):
    """Regression (fixed during this work): the target of a `range` loop
    nested three deep (UnboundLocalError in reverse mode)."""
    s = x
    for i in range(2):
        for j in range(2):
            for k in range(2):
                s = s * 1.1
    return s
