"""`break`, `continue` and `return` anywhere: inside branches, loops and
nested loops, several returns."""

import math

import numpy as np

from . import inputs


@inputs((0.3,), (-1.5,), (2.0,))
def prog_several_returns(x):
    """Three `return`s at the top level of if/elif/else."""
    if x < -1.0:
        return -x * x
    elif x < 1.0:
        return math.sin(x)
    else:
        return math.log(x) + 1.0


@inputs((0.5,), (1.7,), (-1.0,))
def prog_nested_return_in_branch(x):
    """A `return` inside a nested `if`, falling through to a final return."""
    if x > 0.0:
        y = x * 2.0
        if y > 3.0:
            return y * x
    return x * x + 1.0


@inputs((0.4,), (2.5,))
def prog_return_before_tail(x):
    """An early `return` guarded by an `if`, then more statements."""
    y = math.exp(x)
    if y > 10.0:
        return y
    z = y * x
    z = z + math.sin(z)
    return z


@inputs((0.3,), (1.5,), (5.0,))
def prog_break_in_for(x):
    """`break` out of a `for` when the accumulated value passes a limit."""
    s = 0.0
    for i in range(10):
        if s > 2.0:
            break
        s = s + x * (i + 1) * 0.25
    return s * x


@inputs((0.7,), (-0.3,))
def prog_continue_in_for(x):
    """`continue` skips the rest of the body on even indices."""
    s = x
    for i in range(7):
        if i % 2 == 0:
            continue
        s = s + math.sin(s * i)
    return s


@inputs((0.3,), (2.9,), (0.8,))
def prog_return_inside_for(x):
    """A `return` from inside a loop once the value grows past a limit."""
    for i in range(5):
        if x > 3.0:
            return x * (i + 1)
        x = x * 1.3
    return -x


@inputs((0.2,), (0.9,), (1.6,))
def prog_return_inside_nested_loops(x):
    """A `return` from the inner of two nested loops."""
    s = x
    for i in range(4):
        for j in range(3):
            s = s * 1.1 + 0.1 * j
            if s > 2.0:
                return s * i + x
    return s


@inputs((0.5,), (3.0,))
def prog_break_in_while_true(x):
    """`while True` that ends with a `break` (a do-while loop)."""
    y = x
    while True:
        y = y * 1.2 + 0.3
        if y > 4.0:
            break
    return y


@inputs((0.6,), (1.3,))
def prog_continue_in_while(x):
    """`continue` inside a `while` with a counter incremented before it."""
    k = 0
    s = 0.0
    while k < 8:
        k = k + 1
        if k % 3 == 0:
            continue
        s = s + x ** 2 / k
    return s


@inputs((0.5,), (1.2,))
def prog_break_inner_loop_only(x):
    """`break` leaves only the inner loop; the outer one keeps going."""
    total = 0.0
    for i in range(4):
        y = x
        for j in range(10):
            y = y * 1.5
            if y > 2.0 + i:
                break
        total = total + y
    return total


@inputs((0.8,), (-0.6,))
def prog_break_and_continue(x):
    """Both `continue` and `break` in one loop body."""
    s = 0.0
    for i in range(12):
        if i % 3 == 1:
            continue
        s = s + x * math.cos(i * 0.5)
        if i > 8:
            break
    return s


@inputs((0.3,), (1.4,))
def prog_return_in_while(x):
    """A `return` from inside a `while` loop body."""
    y = x
    n = 0
    while n < 10:
        y = y + y * y * 0.5
        if y > 3.0:
            return y - n
        n = n + 1
    return y


@inputs((0.6,), (-0.6,))
def prog_return_none_path_avoided(x):
    """A `return` in each branch of an if/else at the end of the function."""
    y = x * x
    if x > 0:
        z = math.sqrt(y) * 3.0
        return z + y
    else:
        return y - x


@inputs((0.7,), (3.0,))
def prog_break_on_first_iteration(x):
    """A `break` that may fire before any update."""
    s = x
    for i in range(5):
        if s > 2.0:
            break
        s = s * 1.5
    return s


@inputs((0.7, 0), (0.7, 3), (1.7, 4))
def prog_break_with_zero_trips(x, n):
    """A loop with `break` that may run zero times."""
    s = x
    for i in range(n):
        s = s * 1.5
        if s > 2.0:
            break
    return s * x


@inputs((0.7,), (1.9,))
def prog_break_in_else_branch(x):
    """`break` in the `else` branch, more work after the `if`."""
    s = x
    for i in range(6):
        if s < 2.0:
            s = s * 1.3
        else:
            break
        s = s + 0.01
    return s


@inputs((0.7,), (1.9,))
def prog_return_in_else_inside_loop(x):
    """`return` in the `else` branch inside a loop."""
    s = x
    for i in range(6):
        if s < 2.0:
            s = s * 1.3
        else:
            return s * i
        s = s + 0.01
    return -s


@inputs((0.5,), (1.1,))
def prog_return_from_while_inside_for(x):
    """A `return` from a `while` nested in a `for`."""
    s = x
    for i in range(3):
        k = 0
        while k < 4:
            s = s * 1.2
            if s > 2.5:
                return s + i + k
            k = k + 1
    return s


@inputs((0.5,), (1.1,))
def prog_continue_in_inner_loop(x):
    """`continue` in the inner of two nested loops."""
    s = x
    for i in range(3):
        for j in range(3):
            if j == i:
                continue
            s = s + x * j * 0.1
        s = s * 0.9
    return s


@inputs((0.55,), (1.1,))
def prog_variable_defined_before_break(x):
    """A variable first assigned in the loop, read after the `break`."""
    for i in range(5):
        y = x * (i + 1)
        if y > 2.0:
            break
    return y * x


@inputs((0.55,), (1.1,), (3.1,))
def prog_nested_returns_in_loop(x):
    """Two `return`s in nested `if`s inside a loop, a third at the end."""
    total = 0.0
    for i in range(4):
        total = total + x * i
        if total > 3.0:
            if x > 2.0:
                return total * 2.0
            return total
    return total * x


@inputs((0.3,), (0.9,))
def prog_break_outer_via_flag(x):
    """Leaving two nested loops: `break` the inner one, test a flag in the outer."""
    s = x
    done = False
    for i in range(4):
        for j in range(4):
            s = s * 1.1
            if s > 1.5:
                done = True
                break
        if done:
            break
    return s


@inputs((0.4,), (1.5,))
def prog_continue_and_break_in_while_true(x):
    """`while True` with both `continue` and `break`."""
    s = x
    k = 0
    while True:
        k = k + 1
        if k > 6:
            break
        if k % 2 == 0:
            continue
        s = s * 1.1 + 0.1
    return s


@inputs((0.3,), (-0.9,))
def prog_return_in_first_iteration(x):
    """A loop whose body always returns."""
    for i in range(3):
        return x * 2.0 + i
    return x


@inputs((0.4,), (1.5,))
def prog_return_then_loop(x):
    """An early top-level `return`, then a loop in the rest of the function."""
    if x > 1.0:
        return x * x
    s = x
    for i in range(3):
        s = s + math.sin(s)
    return s


@inputs((0.5,), (2.5,))
def prog_return_in_loop_of_nested_def(x):
    """A nested function whose loop returns early, called twice."""
    def find(t):
        for k in range(5):
            if t > 2.0:
                return t * k
            t = t * 1.5
        return t
    return find(x) + find(x * 0.5)


@inputs((np.array([[0.2, 0.1], [0.5, 0.9], [1.5, 0.3]]),),
        (np.array([[0.2, 0.1], [0.5, 0.9], [0.7, 0.3]]),))
def prog_break_over_array_rows(m):
    """`break` out of a loop over the rows of an array."""
    acc = 0.0
    for row in m:
        if row[0] > 1.0:
            break
        acc = acc + row[0] * row[1]
    return acc


@inputs((0.7, 1.3), (0.7, 0.3))
def prog_return_inside_enumerate(x, y):
    """A `return` from a loop over `enumerate(...)`."""
    for i, v in enumerate([x, y, x * y]):
        if v > 1.0:
            return v * i
    return x


@inputs((0.7, 1.3), (0.2, 0.3))
def prog_continue_inside_zip(x, y):
    """`continue` in a loop over `zip(...)` on a constant weight."""
    s = 0.0
    for a, b in zip([x, y, x * y], [1.0, -1.0, 2.0]):
        if b < 0:
            continue
        s = s + a * b
    return s


@inputs((0.4,), (1.2,))
def prog_return_from_while_true_in_nested_def(x):
    """A nested def whose `while True` loop ends with a `return`."""
    def grow(t):
        while True:
            t = t * 1.5
            if t > 2.0:
                return t
    return grow(x) * x


@inputs((0.4,), (1.2,))
def prog_helper_with_returns_of_tuples_in_loop(x):
    """A helper returning a tuple from inside a loop or after it."""
    a, b = split_when_large(x)
    return a * b + a


def split_when_large(t):
    for k in range(5):
        if t > 1.0:
            return t, float(k)
        t = t * 1.4
    return t, -1.0
