# adjoint (reverse mode) of z with respect to x, y
# specialised for x: float, y: float
def z_grad(x, y, out_bar=1.0):
    # adjoint sweep
    x_bar = out_bar * (2.0 * x + y)  # seeds.py:15
    y_bar = out_bar * x
    return (x_bar, y_bar)
