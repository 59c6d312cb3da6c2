"""A softmax classifier whose parameters live in one dict, trained with
``wengert.value_and_grad`` -- the way JAX users write models.

    logits = tanh(X @ W1 + b1) @ W2 + b2
    loss   = mean over the batch of -log softmax(logits)[label]

The gradient comes back as a dict with the parameters' keys. The generated
code is specialised to the items' shapes (``params["W1"]`` is known to be a
2 x 16 float64 array), so it is the same code as for four separate arrays;
the log-softmax's shift ``m`` (the row maximum, subtracted for numerical
safety) has no derivative in it: ``m`` cancels, so wengert leaves it out.
The example checks one entry of the gradient against a central difference.

    python examples/classifier_params.py
"""

import numpy as np

import wengert


def log_softmax(z):
    m = np.max(z, axis=1, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))


def loss(params, X, labels):
    hidden = np.tanh(X @ params["W1"] + params["b1"])
    logp = log_softmax(hidden @ params["W2"] + params["b2"])
    return -np.mean(np.take_along_axis(logp, labels[:, None], axis=1))


def make_data(n=120, seed=0):
    """Three noisy blobs in the plane."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 2.0], [-1.8, -1.0], [1.8, -1.0]])
    labels = rng.integers(0, 3, size=n)
    return centres[labels] + 0.6 * rng.standard_normal((n, 2)), labels


def init(hidden=16, seed=1):
    rng = np.random.default_rng(seed)
    return {"W1": rng.standard_normal((2, hidden)), "b1": np.zeros(hidden),
            "W2": rng.standard_normal((hidden, 3)) / np.sqrt(hidden), "b2": np.zeros(3)}


def main(steps=300, learning_rate=0.5, report_every=100):
    X, labels = make_data()
    params = init()
    step = wengert.value_and_grad(loss)
    for i in range(steps + 1):
        value, grads = step(params, X, labels)
        if i % report_every == 0:
            print(f"step {i:4d}  loss {value:.4f}")
        params = {k: params[k] - learning_rate * grads[k] for k in params}
    logits = np.tanh(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
    accuracy = np.mean(np.argmax(logits, axis=1) == labels)
    print(f"training accuracy {accuracy:.2f}")
    assert value < 0.3 and accuracy > 0.9

    # one entry of the gradient against a central difference
    h, key, where = 1e-6, "W1", (1, 3)
    up, down = dict(params), dict(params)
    up[key], down[key] = params[key].copy(), params[key].copy()
    up[key][where] += h
    down[key][where] -= h
    numeric = (loss(up, X, labels) - loss(down, X, labels)) / (2 * h)
    exact = step(params, X, labels)[1][key][where]
    print(f"d loss / d {key}{list(where)}: {exact:.8f} (central difference {numeric:.8f})")
    assert abs(exact - numeric) < 1e-6 * max(1.0, abs(numeric))

    print()
    print(step.source)
    assert "tie_share" not in step.source          # the shift's derivative is gone


if __name__ == "__main__":
    main()
