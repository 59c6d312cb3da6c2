"""The benchmark workloads: each a plain Python/NumPy function, its gradient
written by hand, and a factory for its inputs.

The functions are written the way a user would write them for wengert: plain
``math`` on Python floats, plain NumPy on arrays, no library-specific API.
The same function objects are handed to HIPS autograd and JAX with ``np`` and
``math`` rebound to those libraries' NumPy (see ``tools.rebind``); PyTorch has
an API of its own, so ``torch_workloads.py`` restates each function in it.

The hand-written gradients are the reference: every tool's gradient must agree
with them before it is timed, and every ratio in the report is "tool time /
hand-written time". They are written as a competent person would write them by
hand: one forward pass keeping what the backward pass needs, closed forms
where the maths gives them (softmax minus one-hot, sigmoid minus label), no
wasted work. ``tests/test_benchmarks_smoke.py`` checks each of them against
central finite differences.

A workload's inputs come from ``make_args(size)``; ``size`` is ``"full"`` (the
sizes the report names) or ``"tiny"`` (a few elements per axis, for the smoke
test). Inputs are float64 and deterministic (seeded).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

SIZES = ("full", "tiny")


@dataclass(frozen=True)
class Workload:
    """One benchmark: ``fn(*args)`` is a scalar; its gradient with respect to
    the arguments at positions ``wrt`` is ``grad(*args)`` (a single value
    when ``wrt`` has one position, else a tuple in the order of ``wrt``)."""

    name: str                     # short id, used by --only
    title: str                    # what the report's row says
    fn: Callable
    grad: Callable
    wrt: tuple
    make_args: Callable           # size -> tuple of arguments
    shape: dict = field(default_factory=dict)   # size -> human description of the inputs
    about: str = ""               # one sentence for the report

    def args(self, size: str = "full") -> tuple:
        if size not in SIZES:
            raise ValueError(f"size must be one of {SIZES}, not {size!r}")
        return self.make_args(size)


# --------------------------------------------------------------------------
# 1. a polynomial on a Python float


def poly(x):
    return 2 * x ** 2 - x + 1


def poly_grad(x):
    return 4.0 * x - 1.0


def poly_args(size):
    return (1.5,)


# --------------------------------------------------------------------------
# 2. a 100-step scalar loop on Python floats
#
# 100 Euler steps of dx/dt = x sin x. (The literal x = x sin x + 0.1 contracts
# to a fixed point, so its gradient after 100 steps is about 1e-46: nothing a
# finite difference or a relative tolerance can check. This one's is about 3.)


def scalar_loop(x):
    for i in range(100):
        x = x + 0.01 * x * math.sin(x)
    return x


def scalar_loop_grad(x):
    # One input, one output: the chain rule accumulated forward is the whole
    # gradient, with no record of the iterates.
    dx = 1.0
    for i in range(100):
        s = math.sin(x)
        dx = dx * (1.0 + 0.01 * (s + x * math.cos(x)))
        x = x + 0.01 * x * s
    return dx


def scalar_loop_args(size):
    return (0.5,)


# --------------------------------------------------------------------------
# 3. logistic regression loss


def logreg(w, X, y):
    z = np.dot(X, w)
    return np.mean(np.log1p(np.exp(-z)) + (1.0 - y) * z)


def logreg_grad(w, X, y):
    # d/dz of the mean loss is (sigmoid(z) - y) / n
    p = 1.0 / (1.0 + np.exp(-np.dot(X, w)))
    return np.dot(p - y, X) / len(y)


def logreg_args(size):
    n, p = (1000, 100) if size == "full" else (7, 3)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, p))
    w_true = rng.normal(size=p) / math.sqrt(p)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-X @ w_true))).astype(np.float64)
    w = 0.1 * rng.normal(size=p)
    return (w, X, y)


# --------------------------------------------------------------------------
# 4. MLP 784-256-10, tanh hidden layer, softmax cross-entropy


def mlp(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    m = np.max(logits, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    return -np.sum(Y * (logits - lse)) / len(X)


def mlp_grad(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    dlogits = (e / e.sum(axis=1, keepdims=True) - Y) / len(X)   # rows of Y are one-hot
    dpre = (dlogits @ W2.T) * (1.0 - h * h)
    return X.T @ dpre, dpre.sum(axis=0), h.T @ dlogits, dlogits.sum(axis=0)


def mlp_args(size):
    n_in, n_hidden, n_out, batch = (784, 256, 10, 64) if size == "full" else (5, 4, 3, 2)
    rng = np.random.default_rng(1)
    W1 = rng.normal(size=(n_in, n_hidden)) / math.sqrt(n_in)
    b1 = 0.1 * rng.normal(size=n_hidden)
    W2 = rng.normal(size=(n_hidden, n_out)) / math.sqrt(n_hidden)
    b2 = 0.1 * rng.normal(size=n_out)
    X = rng.random((batch, n_in))
    Y = np.eye(n_out)[rng.integers(0, n_out, size=batch)]
    return (W1, b1, W2, b2, X, Y)


# --------------------------------------------------------------------------
# 5. RNN: tanh cell, loop over time steps, squared error of a linear readout


def rnn(Wxh, Whh, bh, Why, xs, target):
    h = np.zeros((xs.shape[1], Whh.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wxh + h @ Whh + bh)
    y = h @ Why
    return 0.5 * np.sum((y - target) ** 2)


def rnn_grad(Wxh, Whh, bh, Why, xs, target):
    hs = [np.zeros((xs.shape[1], Whh.shape[0]))]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(xs[t] @ Wxh + hs[-1] @ Whh + bh))
    dy = hs[-1] @ Why - target
    dWhy = hs[-1].T @ dy
    dh = dy @ Why.T
    dWxh, dWhh, dbh = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(bh)
    for t in range(xs.shape[0] - 1, -1, -1):
        dpre = dh * (1.0 - hs[t + 1] ** 2)
        dWxh += xs[t].T @ dpre
        dWhh += hs[t].T @ dpre
        dbh += dpre.sum(axis=0)
        dh = dpre @ Whh.T
    return dWxh, dWhh, dbh, dWhy


def rnn_args(size):
    steps, batch, n_in, hidden, n_out = (50, 16, 32, 128, 10) if size == "full" \
        else (4, 2, 3, 5, 2)
    rng = np.random.default_rng(2)
    Wxh = rng.normal(size=(n_in, hidden)) / math.sqrt(n_in)
    Whh = rng.normal(size=(hidden, hidden)) / math.sqrt(hidden)
    bh = 0.1 * rng.normal(size=hidden)
    Why = rng.normal(size=(hidden, n_out)) / math.sqrt(hidden)
    xs = rng.normal(size=(steps, batch, n_in))
    target = rng.normal(size=(batch, n_out))
    return (Wxh, Whh, bh, Why, xs, target)


# --------------------------------------------------------------------------
# 6. Rosenbrock, vectorised


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_grad(x):
    head, tail = x[:-1], x[1:]
    r = tail - head ** 2
    g = np.zeros_like(x)
    g[:-1] = -400.0 * r * head - 2.0 * (1.0 - head)
    g[1:] += 200.0 * r
    return g


def rosenbrock_args(size):
    n = 1000 if size == "full" else 6
    return (np.random.default_rng(3).uniform(-2.0, 2.0, size=n),)


# --------------------------------------------------------------------------
# 7. Gaussian mixture model objective (ADBench / GradBench `gmm`)
#
# For component k, Q_k = diag(exp(q_k)) + L_k is lower triangular (precision
# Q_kᵀQ_k); icf[k] = [q_k (d entries), l_k (d(d-1)/2 entries)] as in ADBench,
# l_k filling the strict lower part of L_k column by column. The placement of
# l_k into L_k is the constant 0/1 matrix `tril` (m × d²): `l @ tril` is L
# flattened, which every tool differentiates without item assignment.


def log_multigamma(d, a):
    """log Γ_d(a), the log multivariate gamma function (a constant here)."""
    return d * (d - 1) / 4 * math.log(math.pi) + \
        sum(math.lgamma(a + (1 - j) / 2) for j in range(1, d + 1))


def gmm_constant(n, d, k, gamma, m):
    """The terms of the objective that depend on no differentiated input."""
    n1 = d + m + 1
    return -n * d / 2 * math.log(2 * math.pi) + \
        k * (n1 * d * math.log(gamma / math.sqrt(2)) - log_multigamma(d, n1 / 2))


def gmm_objective(alphas, means, icf, x, tril, gamma, m):
    n, d = x.shape
    k = len(alphas)
    q = icf[:, :d]
    l = icf[:, d:]
    Ls = np.reshape(l @ tril, (k, d, d))
    xc = x[None, :, :] - means[:, None, :]                       # (k, n, d)
    Qxc = np.exp(q)[:, None, :] * xc + xc @ np.swapaxes(Ls, 1, 2)
    beta = (alphas + np.sum(q, axis=1))[:, None] - 0.5 * np.sum(Qxc ** 2, axis=2)
    bmax = np.max(beta, axis=0)
    lse_beta = bmax + np.log(np.sum(np.exp(beta - bmax), axis=0))
    amax = np.max(alphas)
    lse_alpha = amax + np.log(np.sum(np.exp(alphas - amax)))
    prior = -0.5 * gamma ** 2 * (np.sum(np.exp(2 * q)) + np.sum(l ** 2)) + m * np.sum(q)
    return gmm_constant(n, d, k, gamma, m) - n * lse_alpha + np.sum(lse_beta) + prior


def gmm_grad(alphas, means, icf, x, tril, gamma, m):
    n, d = x.shape
    k = len(alphas)
    q, l = icf[:, :d], icf[:, d:]
    eq = np.exp(q)
    Q = (l @ tril).reshape(k, d, d) + eq[:, :, None] * np.eye(d)
    xc = x[None, :, :] - means[:, None, :]                       # (k, n, d)
    z = xc @ np.swapaxes(Q, 1, 2)                                # Q_k (x_i - mu_k)
    beta = (alphas + q.sum(axis=1))[:, None] - 0.5 * np.einsum("kni,kni->kn", z, z)
    r = np.exp(beta - beta.max(axis=0))
    r /= r.sum(axis=0)                                           # responsibilities
    R = r.sum(axis=1)
    G = r[:, :, None] * z                                        # -d objective / d z
    M = np.swapaxes(G, 1, 2) @ xc                                # (k, d, d)
    ea = np.exp(alphas - alphas.max())
    d_alphas = R - n * ea / ea.sum()
    d_means = np.einsum("kab,ka->kb", Q, G.sum(axis=1))
    d_q = R[:, None] - eq * np.diagonal(M, axis1=1, axis2=2) - gamma ** 2 * eq ** 2 + m
    d_l = -M.reshape(k, d * d) @ tril.T - gamma ** 2 * l
    return d_alphas, d_means, np.concatenate([d_q, d_l], axis=1)


def tril_scatter(d):
    """The (d(d-1)/2) × d² matrix placing l (column by column) into L."""
    cols, rows = np.triu_indices(d, 1)          # column-major order of the strict lower part
    s = np.zeros((len(rows), d * d))
    s[np.arange(len(rows)), rows * d + cols] = 1.0
    return s


def gmm_inputs(d, k, n, m=0, gamma=1.0, seed=31337):
    """GradBench's draws for one workload: x, alpha, mu, q, l in that order."""
    rng = np.random.default_rng(seed)
    x = np.array([rng.normal(size=d) for _ in range(n)])
    alphas = rng.normal(size=k)
    means = np.array([rng.uniform(size=d) for _ in range(k)])
    q = np.array([rng.normal(size=d) for _ in range(k)])
    l = np.array([rng.normal(size=d * (d - 1) // 2) for _ in range(k)])
    icf = np.concatenate([q, l], axis=1)
    return (alphas, means, icf, x, tril_scatter(d), gamma, m)


def gmm_objective_naive(alphas, means, icf, x, tril, gamma, m):
    """The objective straight from its definition, one point and one
    component at a time (to check ``gmm_objective``; never timed)."""
    n, d = x.shape
    k = len(alphas)
    total = gmm_constant(n, d, k, gamma, m)
    total -= n * (max(alphas) + math.log(sum(math.exp(a - max(alphas)) for a in alphas)))
    Qs = []
    for c in range(k):
        Q = np.diag(np.exp(icf[c, :d]))
        idx = d
        for j in range(d):
            for i in range(j + 1, d):
                Q[i, j] = icf[c, idx]
                idx += 1
        Qs.append(Q)
    for i in range(n):
        b = [alphas[c] + icf[c, :d].sum() - 0.5 * np.sum((Qs[c] @ (x[i] - means[c])) ** 2)
             for c in range(k)]
        total += max(b) + math.log(sum(math.exp(v - max(b)) for v in b))
    for c in range(k):
        total -= 0.5 * gamma ** 2 * (np.sum(np.exp(2 * icf[c, :d])) + np.sum(icf[c, d:] ** 2))
        total += m * icf[c, :d].sum()
    return total


def gmm_args_for(d, k):
    def make(size):
        return gmm_inputs(d, k, 1000) if size == "full" else gmm_inputs(3, 2, 5, m=2,
                                                                         gamma=0.7)
    return make


# --------------------------------------------------------------------------
# 8. build time: a ~20-line scalar function whose derivative is built cold


def build_target(x, y):
    r2 = x * x + y * y
    r = math.sqrt(r2)
    theta = math.atan2(y, x)
    if r > 1.0:
        s = math.log(r) + 0.5 * theta
    else:
        s = r2 - 0.25 * math.cos(theta)
    acc = 0.0
    for i in range(4):
        w = 1.0 / (i + 1)
        acc = acc + w * math.sin(w * s + x)
        acc = acc * math.exp(-0.1 * w * y)
    z = math.tanh(acc) + s / (1.0 + r2)
    u = z * x - y * math.exp(-r)
    v = math.hypot(u, z) + 0.5 * u * u
    if v > 2.0:
        v = 2.0 + math.log(v - 1.0)
    return v * theta + math.erf(u)


BUILD_ARGS = (0.7, -0.4)


# --------------------------------------------------------------------------
# the table


WORKLOADS = (
    Workload("poly", "2x² − x + 1 (float)", poly, poly_grad, (0,), poly_args,
             {"full": "x: float", "tiny": "x: float"},
             "one polynomial on a Python float: the cost of a call, nearly nothing else."),
    Workload("scalar_loop", "100-step scalar loop (float)", scalar_loop, scalar_loop_grad,
             (0,), scalar_loop_args, {"full": "x: float", "tiny": "x: float"},
             "`for i in range(100): x = x + 0.01 * x * math.sin(x)` on a Python float "
             "(Euler steps; the gradient is about -2.5). Hand-written: the chain rule "
             "accumulated forward, no tape."),
    Workload("logreg", "logistic regression", logreg, logreg_grad, (0,), logreg_args,
             {"full": "X 1000×100, w 100", "tiny": "X 7×3"},
             "`mean(log1p(exp(-X·w)) + (1 - y)·X·w)`, gradient w.r.t. w. Hand-written: "
             "`(sigmoid(X·w) - y)·X / n`."),
    Workload("mlp", "MLP 784-256-10, softmax CE", mlp, mlp_grad, (0, 1, 2, 3), mlp_args,
             {"full": "batch 64", "tiny": "5-4-3, batch 2"},
             "tanh hidden layer, softmax cross-entropy through max-subtracted "
             "log-sum-exp, one-hot labels; gradient w.r.t. both weight matrices and "
             "biases."),
    Workload("rnn", "RNN, 50 steps, hidden 128", rnn, rnn_grad, (0, 1, 2, 3), rnn_args,
             {"full": "batch 16, input 32, output 10", "tiny": "4 steps, hidden 5"},
             "`h = tanh(x_t·Wxh + h·Whh + b)` in a Python loop over 50 steps, squared "
             "error of a linear readout of the last state; gradient w.r.t. the four "
             "weights. Hand-written: backpropagation through time over a list of states."),
    Workload("rosenbrock", "Rosenbrock", rosenbrock, rosenbrock_grad, (0,),
             rosenbrock_args, {"full": "n = 1000", "tiny": "n = 6"},
             "`sum(100·(x[1:] - x[:-1]²)² + (1 - x[:-1])²)`, vectorised with slices."),
    Workload("gmm_2_5", "GMM objective, d=2 k=5", gmm_objective, gmm_grad, (0, 1, 2),
             gmm_args_for(2, 5), {"full": "n = 1000", "tiny": "d=3 k=2 n=5 m=2"},
             "the Gaussian-mixture log-posterior of ADBench/GradBench `gmm` (log-sum-exp "
             "with max subtraction, Wishart prior), GradBench's inputs for d=2, k=5, "
             "n=1000; gradient w.r.t. alpha, means and icf (log-diagonal and lower "
             "triangle of each precision factor)."),
    Workload("gmm_10_25", "GMM objective, d=10 k=25", gmm_objective, gmm_grad, (0, 1, 2),
             gmm_args_for(10, 25), {"full": "n = 1000", "tiny": "d=3 k=2 n=5 m=2"},
             "as above with d=10, k=25."),
)


def by_name(names) -> tuple:
    """The workloads named (all when ``names`` is empty), in table order."""
    if not names:
        return WORKLOADS
    known = {w.name: w for w in WORKLOADS}
    unknown = [n for n in names if n not in known and n != "build"]
    if unknown:
        raise KeyError(f"unknown workload(s) {', '.join(unknown)}; "
                       f"known: {', '.join(known)}, build")
    return tuple(w for w in WORKLOADS if w.name in names)
