def g(x):
    v1 = x ** 2  # seeds.py:7
    v2 = 2 * v1
    v3 = v2 - x
    v4 = v3 + 1
    return v4
