"""Closures and nested functions: nested `def`s and lambdas reading the
enclosing function's variables (active or not), and functions made by a
factory at module level that capture a constant."""

import math

import numpy as np

from . import bug, inputs
def make_scaler(k):
    def scaled(x):
        return k * x * x
    return scaled


def make_damper(rate):
    return lambda x: x * math.exp(-rate * x)


def make_program(a, b):
    """A factory whose product is itself a test program."""
    def program(x):
        """A program made by a factory: captures the constants a and b."""
        y = a * x + b
        return y * math.sin(y)
    return program


triple = make_scaler(3.0)
damp = make_damper(0.5)


@inputs((0.6, 1.3), (-0.4, 0.2))
def prog_nested_def_reads_active(x, w):
    """A nested `def` reading an active variable (w) of the enclosing function."""
    def model(t):
        return w * t + math.sin(w * t)
    return model(x) + model(2.0 * x)


@inputs((0.6,), (-1.4,))
def prog_nested_def_reads_inactive(x):
    """A nested `def` reading a constant computed in the enclosing function."""
    c = 0.5
    n = 3

    def f(t):
        return c * t ** n + t
    return f(x) * f(0.5 * x)


@inputs((0.3, 2.0), (1.1, -0.5))
def prog_lambda_reads_enclosing(x, a):
    """A lambda reading an active enclosing variable."""
    g = lambda t: a * t * t + t
    return g(x) + g(a)


@inputs((0.8,), (-0.2,))
def prog_lambda_without_capture(x):
    """A lambda that reads only its own argument."""
    sq = lambda t: t * t
    return sq(x) + sq(math.sin(x))


@inputs((0.4,), (1.7,))
def prog_factory_closure(x):
    """Functions made by module-level factories, capturing constants."""
    return triple(x) + damp(x)


@inputs((0.3, 3), (1.2, 5))
def prog_nested_def_in_loop(x, n):
    """A nested `def` called on the carried value in a loop."""
    def step(t):
        return t + 0.2 * math.cos(t)
    y = x
    for i in range(n):
        y = step(y)
    return y * x


@inputs((0.5,), (2.0,))
def prog_nested_def_default_argument(x):
    """A nested `def` with a default argument, called with and without it."""
    def f(t, p=2.0):
        return t ** p
    return f(x) + f(x, 3.0) + f(x, p=0.5)


@inputs((0.5, 0.25), (1.5, -0.75))
def prog_nested_def_returns_tuple(x, y):
    """A nested `def` returning a tuple, unpacked by the caller."""
    def both(t):
        return t * y, t + y
    a, b = both(x)
    return a * b


@inputs((0.7,), (-0.9,))
def prog_nested_def_reads_updated_variable(x):
    """A nested function reads the *current* value of a variable reassigned
    after the `def`."""
    k = x

    def f(t):
        return k * t
    first = f(1.0)
    k = x * x
    return first + f(2.0)


@inputs((0.45,), (1.3,))
def prog_nested_def_with_branch_and_loop(x):
    """A nested `def` with its own branch and loop."""
    def f(t):
        s = 0.0
        for i in range(3):
            if t > 1.0:
                s = s + math.log(t) * i
            else:
                s = s + t * t * i
        return s
    return f(x) + x


@inputs((0.5,), (1.4,))
def prog_lambda_in_comprehension_sum(x):
    """A lambda applied inside a generator expression feeding `sum`."""
    f = lambda t: math.exp(-t * x)
    return sum(f(k * 0.5) for k in range(4))


prog_factory_made_program = inputs((0.3,), (-1.1,))(make_program(2.0, 0.5))


def make_array_model(a):
    def model(x):
        return x * a[0] + x * x * a[1]
    return model


def make_power(n):
    def power(x):
        y = 1.0
        for i in range(n):
            y = y * x
        return y
    return power


def compose(f, g):
    def h(x):
        return f(g(x))
    return h


linear_quadratic = make_array_model(np.array([0.5, 2.0]))
cube = make_power(3)
cube_of_model = compose(cube, linear_quadratic)


@inputs((0.7,), (-0.5,))
def prog_nested_def_reads_carried_variable(x):
    """A nested function reads a variable that a loop keeps updating."""
    y = x

    def f(t):
        return t * y
    for i in range(3):
        y = f(1.5) + 0.1
    return y


@inputs((0.7,), (1.2,))
def prog_lambda_default_argument(x):
    """A lambda with a default argument, called with and without it."""
    k = x * 2.0
    f = lambda t, k=1.5: t * k
    return f(x) + f(x, k)


@inputs((0.7,), (-0.3,))
def prog_lambda_in_loop_reads_index(x):
    """A lambda defined in a loop body reads the loop index."""
    s = 0.0
    for i in range(3):
        f = lambda t: t * i + t * t
        s = s + f(x)
    return s


@inputs((0.7, 1.1), (-0.6, 0.4))
def prog_nested_def_parameter_shadows(x, y):
    """A nested function whose parameter shadows an enclosing variable."""
    def f(x):
        return x * y
    return f(y) + f(x) * x


@inputs((0.7, 1.1), (-0.6, 0.4))
def prog_two_nested_defs(x, y):
    """Two nested functions, each reading a different enclosing variable."""
    def f(t):
        return t * y
    def g(t):
        return t + x
    return f(x) * g(y)


@inputs((0.7, 1.1), (-0.6, 0.4))
def prog_nested_def_redefined(x, y):
    """A nested function redefined half-way: later calls use the new body."""
    def f(t):
        return t * y
    a = f(x)

    def f(t):
        return t + y
    return a * f(x)


@inputs((0.7,), (-0.9,))
def prog_factory_closures_capturing_array_and_int(x):
    """Factory closures capturing an array, an int (with a loop) and two
    functions (composition)."""
    return linear_quadratic(x) + cube(x) + cube_of_model(x)


@inputs((0.7,), (1.4,))
def prog_nested_def_calls_factory_closure(x):
    """A nested def that calls a factory-made closure."""
    def g(t):
        return cube(t) + t
    return g(x) * x


@inputs((0.7, 1.2), (-0.3, 0.5))
def prog_nested_def_tuple_step_in_loop(x, y):
    """A nested def returning a tuple, unpacked into two carried variables."""
    def step(a, b):
        return b, a + 0.1 * b
    a, b = x, y
    for i in range(4):
        a, b = step(a, b)
    return a * b


