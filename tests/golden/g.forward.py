# tangent (forward mode) of g with respect to x
# specialised for x: float
def g_jvp(x, x_dot):
    v1 = x ** 2  # seeds.py:7
    v2 = 2 * v1
    v3 = v2 - x
    v4 = v3 + 1
    return (v4, 4 * (x * x_dot) - x_dot)
