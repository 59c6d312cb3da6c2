# adjoint (reverse mode) of loop with respect to x
# specialised for x: float
def loop_grad(x, out_bar=1.0):
    tape = []  # seeds.py:19
    for i in range(3):
        v2 = math.sin(x)  # seeds.py:20
        partial = x * math.cos(x) + v2  # seeds.py:19
        tape.append(partial)
        x = x * v2  # seeds.py:20
    # adjoint sweep
    x_bar = out_bar  # seeds.py:19
    for partial in reversed(tape):
        x_bar = x_bar * partial
    return x_bar  # seeds.py:21
