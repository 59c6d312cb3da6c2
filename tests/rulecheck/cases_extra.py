"""Rule cases for interpolation, polynomials, convolution and the trapezoid
rule (see rulecheck/cases.py): each differentiable argument varied alone
and together, every mode and keyword, and second derivatives."""

import math

import numpy as np

from wengert.rules import numpy_extra

from . import Arg, Case
from .cases_reductions import second_order

# knots: inputs in [-2, 2] fall in every segment and on both sides outside
KNOTS = "XP = np.array([-1.5, -0.2, 0.4, 1.1])\nFP = np.array([0.3, -1.0, 2.0, 0.5])\n"


def interp_case(expr, args, covers=(np.interp,), **kw):
    return Case(expr, args, covers=covers, imports=KNOTS, **kw)


CASES = [
    interp_case(expr, args)
    for shape in [(), (5,), (2, 3)]
    for expr, args in [
        ("np.interp(x, XP, y)", {"x": Arg(shape), "y": Arg((4,))}),
        ("np.interp(x, XP, FP)", {"x": Arg(shape)}),
        ("np.interp(x, XP, y, left=-3.0, right=2.0)", {"x": Arg(shape), "y": Arg((4,))}),
    ]
]
CASES += [
    interp_case("np.interp(np.linspace(-2.0, 2.0, 9), XP, y)", {"y": Arg((4,))}),
    interp_case("np.interp(np.linspace(-2.0, 2.0, 9), XP, y, 0.0, None)", {"y": Arg((4,))}),
    interp_case("np.interp(x, XP, y, None, 1.0)", {"x": Arg((6,)), "y": Arg((4,))}),
    interp_case("np.interp(x, [-1.0, 0.0, 1.0], y)", {"x": Arg((4,)), "y": Arg((3,))}),
    interp_case("np.interp(x, XP, FP) * 2.0", {"x": Arg((), pyfloat=True)}, float32=False),
]

# np.polyval: p 1-D (one coefficient too), x of any shape or a Python float
CASES += [
    Case("np.polyval(p, x)", {"p": Arg((n,)), "x": Arg(shape)}, covers=(np.polyval,))
    for n in (1, 2, 4) for shape in [(), (3,), (2, 3)]
]
CASES += [
    Case("np.polyval([1.0, -2.0, 0.5], x)", {"x": Arg((3,))}, covers=(np.polyval,)),
    Case("np.polyval(p, np.linspace(-1.0, 1.0, 5))", {"p": Arg((3,))}, covers=(np.polyval,)),
    Case("np.polyval(p, x)", {"p": Arg((3,)), "x": Arg((), pyfloat=True)},
         covers=(np.polyval,), float32=False),
]

# np.convolve: both operands, one of them constant, either longer, every mode
CONVOLVE_PAIRS = [(5, 3), (3, 5), (4, 4), (1, 3), (6, 1), (6, 4), (2, 7)]
CASES += [
    Case(f"np.convolve(a, v{mode})", {"a": Arg((m,)), "v": Arg((n,))}, covers=(np.convolve,))
    for m, n in CONVOLVE_PAIRS for mode in ("", ", mode='same'", ", 'valid'")
]
CASES += [
    Case("np.convolve(a, np.array([0.5, -1.0, 2.0]), mode='same')", {"a": Arg((4,))},
         covers=(np.convolve,)),
    Case("np.convolve(np.array([0.5, -1.0, 2.0, 1.0]), v, mode='valid')", {"v": Arg((2,))},
         covers=(np.convolve,)),
]

# np.trapezoid: along any axis, with sample points x (1-D or full) or a spacing dx.
# (NumPy 2.0-2.3 also have np.trapz, deprecated, and before 2.0 only np.trapz.)
TRAPEZOID = getattr(np, "trapezoid", None) or np.trapz
if getattr(np, "trapz", None) is not None:
    CASES += [Case("np.trapz(y, dx=0.5)", {"y": Arg((2, 4))}, covers=(np.trapz,)),
              Case("np.trapz(y, x)", {"y": Arg((4,)), "x": Arg((4,))}, covers=(np.trapz,))]
CASES += [
    Case(expr.replace("np.trapezoid", f"np.{TRAPEZOID.__name__}"), {"y": Arg(shape)},
         covers=(TRAPEZOID,))
    for expr, shape in [
        ("np.trapezoid(y)", (4,)),
        ("np.trapezoid(y)", (1,)),
        ("np.trapezoid(y, dx=0.5)", (2, 4)),
        ("np.trapezoid(y, axis=0)", (4, 2)),
        ("np.trapezoid(y, np.array([0.0, 0.3, 1.0, 1.8]))", (2, 4)),
        ("np.trapezoid(y, x=np.array([0.0, 0.3, 1.0]), axis=-2)", (2, 3, 2)),
        ("np.trapezoid(y, x=np.array([[0.0, 0.3, 1.0], [0.1, 0.2, 0.6]]), axis=1)", (2, 3)),
    ]
]

CASES += [
    Case(expr.replace("np.trapezoid", f"np.{TRAPEZOID.__name__}"),
         {"y": Arg(shape), "x": Arg(xshape)}, covers=(TRAPEZOID,))
    for expr, shape, xshape in [
        ("np.trapezoid(y, x)", (4,), (4,)),
        ("np.trapezoid(y, x)", (2, 4), (4,)),
        ("np.trapezoid(y, x, axis=0)", (4, 2), (4,)),
        ("np.trapezoid(y, x=x, axis=1)", (2, 3, 2), (3,)),
        ("np.trapezoid(y, x, axis=-2)", (3, 2), (3, 2)),
        ("np.trapezoid(y, x=x)", (2, 3), (2, 3)),
    ]
]
CASES += [
    Case(f"np.{TRAPEZOID.__name__}(np.array([0.5, -1.0, 2.0, 0.3]), x)", {"x": Arg((4,))},
         covers=(TRAPEZOID,)),
    Case(f"np.{TRAPEZOID.__name__}(x ** 2, x)", {"x": Arg((5,))}, covers=(TRAPEZOID,)),
]

# the helpers generated code calls (their rules serve higher derivatives)
def helper_case(expr, args, name, float32=True):
    return Case(expr, args, covers=(getattr(numpy_extra, name),),
                imports=KNOTS + f"from wengert.rules.numpy_extra import {name}",
                float32=float32)


_X = "np.array([-1.8, -0.9, 0.1, 0.7, 1.6])"
CASES += [
    helper_case("interp_linear(x, XP, y, -1.0, None)", {"x": Arg((5,)), "y": Arg((4,))},
                "interp_linear"),
    helper_case("interp_slope(x, XP, y)", {"x": Arg((5,)), "y": Arg((4,))}, "interp_slope"),
    helper_case(f"interp_slope_t(t, {_X}, XP, FP)", {"t": Arg((5,))}, "interp_slope_t", False),
    helper_case("interp_slope_t(t, x, XP, FP)", {"t": Arg((5,)), "x": Arg((5,))},
                "interp_slope_t", False),
    helper_case("interp_t(t, x, XP, FP)", {"t": Arg((5,)), "x": Arg((5,))}, "interp_t", False),
    helper_case("interp_t(t, x, XP, FP, 0.0, 1.0)", {"t": Arg((2, 3)), "x": Arg((2, 3))},
                "interp_t", False),
    helper_case("poly_powers(x, np.zeros(4))", {"x": Arg((2, 3))}, "poly_powers", False),
    helper_case("poly_powers(x, np.zeros(3), 2)", {"x": Arg((3,))}, "poly_powers", False),
    helper_case("trapezoid_weights(np.zeros((2, 3, 2)), x, 1.0, 1)", {"x": Arg((3,))},
                "trapezoid_weights", False),
    helper_case("trapezoid_weights(np.zeros((2, 3)), x, 1.0, 0)", {"x": Arg((2, 3))},
                "trapezoid_weights", False),
    helper_case("trapezoid_gaps(t, np.zeros((2, 3, 2)), np.zeros(3), 1)", {"t": Arg((2, 3, 2))},
                "trapezoid_gaps", False),
    helper_case("trapezoid_gaps(t, np.zeros((2, 3, 2)), np.zeros(3), 1)", {"t": Arg((3, 1))},
                "trapezoid_gaps", False),
    helper_case("trapezoid_gaps(t, np.zeros((2, 3)), np.zeros((2, 3)), -1)", {"t": Arg((2, 3))},
                "trapezoid_gaps", False),
    helper_case("convolve_pad(t, np.zeros(5), np.zeros(3), 'same')", {"t": Arg((5,))},
                "convolve_pad", False),
    helper_case("convolve_crop(t, np.zeros(2), np.zeros(4), 'valid')", {"t": Arg((5,))},
                "convolve_crop", False),
]

# second derivatives, in both modes, through the rules of the helpers
CASES += second_order("np.sum(np.interp(x, XP, y) ** 2)", {"x": Arg((5,)), "y": Arg((4,))},
                      (np.interp,), KNOTS)
CASES += second_order("np.sum(np.interp(x, XP, y, left=0.5, right=-1.0) ** 2)",
                      {"x": Arg((5,)), "y": Arg((4,))}, (np.interp,), KNOTS)
CASES += second_order("np.sum(np.polyval(p, x) ** 2)", {"p": Arg((3,)), "x": Arg((2, 2))},
                      (np.polyval,))
CASES += second_order("np.sum(np.polyval(p, x * np.array([0.0, 1.0, 1.0])) ** 2)",
                      {"p": Arg((4,)), "x": Arg((3,))}, (np.polyval,))
CASES += second_order("np.sum(np.convolve(a, v, mode='same') ** 2)",
                      {"a": Arg((5,)), "v": Arg((3,))}, (np.convolve,))
CASES += second_order("np.sum(np.convolve(a, v, mode='valid') ** 2)",
                      {"a": Arg((3,)), "v": Arg((5,))}, (np.convolve,))
CASES += second_order(f"np.{TRAPEZOID.__name__}(y, dx=0.3) ** 2", {"y": Arg((4,))},
                      (TRAPEZOID,))
CASES += second_order(f"np.sum(np.{TRAPEZOID.__name__}(y, x, axis=0) ** 2)",
                      {"y": Arg((4, 2)), "x": Arg((4,))}, (TRAPEZOID,))
CASES += second_order("np.sum(np.trapezoid(y, x) ** 2)",
                      {"y": Arg((2, 3)), "x": Arg((2, 3))}, (np.trapezoid,))


# np.select: conditions away from the inputs' values (no finite difference
# crosses them), overlapping (the first true one wins), a default of any kind
SELECT = "C1 = np.array([True, False, True])\nC2 = np.array([True, True, False])\n"
CASES += [
    Case(expr, args, covers=(np.select,), imports=SELECT)
    for expr, args in [
        ("np.select([x > 0.0, x < -1.0], [x * y, y], 0.3)", {"x": Arg((2, 3), "nonzero"),
                                                            "y": Arg((3,))}),
        ("np.select([x > 0.0], [y])", {"x": Arg((3,), "nonzero"), "y": Arg((2, 3))}),
        ("np.select([x > 0.0, x > -1.0], [2.0 * x, y], default=y * 3.0)",
         {"x": Arg((2, 3), "nonzero"), "y": Arg((2, 3))}),
        ("np.select([C1, C2], [x, y], x * y)", {"x": Arg((3,)), "y": Arg((3,))}),
        ("np.select([C1, C2], [x, 1.5], y)", {"x": Arg((2, 3)), "y": Arg(())}),
        ("np.select([C2], [x], y)", {"x": Arg(()), "y": Arg((3,))}),
    ]
]

# np.gradient: 1-D and N-D, one axis or several (a tuple: stacked here), a
# spacing or coordinates per axis, both edge orders, at the smallest lengths
XS = "X4 = np.array([0.0, 0.3, 1.0, 1.8])\nX3 = np.array([-1.0, 0.5, 0.7])\n"
CASES += [
    Case(expr, {"x": Arg(shape)}, covers=(np.gradient,), imports=XS)
    for expr, shape in [
        ("np.gradient(x)", (5,)),
        ("np.gradient(x)", (2,)),
        ("np.gradient(x, edge_order=2)", (3,)),
        ("np.gradient(x, 0.5, edge_order=2)", (6,)),
        ("np.gradient(x, X4)", (4,)),
        ("np.gradient(x, X4, edge_order=2)", (4,)),
        ("np.gradient(x, axis=1)", (3, 4)),
        ("np.gradient(x, 2.0, axis=-2, edge_order=2)", (4, 3)),
        ("np.gradient(x, X4, axis=0, edge_order=2)", (4, 2)),
        ("np.stack(np.gradient(x))", (3, 4)),
        ("np.stack(np.gradient(x, 0.5, edge_order=2))", (3, 4)),
        ("np.stack(np.gradient(x, X3, 2.0, edge_order=2))", (3, 4)),
        ("np.stack(np.gradient(x, axis=(2, 0)))", (3, 2, 4)),
        ("np.gradient(x)[1] * np.gradient(x, edge_order=2)[0]", (3, 3)),
        ("np.gradient(x * x)", (5,)),
    ]
]
CASES += [
    Case("unselect(t, [C1, C2], [np.zeros(3), 1.0])[0] + unselect(t, [C1], [t])[0]",
         {"t": Arg((2, 3))}, covers=(numpy_extra.unselect,),
         imports=SELECT + "from wengert.rules.numpy_extra import unselect"),
    Case("unselect(t, [C2, C1], [np.zeros((2, 3)), np.zeros(3)])[1] * 2.0", {"t": Arg((2, 3))},
         covers=(numpy_extra.unselect,),
         imports=SELECT + "from wengert.rules.numpy_extra import unselect"),
    helper_case("gradient_of(x, (0.5,), 0, 2)", {"x": Arg((4, 2))}, "gradient_of"),
    helper_case("np.stack(gradient_of(x, (), None, 1))", {"x": Arg((3, 2))}, "gradient_of"),
    helper_case("gradient_t(t, np.zeros(5), (), None, 2)", {"t": Arg((5,))}, "gradient_t"),
    helper_case("gradient_t((t, 2.0 * t), np.zeros((4, 2)), (XP, 1.0), None, 1)", {"t": Arg((4, 2))},
                "gradient_t"),
    helper_case("gradient_t((t, t * t), np.zeros((3, 4)), (), None, 2)", {"t": Arg((3, 4))},
                "gradient_t"),
]

# second derivatives, in both modes
CASES += second_order("np.sum(np.select([x > 0.0, x < -1.0], [x * y, y], y * y) ** 2)",
                      {"x": Arg((2, 3), "nonzero"), "y": Arg((3,))}, (np.select,))
CASES += second_order("np.sum(np.gradient(x ** 2, 0.5, edge_order=2) ** 2)", {"x": Arg((5,))},
                      (np.gradient,))
CASES += second_order("np.sum(np.stack(np.gradient(x * x, XP, 1.0)) ** 3)", {"x": Arg((4, 3))},
                      (np.gradient,), KNOTS)

# math.prod (exact at zeros, as np.prod) and math.dist, differentiated twice
CASES += second_order("math.prod(x) ** 2", {"x": Arg((4,))}, (math.prod,))
CASES += second_order("math.prod(x)", {"x": Arg((4,), "zeros")}, (math.prod,))
CASES += second_order("math.prod([x, y, x * y, 2.0])",
                      {"x": Arg((), "real", True), "y": Arg((), "real", True)}, (math.prod,))
CASES += second_order("math.dist(x, y) ** 3", {"x": Arg((3,)), "y": Arg((3,))}, (math.dist,))
CASES += second_order("math.dist([x, 1.0], [2.0, y])",
                      {"x": Arg((), "real", True), "y": Arg((), "real", True)}, (math.dist,))
