"""Fitting the parameters of an ODE through its solver.

The solver is written once, as a NumPy user would: classic Runge-Kutta steps
of a right-hand side it is *given* (``rk4(rhs, y0, params, h, n)``), with the
parameters in a dict the right-hand side reads by name. wengert differentiates
through all of it: the function passed in is called as itself (the derivative
is specialised for it), the dict's gradient comes back as a dict, and a loop
over the dict (``for name in params``) runs over its keys as Python's does.

Gradient descent on the squared distance between the solution at the end and
a target (made with other rates) moves the four predator-prey rates until the
solution ends there. (Two end values do not determine four rates: the rates
found are one of many that fit.)

    python examples/ode_fit.py
"""

import numpy as np

import wengert


def lotka_volterra(y, p):
    prey, predators = y[0], y[1]
    return np.array([p["birth"] * prey - p["predation"] * prey * predators,
                     p["growth"] * prey * predators - p["death"] * predators])


def rk4(rhs, y0, params, h, n):
    y = y0
    for _ in range(n):
        k1 = rhs(y, params)
        k2 = rhs(y + 0.5 * h * k1, params)
        k3 = rhs(y + 0.5 * h * k2, params)
        k4 = rhs(y + h * k3, params)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


def loss(params, rhs, y0, target):
    misfit = rk4(rhs, y0, params, 0.05, 40) - target
    penalty = 0.0
    for name in params:                       # keep the rates positive
        penalty = penalty + 1e-3 * params[name] ** 2
    return np.sum(misfit ** 2) + penalty


def main():
    true = {"birth": 1.1, "predation": 0.4, "growth": 0.1, "death": 0.4}
    y0 = np.array([10.0, 5.0])
    target = rk4(lotka_volterra, y0, true, 0.05, 40)

    params = {"birth": 1.0, "predation": 0.35, "growth": 0.12, "death": 0.45}
    gradient = wengert.value_and_grad(loss)
    for step in range(300):
        value, g = gradient(params, lotka_volterra, y0, target)
        params = {k: v - 2e-4 * g[k] for k, v in params.items()}
    print(f"loss after {step + 1} steps: {value:.3g}")
    print("fitted:", {k: round(v, 3) for k, v in params.items()})

    # the gradient is the derivative of the solver: check one entry against
    # central differences
    h = 1e-6
    up, down = dict(params), dict(params)
    up["birth"] += h
    down["birth"] -= h
    fd = (loss(up, lotka_volterra, y0, target) - loss(down, lotka_volterra, y0, target)) / (2 * h)
    _, g = gradient(params, lotka_volterra, y0, target)
    assert abs(g["birth"] - fd) <= 1e-5 * max(1.0, abs(fd)), (g["birth"], fd)
    assert value < 0.5, value
    print("d loss / d birth:", round(g["birth"], 6), "(central differences:", round(fd, 6), ")")
    print(gradient.source.splitlines()[1])     # what the code was specialised for


if __name__ == "__main__":
    main()
