"""Rule cases for the linalg family (see rulecheck/cases.py).

Decompositions are checked through functions of their outputs that do not
depend on the arbitrary signs of eigenvectors and singular vectors
(``v ** 2``, ``u[..., :, :1] * vt[..., :1, :]``), on inputs whose eigenvalues
or singular values are well separated (the ``symmetric`` and ``separated``
domains), and through reconstructions (``q @ r``, ``(u * s) @ vt``). The
finite-difference directions are not symmetric, which checks that
``eigh``/``cholesky`` differentiate the triangle NumPy reads.

The helpers that generated code calls are checked like any primitive, so
derivatives of derivatives are right; the optional scipy.special family adds
its cases when SciPy is installed.
"""

import numpy as np

from wengert.rules import linalg as L

from . import Arg, Case

la = np.linalg
SQ = [(3, 3), (2, 3, 3)]              # a matrix and a stack of matrices


def _cases(expr, shapes, domain, covers, **kw):
    return [Case(expr, {"a": Arg(s, domain)}, covers=covers, **kw) for s in shapes]


# -- det, slogdet, inv, solve, pinv, matrix_power -------------------------------

SLOGDET_BOTH = '''
def sign_times_logdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet
'''

CASES = (
    _cases("np.linalg.det(a)", SQ + [(1, 1), (2, 2, 4, 4)], "invertible", (la.det,))
    + _cases("np.linalg.slogdet(a)[1]", SQ, "invertible", (la.slogdet,))
    + _cases("sign_times_logdet(a)", SQ, "invertible", (la.slogdet,), imports=SLOGDET_BOTH)
    + _cases("np.linalg.inv(a)", SQ + [(2, 2)], "invertible", (la.inv,))
    + [Case("np.linalg.solve(a, b)", {"a": Arg(sa, "invertible"), "b": Arg(sb)},
            covers=(la.solve,))
       for sa, sb in [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)),
                      ((2, 3, 3), (2, 3, 1)), ((3, 3), (2, 3, 2)), ((2, 3, 3), (3, 4))]]
    + _cases("np.linalg.pinv(a)", [(4, 3), (3, 4), (3, 3), (2, 4, 2)], "separated",
             (la.pinv,))
    + [Case(f"np.linalg.matrix_power(a, {n})", {"a": Arg(s, "invertible")},
            covers=(la.matrix_power,), rtol=1e-4)
       for n in (0, 1, 2, 3, -1, -2) for s in ([(3, 3)] if n not in (2, -1) else SQ)]
)

# -- cholesky, eigh, eigvalsh ------------------------------------------------------

EIGH_BOTH = '''
def eig_mix(a):
    w, v = np.linalg.eigh(a)
    return w[..., :1, None] * v ** 2
'''

CASES += (
    _cases("np.linalg.cholesky(a)", SQ, "spd", (la.cholesky,))
    + _cases("np.linalg.cholesky(a, upper=True)", SQ, "spd", (la.cholesky,))
    + _cases("np.linalg.eigh(a)[0]", SQ, "symmetric", (la.eigh,))
    + _cases("np.linalg.eigh(a)[1] ** 2", SQ, "symmetric", (la.eigh,))
    + _cases("np.linalg.eigh(a, UPLO='U')[1] ** 2", [(3, 3)], "symmetric", (la.eigh,))
    + _cases("eig_mix(a)", SQ, "symmetric", (la.eigh,), imports=EIGH_BOTH)
    + _cases("np.linalg.eigvalsh(a)", SQ, "symmetric", (la.eigvalsh,))
    + _cases("np.linalg.eigvalsh(a, UPLO='U')", [(3, 3)], "symmetric", (la.eigvalsh,))
)

# -- svd, svdvals, qr --------------------------------------------------------------

SHAPES_MN = [(3, 3), (4, 3), (3, 4), (2, 4, 3)]
SVD = "np.linalg.svd(a, full_matrices=False)"
SVD_OUTER = f'''
def top_outer(a):
    u, s, vt = {SVD}
    return u[..., :, :1] * vt[..., :1, :] * s[..., :1, None]
'''

CASES += (
    _cases(f"{SVD}[1]", SHAPES_MN, "separated", (la.svd,))
    + _cases(f"{SVD}[0] ** 2", SHAPES_MN, "separated", (la.svd,))
    + _cases(f"{SVD}[2] ** 2", SHAPES_MN, "separated", (la.svd,))
    + _cases("top_outer(a)", SHAPES_MN, "separated", (la.svd,), imports=SVD_OUTER)
    + _cases("np.linalg.svd(a)[0] ** 2", [(3, 3)], "separated", (la.svd,))
    + _cases("np.linalg.svdvals(a)", SHAPES_MN, "separated", (la.svdvals,))
    + _cases("np.linalg.qr(a)[0]", [(3, 3), (4, 3), (2, 4, 3)], "separated", (la.qr,))
    + _cases("np.linalg.qr(a)[1]", [(3, 3), (4, 3), (2, 4, 3)], "separated", (la.qr,))
)

# Cases that fail because of a gap in the core compiler, not in a rule; kept out
# of CASES. Unpacking a multi-output call and leaving an output unused should give
# that output a symbolic-zero adjoint that vanishes from ``g[i]``, but
# ``algebra.simplify`` materialises the zero inside the adjoint tuple before
# ``g[i]`` is taken, so the rule receives the constant 0.0 (and ``Vᵀ @ 0.0`` fails).
UNUSED_OUTPUTS = '''
def eigenvalues_only(a):
    w, v = np.linalg.eigh(a)
    return w

def singular_values_only(a):
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return s

def r_only(a):
    q, r = np.linalg.qr(a)
    return r
'''

KNOWN_CORE_GAPS = (
    _cases("eigenvalues_only(a)", SQ, "symmetric", (la.eigh,), imports=UNUSED_OUTPUTS)
    + _cases("singular_values_only(a)", [(4, 3)], "separated", (la.svd,),
             imports=UNUSED_OUTPUTS)
    + _cases("r_only(a)", [(4, 3)], "separated", (la.qr,), imports=UNUSED_OUTPUTS)
)

# -- norms -------------------------------------------------------------------------

_N = (la.norm,)
CASES += (
    [Case(f"np.linalg.norm(x, {o})", {"x": Arg((4,), "nonzero")}, covers=_N)
     for o in ("None", "2", "1", "np.inf", "-np.inf", "3", "0.5", "-1", "0")]
    + [Case(f"np.linalg.norm(x, {o})", {"x": Arg((3,), "zero")}, covers=_N)
       for o in ("None", "1", "np.inf")]
    + [Case("np.linalg.norm(x)", {"x": Arg(s)}, covers=_N) for s in [(2, 3), (2, 3, 2)]]
    + [Case(f"np.linalg.norm(x, {o}, axis={ax}, keepdims={k})", {"x": Arg((2, 3))}, covers=_N)
       for o, ax, k in [("None", 0, False), ("2", 1, True), ("1", -1, False),
                        ("np.inf", 0, True), ("3", (1,), False)]]
    + [Case(f"np.linalg.norm(x, {o})", {"x": Arg((3, 4), d)}, covers=_N)
       for o, d in [("'fro'", "real"), ("'nuc'", "separated"), ("2", "separated"),
                    ("-2", "separated"), ("1", "real"), ("-1", "real"),
                    ("np.inf", "real"), ("-np.inf", "real")]]
    + [Case(f"np.linalg.norm(x, {o}, axis={ax}, keepdims={k})", {"x": Arg((3, 2, 4), d)},
            covers=_N)
       for o, ax, k, d in [("'nuc'", (0, 2), True, "real"), ("2", (2, 0), False, "real"),
                           ("1", (1, 0), False, "real"), ("np.inf", (0, 1), True, "real"),
                           ("'fro'", (-1, 0), False, "real")]]
    + [Case(f"np.linalg.vector_norm(x{kw})", {"x": Arg((2, 3))}, covers=(la.vector_norm,))
       for kw in ("", ", ord=1", ", axis=(0, 1), ord=3", ", axis=1, keepdims=True",
                  ", ord=np.inf")]
    + [Case(f"np.linalg.matrix_norm(x{kw})", {"x": Arg((2, 3, 3), "separated")},
            covers=(la.matrix_norm,))
       for kw in ("", ", ord='nuc'", ", ord=2, keepdims=True", ", ord=-np.inf")]
)

# -- the helpers generated code calls (each has a rule, so derivatives of
#    derivatives exist); checked on their own, like any primitive ---------------

HELPERS = (
    "from wengert.rules.linalg import (_T, _mat, _unmat, _diag, _diagonal, _trace, _herm,\n"
    "    _fold, _phi, _as_lower, _as_cols, _from_cols, _pairdiff, _pairdiff_T, _block,\n"
    "    _upper_right, _diagonal_blocks, _gap_inv, _recip, _sandwich_inv, _diag_uxv, _udvt,\n"
    "    _quad, _vdvt, _svd_gauge, _svd_gauge_T, _svd_project, _svd_embed, _checked_svd,\n"
    "    _checked_qr, _norm_expand, _norm_reduce, _norm_grad)\n"
    "B1 = np.ones(3)\n"
    "\n"
    "def gaps(w, start=0.0):\n"
    "    return w + np.array([start, start + 3.0, start + 6.0], dtype=w.dtype)\n"
    "X23 = np.ones((2, 3))\n"
    "\n"
    "def project(u, s, vt, x):\n"
    "    return _svd_project((u, s, vt), x)\n"
    "\n"
    "def embed(u, s, vt, d):\n"
    "    return _svd_embed((u, s, vt), d)\n"
)


def _helper(expr, covers, rtol=1e-5, **args):
    return Case(expr, {k: v if isinstance(v, Arg) else Arg(v) for k, v in args.items()},
                covers=covers, imports=HELPERS, rtol=rtol)


CASES += [
    _helper("_T(x)", (L._T,), x=(2, 3)),
    _helper("_T(x)", (L._T,), x=(2, 3, 4)),
    _helper("_mat(c)", (L._mat,), c=(3,)),
    _helper("_mat(c) * x", (L._mat,), c=(), x=(2, 2)),
    _helper("_unmat(x)", (L._unmat,), x=(3, 1, 1)),
    _helper("_diag(v)", (L._diag,), v=(3,)),
    _helper("_diag(v)", (L._diag,), v=(2, 3)),
    _helper("_diagonal(x)", (L._diagonal,), x=(2, 3, 3)),
    _helper("_trace(x)", (L._trace,), x=(3, 3)),
    _helper("_trace(x)", (L._trace,), x=(2, 3, 3)),
    _helper("_herm(x, 'L')", (L._herm,), x=(2, 3, 3)),
    _helper("_herm(x, 'U')", (L._herm,), x=(3, 3)),
    _helper("_herm(x, True)", (L._herm,), x=(3, 3)),
    _helper("_fold(x, 'L')", (L._fold,), x=(2, 3, 3)),
    _helper("_fold(x, False)", (L._fold,), x=(3, 3)),
    _helper("_fold(x, 'U')", (L._fold,), x=(3, 3)),
    _helper("_phi(x)", (L._phi,), x=(2, 3, 3)),
    _helper("_as_lower(x, True)", (L._as_lower,), x=(3, 3)),
    _helper("_as_lower(x, False)", (L._as_lower,), x=(3, 3)),
    _helper("_as_cols(v, B1)", (L._as_cols,), v=(3,)),
    _helper("_as_cols(v, X23)", (L._as_cols,), v=(2, 3)),
    _helper("_from_cols(v, B1)", (L._from_cols,), v=(2, 3, 1)),
    _helper("_pairdiff(v)", (L._pairdiff,), v=(2, 3)),
    _helper("_pairdiff_T(x)", (L._pairdiff_T,), x=(2, 3, 3)),
    _helper("_block(a, e)", (L._block,), a=(2, 2), e=(2, 2)),
    _helper("_block(a, e)", (L._block,), a=(2, 2), e=(3, 2, 2)),
    _helper("_upper_right(x)", (L._upper_right,), x=(2, 4, 4)),
    _helper("_diagonal_blocks(x)", (L._diagonal_blocks,), x=(4, 4)),
    _helper("_gap_inv(gaps(w))", (L._gap_inv,), w=Arg((3,), "unit")),
    _helper("_gap_inv(gaps(w))", (L._gap_inv,), w=Arg((2, 3), "unit")),
    _helper("_recip(s)", (L._recip,), s=Arg((2, 3), "nonzero")),
    _helper("_sandwich_inv(l, x)", (L._sandwich_inv,), l=Arg((3, 3), "invertible"), x=(3, 3)),
    _helper("_sandwich_inv(l, x)", (L._sandwich_inv,), l=Arg((2, 3, 3), "invertible"),
            x=(2, 3, 3)),
    _helper("_diag_uxv(u, x, v)", (L._diag_uxv,), u=(4, 3), x=(4, 5), v=(5, 3)),
    _helper("_diag_uxv(u, x, v)", (L._diag_uxv,), u=(2, 4, 3), x=(2, 4, 5), v=(2, 5, 3)),
    _helper("_udvt(u, d, v)", (L._udvt,), u=(4, 3), d=(3,), v=(5, 3)),
    _helper("_udvt(u, d, v)", (L._udvt,), u=(2, 4, 3), d=(2, 3), v=(2, 5, 3)),
    _helper("_quad(v, x)", (L._quad,), v=(3, 2), x=(3, 3)),
    _helper("_quad(v, x)", (L._quad,), v=(2, 3, 2), x=(2, 3, 3)),
    _helper("_vdvt(v, d)", (L._vdvt,), v=(3, 2), d=(2,)),
    _helper("_vdvt(v, d)", (L._vdvt,), v=(2, 3, 2), d=(2, 2)),
    _helper("_svd_gauge(m, gaps(s, 1.0))", (L._svd_gauge,), m=(3, 3), s=Arg((3,), "unit")),
    _helper("_svd_gauge(m, gaps(s, 1.0))", (L._svd_gauge,), m=(2, 3, 3),
            s=Arg((2, 3), "unit")),
    _helper("_svd_gauge_T(p, gaps(s, 1.0))", (L._svd_gauge_T,), p=(3, 3),
            s=Arg((3,), "unit")),
    _helper("_svd_gauge_T(p, gaps(s, 1.0))", (L._svd_gauge_T,), p=(2, 3, 3),
            s=Arg((2, 3), "unit")),
    _helper("project(u, s, vt, x)", (L._svd_project,), u=(4, 3), s=(3,), vt=(3, 5), x=(4, 5)),
    _helper("embed(u, s, vt, d)", (L._svd_embed,), u=(4, 3), s=(3,), vt=(3, 5), d=(3,)),
    _helper("_checked_svd((u, s, vt), True)[2]", (L._checked_svd,), u=(3, 3), s=(3,),
            vt=(3, 3)),
    _helper("_checked_qr((q, r), 'reduced')[0]", (L._checked_qr,), q=(4, 3), r=(3, 3)),
    _helper("_norm_expand(y, X23, None, 1, False)", (L._norm_expand,), y=(2,)),
    _helper("_norm_expand(y, X23, 2, 0, True)", (L._norm_expand,), y=(1, 3)),
    _helper("_norm_reduce(t, X23, None, 1, False)", (L._norm_reduce,), t=(2, 3)),
    _helper("_norm_reduce(t, X23, None, None, True)", (L._norm_reduce,), t=(2, 3)),
]

# -- reconstructions: the factors put back together are `a` (or the symmetric
#    matrix NumPy reads from its lower triangle)

RECONSTRUCT = f'''
def svd_back(a):
    u, s, vt = {SVD}
    return (u * s[..., None, :]) @ vt

def qr_back(a):
    q, r = np.linalg.qr(a)
    return q @ r

def eigh_back(a):
    w, v = np.linalg.eigh(a)
    return (v * w[..., None, :]) @ np.swapaxes(v, -1, -2)

def cholesky_back(a):
    l = np.linalg.cholesky(a)
    return l @ np.swapaxes(l, -1, -2)
'''

CASES += (
    _cases("svd_back(a)", SHAPES_MN, "separated", (la.svd,), imports=RECONSTRUCT)
    + _cases("qr_back(a)", [(3, 3), (2, 4, 3)], "separated", (la.qr,), imports=RECONSTRUCT)
    + _cases("eigh_back(a)", SQ, "symmetric", (la.eigh,), imports=RECONSTRUCT)
    + _cases("cholesky_back(a)", SQ, "spd", (la.cholesky,), imports=RECONSTRUCT)
)

# -- exactly repeated eigenvalues / singular values: functions that do not depend
#    on the choice of basis still have derivatives (and no NaN from unused outputs)

SUM3 = "({0}[..., 0] + {0}[..., 1] + {0}[..., 2])"
CASES += (
    _cases(SUM3.format("np.linalg.eigh(a)[0]"), SQ, "identity", (la.eigh,))
    + _cases(SUM3.format(f"{SVD}[1]"), SQ, "identity", (la.svd,))
    + _cases(SUM3.format("np.linalg.svdvals(a)"), SQ, "identity", (la.svdvals,))
)

# -- scipy.special (optional family): its rules exist only when SciPy is
#    installed, and so do its cases --------------------------------------------

try:
    import scipy.special as sp
except ImportError:
    sp = None

if sp is not None:
    from wengert.rules import scipy_special as S

    _SP = "import scipy.special as sp\nfrom wengert.rules.scipy_special import (_polygamma, " \
          "_expand, _reduce)\nX23 = np.ones((2, 3))\n"

    def _sp(expr, covers, float32=True, **args):
        return Case(expr, {k: v if isinstance(v, Arg) else Arg(v) for k, v in args.items()},
                    covers=covers, imports=_SP, float32=float32)

    CASES += (
        [_sp(f"sp.{name}(x)", (getattr(sp, name),), x=Arg(s, dom))
         for name, dom in [("expit", "real"), ("logit", "prob"), ("erf", "real"),
                           ("erfc", "real"), ("erfinv", "unit"), ("ndtr", "real"),
                           ("log_ndtr", "real"), ("gammaln", "positive"),
                           ("digamma", "positive"), ("psi", "positive")]
         for s in [(), (2, 3)]]
        + [_sp(f"sp.polygamma({n}, x)", (sp.polygamma,), float32=False, x=Arg((3,), "positive"))
           for n in (0, 1, 2)]
        + [_sp(f"_polygamma({n}, x)", (S._polygamma,), x=Arg((3,), "positive")) for n in (1, 2)]
        + [_sp(f"sp.{name}(x, y)", (getattr(sp, name),), x=Arg(sx), y=Arg(sy, "positive"))
           for name in ("xlogy", "xlog1py")
           for sx, sy in [((3,), (3,)), ((2, 3), (3,)), ((), (2, 3))]]
        + [_sp(f"sp.xlogy(x, y)", (sp.xlogy,), x=Arg((3,), "zero"), y=Arg((3,), "positive"))]
        + [_sp(f"sp.logsumexp(x{kw})", (sp.logsumexp,), x=(2, 3))
           for kw in ("", ", axis=0", ", axis=-1", ", axis=1, keepdims=True",
                      ", axis=(0, 1)", ", keepdims=True")]
        + [_sp("sp.logsumexp(x)", (sp.logsumexp,), x=(4,))]
        + [_sp(f"sp.{name}(x{kw})", (getattr(sp, name),), x=(2, 3))
           for name in ("softmax", "log_softmax") for kw in ("", ", axis=1", ", axis=0")]
        + [_sp("_expand(y, X23, 1, False)", (S._expand,), y=(2,)),
           _sp("_reduce(t, X23, (0, 1), True)", (S._reduce,), t=(2, 3))]
    )

# -- second order of the norms: `_norm_grad` (W = ∂‖x‖/∂x) has no rule, so
#    wengert differentiates its source; check that it can ---------------------

CASES += [
    Case(f"_norm_grad(x, np.linalg.norm(x, {o}{ax}), {o}, {axv}, False)", {"x": Arg(s, d)},
         covers=(la.norm,), imports=HELPERS, id=f"linalg:second order of norm ord={o}{ax} {s}")
    for o, ax, axv, s, d in [("None", "", "None", (2, 3), "real"),
                             ("3", "", "None", (4,), "nonzero"),
                             ("1", ", axis=1", "1", (2, 3), "nonzero"),
                             ("np.inf", "", "None", (4,), "real"),
                             ("np.inf", "", "None", (3, 4), "real"),
                             ("-1", "", "None", (3, 4), "real"),
                             ("'nuc'", "", "None", (3, 4), "separated"),
                             ("2", "", "None", (3, 4), "separated"),
                             ("-2", "", "None", (4, 3), "separated")]
]

# every id names its family, so `pytest -k linalg` selects all of these
for _c in CASES + KNOWN_CORE_GAPS:
    if not _c.id.startswith(("linalg:", "scipy.special:")):
        _c.id = ("scipy.special:" if "import scipy.special" in _c.imports else "linalg:") + _c.id
