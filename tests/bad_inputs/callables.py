"""What wengert is asked to differentiate: builtins, C functions, lambdas,
methods, partials, decorated functions, functions without source."""

import functools
import math
import operator
import sys

import numpy as np

from wengert import NoRuleError, SourceUnavailableError, UnsupportedSyntaxError, UsageError

from . import accepts, rejects

# -- callables that are not Python functions -----------------------------------

rejects(UsageError, 1.5, name="math_sin", located=False, at_grad=True)(math.sin)
rejects(UsageError, 1.5, name="numpy_ufunc", located=False, at_grad=True)(np.sin)
rejects(UsageError, [1.0], name="builtin_len", located=False, at_grad=True)(len)


class Scaler:
    def __init__(self, k):
        self.k = k

    def apply(self, x):
        return self.k * x * x

    @staticmethod
    def cube(x):
        return x * x * x

    @classmethod
    def square(cls, x):
        return x * x


accepts(1.5, expect=2 * 2.0 * 1.5, name="bound_method",
        note="the function's derivative with the instance held (self.k is read, not "
             "differentiated)")(Scaler(2.0).apply)
accepts(1.5, expect=2 * 1.5, name="classmethod",
        note="bound to its class like a method")(Scaler.square)
accepts(1.5, expect=3 * 1.5 ** 2, name="staticmethod",
        note="a staticmethod is a plain function")(Scaler.cube)


def _scaled_square(x, a):
    return a * x * x


def _scaled_square_a_first(a, x):
    return a * x * x


accepts(1.5, expect=2 * 3.0 * 1.5, name="functools_partial",
        note="the function's derivative with the partial's arguments held")(
    functools.partial(_scaled_square, a=3.0))
accepts(1.5, expect=2 * 3.0 * 1.5, name="functools_partial_positional",
        note="wrt=0 is the first argument the partial is called with")(
    functools.partial(_scaled_square_a_first, 3.0))


def _passthrough(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):  # <-- here
        return fn(*args, **kwargs)
    return wrapper


def _plain_decorator(fn):
    def wrapper(*args, **kwargs):  # <-- here
        return fn(*args, **kwargs)
    return wrapper


@rejects(UnsupportedSyntaxError, 1.5, col=17, at=_passthrough, message="*args",
         note="what runs is the wrapper, whose *args cannot be differentiated; "
              "differentiate f.__wrapped__ for the undecorated function (parse finds "
              "the wrapper's def by its code's name: functools.wraps renames it)")
@_passthrough
def wrapped_by_functools_wraps(x):
    return x * x * math.sin(x)


@rejects(UnsupportedSyntaxError, 1.5, col=17, at=_plain_decorator, message="*args")
@_plain_decorator
def wrapped_by_plain_decorator(x):
    return x * x * math.sin(x)


accepts(1.5, expect=2.0 * 1.5 * math.sin(1.5) + 1.5 ** 2 * math.cos(1.5),
        name="undecorated_via_wrapped")(wrapped_by_functools_wraps.__wrapped__)


# -- lambdas ----------------------------------------------------------------------

cube = lambda x: x * x * x                                            # noqa: E731
accepts(1.5, expect=3 * 1.5 ** 2, name="module_lambda")(cube)

first, second = lambda x: x * x, lambda x: x + x                      # noqa: E731
if sys.version_info >= (3, 11):      # told apart by their columns (co_positions)
    accepts(1.5, expect=3.0, name="two_lambdas_one_line")(first)
else:
    rejects(SourceUnavailableError, 1.5, name="two_lambdas_one_line", located=False,
            note="which lambda is meant cannot be told from the line before 3.11")(first)

# -- functions with no source --------------------------------------------------------

_ns: dict = {}
exec("def made_by_exec(x):\n    return x * x\n", _ns)
made_by_exec = _ns["made_by_exec"]
rejects(SourceUnavailableError, 1.5, name="defined_by_exec", located=False)(made_by_exec)


@rejects(SourceUnavailableError, 1.5, col=11)
def calls_function_made_by_exec(x):
    return made_by_exec(x) * 2.0  # <-- here


# -- calls to callables with no rule and no source ----------------------------------

_first_item = operator.itemgetter(0)


@rejects(NoRuleError, 1.5, col=11, message="itemgetter")
def calls_itemgetter(x):
    return _first_item([x, x])  # <-- here


_square_ufunc = np.frompyfunc(lambda a: a * a, 1, 1)


@rejects(NoRuleError, 1.5, col=11, message="defrule")
def calls_frompyfunc(x):
    return _square_ufunc(x)  # <-- here


_square_vectorized = np.vectorize(lambda a: a * a)


@rejects(NoRuleError, 1.5, col=11, message="np.vectorize(a lambda)")
def calls_np_vectorize(x):
    return _square_vectorized(x)  # <-- here


@rejects(NoRuleError, 1.5, col=11, message="math.remainder")
def calls_c_function_without_rule(x):
    return math.remainder(x, 2.0)  # <-- here


@rejects(NoRuleError, 1.5, col=18, message="math.remainder")
def no_rule_deep_in_expression(x):
    y = x * 2.0 + math.remainder(x, 3.0)  # <-- here
    return y


# -- recursion -------------------------------------------------------------------------


def _power_by_recursion(x, n):
    if n == 0:
        return 1.0
    return x * _power_by_recursion(x, n - 1)


@accepts(1.5, expect=5 * 1.5 ** 4)
def recursion(x):
    return _power_by_recursion(x, 5)


def _drift(x, n):
    if n == 0:
        return x
    return _drift(x * 1.001, n - 1)


@accepts(1.5, 300, expect=1.001 ** 300, note="300 nested calls")
def deep_recursion(x, n):
    return _drift(x, n)


@accepts(1.5, 450, expect=1.001 ** 450,
         note="450 levels through a recursive callee (once a RecursionError: the derivative "
              "used two stack frames per level)")
def deeper_recursion(x, n):
    return _drift(x, n)
