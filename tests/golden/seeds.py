"""The seed functions whose generated source is kept as golden files."""

import math


def g(x):
    return 2 * x ** 2 - x + 1


def f(x1, x2):
    return math.log(x1) + x1 * x2 - math.sin(x2)


def z(x, y):
    return x * x + x * y + 2


def loop(x):
    for i in range(3):
        x = x * math.sin(x)
    return x
