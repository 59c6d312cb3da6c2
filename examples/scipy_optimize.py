"""Minimise the n-dimensional Rosenbrock function with SciPy, giving it the
exact gradient that wengert generates (``jac=wengert.grad(f)``).

Without ``jac`` SciPy estimates the gradient by finite differences: n + 1
function calls per gradient, and only about half the digits. With the
generated reverse-mode gradient, one call gives all n components exactly
(to rounding), whatever n is.

SciPy is optional: without it this example says so and exits cleanly.

    python examples/scipy_optimize.py
"""

import numpy as np

import wengert


def rosenbrock(x):
    """sum over i of 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2; minimum 0 at x = 1."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def main(n=10):
    try:
        from scipy.optimize import minimize
    except ImportError:
        print("SciPy is not installed: skipping this example (pip install scipy)")
        return
    x0 = np.full(n, -1.0)
    x0[::2] = -1.2
    exact = minimize(rosenbrock, x0, jac=wengert.grad(rosenbrock), method="BFGS",
                     options={"gtol": 1e-10})
    estimated = minimize(rosenbrock, x0, method="BFGS", options={"gtol": 1e-10})
    for label, r in (("jac=wengert.grad(f)", exact), ("finite differences", estimated)):
        gradients = getattr(r, "njev", 0) if r is exact else 0
        print(f"{label:20s}  f = {r.fun:.3e}  calls of f {r.nfev:5d}  "
              f"of the gradient {gradients:4d}  max |x - 1| = {np.max(np.abs(r.x - 1.0)):.2e}")
    assert exact.success, exact.message
    assert np.allclose(exact.x, 1.0, atol=1e-6), exact.x
    assert exact.nfev < estimated.nfev


if __name__ == "__main__":
    main()
