"""Nested containers of arrays ("trees"): tuples, lists and dicts.

A gradient comes back in the structure of its input (a dict of parameters
gives a dict of gradients). Forward mode and the Jacobian operators need the
leaves one by one: ``flatten`` and ``unflatten`` provide them.
"""

from __future__ import annotations

import numpy as np


def flatten(tree):
    """``(leaves, rebuild)``: the leaves in a fixed order and a function that
    puts new leaves back into the same structure."""
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [flatten(tree[k]) for k in keys]
        return _join(parts, lambda vals: dict(zip(keys, vals)))
    if isinstance(tree, (list, tuple)):
        parts = [flatten(v) for v in tree]
        kind = type(tree)
        return _join(parts, lambda vals: kind(vals) if kind in (list, tuple) else kind(*vals))
    return [tree], lambda leaves: leaves[0]


def _join(parts, build):
    leaves, sizes = [], []
    for lv, _ in parts:
        leaves.extend(lv)
        sizes.append(len(lv))

    def rebuild(new):
        out, i = [], 0
        for (_, rb), n in zip(parts, sizes):
            out.append(rb(new[i:i + n]))
            i += n
        return build(out)
    return leaves, rebuild


def zeros_like(tree):
    leaves, rebuild = flatten(tree)
    return rebuild([0.0 if isinstance(v, (float, int)) else np.zeros_like(v) for v in leaves])


def is_leaf(x) -> bool:
    return not isinstance(x, (dict, list, tuple))


def basis(tree):
    """Every unit tangent of a tree, as ``(leaf_index, element_index, tangent)``."""
    leaves, rebuild = flatten(tree)
    for i, leaf in enumerate(leaves):
        shape = np.shape(leaf)
        for idx in np.ndindex(*shape):
            new = [0.0 if np.ndim(v) == 0 and not isinstance(v, np.ndarray) else
                   np.zeros_like(v, dtype=np.result_type(v, np.float32)) for v in leaves]
            if isinstance(leaf, np.generic):    # np.float32(2.0): a float32 tangent
                new[i] = np.result_type(leaf, np.float32).type(1.0)
            elif shape == ():
                new[i] = 1.0 if not isinstance(leaf, np.ndarray) else np.ones_like(new[i])
            else:
                new[i] = np.zeros_like(new[i])
                new[i][idx] = 1.0
            yield i, idx, rebuild(new)
