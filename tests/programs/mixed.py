"""Combinations: loops inside loops with jumps, recursion through helpers
with loops, early returns over array rows, small numerical algorithms."""

import math

import numpy as np

from . import inputs
from .calls import depth_sum
from .helpers import softplus


@inputs((0.3,), (0.9,))
def prog_while_in_for_with_break(x):
    """A `while` inside a `for`, with a `break` in an `if` inside the while."""
    total = 0.0
    for i in range(3):
        y = x + 0.1 * i
        while y < 5.0:
            y = y * 1.7 + 0.2
            if y > 3.0 + i:
                break
        total = total + y * (i + 1)
    return total


@inputs((0.4, 2), (1.1, 3))
def prog_recursion_via_loop_helper(x, depth):
    """Recursion through a helper (imported from another program module) with a loop."""
    return depth_sum(x * 0.5, depth) * x


@inputs((np.array([[0.2, 0.1], [0.5, 0.9], [1.5, 0.3]]),),
        (np.array([[0.2, 0.1], [0.3, 0.2], [0.1, 0.1]]),))
def prog_early_return_over_rows(m):
    """An early return inside a loop over array rows: the first 'large' row wins."""
    acc = 0.0
    for row in m:
        acc = acc + row[0] * row[1]
        if row[0] + row[1] > 1.0:
            return acc + np.sin(row[0]) * row[1]
    return acc * 2.0


@inputs((np.array([0.5, 1.5, -0.3, 2.2, 0.9]),),)
def prog_welford_mean_variance(x):
    """Welford's online mean and variance: several accumulators per iteration."""
    n = 0
    mean = 0.0
    m2 = 0.0
    for v in x:
        n = n + 1
        delta = v - mean
        mean = mean + delta / n
        m2 = m2 + delta * (v - mean)
    var = m2 / (n - 1)
    return mean + var


@inputs((0.8, 0.1), (1.5, 0.05))
def prog_euler_ode(y0, k):
    """Forward Euler for y' = -k y^2 + sin(t), 20 steps."""
    y = y0
    t = 0.0
    dt = 0.05
    for i in range(20):
        y = y + dt * (-k * y * y + math.sin(t))
        t = t + dt
    return y


@inputs((0.3, 0.5), (1.2, 2.0))
def prog_rk2_pendulum(theta, omega):
    """Midpoint (RK2) steps of a pendulum, two carried state variables."""
    h = 0.1
    for i in range(10):
        tm = theta + 0.5 * h * omega
        om = omega - 0.5 * h * math.sin(theta)
        theta = theta + h * om
        omega = omega - h * math.sin(tm)
    return theta * omega + omega * omega


@inputs((0.3,), (0.55,))
def prog_logistic_map(r):
    """The logistic map x <- a x (1 - x) with a = 2.5 + r, fifteen steps."""
    a = 2.5 + r
    x = 0.4
    for i in range(15):
        x = a * x * (1.0 - x)
    return x


@inputs((0.2,), (0.5,), (0.9,))
def prog_interpolation_search(t):
    """Piecewise-linear interpolation: a `while` searches the segment, then a formula."""
    knots = [0.0, 0.25, 0.6, 1.0]
    values = [1.0, 2.0, 0.5, 3.0]
    i = 0
    while knots[i + 1] < t:
        i = i + 1
    w = (t - knots[i]) / (knots[i + 1] - knots[i])
    return (1.0 - w) * values[i] + w * values[i + 1] + t * t


@inputs((0.5,), (2.0,))
def prog_inner_gradient_descent(lr):
    """Unrolled gradient descent on (w - 3)^2; differentiate the final loss
    with respect to the learning rate (a hyper-gradient)."""
    w = 0.0
    for step in range(8):
        g = 2.0 * (w - 3.0)
        w = w - lr * 0.1 * g
    return (w - 3.0) ** 2


@inputs((np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 1.0]), 0.3),)
def prog_logistic_loss_loop(x, labels, w):
    """A logistic loss summed in a loop, with an imported softplus helper."""
    loss = 0.0
    for i in range(len(x)):
        z = w * x[i]
        if labels[i] > 0.5:
            loss = loss + softplus(-z)
        else:
            loss = loss + softplus(z)
    return loss


@inputs((0.6, 1.4),)
def prog_everything_together(x, y):
    """A nested def, a list, a comprehension, a while, a break and a branch."""
    def f(t):
        return t * math.exp(-t * y)

    xs = [f(x), f(y), f(x + y)]
    s = sum(v * v for v in xs)
    k = 0
    while k < 10:
        s = s * 0.9 + xs[k % 3]
        k = k + 1
        if s > 2.0:
            break
    return s if s > 1.0 else -s


@inputs((np.array([0.3, 0.8, 0.2]),), (np.array([0.9, 0.1, 0.4]),))
def prog_power_iteration_like(v):
    """Normalised repeated map on a small vector (norm from elementwise ops)."""
    for i in range(4):
        w = np.array([v[1] + 0.5 * v[2], v[0] * v[2] + 0.1, v[0] + v[1]])
        norm = math.sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2])
        v = w / norm
    return v[0] + 2.0 * v[1]


@inputs((0.5, 3), (0.25, 6))
def prog_accumulate_list_then_loop(x, n):
    """A list filled by one loop, consumed in reverse by another."""
    ys = []
    y = x
    for i in range(n):
        y = math.sin(y) + x
        ys.append(y)
    acc = 0.0
    for v in reversed(ys):
        acc = acc * 0.5 + v
    return acc


@inputs((0.7,), (2.0,), (0.1,))
def prog_argmax_by_loop(x):
    """The largest of three expressions found by a loop with a branch."""
    vals = [x * x, math.sin(3.0 * x), 1.0 - x]
    best = vals[0]
    idx = 0
    for i in range(1, 3):
        if vals[i] > best:
            best = vals[i]
            idx = i
    return best + idx


@inputs((0.7,), (1.3,))
def prog_recursion_with_while(x):
    """A recursive helper with a `while` loop in every call."""
    return grow_then_recurse(x, 3)


def grow_then_recurse(x, n):
    if n == 0:
        return x
    y = x
    while y < 2.0:
        y = y * 1.5
    return grow_then_recurse(y * 0.4, n - 1) + y


@inputs((0.7,), (2.0,))
def prog_fixed_point_with_inner_sweeps(x):
    """A `while` until convergence-ish, with an inner `for` sweep and a temporary."""
    s = x
    while s < 4.0:
        for j in range(2):
            u = s * 0.5
            s = s + u * u + 0.1
    return s


@inputs((0.3,), (0.8,))
def prog_grid_sum_three_loops(x):
    """A sum over a 2x2x2 grid: three nested `range` loops."""
    s = x
    for i in range(2):
        for j in range(2):
            for k in range(2):
                s = s * 1.1 + x * (i + j + k) * 0.1
    return s
