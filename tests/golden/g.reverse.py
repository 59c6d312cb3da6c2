# adjoint (reverse mode) of g with respect to x
# specialised for x: float
def g_grad(x, out_bar=1.0):
    # adjoint sweep
    x_bar = 4 * (out_bar * x) - out_bar  # seeds.py:7
    return x_bar
