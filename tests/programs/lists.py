"""Lists and tuples as local data: literals, `append`, indexing (negative
too), slices, lists built in a loop and read back, tuple unpacking in loops,
`for` over lists and tuples, `enumerate`, `zip`, `reversed`."""

import math

import numpy as np

from . import bug, inputs
from .bugs import ENUMERATE_START, LIST_REPEAT, UNPACK_ARRAY, ZIP_TARGET


@inputs((0.4, 1.3), (-0.8, 0.5))
def prog_list_literal_indexing(x, y):
    """A list literal of expressions, read back by positive and negative index."""
    xs = [x, y, x * y, math.sin(x)]
    return xs[0] * xs[-1] + xs[2] - xs[-3] * xs[1]


@inputs((0.5,), (-1.2,))
def prog_append_in_loop(x):
    """A list built with `append` in a loop, then read back by index."""
    powers = []
    p = 1.0
    for i in range(5):
        powers.append(p)
        p = p * x
    return powers[1] + 2.0 * powers[3] - powers[-1] * powers[2]


@inputs((0.3,), (0.9,))
def prog_list_as_recurrence(x):
    """A list used as a recurrence table: each entry reads the last two."""
    fib = [1.0, x]
    for i in range(6):
        fib.append(fib[-1] + 0.5 * fib[-2] * x)
    return fib[-1]


@inputs((0.2, 0.7), (1.5, -0.3))
def prog_for_over_list(x, y):
    """`for v in xs` over a list literal of active values."""
    s = 0.0
    for v in [x, y, x * y, 2.0]:
        s = s + v * v * 0.5 + math.sin(v)
    return s


@inputs((0.6,), (-0.4,))
def prog_for_over_tuple(x):
    """`for c in (..)` over a tuple of constants, Horner's rule."""
    acc = 0.0
    for c in (0.5, -1.0, 2.0, 0.25):
        acc = acc * x + c
    return acc


@inputs((0.3, 1.2), (-0.7, 0.4))
def prog_enumerate_list(x, y):
    """`for i, v in enumerate(xs)`: index and value used together."""
    xs = [x, y, x + y]
    s = 0.0
    for i, v in enumerate(xs):
        s = s + (i + 1) * v * v
    return s


@inputs((0.3, 1.2), (-0.7, 0.4))
def prog_zip_lists(x, y):
    """`for a, b in zip(xs, ws)`: a weighted sum over two lists."""
    xs = [x, y, x * y]
    ws = [0.5, y, 2.0]
    s = 0.0
    for a, b in zip(xs, ws):
        s = s + a * b
    return s


@inputs((0.3,), (1.1,))
def prog_reversed_list(x):
    """`for v in reversed(xs)`: the order matters (not commutative)."""
    xs = [x, 2.0 * x, 0.5, x * x]
    acc = 0.0
    for v in reversed(xs):
        acc = math.sin(acc) + v
    return acc


@inputs((0.5, 0.2), (-0.3, 1.0))
def prog_tuple_unpacking(x, y):
    """Tuples built and unpacked, including a swap `a, b = b, a`."""
    t = (x * 2.0, y + 1.0, x * y)
    a, b, c = t
    a, b = b, a
    return a * 3.0 + b * b - c


@inputs((0.5,), (1.5,))
def prog_list_of_pairs(x):
    """A list of tuples, unpacked in the loop header."""
    pairs = [(x, 1.0), (x * x, 2.0), (math.exp(-x), 3.0)]
    s = 0.0
    for v, w in pairs:
        s = s + v * w
    return s


@inputs((0.7,), (-0.3,))
def prog_list_slice(x):
    """Slices of a list (`xs[1:]`, `xs[:-1]`) fed to `sum`."""
    xs = [x, x * x, x * x * x, 1.0]
    return sum(xs[1:]) * sum(xs[:-1])


@inputs((0.25, 0.5), (1.0, 2.0))
def prog_nested_lists(x, y):
    """A list of lists indexed twice: a 2x2 "matrix" times a vector."""
    m = [[x, y], [y * y, 1.0]]
    v = [y, x]
    r0 = m[0][0] * v[0] + m[0][1] * v[1]
    r1 = m[1][0] * v[0] + m[1][1] * v[1]
    return r0 * r1


@inputs((0.4, 3), (0.4, 6))
def prog_list_len_loop(x, n):
    """`range(len(xs))` over a list whose length depends on an argument."""
    xs = []
    for i in range(n):
        xs.append(x + i * 0.1)
    s = 0.0
    for i in range(len(xs)):
        s = s + xs[i] * xs[len(xs) - 1 - i]
    return s


@inputs((0.9,), (2.0,))
def prog_list_concatenation(x):
    """Concatenating two lists with `+` and reading across the seam."""
    a = [x, 2.0 * x]
    b = [x * x]
    c = a + b
    return c[0] * c[2] + c[1]


@inputs((np.array([0.3, -0.4, 0.9]),), (np.array([1.2, 0.5, -0.1]),))
def prog_list_of_array_input(x):
    """`list(x)` of an array input, read back by index."""
    xs = list(x)
    return xs[0] * xs[2] + xs[-1]


@inputs((np.array([0.3, -0.4, 0.9]),),)
def prog_unpack_array(x):
    """Tuple unpacking of a 1-D array input: `a, b, c = x`."""
    a, b, c = x
    return a * b + c * c


@inputs((np.array([[0.3, -0.4], [0.9, 0.2]]),),)
def prog_unpack_rows(m):
    """Unpacking the rows of a 2-D array: `r0, r1 = m`."""
    r0, r1 = m
    return sum(r0 * r1) + r0[1]


@inputs((0.7, 1.2), (-0.3, 0.5))
def prog_zip_three_lists(x, y):
    """`zip` over three lists, three targets."""
    a = [x, y]
    b = [y, x]
    c = [1.0, 2.0]
    s = 0.0
    for u, v, w in zip(a, b, c):
        s = s + u * v * w
    return s


@inputs((0.7, 1.2),)
def prog_zip_unequal_lengths(x, y):
    """`zip` stops at the shorter list."""
    a = [x, y, x * y]
    b = [y, x]
    s = 0.0
    for u, v in zip(a, b):
        s = s + u * v
    return s


@inputs((0.7,), (-1.3,))
def prog_list_of_tuples_built_in_loop(x):
    """Tuples appended in one loop, unpacked in the header of another."""
    pairs = []
    for i in range(3):
        pairs.append((x * i, x + i))
    s = 0.0
    for a, b in pairs:
        s = s + a * b
    return s


@inputs((0.7,), (0.3,))
def prog_list_chosen_by_conditional(x):
    """A conditional expression choosing between two list literals."""
    xs = [x, 2.0] if x > 0.5 else [1.0, x]
    return xs[0] * xs[1]


@inputs((0.7, 1.1), (0.2, -0.5))
def prog_list_appended_in_branches(x, y):
    """Each branch of an `if` in a loop appends something different."""
    xs = [x]
    for i in range(4):
        if i % 2 == 0:
            xs.append(xs[-1] * y)
        else:
            xs.append(xs[-1] + y)
    return xs[-1] * xs[1]


@inputs((0.7,), (1.5,))
def prog_tuple_concatenation(x):
    """Concatenating tuples with `+`."""
    t = (x, 2.0) + (x * x,)
    return t[0] * t[2] + t[1]


@inputs((0.7, 1.2), (-0.3, 0.5))
def prog_list_index_from_variable(x, y):
    """Indices held in integer variables, negative ones too."""
    xs = [x, y, x * y]
    k = 1
    s = xs[k] * xs[k + 1]
    return s + xs[-k]


@inputs((0.7, 1.2), (-0.3, 0.5))
def prog_loop_over_list_of_lists(x, y):
    """`for row in m: for v in row:` over a list of lists."""
    m = [[x, y], [y, x * y]]
    s = 0.0
    for row in m:
        for v in row:
            s = s + v * v
    return s


@inputs((0.7,), (-0.4,))
def prog_list_repetition_as_initial_state(x):
    """A state list initialised with `[x] * 3`, then updated by a recurrence."""
    state = [x] * 3
    for i in range(3):
        state.append(state[-1] * 0.5 + state[-3])
    return state[-1]


@inputs((0.7, 1.2),)
def prog_enumerate_from_one(x, y):
    """`enumerate(xs, 1)`: weights starting at one."""
    s = 0.0
    for k, v in enumerate([x, y, x * y], 1):
        s = s + v / k
    return s


@inputs((0.7, 1.2),)
def prog_zip_pairs_indexed(x, y):
    """`for i, (a, b) in enumerate(zip(xs, ws))`: index and a pair per step."""
    xs = [x, y, x * y]
    ws = [0.5, 1.5, 2.0]
    s = 0.0
    for i, (a, w) in enumerate(zip(xs, ws)):
        s = s + (i + 1) * a * w
    return s
