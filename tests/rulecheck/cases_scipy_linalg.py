"""Rule cases for scipy.linalg (solve_triangular, cho_factor, cho_solve; see
rulecheck/cases.py): an optional family, whose cases exist only when SciPy
is installed, as its rules do.

The triangular matrices are the ``invertible`` domain's (a dominant
diagonal), of which ``solve_triangular`` reads one triangle; random
finite-difference directions perturb the other triangle too, which checks
that it has a zero derivative. ``cho_factor``'s ``c`` holds arbitrary values
outside the factor's triangle, so it is checked through that triangle
(``np.tril``/``np.triu``) and through ``cho_solve``.
"""

from . import Arg, Case

try:
    import scipy.linalg as sl
except ImportError:
    sl = None

CASES = []

if sl is not None:
    from wengert.rules import scipy_linalg as S

    _SL = "import scipy.linalg as sl\nfrom wengert.rules.scipy_linalg import (_solve_triangular, " \
          "_cho_solve, _tri, _op, _factor, _unfactor, _with_arbitrary, _factor_part)\n"

    def _sl(expr, covers, **args):
        return Case(expr, {k: v if isinstance(v, Arg) else Arg(v) for k, v in args.items()},
                    covers=covers, imports=_SL, rtol=1e-4,
                    id=f"scipy.linalg:{expr}{tuple(args.values())}")

    INV = Arg((3, 3), "invertible")
    SPD = Arg((3, 3), "spd")

    CASES += (
        [_sl(f"sl.solve_triangular(a, b{kw})", (sl.solve_triangular,), a=INV, b=Arg(sb))
         for kw in ("", ", lower=True", ", trans=1", ", trans='T', lower=True", ", trans=2",
                    ", unit_diagonal=True", ", lower=True, unit_diagonal=True, trans='C'",
                    ", check_finite=False")
         for sb in ((3,), (3, 2))]
        + [_sl(f"_solve_triangular(a, b{kw})", (S._solve_triangular,), a=INV, b=Arg((3, 2)))
           for kw in ("", ", trans=1, lower=True, unit_diagonal=True")]
        + [_sl(f"np.{t}(sl.cho_factor(a{kw})[0])", (sl.cho_factor,), a=SPD)
           for t, kw in (("triu", ""), ("tril", ", lower=True"), ("triu", ", lower=False"))]
        + [_sl(f"sl.cho_solve(sl.cho_factor(a{kw}), b)", (sl.cho_factor, sl.cho_solve),
               a=SPD, b=Arg(sb))
           for kw in ("", ", lower=True") for sb in ((3,), (3, 2))]
        + [_sl(f"{fn}((c, {low}), b)", (sl.cho_solve,) if fn.startswith("sl") else (S._cho_solve,),
               c=INV, b=Arg(sb))
           for fn in ("sl.cho_solve", "_cho_solve") for low in (True, False)
           for sb in ((3,), (3, 2))]
        + [_sl(f"_tri(x, {low}, {unit})", (S._tri,), x=(3, 3))
           for low in (True, False) for unit in (True, False)]
        + [_sl(f"_op(x, {t!r})", (S._op,), x=(3, 4)) for t in (0, 1, 2, "N", "T", "C")]
        + [_sl(f"_factor(x, {low})", (S._factor,), x=(3, 3)) for low in (True, False)]
        + [_sl(f"_unfactor(x, {low})", (S._unfactor,), x=(3, 3)) for low in (True, False)]
        + [_sl(f"np.{t}(_with_arbitrary(x, {low}))", (S._with_arbitrary,), x=(3, 3))
           for t, low in (("tril", True), ("triu", False))]
        + [_sl(f"_factor_part(np.{t}(x), {low})", (S._factor_part,), x=(3, 3))
           for t, low in (("tril", True), ("triu", False))]
    )
