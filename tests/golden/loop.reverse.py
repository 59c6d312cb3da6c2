# adjoint (reverse mode) of loop with respect to x
# specialised for x: float
def loop_grad(x, out_bar=1.0):
    v1 = range(3)  # seeds.py:19
    tape = []
    for i in v1:
        tape.append(x)
        v2 = math.sin(x)  # seeds.py:20
        x = x * v2
    # adjoint sweep
    x_bar = out_bar  # seeds.py:19
    for i in reversed(v1):
        x = tape.pop()
        v2 = math.sin(x)  # seeds.py:20
        x_bar = x_bar * (x * math.cos(x) + v2)  # seeds.py:19
    return x_bar  # seeds.py:21
