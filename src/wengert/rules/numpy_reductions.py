"""NumPy reductions (sum, mean, prod, var, std, max/min, cumsum, ...), with axis and keepdims."""
