"""`while` loops whose trip count is known only at run time."""

import math

from . import inputs


@inputs((0.5,), (3.0,), (12.0,))
def prog_grow_until_limit(x):
    """Multiply until a threshold is passed: 0, 1 or many iterations."""
    y = x
    while y < 10.0:
        y = y * 1.5 + 0.1
    return y


@inputs((0.3,), (2.4,))
def prog_while_with_counter(x):
    """A counter and a data-dependent condition combined with `and`."""
    i = 0
    s = x
    while i < 20 and s < 4.0:
        s = s + math.sin(s) * 0.5 + 0.1
        i = i + 1
    return s * x


@inputs((2.0,), (0.5,), (7.3,))
def prog_newton_until_converged(a):
    """Newton's method for sqrt(a) until the step is tiny (run-time trip count)."""
    x = a + 1.0
    step = 1.0
    while abs(step) > 1e-14 * x:
        new = 0.5 * (x + a / x)
        step = new - x
        x = new
    return x


@inputs((0.9,), (1.1,), (5.0,))
def prog_halving_while(x):
    """Halve until below one; a second variable counts the scale in floats."""
    y = x
    scale = 1.0
    while y > 1.0:
        y = y * 0.5
        scale = scale * 2.0
    return y * y * scale + y


@inputs((0.2, 1.0), (0.7, 3.0))
def prog_while_two_inputs(x, limit):
    """The condition compares two active values (the limit is differentiated too)."""
    t = x
    while t * t < limit:
        t = t + 0.3 * x + 0.05
    return t + limit * x


@inputs((0.4,), (-0.4,))
def prog_while_zero_trips(x):
    """A `while` that never runs for these inputs: the value passes through."""
    y = x * 3.0
    while y > 100.0:
        y = y - 1.0
    return y * y


@inputs((1.3,), (0.6,))
def prog_while_branch_in_body(x):
    """A branch inside a `while` on the loop state."""
    y = x
    n = 0
    while n < 6:
        if y > 1.0:
            y = math.sqrt(y)
        else:
            y = y + 0.4 * y
        n = n + 1
    return y


@inputs((0.8,), (2.6,))
def prog_while_not_condition(x):
    """`while not ...:` loop condition."""
    y = x
    while not y > 5.0:
        y = y * y + 1.0
    return y


@inputs((0.37,), (1.9,))
def prog_while_chained_condition(x):
    """A chained comparison as the loop condition."""
    y = x
    k = 0
    while 0.0 < y < 3.0 and k < 50:
        y = y * 1.3 + 0.05
        k += 1
    return y - x


@inputs((0.25, 3), (0.25, 8), (1.5, 5))
def prog_while_counting_down(x, n):
    """A count-down `while n > 0` over an integer argument."""
    y = x
    while n > 0:
        y = y + math.cos(y) / n
        n = n - 1
    return y


@inputs((0.7,), (2.9,))
def prog_while_condition_calls_helper(x):
    """The loop condition calls a nested function."""
    def big(t):
        return t * t > 5.0
    while not big(x):
        x = x * 1.4
    return x


@inputs((0.7,),)
def prog_while_builds_list(x):
    """`while len(xs) < 5` appending to a list read in the body."""
    xs = [x]
    while len(xs) < 5:
        xs.append(xs[-1] * 1.1 + 0.1 * x)
    return xs[-1] + xs[2]


@inputs((0.4,), (1.5,))
def prog_while_search_flag(x):
    """A `found` flag in the condition instead of `break`."""
    found = False
    s = x
    i = 0
    while i < 5 and not found:
        s = s * 1.3
        if s > 2.0:
            found = True
        i = i + 1
    if found:
        return s
    return -s


@inputs((0.7,), (2.5,))
def prog_while_in_helper_called_in_for(x):
    """A helper with a `while` loop, called from a `for` loop."""
    s = 0.0
    for i in range(3):
        s = s + grow_past(x + i * 0.3, 3.0)
    return s


def grow_past(t, limit):
    while t < limit:
        t = t * 1.4 + 0.05
    return t
