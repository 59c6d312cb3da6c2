# adjoint (reverse mode) of z with respect to x, y
# specialised for x: float, y: float
def z_grad(x, y, out_bar=1.0):
    v1 = x * x  # seeds.py:15
    v2 = x * y
    v3 = v1 + v2
    v4 = v3 + 2
    # adjoint sweep
    x_bar = 2 * (out_bar * x) + out_bar * y
    y_bar = out_bar * x
    return (x_bar, y_bar)
