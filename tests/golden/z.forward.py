# tangent (forward mode) of z with respect to x, y
# specialised for x: float, y: float
def z_jvp(x, y, x_dot, y_dot):
    v1 = x * x  # seeds.py:15
    v2 = x * y
    v3 = v1 + v2
    v4 = v3 + 2
    return (v4, x_dot * x + x * x_dot + (x_dot * y + x * y_dot))
