# adjoint (reverse mode) of f with respect to x1, x2
# specialised for x1: float, x2: float
def f_grad(x1, x2, out_bar=1.0):
    # adjoint sweep
    x1_bar = out_bar / x1 + out_bar * x2  # seeds.py:11
    x2_bar = out_bar * (x1 - math.cos(x2))
    return (x1_bar, x2_bar)
