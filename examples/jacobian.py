"""A Jacobian three ways: by hand from forward-mode products with basis
vectors, with ``wengert.jacfwd``, and with ``wengert.jacrev``.

For ``f: R^n -> R^m`` the Jacobian ``J`` is m-by-n.

* Forward mode computes one Jacobian-vector product ``J @ v`` per pass (the
  tangent code runs alongside the primal, at a small constant multiple of its
  cost). With ``v`` the unit vector ``e_j``, ``J @ e_j`` is column ``j``: n
  passes give the whole Jacobian. That is what the loop in ``main`` does, and
  what ``jacfwd`` does for you.
* Reverse mode computes one vector-Jacobian product ``u @ J`` per pass (a
  primal sweep, then the adjoint sweep). With ``u = e_i`` it is row ``i``: m
  passes. That is ``jacrev``.

So forward mode costs about n passes and reverse mode about m: pick forward
mode for few inputs and many outputs (tall Jacobians), reverse mode for many
inputs and few outputs (wide Jacobians; a gradient, m = 1, is one pass).
Reverse mode also keeps what the adjoint sweep reads, so it uses more memory.

    python examples/jacobian.py
"""

import numpy as np

import wengert


def f(x):
    """R^3 -> R^4: a few coupled outputs."""
    a = np.sin(x) * x[0]                       # 3 outputs
    b = np.sum(x * x)                          # 1 output
    return np.concatenate([a, np.reshape(b, (1,))])


def jacobian_by_basis_vectors(func, x):
    """Column j of J is the tangent of func at x along the unit vector e_j."""
    columns = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = 1.0
        _, tangent = wengert.jvp(func, (x,), (e,))     # one forward pass: J @ e_j
        columns.append(tangent)
    return np.stack(columns, axis=1)


def main():
    x = np.array([0.5, -1.0, 2.0])
    by_hand = jacobian_by_basis_vectors(f, x)
    forward = wengert.jacfwd(f)(x)              # n = 3 forward passes
    reverse = wengert.jacrev(f)(x)              # m = 4 reverse passes
    print("J (forward mode, one jvp per basis vector):")
    print(np.round(by_hand, 6))
    print("max |by hand - jacfwd| =", np.max(np.abs(by_hand - forward)))
    print("max |jacfwd - jacrev|  =", np.max(np.abs(forward - reverse)))
    assert by_hand.shape == (4, 3)
    assert np.allclose(by_hand, forward, rtol=0, atol=1e-12)
    assert np.allclose(forward, reverse, rtol=0, atol=1e-12)

    # the analytic Jacobian, to be sure
    expected = np.diag(np.cos(x) * x[0])
    expected[:, 0] += np.sin(x)
    expected = np.vstack([expected, 2 * x])
    assert np.allclose(by_hand, expected, atol=1e-12)
    print("matches the analytic Jacobian")


if __name__ == "__main__":
    main()
