"""A small multilayer perceptron fitted to a noisy sine curve by plain
gradient descent, with the gradient of the loss written by wengert.

    prediction = tanh(X @ W1 + b1) @ W2 + b2
    loss       = mean((prediction - y) ** 2)

The gradient with respect to all four parameter arrays comes from one call of
the generated reverse-mode code: a primal sweep that keeps the hidden layer,
then an adjoint sweep through ``@``, ``tanh`` and the broadcast bias
additions (whose adjoints are summed back to the biases' shapes).

    python examples/mlp.py
"""

import numpy as np

import wengert


def loss(W1, b1, W2, b2, X, y):
    hidden = np.tanh(X @ W1 + b1)
    prediction = hidden @ W2 + b2
    return np.mean((prediction - y) ** 2)


def make_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = np.linspace(-3.0, 3.0, n).reshape(n, 1)
    y = np.sin(X) + 0.05 * rng.standard_normal((n, 1))
    return X, y


def init(hidden=16, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((1, hidden)), np.zeros(hidden),
            rng.standard_normal((hidden, 1)) / np.sqrt(hidden), np.zeros(1)]


def main(steps=2000, learning_rate=0.1, report_every=400):
    X, y = make_data()
    params = init()
    grad_loss = wengert.grad(loss, wrt=(0, 1, 2, 3))
    first = loss(*params, X, y)
    for step in range(steps + 1):
        if step % report_every == 0:
            print(f"step {step:5d}  loss {loss(*params, X, y):.5f}")
        if step == steps:
            break
        grads = grad_loss(*params, X, y)
        params = [p - learning_rate * g for p, g in zip(params, grads)]
    last = loss(*params, X, y)
    print(f"loss {first:.4f} -> {last:.4f}")
    assert last < 0.2 * first, (first, last)


if __name__ == "__main__":
    main()
