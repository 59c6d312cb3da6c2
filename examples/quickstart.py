"""wengert in a minute: a gradient, and the code that computes it."""

import math

import wengert


@wengert.grad
def g(x):
    return 2 * x ** 2 - x + 1


print("g'(3) =", g(3.0))
print(g.source)
