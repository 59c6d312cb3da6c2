"""``saddle``: Siskind and Pearlmutter's saddle point by nested min/max.

With f(p, q) = |p|^2 - |q|^2 and start s: M(p) = f(p, q*) where q* =
argmax_q f(p, q) from s, by gradient descent with wengert's gradient of f in
the *inner* mode; p* = argmin M from s, with grad M wengert's derivative of M
through the whole inner descent (the *outer* mode); q** = argmax_q f(p*, q)
from s. The output is [p*, q**]. Variants ``rr``, ``ff``, ``fr``, ``rf``:
outer mode first, then inner.
"""

import math

import numpy as np

import wengert

from .descent import argmin, build_variants

MODES = {"r": "reverse", "f": "forward"}


def f(p0, p1, q0, q1):
    return (p0 * p0 + p1 * p1) - (q0 * q0 + q1 * q1)


def make_argmax(mode):
    """argmax over q of f(p, q) from s: the descent routine on -f, written out
    on scalars so that wengert can differentiate it."""
    grad_q = wengert.grad(f, wrt=(2, 3), mode=mode)

    def argmax_q(p0, p1, s0, s1):
        q0, q1 = s0, s1
        fq = -f(p0, p1, q0, q1)
        g0, g1 = grad_q(p0, p1, q0, q1)
        g0, g1 = -g0, -g1
        eta = 1e-5
        i = 0
        while True:
            if math.sqrt(g0 * g0 + g1 * g1) <= 1e-5:
                break
            if i == 10:
                eta = 2.0 * eta
                i = 0
                continue
            new0 = q0 - eta * g0
            new1 = q1 - eta * g1
            if math.sqrt((q0 - new0) ** 2 + (q1 - new1) ** 2) <= 1e-5:
                break
            f_new = -f(p0, p1, new0, new1)
            if f_new < fq:
                q0, q1, fq = new0, new1, f_new
                g0, g1 = grad_q(p0, p1, q0, q1)
                g0, g1 = -g0, -g1
                i = i + 1
            else:
                eta = eta / 2.0
                i = 0
        return q0, q1
    return argmax_q


def make_variant(outer, inner):
    argmax_inner = make_argmax(MODES[inner])
    argmax_outer = make_argmax(MODES[outer])

    def max_f(p0, p1, s0, s1):
        q0, q1 = argmax_inner(p0, p1, s0, s1)
        return f(p0, p1, q0, q1)

    grad_max_f = wengert.grad(max_f, wrt=(0, 1), mode=MODES[outer])

    def saddle(start):
        s0, s1 = float(start[0]), float(start[1])
        p = argmin(lambda p: max_f(float(p[0]), float(p[1]), s0, s1),
                   lambda p: np.array(grad_max_f(float(p[0]), float(p[1]), s0, s1)), start)
        q0, q1 = argmax_outer(float(p[0]), float(p[1]), s0, s1)
        return [p[0], p[1], q0, q1]

    def build():
        max_f(0.5, 0.5, 1.0, 1.0)
        argmax_outer(0.5, 0.5, 1.0, 1.0)
        grad_max_f(0.5, 0.5, 1.0, 1.0)
    return saddle, build


VARIANTS = {name: make_variant(name[0], name[1]) for name in ("rr", "ff", "fr", "rf")}
FUNCTIONS = {name: saddle for name, (saddle, _) in VARIANTS.items()}
UNSUPPORTED: dict = {}
SPECIALISES = False         # every derivative is built for floats in define()


def define():
    build_variants(VARIANTS, UNSUPPORTED)      # the derivatives for floats


def prepare(function, input):
    return (np.asarray(input["start"], dtype=np.float64),)


def output(function, result):
    return [float(v) for v in result]
