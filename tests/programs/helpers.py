"""Helper functions that other program modules import (calls across modules).
No programs here: only the functions they call."""

import math


def softplus(x):
    """log(1 + exp(x)), written to be stable for large x."""
    if x > 20.0:
        return x
    return math.log1p(math.exp(x))


def poly(x, a=1.0, b=0.0, c=0.0):
    """a*x**2 + b*x + c with default coefficients."""
    return a * x * x + b * x + c


def polar(x, y):
    """Radius and angle of the point (x, y): a helper returning a tuple."""
    r = math.sqrt(x * x + y * y)
    theta = math.atan2(y, x)
    return r, theta


def damped_steps(x, n):
    """A helper with a loop inside it."""
    for i in range(n):
        x = x - 0.1 * math.sin(x)
    return x


def scale(x, *, factor=2.0):
    """A keyword-only parameter with a default."""
    return x * factor
