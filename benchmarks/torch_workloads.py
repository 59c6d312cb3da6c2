"""The workloads restated in PyTorch (same names and arguments as in
``workloads.py``, same algorithm, operation for operation: PyTorch has an API
of its own, so its functions cannot simply be rebound like autograd's and
JAX's). Inputs are float64 tensors; Python numbers that are not
differentiated stay Python numbers."""

from __future__ import annotations

import torch

from .workloads import gmm_constant


def poly(x):
    return 2 * x ** 2 - x + 1


def scalar_loop(x):
    for i in range(100):
        x = x + 0.01 * x * torch.sin(x)
    return x


def logreg(w, X, y):
    z = X @ w
    return torch.mean(torch.log1p(torch.exp(-z)) + (1.0 - y) * z)


def mlp(W1, b1, W2, b2, X, Y):
    h = torch.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    m = torch.amax(logits, dim=1, keepdim=True)
    lse = m + torch.log(torch.sum(torch.exp(logits - m), dim=1, keepdim=True))
    return -torch.sum(Y * (logits - lse)) / len(X)


def rnn(Wxh, Whh, bh, Why, xs, target):
    h = torch.zeros((xs.shape[1], Whh.shape[0]), dtype=xs.dtype)
    for t in range(xs.shape[0]):
        h = torch.tanh(xs[t] @ Wxh + h @ Whh + bh)
    y = h @ Why
    return 0.5 * torch.sum((y - target) ** 2)


def rosenbrock(x):
    return torch.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def gmm_objective(alphas, means, icf, x, tril, gamma, m):
    n, d = x.shape
    k = len(alphas)
    q = icf[:, :d]
    l = icf[:, d:]
    Ls = torch.reshape(l @ tril, (k, d, d))
    xc = x[None, :, :] - means[:, None, :]
    Qxc = torch.exp(q)[:, None, :] * xc + xc @ torch.swapaxes(Ls, 1, 2)
    beta = (alphas + torch.sum(q, dim=1))[:, None] - 0.5 * torch.sum(Qxc ** 2, dim=2)
    bmax = torch.amax(beta, dim=0)
    lse_beta = bmax + torch.log(torch.sum(torch.exp(beta - bmax), dim=0))
    amax = torch.amax(alphas)
    lse_alpha = amax + torch.log(torch.sum(torch.exp(alphas - amax)))
    prior = -0.5 * gamma ** 2 * (torch.sum(torch.exp(2 * q)) + torch.sum(l ** 2)) + \
        m * torch.sum(q)
    return gmm_constant(n, d, k, gamma, m) - n * lse_alpha + torch.sum(lse_beta) + prior
