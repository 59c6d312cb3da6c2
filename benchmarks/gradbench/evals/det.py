"""``det``: the determinant by expansion by minors along the first row,
recursively (the O(l!) scalar computation the eval is about); ``gradient``
by wengert's reverse mode through the recursion (the cofactor matrix)."""

import numpy as np

import wengert


def det_minor(A, ell, row, cols):
    """The determinant of the rows row.. and columns ``cols`` of the
    ell x ell matrix stored row by row in A."""
    if len(cols) == 1:
        return A[row * ell + cols[0]]
    total = 0.0
    sign = 1.0
    for j in range(len(cols)):
        rest = cols[:j] + cols[j + 1:]
        total = total + sign * A[row * ell + cols[j]] * det_minor(A, ell, row + 1, rest)
        sign = -sign
    return total


def det(A, ell):
    return det_minor(A, ell, 0, list(range(ell)))


gradient = wengert.grad(det)

FUNCTIONS = {"primal": det, "gradient": gradient}


def define():
    gradient(np.eye(2).ravel(), 2)


def prepare(function, input):
    return np.asarray(input["A"], dtype=np.float64), int(input["ell"])


def output(function, result):
    return float(result) if function == "primal" else result.tolist()
