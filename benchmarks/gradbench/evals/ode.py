"""``ode``: s steps of classical RK4 for y' = g(y), g(y)_0 = x_0,
g(y)_i = x_i y_{i-1}, from y(0) = 0 to t = 2; ``gradient`` is the gradient of
the last component of y(2) with respect to x, by wengert's reverse mode."""

import numpy as np

import wengert


def rhs(x, y):
    return np.concatenate((x[:1], x[1:] * y[:-1]))


def ode(x, s):
    h = 2.0 / s
    y = np.zeros_like(x)
    for _ in range(s):
        k1 = rhs(x, y)
        k2 = rhs(x, y + h / 2 * k1)
        k3 = rhs(x, y + h / 2 * k2)
        k4 = rhs(x, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def last(x, s):
    return ode(x, s)[-1]


gradient = wengert.grad(last)

FUNCTIONS = {"primal": ode, "gradient": gradient}


def define():
    gradient(np.ones(3), 2)


def prepare(function, input):
    return np.asarray(input["x"], dtype=np.float64), int(input["s"])


def output(function, result):
    return result.tolist()
