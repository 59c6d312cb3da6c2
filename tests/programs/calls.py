"""Calls to user functions: positional, keyword and default arguments,
keyword-only parameters, helpers from another module, helpers returning
tuples, recursion."""

import math

from . import helpers, inputs
from .helpers import damped_steps, poly, polar, softplus


def square_plus(x, c):
    return x * x + c


def weighted(x, y, w=0.25):
    return w * x + (1.0 - w) * y


def min_max(a, b):
    if a < b:
        return a, b
    return b, a


def power(x, n):
    """x ** n by recursion on the integer n."""
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def fast_power(x, n):
    """x ** n by recursive squaring (two recursive shapes)."""
    if n == 0:
        return 1.0
    if n % 2 == 0:
        h = fast_power(x, n // 2)
        return h * h
    return x * fast_power(x, n - 1)


def even_sum(x, n):
    if n == 0:
        return x
    return odd_sum(x * 0.5 + 1.0, n - 1)


def odd_sum(x, n):
    if n == 0:
        return x * x
    return even_sum(math.sin(x) + x, n - 1)


def depth_sum(x, depth):
    """Recursion through a helper that has a loop inside."""
    if depth == 0:
        return x
    y = damped_steps(x, 3)
    return x + depth_sum(y * 0.9, depth - 1)


@inputs((0.7, 0.2), (-1.1, 3.0))
def prog_positional_call(x, y):
    """A module-level helper called with positional arguments."""
    return square_plus(x, y) * square_plus(y, 1.0)


@inputs((0.5, 1.5), (2.0, -0.5))
def prog_keyword_call(x, y):
    """A helper called with keyword arguments, in another order."""
    return weighted(y=x * x, x=math.sin(y), w=0.4) + weighted(x, y)


@inputs((0.3,), (-1.7,))
def prog_default_arguments(x):
    """Default arguments, some overridden by keyword (helper from another module)."""
    return poly(x) + poly(x, b=2.0) + poly(x, 0.5, c=x)


@inputs((0.3,), (25.0,), (-2.0,))
def prog_cross_module_helper(x):
    """`from .helpers import softplus`: a helper with a branch, from another module."""
    return softplus(x) * softplus(-x) + softplus(2.0 * x)


@inputs((0.4,), (1.8,))
def prog_module_attribute_call(x):
    """A helper called through its module (`helpers.damped_steps(...)`)."""
    return helpers.damped_steps(x, 4) + helpers.scale(x, factor=3.0) + helpers.scale(x)


@inputs((1.0, 0.5), (-0.3, 0.8))
def prog_helper_returns_tuple(x, y):
    """A helper returning a tuple, unpacked at the call site."""
    r, theta = polar(x, y)
    return r * math.cos(theta * 0.5) + theta


@inputs((0.2, 0.9), (0.9, 0.2))
def prog_helper_tuple_with_branch(x, y):
    """A helper with two returns of a tuple, indexed at the call site."""
    pair = min_max(x * 2.0, y)
    return pair[0] * 3.0 + pair[1] * pair[1]


@inputs((0.7, 0), (0.7, 1), (1.3, 5))
def prog_recursion(x, n):
    """Simple recursion: x ** n computed by `power(x, n - 1)`."""
    return power(x, n) + x


@inputs((0.9, 6), (1.1, 7))
def prog_recursion_two_shapes(x, n):
    """Recursive squaring: the recursion path depends on n's bits."""
    return fast_power(x, n)


@inputs((0.4, 3), (0.4, 4), (-0.8, 5))
def prog_mutual_recursion(x, n):
    """Two functions calling each other."""
    return even_sum(x, n)


@inputs((0.6, 2), (1.5, 3))
def prog_recursion_through_loop_helper(x, depth):
    """Recursion through a helper that itself contains a loop."""
    return depth_sum(x, depth)


@inputs((0.5,), (-0.9,))
def prog_nested_calls(x):
    """Calls nested inside calls inside expressions."""
    return square_plus(weighted(softplus(x), x * x), poly(x, a=0.5))


@inputs((0.3, 4), (1.2, 2))
def prog_helper_called_in_loop(x, n):
    """A helper called on the carried value in every iteration."""
    y = x
    for i in range(n):
        y = weighted(y, math.sin(y), w=0.7) + 0.1
    return y


def kwonly(x, *, a=1.0, b=2.0):
    return a * x + b * x * x


def recur_list(x, n):
    """A list built by recursion: [x / 2**n, ..., x / 2, x]."""
    if n == 0:
        return [x]
    rest = recur_list(x * 0.5, n - 1)
    rest.append(x)
    return rest


def nested_recursion(x, m, n):
    """Ackermann-shaped recursion: a recursive call as an argument of another."""
    if m == 0:
        return x + n
    if n == 0:
        return nested_recursion(x * 0.9, m - 1, 1)
    return nested_recursion(nested_recursion(x, m, n - 1) * 0.5, m - 1, 1)


def factorial_scaled(x, n):
    return 1.0 if n == 0 else x * n * factorial_scaled(x, n - 1)


def all_kinds(a, b=2.0, *, c, d=0.5):
    return a * b + c * d


def first_past(t):
    """A helper whose loop returns early."""
    for k in range(10):
        t = t * 1.3
        if t > 2.0:
            return t
    return t


def pair_recursion(x, n):
    """Recursion returning a tuple."""
    if n == 0:
        return x, 1.0
    a, b = pair_recursion(x * 0.9, n - 1)
    return a + b * x, b * 0.5


@inputs((0.7,), (-0.3,))
def prog_keyword_only_parameters(x):
    """Keyword-only parameters with defaults, some passed."""
    return kwonly(x, b=0.5) + kwonly(x, a=x)


@inputs((0.7, 3), (1.2, 0))
def prog_recursion_builds_list(x, n):
    """A recursive helper that builds and appends to a list."""
    xs = recur_list(x, n)
    return sum(xs) * xs[-1]


@inputs((0.7,), (1.3,))
def prog_recursion_as_argument(x):
    """Ackermann-shaped recursion (a recursive call inside a recursive call)."""
    return nested_recursion(x, 2, 2)


@inputs((0.7, 4), (-1.1, 3))
def prog_recursion_in_conditional_expression(x, n):
    """Recursion written as a conditional expression."""
    return factorial_scaled(x, n)


@inputs((0.7, 1.5), (-0.2, 0.3))
def prog_every_kind_of_parameter(x, y):
    """Positional, defaulted, keyword-only and defaulted keyword-only parameters."""
    return all_kinds(x, c=y) + all_kinds(x, y, c=x, d=y)


@inputs((0.7,), (1.8,))
def prog_helper_with_early_return_in_loop(x):
    """A helper whose loop returns early, called on the carried value of a loop."""
    s = x
    for i in range(3):
        s = first_past(s) * 0.8
    return s


@inputs((0.7, 4), (0.7, 0), (-0.4, 2))
def prog_recursion_returning_tuple(x, n):
    """A recursive helper returning a tuple, indexed by the caller."""
    return pair_recursion(x, n)[0] + pair_recursion(x, n)[1] * x


@inputs((0.7,), (2.5,))
def prog_helper_in_condition(x):
    """A helper's result used as a branch condition and as a value."""
    if softplus(x) > 1.0:
        return softplus(x) * x
    return x * x
