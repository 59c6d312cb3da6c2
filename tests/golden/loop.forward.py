# tangent (forward mode) of loop with respect to x
# specialised for x: float
def loop_jvp(x, x_dot):
    v1 = range(3)  # seeds.py:19
    x_1_dot = x_dot
    for i in v1:
        v2 = math.sin(x)  # seeds.py:20
        x_1_dot = x_1_dot * (v2 + x * math.cos(x))
        x = x * v2
    return (x, x_1_dot)  # seeds.py:21
