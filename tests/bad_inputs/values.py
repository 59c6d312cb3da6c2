"""Unusual argument values and value-level constructs: int(), round(),
isinstance, integer/complex/NaN/inf inputs."""

import math

import numpy as np

from wengert import UsageError

from . import accepts, rejects

NAN, INF = float("nan"), float("inf")


@accepts(1.3, expect=1.0, note="int() of an active value has zero derivative (documented)")
def int_of_active(x):
    return int(x) * x


@accepts(1.3, expect=2 * 1.3, note="round() has zero derivative")
def round_of_active(x):
    return round(x) + x * x


@accepts(np.array([0.4, 1.6]), expect=np.array([0.0, 2.0]),
         note="np.round and np.floor: zero derivative")
def numpy_rounding(x):
    return (np.round(x) * x)[1] + np.floor(x)[0]


@accepts(1.5, expect=3.0)
def isinstance_check(x):
    if isinstance(x, float):
        return 3.0 * x
    return x


@accepts(3, expect=11.0, note="an int input is promoted to float")
def integer_input(x):
    return 2 * x ** 2 - x + 1


@accepts(np.array([1, 2, 3]), expect=np.array([2.0, 4.0, 6.0]),
         note="an integer array is promoted to float64")
def integer_array_input(x):
    return (x * x)[0] + (x * x)[1] + (x * x)[2]


@accepts(True, expect=2.0, note="bool is an int: promoted")
def bool_input(x):
    return x * x


@accepts(np.float32(1.5), expect=np.float32(3.0), fd=False)
def float32_scalar_input(x):
    return x * x


@accepts(1.5, 2, wrt=0, expect=2 * 1.5)
def integer_second_argument(x, n):
    return x ** n


@accepts(1.5, "double", expect=2.0)
def string_argument(x, how):
    if how == "double":
        return 2.0 * x
    return x


@accepts((1.5, 2.0), expect=(2.0, 1.5), fd=False, modes=("reverse",))
def tuple_argument_reverse(t):
    return t[0] * t[1]


@accepts((1.5, 2.0), expect=(2.0, 1.5), fd=False, modes=("forward",),
         note="one tangent pass per entry, each tangent a tuple like the argument")
def tuple_argument_forward(t):
    return t[0] * t[1]


# -- complex inputs are refused cleanly --------------------------------------------


@rejects(UsageError, 1 + 2j, located=False, message="complex")
def complex_square(z):
    return z * z


@rejects(UsageError, np.array([1 + 2j, 0.5j]), located=False, message="complex",
         note="abs(z) ** 2 is not holomorphic: refusing is the only safe answer")
def complex_abs_squared(z):
    return (abs(z) ** 2)[0]


# -- NaN and inf ---------------------------------------------------------------------


@accepts(NAN, expect=NAN, fd=False)
def nan_input(x):
    return x * x + math.sin(x)


@accepts(np.array([1.0, NAN, 3.0]), fd=False,
         expect=lambda g: np.isnan(g[1]) and np.all(np.isnan(g) | (g == [2.0, 0, 6.0])),
         note="as NumPy computes it: 0 * nan is nan, so forward mode (one-hot tangents) "
              "may spread the NaN to every entry; reverse mode keeps 2.0 and 6.0")
def nan_in_array(x):
    return (x * x)[0] + (x * x)[1] + (x * x)[2]


@accepts(np.array([1.0, NAN, 3.0]), fd=False,
         expect=lambda g: np.isclose(g[0], np.cos(1.0)) and g[2] == 0.0,
         note="entries away from the NaN are exact")
def nan_not_reaching_output(x):
    return np.sin(x)[0]


@accepts(INF, expect=INF, fd=False)
def inf_input(x):
    return x * x


@accepts(INF, expect=-0.0, fd=False)
def inf_through_exp(x):
    return np.exp(-x)


@accepts(-INF, expect=0.0, fd=False, note="tanh saturates: derivative 1 - 1 = 0")
def minus_inf_through_tanh(x):
    return np.tanh(x)


@accepts(np.float64(0.0), expect=INF, fd=False, note="NumPy semantics: 0.5 / 0 is inf")
def sqrt_at_zero_numpy(x):
    return np.sqrt(x)


@accepts(0.0, expect=INF, fd=False, note="Python floats raise ZeroDivisionError at 0.5 / 0.0; "
                                          "the derivative gives inf, as NumPy does")
def sqrt_at_zero_math(x):
    return math.sqrt(x)


@accepts(0.0, expect=INF, fd=False, note="0.0 ** -0.5 raises in Python; inf in NumPy")
def power_half_at_zero(x):
    return x ** 0.5
