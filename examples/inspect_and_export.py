"""Read, export and draw the code wengert generates.

1. ``.source``: the derivative is ordinary Python you can read;
   ``wengert.show`` prints it (also ``wengert show FILE.py:FUNC``).
2. Export: the same code as a standalone module that needs only NumPy
   (``wengert export FILE.py:FUNC -o grad_FUNC.py``), here written to a
   temporary directory, imported and checked against ``wengert.grad``.
3. Draw: the Wengert list as a Graphviz DOT graph
   (``wengert graph FILE.py:FUNC -o graph.svg``), with the active path
   highlighted.

    python examples/inspect_and_export.py
"""

import importlib.util
import math
import os
import tempfile

import wengert
from wengert import analysis
from wengert.export import export_source
from wengert.graph import to_dot


def softplus(x):
    return math.log1p(math.exp(x))


def energy(x, y):
    """A small function with a helper call and a loop."""
    e = 0.0
    for k in range(3):
        e = e + softplus(x * y - k) / (k + 1)
    return e + 0.5 * x * x


def main():
    d = wengert.grad(energy, wrt=("x", "y"))
    print("gradient at (0.3, -0.7):", d(0.3, -0.7))
    print("\nThe code that computed it (d.source):")
    print(d.source)

    kinds = tuple(analysis.kind_of_value(a) for a in (0.3, -0.7))
    text = export_source(energy, "reverse", ("x", "y"), kinds, "grad_energy")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "grad_energy.py")
        with open(path, "w") as fh:
            fh.write(text)
        spec = importlib.util.spec_from_file_location("grad_energy", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        exported = module.grad_energy(0.3, -0.7)
        print(f"exported module ({len(text.splitlines())} lines, imports:",
              ", ".join(line for line in text.splitlines() if line.startswith("import")) + ")")
        print("exported grad_energy(0.3, -0.7):", exported)
        assert all(abs(a - b) <= 1e-12 for a, b in zip(exported, d(0.3, -0.7)))
        assert "import wengert" not in text

        dot = to_dot(energy, wrt="x")
        graph = os.path.join(tmp, "energy.dot")
        with open(graph, "w") as fh:
            fh.write(dot)
        print(f"\nwrote a {len(dot.splitlines())}-line DOT graph; its first nodes:")
        print("\n".join(dot.splitlines()[4:9]))
        assert dot.startswith('digraph "energy"') and "cluster_1" in dot


if __name__ == "__main__":
    main()
