def f(x1, x2):
    v1 = math.log(x1)  # seeds.py:11
    v2 = x1 * x2
    v3 = v1 + v2
    v4 = math.sin(x2)
    v5 = v3 - v4
    return v5
