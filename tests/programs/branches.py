"""Branches: if/elif/else, conditional expressions, boolean conditions,
chained comparisons, pass, docstrings, annotations and assert."""

import math

import numpy as np

from . import inputs


@inputs((0.7,), (-1.3,), (2.5,))
def prog_smooth_abs(x):
    """if/else with a different formula in each branch."""
    if x > 0.0:
        y = x * x + 0.5
    else:
        y = 0.5 - 3.0 * x
    return y * math.cos(x)


@inputs((-2.5,), (-0.4,), (0.6,), (1.7,), (4.0,))
def prog_piecewise_polynomial(x):
    """An if/elif/elif/else chain, each branch a different polynomial."""
    if x < -1.0:
        y = -x ** 3
    elif x < 0.0:
        y = x * x + 2.0 * x
    elif x <= 1.5:
        y = math.sin(x) * x
    else:
        y = 0.25 * x ** 4 - x
    return y


@inputs((0.3,), (-1.1,), (2.2,))
def prog_conditional_expression(x):
    """A conditional expression (`a if c else b`) in the middle of a formula."""
    scale = x * 2.0 if x > 0.0 else -x * 0.5
    return scale * math.exp(-x * x) + x


@inputs((-3.0,), (-0.5,), (0.5,), (3.0,))
def prog_nested_conditional_expressions(x):
    """Nested conditional expressions: a three-piece function in one line."""
    return x * x if x < -1.0 else (math.sin(x) if x < 1.0 else 2.0 * math.log(x))


@inputs((0.5, 0.8), (-0.5, 0.8), (0.5, -0.8), (-1.5, -0.3))
def prog_and_or_condition(x, y):
    """A condition combining `and`, `or` over two active inputs."""
    if x > 0.0 and y > 0.0 or x < -1.0:
        z = x * y + x
    else:
        z = x - y * y
    return z


@inputs((0.4,), (-0.9,))
def prog_not_condition(x):
    """`not` in a condition."""
    if not x < 0.0:
        r = math.sqrt(x + 1.0)
    else:
        r = math.exp(x)
    return r * x


@inputs((0.25,), (0.75,), (-0.5,), (1.5,))
def prog_chained_comparison(x):
    """A chained comparison `0 < x < 1` choosing the branch."""
    if 0.0 < x < 1.0:
        y = x * (1.0 - x)
    else:
        y = -0.1 * x * x
    return y + x


@inputs((0.5,), (-0.5,), (2.0,))
def prog_if_without_else(x):
    """An `if` without `else` that updates a variable defined before it."""
    y = x * 3.0
    if x > 1.0:
        y = y * x
    if x < 0.0:
        y = y - x * x * x
    return y


@inputs((1.2, 0.4), (0.3, -0.7), (-2.0, 0.1))
def prog_branch_on_second_argument(x, y):
    """The branch depends on one input and mixes both."""
    if y > 0.0:
        out = x * math.exp(y)
    else:
        out = x * x * y
    return out + y


@inputs((0.5, 1.5), (1.5, 0.5), (-1.0, 2.0))
def prog_branch_with_tuple_assignment(x, y):
    """Each branch assigns two variables at once (tuple assignment)."""
    if x < y:
        lo, hi = x, y
    else:
        lo, hi = y, x
    return hi * hi - 2.0 * lo + lo * hi


@inputs((0.5, 0), (0.5, 1), (0.5, 2), (-1.25, 1))
def prog_branch_on_integer_mode(x, mode):
    """Branching on an integer argument that is not differentiated."""
    if mode == 0:
        y = math.sin(x)
    elif mode == 1:
        y = math.cos(x) * x
    else:
        y = x ** 3
    return y


@inputs((0.8,), (-0.8,))
def prog_pass_in_branch(x):
    """`pass` as the body of a branch."""
    y = x * x
    if x > 0.0:
        pass
    else:
        y = y + math.sin(x)
    return y


@inputs((0.6, 1.1), (-0.4, 2.3))
def prog_annotations(x: float, y: float = 2.0) -> float:
    """Type annotations on parameters, return and a local (AnnAssign)."""
    total: float = x * y
    scaled: float = total / (1.0 + y * y)
    return scaled + x


@inputs((0.6,), (1.7,))
def prog_assert(x):
    """`assert` on data is kept in the derivative (and does not fire here)."""
    assert x > 0.0, "x must be positive"
    y = math.log(x) * x
    assert y > -1.0
    return y


@inputs((0.7, 0.2), (0.2, 0.7), (-0.3, -0.9))
def prog_max_min_via_branches(x, y):
    """Builtins `max`/`min` on two floats and a branch on their difference."""
    hi = max(x, y)
    lo = min(x, y)
    if hi - lo > 0.4:
        return hi * lo
    return hi + lo * lo


@inputs((0.5,), (-2.0,))
def prog_boolean_variable(x):
    """A condition stored in a variable and reused by two branches."""
    positive = x > 0.0
    a = x * x if positive else -x
    if positive:
        b = math.exp(x)
    else:
        b = 1.0 / (1.0 - x)
    return a * b


@inputs((np.array([0.5, -1.0, 2.0]),), (np.array([-0.5, 1.0, 0.25]),))
def prog_branch_on_array_element(x):
    """Branches on an element of an array input; elementwise NumPy in each."""
    if x[0] > 0.0:
        y = np.sin(x) * x[0]
    else:
        y = np.exp(x) - x[1]
    return y[0] + y[1] * y[2]


@inputs((0.7, 1.3), (-0.4, 0.9))
def prog_and_or_as_values(x, y):
    """`and`/`or` used for their values, not only as conditions."""
    a = x > 0.0 and y
    b = (x < 0.0) or x * y
    return (a + 1.0) * (b + 2.0)


@inputs((0.7,), (-0.7,))
def prog_int_in_one_branch(x):
    """One branch assigns an int, the other a float."""
    if x > 0:
        c = 1
    else:
        c = 2.5
    return c * x + c


@inputs((0.7,), (-1.2,))
def prog_none_default_argument(x, scale=None):
    """The `if scale is None:` idiom for a default argument."""
    if scale is None:
        scale = 2.0
    return x * scale + math.sin(x * scale)


@inputs((0.3, 0.5, 0.9), (0.6, 0.5, 0.9), (0.1, 0.7, 0.4))
def prog_chained_comparison_of_inputs(a, b, c):
    """A chained comparison `a < b < c` between three active inputs."""
    if a < b < c:
        return a * b * c
    return a + b * c


@inputs((0.7, 1), (0.7, 0), (1.4, 1))
def prog_conditional_expression_with_calls(x, n):
    """A conditional expression whose condition mixes `and` with an integer
    argument and whose branches call math functions."""
    y = math.sin(x) if n > 0 and x < 1.0 else math.cos(x)
    return y * x


@inputs((0.7,), (0.3,))
def prog_list_truthiness(x):
    """`if xs:` on a list that may or may not have been appended to."""
    xs = []
    if x > 0.5:
        xs.append(x * x)
    if xs:
        return xs[0] * 2.0
    return x


@inputs((0.7,), (-2.0,))
def prog_chained_assignment(x):
    """`a = b = expr`, then the two names diverge."""
    a = b = x * 2.0
    a = a + 1.0
    return a * b
