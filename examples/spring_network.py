"""Objects with methods inside the differentiated function: a spring network.

A physics model written the object-oriented way: each ``Spring`` knows its
ends, stiffness and rest length and computes its own energy; the network's
energy is the sum over a list of springs plus gravity. ``wengert.grad``
differentiates ``network_energy`` with the springs as an argument: each
``spring.energy(...)`` call is compiled as the call of ``Spring.energy`` it
is (the class of every item is checked at each call), and its small body is
spliced into the gradient like any helper.

Here: the network hangs from its two pinned ends and relaxes by gradient
descent to where the net force on every free node vanishes.

    python examples/spring_network.py
"""

import numpy as np

import wengert


class Spring:
    def __init__(self, i, j, stiffness, rest):
        self.i, self.j = i, j
        self.stiffness = stiffness
        self.rest = rest

    def stretch(self, pos):
        d = pos[self.i] - pos[self.j]
        return np.sqrt(np.sum(d * d)) - self.rest

    def energy(self, pos):
        return 0.5 * self.stiffness * self.stretch(pos) ** 2


def network_energy(free, pinned, springs, weight):
    pos = np.concatenate([pinned[:1], free.reshape(-1, 2), pinned[1:]])
    total = weight * np.sum(pos[:, 1])            # gravity pulls every node down
    for spring in springs:
        total = total + spring.energy(pos)
    return total


def main():
    n = 8                                          # nodes 0 and n-1 are pinned
    pinned = np.array([[0.0, 0.0], [7.0, 0.0]])
    springs = [Spring(k, k + 1, 50.0, 0.9) for k in range(n - 1)]
    springs += [Spring(k, k + 2, 5.0, 1.8) for k in range(n - 2)]   # bending
    free = np.column_stack([np.arange(1.0, n - 1), np.zeros(n - 2)]).ravel()

    grad = wengert.grad(network_energy)
    g = grad(free, pinned, springs, 0.5)
    step = 1e-6                                    # check once by central differences
    fd = np.array([(network_energy(free + step * e, pinned, springs, 0.5)
                    - network_energy(free - step * e, pinned, springs, 0.5)) / (2 * step)
                   for e in np.eye(free.size)])
    assert np.allclose(g, fd, rtol=1e-6, atol=1e-6)

    for _ in range(4000):
        free = free - 0.01 * grad(free, pinned, springs, 0.5)
    force = -grad(free, pinned, springs, 0.5)
    print("relaxed free nodes (x, y):")
    print(np.round(free.reshape(-1, 2), 4))
    print(f"largest net force on a free node: {np.abs(force).max():.2e}")
    assert np.abs(force).max() < 1e-6
    assert np.allclose(free.reshape(-1, 2)[:, 0], 7.0 - free.reshape(-1, 2)[::-1, 0])  # symmetric
    print("\nThe gradient code (Spring.energy and Spring.stretch spliced in):")
    print(grad.source)


if __name__ == "__main__":
    main()
