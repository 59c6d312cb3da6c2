"""The gradient-descent routine GradBench's particle and saddle evals share
(specification section 2.9), on NumPy vectors. Plain Python: it drives the
differentiated functions and is not differentiated itself."""

import numpy as np


def argmin(F, grad_F, z0):
    """Minimise ``F`` from ``z0`` with the step rule of the specification
    (double the step after 10 accepted steps, halve it after a rejected one)."""
    z = np.asarray(z0, dtype=np.float64)
    fz = F(z)
    g = grad_F(z)
    eta = 1e-5
    i = 0
    while True:
        if np.sqrt(np.sum(g * g)) <= 1e-5:
            return z
        if i == 10:
            eta = 2.0 * eta
            i = 0
            continue
        z_new = z - eta * g
        if np.sqrt(np.sum((z - z_new) ** 2)) <= 1e-5:
            return z
        f_new = F(z_new)
        if f_new < fz:
            z, fz, g = z_new, f_new, grad_F(z_new)
            i = i + 1
        else:
            eta = eta / 2.0
            i = 0


def build_variants(variants, unsupported):
    """Build every nested variant's derivatives (``variants``: name -> (function,
    build)); a variant wengert refuses is recorded in ``unsupported`` with the
    error's first line and help, so the tool can answer ``success: false``."""
    import wengert
    for name, (_, build) in variants.items():
        try:
            build()
        except wengert.WengertError as exc:
            lines = str(exc).splitlines()
            message = "; ".join([lines[0]] + [x.strip() for x in lines if x.startswith("help:")])
            unsupported[name] = (f"wengert cannot build variant {name}: "
                                 f"{type(exc).__name__}: {message}")
