"""Checking one generated program against itself, three ways.

For a program ``f`` and inputs drawn from a seed:

1. the primal must be finite and moderate, and no branch condition or kink
   may be within ``MARGIN`` of flipping (read from the probed copy);
2. ``value_and_grad`` in reverse mode, ``grad`` in reverse mode (a different
   generated function: no value returned), reverse mode unoptimized, and
   ``value_and_grad`` in forward mode must all build and run, return the
   primal's value and gradients shaped like the inputs;
3. the gradients must agree with each other to ``AD_RTOL`` and with a
   fourth-order central difference to ``FD_RTOL``, both relative to the
   scale of the gradient (its largest entry, at least ``SCALE_FLOOR``). The
   difference is taken with two step sizes; if those disagree the function
   is not smooth enough there and the example is skipped, not failed.
"""

from __future__ import annotations

import atexit
import importlib.util
import itertools
import os
import shutil
import tempfile
import traceback
import warnings
from dataclasses import dataclass

import numpy as np

import wengert

MARGIN = 2e-2          # skip when a condition/kink is this close to flipping
FD_STEPS = (1e-3, 2e-3)
FINE_STEPS = (1e-6, 2e-6)  # where the AD disagrees with FD_STEPS: they decide
FD_RTOL = 1e-5
AD_RTOL = 1e-9
SCALE_FLOOR = 0.1
MAX_VALUE = 1e6

_TMP = None
_COUNT = itertools.count()


@dataclass
class Outcome:
    status: str                 # "ok" | "skip" | "fail"
    reason: str = ""
    detail: str = ""

    def __bool__(self) -> bool:
        return self.status != "fail"


def tmpdir() -> str:
    global _TMP
    if _TMP is None:
        _TMP = tempfile.mkdtemp(prefix="wengert_fuzz_")
        atexit.register(shutil.rmtree, _TMP, True)
    return _TMP


def load(source: str, tag: str = "prog"):
    """Write ``source`` to a fresh file and import it (wengert reads source)."""
    n = next(_COUNT)
    modname = f"wengert_fuzz_{tag}_{os.getpid()}_{n}"
    path = os.path.join(tmpdir(), modname + ".py")
    with open(path, "w") as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def make_inputs(params, seed: int) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for _, shape in params:
        if shape == ():
            out.append(float(rng.uniform(-1.5, 1.5)))
        else:
            out.append(rng.uniform(-1.5, 1.5, shape))
    return out


def _flat(values) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in values])


def finite_difference(f, args, h: float) -> list:
    """Fourth-order central differences, one per input entry."""
    grads = []
    for i, a in enumerate(args):
        if np.ndim(a) == 0:
            def at(t, i=i):
                moved = list(args)
                moved[i] = float(args[i]) + t
                return f(*moved)
            grads.append(_stencil(at, h))
            continue
        g = np.zeros(np.shape(a))
        for idx in np.ndindex(*np.shape(a)):
            def at(t, i=i, idx=idx):
                moved = list(args)
                arr = np.array(args[i], dtype=float)
                arr[idx] += t
                moved[i] = arr
                return f(*moved)
            g[idx] = _stencil(at, h)
        grads.append(g)
    return grads


def _stencil(at, h: float) -> float:
    return float((-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h))


def _ok_value(v) -> bool:
    return np.ndim(v) == 0 and np.isfinite(v) and abs(float(v)) < MAX_VALUE


LABELS = ("reverse value_and_grad", "reverse grad", "reverse unoptimized",
          "forward value_and_grad")


def derivatives(f, nargs: int):
    """The derivative functions compared: name -> callable returning (value?, grads)."""
    # one input: wrt=0 (a bare gradient); several: a tuple. (wrt=(0,) is a
    # known bug in reverse mode: test_fuzz_regressions.py)
    wrt = tuple(range(nargs)) if nargs > 1 else 0
    return {
        "reverse value_and_grad": wengert.value_and_grad(f, wrt=wrt, mode="reverse"),
        "reverse grad": wengert.grad(f, wrt=wrt, mode="reverse"),
        "reverse unoptimized": wengert.value_and_grad(f, wrt=wrt, mode="reverse",
                                                      optimize=False),
        "forward value_and_grad": wengert.value_and_grad(f, wrt=wrt, mode="forward"),
    }


def check(program, seed: int, labels=None) -> Outcome:
    """Run every comparison; never raises for a wengert bug, returns a failure.
    ``labels`` limits the derivatives built (the reducer uses it)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _check(program, seed, labels)


def _check(program, seed: int, labels=None) -> Outcome:
    f = getattr(load(program.source), program.entry)
    probed_mod = load(program.probed, "probed")
    args = make_inputs(program.params, seed)
    try:
        value = f(*args)
    except (OverflowError, ValueError, ZeroDivisionError) as exc:
        return Outcome("skip", f"primal raised {type(exc).__name__}")
    if not _ok_value(value):
        return Outcome("skip", "primal not finite or too large")
    margins = getattr(probed_mod, "_MARGINS", [])
    margins.clear()
    pvalue = getattr(probed_mod, program.entry)(*args)
    if not np.isclose(pvalue, value, rtol=1e-10, atol=1e-12):
        return Outcome("skip", "probed copy disagrees (generator bug)")
    if margins and min(margins) < MARGIN:
        return Outcome("skip", "a branch or kink is near")

    results = {}
    pristine = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
    for label, d in derivatives(f, len(args)).items():
        if labels is not None and label not in labels:
            continue
        try:
            out = d(*args)
        except Exception as exc:                        # noqa: BLE001 -- a bug either way
            return Outcome("fail", f"{label} raised {type(exc).__name__}",
                           f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-4)}")
        if label == "reverse grad":
            v, g = value, out
        else:
            v, g = out
        if len(args) == 1:
            g = (g,)
        if not isinstance(g, tuple) or len(g) != len(args):
            return Outcome("fail", f"{label}: gradient is not a {len(args)}-tuple", repr(out))
        for a, gi in zip(args, g):
            if np.shape(gi) != np.shape(a):
                return Outcome("fail", f"{label}: gradient shape {np.shape(gi)} for an input "
                                       f"of shape {np.shape(a)}", repr(out))
        if any(isinstance(a, np.ndarray) and not np.array_equal(a, b)
               for a, b in zip(args, pristine)):
            return Outcome("fail", f"{label} modified its input arrays")
        if not np.isclose(v, value, rtol=1e-10, atol=1e-12):
            return Outcome("fail", f"{label}: value {v!r} != f(...) = {value!r}")
        results[label] = _flat(g)

    fd1 = _flat(finite_difference(f, args, FD_STEPS[0]))
    fd2 = _flat(finite_difference(f, args, FD_STEPS[1]))
    if not (np.all(np.isfinite(fd1)) and np.all(np.isfinite(fd2))):
        return Outcome("skip", "finite difference not finite")
    scale = max(SCALE_FLOOR, float(np.max(np.abs(fd1))))
    if np.max(np.abs(fd1 - fd2)) > 0.1 * FD_RTOL * scale:
        return Outcome("skip", "finite differences disagree (not smooth here)")

    first = next(iter(results))
    ref = results[first]
    for label, g in results.items():
        if not np.all(np.isfinite(g)):
            return Outcome("fail", f"{label}: non-finite gradient", _table(results, fd1))
        if label != first and \
                np.max(np.abs(g - ref)) > AD_RTOL * max(scale, float(np.max(np.abs(ref)))):
            return Outcome("fail", f"{label} != {first}", _table(results, fd1))
    if any(np.max(np.abs(g - fd1)) > FD_RTOL * scale for g in results.values()):
        # a steep or fast-oscillating function fools the default steps (both
        # agreeing on a wrong value: seed 120302, x scaled by 1846 into sinc):
        # smaller steps, which must agree with each other, decide
        fd1 = _flat(finite_difference(f, args, FINE_STEPS[0]))
        fd2 = _flat(finite_difference(f, args, FINE_STEPS[1]))
        if not (np.all(np.isfinite(fd1)) and np.all(np.isfinite(fd2))) or \
                np.max(np.abs(fd1 - fd2)) > 0.1 * FD_RTOL * scale:
            return Outcome("skip", "finite differences disagree (not smooth here)")
    for label, g in results.items():
        if np.max(np.abs(g - fd1)) > FD_RTOL * scale:
            return Outcome("fail", f"{label} != finite differences", _table(results, fd1))
    return Outcome("ok")


def check_second_order(program, seed: int) -> Outcome:
    """``grad(grad(f, wrt=0), wrt=0)`` in both modes against a finite
    difference of the first derivative (the first parameter must be a scalar)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _check_second_order(program, seed)


def _check_second_order(program, seed: int) -> Outcome:
    first = check(program, seed)            # the first derivative must be right first
    if first.status != "ok":
        return first
    f = getattr(load(program.source), program.entry)
    args = make_inputs(program.params, seed)
    assert np.ndim(args[0]) == 0, "second order needs a scalar first parameter"
    d1 = wengert.grad(f, wrt=0)
    results = {}
    for mode in ("reverse", "forward"):
        label = f"second order {mode}"
        try:
            results[label] = np.array([float(wengert.grad(d1, wrt=0, mode=mode)(*args))])
        except Exception as exc:                        # noqa: BLE001 -- a bug either way
            return Outcome("fail", f"{label} raised {type(exc).__name__}",
                           f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-4)}")

    def d1_at(t):
        moved = list(args)
        moved[0] = float(args[0]) + t
        return float(d1(*moved))
    fd1 = np.array([_stencil(d1_at, FD_STEPS[0])])
    fd2 = np.array([_stencil(d1_at, FD_STEPS[1])])
    if not np.all(np.isfinite(fd1 + fd2)):
        return Outcome("skip", "finite difference not finite")
    scale = max(SCALE_FLOOR, float(np.max(np.abs(fd1))))
    if np.max(np.abs(fd1 - fd2)) > 0.1 * FD_RTOL * scale:
        return Outcome("skip", "finite differences disagree (not smooth here)")
    for label, g in results.items():
        if not np.all(np.isfinite(g)) or np.max(np.abs(g - fd1)) > FD_RTOL * scale:
            return Outcome("fail", f"{label} != finite differences", _table(results, fd1))
    return Outcome("ok")


def _table(results: dict, fd) -> str:
    rows = [f"{'finite differences':>24}: {np.array2string(fd, precision=8)}"]
    rows += [f"{k:>24}: {np.array2string(v, precision=8)}" for k, v in results.items()]
    return "\n".join(rows)


def describe(program, seed: int, outcome: Outcome) -> str:
    """A failure report: the program, its inputs and what went wrong."""
    args = make_inputs(program.params, seed)
    return (f"{outcome.reason}\n{outcome.detail}\n\ninputs (seed {seed}): "
            f"{', '.join(f'{n}={a!r}' for (n, _), a in zip(program.params, args))}\n\n"
            f"{program.source}")


def repro_script(program, seed: int, outcome: Outcome) -> str:
    """A self-contained script that reruns one failing program."""
    args = make_inputs(program.params, seed)
    arg_lines = "\n".join(f"{n} = {_literal(a)}" for (n, _), a in zip(program.params, args))
    names = ", ".join(n for n, _ in program.params)
    wrt = tuple(range(len(program.params)))
    return (f"# {outcome.reason}\n" + "".join(f"# {line}\n" for line in
                                               outcome.detail.splitlines()[:12])
            + program.source + "\n\nif __name__ == '__main__':\n    import wengert\n"
            + "".join(f"    {line}\n" for line in arg_lines.splitlines())
            + f"    print('f =', f({names}))\n"
            + f"    for mode in ('reverse', 'forward'):\n"
            + f"        print(mode, wengert.grad(f, wrt={wrt}, mode=mode)({names}))\n")


def _literal(a) -> str:
    if np.ndim(a) == 0:
        return repr(float(a))
    return f"np.array({np.asarray(a).tolist()!r})"
