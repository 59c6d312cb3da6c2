"""`for` loops over `range(...)`: one, two and three arguments, negative
steps, trip counts from arguments, nested and triangular loops, loops that
carry several variables."""

import math

from . import bug, inputs
from .bugs import GLOBAL_COPY, ZERO_TRIP_TARGET


@inputs((0.7,), (-1.2,), (2.5,))
def prog_repeated_map(x):
    """`for i in range(n)` with a constant n: x = x * sin(x) + x, five times."""
    for i in range(5):
        x = x * math.sin(x) + 0.5 * x
    return x


@inputs((0.3, 0), (0.3, 1), (0.3, 7), (-0.8, 4))
def prog_trip_count_argument(x, n):
    """The trip count is an integer argument (zero trips included)."""
    y = x
    for i in range(n):
        y = y * 0.9 + math.sin(y)
    return y * x


@inputs((1.3,), (-0.6,))
def prog_range_two_args(x):
    """`range(start, stop)`; the loop index is used as data."""
    s = 0.0
    for k in range(2, 6):
        s = s + x ** k / k
    return s


@inputs((0.9,), (-1.4,))
def prog_range_step(x):
    """`range(start, stop, step)` with a positive step."""
    s = x
    for k in range(1, 10, 3):
        s = s * x + k
    return s


@inputs((0.5,), (1.5,), (-0.7,))
def prog_range_negative_step(x):
    """A count-down loop `range(5, 0, -1)`: Horner-like nesting in reverse order."""
    acc = 1.0
    for k in range(5, 0, -1):
        acc = 1.0 + x * acc / k
    return acc


@inputs((0.4,), (2.0,))
def prog_range_negative_step_to_negative(x):
    """`range(3, -4, -2)`: negative step reaching negative indices."""
    y = x
    for k in range(3, -4, -2):
        y = y + k * math.cos(y * 0.3)
    return y


@inputs((0.2, 1.0), (-0.9, 0.5))
def prog_horner(x, c):
    """Horner's rule with coefficients computed from the index."""
    p = c
    for k in range(6):
        p = p * x + (k + 1) * 0.5
    return p


@inputs((2.0,), (9.0,), (0.3,))
def prog_newton_sqrt(a):
    """Ten Newton iterations for sqrt(a): the derivative flows through them."""
    x = a
    for i in range(10):
        x = 0.5 * (x + a / x)
    return x


@inputs((0.5,), (-1.3,))
def prog_nested_loops(x):
    """Two nested loops over ranges, the inner one reading the outer index."""
    s = 0.0
    for i in range(3):
        for j in range(4):
            s = s + math.sin(x * (i + 1)) * (j - 1.5)
    return s


@inputs((0.8,), (1.6,))
def prog_triangular_loops(x):
    """A triangular nest: the inner trip count is the outer index."""
    s = x
    for i in range(5):
        for j in range(i):
            s = s + x * j / (i + s * s)
    return s


@inputs((0.3, 1.1), (1.2, -0.4))
def prog_several_accumulators(x, y):
    """A loop that accumulates into several variables at once."""
    total = 0.0
    prod = 1.0
    sq = 0.0
    for i in range(4):
        term = x * i + y
        total = total + term
        prod = prod * (1.0 + 0.1 * term)
        sq = sq + term * term
    return total * prod - sq


@inputs((0.6,), (-0.3,))
def prog_loop_carried_pair(x):
    """Two carried variables updated together each iteration (a rotation)."""
    c, s = 1.0, 0.0
    for i in range(6):
        c, s = c * math.cos(x) - s * math.sin(x), s * math.cos(x) + c * math.sin(x)
    return c + 2.0 * s


@inputs((0.5, 3), (0.5, 6), (1.4, 2))
def prog_loop_with_branch(x, n):
    """A branch on the (integer) loop index inside the loop."""
    y = x
    for i in range(n):
        if i % 2 == 0:
            y = y + math.sin(y)
        else:
            y = y * 0.7
    return y


@inputs((0.5,), (1.2,), (-0.4,))
def prog_loop_branch_on_data(x):
    """A branch on the carried value inside the loop (different paths per input)."""
    y = x
    for i in range(6):
        if y > 1.0:
            y = y * 0.6
        else:
            y = y + 0.3 * y * y + 0.2
    return y


@inputs((1.1,), (-0.7,))
def prog_loop_augmented_assignment(x):
    """Augmented assignments (+=, *=, -=, /=) on carried variables."""
    s = 0.0
    p = 1.0
    for i in range(1, 5):
        s += x / i
        p *= 1.0 + x / (i * 3.0)
        s -= 0.1 * p
        p /= 1.01
    return s + p


@inputs((0.4,), (1.9,))
def prog_loop_inactive_counter(x):
    """A float counter that does not depend on x, next to an active variable."""
    t = 0.0
    y = x
    for i in range(5):
        t = t + 0.25
        y = y + t * math.exp(-y * t)
    return y


@inputs((0.45, 0.2),)
def prog_loop_variable_unused_after(x, y):
    """The loop variable shadows nothing; a temporary in the body dies each iteration."""
    out = 0.0
    for i in range(3):
        tmp = x * y + i
        tmp2 = tmp * tmp
        out = out + tmp2 - tmp
    return out


@inputs((0.7, 3), (-0.2, 5))
def prog_reversed_range(x, n):
    """`for i in reversed(range(n))`."""
    s = x
    for i in reversed(range(n)):
        s = s * 0.5 + i * math.sin(s)
    return s


@inputs((0.7,), (-1.1,))
def prog_variable_defined_in_loop(x):
    """A variable first assigned inside the loop is read after it."""
    for i in range(3):
        y = x * i + math.cos(x)
    return y * x


@inputs((0.7,), (1.6,))
def prog_loop_index_after_loop(x):
    """The loop index keeps its last value after the loop (a `pass` body)."""
    for i in range(4):
        pass
    return x * i + x * x


@inputs((0.7, -0.2), (-0.3, 0.4))
def prog_max_and_abs_in_loop(x, y):
    """Builtins `max` and `abs` on active values inside a loop."""
    s = 0.0
    for i in range(3):
        s = s + max(x * i, y) + abs(x - y * (i + 0.5))
    return s


@inputs((0.7,), (0.45,))
def prog_trip_count_from_active_value(x):
    """The trip count is `int(...)` of an active value (not differentiated)."""
    n = int(x * 5.0)
    s = x
    for i in range(n):
        s = s * 1.1 + 0.01 * s * s
    return s


@inputs((0.7,), (-0.4,))
def prog_nested_loops_temporary_defined_before(x):
    """Nested loops whose inner-body temporary is also assigned before the
    loops (the working twin of bugs.prog_bug_nested_loop_temporary)."""
    s = 0.0
    t = 0.0
    for i in range(2):
        for j in range(3):
            t = x * j + i
            s = s + t * t
    return s + t


WEIGHTS = (0.5, -1.0, 2.0)
DECAY = 0.9


@inputs((0.7,), (-0.3,))
def prog_loop_over_module_constant(x):
    """`for w in WEIGHTS` over a module-level tuple of constants."""
    s = x
    for w in WEIGHTS:
        s = s * w + math.sin(s)
    return s


@inputs((0.7,), (1.9,))
def prog_module_constant_copied_to_local(x):
    """A module-level constant copied to a local (`rate = DECAY`) before a loop."""
    rate = DECAY
    y = x
    for i in range(4):
        y = rate * y + math.cos(y)
    return y


@inputs((0.7, 3), (0.7, 0), (-0.2, 1))
def prog_loop_target_keeps_value_on_zero_trips(x, n):
    """The loop target keeps its previous value when the loop runs zero times."""
    k = 0
    y = x
    for k in range(n):
        y = y * 1.2 + k * 0.1
    return y * (k + 1)
