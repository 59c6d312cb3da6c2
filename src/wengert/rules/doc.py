"""Generate ``docs/rules.md`` from the rule table: ``python -m wengert.rules.doc``."""

from __future__ import annotations

import sys

from . import registry

HEADER = """# Derivative rules

Generated from the rule table (with NumPy {numpy}) by
`python -m wengert.rules.doc > docs/rules.md`;
`tests/test_docs.py` fails when this page and the table disagree. Every rule listed
here is checked in both modes against central finite differences and a dot-product
test, on float64 and float32 (`tests/test_rules.py`); the `math` module's on Python
floats, the only inputs it takes.

A rule is a template with the tangent and the adjoints side by side (see
`src/wengert/rules/registry.py` and [architecture.md](architecture.md)); register your
own with `@wengert.defrule`. *Reverse* lists the arguments that receive an adjoint.

For comparison, HIPS autograd defines about 209 reverse-mode and 123 forward-mode
rules over NumPy and SciPy.
"""


def _family(r) -> str:
    fn = r.fns[0] if r.fns else None
    mod = getattr(r._source, "__module__", None) or ""
    if not mod and fn is not None:
        mod = ""
    return mod


def rows():
    """(name, forward, reverse params, notes, family) for each differentiable rule."""
    registry.load_optional(everything=True)
    seen = {}
    for fn, r in registry.RULES.items():
        if r.nondiff or (getattr(fn, "__module__", "") or "").startswith("wengert."):
            continue            # wengert's own helpers: rules exist for higher order
        name = _name(fn, r)
        seen.setdefault(name, (name, r))
    for m, r in registry.METHOD_RULES.items():
        if not r.nondiff:
            seen.setdefault(f"ndarray.{m}()", (f"ndarray.{m}()", r))
    for a, r in registry.ATTR_RULES.items():
        if not r.nondiff:
            seen.setdefault(f"ndarray.{a}", (f"ndarray.{a}", r))
    out = []
    for name in sorted(seen, key=str.lower):
        _, r = seen[name]
        r.ensure_parsed()
        out.append((name, r.tangent is not None, r.diff_params, r.notes))
    return out


def _name(fn, r) -> str:
    mod = registry.home_module(fn)
    base = getattr(fn, "__name__", None) or r.name
    if mod.startswith("scipy."):        # scipy.special.erf, a ufunc too
        return f"{mod}.{base}"
    if type(fn).__name__ == "ufunc" or mod.startswith("numpy"):
        sub = mod.replace("numpy.linalg", "np.linalg").replace("numpy", "np") \
            if "linalg" in mod else "np"
        return f"{sub}.{base}"
    if mod in ("math", "builtins"):
        return f"{mod}.{base}" if mod == "math" else base
    if mod in ("_operator", "operator"):
        return f"operator.{base}"
    return f"{mod}.{base}" if mod else base


def nondiff_names():
    registry.load_optional(everything=True)
    names = set()
    for fn, r in registry.RULES.items():
        if r.nondiff:
            names.add(_name(fn, r))
    names |= {f"ndarray.{m}()" for m, r in registry.METHOD_RULES.items() if r.nondiff}
    names |= {f"ndarray.{a}" for a, r in registry.ATTR_RULES.items() if r.nondiff}
    return sorted(names, key=str.lower)


def markdown() -> str:
    table = rows()
    n_fwd = sum(1 for _, f, _, _ in table if f)
    n_rev = sum(1 for _, _, p, _ in table if p)
    import numpy
    lines = [HEADER.format(numpy=numpy.__version__), f"wengert: **{n_rev}** functions with reverse-mode rules and **{n_fwd}** "
             "with forward-mode rules (every rule has both), plus "
             f"{len(nondiff_names())} declared non-differentiable.\n",
             "| function | forward | reverse | notes |", "| --- | --- | --- | --- |"]
    for name, fwd, params, notes in table:
        rev = ", ".join(f"`{p}`" for p in params) or "—"
        lines.append(f"| `{name}` | {'yes' if fwd else '—'} | {rev} | {notes} |")
    lines += ["", "## Not differentiable", "",
              "Declared non-differentiable: their results are constants (zero derivative).", ""]
    lines.append(", ".join(f"`{n}`" for n in nondiff_names()))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
