"""Central differences, the reference the regression tests compare with."""

import numpy as np


def central_difference(f, x, h=1e-6):
    """Central differences of ``f`` at ``x`` (a float or an array)."""
    if np.ndim(x) == 0:
        return (f(x + h) - f(x - h)) / (2 * h)
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[k] += h
        down[k] -= h
        out[k] = (f(up) - f(down)) / (2 * h)
    return out
