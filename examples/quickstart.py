"""wengert in a minute: the seed examples, their gradients, and the code that
computes them.

    make demo        (or: python examples/quickstart.py)
"""

import math

import wengert


def g(x):
    """g(x) = 2x^2 - x + 1, so g'(x) = 4x - 1."""
    return 2 * x ** 2 - x + 1


def f(x1, x2):
    """f(x1, x2) = log(x1) + x1*x2 - sin(x2)."""
    return math.log(x1) + x1 * x2 - math.sin(x2)


def z(x, y):
    """z = x*x + x*y + 2."""
    return x * x + x * y + 2


def main():
    dg = wengert.grad(g)
    print("g'(3) =", dg(3.0))

    print("\nThe Wengert list of f (one elementary operation per line):")
    print(wengert.lower(f))

    df = wengert.grad(f, wrt=("x1", "x2"))
    print("grad f(2, 5) =", df(2.0, 5.0))
    print("\nThe reverse-mode code that computed it:")
    print(df.source)

    value, tangent = wengert.jvp(f, (2.0, 5.0), (1.0, 0.0))
    print("forward mode: f(2, 5) =", round(value, 6), " df/dx1 =", tangent)

    dz = wengert.grad(z, wrt=(0, 1), mode="forward")
    print("grad z(1, 2) by forward mode =", dz(1.0, 2.0))


if __name__ == "__main__":
    main()
