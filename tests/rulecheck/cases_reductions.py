"""Rule cases for the reductions family (see rulecheck/cases.py).

Each reduction is checked over the shapes and ``axis``/``keepdims``
combinations that exercise different code paths: no axis, a positive and a
negative int, a tuple, keepdims with and without an axis, a length-1 axis.
"""

import numpy as np

from wengert.rules import numpy_reductions

from . import Arg, Case

# (shape, keyword arguments) pairs every reduction is run on
AXES = [
    ((), ""),
    ((), ", keepdims=True"),
    ((3,), ""),
    ((3,), ", axis=0"),
    ((3,), ", axis=-1, keepdims=True"),
    ((2, 3), ""),
    ((2, 3), ", axis=0"),
    ((2, 3), ", axis=-1"),
    ((2, 3), ", axis=(0, 1)"),
    ((2, 3), ", axis=1, keepdims=True"),
    ((2, 3), ", keepdims=True"),
    ((1, 3), ", axis=0"),
    ((2, 3, 4), ", axis=(0, -1)"),
    ((2, 3, 4), ", axis=(2, 0), keepdims=True"),
]
SMALL_AXES = [a for a in AXES if a[0] in ((3,), (2, 3))]
# std's derivative is infinite where a slice has one entry (std == 0)
SPREAD_AXES = [a for a in AXES if a[0] not in ((), (1, 3))]


def reduction_cases(fn, spelling, domain="real", axes=AXES, method=None, extra="", **kw):
    """``np.fn(x, ...)`` (and ``x.method(...)``) over ``axes``."""
    out = []
    for shape, kwargs in axes:
        out.append(Case(f"{spelling}(x{extra}{kwargs})", {"x": Arg(shape, domain)},
                        covers=(fn,), **kw))
        if method and kwargs:
            out.append(Case(f"x.{method}({(extra + kwargs)[2:]})", {"x": Arg(shape, domain)},
                            covers=(fn,), **kw))
    if method:
        out.append(Case(f"x.{method}()", {"x": Arg((2, 3), domain)}, covers=(fn,), **kw))
    return out


CASES = (
    reduction_cases(np.sum, "np.sum", method="sum")
    + reduction_cases(np.mean, "np.mean", method="mean")
    + reduction_cases(np.nansum, "np.nansum")
    + reduction_cases(np.nanmean, "np.nanmean")
    + reduction_cases(np.prod, "np.prod", method="prod")
    + reduction_cases(np.prod, "np.prod", "zeros", SMALL_AXES)
    + reduction_cases(np.var, "np.var", method="var")
    + reduction_cases(np.var, "np.var", extra=", ddof=1", axes=SMALL_AXES[1:], method="var")
    + reduction_cases(np.std, "np.std", method="std", axes=SPREAD_AXES)
    + reduction_cases(np.std, "np.std", extra=", ddof=1", axes=SMALL_AXES[1:], method="std")
    + reduction_cases(np.max, "np.max", method="max")
    + reduction_cases(np.min, "np.min", method="min")
    + reduction_cases(np.amax, "np.amax", axes=SMALL_AXES)
    + reduction_cases(np.amin, "np.amin", axes=SMALL_AXES)
    + reduction_cases(np.nanmax, "np.nanmax", axes=SMALL_AXES)
    + reduction_cases(np.nanmin, "np.nanmin", axes=SMALL_AXES)
    + reduction_cases(np.ptp, "np.ptp")
    + reduction_cases(np.median, "np.median", axes=AXES)
    + reduction_cases(np.average, "np.average", axes=AXES)
    + reduction_cases(np.quantile, "np.quantile", extra=", 0.3", axes=AXES)
    + reduction_cases(np.percentile, "np.percentile", extra=", 70.0", axes=SMALL_AXES)
)

# ties (two-way, so the equal split matches central differences)
CASES += [
    Case(f"{fn}(x{kw})", {"x": Arg(shape, "pairs")}, covers=(cover,))
    for fn, cover in (("np.max", np.max), ("np.min", np.min), ("np.median", np.median),
                      ("np.ptp", np.ptp))
    for shape, kw in (((4,), ""), ((2, 3), ""), ((2, 4), ", axis=(0, 1), keepdims=True"))
]
CASES += [
    Case(f"np.quantile(x, {q}{kw})", {"x": Arg(shape, "pairs")}, covers=(np.quantile,))
    for q in (0.0, 0.4, 0.5, 1.0)
    for shape, kw in (((4,), ""), ((2, 3), ", axis=1"), ((2, 4), ", method='linear'"))
]
CASES += [
    Case("np.quantile(x, 0.25, 1, None, False, 'linear', True)", {"x": Arg((2, 5))},
         covers=(np.quantile,)),
    Case("np.percentile(x, 90, axis=0, keepdims=True)", {"x": Arg((3, 2))},
         covers=(np.percentile,)),
    Case("np.percentile(x, np.float64(12.5))", {"x": Arg((3, 3))}, covers=(np.percentile,)),
]
# d/dq: the slope between the two order statistics, with a scalar q (array or float)
CASES += [
    Case(f"{fn}(x, {q}{kw})", {"x": Arg(shape), "q": Arg((), "prob", pyfloat)},
         covers=(cover,), float32=not pyfloat)
    for fn, q, cover in (("np.quantile", "q", np.quantile),
                         ("np.percentile", "100.0 * q", np.percentile))
    for shape, kw, pyfloat in (((5,), "", False), ((2, 4), ", axis=1", False),
                               ((3, 4), ", axis=0, keepdims=True", True),
                               ((2, 3, 2), ", axis=(0, 2)", False))
]
CASES += [
    Case("np.quantile(x, q, axis=0)", {"x": Arg((4, 2), "pairs"), "q": Arg((), "prob")},
         covers=(np.quantile,)),
    Case("np.quantile(np.linspace(0.0, 1.0, 5) ** 2, q)", {"q": Arg((), "prob")},
         covers=(np.quantile,)),
]
CASES += [
    Case("np.max(x + x[::-1])", {"x": Arg((4,))}, covers=(np.max,)),
    Case("np.median(x)", {"x": Arg((5,))}, covers=(np.median,)),
    Case("np.median(x, axis=1)", {"x": Arg((2, 4))}, covers=(np.median,)),
]

# positional axis (and method forms)
CASES += [
    Case(expr, {"x": Arg((2, 3))}, covers=(cover,))
    for expr, cover in (("np.sum(x, 1)", np.sum), ("x.sum(0)", np.sum), ("x.mean(-1)", np.mean),
                        ("np.max(x, -1)", np.max), ("x.min(0)", np.min), ("x.prod(1)", np.prod),
                        ("np.cumsum(x, 1)", np.cumsum), ("x.cumprod(0)", np.cumprod),
                        ("x.var(1)", np.var), ("np.median(x, 1)", np.median))
]

# NaN-aware reductions ignore NaN entries
CASES += [
    Case("np.nansum(np.where(x > 1.0, np.nan, x), axis=0)", {"x": Arg((3, 2))},
         covers=(np.nansum,)),
    Case("np.nanmean(np.where(x > 1.0, np.nan, x), axis=-1)", {"x": Arg((2, 4))},
         covers=(np.nanmean,)),
    Case("np.nanmax(np.where(x > 1.0, np.nan, x), axis=0)", {"x": Arg((3, 2))},
         covers=(np.nanmax,)),
]

# weighted averages: full-shape weights, 1-D weights along an axis
CASES += [
    Case("np.average(x, weights=y)", {"x": Arg((3,)), "y": Arg((3,), "positive")},
         covers=(np.average,)),
    Case("np.average(x, axis=0, weights=y)", {"x": Arg((2, 3)), "y": Arg((2, 3), "positive")},
         covers=(np.average,)),
    Case("np.average(x, axis=1, weights=y)", {"x": Arg((2, 3)), "y": Arg((3,), "positive")},
         covers=(np.average,)),
    Case("np.average(x, axis=-2, weights=y, keepdims=True)",
         {"x": Arg((2, 3)), "y": Arg((2,), "positive")}, covers=(np.average,)),
    Case("np.average(x, axis=(0, 2), weights=y)",
         {"x": Arg((2, 3, 4)), "y": Arg((2, 3, 4), "positive")}, covers=(np.average,)),
    Case("np.average(np.ones((2, 3), np.float32), axis=1, weights=y)",
         {"y": Arg((3,), "positive")}, covers=(np.average,)),
]

# cumulative sums and products, with axis=None flattening
CUMULATIVE = [((), ""), ((3,), ""), ((3,), ", axis=0"), ((2, 3), ""), ((2, 3), ", axis=0"),
              ((2, 3), ", axis=-1"), ((1, 3), ", axis=1"), ((2, 3, 2), ", axis=1")]
CASES += reduction_cases(np.cumsum, "np.cumsum", axes=CUMULATIVE, method="cumsum")
CASES += reduction_cases(np.cumprod, "np.cumprod", axes=CUMULATIVE, method="cumprod")
CASES += reduction_cases(np.cumprod, "np.cumprod", "zeros", axes=CUMULATIVE[2:])
CASES += [Case("np.cumprod(x, axis=0)", {"x": Arg((5, 2), "zeros")}, covers=(np.cumprod,)),
          Case("np.cumprod(x)", {"x": Arg((6,), "zeros")}, covers=(np.cumprod,)),
          Case("np.prod(x)", {"x": Arg((7,), "zeros")}, covers=(np.prod,))]

# compositions: the log-sum-exp pattern, and reductions of reductions
CASES += [
    Case("np.max(x) + np.log(np.sum(np.exp(x - np.max(x))))", {"x": Arg((5,))},
         covers=(np.max, np.sum), id="logsumexp"),
    Case("np.max(x, axis=-1, keepdims=True) + np.log(np.sum(np.exp(x - "
         "np.max(x, axis=-1, keepdims=True)), axis=-1, keepdims=True))", {"x": Arg((2, 4))},
         covers=(np.max, np.sum)),
    Case("x - np.max(x) - np.log(np.sum(np.exp(x - np.max(x))))", {"x": Arg((2, 3))},
         covers=(np.max, np.sum), id="log_softmax"),
    Case("np.sum(x, axis=0) * np.mean(x, axis=0) + np.var(x * x)", {"x": Arg((2, 3))},
         covers=(np.sum, np.mean, np.var)),
    Case("np.std(np.cumsum(x, axis=1), axis=0) * np.prod(x)", {"x": Arg((2, 3))},
         covers=(np.std, np.cumsum, np.prod)),
]

# the helpers generated code calls (their rules serve higher derivatives);
# a float64 array that only gives a shape makes them float64-only cases
def helper_case(expr, args, name, float32=True):
    return Case(expr, args, covers=(getattr(numpy_reductions, name),),
                imports=f"from wengert.rules.numpy_reductions import {name}", float32=float32)


_ZEROS = "np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0]])"
CASES += [
    helper_case("unreduce(x, np.zeros((2, 3)), 0, False)", {"x": Arg((3,))}, "unreduce", False),
    helper_case("unreduce(x, np.zeros((2, 3)), (0, 1), True)", {"x": Arg((1, 1))}, "unreduce",
                False),
    helper_case("reverse_cumsum(x, np.zeros((2, 3)), -1)", {"x": Arg((2, 3))}, "reverse_cumsum",
                False),
    helper_case("reverse_cumsum(x, np.zeros((2, 3)), None)", {"x": Arg((6,))}, "reverse_cumsum",
                False),
    helper_case("ratio(x, y)", {"x": Arg((2, 3)), "y": Arg((2, 3), "nonzero")}, "ratio"),
    helper_case("to_last(x, 0)", {"x": Arg((2, 3))}, "to_last"),
    helper_case("to_last(x, None)", {"x": Arg((2, 3))}, "to_last"),
    helper_case("from_last(x, x, -2)", {"x": Arg((2, 3))}, "from_last"),
    helper_case("from_last(x, np.zeros((2, 3)), None)", {"x": Arg((6,))}, "from_last", False),
    helper_case("shift_right(x, 1.0)", {"x": Arg((2, 3))}, "shift_right"),
    helper_case("shift_left(x)", {"x": Arg((2, 3))}, "shift_left"),
    helper_case("linrec(x, y)", {"x": Arg((2, 5)), "y": Arg((2, 5))}, "linrec"),
    helper_case("linrec(x, y)", {"x": Arg((7,), "zeros"), "y": Arg((7,))}, "linrec"),
    helper_case("linrec_t(x, y)", {"x": Arg((2, 5)), "y": Arg((2, 5))}, "linrec_t"),
    helper_case("linrec_t(x, y)", {"x": Arg((7,), "zeros"), "y": Arg((7,))}, "linrec_t"),
    helper_case("prod_others(x, 0)", {"x": Arg((2, 3))}, "prod_others"),
    helper_case("prod_others(x, None)", {"x": Arg((2, 3))}, "prod_others"),
    helper_case("prod_others(x, 0)", {"x": Arg((2, 3), "zeros")}, "prod_others"),
    helper_case("prod_others(x, None)", {"x": Arg((7,), "zeros")}, "prod_others"),
    helper_case(f"others_at_zeros(x, {_ZEROS}, -1)", {"x": Arg((2, 3))}, "others_at_zeros",
                False),
    helper_case(f"others_at_zeros_t(x, {_ZEROS}, None)", {"x": Arg((2, 3))},
                "others_at_zeros_t", False),
    helper_case("weights_like(x, np.zeros((2, 3)), 1)", {"x": Arg((3,))}, "weights_like", False),
    helper_case("weight_sum(x, np.zeros((2, 3)), 1, False)", {"x": Arg((3,))}, "weight_sum",
                False),
    helper_case("weights_unlike(x, np.zeros(3), 1)", {"x": Arg((2, 3))}, "weights_unlike",
                False),
    helper_case("weights_unlike(x, np.zeros((1, 3)), 1)", {"x": Arg((2, 3))}, "weights_unlike",
                False),
    helper_case("quantile_share(np.array([[0.5, -1.0, 2.0], [0.0, 1.0, 1.0]]), x, 1)",
                {"x": Arg((), "prob")}, "quantile_share", False),
    helper_case("quantile_share(np.array([0.5, -1.0, 2.0, 0.25]), x)", {"x": Arg((), "prob")},
                "quantile_share", False),
]

# second derivatives: the gradient's own derivative, in both modes, through
# the rules of the helpers above (prod stays exact at zeros)
def second_order(expr, args, covers, imports=""):
    names = ", ".join(args)
    return [Case(f"wengert.grad(_h, wrt={i})({names})", args, covers=covers,
                 imports=imports + f"\ndef _h({names}):\n    return {expr}\n",
                 id=f"second order d/d{name}: {expr}")
            for i, name in enumerate(args)]


CASES += [
    c for expr, shape, domain, covers in [
        ("np.sum(np.sum(x, axis=0) ** 3)", (2, 3), "real", (np.sum,)),
        ("np.sum(np.mean(x, axis=(0, 1), keepdims=True) ** 3)", (2, 3), "real", (np.mean,)),
        ("np.sum(np.var(x, axis=1, ddof=1) ** 2)", (2, 3), "real", (np.var,)),
        ("np.sum(np.std(x, axis=0) ** 3)", (3, 2), "real", (np.std,)),
        ("np.sum(np.prod(x, axis=1) ** 2)", (2, 3), "real", (np.prod,)),
        ("np.prod(x)", (7,), "zeros", (np.prod,)),
        ("np.sum(np.prod(x, axis=0) * np.arange(1.0, 3.0))", (5, 2), "zeros", (np.prod,)),
        ("np.sum(np.cumsum(x, axis=1) ** 2)", (2, 3), "real", (np.cumsum,)),
        ("np.sum(np.cumsum(x) ** 2)", (2, 3), "real", (np.cumsum,)),
        ("np.sum(np.cumprod(x, axis=1) ** 2)", (2, 3), "real", (np.cumprod,)),
        ("np.sum(np.cumprod(x) ** 2)", (2, 3), "real", (np.cumprod,)),
        # several zeros in a slice: the derivative is a recurrence (linrec), exact there
        ("np.sum(np.cumprod(x, axis=0) * np.arange(1.0, 11.0).reshape(5, 2))", (5, 2), "zeros",
         (np.cumprod,)),
        ("np.sum(np.cumprod(x) * np.arange(1.0, 8.0))", (7,), "zeros", (np.cumprod,)),
        ("np.sum(x.cumprod(-1) ** 2)", (2, 7), "zeros", (np.cumprod,)),
        ("np.sum(np.max(x, axis=1) ** 2)", (2, 3), "real", (np.max,)),
        ("np.max(x) + np.log(np.sum(np.exp(x - np.max(x))))", (5,), "real", (np.max,)),
        ("np.sum(np.median(x, axis=0) ** 2)", (3, 2), "real", (np.median,)),
        ("np.sum(np.ptp(x, axis=0) ** 2)", (3, 2), "real", (np.ptp,)),
        ("np.sum(np.nansum(x, axis=0) ** 2)", (3, 2), "real", (np.nansum,)),
        ("np.sum(np.nanmean(x, axis=0) ** 2)", (3, 2), "real", (np.nanmean,)),
        ("np.sum(np.average(x, axis=0) ** 2)", (3, 2), "real", (np.average,)),
        ("np.sum(np.quantile(x, 0.3, axis=0) ** 2)", (4, 2), "real", (np.quantile,)),
        ("np.sum(np.percentile(x, 60.0, axis=1) ** 2)", (2, 4), "real", (np.percentile,)),
    ]
    for c in second_order(expr, {"x": Arg(shape, domain)}, covers)
]
CASES += second_order("np.sum(np.quantile(x, q, axis=0) ** 2)",
                      {"x": Arg((5, 2)), "q": Arg((), "prob")}, (np.quantile,))
CASES += second_order("np.percentile(x, 100.0 * q) ** 2",
                      {"x": Arg((6,)), "q": Arg((), "prob")}, (np.percentile,))
CASES += second_order("np.sum(np.average(x, axis=1, weights=y) ** 2)",
                      {"x": Arg((2, 3)), "y": Arg((3,), "positive")}, (np.average,))
CASES += second_order("np.sum(np.average(x, axis=0, weights=y) ** 2)",
                      {"x": Arg((2, 3)), "y": Arg((2, 3), "positive")}, (np.average,))
# np.cumprod's recurrence, differentiated again (third derivatives of np.cumprod at zeros)
CASES += second_order("np.sum(linrec(c, b) ** 2)", {"c": Arg((7,), "zeros"), "b": Arg((7,))},
                      (numpy_reductions.linrec,),
                      imports="from wengert.rules.numpy_reductions import linrec")
CASES += second_order("np.sum(linrec_t(c, b) ** 2)", {"c": Arg((2, 5), "zeros"), "b": Arg((2, 5))},
                      (numpy_reductions.linrec_t,),
                      imports="from wengert.rules.numpy_reductions import linrec_t")
