"""``lstm``: ADBench's LSTM with diagonal weight "matrices" (elementwise
products), unrolled over the character sequence and the layers as the
definition loops; ``jacobian`` is the gradient with respect to main_params and
extra_params by wengert's reverse mode."""

import numpy as np

import wengert


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_objective(main_params, extra_params, state, sequence):
    layers = main_params.shape[0] // 2
    b = state.shape[1]
    c = sequence.shape[0]
    hidden = state[0::2].copy()          # hidden[i] and cell[i]: layer i's state
    cell = state[1::2].copy()
    total = 0.0
    for t in range(c - 1):
        v = sequence[t] * extra_params[0]
        for i in range(layers):
            w = main_params[2 * i]           # four blocks of b: forget, input, output, change
            bias = main_params[2 * i + 1]
            forget = sigmoid(v * w[:b] + bias[:b])
            ingate = sigmoid(hidden[i] * w[b:2 * b] + bias[b:2 * b])
            outgate = sigmoid(v * w[2 * b:3 * b] + bias[2 * b:3 * b])
            change = np.tanh(hidden[i] * w[3 * b:] + bias[3 * b:])
            cell[i] = cell[i] * forget + ingate * change
            hidden[i] = outgate * np.tanh(cell[i])
            v = hidden[i]
        y = v * extra_params[1] + extra_params[2]
        lse = np.log(np.sum(np.exp(y)) + 2)          # ADBench's "+ 2"
        total = total + np.sum(sequence[t + 1] * (y - lse))
    return -total / ((c - 1) * b)


jacobian = wengert.grad(lstm_objective, wrt=(0, 1))

FUNCTIONS = {"objective": lstm_objective, "jacobian": jacobian}


def define():
    jacobian(np.zeros((2, 4)), np.zeros((3, 1)), np.zeros((2, 1)), np.zeros((3, 1)))


def prepare(function, input):
    return tuple(np.asarray(input[key], dtype=np.float64)
                 for key in ("main_params", "extra_params", "state", "sequence"))


def output(function, result):
    if function == "objective":
        return float(result)
    main, extra = result
    return main.ravel().tolist() + extra.ravel().tolist()
