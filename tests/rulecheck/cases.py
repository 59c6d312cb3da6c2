"""The rule cases: every registered rule appears in at least one.

Families add their cases here (or in a module of their own listed in
``ALL``); ``tests/test_rules.py`` runs each in both modes on float64 and
float32, and checks that no registered rule is left without a case.
"""

import math
import operator

import numpy as np

from wengert import runtime as _rt
from wengert.rules import math_rules as _mr

from . import Arg, Case

SHAPES = [(), (3,), (2, 3)]
BROADCAST_PAIRS = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((1, 3), (2, 1)), ((), (2, 3))]


def unary_cases(fn, spelling, domain="real", shapes=SHAPES, pyfloat=False, **kw):
    out = []
    if pyfloat:
        out.append(Case(f"{spelling}(x)", {"x": Arg((), domain, pyfloat=True)},
                        covers=(fn,), float32=False, **kw))
        return out
    for s in shapes:
        out.append(Case(f"{spelling}(x)", {"x": Arg(s, domain)}, covers=(fn,), **kw))
    return out


def binary_cases(fn, spelling, dx="real", dy="real", pairs=BROADCAST_PAIRS, infix=None, **kw):
    out = []
    for sx, sy in pairs:
        expr = f"x {infix} y" if infix else f"{spelling}(x, y)"
        out.append(Case(expr, {"x": Arg(sx, dx), "y": Arg(sy, dy)}, covers=(fn,), **kw))
    return out


# -- operators ----------------------------------------------------------------

OPERATORS = (
    binary_cases(operator.add, "", infix="+")
    + binary_cases(operator.sub, "", infix="-")
    + binary_cases(operator.mul, "", infix="*")
    + binary_cases(operator.truediv, "", dy="nonzero", infix="/")
    + binary_cases(operator.pow, "", dx="positive", infix="**")
    + binary_cases(operator.mod, "", dx="positive", dy="gt1", infix="%")
    + [Case("-x", {"x": Arg(s)}, covers=(operator.neg,)) for s in SHAPES]
    + [Case("+x", {"x": Arg(s)}, covers=(operator.pos,)) for s in SHAPES]
    + [Case("x ** 2", {"x": Arg(s)}, covers=(operator.pow,)) for s in SHAPES]
    + [Case("2.0 ** x", {"x": Arg(s)}, covers=(operator.pow,)) for s in SHAPES]
    + [Case("x * y + x / y - x ** 2", {"x": Arg((), pyfloat=True), "y": Arg((), "nonzero", pyfloat=True)},
            covers=(operator.add, operator.sub, operator.mul, operator.truediv), float32=False)]
    # x ** y's derivative, differentiated again (second derivatives of powers)
    + [Case(f"pow_slope(x, y{n})", {"x": Arg(sx, "positive"), "y": Arg(sy)},
            covers=(_rt.pow_slope,), imports="from wengert.runtime import pow_slope")
       for sx, sy in BROADCAST_PAIRS for n in ("", ", 2")]
    + [Case("pow_slope(x, 3)", {"x": Arg(s)}, covers=(_rt.pow_slope,),
            imports="from wengert.runtime import pow_slope") for s in SHAPES]
    # a constant over x differentiates as a reciprocal (its adjoint reads the result)
    + [Case(f"{c} / x", {"x": Arg(s, "nonzero")}, covers=(_rt.const_over,))
       for s in SHAPES for c in ("1.0", "-2.5")]
    + [Case("1 / x", {"x": Arg((), "nonzero", pyfloat=True)}, covers=(_rt.const_over,),
            float32=False)]
    # a sigmoid is one operation in reverse mode (its adjoint reads its result)
    + [Case("1.0 / (1.0 + np.exp(-x))", {"x": Arg(s)}, covers=(_rt.sigmoid,)) for s in SHAPES]
    + [Case("sigmoid(x) * x", {"x": Arg(s)}, covers=(_rt.sigmoid,),
            imports="from wengert.runtime import sigmoid") for s in SHAPES]
)

OPERATORS += [
    Case("x[1]", {"x": Arg((3,))}, covers=(operator.getitem,)),
    Case("x[1:, ::-1]", {"x": Arg((3, 4))}, covers=(operator.getitem,)),
    Case("x[..., None, 0]", {"x": Arg((2, 3))}, covers=(operator.getitem,)),
    Case("x[np.array([0, 2, 0])]", {"x": Arg((3,))}, covers=(operator.getitem,)),
    Case("x[x > 0]", {"x": Arg((2, 3), "nonzero")}, covers=(operator.getitem,)),
    Case("x[1] * x[0]", {"x": Arg((3, 2))}, covers=(operator.getitem,)),
]

# -- math ---------------------------------------------------------------------

MATH_UNARY = [
    ("sin", "real"), ("cos", "real"), ("tan", "unit"), ("asin", "unit"), ("acos", "unit"),
    ("atan", "real"), ("sinh", "real"), ("cosh", "real"), ("tanh", "real"),
    ("asinh", "real"), ("acosh", "gt1"), ("atanh", "unit"), ("exp", "real"),
    ("expm1", "real"), ("log", "positive"), ("log2", "positive"), ("log10", "positive"),
    ("log1p", "positive"), ("sqrt", "positive"), ("fabs", "nonzero"), ("erf", "real"),
    ("erfc", "real"), ("degrees", "real"), ("radians", "real"), ("cbrt", "positive"),
    ("exp2", "real"),
]
MATH = [c for name, dom in MATH_UNARY if hasattr(math, name)
        for c in unary_cases(getattr(math, name), f"math.{name}", dom, pyfloat=True)]
_PF = dict(float32=False)
MATH += [
    Case("math.log(x, y)", {"x": Arg((), "positive", True), "y": Arg((), "gt1", True)},
         covers=(math.log,), **_PF),
    Case("math.pow(x, y)", {"x": Arg((), "positive", True), "y": Arg((), "real", True)},
         covers=(math.pow,), **_PF),
    Case("math.atan2(x, y)", {"x": Arg((), "real", True), "y": Arg((), "nonzero", True)},
         covers=(math.atan2,), **_PF),
    Case("math.hypot(x, y)", {"x": Arg((), "nonzero", True), "y": Arg((), "nonzero", True)},
         covers=(math.hypot,), **_PF),
    Case("math.copysign(x, y)", {"x": Arg((), "nonzero", True), "y": Arg((), "nonzero", True)},
         covers=(math.copysign,), **_PF),
    Case("math.fsum([x, y, x * y])", {"x": Arg((), "real", True), "y": Arg((), "real", True)},
         covers=(math.fsum,), **_PF),
    Case("math.fsum(v * v for v in list(x))", {"x": Arg((4,))}, covers=(math.fsum,)),
    Case("math.fsum(x) * 2.0", {"x": Arg((5,))}, covers=(math.fsum,)),
    Case("math.fmod(x, y)", {"x": Arg((), "positive", True), "y": Arg((), "gt1", True)},
         covers=(math.fmod,), **_PF),
    Case("math.hypot(x, y, z)", {"x": Arg((), "nonzero", True), "y": Arg((), "nonzero", True),
                                 "z": Arg((), "real", True)}, covers=(math.hypot,), **_PF),
    Case("math.hypot(x, 2.0, y)", {"x": Arg((), "real", True), "y": Arg((), "nonzero", True)},
         covers=(math.hypot,), **_PF),
]

# math.prod and math.dist take sequences: lists and tuples of Python floats (a
# generator expression is lowered to a list), or 1-D arrays (float32 too)
MATH += [
    Case("math.prod([x, y, x * y])", {"x": Arg((), "real", True), "y": Arg((), "real", True)},
         covers=(math.prod,), **_PF),
    Case("math.prod((x, 2.0, y), start=-1.5)",
         {"x": Arg((), "real", True), "y": Arg((), "real", True)}, covers=(math.prod,), **_PF),
    Case("math.prod([x, 0.0, y]) + math.prod([x, y])",
         {"x": Arg((), "real", True), "y": Arg((), "real", True)}, covers=(math.prod,), **_PF),
    Case("math.prod(x)", {"x": Arg((4,))}, covers=(math.prod,)),
    Case("math.prod(x, start=0.5) * 2.0", {"x": Arg((3,))}, covers=(math.prod,)),
    Case("math.prod(x)", {"x": Arg((3,), "zeros")}, covers=(math.prod,)),     # one zero
    Case("math.prod(x)", {"x": Arg((5,), "zeros")}, covers=(math.prod,)),     # two zeros
    Case("math.prod(v * v for v in list(x))", {"x": Arg((4,))}, covers=(math.prod,)),
    Case("math.prod([x, y, 2.0])", {"x": Arg((2, 3)), "y": Arg((3,))}, covers=(math.prod,)),
    Case("math.prod((x, y))", {"x": Arg((3,)), "y": Arg((), "real", True)},
         covers=(math.prod,)),
    Case("math.prod(x)", {"x": Arg((3, 2))}, covers=(math.prod,)),          # over rows
    Case("math.dist(x, y)", {"x": Arg((3,)), "y": Arg((3,))}, covers=(math.dist,)),
    Case("math.dist(x, [0.5, -1.0])", {"x": Arg((2,))}, covers=(math.dist,)),
    Case("math.dist([x, y], [y, 2.0])",
         {"x": Arg((), "real", True), "y": Arg((), "real", True)}, covers=(math.dist,), **_PF),
    Case("math.dist((x, 1.0, x * y), (0.5, y, -1.0))",
         {"x": Arg((), "real", True), "y": Arg((), "real", True)}, covers=(math.dist,), **_PF),
]

# their helpers: a sequence's items as one array, and its adjoint
_ITEMS = "from wengert.rules.math_rules import stacked_items, unstacked_items"
MATH += [
    Case("stacked_items([x, y, 2.0])", {"x": Arg((3,)), "y": Arg(())},
         covers=(_mr.stacked_items,), imports=_ITEMS),
    Case("stacked_items((x, x * x)) * stacked_items(x)", {"x": Arg((2, 3))},
         covers=(_mr.stacked_items,), imports=_ITEMS),
    Case("unstacked_items(t, [np.zeros(3), 1.0, np.zeros((2, 1))])[2]", {"t": Arg((3, 2, 3))},
         covers=(_mr.unstacked_items,), imports=_ITEMS),
    Case("unstacked_items(t, [1.0, 2.0])[1] * 3.0", {"t": Arg((2,))},
         covers=(_mr.unstacked_items,), imports=_ITEMS),
    Case("unstacked_items(t, np.zeros((2, 3)))", {"t": Arg((2, 3))},
         covers=(_mr.unstacked_items,), imports=_ITEMS),
]

# gamma and lgamma (Python floats only, like all of math: no arrays, no float32),
# through the digamma of their rules: below the recurrence's threshold (x < 6),
# above it (the asymptotic series alone), and at negative non-integers (the
# reflection formula); `_polygamma` is the rule of their derivatives
_POLYGAMMA = "from wengert.rules.math_rules import _polygamma"
_GAMMA_ARGS = [("x", "positive"), ("x + 5.0", "positive"), ("20.0 * x", "positive"),
               ("x - 1.0", "prob"), ("x - 3.0", "prob")]
MATH += [
    Case(f"math.{name}({arg})", {"x": Arg((), dom, True)}, covers=(getattr(math, name),),
         seed=seed, id=f"math.{name}({arg})[xf] seed={seed}", **_PF)
    for name in ("gamma", "lgamma") for arg, dom in _GAMMA_ARGS for seed in (0, 1)
] + [
    Case(f"_polygamma({n}, {arg})", {"x": Arg((), dom, True)}, covers=(_mr._polygamma,),
         imports=_POLYGAMMA, **_PF)
    for n in (0, 1, 2) for arg, dom in [("x", "positive"), ("x + 7.0", "positive"),
                                        ("x - 2.0", "prob")]
]

# -- NumPy elementwise ----------------------------------------------------------

NP_UNARY = [
    ("negative", "real"), ("positive", "real"), ("absolute", "nonzero"), ("fabs", "nonzero"),
    ("reciprocal", "nonzero"), ("exp", "real"), ("exp2", "real"), ("expm1", "real"),
    ("log", "positive"), ("log2", "positive"), ("log10", "positive"), ("log1p", "positive"),
    ("sin", "real"), ("cos", "real"), ("tan", "unit"), ("arcsin", "unit"),
    ("arccos", "unit"), ("arctan", "real"), ("sinh", "real"), ("cosh", "real"),
    ("tanh", "real"), ("arcsinh", "real"), ("arccosh", "gt1"), ("arctanh", "unit"),
    ("square", "real"), ("sqrt", "positive"), ("cbrt", "positive"), ("deg2rad", "real"),
    ("rad2deg", "real"), ("radians", "real"), ("degrees", "real"), ("sinc", "nonzero"),
]
NUMPY = [c for name, dom in NP_UNARY
         for c in unary_cases(getattr(np, name), f"np.{name}", dom)]
NP_BINARY = [
    ("add", "real", "real"), ("subtract", "real", "real"), ("multiply", "real", "real"),
    ("divide", "real", "nonzero"), ("power", "positive", "real"),
    ("float_power", "positive", "real"), ("maximum", "real", "real"),
    ("minimum", "real", "real"), ("fmax", "real", "real"), ("fmin", "real", "real"),
    ("logaddexp", "real", "real"), ("logaddexp2", "real", "real"),
    ("arctan2", "real", "nonzero"), ("hypot", "nonzero", "nonzero"),
    ("remainder", "positive", "gt1"), ("fmod", "positive", "gt1"),
    ("copysign", "nonzero", "nonzero"),
]
NUMPY += [c for name, dx, dy in NP_BINARY
          for c in binary_cases(getattr(np, name), f"np.{name}", dx, dy,
                                # float_power computes in float64 by definition
                                float32=name != "float_power")]

# np.heaviside: piecewise constant in x, equal to y where x == 0
NUMPY += [
    Case("np.heaviside(x, y)", {"x": Arg((3,), "nonzero"), "y": Arg((3,))},
         covers=(np.heaviside,)),
    Case("np.heaviside(np.array([0.0, -1.0, 0.0, 2.0]), y)", {"y": Arg((4,))},
         covers=(np.heaviside,)),
    Case("np.heaviside(np.array([[0.0], [1.5]]), y) * y", {"y": Arg(())},
         covers=(np.heaviside,)),
]

# -- builtins -------------------------------------------------------------------

BUILTINS = [
    Case("abs(x)", {"x": Arg((), "nonzero", True)}, covers=(abs,), float32=False),
    Case("abs(x)", {"x": Arg((3,), "nonzero")}, covers=(abs,)),
    Case("max(x, y)", {"x": Arg((), "real", True), "y": Arg((), "real", True)},
         covers=(max,), float32=False, seed=1),
    Case("min(x, y)", {"x": Arg((), "real", True), "y": Arg((), "real", True)},
         covers=(min,), float32=False, seed=2),
    Case("float(x) * 2.0", {"x": Arg((), "real", True)}, covers=(float,), float32=False),
    Case("sum([x, y, x * y])", {"x": Arg((), "real", True), "y": Arg((), "real", True)},
         covers=(sum,), float32=False),
    Case("sum(x)", {"x": Arg((3, 2))}, covers=(sum,)),
    Case("sum(x * x for x in list(y))", {"y": Arg((4,))}, covers=(sum, list)),
    Case("tuple(x)[1] * x[0]", {"x": Arg((3,))}, covers=(tuple,)),
    Case("sorted([x, y, x * y])[0] * sorted([x, y, x * y])[2]",
         {"x": Arg((), "real", True), "y": Arg((), "real", True)}, covers=(sorted,),
         float32=False),
    Case("np.array(sorted(list(x), reverse=True)) * x", {"x": Arg((4,))}, covers=(sorted,)),
    Case("sorted(x)[1] * 2.0", {"x": Arg((3,))}, covers=(sorted,)),
    Case("dict({\"a\": x, \"b\": 2.0 * x})[\"b\"] * x", {"x": Arg((3,))}, covers=(dict,)),
    # pow(x, y) is x ** y; pow passed as a function value is called by its own rule
    Case("pow(x, y)", {"x": Arg((), "positive", True), "y": Arg((), "real", True)},
         covers=(pow,), float32=False),
] + [
    Case("call2(pow, x, y)", {"x": Arg(sx, "positive"), "y": Arg(sy)}, covers=(pow,),
         imports="def call2(f, a, b):\n    return f(a, b)\n")
    for sx, sy in [((), ()), ((2, 3), (3,))]
] + [
    # a dict's get: the item, or the default where the key is absent
    Case('{"a": x, "b": y}.get("a") * {"a": x}.get("c", y) + {"w": y}.get("w", x)',
         {"x": Arg((3,)), "y": Arg((3,))}),
    Case("sum([x] + [y, x * y])", {"x": Arg((), "real", True), "y": Arg((), "real", True)},
         covers=(_rt.seq_concat,), float32=False),
]

SETITEM_HELPERS = """
def put(x, y):
    z = np.zeros((2, 3))
    z[0] = x * y
    z[1, 1:] += y[1:] ** 2
    z[z > 5.0] = 0.0
    return z
"""

BUILTINS += [
    Case("put(x, y)", {"x": Arg(()), "y": Arg((3,))}, covers=(_rt.setitem,),
         imports=SETITEM_HELPERS),
]

ALL = OPERATORS + MATH + NUMPY + BUILTINS

from .cases_extra import CASES as _EXTRA  # noqa: E402
from .cases_linalg import CASES as _LINALG  # noqa: E402
from .cases_products import CASES as _PRODUCTS  # noqa: E402
from .cases_reductions import CASES as _REDUCTIONS  # noqa: E402
from .cases_shape import CASES as _SHAPE  # noqa: E402

ALL = ALL + _REDUCTIONS + _PRODUCTS + _SHAPE + _LINALG + _EXTRA

from .cases_scipy_linalg import CASES as _SCIPY_LINALG  # noqa: E402

ALL = ALL + _SCIPY_LINALG
