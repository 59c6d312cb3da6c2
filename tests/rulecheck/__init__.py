"""Checking derivative rules numerically, in both modes.

A *case* is an expression over differentiable inputs (``x``, ``y``, …) with
their shapes and domains. ``check_case`` writes the case as a function into a
real module file (wengert reads source), then checks, for float64 and
float32 inputs:

* forward mode (``jvp``) against a central difference along a random direction;
* reverse mode (``vjp``) by the dot-product test ``<u, J v> == <J^T u, v>``
  against the same central difference;
* forward against reverse directly (tight tolerance);
* adjoints keep the input's dtype (float32 in, float32 out).
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import tempfile
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

import wengert

DOMAINS = {
    "real": lambda r, s: r.uniform(-2.0, 2.0, s),
    "positive": lambda r, s: r.uniform(0.5, 2.0, s),
    "unit": lambda r, s: r.uniform(-0.8, 0.8, s),
    "gt1": lambda r, s: r.uniform(1.2, 3.0, s),
    "nonzero": lambda r, s: r.choice([-1.0, 1.0], s) * r.uniform(0.5, 2.0, s),
    "spd": None,     # symmetric positive definite matrix (square shape)
    # linalg: square or stacked-square shapes unless noted
    "invertible": lambda r, s: _invertible(r, s),      # well conditioned, det of either sign
    "symmetric": lambda r, s: _symmetric(r, s),        # eigenvalues 1.5 apart, both signs
    "separated": lambda r, s: _separated(r, s),        # any (..., m, n): singular values 1, 2, 3, ...
    "zero": lambda r, s: np.zeros(s),                  # e.g. a norm at its kink
    "identity": lambda r, s: np.zeros(s) + np.eye(s[-1]),  # repeated eigen/singular values
    "prob": lambda r, s: r.uniform(0.1, 0.9, s),        # inside (0, 1), e.g. logit
    # reductions
    "zeros": lambda r, s: _with_zeros(r, s),           # exact zeros at flat[1::3]
    "pairs": lambda r, s: _in_pairs(r, s),             # every value exactly twice
}


def _with_zeros(r, s):
    """Non-zero values with exact zeros at every third entry from the second
    (a (2, 3) array has a zero in each row and two in its middle column)."""
    v = np.array(r.choice([-1.0, 1.0], s) * r.uniform(0.5, 2.0, s), dtype=float)
    v.reshape(-1)[1::3] = 0.0
    return v


def _in_pairs(r, s):
    """Every value appears exactly twice: two-way ties (the size must be even)."""
    n = int(np.prod(s))
    half = r.uniform(-2.0, 2.0, (n + 1) // 2)
    return r.permutation(np.concatenate([half, half])[:n]).reshape(s)


def _orthogonal(r, batch, n):
    q, rr = np.linalg.qr(r.standard_normal(batch + (n, n)))
    return q * np.sign(np.diagonal(rr, axis1=-2, axis2=-1))[..., None, :]


def _invertible(r, s):
    m = r.uniform(-1.0, 1.0, s) + s[-1] * np.eye(s[-1])
    m[..., 0, :] *= r.choice([-1.0, 1.0], s[:-2] + (1,))
    return m


def _symmetric(r, s):
    q = _orthogonal(r, s[:-2], s[-1])
    w = 1.5 * (np.arange(s[-1]) - (s[-1] - 1) / 2.0) + 0.25
    return (q * w) @ np.swapaxes(q, -1, -2)


def _separated(r, s):
    m, n = s[-2], s[-1]
    k = min(m, n)
    u = _orthogonal(r, s[:-2], m)[..., :k]
    v = _orthogonal(r, s[:-2], n)[..., :k]
    sv = r.permutation(np.arange(1.0, k + 1.0))
    return (u * sv) @ np.swapaxes(v, -1, -2)


@dataclass
class Arg:
    shape: tuple = ()
    domain: str = "real"
    pyfloat: bool = False          # a Python float rather than a NumPy array


@dataclass
class Case:
    expr: str
    args: dict                     # name -> Arg
    covers: tuple = ()             # rule keys this case exercises
    id: str = ""
    rtol: float = 1e-5
    float32: bool = True
    imports: str = ""
    seed: int = 0

    def __post_init__(self):
        if not self.id:
            shapes = ",".join(f"{k}{a.shape if not a.pyfloat else 'f'}"
                              for k, a in self.args.items())
            self.id = f"{self.expr}[{shapes}]"


_MODULE_COUNTER = itertools.count()
_TMP = tempfile.mkdtemp(prefix="wengert_rulecheck_")

HEADER = "import math\nimport operator\nimport numpy as np\nimport wengert\n"


def make_function(case: Case):
    """Write the case as ``def f(x, y): return <expr>`` into a module file."""
    n = next(_MODULE_COUNTER)
    path = os.path.join(_TMP, f"case_{n}.py")
    params = ", ".join(case.args)
    with open(path, "w") as fh:
        fh.write(HEADER + case.imports + "\n\n")
        fh.write(f"def f({params}):\n    return {case.expr}\n")
    spec = importlib.util.spec_from_file_location(f"wengert_case_{n}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.f


def sample(case: Case, dtype, rng):
    vals = []
    for a in case.args.values():
        if a.domain == "spd":
            m = rng.uniform(-1, 1, a.shape)
            v = m @ np.swapaxes(m, -1, -2) + a.shape[-1] * np.eye(a.shape[-1])
        else:
            v = DOMAINS[a.domain](rng, a.shape)
        if a.pyfloat:
            vals.append(float(v))
        else:
            vals.append(np.asarray(v, dtype=dtype))
    return vals


def _as64(v):
    return float(v) if isinstance(v, float) else np.asarray(v, dtype=np.float64)


def _direction(v, rng):
    if isinstance(v, float):
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(v)).astype(np.asarray(v).dtype)


def _dot(a, b) -> float:
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))


def central_difference(f, xs, vs, eps=1e-6):
    hi = [_as64(x) + eps * _as64(v) for x, v in zip(xs, vs)]
    lo = [_as64(x) - eps * _as64(v) for x, v in zip(xs, vs)]
    return (np.asarray(f(*hi), dtype=np.float64) - np.asarray(f(*lo), dtype=np.float64)) / (2 * eps)


def check_case(case: Case, dtype=np.float64, optimize: bool = True):
    """Raise AssertionError with a readable message if the rule is wrong."""
    rng = np.random.default_rng(case.seed)
    f = make_function(case)
    xs = sample(case, dtype, rng)
    vs = [_direction(x, rng) for x in xs]
    fd = central_difference(f, xs, vs)
    value, tangent = wengert.jvp(f, xs, vs)
    tol = case.rtol if dtype == np.float64 else max(case.rtol, 2e-3)
    scale = max(1.0, float(np.max(np.abs(fd))) if np.size(fd) else 1.0)
    assert np.shape(tangent) == np.shape(fd), \
        f"forward: tangent shape {np.shape(tangent)} != output shape {np.shape(fd)}"
    err = float(np.max(np.abs(np.asarray(tangent, dtype=np.float64) - fd))) if np.size(fd) else 0.0
    assert err <= tol * scale * 10, f"forward mode disagrees with finite differences by {err:.3g}"
    u = _direction(np.asarray(value), rng)
    if isinstance(value, float):
        u = float(u)
    value2, pullback = wengert.vjp(f, *xs)
    grads = pullback(u)
    assert len(grads) == len(xs)
    for x, gr in zip(xs, grads):
        assert np.shape(gr) == np.shape(x), \
            f"reverse: adjoint shape {np.shape(gr)} != input shape {np.shape(x)}"
        if dtype == np.float32 and not isinstance(x, float):
            assert np.asarray(gr).dtype == np.float32, \
                f"reverse: float32 input got a {np.asarray(gr).dtype} adjoint"
    lhs = _dot(u, fd)
    rhs = sum(_dot(gr, v) for gr, v in zip(grads, vs))
    dscale = max(1.0, abs(lhs))
    assert abs(lhs - rhs) <= tol * dscale * 10, \
        f"reverse mode fails the dot-product test: <u, Jv> = {lhs:.6g}, <J^T u, v> = {rhs:.6g}"
    exact = _dot(u, tangent)
    assert abs(exact - rhs) <= (1e-9 if dtype == np.float64 else 1e-3) * max(1.0, abs(exact)) * 100, \
        f"forward and reverse disagree: {exact!r} vs {rhs!r}"
