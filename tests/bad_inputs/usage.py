"""Misuse of the API: bad ``wrt``, non-scalar outputs, unknown modes."""

import numpy as np

from wengert import UsageError

from . import accepts, rejects


def _square(x):
    return x * x


rejects(UsageError, 1.5, name="wrt_names_no_parameter", wrt="y", located=False,
        at_grad=True, message="`y` is not a parameter")(_square)
rejects(UsageError, 1.5, name="wrt_out_of_range", wrt=3, located=False, at_grad=True,
        message="out of range")(_square)
rejects(UsageError, 1.5, name="wrt_not_a_name_or_position", wrt=1.0, located=False,
        at_grad=True)(_square)
rejects(UsageError, 1.5, name="wrt_bool", wrt=True, located=False, at_grad=True,
        note="True is an int, but not a position")(_square)


@rejects(UsageError, np.array([1.0, 2.0]), located=False, message="scalar output",
         note="raised at call time, when the output's shape is known")
def returns_array(x):
    return x * 2.0


@rejects(UsageError, 1.5, located=False, message="scalar output")
def returns_tuple(x):
    return x, x * 2.0


@rejects(UsageError, 1.5, located=False, message="shape (2,)",
         note="both modes say `shape (2,)` (reverse mode once said `shape (-2,)`, the "
              "internal sequence kind)")
def returns_tuple_message(x):
    return x, x * 2.0


@rejects(UsageError, 1.5, located=False)
def returns_nothing(x):
    y = x * x


@accepts(1.5, wrt="x", expect=3.0)
def wrt_by_name(x):
    return x * x


@accepts(1.5, 2.0, wrt=-1, expect=1.5)
def wrt_negative_position(x, y):
    return x * y


@accepts(1.5, 2.0, wrt=("y", 0), expect=(1.5, 2.0))
def wrt_tuple_mixed(x, y):
    return x * y


@accepts(1.5, wrt=(0,), expect=(3.0,), note="a tuple wrt gives a tuple, even of one")
def wrt_one_tuple(x):
    return x * x
