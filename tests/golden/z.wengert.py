def z(x, y):
    v1 = x * x  # seeds.py:15
    v2 = x * y
    v3 = v1 + v2
    v4 = v3 + 2
    return v4
