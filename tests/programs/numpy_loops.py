"""Loops over NumPy arrays: rows and elements, elementwise NumPy functions
inside loops, array state carried through iterations. Only elementwise NumPy
functions, indexing and the builtin `sum` reduce arrays to scalars here."""

import math

import numpy as np

from . import inputs

A2x3 = np.array([[0.5, -0.3, 1.2], [0.8, 0.1, -0.6]])
B3x2 = np.array([[0.2, 1.1], [-0.4, 0.3], [0.9, -1.0]])


@inputs((np.array([0.3, -1.2, 0.8]),), (np.array([1.5, 0.2, -0.4]),))
def prog_loop_over_elements(x):
    """`for v in x` over a 1-D array, accumulating a float."""
    s = 0.0
    for v in x:
        s = s + v * math.sin(v)
    return s


@inputs((A2x3,), (B3x2,))
def prog_loop_over_rows(m):
    """`for row in m` over a 2-D array: elementwise NumPy per row, `sum` per row."""
    total = 0.0
    for row in m:
        total = total + sum(np.tanh(row) * row)
    return total


@inputs((np.array([0.2, -0.5]), 0.7), (np.array([1.0, 0.4]), -0.3))
def prog_array_state_recurrence(h, w):
    """An array carried through a loop: h = tanh(w * h + 0.1), five times."""
    for i in range(5):
        h = np.tanh(w * h + 0.1)
    return h[0] + 2.0 * h[1]


@inputs((np.array([0.4, 0.9, -0.3, 1.1]),), (np.array([-0.2, 0.5, 0.7, 0.0]),))
def prog_index_neighbours(x):
    """`range(1, len(x))` with `x[i] * x[i - 1]`: products of neighbours."""
    s = 0.0
    for i in range(1, len(x)):
        s = s + x[i] * x[i - 1] + np.exp(x[i]) * 0.1
    return s


@inputs((A2x3,), (B3x2,))
def prog_enumerate_rows(m):
    """`for i, row in enumerate(m)`: weights from the row index."""
    s = 0.0
    for i, row in enumerate(m):
        s = s + (i + 1.0) * sum(np.sin(row))
    return s


@inputs((np.array([0.3, 0.6, -0.2]), np.array([1.0, -0.5, 2.0])),)
def prog_zip_arrays(x, y):
    """`for a, b in zip(x, y)` over two 1-D arrays."""
    s = 0.0
    for a, b in zip(x, y):
        s = s + a * b + np.cos(a - b)
    return s


@inputs((np.array([0.3, 0.6, -0.2, 0.8]),),)
def prog_reversed_array(x):
    """`for v in reversed(x)`: an order-dependent recurrence over an array."""
    acc = 0.0
    for v in reversed(x):
        acc = np.sin(acc) * 2.0 + v
    return acc


@inputs((np.array([0.5, -1.5, 2.0]), 0.3),)
def prog_relu_layers(x, b):
    """Three 'layers' of an elementwise ReLU (np.maximum) with a scalar bias."""
    h = x
    for layer in range(3):
        h = np.maximum(h * 0.9 + b, 0.0) - 0.1 * h
    return h[0] + h[1] + h[2]


@inputs((np.array([[0.3, 0.5], [-0.2, 0.8], [0.9, -0.1]]),),)
def prog_nested_loops_over_matrix(m):
    """Nested loops indexing a 2-D array element by element: `m[i, j]`."""
    s = 0.0
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            s = s + m[i, j] ** 2 * (i - j + 0.5)
    return s


@inputs((np.array([0.2, 0.4]),), (np.array([-0.6, 1.3]),))
def prog_math_and_numpy_mixed(x):
    """`math` on scalars and NumPy elementwise on arrays in one loop."""
    y = x
    c = 0.0
    for i in range(4):
        y = np.exp(-y) + np.log1p(y * y)
        c = c + math.log(1.0 + y[0] * y[0]) + math.sqrt(1.0 + y[1] * y[1])
    return c


@inputs((np.array([0.5, 1.0, 1.5]), 2.0), (np.array([0.1, -0.2, 0.3]), 0.5))
def prog_broadcast_scalar_in_loop(x, s):
    """A scalar broadcast against an array inside a loop (unbroadcast in reverse)."""
    y = x
    for i in range(3):
        y = y * s + np.sin(y) / s
    return sum(y)


@inputs((np.array([0.5, 0.2, -0.3]), 3), (np.array([1.0, 0.2, -0.3]), 1))
def prog_while_over_array(x, n):
    """A `while` carrying an array, trip count from a data-dependent condition."""
    y = x
    k = 0
    while k < n and y[0] < 5.0:
        y = y * 1.5 + np.square(y) * 0.1
        k = k + 1
    return y[0] * y[2] + y[1]


@inputs((np.array([0.5, 0.2, -0.3]),),)
def prog_array_element_branch_in_loop(x):
    """A branch on an array element inside a loop over indices."""
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0.0:
            s = s + np.sqrt(x[i])
        else:
            s = s - x[i] * x[i]
    return s


@inputs((np.array([[1.0, 2.0], [3.0, 4.0]]) * 0.1,), (B3x2,))
def prog_array_shape_loop(m):
    """Trip counts from `m.shape` and `len(m)`; rows indexed by `m[i]`."""
    acc = m[0] * 0.0
    for i in range(len(m)):
        acc = acc + m[i] * m[i] / (i + 1)
    return acc[0] * acc[-1]


@inputs((np.array([0.3, -0.4, 0.9]),), (np.array([1.1, 0.2, -0.5]),))
def prog_list_of_arrays(x):
    """A list of arrays grown in a loop; the last one and an element read back."""
    hs = [x]
    for i in range(3):
        hs.append(np.sin(hs[-1]) + x)
    return sum(hs[-1]) + hs[1][0]


@inputs((np.array([0.3, -0.4, 0.9]),),)
def prog_array_from_list_built_in_loop(x):
    """`np.array(ys)` of a list appended to in a loop."""
    ys = []
    for v in x:
        ys.append(v * v)
    y = np.array(ys)
    return sum(np.exp(y))


@inputs((np.array([0.3, -0.4, 0.9]),),)
def prog_countdown_index_loop(x):
    """`range(len(x) - 1, -1, -1)` down to index 0."""
    s = 0.0
    for i in range(len(x) - 1, -1, -1):
        s = s * 0.5 + x[i]
    return s


@inputs((np.array([0.3, -0.4, 0.9]),),)
def prog_negative_indices_in_loop(x):
    """`x[-i]` for i = 1, 2, 3."""
    s = 0.0
    for i in range(1, 4):
        s = s + x[-i] * i
    return s


@inputs((np.array([0.3, -0.4, 0.9]),),)
def prog_loop_over_reversed_slice(x):
    """`for v in x[::-1]`: iterating over a slice of the input."""
    s = 0.0
    for v in x[::-1]:
        s = s * 0.5 + v
    return s


@inputs((np.array([[0.3, -0.4], [0.9, 0.2]]),),)
def prog_loop_over_transpose(m):
    """`for col in m.T`: iterating over the columns."""
    s = 0.0
    for col in m.T:
        s = s + col[0] * col[1]
    return s


@inputs((np.array([0.3, -0.4, 0.9, 0.2]),),)
def prog_sliding_window(x):
    """Slices `x[i:i + 2]` of the input inside a loop, with a conditional expression."""
    s = 0.0
    for i in range(3):
        s = s + sum(x[i:i + 2] * x[i + 1:i + 3] if i < 2 else x[i:] * 2.0)
    return s


@inputs((np.array([0.3, -0.4, 0.9]), np.array([1.0, 2.0, 0.5])),)
def prog_many_elementwise_functions(x, y):
    """np.sqrt, np.cos, np.arctan on arrays carried through a loop."""
    z = x
    for i in range(3):
        z = np.sqrt(z * z + y) * np.cos(z) - np.arctan(y * z)
    return z[0] + z[1] * z[2]


@inputs((np.array([0.3, 0.4, 0.9]),), (np.array([0.05, 0.4, 0.9]),))
def prog_while_shrinks_array(x):
    """A `while` on an array element; zero trips for the second input."""
    y = x
    while y[2] > 0.1:
        y = y * 0.5 + np.sin(y) * 0.1
    return y[0] + y[1]


@inputs((np.array([[0.3, 0.4], [0.9, -0.2]]), 0.5),)
def prog_rows_times_scalar_parameter(m, w):
    """Rows scaled by an active scalar: `np.tanh(row * w + 0.1)`."""
    out = 0.0
    for row in m:
        h = np.tanh(row * w + 0.1)
        out = out + h[0] * h[1]
    return out


@inputs((np.array([0.3, 0.8]),), (np.array([-0.4, 1.3]),))
def prog_arrays_appended_in_while(x):
    """Arrays appended to a list in a `while` on its length."""
    hs = [x]
    while len(hs) < 4:
        hs.append(np.sin(hs[-1]) * 1.5)
    return hs[-1][0] + hs[2][1]


@inputs((np.array([0.3, -0.4, 0.9]),), (np.array([1.2, 0.5, -0.1]),))
def prog_pairwise_energy(x):
    """A pairwise interaction energy: a double loop with an inner temporary."""
    e = 0.0
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            d = x[i] - x[j]
            e = e + 1.0 / (1.0 + d * d)
    return e
