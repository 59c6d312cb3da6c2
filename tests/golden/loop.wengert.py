def loop(x):
    v1 = range(3)
    x_1 = x
    for i in v1:
        v2 = math.sin(x_1)
        x_2 = x_1 * v2
        x_1 = x_2
    return x_1
