"""A generator of random programs in the subset wengert differentiates.

A program is a module: a prelude (imports and a few constant arrays), up to
two helper functions (one may be recursive; calls use keywords and
defaults), and the entry point ``f`` whose parameters are Python floats and
small arrays. Statements: assignments, augmented assignments, tuple swaps,
``if``/``else``, ``for`` over ``range``, over a list (plain, ``enumerate``,
``reversed``) or over an array's rows, bounded ``while``, ``break``,
``continue``, early ``return``, lists built with ``append``, comprehensions
and generator expressions under ``sum``, lambdas. Expressions: ``+ - * / **``,
unary minus, conditional expressions, indexing, ``math`` and NumPy
functions, helper and lambda calls. Every expression has a statically known
shape, drawn from a set in which any two shapes broadcast::

    (), (1,), (3,), (1, 3), (2, 1), (2, 3)

so operands can be combined freely, and every function is applied only
where it is smooth: ``np.log(1.0 + e * e)``, ``np.arcsin(0.9 * np.tanh(e))``,
``np.exp(np.sin(e))``. Functions with a kink (``abs``, ``np.maximum``, …)
and every branch condition on a differentiated value are rendered a second
time, in a *probed* copy of the program, through ``_probe``, which records
how far the value is from flipping; the checker skips inputs where one is
within reach of the finite-difference stencil.

The generator asks a *chooser* for every decision, so the same code drives
Hypothesis (``DrawChooser``: shrinkable, reproducible) and the long-running
command-line fuzzer (``RandomChooser``).
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

SHAPES = [(), (3,), (1, 3), (2, 1), (2, 3)]

# Language features the generator can switch off. ``KNOWN_BROKEN`` lists the
# ones that currently trip a known wengert bug (each pinned by an xfail test in
# ``tests/test_fuzz_regressions.py``); CI generates programs without them so it
# finds new bugs, ``run.py --all-features`` puts them back. Remove a feature
# from ``KNOWN_BROKEN`` when its regression test passes.
FEATURES = frozenset({
    "loop_jumps",      # break/continue in loops, return inside a loop or a nested if
    "loop_locals",     # a name first bound inside a loop body (incl. the target of
                       # a nested loop or of `for v in seq`)
    "loop_lambdas",    # a lambda defined inside a loop body
    "iter_rebind",     # `for r in a:` whose body rebinds `a`
    "global_copies",   # v = GLOBAL_ARRAY (a plain copy of module-level data)
    "loop_ifexp",      # a conditional expression (a if c else b) inside a loop body
    "constant_calls",  # a helper called with constant arguments only
    "recursion",       # a recursive helper
    "buffers",         # b = np.zeros(len(a) - k) filled in a loop over range(len(b))
})
KNOWN_BROKEN = frozenset()
# Fixed since the fuzzer found them (their regression tests now pass):
# loop_jumps, loop_locals, global_copies, iter_rebind, loop_ifexp, constant_calls,
# loop_lambdas.
DEFAULT_FEATURES = FEATURES - KNOWN_BROKEN
CONSTS = ["0.5", "1.5", "2.0", "-0.75", "0.25", "3.0", "-1.0", "2"]

# Constant arrays in the module's globals: read as data (inactive).
GLOBAL_ARRAYS = {
    "W3": ((3,), "np.array([0.5, -1.25, 2.0])"),
    "W21": ((2, 1), "np.array([[1.5], [-0.5]])"),
    "W23": ((2, 3), "np.array([[1.0, -0.5, 0.25], [0.75, 2.0, -1.5]])"),
}
ONES = {(1,): "ONE1", (3,): "ONE3", (1, 3): "ONE13", (2, 1): "ONE21", (2, 3): "ONE23"}

PRELUDE = "\n".join(
    ["import math", "", "import numpy as np", "", ""]
    + [f"{name} = {lit}" for name, (_, lit) in GLOBAL_ARRAYS.items()]
    + [f"{name} = np.ones({shape})" for shape, name in ONES.items()]) + "\n"

PROBES = '''
_MARGINS = []


def _probe(v):
    """Record how far ``v`` is from zero (a condition or kink flipping)."""
    _MARGINS.append(float(np.min(np.abs(v))))
    return v


def _kink2(fn, a, b):
    _probe(np.subtract(a, b))
    return fn(a, b)


def _kink1(fn, a):
    _probe(a)
    return fn(a)
'''

# -- the function families ------------------------------------------------------

# any real argument
NP_SMOOTH = ["np.sin", "np.cos", "np.tanh", "np.arctan", "np.arcsinh", "np.negative",
             "np.positive", "np.square", "np.deg2rad", "np.rad2deg", "np.radians",
             "np.degrees", "np.sinc"]
# argument made positive: f(c + e * e)
NP_POSITIVE = ["np.log", "np.sqrt", "np.log2", "np.log10", "np.reciprocal", "np.cbrt",
               "np.log1p"]
# argument bounded to (-0.9, 0.9)
NP_UNIT = ["np.arcsin", "np.arccos", "np.arctanh"]
# argument bounded to [-1, 1] to keep values small
NP_GROWING = ["np.exp", "np.exp2", "np.expm1", "np.sinh", "np.cosh", "np.tan"]
NP_BINARY_SMOOTH = ["np.add", "np.subtract", "np.multiply", "np.logaddexp",
                    "np.logaddexp2"]
NP_BINARY_KINK = ["np.maximum", "np.minimum", "np.fmax", "np.fmin"]
NP_KINK1 = ["np.abs", "np.absolute", "np.fabs", "abs"]

MATH_SMOOTH = ["math.sin", "math.cos", "math.tanh", "math.atan", "math.asinh",
               "math.erf", "math.erfc", "math.degrees", "math.radians"]
MATH_POSITIVE = ["math.log", "math.sqrt", "math.log2", "math.log10", "math.log1p"]
if hasattr(math, "cbrt"):
    MATH_POSITIVE.append("math.cbrt")
MATH_UNIT = ["math.asin", "math.acos", "math.atanh"]
MATH_GROWING = ["math.exp", "math.expm1", "math.sinh", "math.cosh", "math.tan"]
if hasattr(math, "exp2"):
    MATH_GROWING.append("math.exp2")
MATH_KINK1 = ["math.fabs"]


# -- choosers ---------------------------------------------------------------------


class RandomChooser:
    """Decisions from ``random.Random`` (the long-running fuzzer)."""

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def choice(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


class DrawChooser:
    """Decisions drawn from Hypothesis (shrinks toward the first option,
    the smallest integer and ``False``)."""

    def __init__(self, draw):
        from hypothesis import strategies as st
        self.draw = draw
        self.st = st

    def choice(self, seq):
        return self.draw(self.st.sampled_from(list(seq)))

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(self.st.integers(lo, hi))

    def chance(self, p: float) -> bool:
        return self.draw(self.st.integers(0, 999)) >= round(1000 * (1 - p))


def weighted(ch, options):
    """``options``: (weight, value) pairs with integer weights."""
    flat = [v for w, v in options for _ in range(w) if w > 0]
    return ch.choice(flat)


# -- expressions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Ex:
    """An expression: plain text, probed text and its shape."""

    text: str
    probed: str
    ty: tuple


def broadcast(*tys) -> tuple:
    return tuple(np.broadcast_shapes(*tys))


def fits(ty, fit) -> bool:
    return fit is None or broadcast(ty, fit) == tuple(fit)


def call(fn: str, *args: Ex, ty=None) -> Ex:
    ty = broadcast(*(a.ty for a in args)) if ty is None else ty
    return Ex(f"{fn}({', '.join(_bare(a.text) for a in args)})",
              f"{fn}({', '.join(_bare(a.probed) for a in args)})", ty)


def binop(a: Ex, op: str, b: Ex, ty=None) -> Ex:
    ty = broadcast(a.ty, b.ty) if ty is None else ty
    return Ex(f"({a.text} {op} {b.text})", f"({a.probed} {op} {b.probed})", ty)


def const(c: str) -> Ex:
    text = f"({c})" if c.startswith("-") else c
    return Ex(text, text, ())


def name(n: str, ty) -> Ex:
    return Ex(n, n, tuple(ty))


def kink2(fn: str, a: Ex, b: Ex) -> Ex:
    plain = call(fn, a, b)
    return Ex(plain.text, f"_kink2({fn}, {_bare(a.probed)}, {_bare(b.probed)})", plain.ty)


def kink1(fn: str, a: Ex) -> Ex:
    plain = call(fn, a)
    return Ex(plain.text, f"_kink1({fn}, {_bare(a.probed)})", plain.ty)


def _bare(text: str) -> str:
    """Drop one pair of outer parentheses when they wrap the whole text."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth = 0
    for i, c in enumerate(text):
        depth += c == "("
        depth -= c == ")"
        if depth == 0 and i < len(text) - 1:
            return text
    return text[1:-1]


# -- the environment ----------------------------------------------------------------


@dataclass
class Env:
    vars: dict = field(default_factory=dict)      # name -> shape (differentiable data)
    ints: list = field(default_factory=list)      # int-valued names (indices, counters)
    lists: dict = field(default_factory=dict)     # name -> element shape (non-empty)
    lambdas: dict = field(default_factory=dict)   # name -> (param shape, result shape)
    loop: bool = False                            # inside a loop body
    fn: str = "f"                                 # the function being generated
    ret_ty: tuple = ()
    frozen: frozenset = frozenset()               # names not to rebind (iterated over)

    def copy(self, **changes) -> "Env":
        e = Env(dict(self.vars), list(self.ints), dict(self.lists), dict(self.lambdas),
                self.loop, self.fn, self.ret_ty, self.frozen)
        for k, v in changes.items():
            setattr(e, k, v)
        return e


@dataclass
class Helper:
    name: str
    params: list                 # [(name, shape)]
    ret_ty: tuple
    default: Optional[str] = None   # name of a trailing scalar parameter with default
    recursive: bool = False


@dataclass
class Program:
    source: str
    probed: str
    params: list                 # [(name, shape)]; shape () is a Python float
    entry: str = "f"

    def __repr__(self) -> str:
        return f"Program(params={self.params!r}, source=\n{self.source})"


# -- the generator ---------------------------------------------------------------------


class Gen:
    MAX_DEPTH = 2            # nesting of blocks
    EXPR_DEPTH = 3

    def __init__(self, ch, features=DEFAULT_FEATURES, scalar_only: bool = False,
                 control: bool = True):
        self.ch = ch
        self.features = frozenset(features)
        self.scalar_only = scalar_only          # no arrays at all (second-order tests)
        self.control = control                  # loops (and lists, comprehensions)
        self.shapes = [()] if scalar_only else SHAPES
        self.count = 0
        self.helpers: list = []
        self.lines: list = []          # (indent, plain, probed)

    def fresh(self, base: str) -> str:
        self.count += 1
        return f"{base}{self.count}"

    def emit(self, indent: int, plain: str, probed: Optional[str] = None) -> None:
        self.lines.append((indent, plain, plain if probed is None else probed))

    # -- expressions --

    def leaf(self, env: Env, fit) -> Ex:
        variables = [name(n, t) for n, t in env.vars.items() if fits(t, fit)]
        if variables and self.ch.chance(0.75):
            return self.ch.choice(variables)
        options = [(2, const(c)) for c in CONSTS]
        if not self.scalar_only:
            options += [(1, name(n, t)) for n, (t, _) in GLOBAL_ARRAYS.items()
                        if fits(t, fit)]
        options += [(2, Ex(f"float({i})", f"float({i})", ())) for i in env.ints]
        return weighted(self.ch, options)

    def expr(self, env: Env, depth: int, fit=None) -> Ex:
        if depth <= 0 or self.ch.chance(0.25):
            return self.leaf(env, fit)
        for _ in range(3):
            e = self._compound(env, depth - 1, fit)
            if e is not None and fits(e.ty, fit):
                return e
        return self.leaf(env, fit)

    def _compound(self, env: Env, d: int, fit) -> Optional[Ex]:
        ch = self.ch
        kind = weighted(ch, [
            (6, "arith"), (2, "div"), (1, "neg"), (2, "pow"), (3, "np"), (2, "np_pos"),
            (1, "np_unit"), (1, "np_grow"), (2, "np_binary"), (1, "kink"),
            (2 if fits((), fit) else 0, "math"), (2, "index"), (1, "reduce"),
            (1 if not env.loop or "loop_ifexp" in self.features else 0, "ifexp"),
            (2 if env.ints else 0, "int"),
            (3 if self.helpers else 0, "helper"), (2 if env.lists else 0, "list"),
            (2 if env.lambdas else 0, "lambda"), (1, "lse"),
        ])
        sub = lambda: self.expr(env, d, fit)           # noqa: E731
        if kind == "arith":
            return binop(sub(), ch.choice(["+", "-", "*"]), sub())
        if kind == "div":
            a = sub()
            if ch.chance(0.3):
                return binop(a, "/", const(ch.choice(["2.0", "-0.75", "3.0"])))
            return binop(a, "/", self.positive(env, d, fit))
        if kind == "neg":
            a = sub()
            return Ex(f"(-{a.text})", f"(-{a.probed})", a.ty)
        if kind == "pow":
            form = ch.choice(["sq", "cube", "root", "inv", "var_exp", "const_base"])
            if form in ("sq", "cube"):
                return binop(sub(), "**", const("2" if form == "sq" else "3"))
            if form in ("root", "inv"):
                return binop(self.positive(env, d, fit), "**",
                             const("0.5" if form == "root" else "-1.5"))
            if form == "var_exp":
                return binop(self.positive(env, d, fit), "**", self.bounded(env, d, fit))
            return binop(const("2.0"), "**", self.bounded(env, d, fit))
        if kind == "np":
            return call(ch.choice(NP_SMOOTH), sub())
        if kind == "np_pos":
            return call(ch.choice(NP_POSITIVE), self.positive(env, d, fit))
        if kind == "np_unit":
            return call(ch.choice(NP_UNIT), self.bounded(env, d, fit, 0.9))
        if kind == "np_grow":
            return call(ch.choice(NP_GROWING), self.bounded(env, d, fit))
        if kind == "np_binary":
            form = ch.choice(["smooth", "hypot", "arctan2", "divide", "power"])
            if form == "smooth":
                return call(ch.choice(NP_BINARY_SMOOTH), sub(), sub())
            if form == "hypot":
                return call("np.hypot", sub(), self.positive(env, d, fit))
            if form == "arctan2":
                return call("np.arctan2", sub(), self.positive(env, d, fit))
            if form == "divide":
                return call("np.divide", sub(), self.positive(env, d, fit))
            return call(ch.choice(["np.power", "np.float_power"]),
                        self.positive(env, d, fit), self.bounded(env, d, fit))
        if kind == "kink":
            if ch.chance(0.5):
                return kink1(ch.choice(NP_KINK1), sub())
            return kink2(ch.choice(NP_BINARY_KINK), sub(), sub())
        if kind == "math":
            return self.math_expr(env, d)
        if kind == "index":
            return self.index(self.expr(env, d, None))
        if kind == "reduce":
            a = self.expr(env, d, None)
            if a.ty == ():
                return a
            return call("sum", a, ty=a.ty[1:])
        if kind == "ifexp":
            a, b = sub(), sub()
            ty = broadcast(a.ty, b.ty)
            a, b = self.exact(a, ty), self.exact(b, ty)
            c = self.cond(env, d)
            return Ex(f"({a.text} if {c.text} else {b.text})",
                      f"({a.probed} if {c.probed} else {b.probed})", a.ty)
        if kind == "int":
            i = ch.choice(env.ints)
            a = sub()
            form = ch.choice(["mul", "float", "div"])
            if form == "mul":
                return binop(name(i, ()), "*", a, ty=a.ty)
            if form == "float":
                return binop(a, "*", Ex(f"float({i})", f"float({i})", ()), ty=a.ty)
            return binop(a, "/", Ex(f"(1 + {i})", f"(1 + {i})", ()), ty=a.ty)
        if kind == "helper":
            return self.helper_call(env, d)
        if kind == "list":
            xs = ch.choice(sorted(env.lists))
            form = ch.choice(["last", "first", "sum"])
            ty = env.lists[xs]
            if form == "sum":
                return Ex(f"sum({xs})", f"sum({xs})", ty)
            idx = "-1" if form == "last" else "0"
            return Ex(f"{xs}[{idx}]", f"{xs}[{idx}]", ty)
        if kind == "lambda":
            lam = ch.choice(sorted(env.lambdas))
            pty, rty = env.lambdas[lam]
            arg = self.exact(self.expr(env, d, pty), pty)
            return call(lam, arg, ty=rty)
        if kind == "lse":
            return self.shifted(env, fit)
        raise AssertionError(kind)

    def shifted(self, env: Env, fit) -> Ex:
        """A numerically stable log-sum-exp or softmax, shifted by a max (whose
        derivatives cancel: ``optimize.hold_shifts``), of names in scope."""
        ch = self.ch
        arrays = [name(n, t) for n, t in env.vars.items() if t != ()]
        if arrays and not self.scalar_only and ch.chance(0.6):
            a = ch.choice(arrays)
            k = ch.integer(0, len(a.ty) - 1)
            keep = ch.chance(0.6) or k != 0
            if keep and tuple(1 if i == k else n for i, n in enumerate(a.ty)) not in ONES:
                k, keep = 0, False                     # (1, 1): not a shape of the grammar
            m = f"np.max({a.text}, axis={k}, keepdims={keep})"
            total = f"np.sum(np.exp({a.text} - {m}), axis={k}, keepdims={keep})"
            if ch.chance(0.3):                         # a softmax
                ty = a.ty
                text = f"(np.exp({a.text} - {m}) / np.sum(np.exp({a.text} - {m}), " \
                       f"axis={k}, keepdims=True))"
                if not keep:
                    text = text.replace("keepdims=False", "keepdims=True")
            else:
                ty = tuple(1 if i == k else n for i, n in enumerate(a.ty)) if keep \
                    else a.ty[1:]
                text = f"({m} + np.log({total}))"
            return Ex(text, text, ty)
        a, b = self.leaf(env, fit), self.leaf(env, fit)
        if a.ty == () and b.ty == () and ch.chance(0.5):
            m = f"max({a.text}, {b.text})"
            text = f"({m} + math.log(math.exp({a.text} - {m}) + math.exp({b.text} - {m})))"
            return Ex(text, text, ())
        m = f"np.maximum({a.text}, {b.text})"
        text = f"({m} + np.log(np.exp({a.text} - {m}) + np.exp({b.text} - {m})))"
        return Ex(text, text, broadcast(a.ty, b.ty))

    def positive(self, env, d, fit) -> Ex:
        """An expression that is >= 1 (or > 0.5): a safe log/sqrt/divide argument."""
        a = self.expr(env, d, fit)
        form = self.ch.choice(["sq", "exp", "cosh"])
        if form == "sq":
            return binop(const(self.ch.choice(["1.0", "1.5"])), "+", binop(a, "*", a))
        if form == "exp":
            return call("np.exp", call("np.sin", a))
        return call("np.cosh", call("np.tanh", a))

    def bounded(self, env, d, fit, scale: Optional[float] = None) -> Ex:
        """An expression in [-1, 1] (times ``scale``)."""
        a = self.expr(env, d, fit)
        b = call(self.ch.choice(["np.tanh", "np.sin", "np.cos"]), a)
        if scale is not None:
            return binop(const(str(scale)), "*", b)
        return b

    def math_expr(self, env, d) -> Ex:
        """A ``math`` function of a scalar (a Python float or a NumPy scalar)."""
        a = self.scalar(env, d)
        ch = self.ch
        family = ch.choice(["smooth", "positive", "unit", "grow", "kink", "binary"])
        if family == "smooth":
            return call(ch.choice(MATH_SMOOTH), a)
        if family == "positive":
            arg = binop(const("1.0"), "+", binop(a, "*", a))
            return call(ch.choice(MATH_POSITIVE), arg)
        if family == "unit":
            return call(ch.choice(MATH_UNIT),
                        binop(const("0.9"), "*", call("math.tanh", a)))
        if family == "grow":
            return call(ch.choice(MATH_GROWING), call("math.sin", a))
        if family == "kink":
            return kink1(ch.choice(MATH_KINK1), a)
        b = self.scalar(env, d)
        form = ch.choice(["atan2", "hypot", "pow", "log_base", "max", "min"])
        pos = binop(const("1.0"), "+", binop(b, "*", b))
        if form == "atan2":
            return call("math.atan2", a, pos)
        if form == "hypot":
            return call("math.hypot", a, pos)
        if form == "pow":
            return call("math.pow", pos, call("math.sin", a))
        if form == "log_base":
            return call("math.log", binop(const("1.0"), "+", binop(a, "*", a)),
                        binop(const("1.5"), "+", binop(b, "*", b)))
        return kink2(form, a, b)

    def scalar(self, env: Env, d: int) -> Ex:
        return self.reduce(self.expr(env, d, None))

    def reduce(self, a: Ex) -> Ex:
        while a.ty != ():
            if self.ch.chance(0.5):
                a = call("sum", a, ty=a.ty[1:])
            else:
                a = self.index(a, full=False)
        return a

    def index(self, a: Ex, full: bool = True) -> Ex:
        """``a[i]``, ``a[i, j]`` or ``a[::-1]``: a smaller (or the same) shape."""
        if a.ty == ():
            return a
        base = a.text if _is_name(a.text) else f"({_bare(a.text)})"
        pbase = a.probed if _is_name(a.probed) else f"({_bare(a.probed)})"
        n = a.ty[0]
        if full and len(a.ty) == 2 and self.ch.chance(0.4):
            i, j = self.ch.integer(0, n - 1), self.ch.integer(0, a.ty[1] - 1)
            return Ex(f"{base}[{i}, {j}]", f"{pbase}[{i}, {j}]", ())
        if full and a.ty == (3,) and self.ch.chance(0.15):
            return Ex(f"{base}[::-1]", f"{pbase}[::-1]", a.ty)
        i = self.ch.choice([str(k) for k in range(n)] + ["-1"])
        return Ex(f"{base}[{i}]", f"{pbase}[{i}]", a.ty[1:])

    def exact(self, a: Ex, ty) -> Ex:
        """``a`` widened to exactly shape ``ty`` (``a`` must fit into it)."""
        ty = tuple(ty)
        if a.ty == ty:
            return a
        assert fits(a.ty, ty), (a, ty)
        return binop(a, "*", name(ONES[ty], ty), ty=ty)

    def cond(self, env: Env, d: int, compound: bool = True) -> Ex:
        ch = self.ch
        kind = weighted(ch, [(3 if env.ints else 0, "int"), (4, "value"), (1, "two"),
                             (1 if compound else 0, "not"), (1 if compound else 0, "and")])
        if kind == "int":
            i = ch.choice(env.ints)
            text = ch.choice([f"{i} == 1", f"{i} % 2 == 0", f"{i} >= 1", f"{i} < 2"])
            return Ex(text, text, ())
        if kind in ("value", "two"):
            s = self.scalar(env, d)
            op = ch.choice([">", "<", ">=", "<="])
            if kind == "value":
                c = const(ch.choice(["0.0", "0.5", "-0.5", "1.0"]))
            else:
                c = self.scalar(env, d)
            return Ex(f"{s.text} {op} {c.text}",
                      f"_probe({s.probed} - {c.probed}) {op} 0.0", ())
        inner = self.cond(env, d, compound=False)
        if kind == "not":
            return Ex(f"not ({inner.text})", f"not ({inner.probed})", ())
        other = self.cond(env, d, compound=False)
        op = ch.choice(["and", "or"])
        return Ex(f"({inner.text}) {op} ({other.text})",
                  f"({inner.probed}) {op} ({other.probed})", ())

    def helper_call(self, env: Env, d: int) -> Ex:
        h = self.ch.choice(self.helpers)
        args, pargs = [], []
        for pname, pty in h.params:
            a = self.exact(self.expr(env, d, pty), pty)
            args.append(_bare(a.text))
            pargs.append(_bare(a.probed))
        if "constant_calls" not in self.features and not any(
                re.search(rf"\b{v}\b", a) for a in args for v in env.vars):
            v = self.ch.choice(sorted(env.vars))
            return name(v, env.vars[v])  # (reading a frozen name is fine)
        if h.recursive:
            n = str(self.ch.integer(0, 3))
            args.append(n)
            pargs.append(n)
        elif h.default is not None and self.ch.chance(0.5):
            s = self.scalar(env, d)
            args.append(f"{h.default}={_bare(s.text)}")
            pargs.append(f"{h.default}={_bare(s.probed)}")
        return Ex(f"{h.name}({', '.join(args)})", f"{h.name}({', '.join(pargs)})", h.ret_ty)

    # -- statements --

    def block(self, env: Env, indent: int, budget: int, depth: int) -> None:
        """At least one statement, at most ``budget``."""
        n = self.ch.integer(1, max(1, budget))
        for _ in range(n):
            self.statement(env, indent, depth)

    def statement(self, env: Env, ind: int, depth: int) -> None:
        ch = self.ch
        nested = depth < self.MAX_DEPTH
        arrays = [n for n, t in env.vars.items() if t != ()]
        same = _same_type_pairs(env)
        # without loop_locals, a loop body only rebinds names bound before it
        local = not env.loop or "loop_locals" in self.features
        seq_loops = "loop_locals" in self.features and self.control
        nested_loop = nested and local and self.control
        jumps = "loop_jumps" in self.features
        kind = weighted(ch, [
            (4 if local else 0, "new"), (3, "reassign"), (1, "augassign"),
            (3 if nested else 0, "if"),
            (2 if nested_loop else 0, "for"), (1 if nested_loop else 0, "while"),
            (1 if nested_loop else 0, "list"),
            (1 if env.lists and nested and seq_loops else 0, "for_list"),
            (1 if arrays and nested and seq_loops else 0, "for_rows"),
            (2 if env.loop and jumps else 0, "jump"),
            (1 if jumps or (depth == 0 and not env.loop) else 0, "return"),
            (1 if same else 0, "swap"),
            (1 if local and self.control else 0, "comprehension"),
            (1 if local and nested_loop and "buffers" in self.features and
             any(len(t) == 1 for t in env.vars.values()) else 0, "buffer"),
            (1 if env.fn == "f" and local and (not env.loop or "loop_lambdas" in
                                                self.features) else 0, "lambda"),
        ])
        getattr(self, "stmt_" + kind)(env, ind, depth)

    def stmt_new(self, env, ind, depth):
        e = self.expr(env, self.EXPR_DEPTH)
        if e.text in GLOBAL_ARRAYS and "global_copies" not in self.features:
            e = binop(e, "*", const("1.5"))
        v = self.fresh("v")
        self.emit(ind, f"{v} = {_bare(e.text)}", f"{v} = {_bare(e.probed)}")
        env.vars[v] = e.ty

    def stmt_reassign(self, env, ind, depth):
        free = sorted(set(env.vars) - env.frozen)
        if not free:
            self.emit(ind, "pass")
            return
        v = self.ch.choice(free)
        ty = env.vars[v]
        e = self.expr(env, self.EXPR_DEPTH - 1, ty)
        form = self.ch.choice(["damp", "add", "replace", "tanh"])
        if form == "replace" and e.ty == ty and \
                (e.text not in GLOBAL_ARRAYS or "global_copies" in self.features):
            rhs = e
        elif form == "tanh":
            rhs = binop(call("np.tanh", name(v, ty)), "+", e, ty=ty)
        elif form == "damp":
            rhs = binop(binop(const("0.5"), "*", name(v, ty)), "+", e, ty=ty)
        else:
            rhs = binop(name(v, ty), "+", e, ty=ty)
        self.emit(ind, f"{v} = {_bare(rhs.text)}", f"{v} = {_bare(rhs.probed)}")

    def stmt_augassign(self, env, ind, depth):
        """On scalars only: ``a += b`` on an array would write into the caller's array."""
        scalars = sorted(n for n, t in env.vars.items() if t == () and n not in env.frozen)
        if not scalars:
            self.stmt_reassign(env, ind, depth)
            return
        v = self.ch.choice(scalars)
        ty = env.vars[v]
        e = self.expr(env, self.EXPR_DEPTH - 1, ty)
        op = self.ch.choice(["+=", "-=", "*="])
        if op == "*=":
            e = call("np.tanh", e)
        self.emit(ind, f"{v} {op} {_bare(e.text)}", f"{v} {op} {_bare(e.probed)}")

    def stmt_if(self, env, ind, depth):
        c = self.cond(env, 1)
        self.emit(ind, f"if {c.text}:", f"if {c.probed}:")
        self.block(env.copy(), ind + 1, 3, depth + 1)
        if self.ch.chance(0.5):
            self.emit(ind, "else:")
            self.block(env.copy(), ind + 1, 3, depth + 1)

    def stmt_for(self, env, ind, depth):
        i = self.fresh("i")
        n = self.ch.integer(1, 3)
        self.emit(ind, f"for {i} in range({n}):")
        inner = env.copy(loop=True)
        inner.ints.append(i)
        self.block(inner, ind + 1, 3, depth + 1)

    def stmt_while(self, env, ind, depth):
        k = self.fresh("k")
        n = self.ch.integer(1, 3)
        self.emit(ind, f"{k} = 0")
        if self.ch.chance(0.4):
            c = self.cond(env, 1)
            self.emit(ind, f"while {k} < {n} and ({c.text}):", f"while {k} < {n} and ({c.probed}):")
        else:
            self.emit(ind, f"while {k} < {n}:")
        self.emit(ind + 1, f"{k} = {k} + 1")     # first, so `continue` cannot skip it
        inner = env.copy(loop=True)
        inner.ints.append(k)
        self.block(inner, ind + 1, 3, depth + 1)
        env.ints.append(k)

    def stmt_list(self, env, ind, depth):
        xs, i = self.fresh("xs"), self.fresh("i")
        n = self.ch.integer(1, 3)
        self.emit(ind, f"{xs} = []")
        self.emit(ind, f"for {i} in range({n}):")
        inner = env.copy(loop=True)
        inner.ints.append(i)
        e = self.expr(inner, self.EXPR_DEPTH - 1)
        self.emit(ind + 1, f"{xs}.append({_bare(e.text)})", f"{xs}.append({_bare(e.probed)})")
        if self.ch.chance(0.5):
            self.block(inner, ind + 1, 2, depth + 1)
        env.lists[xs] = e.ty

    def stmt_buffer(self, env, ind, depth):
        """An array sized by arithmetic on a length and filled item by item in
        a loop over its own length: its size is known only once ``len(a)`` is
        folded (kind inference once made up a size of 1 for it)."""
        a = self.ch.choice(sorted(n for n, t in env.vars.items() if len(t) == 1))
        n = env.vars[a][0]
        k = self.ch.integer(0, n - 1)
        b, i = self.fresh("b"), self.fresh("i")
        self.emit(ind, f"{b} = np.zeros(len({a}) - {k})")
        self.emit(ind, f"for {i} in range(len({b})):")
        inner = env.copy(loop=True)
        inner.ints.append(i)
        e = self.exact(self.expr(inner, self.EXPR_DEPTH - 1, ()), ())
        self.emit(ind + 1, f"{b}[{i}] = ({_bare(e.text)}) * {a}[{i} + {k}]",
                  f"{b}[{i}] = ({_bare(e.probed)}) * {a}[{i} + {k}]")
        v = self.fresh("v")                # (its shape is none of the grammar's: summed)
        self.emit(ind, f"{v} = np.sum({b} * {b}) + {b}[-1]")
        env.vars[v] = ()

    def stmt_for_list(self, env, ind, depth):
        xs = self.ch.choice(sorted(env.lists))
        v = self.fresh("u")
        inner = env.copy(loop=True)
        inner.vars[v] = env.lists[xs]
        form = self.ch.choice(["plain", "enumerate", "reversed"])
        if form == "enumerate":
            j = self.fresh("j")
            inner.ints.append(j)
            self.emit(ind, f"for {j}, {v} in enumerate({xs}):")
        elif form == "reversed":
            self.emit(ind, f"for {v} in reversed({xs}):")
        else:
            self.emit(ind, f"for {v} in {xs}:")
        self.block(inner, ind + 1, 3, depth + 1)

    def stmt_for_rows(self, env, ind, depth):
        a = self.ch.choice(sorted(n for n, t in env.vars.items() if t != ()))
        r = self.fresh("r")
        inner = env.copy(loop=True)
        inner.vars[r] = env.vars[a][1:]
        if "iter_rebind" not in self.features:
            inner.frozen = env.frozen | {a}
        self.emit(ind, f"for {r} in {a}:")
        self.block(inner, ind + 1, 3, depth + 1)

    def stmt_jump(self, env, ind, depth):
        jump = self.ch.choice(["break", "continue"])
        if self.ch.chance(0.15):
            self.emit(ind, jump)
            return
        c = self.cond(env, 1)
        self.emit(ind, f"if {c.text}:", f"if {c.probed}:")
        self.emit(ind + 1, jump)

    def stmt_return(self, env, ind, depth):
        c = self.cond(env, 1)
        e = self.result(env)
        self.emit(ind, f"if {c.text}:", f"if {c.probed}:")
        self.emit(ind + 1, f"return {_bare(e.text)}", f"return {_bare(e.probed)}")

    def stmt_swap(self, env, ind, depth):
        pairs = [(a, b) for a, b in _same_type_pairs(env)
                 if a not in env.frozen and b not in env.frozen]
        if not pairs:
            self.stmt_reassign(env, ind, depth)
            return
        a, b = self.ch.choice(pairs)
        self.emit(ind, f"{a}, {b} = {b}, {a}")

    def stmt_comprehension(self, env, ind, depth):
        j, v = self.fresh("j"), self.fresh("v")
        inner = env.copy()
        inner.ints.append(j)
        e = self.expr(inner, self.EXPR_DEPTH - 1)
        n = self.ch.integer(1, 3)
        if self.ch.chance(0.5):
            text = f"{v} = sum([{_bare(e.text)} for {j} in range({n})])"
            probed = f"{v} = sum([{_bare(e.probed)} for {j} in range({n})])"
        else:
            text = f"{v} = sum({_bare(e.text)} for {j} in range({n}))"
            probed = f"{v} = sum({_bare(e.probed)} for {j} in range({n}))"
        self.emit(ind, text, probed)
        env.vars[v] = e.ty

    def stmt_lambda(self, env, ind, depth):
        lam, t = self.fresh("lam"), self.fresh("t")
        pty = self.ch.choice(self.shapes)
        inner = Env(vars={t: pty}, fn="lambda")
        for n, ty in env.vars.items():           # free variables of f
            if self.ch.chance(0.3):
                inner.vars[n] = ty
        saved = self.helpers
        self.helpers = []                        # lambdas call no helpers
        try:
            e = self.expr(inner, 2)
        finally:
            self.helpers = saved
        self.emit(ind, f"{lam} = lambda {t}: {_bare(e.text)}",
                  f"{lam} = lambda {t}: {_bare(e.probed)}")
        env.lambdas[lam] = (pty, e.ty)

    # -- functions --

    def result(self, env: Env) -> Ex:
        """The value a ``return`` gives back: shape ``env.ret_ty``; it reads
        most live variables, so most of the program matters."""
        e = self.expr(env, self.EXPR_DEPTH)
        names = sorted(env.vars)
        picked = [n for n in names if self.ch.chance(0.6)] or names[:1]
        for n in picked:
            e = binop(e, self.ch.choice(["+", "-"]), name(n, env.vars[n]))
        if env.ret_ty == ():
            return self.reduce(e)
        return self.exact(e if fits(e.ty, env.ret_ty) else self.reduce(e), env.ret_ty)

    def function(self, fname: str, params, ret_ty, budget: int, extra_params=()) -> list:
        self.lines = []
        sig = ", ".join([p for p, _ in params] + list(extra_params))
        self.emit(0, f"def {fname}({sig}):")
        env = Env(vars=dict(params), fn=fname, ret_ty=ret_ty)
        for p in extra_params:
            env.vars[p.split("=")[0]] = ()
        self.block(env, 1, budget, 0)
        e = self.result(env)
        self.emit(1, f"return {_bare(e.text)}", f"return {_bare(e.probed)}")
        return self.lines

    def helper(self) -> list:
        n = len(self.helpers) + 1
        fname = f"h{n}"
        nparams = self.ch.integer(1, 2)
        params = [(f"p{k}", self.ch.choice(self.shapes)) for k in range(nparams)]
        ret_ty = self.ch.choice(self.shapes)
        if "recursion" in self.features and self.ch.chance(0.25):
            # a recursive helper: r(v, n) = v if n <= 0 else r(g(v), n - 1)
            ty = params[0][1]
            self.lines = []
            v = name("p0", ty)
            body = self.ch.choice([
                binop(binop(const("0.9"), "*", call("np.sin", v)), "+", const("0.1")),
                binop(binop(const("0.5"), "*", v), "+", call("np.tanh", v)),
                call("np.cos", v)])
            self.emit(0, f"def {fname}(p0, n):")
            self.emit(1, "if n <= 0:")
            self.emit(2, "return p0")
            self.emit(1, f"return {fname}({_bare(body.text)}, n - 1)")
            lines = self.lines
            self.helpers.append(Helper(fname, [("p0", ty)], ty, recursive=True))
            return lines
        default = "s" if self.ch.chance(0.4) else None
        lines = self.function(fname, params, ret_ty, 3,
                              extra_params=(f"{default}=0.5",) if default else ())
        self.helpers.append(Helper(fname, params, ret_ty, default))
        return lines

    def program(self) -> Program:
        chunks = []
        for _ in range(self.ch.integer(0, 2)):
            chunks.append(self.helper())
        nparams = self.ch.integer(1, 3)
        names = ["x", "y", "z"][:nparams]
        params = [(p, self.ch.choice(self.shapes)) for p in names]
        chunks.append(self.function("f", params, (), 6))
        plain = PRELUDE + "".join("\n\n" + _render(c, 1) for c in chunks)
        probed = PRELUDE + PROBES + "".join("\n\n" + _render(c, 2) for c in chunks)
        return Program(plain, probed, params)


def _render(lines, which: int) -> str:
    return "".join("    " * ind + (p if which == 1 else q) + "\n" for ind, p, q in lines)


def _is_name(text: str) -> bool:
    return text.isidentifier()


def _same_type_pairs(env: Env) -> list:
    names = sorted(env.vars)
    return [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
            if env.vars[a] == env.vars[b]]


def generate(ch, features=DEFAULT_FEATURES, scalar_only: bool = False,
             control: bool = True) -> Program:
    return Gen(ch, features, scalar_only, control).program()


def programs(features=DEFAULT_FEATURES, scalar_only: bool = False, control: bool = True):
    """A Hypothesis strategy of programs."""
    from hypothesis import strategies as st

    @st.composite
    def _programs(draw):
        return generate(DrawChooser(draw), features, scalar_only, control)
    return _programs()
