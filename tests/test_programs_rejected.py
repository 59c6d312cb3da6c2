"""Programs outside the supported subset: each is rejected when the
derivative is built, with a `wengert.WengertError` whose message points at
the offending line (`file:line:col`)."""

import inspect
import math
import os
import re
import sys

import numpy as np
import pytest

import wengert

THIS_FILE = os.path.basename(__file__)


def for_else(x):
    for i in range(3):
        x = x * 1.5
    else:
        x = x + 1.0
    return x


def while_else(x):
    while x < 3.0:
        x = x * 1.5
    else:
        x = x + 1.0
    return x


def try_except(x):
    try:
        y = math.log(x)
    except ValueError:
        y = 0.0
    return y


def with_block(x):
    with np.errstate(all="ignore"):
        y = x * 2.0
    return y


def nonlocal_in_nested_def(x):
    total = 0.0

    def add(t):
        nonlocal total
        total = total + t
        return total
    return add(x) * x


COUNTER = 0.0


def global_statement(x):
    global COUNTER
    COUNTER = x
    return x * 2.0


def augmented_subscript_assignment(x):
    xs = [x, x]
    xs[1] += x
    return xs[0] * xs[1]


def star_arguments(x):
    args = (x, 2.0)
    return math.hypot(*args)


def generator_function(x):
    for i in range(3):
        yield x * i


def lambda_passed_as_value(x):
    return apply(lambda t: t * t, x)


def apply(f, x):
    return f(x)


def discarded_expression(x):
    math.sin(x)
    return x


def mutating_method(x):
    xs = [x, 2.0]
    xs.reverse()
    return xs[0]


def mutating_method_assigned(x):
    xs = [x, 2.0]
    _ = xs.reverse()
    return xs[0]


def numpy_out_keyword(x):
    y = np.zeros(1)
    z = np.add(x, 1.0, out=y)
    return y[0]


def del_statement(x):
    ys = [x, x * 2.0]
    del ys[0]
    return ys[0]


def walrus(x):
    if (y := x * 2.0) > 1.0:
        return y
    return x


def fstring(x):
    label = f"{x}"
    return x


def class_in_function(x):
    class Box:
        pass
    return x


REJECTED = [for_else, while_else, try_except, with_block, nonlocal_in_nested_def,
            global_statement, augmented_subscript_assignment,
            star_arguments, generator_function, lambda_passed_as_value,
            discarded_expression, mutating_method, mutating_method_assigned,
            numpy_out_keyword, del_statement, walrus, fstring, class_in_function]
if sys.version_info >= (3, 10):         # `match` is a syntax error before 3.10
    from programs_py310.match_program import match_statement
    REJECTED.append(match_statement)


def function_chosen_by_branch(x):
    # a function value that depends on the path taken: wengert resolves the
    # functions a call denotes when the derivative is built, so it refuses this
    if x > 0.0:
        g = lambda t: 2.0 * t  # noqa: E731
    else:
        g = lambda t: t * t  # noqa: E731
    return g(x)


REJECTED = REJECTED + [function_chosen_by_branch]


@pytest.mark.parametrize("f", REJECTED, ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_rejected_with_location(f, mode):
    line = f.__code__.co_firstlineno
    with pytest.raises(wengert.WengertError) as info:
        wengert.grad(f, mode=mode)(0.7)
    message = str(info.value)
    m = re.search(re.escape(os.path.basename(f.__code__.co_filename)) + r":(\d+):(\d+)", message)
    assert m, f"no file:line:col in: {message}"
    body_end = line + len(inspect.getsourcelines(f)[0])
    assert line <= int(m.group(1)) < body_end, message


def nested_def_with_try(x):
    def g(t):
        try:
            y = math.log(t)
        except ValueError:
            y = 0.0
        return y
    return g(x)


def nested_def_recursion(x):
    def f(t, k):
        if k == 0:
            return t
        return f(t * 1.1, k - 1) + t
    return f(x, 3)


def lambda_without_rule(x):
    k = lambda t: math.frexp(t)[0] * t
    return k(x)


@pytest.mark.parametrize("f", [nested_def_with_try, nested_def_recursion,
                               lambda_without_rule],
                         ids=lambda f: f.__name__)
def test_error_inside_nested_function_points_at_user_source(f):
    test_rejected_with_location(f, "reverse")


def test_generator_function_is_named_as_such():
    with pytest.raises(wengert.WengertError) as info:
        wengert.grad(generator_function)(0.7)
    assert re.search("yield|generator", info.value.message), info.value.message
