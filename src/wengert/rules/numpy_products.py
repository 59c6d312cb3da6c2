"""NumPy products: dot, matmul and @, tensordot, inner, outer, einsum, kron, cross, trace."""
