"""Custom derivative rules: PyTorch's Sigmoid and ReLU autograd.Functions,
written with wengert.custom_vjp.

The PyTorch versions, for comparison (not run here):

    class Sigmoid(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = 1 / (1 + torch.exp(-x))
            ctx.save_for_backward(y)          # keep the output for backward
            return y

        @staticmethod
        def backward(ctx, grad_output):
            (y,) = ctx.saved_tensors
            return grad_output * y * (1 - y)

    class ReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            grad = grad_output.clone()
            grad[x < 0] = 0                   # no gradient where the input was negative
            return grad

In wengert, ``fwd`` plays ``forward`` (its second result is what ``ctx`` saves)
and ``bwd`` plays ``backward``; the generated gradient calls them, and you can
read where in ``.source``.
"""

import numpy as np

import wengert


@wengert.custom_vjp
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_fwd(x):
    y = 1.0 / (1.0 + np.exp(-x))
    return y, y                          # output, and the residual saved for backward


def sigmoid_bwd(y, g):
    return (g * y * (1.0 - y),)


sigmoid.defvjp(sigmoid_fwd, sigmoid_bwd)


@wengert.custom_vjp
def relu(x):
    return np.maximum(x, 0.0)


def relu_fwd(x):
    return np.maximum(x, 0.0), x         # save the input


def relu_bwd(x, g):
    return (np.where(x < 0.0, 0.0, g),)  # zero the gradient where the input was negative


relu.defvjp(relu_fwd, relu_bwd)


def loss_scalar(w, x):
    return sigmoid(relu(x * w)) * 2.0


def main():
    d = wengert.grad(loss_scalar)
    w, x = 0.7, 1.3
    print("d loss / d w =", d(w, x))
    eps = 1e-6
    print("finite difference =", (loss_scalar(w + eps, x) - loss_scalar(w - eps, x)) / (2 * eps))
    print(d.source)


if __name__ == "__main__":
    main()
