"""numpy.linalg: det, slogdet, inv, pinv, solve, norm, eigh, cholesky, svd, qr, matrix_power."""
