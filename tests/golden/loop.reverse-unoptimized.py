# adjoint (reverse mode) of loop with respect to x
# specialised for x: float
def loop_grad(x, out_bar=1.0):
    v1 = range(3)  # seeds.py:19
    x_1 = x
    tape = []
    for i in v1:
        tape.append(x_1)
        v2 = math.sin(x_1)  # seeds.py:20
        x_2 = x_1 * v2
        x_1 = x_2  # seeds.py:19
    # adjoint sweep
    x_1_bar = out_bar
    for i in reversed(v1):
        x_1 = tape.pop()
        v2 = math.sin(x_1)  # seeds.py:20
        x_2 = x_1 * v2
        v2_bar = x_1_bar * x_1
        x_1_bar = v2_bar * math.cos(x_1) + x_1_bar * v2  # seeds.py:19
    x_bar = x_1_bar  # seeds.py:21
    return x_bar
