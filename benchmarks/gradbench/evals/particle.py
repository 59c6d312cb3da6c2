"""``particle``: Siskind and Pearlmutter's charged particle, nested AD.

A particle starts at (0, 8) with velocity (0.75, 0) and moves by Euler steps
under the force -grad_x P(x; w) of two charges, one at (10, 10 - w) and one at
(10, 0); E(w) is the square of where it crosses the x-axis. The force is
wengert's gradient of the potential (the *inner* mode); w* = argmin E by
gradient descent, with dE/dw wengert's derivative of the whole simulation,
inner gradients included (the *outer* mode). Variants ``rr``, ``ff``, ``fr``,
``rf``: outer mode first, then inner.
"""

import math

import numpy as np

import wengert

from .descent import argmin, build_variants

MODES = {"r": "reverse", "f": "forward"}


def potential(x0, x1, w):
    return (1.0 / math.sqrt((x0 - 10.0) ** 2 + (x1 - (10.0 - w)) ** 2)
            + 1.0 / math.sqrt((x0 - 10.0) ** 2 + x1 ** 2))


def make_simulation(inner):
    grad_potential = wengert.grad(potential, wrt=(0, 1), mode=inner)

    def simulate(w):
        x0, x1 = 0.0, 8.0
        v0, v1 = 0.75, 0.0
        dt = 0.1
        while True:
            g0, g1 = grad_potential(x0, x1, w)      # the force is -g
            new0 = x0 + dt * v0
            new1 = x1 + dt * v1
            if new1 <= 0.0:
                break
            v0 = v0 - dt * g0
            v1 = v1 - dt * g1
            x0, x1 = new0, new1
        fraction = -new1 / v1                       # back to the crossing
        crossing = new0 + fraction * v0
        return crossing * crossing
    return simulate


def make_variant(outer, inner):
    simulate = make_simulation(MODES[inner])
    dE = wengert.grad(simulate, mode=MODES[outer])

    def optimise(w):
        z = argmin(lambda z: simulate(float(z[0])), lambda z: np.array([dE(float(z[0]))]),
                   np.array([w]))
        return z[0]

    def build():
        simulate(0.0)
        dE(0.0)
    return optimise, build


VARIANTS = {name: make_variant(name[0], name[1]) for name in ("rr", "ff", "fr", "rf")}
FUNCTIONS = {name: optimise for name, (optimise, _) in VARIANTS.items()}
UNSUPPORTED: dict = {}
SPECIALISES = False         # every derivative is built for floats in define()


def define():
    build_variants(VARIANTS, UNSUPPORTED)      # the derivatives for a float w


def prepare(function, input):
    return (float(input["w"]),)


def output(function, result):
    return float(result)
