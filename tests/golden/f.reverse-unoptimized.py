# adjoint (reverse mode) of f with respect to x1, x2
# specialised for x1: float, x2: float
def f_grad(x1, x2, out_bar=1.0):
    v1 = math.log(x1)  # seeds.py:11
    v2 = x1 * x2
    v3 = v1 + v2
    v4 = math.sin(x2)
    v5 = v3 - v4
    # adjoint sweep
    v4_bar = -out_bar
    x1_bar = out_bar / x1 + out_bar * x2
    x2_bar = out_bar * x1 + v4_bar * math.cos(x2)
    return (x1_bar, x2_bar)
