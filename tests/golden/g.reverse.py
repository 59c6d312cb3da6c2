# adjoint (reverse mode) of g with respect to x
# specialised for x: float
def g_grad(x, out_bar=1.0):
    # adjoint sweep
    x_bar = out_bar * (4.0 * x - 1.0)  # seeds.py:7
    return x_bar
