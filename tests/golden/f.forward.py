# tangent (forward mode) of f with respect to x1, x2
# specialised for x1: float, x2: float
def f_jvp(x1, x2, x1_dot, x2_dot):
    v1 = math.log(x1)  # seeds.py:11
    v2 = x1 * x2
    v3 = v1 + v2
    v4 = math.sin(x2)
    v5 = v3 - v4
    return (v5, x1_dot / x1 + (x1_dot * x2 + x1 * x2_dot) - x2_dot * math.cos(x2))
