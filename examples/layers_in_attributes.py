"""A model written the way PyTorch users write one, in plain NumPy.

Layers are objects held in attributes (``self.fc1 = Dense(...)``), one of them
without an activation (``act=None``: the ``if self.act is None`` branch is
decided when the derivative is built), and the prior on the weights is an
object too (``self.prior.log_prob(W)``). ``wengert.grad(model.loss)`` calls
each object's methods as its class says; the derivative is specialised for
the classes and functions the model holds, and checks them at every call:
swap a layer's activation and the next call builds code of its own.

The gradient is taken with respect to the input batch ``x`` (a saliency map)
and checked against central differences.

    python examples/layers_in_attributes.py
"""

import numpy as np

import wengert


class Dense:
    def __init__(self, W, b, act=None):
        self.W, self.b, self.act = W, b, act

    def __call__(self, x):
        y = x @ self.W + self.b
        if self.act is None:
            return y
        return self.act(y)


class Normal:
    def __init__(self, mu, sigma):
        self.mu, self.sigma = mu, sigma

    def log_prob(self, w):
        return -0.5 * np.sum(((w - self.mu) / self.sigma) ** 2)


class Net:
    def __init__(self, rng):
        self.fc1 = Dense(rng.normal(size=(4, 8)) / 2, np.zeros(8), np.tanh)
        self.fc2 = Dense(rng.normal(size=(8, 1)) / 3, np.zeros(1))      # no activation
        self.prior = Normal(0.0, 1.0)

    def loss(self, x, y):
        pred = self.fc2(self.fc1(x))[:, 0]
        return np.mean((pred - y) ** 2) - 1e-3 * self.prior.log_prob(self.fc1.W)


def central_differences(f, x, h=1e-6):
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[k] = h
        out[k] = (f(x + e) - f(x - e)) / (2 * h)
    return out


def main():
    rng = np.random.default_rng(0)
    net = Net(rng)
    x, y = rng.normal(size=(6, 4)), rng.normal(size=6)

    saliency = wengert.grad(net.loss)              # d loss / d x, the model held
    g = saliency(x, y)
    assert np.allclose(g, central_differences(lambda t: net.loss(t, y), x), rtol=1e-6)
    print("d loss / d x, first sample:", np.round(g[0], 5))

    net.fc2.act = np.sin                           # another activation: new code
    g2 = saliency(x, y)
    assert np.allclose(g2, central_differences(lambda t: net.loss(t, y), x), rtol=1e-6)
    print("with sin on the last layer: ", np.round(g2[0], 5))
    print("the derivative wengert built (last call):")
    print(saliency.source)


if __name__ == "__main__":
    main()
