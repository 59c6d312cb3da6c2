"""numpy.linalg: det, slogdet, inv, pinv, solve, norm, eigh, cholesky, svd, qr,
matrix_power (plus eigvalsh, svdvals, vector_norm and matrix_norm).

Every rule works on stacks of matrices ``(..., m, n)`` wherever NumPy does, so
the maths is written with batched spellings:

``_T(a)``            the transpose of the last two axes (``a.T`` of each matrix)
``A @ B``            the (batched) matrix product
``_mat(c)``          a scalar per matrix, shaped ``(..., 1, 1)`` to scale matrices
``_diag(v)``         the diagonal matrices with diagonals ``v`` (``np.diag``, batched)
``_diagonal(a)``     the diagonals of ``a``; ``_trace(a)`` their sums
``v[..., None, :]``  a vector scaling the columns of a matrix (``A @ diag(v)``)

and the rules read like the textbook formulas, e.g. for the determinant
(``d det A = det A · tr(A⁻¹ dA)``, ``Ā = ḡ · det A · A⁻ᵀ``)::

    tangent(ans * _trace(np.linalg.solve(a, a_dot)))
    adjoint(a=_mat(g * ans) * _T(np.linalg.inv(a)))

**Multi-output functions** (``slogdet``, ``eigh``, ``svd``, ``qr``) return
tuples: ``ans[i]`` is an output, ``g[i]`` its adjoint, and the tangent is a
tuple. When the program unpacks the outputs (``w, v = np.linalg.eigh(a)``),
an output it never uses has a symbolic zero adjoint, so the terms that read
it vanish when the rule is instantiated: the gradient of the eigenvalues then
never computes the eigenvector part.

**Symmetric input.** ``eigh``, ``eigvalsh`` and ``cholesky`` read one
triangle of their argument only (the lower one unless ``UPLO='U'`` or
``upper=True``), so their derivatives are those of the functions NumPy
computes: ``_herm(x, uplo)`` builds the symmetric matrix NumPy sees from that
triangle, and its adjoint ``_fold(x, uplo)`` folds a gradient back onto it.
For a symmetric perturbation this is the usual symmetric formula.

**Where a derivative does not exist** the result is large, ``inf`` or
``nan``, never a made-up number: nearly singular matrices (``det``, ``inv``,
``solve``, ``slogdet``; NumPy raises for exactly singular ones), nearly
repeated eigenvalues (the eigenvectors of ``eigh``) or singular values (the
singular vectors of ``svd``), and rank changes (``pinv``). At *exactly*
repeated values (an identity matrix) the rotation inside the repeated
eigenspace is taken as zero, and ``1/s`` as 0 for an exactly zero singular
value (``_gap_inv``, ``_recip``): that is the derivative of every function
that does not depend on the choice of basis inside an eigenspace
(eigenvalues, singular values, projectors onto whole eigenspaces), and it
keeps an output's zero adjoint from becoming ``0 * inf = nan``.

**Norms** are written once for every order: ``d‖x‖ = Σ W ∘ dx`` over the
reduced axes and ``x̄ = W ḡ``, with ``W = ∂‖x‖/∂x`` from ``_norm_grad``. At a
kink the rule picks a subgradient: 0 at the zero vector (every order), and
for max/min norms (``inf``, ``-inf``, matrix ``1``, ``-1``, ``inf``,
``-inf``) ties share the weight equally. The spectral norms (matrix ``2``,
``-2``) need the extreme singular value to be simple, the nuclear norm a
full-rank matrix.

**Helpers.** Derivatives that need more than one expression call small
helpers defined below. Each is either registered with a rule of its own, so
generated code can be differentiated again (most are linear, declared with
``linear=``), or is a plain composition of differentiable NumPy calls that
wengert differentiates from source (the dispatch on ``ord`` in ``norm``).
"""

import numpy as np

from ..runtime import broadcast_like, unbroadcast, zeros_like
from .registry import adjoint, nondiff, rule, tangent

# --------------------------------------------------------------------------
# batched matrix helpers (each linear, each with its rule below)


def _T(x):
    """Transpose the last two axes."""
    return np.swapaxes(x, -1, -2)


def _mat(c):
    """A scalar per matrix, ``(...)`` -> ``(..., 1, 1)`` (scalars stay scalars)."""
    return c[..., None, None] if np.ndim(c) else c


def _unmat(x):
    """The inverse of ``_mat``: ``(..., 1, 1)`` -> ``(...)``."""
    return x[..., 0, 0] if np.ndim(x) >= 2 else x


def _eye_like(x):
    """The identity matrix of the size and dtype of the matrices in ``x``."""
    return np.eye(np.shape(x)[-1], dtype=np.result_type(x))


def _diag(v):
    """Diagonal matrices from vectors: ``(..., n)`` -> ``(..., n, n)``."""
    return v[..., :, None] * _eye_like(v)


def _diagonal(x):
    """The diagonals of matrices: ``(..., n, n)`` -> ``(..., n)``."""
    return np.diagonal(x, axis1=-2, axis2=-1)


def _trace(x):
    """The traces of matrices: ``(..., n, n)`` -> ``(...)``."""
    return np.trace(x, axis1=-2, axis2=-1)


def _is_upper(uplo) -> bool:
    return uplo.upper() == "U" if isinstance(uplo, str) else bool(uplo)


def _herm(x, uplo):
    """The symmetric matrix NumPy reads from one triangle of ``x``
    (``uplo``: ``'L'``/``'U'`` as for ``eigh``, or ``upper`` as for ``cholesky``)."""
    if _is_upper(uplo):
        return np.triu(x) + _T(np.triu(x, 1))
    return np.tril(x) + _T(np.tril(x, -1))


def _fold(x, uplo):
    """The adjoint of ``_herm``: fold the other triangle onto the one read."""
    if _is_upper(uplo):
        return np.triu(x) + np.triu(_T(x), 1)
    return np.tril(x) + np.tril(_T(x), -1)


def _phi(x):
    """The lower triangle with the diagonal halved (Cholesky derivative)."""
    return np.tril(x) - 0.5 * _diag(_diagonal(x))


def _as_lower(x, upper):
    """The lower-triangular Cholesky factor, from ``cholesky(a, upper=upper)``."""
    return _T(x) if upper else x


def _as_cols(v, b):
    """A right-hand side as a stack of columns: ``solve`` treats a 1-d ``b`` as
    one vector, anything else as matrices."""
    return v[..., None] if np.ndim(b) == 1 else v


def _from_cols(v, b):
    """The inverse of ``_as_cols``."""
    return v[..., 0] if np.ndim(b) == 1 else v


def _pairdiff(v):
    """``d[..., i, j] = v[..., j] - v[..., i]``."""
    return v[..., None, :] - v[..., :, None]


def _pairdiff_T(x):
    """The adjoint of ``_pairdiff``: column sums minus row sums."""
    return np.sum(x, axis=-2) - np.sum(x, axis=-1)


def _block(a, e):
    """The block matrix ``[[a, e], [0, a]]``: a matrix function ``f`` maps it to
    ``[[f(a), Df(a)[e]], [0, f(a)]]``, so one evaluation gives the derivative."""
    shape = np.broadcast_shapes(np.shape(a), np.shape(e))
    dtype = np.result_type(a, e)
    a = np.broadcast_to(a, shape).astype(dtype, copy=False)
    e = np.broadcast_to(e, shape).astype(dtype, copy=False)
    zero = np.zeros(shape, dtype)
    return np.concatenate([np.concatenate([a, e], axis=-1),
                           np.concatenate([zero, a], axis=-1)], axis=-2)


def _upper_right(x):
    """The upper-right block of ``_block``."""
    n = np.shape(x)[-1] // 2
    return x[..., :n, n:]


def _diagonal_blocks(x):
    """The sum of the two diagonal blocks (the adjoint of ``_block`` in ``a``)."""
    n = np.shape(x)[-1] // 2
    return x[..., :n, :n] + x[..., n:, n:]


@rule(_T, linear=("x",))
def T_(x):
    tangent(_T(x_dot))
    adjoint(x=_T(g))


@rule(_mat, linear=("c",))
def mat_(c):
    tangent(_mat(c_dot))
    adjoint(c=_unmat(g))


@rule(_unmat, linear=("x",))
def unmat_(x):
    tangent(_unmat(x_dot))
    adjoint(x=_mat(g))


@rule(_diag, linear=("v",))
def diag_(v):
    tangent(_diag(v_dot))
    adjoint(v=_diagonal(g))


@rule(_diagonal, linear=("x",))
def diagonal_(x):
    tangent(_diagonal(x_dot))
    adjoint(x=_diag(g))


@rule(_trace, linear=("x",))
def trace_(x):
    tangent(_trace(x_dot))
    adjoint(x=_mat(g) * _eye_like(x))


@rule(_herm, linear=("x",))
def herm_(x, uplo):
    tangent(_herm(x_dot, uplo))
    adjoint(x=_fold(g, uplo))


@rule(_fold, linear=("x",))
def fold_(x, uplo):
    tangent(_fold(x_dot, uplo))
    adjoint(x=_herm(g, uplo))


@rule(_phi, linear=("x",))
def phi_(x):
    tangent(_phi(x_dot))
    adjoint(x=_phi(g))


@rule(_as_lower, linear=("x",))
def as_lower_(x, upper):
    tangent(_as_lower(x_dot, upper))
    adjoint(x=_as_lower(g, upper))


@rule(_as_cols, linear=("v",))
def as_cols_(v, b):
    tangent(_as_cols(v_dot, b))
    adjoint(v=_from_cols(g, b))


@rule(_from_cols, linear=("v",))
def from_cols_(v, b):
    tangent(_from_cols(v_dot, b))
    adjoint(v=_as_cols(g, b))


@rule(_pairdiff, linear=("v",))
def pairdiff_(v):
    tangent(_pairdiff(v_dot))
    adjoint(v=_pairdiff_T(g))


@rule(_pairdiff_T, linear=("x",))
def pairdiff_T_(x):
    tangent(_pairdiff_T(x_dot))
    adjoint(x=_pairdiff(g))


@rule(_block, linear=("a", "e"))
def block_(a, e):
    tangent(_block(a_dot, e_dot))
    adjoint(a=unbroadcast(_diagonal_blocks(g), a), e=unbroadcast(_upper_right(g), e))


@rule(_upper_right, linear=("x",))
def upper_right_(x):
    tangent(_upper_right(x_dot))
    adjoint(x=_block(0.0, g))


@rule(_diagonal_blocks, linear=("x",))
def diagonal_blocks_(x):
    tangent(_diagonal_blocks(x_dot))
    adjoint(x=_block(g, 0.0))


nondiff(_eye_like, _is_upper)


# --------------------------------------------------------------------------
# nonlinear helpers of the decompositions (each with its rule below)


def _gap_inv(w):
    """``F[..., i, j] = 1 / (w[j] - w[i])``, and 0 where ``w[j] == w[i]`` (the
    diagonal, and exactly repeated values): how the eigenvectors of a symmetric
    matrix turn when it moves."""
    d = _pairdiff(w)
    return np.where(d == 0.0, 0.0, 1.0 / np.where(d == 0.0, 1.0, d))


def _recip(s):
    """``1 / s``, and 0 where ``s == 0``: the pseudo-inverse of ``diag(s)``."""
    return np.where(s == 0.0, 0.0, 1.0 / np.where(s == 0.0, 1.0, s))


def _sandwich_inv(l, x):
    """``L⁻¹ X L⁻ᵀ``."""
    return np.linalg.solve(l, _T(np.linalg.solve(l, _T(x))))


def _diag_uxv(u, x, v):
    """``diag(Uᵀ X V)`` without forming the product."""
    return np.sum(u * (x @ v), axis=-2)


def _udvt(u, d, v):
    """``U diag(d) Vᵀ``."""
    return (u * d[..., None, :]) @ _T(v)


def _quad(v, x):
    """``diag(Vᵀ X V)``: ``_diag_uxv`` with both sides the same."""
    return np.sum(v * (x @ v), axis=-2)


def _vdvt(v, d):
    """``V diag(d) Vᵀ``: ``_udvt`` with both sides the same."""
    return (v * d[..., None, :]) @ _T(v)


def _svd_gauge(m, s):
    """``(F ∘ (M - Mᵀ)) S - M S⁻¹`` with ``F = _gap_inv(s²)``: the part of the SVD
    adjoint that the adjoint of U (``M = Uᵀ Ū``) contributes (V likewise)."""
    return _gap_inv(s * s) * (m - _T(m)) * s[..., None, :] - m * _recip(s)[..., None, :]


def _svd_gauge_T(p, s):
    """The adjoint of ``_svd_gauge`` in ``m``: ``F ∘ (P S + S Pᵀ) - P S⁻¹``."""
    return (_gap_inv(s * s) * (p * s[..., None, :] + s[..., :, None] * _T(p))
            - p * _recip(s)[..., None, :])


def _svd_project(f, x):
    """``diag(Uᵀ X V)`` for the factors ``f = (U, s, Vᵀ)`` of a reduced SVD."""
    return _diag_uxv(f[0], x, _T(f[2]))


def _svd_embed(f, d):
    """``U diag(d) Vᵀ`` for the factors ``f = (U, s, Vᵀ)`` of a reduced SVD."""
    return _udvt(f[0], d, _T(f[2]))


@rule(_gap_inv)
def gap_inv_(w):
    tangent(-(ans * ans) * _pairdiff(w_dot))
    adjoint(w=_pairdiff_T(-(g * ans * ans)))


@rule(_recip)
def recip_(s):
    tangent(-(ans * ans) * s_dot)
    adjoint(s=-(g * ans * ans))


@rule(_sandwich_inv, linear=("x",))
def sandwich_inv_(l, x):
    tangent(_sandwich_inv(l, x_dot)
            - np.linalg.solve(l, l_dot) @ ans - ans @ _T(np.linalg.solve(l, l_dot)))
    adjoint(x=_sandwich_inv(_T(l), g),
            l=-np.linalg.solve(_T(l), g @ _T(ans) + _T(g) @ ans))


@rule(_diag_uxv, linear=("x",))
def diag_uxv_(u, x, v):
    tangent(np.sum(u_dot * (x @ v) + u * (x_dot @ v) + u * (x @ v_dot), axis=-2))
    adjoint(u=(x @ v) * g[..., None, :],
            x=_udvt(u, g, v),
            v=(_T(x) @ u) * g[..., None, :])


@rule(_udvt, linear=("d",))
def udvt_(u, d, v):
    tangent((u_dot * d[..., None, :]) @ _T(v) + (u * d_dot[..., None, :]) @ _T(v)
            + (u * d[..., None, :]) @ _T(v_dot))
    adjoint(u=(g @ v) * d[..., None, :],
            d=_diag_uxv(u, g, v),
            v=(_T(g) @ u) * d[..., None, :])


@rule(_quad, linear=("x",))
def quad_(v, x):
    tangent(np.sum(v_dot * ((x + _T(x)) @ v) + v * (x_dot @ v), axis=-2))
    adjoint(v=((x + _T(x)) @ v) * g[..., None, :], x=_vdvt(v, g))


@rule(_vdvt, linear=("d",))
def vdvt_(v, d):
    tangent((v_dot * d[..., None, :]) @ _T(v) + v @ (d[..., :, None] * _T(v_dot))
            + (v * d_dot[..., None, :]) @ _T(v))
    adjoint(v=((g + _T(g)) @ v) * d[..., None, :], d=_quad(v, g))


@rule(_svd_gauge, linear=("m",))
def svd_gauge_(m, s):
    tangent(_svd_gauge(m_dot, s)
            - _gap_inv(s * s) ** 2 * _pairdiff(2.0 * s * s_dot) * (m - _T(m)) * s[..., None, :]
            + _gap_inv(s * s) * (m - _T(m)) * s_dot[..., None, :]
            + m * (_recip(s) ** 2 * s_dot)[..., None, :])
    adjoint(m=_svd_gauge_T(g, s),
            s=2.0 * s * _pairdiff_T(-(g * (m - _T(m)) * s[..., None, :] * _gap_inv(s * s) ** 2))
            + np.sum(g * (_gap_inv(s * s) * (m - _T(m)) + m * (_recip(s) ** 2)[..., None, :]),
                     axis=-2))


@rule(_svd_gauge_T, linear=("p",))
def svd_gauge_T_(p, s):
    tangent(_svd_gauge_T(p_dot, s)
            - _gap_inv(s * s) ** 2 * _pairdiff(2.0 * s * s_dot)
            * (p * s[..., None, :] + s[..., :, None] * _T(p))
            + _gap_inv(s * s) * (p * s_dot[..., None, :] + s_dot[..., :, None] * _T(p))
            + p * (_recip(s) ** 2 * s_dot)[..., None, :])
    adjoint(p=_svd_gauge(g, s),
            s=2.0 * s * _pairdiff_T(-(g * (p * s[..., None, :] + s[..., :, None] * _T(p))
                                      * _gap_inv(s * s) ** 2))
            + np.sum(g * _gap_inv(s * s) * p + g * p * (_recip(s) ** 2)[..., None, :], axis=-2)
            + np.sum(g * _gap_inv(s * s) * _T(p), axis=-1))


@rule(_svd_project, linear=("x",))
def svd_project_(f, x):
    tangent(_svd_project(f, x_dot)
            + np.sum(f_dot[0] * (x @ _T(f[2])) + f[0] * (x @ _T(f_dot[2])), axis=-2))
    adjoint(f=((x @ _T(f[2])) * g[..., None, :], zeros_like(f[1]),
               g[..., :, None] * (_T(f[0]) @ x)),
            x=_svd_embed(f, g))


@rule(_svd_embed, linear=("d",))
def svd_embed_(f, d):
    tangent(_svd_embed(f, d_dot) + (f_dot[0] * d[..., None, :]) @ f[2]
            + (f[0] * d[..., None, :]) @ f_dot[2])
    adjoint(f=((g @ _T(f[2])) * d[..., None, :], zeros_like(f[1]),
               d[..., :, None] * (_T(f[0]) @ g)),
            d=_svd_project(f, g))


# --------------------------------------------------------------------------
# configurations without a derivative: a clear error instead of a wrong number


def _checked_svd(factors, full_matrices):
    """The factors of ``svd``, if their derivative is defined."""
    u, vt = factors[0], factors[2]
    if np.shape(u)[-1] != np.shape(vt)[-2]:
        from ..errors import NonDifferentiableError
        raise NonDifferentiableError(
            "the derivative of np.linalg.svd(a, full_matrices=True) is not defined "
            "for a non-square `a`: the extra singular vectors are arbitrary",
            hint="call np.linalg.svd(a, full_matrices=False)")
    return factors


def _checked_qr(factors, mode):
    """The factors of ``qr``, if their derivative is implemented."""
    if not isinstance(factors, tuple) or len(factors) != 2 or \
            np.shape(factors[1])[-1] != np.shape(factors[1])[-2]:
        from ..errors import NonDifferentiableError
        got = f"mode={mode!r}" if mode != "reduced" else \
            f"a wide matrix, R of shape {np.shape(factors[1])}"
        raise NonDifferentiableError(
            f"np.linalg.qr is differentiable only in mode='reduced' for a square "
            f"or tall matrix (got {got})",
            hint="call np.linalg.qr(a) on a matrix with at least as many rows as columns "
                 "(transpose a wide one: qr of a.T gives an LQ factorisation)")
    return factors


@rule(_checked_svd, linear=("factors",))
def checked_svd_(factors, full_matrices):
    tangent(factors_dot)
    adjoint(factors=g)


@rule(_checked_qr, linear=("factors",))
def checked_qr_(factors, mode):
    tangent(factors_dot)
    adjoint(factors=g)


# --------------------------------------------------------------------------
# the numpy.linalg functions


@rule(np.linalg.det, notes="needs an invertible matrix (the adjugate is not used)")
def det(a):
    tangent(ans * _trace(np.linalg.solve(a, a_dot)))
    adjoint(a=_mat(g * ans) * _T(np.linalg.inv(a)))


@rule(np.linalg.slogdet, notes="the sign is piecewise constant: zero derivative")
def slogdet(a):
    tangent((zeros_like(ans[0]), _trace(np.linalg.solve(a, a_dot))))
    adjoint(a=_mat(g[1]) * _T(np.linalg.inv(a)))


@rule(np.linalg.inv)
def inv(a):
    tangent(-(ans @ a_dot @ ans))
    adjoint(a=-(_T(ans) @ g @ _T(ans)))


@rule(np.linalg.solve, notes="a 1-d `b` is one vector, anything else a stack of matrices")
def solve(a, b):
    tangent(_from_cols(np.linalg.solve(a, _as_cols(b_dot, b) - a_dot @ _as_cols(ans, b)), b))
    adjoint(a=unbroadcast(-(np.linalg.solve(_T(a), _as_cols(g, b)) @ _T(_as_cols(ans, b))), a),
            b=unbroadcast(_from_cols(np.linalg.solve(_T(a), _as_cols(g, b)), b), b))


@rule(np.linalg.pinv,
      notes="valid where the rank of `a` does not change (e.g. full rank); "
            "`hermitian=True` is not supported")
def pinv(a, rcond=None, rtol=None):
    # dP = -P dA P + P Pᵀ dAᵀ (I - A P) + (I - P A) dAᵀ Pᵀ P   (Golub & Pereyra)
    tangent(-(ans @ a_dot @ ans)
            + ans @ _T(ans) @ (_T(a_dot) - _T(a_dot) @ a @ ans)
            + (_T(a_dot) - ans @ a @ _T(a_dot)) @ _T(ans) @ ans)
    adjoint(a=-(_T(ans) @ g @ _T(ans))
            + (_T(g) - a @ ans @ _T(g)) @ ans @ _T(ans)
            + _T(ans) @ ans @ (_T(g) - _T(g) @ ans @ a))


@rule(np.linalg.matrix_power,
      notes="any integer power; the derivative is the upper-right block of the power of "
            "[[a, da], [0, a]]")
def matrix_power(a, n):
    tangent(_upper_right(np.linalg.matrix_power(_block(a, a_dot), n)))
    adjoint(a=_upper_right(np.linalg.matrix_power(_block(_T(a), g), n)))


@rule(np.linalg.cholesky, notes="reads the lower triangle (upper with upper=True)")
def cholesky(a, upper=False):
    # A = L Lᵀ:  dL = L Φ(L⁻¹ dA L⁻ᵀ),   Ā = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹   (folded onto the triangle read)
    tangent(_as_lower(_as_lower(ans, upper)
                      @ _phi(_sandwich_inv(_as_lower(ans, upper), _herm(a_dot, upper))), upper))
    adjoint(a=_fold(_sandwich_inv(_T(_as_lower(ans, upper)),
                                  _phi(_T(_as_lower(ans, upper)) @ _as_lower(g, upper))), upper))


@rule(np.linalg.eigh,
      notes="reads the lower triangle (upper with UPLO='U'); the eigenvector derivative "
            "does not exist where eigenvalues repeat (it blows up near them; at exact "
            "ties the rotation inside the eigenspace is taken as zero)")
def eigh(a, UPLO="L"):
    # A = V diag(w) Vᵀ:  dw = diag(Vᵀ dA V),  dV = V (F ∘ (Vᵀ dA V)),  F = 1 / (w_j - w_i)
    tangent((_quad(ans[1], _herm(a_dot, UPLO)),
             ans[1] @ (_gap_inv(ans[0]) * (_T(ans[1]) @ _herm(a_dot, UPLO) @ ans[1]))))
    adjoint(a=_fold(_vdvt(ans[1], g[0])
                    + ans[1] @ (_gap_inv(ans[0]) * (_T(ans[1]) @ g[1])) @ _T(ans[1]), UPLO))


@rule(np.linalg.eigvalsh, notes="reads the lower triangle (upper with UPLO='U')")
def eigvalsh(a, UPLO="L"):
    tangent(_quad(np.linalg.eigh(a, UPLO)[1], _herm(a_dot, UPLO)))
    adjoint(a=_fold(_vdvt(np.linalg.eigh(a, UPLO)[1], g), UPLO))


@rule(np.linalg.svd,
      notes="full_matrices=False (or a square matrix); the singular vector derivatives do "
            "not exist where singular values repeat or vanish (they blow up near them; at "
            "exact ties the rotation is taken as zero); svd(a, compute_uv=False) is read "
            "as np.linalg.svdvals(a)")
def svd(a, full_matrices=True):
    # A = U S Vᵀ, dP = Uᵀ dA V:  ds = diag(dP),
    #   dU = U (F ∘ (dP S + S dPᵀ) - dP S⁻¹) + dA V S⁻¹,   F = 1 / (s_j² - s_i²),
    #   dVᵀ likewise with dPᵀ;   Ā = U (diag(s̄) + G(Uᵀ Ū) + G(Vᵀ V̄)ᵀ) Vᵀ + Ū S⁻¹ Vᵀ + U S⁻¹ V̄ᵀ
    tangent((_checked_svd(ans, full_matrices)[0]
             @ _svd_gauge_T(_T(ans[0]) @ a_dot @ _T(ans[2]), ans[1])
             + a_dot @ _T(ans[2]) * _recip(ans[1])[..., None, :],
             _diag_uxv(_checked_svd(ans, full_matrices)[0], a_dot, _T(ans[2])),
             _T(_svd_gauge_T(_checked_svd(ans, full_matrices)[2] @ _T(a_dot) @ ans[0], ans[1]))
             @ ans[2]
             + _T(ans[0]) @ a_dot * _recip(ans[1])[..., :, None]))
    adjoint(a=_checked_svd(ans, full_matrices)[0]
            @ (_diag(g[1]) + _svd_gauge(_T(ans[0]) @ g[0], ans[1])
               + _T(_svd_gauge(ans[2] @ _T(g[2]), ans[1]))) @ ans[2]
            + g[0] * _recip(ans[1])[..., None, :] @ ans[2]
            + ans[0] @ (g[2] * _recip(ans[1])[..., :, None]))


@rule(np.linalg.svdvals)
def svdvals(x):
    tangent(_svd_project(np.linalg.svd(x, full_matrices=False), x_dot))
    adjoint(x=_svd_embed(np.linalg.svd(x, full_matrices=False), g))


@rule(np.linalg.qr, notes="mode='reduced' for square or tall matrices")
def qr(a, mode="reduced"):
    # A = Q R, Y = dA R⁻¹, Z = fold_upper(Qᵀ Y):  dQ = Y - Q Z,  dR = Z R;
    #   Ā = (Q̄ + Q herm_upper(R̄ Rᵀ - Qᵀ Q̄)) R⁻ᵀ
    tangent((a_dot @ np.linalg.inv(_checked_qr(ans, mode)[1])
             - ans[0] @ _fold(_T(ans[0]) @ a_dot @ np.linalg.inv(ans[1]), "U"),
             _fold(_T(_checked_qr(ans, mode)[0]) @ a_dot @ np.linalg.inv(ans[1]), "U")
             @ ans[1]))
    adjoint(a=_T(np.linalg.solve(
        _checked_qr(ans, mode)[1],
        _T(g[0] + ans[0] @ _herm(g[1] @ _T(ans[1]) - _T(ans[0]) @ g[0], "U")))))


# --------------------------------------------------------------------------
# norms: d‖x‖ = Σ W ∘ dx over the reduced axes, with W = ∂‖x‖/∂x from _norm_grad


def _norm_axes(x, ord, axis, kind="norm"):
    """The axes a norm reduces (as given, made non-negative) and whether it is a
    matrix norm, by NumPy's rules (``kind='vector'``: ``vector_norm``)."""
    nd = np.ndim(x)
    if axis is None:
        axes = tuple(range(nd))
    elif np.ndim(axis) == 0:
        axes = (int(axis) % nd,)
    else:
        axes = tuple(int(a) % nd for a in axis)
    flattens = axis is None and (ord is None or nd == 1)
    return axes, kind != "vector" and not flattens and len(axes) == 2


def _norm_expand(y, x, ord, axis, keepdims, kind="norm"):
    """A norm's result (or its adjoint) with the reduced axes put back as 1s."""
    if keepdims or np.ndim(y) == 0:
        return y
    return np.expand_dims(y, tuple(sorted(_norm_axes(x, ord, axis, kind)[0])))


def _norm_reduce(t, x, ord, axis, keepdims, kind="norm"):
    """Sum ``t`` over the axes the norm reduces (the adjoint of ``_norm_expand``)."""
    if np.ndim(t) == 0:
        return t
    return np.sum(t, axis=tuple(sorted(_norm_axes(x, ord, axis, kind)[0])), keepdims=keepdims)


def _norm_grad(x, ans, ord, axis, keepdims, kind="norm"):
    """``W = ∂‖x‖/∂x`` (shape of ``x``), with subgradients at kinks: 0 at the zero
    vector, ties of max/min norms sharing the weight equally.

    No rule: wengert differentiates this function from its source."""
    axes, matrix = _norm_axes(x, ord, axis, kind)
    n = _norm_expand(ans, x, ord, axis, keepdims, kind)
    if matrix and ord in ("nuc", 2, -2):
        return _spectral_norm_grad(x, ord, axes)
    if matrix and ord in (1, -1, np.inf, -np.inf):
        return _max_sum_norm_grad(x, n, ord, axes)
    if ord is None or ord == "fro" or ord == 2:
        return x / np.where(n == 0.0, 1.0, n)
    if ord == 1:
        return np.sign(x)
    if ord == 0:
        return np.zeros_like(x)
    if ord == np.inf or ord == -np.inf:
        hit = np.abs(x) == n
        return np.where(hit, np.sign(x), 0.0) / _count(hit, axes, x)
    return np.sign(x) * (np.abs(x) / np.where(n == 0.0, 1.0, n)) ** (ord - 1)


def _spectral_norm_grad(x, ord, axes):
    """``U Vᵀ`` for the nuclear norm, ``u₁ v₁ᵀ`` (``ord=2``) or ``uₖ vₖᵀ`` (``ord=-2``)."""
    usv = np.linalg.svd(np.moveaxis(x, axes, (-2, -1)), full_matrices=False)
    if ord == "nuc":
        w = usv[0] @ usv[2]
    elif ord == 2:
        w = usv[0][..., :, :1] @ usv[2][..., :1, :]
    else:
        w = usv[0][..., :, -1:] @ usv[2][..., -1:, :]
    return np.moveaxis(w, (-2, -1), axes)


def _max_sum_norm_grad(x, n, ord, axes):
    """Matrix norms 1, -1 (column sums of ``|x|``) and inf, -inf (row sums)."""
    rows, cols = axes
    if ord == np.inf or ord == -np.inf:
        rows, cols = cols, rows
    hit = np.sum(np.abs(x), axis=rows, keepdims=True) == n
    return np.where(hit, np.sign(x), 0.0) / _count(hit, cols, x)


def _count(hit, axis, like):
    """How many ties there are along ``axis``, in the dtype of ``like``."""
    return np.sum(hit, axis=axis, keepdims=True, dtype=np.result_type(like))


@rule(_norm_expand, linear=("y",))
def norm_expand_(y, x, ord, axis, keepdims, kind="norm"):
    tangent(_norm_expand(y_dot, x, ord, axis, keepdims, kind))
    adjoint(y=_norm_reduce(g, x, ord, axis, keepdims, kind))


@rule(_norm_reduce, linear=("t",))
def norm_reduce_(t, x, ord, axis, keepdims, kind="norm"):
    tangent(_norm_reduce(t_dot, x, ord, axis, keepdims, kind))
    adjoint(t=broadcast_like(_norm_expand(g, x, ord, axis, keepdims, kind), t))


nondiff(_norm_axes, _count)
nondiff(np.linalg.matrix_rank, notes="integer-valued")


@rule(np.linalg.norm,
      notes="vector orders p (incl. inf, -inf, 0), matrix orders 'fro', 'nuc', 2, -2, 1, -1, "
            "inf, -inf; at kinks a subgradient: 0 at the zero vector, ties share equally")
def norm(x, ord=None, axis=None, keepdims=False):
    tangent(_norm_reduce(_norm_grad(x, ans, ord, axis, keepdims) * x_dot,
                         x, ord, axis, keepdims))
    adjoint(x=_norm_grad(x, ans, ord, axis, keepdims)
            * _norm_expand(g, x, ord, axis, keepdims))


@rule(np.linalg.vector_norm, notes="as np.linalg.norm")
def vector_norm(x, axis=None, keepdims=False, ord=2):
    tangent(_norm_reduce(_norm_grad(x, ans, ord, axis, keepdims, "vector") * x_dot,
                         x, ord, axis, keepdims, "vector"))
    adjoint(x=_norm_grad(x, ans, ord, axis, keepdims, "vector")
            * _norm_expand(g, x, ord, axis, keepdims, "vector"))


@rule(np.linalg.matrix_norm, notes="as np.linalg.norm")
def matrix_norm(x, keepdims=False, ord="fro"):
    tangent(_norm_reduce(_norm_grad(x, ans, ord, (-2, -1), keepdims) * x_dot,
                         x, ord, (-2, -1), keepdims))
    adjoint(x=_norm_grad(x, ans, ord, (-2, -1), keepdims)
            * _norm_expand(g, x, ord, (-2, -1), keepdims))
