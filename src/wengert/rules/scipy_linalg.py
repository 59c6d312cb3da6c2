"""scipy.linalg: solve_triangular, cho_factor and cho_solve.

SciPy is optional: without it this module imports cleanly and registers
nothing. The maths is that of ``np.linalg.solve`` and ``np.linalg.cholesky``
(``linalg.py``, whose batched helpers ``_T``, ``_as_cols``, ``_phi``, …
these rules reuse), restricted to the triangle SciPy reads.

**solve_triangular(a, b, trans, lower, unit_diagonal)** solves ``A x = b``
with ``A = op(T)``: ``T`` is the lower or upper triangle of ``a`` (SciPy
ignores the other one, and the diagonal too with ``unit_diagonal=True``:
``_tri`` keeps what is read), ``op`` the transpose for ``trans`` 1/'T' and
2/'C' (the same for real input)::

    dx = A⁻¹ (db - op(dT) x)        b̄ = A⁻ᵀ ḡ        ā = tri(op(-b̄ xᵀ))

**cho_factor(a, lower)** returns ``(c, lower)``: one triangle of ``c`` holds
the Cholesky factor (``L`` with ``lower=True``, ``U = Lᵀ`` otherwise), read
from that triangle of ``a``; the other triangle holds values SciPy documents
as arbitrary (in fact a copy of ``a`` or of ``aᵀ``, depending on memory
layout), so it has no derivative. Its tangent there is NaN
(``_with_arbitrary``), so a function that reads it gets a NaN tangent rather
than a wrong one; in reverse mode an adjoint reaching it is refused with an
error (``_factor_part``). ``cho_solve((c, lower), b)`` reads only the
factor's triangle, so ``cho_solve(cho_factor(K), y)`` (and ``c, low =
cho_factor(K)``, ``cho_solve((c, low), y)``) is differentiable in ``K`` and
``y``. With ``A = L Lᵀ``::

    dx = A⁻¹ (db - (dL Lᵀ + L dLᵀ) x)        b̄ = A⁻¹ ḡ        L̄ = -(b̄ xᵀ + x b̄ᵀ) L

**Flags** (``trans``, ``lower``, ``unit_diagonal``, the ``lower`` that
``cho_factor`` returns) choose a branch: their derivative is zero by
definition, so one computed from the differentiated values (``lower`` unpacked
from ``cho_factor``'s result and passed on) is accepted.

**overwrite_b=True / overwrite_a=True** let SciPy overwrite an input that the
derivative may still need (reverse mode reads values after the call): the
derivative refuses them with an error (the rules call ``_solve_triangular``
and ``_cho_solve``, SciPy's functions with that check). ``check_finite`` is
accepted and ignored.
"""

import numpy as np

from ..errors import NonDifferentiableError
from ..runtime import unbroadcast, zeros_like
from .linalg import _as_cols, _fold, _from_cols, _herm, _phi, _sandwich_inv, _T
from .registry import adjoint, nondiff, rule, tangent

try:
    import scipy.linalg as sl
except ImportError:         # no SciPy: no rules
    sl = None


def _no_overwrite(flag, name):
    if flag:
        raise NonDifferentiableError(
            f"{name}=True lets SciPy overwrite an input that the derivative still needs",
            hint=f"drop {name}=True in a function wengert differentiates")


def _solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                      check_finite=True):
    """``scipy.linalg.solve_triangular``, refusing ``overwrite_b=True``."""
    _no_overwrite(overwrite_b, "overwrite_b")
    return sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal,
                               check_finite=check_finite)


def _cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """``scipy.linalg.cho_solve``, refusing ``overwrite_b=True``."""
    _no_overwrite(overwrite_b, "overwrite_b")
    return sl.cho_solve(c_and_lower, b, check_finite=check_finite)


def _transposed(trans) -> bool:
    """Whether ``trans`` solves with the transpose (1, 2, 'T', 'C')."""
    return (trans.upper() if isinstance(trans, str) else int(trans)) in (1, 2, "T", "C")


def _flip(trans) -> int:
    """The ``trans`` of the transposed system."""
    return 0 if _transposed(trans) else 1


def _op(x, trans):
    """``x`` or its transpose, as ``trans`` says."""
    return _T(x) if _transposed(trans) else x


def _tri(x, lower, unit_diagonal=False):
    """The triangle of ``x`` that ``solve_triangular`` reads (zero elsewhere)."""
    k = 1 if unit_diagonal else 0
    return np.tril(x, -k) if lower else np.triu(x, k)


def _factor(c, lower):
    """The lower Cholesky factor ``L`` held in ``c`` (``U = Lᵀ`` if not ``lower``)."""
    return np.tril(c) if lower else _T(np.triu(c))


def _unfactor(x, lower):
    """The adjoint of ``_factor``: ``x`` put into the triangle of ``c``."""
    return np.tril(x) if lower else np.triu(_T(x))


def _with_arbitrary(x, lower, overwrite_a=False):
    """``x`` in the factor's triangle of ``c``, NaN in the other (no derivative)."""
    _no_overwrite(overwrite_a, "overwrite_a")
    return np.where(_tri(np.ones(np.shape(x)[-2:], bool), lower), x, np.nan).astype(
        np.result_type(x), copy=False)


def _factor_part(x, lower, overwrite_a=False):
    """The adjoint of ``c``, refused if it reaches the triangle with arbitrary values."""
    _no_overwrite(overwrite_a, "overwrite_a")
    if np.any(x != _tri(x, lower)):
        raise NonDifferentiableError(
            "the derivative of scipy.linalg.cho_factor's `c` reaches its other triangle, "
            "whose values SciPy leaves arbitrary",
            hint="read `c` only through cho_solve, or use np.linalg.cholesky (with "
                 "scipy.linalg.solve_triangular)")
    return x


if sl is not None:
    @rule(_tri, linear=("x",))
    def tri_(x, lower, unit_diagonal=False):
        tangent(_tri(x_dot, lower, unit_diagonal))
        adjoint(x=_tri(g, lower, unit_diagonal))

    @rule(_op, linear=("x",))
    def op_(x, trans):
        tangent(_op(x_dot, trans))
        adjoint(x=_op(g, trans))

    @rule(_factor, linear=("c",))
    def factor_(c, lower):
        tangent(_factor(c_dot, lower))
        adjoint(c=_unfactor(g, lower))

    @rule(_unfactor, linear=("x",))
    def unfactor_(x, lower):
        tangent(_unfactor(x_dot, lower))
        adjoint(x=_factor(g, lower))

    @rule(_with_arbitrary, linear=("x",))
    def with_arbitrary_(x, lower, overwrite_a=False):
        tangent(_with_arbitrary(x_dot, lower, overwrite_a=overwrite_a))
        adjoint(x=_tri(g, lower))

    @rule(_factor_part, linear=("x",))
    def factor_part_(x, lower, overwrite_a=False):
        tangent(_factor_part(x_dot, lower, overwrite_a=overwrite_a))
        adjoint(x=_tri(g, lower))

    nondiff(_transposed, _flip, _no_overwrite)

    @rule(sl.solve_triangular, _solve_triangular,
          zero_derivative=("trans", "lower", "unit_diagonal", "overwrite_b", "check_finite"),
          notes="reads the triangle `lower` names (without the diagonal if unit_diagonal); "
                "trans 0/'N', 1/'T', 2/'C'; overwrite_b=True is refused")
    def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                         check_finite=True):
        # x = A⁻¹ b, A = op(T):  dx = A⁻¹ (db - op(dT) x),  b̄ = A⁻ᵀ ḡ,  ā = tri(op(-b̄ xᵀ))
        tangent(_from_cols(_solve_triangular(
            a, _as_cols(b_dot, b) - _op(_tri(a_dot, lower, unit_diagonal), trans)
            @ _as_cols(ans, b), trans=trans, lower=lower, unit_diagonal=unit_diagonal,
            overwrite_b=overwrite_b), b))
        adjoint(a=unbroadcast(-_tri(_op(_solve_triangular(
                    a, _as_cols(g, b), trans=_flip(trans), lower=lower,
                    unit_diagonal=unit_diagonal, overwrite_b=overwrite_b)
                    @ _T(_as_cols(ans, b)), trans), lower, unit_diagonal), a),
                b=unbroadcast(_from_cols(_solve_triangular(
                    a, _as_cols(g, b), trans=_flip(trans), lower=lower,
                    unit_diagonal=unit_diagonal, overwrite_b=overwrite_b), b), b))

    @rule(sl.cho_factor, zero_derivative=("lower", "overwrite_a", "check_finite"),
          notes="c's factor triangle as np.linalg.cholesky, read from that triangle of `a`; "
                "its other triangle is arbitrary: NaN tangent, and an error in reverse mode "
                "if an adjoint reaches it; overwrite_a=True is refused")
    def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
        # A = L Lᵀ:  dL = L Φ(L⁻¹ dA L⁻ᵀ),   Ā = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹   (folded onto the triangle read)
        tangent((_with_arbitrary(_unfactor(
                    _factor(ans[0], lower)
                    @ _phi(_sandwich_inv(_factor(ans[0], lower), _herm(a_dot, not lower))),
                    lower), lower, overwrite_a=overwrite_a), zeros_like(ans[1])))
        adjoint(a=_fold(_sandwich_inv(
            _T(_factor(ans[0], lower)),
            _phi(_T(_factor(ans[0], lower))
                 @ _factor(_factor_part(g[0], lower, overwrite_a=overwrite_a), lower))),
            not lower))

    @rule(sl.cho_solve, _cho_solve, zero_derivative=("overwrite_b", "check_finite"),
          notes="differentiable in c (the factor's triangle) and b; overwrite_b=True is "
                "refused")
    def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
        # A = L Lᵀ:  dx = A⁻¹ (db - (dL Lᵀ + L dLᵀ) x),  b̄ = A⁻¹ ḡ,  L̄ = -(b̄ xᵀ + x b̄ᵀ) L
        tangent(_from_cols(_cho_solve(
            c_and_lower,
            _as_cols(b_dot, b)
            - _factor(c_and_lower_dot[0], c_and_lower[1])
            @ (_T(_factor(c_and_lower[0], c_and_lower[1])) @ _as_cols(ans, b))
            - _factor(c_and_lower[0], c_and_lower[1])
            @ (_T(_factor(c_and_lower_dot[0], c_and_lower[1])) @ _as_cols(ans, b)),
            overwrite_b=overwrite_b), b))
        adjoint(c_and_lower=(unbroadcast(_unfactor(
                    -(_cho_solve(c_and_lower, _as_cols(g, b), overwrite_b=overwrite_b)
                      @ _T(_as_cols(ans, b))
                      + _as_cols(ans, b)
                      @ _T(_cho_solve(c_and_lower, _as_cols(g, b), overwrite_b=overwrite_b)))
                    @ _factor(c_and_lower[0], c_and_lower[1]), c_and_lower[1]),
                    c_and_lower[0]), zeros_like(c_and_lower[1])),
                b=unbroadcast(_from_cols(_cho_solve(c_and_lower, _as_cols(g, b),
                                                    overwrite_b=overwrite_b), b), b))
