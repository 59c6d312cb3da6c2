"""Logistic regression trained by plain gradient descent, with the gradient
written by wengert.

The data are generated here: 200 points in 3 dimensions, labelled by a
known linear rule with some noise. The loss is the mean binary cross-entropy,
written in its numerically stable form

    loss(w, b) = mean(log(1 + exp(z)) - y * z),    z = X @ w + b

(``np.logaddexp(0, z)`` is ``log(1 + exp(z))`` without overflow). One call of
the generated reverse-mode code gives the gradient with respect to both ``w``
(an array) and ``b`` (a float), whatever the number of weights.

    python examples/logistic_regression.py
"""

import numpy as np

import wengert


def loss(w, b, X, y):
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z)


def make_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    w_true, b_true = np.array([2.0, -1.0, 0.5]), -0.3
    p = 1.0 / (1.0 + np.exp(-(X @ w_true + b_true)))
    y = (rng.uniform(size=n) < p).astype(np.float64)
    return X, y


def accuracy(w, b, X, y):
    return float(np.mean(((X @ w + b) > 0) == (y > 0.5)))


def main(steps=300, learning_rate=0.5, report_every=50):
    X, y = make_data()
    grad_loss = wengert.grad(loss, wrt=("w", "b"))
    w, b = np.zeros(3), 0.0
    first = loss(w, b, X, y)
    for step in range(steps + 1):
        if step % report_every == 0:
            print(f"step {step:4d}  loss {loss(w, b, X, y):.5f}  "
                  f"accuracy {accuracy(w, b, X, y):.3f}")
        if step == steps:
            break
        dw, db = grad_loss(w, b, X, y)
        w, b = w - learning_rate * dw, b - learning_rate * db
    last = loss(w, b, X, y)
    print("weights", np.round(w, 3), "bias", round(b, 3))
    print("\nThe gradient code that ran (reverse mode, specialised for these shapes):")
    print(grad_loss.source)
    assert last < 0.8 * first, (first, last)
    wengert.check_grad(loss, w, b, X, y, wrt=("w", "b"))     # against finite differences


if __name__ == "__main__":
    main()
