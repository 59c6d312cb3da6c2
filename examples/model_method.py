"""A model as a class: the gradient of a method.

``wengert.grad(model.loss)`` differentiates ``Model.loss`` with the instance
held: ``self.X`` and ``self.y`` are read at each call, never differentiated,
and one derivative serves every instance of the class. The parameters are
the method's own argument, as in code that keeps data on ``self`` and
passes the weights in.

Here: a small ridge regression fitted by gradient descent with momentum,
updating the velocity in place (``v *= beta``), which is safe because a
gradient is always an array of the caller's own.

    python examples/model_method.py
"""

import numpy as np

import wengert


class Ridge:
    def __init__(self, X, y, penalty):
        self.X = X
        self.y = y
        self.penalty = penalty

    def loss(self, w):
        r = self.X @ w - self.y
        return 0.5 * np.mean(r * r) + 0.5 * self.penalty * np.sum(w * w)

    def exact(self):
        n, d = self.X.shape
        return np.linalg.solve(self.X.T @ self.X / n + self.penalty * np.eye(d),
                               self.X.T @ self.y / n)


def fit(model, steps=500, rate=0.1, beta=0.9):
    grad = wengert.grad(model.loss)
    w = np.zeros(model.X.shape[1])
    v = np.zeros_like(w)
    for _ in range(steps):
        g = grad(w)
        v *= beta
        v -= rate * g
        w = w + v
    return w, grad


def main():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((100, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.standard_normal(100)
    for penalty in (0.01, 1.0):                 # two instances, one derivative
        model = Ridge(X, y, penalty)
        w, grad = fit(model)
        print(f"penalty {penalty}: fitted {np.round(w, 4)}")
        print(f"            exact  {np.round(model.exact(), 4)}")
        assert np.allclose(w, model.exact(), atol=1e-6)
    print("\nThe gradient code (self is an argument, held):")
    print(grad.source)


if __name__ == "__main__":
    main()
