def loop(x):
    v1 = range(3)  # seeds.py:19
    x_1 = x
    for i in v1:
        v2 = math.sin(x_1)  # seeds.py:20
        x_2 = x_1 * v2
        x_1 = x_2  # seeds.py:19
    return x_1  # seeds.py:21
