"""``llsq``: half the squared residual of fitting sign(t) by a polynomial
with coefficients x at n points t in [-1, 1]; ``gradient`` with respect to x
by wengert's reverse mode."""

import numpy as np

import wengert


def llsq(x, n):
    m = x.shape[0]
    t = -1 + np.arange(n) * 2 / (n - 1)
    s = np.sign(t)
    powers = t[:, None] ** np.arange(m)      # powers[i, j] = t_i ** j
    r = s - powers @ x
    return 0.5 * np.sum(r * r)


gradient = wengert.grad(llsq)

FUNCTIONS = {"primal": llsq, "gradient": gradient}


def define():
    gradient(np.ones(3), 4)


def prepare(function, input):
    return np.asarray(input["x"], dtype=np.float64), int(input["n"])


def output(function, result):
    return float(result) if function == "primal" else result.tolist()
