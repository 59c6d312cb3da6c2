"""``gmm``: the log-posterior of a Gaussian mixture model (ADBench's, with
GradBench's fixes), vectorised over points and components; ``jacobian`` is
its gradient with respect to alpha, mu, q and l by wengert's reverse mode,
taken with respect to the dict of parameters (so it comes back as a dict)."""

import math

import numpy as np

import wengert


def logsumexp(v, axis):
    top = np.max(v, axis=axis, keepdims=True)
    return np.squeeze(top, axis=axis) + np.log(np.sum(np.exp(v - top), axis=axis))


def log_gamma_d(a, d):
    """The log of the multivariate gamma function (a constant here)."""
    out = d * (d - 1) / 4 * math.log(math.pi)
    for j in range(1, d + 1):
        out = out + math.lgamma(a + (1 - j) / 2)
    return out


def gmm_objective(params, x, gamma, m):
    alpha, mu, q, l = params["alpha"], params["mu"], params["q"], params["l"]
    n, d = x.shape
    k = alpha.shape[0]
    # Q[k] is lower triangular: exp(q[k]) on the diagonal, l[k] below it,
    # filled column by column
    cols, rows = np.triu_indices(d, 1)
    Q = np.zeros((k, d, d))
    Q[:, rows, cols] = l
    diagonal = np.arange(d)
    Q[:, diagonal, diagonal] = np.exp(q)
    centred = x[:, None, :] - mu[None, :, :]                 # n, k, d
    Qx = np.einsum("kij,nkj->nki", Q, centred)               # n, k, d
    beta = alpha + np.sum(q, axis=1) - 0.5 * np.sum(Qx * Qx, axis=2)
    n_prime = d + m + 1
    wishart_constant = k * (n_prime * d * math.log(gamma / math.sqrt(2))
                            - log_gamma_d(n_prime / 2, d))
    wishart_prior = (-0.5 * gamma ** 2 * (np.sum(np.exp(2 * q)) + np.sum(l * l))
                     + m * np.sum(q))
    return (-n * (d / 2 * math.log(2 * math.pi) + logsumexp(alpha, 0))
            + np.sum(logsumexp(beta, 1)) + wishart_constant + wishart_prior)


jacobian = wengert.grad(gmm_objective)

FUNCTIONS = {"objective": gmm_objective, "jacobian": jacobian}

KEYS = ("alpha", "mu", "q", "l")


def define():
    params = {"alpha": np.zeros(2), "mu": np.zeros((2, 2)), "q": np.zeros((2, 2)),
              "l": np.zeros((2, 1))}
    jacobian(params, np.zeros((3, 2)), 1.0, 0)


def prepare(function, input):
    d = int(input["d"])
    params = {key: np.asarray(input[key], dtype=np.float64) for key in KEYS}
    params["l"] = params["l"].reshape(len(params["alpha"]), d * (d - 1) // 2)
    x = np.asarray(input["x"], dtype=np.float64).reshape(int(input["n"]), d)
    return params, x, float(input["gamma"]), int(input["m"])


def output(function, result):
    if function == "objective":
        return float(result)
    return {key: result[key].tolist() for key in KEYS}
