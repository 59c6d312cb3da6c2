"""Statements outside the supported subset, and a few inside it that look odd."""

import numpy as np

from wengert import UnsupportedSyntaxError

from . import accepts, rejects

COUNTER = 0.0


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="try")
def try_except(x):
    try:  # <-- here
        y = x * 2.0
    except ValueError:
        y = x
    return y


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="try")
def try_finally(x):
    y = x * x
    try:  # <-- here
        y = y + 1.0
    finally:
        y = y - 1.0
    return y


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="with")
def with_block(x):
    with np.errstate(all="ignore"):  # <-- here
        y = np.log(x)
    return y


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="global")
def global_write(x):
    global COUNTER  # <-- here
    COUNTER = x
    return x * x


@accepts(1.5, expect=3.0)
def global_read(x):
    """Reading a module-level number is fine: it is data, not differentiated."""
    return x * x + COUNTER


@rejects(UnsupportedSyntaxError, 1.5, col=8, message="nonlocal")
def nonlocal_write(x):
    k = 1.0

    def inner(y):
        nonlocal k  # <-- here
        k = y
        return y
    return inner(x) * k


@rejects(UnsupportedSyntaxError, 1.5, col=8, message="`del` of an item")
def del_statement(x):
    ys = [x, x * 2.0]
    del ys[0]  # <-- here
    return ys[0]


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="class")
def class_inside(x):
    class Point:  # <-- here
        pass
    return x * x


@rejects(UnsupportedSyntaxError, -1.5, col=8, message="raise")
def raise_statement(x):
    if x < 0:
        raise ValueError("negative")  # <-- here
    return x


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="import")
def import_inside(x):
    import math  # <-- here
    return math.sin(x)


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="for ... else")
def for_else(x):
    for i in range(3):  # <-- here
        x = x * 1.5
    else:
        x = x + 1.0
    return x


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="while ... else")
def while_else(x):
    k = 0
    while k < 2:  # <-- here
        k = k + 1
    else:
        x = x * 2.0
    return x


@rejects(UnsupportedSyntaxError, 1.5, col=4, at=try_except, message="try",
         note="the error points into the helper, at the construct, not at the call")
def try_in_a_helper(x):
    return try_except(x) * 2.0


@accepts(1.5, expect=2.0 * 1.5)
def assert_statement(x):
    assert x > 0, "x must be positive"
    return x * x


@accepts(1.5, expect=1.0)
def pass_and_docstring(x):
    """A docstring, a pass and a bare constant are no-ops."""
    pass
    ...
    return x


@accepts(1.5, expect=4.0 * 1.5 ** 3)
def annotated_assignment(x):
    y: float = x * x
    z: float
    return y * y


# -- functions that are not plain functions ------------------------------------------


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="generator")
def generator_function(x):
    yield x * x  # <-- here


@rejects(UnsupportedSyntaxError, 1.5, col=8, message="yield")
def generator_yield_value(x):
    y = yield x  # <-- here
    return y


@rejects(UnsupportedSyntaxError, 1.5, col=0, message="async")
async def async_function(x):  # <-- here
    return x * x
