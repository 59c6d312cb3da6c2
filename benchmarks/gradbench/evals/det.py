"""``det``: the determinant by expansion by minors along the first row
(the eval's definition), and ``gradient`` by wengert's reverse mode through
that source (the cofactor matrix).

Two ways to write it, chosen when the module is imported:

- ``det`` (the default): the recursion of the definition, O(l!) scalar
  operations: the work the eval is about. A 2 x 2 minor is written out
  (``a*d - b*c``: the recursion's two products and its subtraction, so the
  value is the same bit for bit), as most people write the recursion. The
  gradient calls the generated ``det_minor_fwd``/``det_minor_bwd`` pair,
  keeping every minor's residuals, so its memory grows with the work: about
  1 GB at l = 10 and 10 GB at l = 11 (a base case keeps its tests, A and the
  indices it read; see ``reverse.split_vjp``).
- ``det_shared_minors`` (tool flag ``--det-shared-minors``, environment
  ``WENGERT_DET=shared-minors``): the same expansion with each minor computed
  once. A minor of the rows ``l - k ..`` depends only on its set of columns, so
  a table indexed by column bit masks holds all 2^l of them, filled in
  increasing order of the mask. Every minor is computed with the same
  operations in the same order as in the recursion, so the determinant is
  bit for bit the recursion's, in O(2^l l) time. This is a faster algorithm,
  not the benchmark's O(l!) work: use it to check validity at l = 10 and 11,
  and do not compare its times with other tools' det.
"""

import os

import numpy as np

import wengert


def det_minor(A, ell, row, cols):
    """The determinant of the rows row.. and columns ``cols`` of the
    ell x ell matrix stored row by row in A. (A 2 x 2 minor is the expansion
    written out: the same two products, bit for bit.)"""
    if len(cols) == 1:
        return A[row * ell + cols[0]]
    if len(cols) == 2:
        top, bottom = row * ell, (row + 1) * ell
        return A[top + cols[0]] * A[bottom + cols[1]] - A[top + cols[1]] * A[bottom + cols[0]]
    total = 0.0
    sign = 1.0
    for j in range(len(cols)):
        rest = cols[:j] + cols[j + 1:]
        total = total + sign * A[row * ell + cols[j]] * det_minor(A, ell, row + 1, rest)
        sign = -sign
    return total


def det(A, ell):
    return det_minor(A, ell, 0, list(range(ell)))


def det_shared_minors(A, ell):
    minors = np.zeros(1 << ell)      # minors[mask]: the minor of the columns in mask
    minors[0] = 1.0
    for mask in range(1, 1 << ell):
        cols = [c for c in range(ell) if mask >> c & 1]
        row = ell - len(cols)
        if len(cols) == 1:
            minors[mask] = A[row * ell + cols[0]]
            continue
        total = 0.0
        sign = 1.0
        for j in range(len(cols)):
            total = total + sign * A[row * ell + cols[j]] * minors[mask - (1 << cols[j])]
            sign = -sign
        minors[mask] = total
    return minors[(1 << ell) - 1]


SHARED_MINORS = os.environ.get("WENGERT_DET", "") == "shared-minors"
primal = det_shared_minors if SHARED_MINORS else det
gradient = wengert.grad(primal)

FUNCTIONS = {"primal": primal, "gradient": gradient}
PLAIN = ("primal",)            # nothing to build for it (tool.py)


def define():
    gradient(np.eye(2).ravel(), 2)


def prepare(function, input):
    return np.asarray(input["A"], dtype=np.float64), int(input["ell"])


def output(function, result):
    return float(result) if function == "primal" else result.tolist()
