"""NumPy shape, construction, selection and indexing functions, and the non-differentiable ones."""
