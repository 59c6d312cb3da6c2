"""``hello``: ``square(x) = x * x`` and ``double``, its derivative."""

import wengert


def square(x):
    return x * x


double = wengert.grad(square)

FUNCTIONS = {"square": square, "double": double}


def define():
    double(1.0)                   # build for a Python float


def prepare(function, input):
    return (float(input),)


def output(function, result):
    return float(result)
