"""Newton's method on the n-dimensional Rosenbrock function, twice:

1. with the full Hessian, ``wengert.hessian(f)`` (forward over reverse: one
   forward pass over the generated gradient code per input), solving
   ``H p = -g`` with ``np.linalg.solve``;
2. matrix-free, with ``wengert.hvp(f)``: conjugate gradients only ever needs
   Hessian-vector products ``H v``, each one forward pass over the gradient
   code, so the n-by-n Hessian is never formed (truncated Newton, Newton-CG).

Both take a backtracking line search, so every step decreases f.

    python examples/newton.py
"""

import numpy as np

import wengert


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def line_search(f, x, p, g):
    """Halve the step until f decreases enough (Armijo's condition)."""
    t, fx, slope = 1.0, f(x), float(g @ p)
    while f(x + t * p) > fx + 1e-4 * t * slope and t > 1e-12:
        t *= 0.5
    return x + t * p


def newton(f, x, tol=1e-10, max_steps=100):
    gradient, hessian = wengert.grad(f), wengert.hessian(f)
    for step in range(max_steps):
        g = gradient(x)
        if np.linalg.norm(g) < tol:
            return x, step
        p = np.linalg.solve(hessian(x), -g)
        if g @ p >= 0:                      # not a descent direction: go downhill
            p = -g
        x = line_search(f, x, p, g)
    return x, max_steps


def conjugate_gradients(hv, b, tol):
    """Solve H p = b using only products hv(v) = H v; stop at negative curvature."""
    p, r = np.zeros_like(b), b.copy()
    d = r.copy()
    for _ in range(2 * b.size):
        hd = hv(d)
        curvature = d @ hd
        if curvature <= 0:
            return p if p.any() else b
        alpha = (r @ r) / curvature
        p = p + alpha * d
        r_new = r - alpha * hd
        if np.linalg.norm(r_new) < tol:
            return p
        d = r_new + (r_new @ r_new) / (r @ r) * d
        r = r_new
    return p


def newton_cg(f, x, tol=1e-10, max_steps=200):
    gradient, hvp = wengert.grad(f), wengert.hvp(f)
    for step in range(max_steps):
        g = gradient(x)
        norm = np.linalg.norm(g)
        if norm < tol:
            return x, step
        p = conjugate_gradients(lambda v: hvp(x, v), -g, tol=min(0.5, np.sqrt(norm)) * norm)
        x = line_search(f, x, p, g)
    return x, max_steps


def main(n=6):
    x0 = np.full(n, -1.0)
    x0[::2] = -1.2
    for label, method in (("Newton, wengert.hessian", newton),
                          ("Newton-CG, wengert.hvp", newton_cg)):
        x, steps = method(rosenbrock, x0.copy())
        print(f"{label:24s} {steps:3d} steps  f = {rosenbrock(x):.2e}  "
              f"max |x - 1| = {np.max(np.abs(x - 1.0)):.1e}")
        assert np.allclose(x, 1.0, atol=1e-8), x

    x = np.linspace(-1.0, 1.0, n)
    v = np.arange(1.0, n + 1)
    same = np.allclose(wengert.hvp(rosenbrock)(x, v), wengert.hessian(rosenbrock)(x) @ v)
    print("H v by hvp equals hessian(x) @ v:", same)
    assert same


if __name__ == "__main__":
    main()
