"""Side effects: print is kept, other discarded calls and mutations are refused."""

import math

import numpy as np

from wengert import UnsupportedSyntaxError

from . import accepts, rejects


class Box:
    value = 0.0


@accepts(1.5, expect=3.0, note="print is allowed and kept in the generated code")
def print_is_kept(x):
    print("x is", x)
    return x * x


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="discarded")
def discarded_call(x):
    math.sin(x)  # <-- here
    return x * x


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="discarded")
def discarded_numpy_call(x):
    np.exp(x)  # <-- here
    return x


@rejects(UnsupportedSyntaxError, 1.5, col=4, message=".extend")
def list_method_as_statement(x):
    xs = [x]
    xs.extend([x])  # <-- here
    return xs[0]


@accepts(1.5, expect=2.0 * 1.5 + 1.0)
def list_append_is_supported(x):
    xs = [x]
    xs.append(x * x)
    return xs[0] + xs[1]


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="attribute")
def attribute_assignment(x):
    b = Box()
    b.value = x  # <-- here
    return x


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="attribute")
def attribute_augmented_assignment(x):
    b = Box()
    b.value += x  # <-- here
    return x


@rejects(UnsupportedSyntaxError, np.array([1.0, 2.0, 3.0]), col=4)
def mutate_input_array(x):
    x[0] = 1.0  # <-- here
    return np.sin(x)[1]


@rejects(UnsupportedSyntaxError, np.array([1.0, 2.0, 3.0]), col=4)
def mutate_input_array_augmented(x):
    x[1] += 1.0  # <-- here
    return x[1] * x[1]


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="exec")
def exec_call(x):
    exec("y = x")  # <-- here
    return x


@rejects(UnsupportedSyntaxError, 1.5, col=11, message="eval")
def eval_call(x):
    return eval("x * x")  # <-- here
