"""List comprehensions and generator expressions, mostly feeding `sum`."""

import math

import numpy as np

from . import bug, inputs
from .bugs import NESTED_LOOP_PENDING_ADJOINT


@inputs((0.5,), (-1.3,))
def prog_sum_of_generator(x):
    """`sum(... for k in range(n))`: a truncated Taylor series of exp(x)."""
    return sum(x ** k / math.factorial(k) for k in range(8))


@inputs((0.4, 1.1), (1.2, -0.6))
def prog_list_comprehension_then_index(x, y):
    """A list comprehension whose elements are read back by index."""
    terms = [math.sin(x * k) + y for k in range(4)]
    return terms[1] * terms[3] - terms[-2]


@inputs((0.7,), (-0.2,))
def prog_comprehension_with_condition(x):
    """A comprehension with an `if` filter on the (inactive) index."""
    return sum([x * k for k in range(10) if k % 3 != 0])


@inputs((0.3, 0.8), (1.0, -1.0))
def prog_nested_comprehension(x, y):
    """Two `for` clauses in one comprehension (a double sum)."""
    return sum(x ** i * y ** j for i in range(3) for j in range(3))


@inputs((0.5, 0.25), (1.5, -0.5))
def prog_comprehension_over_zip(x, y):
    """A comprehension over `zip` of two lists: a dot product."""
    a = [x, y, x * y]
    b = [y, 1.0, x]
    return sum(u * v for u, v in zip(a, b))


@inputs((0.5, 0.25), (1.5, -0.5))
def prog_comprehension_over_enumerate(x, y):
    """A comprehension over `enumerate` of a list."""
    a = [x, y, x * y, x + y]
    return sum((i + 1) * v * v for i, v in enumerate(a))


@inputs((np.array([0.5, -0.2, 1.3]),), (np.array([2.0, 0.1, -0.7]),))
def prog_comprehension_over_array(x):
    """A generator over the elements of a 1-D array."""
    return sum(math.exp(-v * v) * v for v in x)


@inputs((0.6,), (1.7,))
def prog_comprehension_reads_enclosing(x):
    """A comprehension reading an enclosing active variable besides its own."""
    scale = math.exp(-x)
    values = [scale * k + x for k in range(1, 4)]
    return sum(values) * values[0]


@inputs((0.6,), (-0.9,))
def prog_comprehension_of_comprehension(x):
    """A comprehension iterating over the list another one built."""
    first = [x * k for k in range(4)]
    second = [math.tanh(v) for v in first]
    return sum(second)


@inputs((0.45,), (1.2,))
def prog_comprehension_conditional_expression(x):
    """A conditional expression inside the comprehension's element."""
    return sum(x * k if k % 2 == 0 else -x * x for k in range(5))


@inputs((0.8,), (-0.3,))
def prog_comprehension_index_variable_not_leaked(x):
    """The comprehension variable does not overwrite a local of the same name."""
    k = x * 2.0
    s = sum(k * x for k in range(3))
    return s + k


@inputs((0.7,), (-0.4,))
def prog_comprehension_in_loop(x):
    """A list comprehension inside a loop, over the carried value."""
    s = x
    for i in range(3):
        s = sum([s * k for k in range(1, 3)]) * 0.3 + x
    return s


@inputs((0.7,), (1.6,))
def prog_sum_with_start(x):
    """`sum(xs, start)` with an active start value."""
    return sum([x, x * x], 1.5) * sum((x, 2.0), x)


@inputs((0.7,), (-0.6,))
def prog_generator_in_loop_reads_index(x):
    """A generator expression in a loop body reading the loop index."""
    s = 0.0
    for i in range(3):
        s = s + sum(x * j * i + math.sin(x * j) for j in range(3))
    return s


@inputs((0.7,), (1.3,))
def prog_comprehension_in_nested_def(x):
    """A comprehension inside a nested function."""
    def f(t):
        return sum([t ** k for k in range(3)])
    return f(x) * x


@inputs((0.7,), (-0.5,))
def prog_generator_over_appended_list(x):
    """A generator over a list that a loop built with `append`."""
    xs = []
    for i in range(4):
        xs.append(x ** i)
    return sum(v * v for v in xs)
