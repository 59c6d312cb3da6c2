# adjoint (reverse mode) of g with respect to x
# specialised for x: float
def g_grad(x, out_bar=1.0):
    v1 = x ** 2  # seeds.py:7
    v2 = 2 * v1
    v3 = v2 - x
    v4 = v3 + 1
    # adjoint sweep
    v1_bar = 2 * out_bar
    x_bar = 2 * (v1_bar * x) - out_bar
    return x_bar
