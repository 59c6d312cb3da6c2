"""NumPy reductions (sum, mean, prod, var, std, max/min, median, quantile,
percentile, ptp, average, nansum/nanmean) and cumulative sums and products,
with ``axis`` (None, int, negative int, tuple) and ``keepdims``.

A reduction ``ans = R(a, axis)`` maps each slice of ``a`` along ``axis`` to
one number, so its adjoint spreads ``g`` back over the slice and weights it by
the derivative of ``R`` with respect to each entry::

    ans = np.sum(x, axis=0)         x_bar = unreduce(g, x, axis=0)
    ans = np.max(x, axis=0)         x_bar = unreduce(g, x, axis=0) * tie_share(x, ans, axis=0)

``unreduce`` (broadcast ``g`` back to ``a``'s shape) is the adjoint of
``np.sum`` and vice versa. The tangent is the matching reduction of
``a_dot`` times the same weights.

Helpers that generated code calls have rules of their own, so derivatives
can be differentiated again: ``unreduce``, ``reverse_cumsum``,
``weights_like``, ``weight_sum``, ``weights_unlike``,
``others_at_zeros(_t)``, ``to_last``/``from_last`` and
``shift_left``/``shift_right`` are linear; ``ratio`` (``t / a``, 0 where
``a`` is 0) and ``prod_others`` (``d prod / d a``, exact with zeros, and so
are its own derivatives) are smooth; ``linrec``/``linrec_t`` (the linear
recurrence behind ``np.cumprod``'s derivative at zeros, and its transpose)
are linear in their second argument and polynomial in the first, with rules
in terms of themselves, so every derivative of ``np.cumprod`` is exact;
``quantile_share`` is linear in ``q`` between order statistics;
``tie_share``, ``median_share``, ``quantile_slope``, ``range_share``,
``no_zeros``, ``reduced_size`` and ``count_valid`` are piecewise constant,
hence non-differentiable.

Helpers never call ``np.asarray`` on their arguments (duck arrays flow
through), and an adjoint has its operand's dtype (float32 stays float32).

``out=`` is not a parameter of these rules (a write into another array is
not differentiated), so passing it is an error when the derivative is
built; ``np.average(returned=True)`` and ``np.median(out=...)`` or
``overwrite_input=True`` raise ``NotImplementedError`` when it runs.
"""

import numpy as np

from ..runtime import broadcast_like, unbroadcast
from .numpy_products import reshape_like
from .registry import adjoint, nondiff, rule, tangent

# --------------------------------------------------------------------------
# helpers: axis bookkeeping (plain Python, never in generated code)


def _axes(axis, ndim) -> tuple:
    """``axis`` as a sorted tuple of non-negative axes (None: all of them)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(int(ax) % ndim for ax in axis))
    return (int(axis) % ndim,) if ndim else ()


def _kept(r, a, axis, keepdims):
    """A reduction ``r`` of ``a`` in its keepdims=True shape."""
    if keepdims or np.ndim(r) == 0:
        return r
    return np.expand_dims(r, _axes(axis, np.ndim(a)))


def _float_dtype(a):
    dtype = getattr(a, "dtype", None)
    return dtype if dtype is not None and np.issubdtype(dtype, np.floating) else np.float64


def _cast_like(t, a):
    """``t`` in ``a``'s floating dtype (the adjoint of type promotion)."""
    dtype = getattr(a, "dtype", None)
    if dtype is not None and dtype.kind == "f" and getattr(t, "dtype", dtype) != dtype:
        return t.astype(dtype)
    return t


# --------------------------------------------------------------------------
# helpers called by generated code


def unreduce(t, a, axis=None, keepdims=False):
    """Spread ``t``, a reduction of ``a`` over ``axis``, back over ``a``'s
    shape (the adjoint of ``np.sum``), in ``a``'s dtype."""
    return _cast_like(_kept(t, a, axis, keepdims) * np.ones_like(a), a)


def reduced_size(a, axis=None) -> int:
    """How many entries of ``a`` each result of a reduction over ``axis`` combines."""
    shape = np.shape(a)
    n = 1
    for ax in _axes(axis, len(shape)):
        n *= shape[ax]
    return n


def count_valid(a, axis=None, keepdims=False):
    """How many entries of each slice are not NaN, in ``a``'s float dtype."""
    return np.sum(~np.isnan(a), axis=axis, keepdims=keepdims).astype(_float_dtype(a))


def ratio(t, a):
    """``t / a`` where ``a`` is non-zero, and 0 where it is zero."""
    zero = a == 0.0
    return np.where(zero, 0.0, t / np.where(zero, 1.0, a))


def prod_others(a, axis=None):
    """For each entry, the product of the *other* entries of its slice along
    ``axis`` (``d prod / d a``), exact when the slice contains zeros."""
    zero = a == 0.0
    nonzero = np.where(zero, 1.0, a)
    n_zeros = np.sum(zero, axis=axis, keepdims=True)
    p = np.prod(nonzero, axis=axis, keepdims=True)
    return np.where(n_zeros == 0, p / nonzero, np.where(zero & (n_zeros == 1), p, 0.0))


def _zero_parts(a, axis):
    """For ``prod_others``'s derivative where slices contain zeros: the zero
    mask, and the weights of its terms for slices with one zero (on the
    non-zero entries) and with two zeros (on the zeros)."""
    zero = a == 0.0
    nonzero = np.where(zero, 1.0, a)
    n_zeros = np.sum(zero, axis=axis, keepdims=True)
    p = np.prod(nonzero, axis=axis, keepdims=True)
    one = np.where((n_zeros == 1) & ~zero, p / nonzero, 0.0)
    two = np.where((n_zeros == 2) & zero, p, 0.0)
    return zero, one, two


def others_at_zeros(t, a, axis=None):
    """The part of ``d prod_others(a)[t]`` that moves a zero of ``a`` (the
    second derivatives of ``np.prod`` through a zero): with one zero, every
    other entry gets ``t`` at the zero times the product of the entries but
    itself and the zero; with two zeros, each zero gets ``t`` at the other
    one times the product of the non-zero entries."""
    zero, one, two = _zero_parts(a, axis)
    t_zero = np.sum(np.where(zero, t, 0.0), axis=axis, keepdims=True)
    return one * t_zero + two * t_zero - np.where(zero, two * t, 0.0)


def others_at_zeros_t(t, a, axis=None):
    """The transpose (adjoint) of ``others_at_zeros(., a, axis)``."""
    zero, one, two = _zero_parts(a, axis)
    total = np.sum(t * (one + two), axis=axis, keepdims=True)
    return np.where(zero, total - t * two, 0.0)


def to_last(t, axis=None):
    """``t`` with ``axis`` moved last (``axis=None``: flattened), the layout
    in which ``np.cumprod``'s helpers work along the last axis."""
    if axis is None:
        return np.reshape(t, (-1,))
    return np.moveaxis(t, axis, -1)


def from_last(t, a, axis=None):
    """The inverse of ``to_last``: ``t`` laid out like ``a`` (``axis=None``:
    reshaped to ``a``'s shape)."""
    if axis is None:
        return np.reshape(t, np.shape(a))
    return np.moveaxis(t, -1, axis)


def no_zeros(a) -> bool:
    """Whether ``a`` has no entry equal to 0."""
    return not np.any(a == 0.0)


def shift_right(t, fill=0.0):
    """``t`` moved one place along its last axis: ``fill`` first, its last
    entry dropped."""
    n = np.shape(t)[-1]
    if n == 0:
        return t
    out = np.empty_like(t)
    out[..., 0] = fill
    out[..., 1:] = t[..., :-1]
    return out


def shift_left(t):
    """``t`` moved one place back along its last axis: its first entry
    dropped, 0 last (the adjoint of ``shift_right``)."""
    n = np.shape(t)[-1]
    if n == 0:
        return t
    out = np.empty_like(t)
    out[..., -1] = 0.0
    out[..., :-1] = t[..., 1:]
    return out


def linrec(c, b):
    """The linear recurrence ``x[j] = c[j] * x[j - 1] + b[j]`` (``x[-1] = 0``)
    along the last axis, ``x[j] = sum over k <= j of b[k] * c[k+1] * ... * c[j]``:
    no division, so exact where ``c`` has zeros (a scan in log2(n) steps)."""
    dtype = np.result_type(c, b)
    x = np.array(b, dtype=dtype)
    p = np.array(np.broadcast_to(c, np.shape(x)), dtype=dtype)
    n, d = np.shape(x)[-1] if np.ndim(x) else 0, 1
    while d < n:       # each entry: the affine map of the last 2d steps (ending there)
        x[..., d:] = x[..., d:] + p[..., d:] * x[..., :-d]
        p[..., d:] = p[..., d:] * p[..., :-d]
        d *= 2
    return x


def linrec_t(c, g):
    """The transpose (adjoint) of ``linrec(c, .)``: ``y[k] = g[k] + c[k+1] * y[k+1]``
    along the last axis."""
    return np.flip(linrec(np.flip(shift_left(c), -1), np.flip(g, -1)), -1)


def reverse_cumsum(t, a, axis=None):
    """Sums from the end along ``axis`` (the adjoint of ``np.cumsum``), shaped
    like ``a`` (``axis=None``: ``t`` is flat)."""
    if axis is None:
        return _cast_like(np.reshape(np.flip(np.cumsum(np.flip(t))), np.shape(a)), a)
    return _cast_like(np.flip(np.cumsum(np.flip(t, axis), axis=axis), axis), a)


def tie_share(a, extreme, axis=None, keepdims=False):
    """Each entry's share of ``d extreme``: ``1/k`` for the ``k`` entries of a
    slice equal to its extreme (maximum or minimum), 0 elsewhere."""
    hit = a == _kept(extreme, a, axis, keepdims)
    return (hit / np.sum(hit, axis=axis, keepdims=True)).astype(_float_dtype(a), copy=False)


def range_share(a, axis=None):
    """Each entry's weight in ``d ptp``: its share of the maximum minus its
    share of the minimum."""
    hi = tie_share(a, np.max(a, axis=axis, keepdims=True), axis, True)
    lo = tie_share(a, np.min(a, axis=axis, keepdims=True), axis, True)
    return hi - lo


def median_share(a, axis=None, out=None, overwrite_input=False):
    """Each entry's weight in ``d median``: the one or two middle values of
    each slice get 1 or 1/2, split equally among entries equal to them. The
    rule of ``np.median`` passes ``out`` and ``overwrite_input`` on, to
    refuse them (the median would have overwritten what this reads)."""
    if out is not None or overwrite_input:
        raise NotImplementedError("wengert's rule for np.median supports neither out= "
                                  "nor overwrite_input=True")
    return _order_share(a, 0.5, axis)


def quantile_share(a, q, axis=None, out=None, overwrite_input=False, method="linear"):
    """Each entry's weight in ``d quantile``: the two order statistics around
    position ``q * (n - 1)`` of each slice get ``1 - frac`` and ``frac``,
    split equally among entries equal to them (as ``median_share``). The
    rule passes the keywords it does not support on, to refuse them."""
    if out is not None or overwrite_input:
        raise NotImplementedError("wengert's rule for np.quantile/np.percentile supports "
                                  "neither out= nor overwrite_input=True")
    if method != "linear":
        raise NotImplementedError(f"wengert's rule for np.quantile/np.percentile supports "
                                  f"only method='linear', not {method!r}")
    if np.ndim(q) != 0:
        raise NotImplementedError("wengert's rule for np.quantile/np.percentile supports "
                                  "only a scalar q: call it once per quantile")
    return _order_share(a, q, axis)


def quantile_slope(a, q, axis=None, method="linear"):
    """Each entry's weight in ``d quantile / dq`` (and ``d quantile_share /
    dq``): ``n - 1`` times the share of the order statistic right of
    position ``q * (n - 1)`` minus that of the one left of it (at a whole
    position, the segment to the right)."""
    quantile_share(a, q, method=method)         # refuse what quantile_share refuses
    return _order_share(a, q, axis, slope=True)


def _order_share(a, q, axis, slope=False):
    """The weights of the order statistics ``np.quantile(a, q, axis)``
    interpolates (method 'linear'), or of its slope in ``q``, shaped like ``a``."""
    nd = np.ndim(a)
    axes = _axes(axis, nd)
    keep = nd - len(axes)
    moved = np.moveaxis(a, axes, tuple(range(keep, nd)))
    flat = np.reshape(moved, np.shape(moved)[:keep] + (-1,))
    n = np.shape(flat)[-1]
    ordered = np.sort(flat, axis=-1)
    position = float(q) * (n - 1)
    lo = min(int(np.floor(position)), n - 1)
    hi = min(lo + 1, n - 1)
    frac = position - lo
    if slope:
        share = (n - 1) * (tie_share(flat, ordered[..., hi:hi + 1], -1, True)
                           - tie_share(flat, ordered[..., lo:lo + 1], -1, True))
    else:
        share = (1.0 - frac) * tie_share(flat, ordered[..., lo:lo + 1], -1, True) \
            + frac * tie_share(flat, ordered[..., hi:hi + 1], -1, True)
    share = np.reshape(share.astype(_float_dtype(a), copy=False), np.shape(moved))
    return np.moveaxis(share, tuple(range(keep, nd)), axes)


def weights_like(w, a, axis=None):
    """``np.average``'s weights laid out to broadcast against ``a``: as they
    are, or 1-D weights along ``axis``; ``None`` means equal weights."""
    if w is None:
        return np.ones_like(a)
    nd = np.ndim(a)
    if np.ndim(w) == nd:
        return w
    shape = [1] * nd
    for k, ax in enumerate(_axes(axis, nd)):
        shape[ax] = np.shape(w)[k]
    return np.reshape(w, tuple(shape))


def weight_sum(w, a, axis=None, keepdims=False, returned=False):
    """The total weight of each slice (``np.average``'s denominator). The
    rule of ``np.average`` passes ``returned`` on, to refuse ``returned=True``."""
    if returned:
        raise NotImplementedError("wengert's rule for np.average does not support "
                                  "returned=True: divide by the sum of the weights instead")
    return np.sum(weights_like(w, a, axis) * np.ones_like(a), axis=axis, keepdims=keepdims)


def weights_unlike(t, w, axis=None):
    """Sum ``t`` down to the shape of the weights ``w`` (the adjoint of
    ``weights_like``)."""
    nd, shape = np.ndim(t), np.shape(w)
    if len(shape) == nd:
        others = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(t)[i] != 1)
    else:
        others = tuple(i for i in range(nd) if i not in _axes(axis, nd))
    t = np.sum(t, axis=others) if others else t
    return _cast_like(np.reshape(t, shape), w)


# --------------------------------------------------------------------------
# rules: sums and means


@rule(np.sum, methods=("sum",), linear=("a",))
def sum_(a, axis=None, dtype=None, keepdims=False):
    tangent(np.sum(a_dot, axis=axis, dtype=dtype, keepdims=keepdims))
    adjoint(a=unreduce(g, a, axis=axis, keepdims=keepdims))


@rule(np.mean, methods=("mean",), linear=("a",))
def mean(a, axis=None, dtype=None, keepdims=False):
    tangent(np.mean(a_dot, axis=axis, dtype=dtype, keepdims=keepdims))
    adjoint(a=unreduce(g, a, axis=axis, keepdims=keepdims) / reduced_size(a, axis=axis))


@rule(np.nansum, linear=("a",), notes="NaN entries get a zero derivative")
def nansum(a, axis=None, dtype=None, keepdims=False):
    tangent(np.sum(np.where(np.isnan(a), 0.0, a_dot), axis=axis, dtype=dtype,
                   keepdims=keepdims))
    adjoint(a=np.where(np.isnan(a), 0.0, unreduce(g, a, axis=axis, keepdims=keepdims)))


@rule(np.nanmean, linear=("a",), notes="NaN entries get a zero derivative")
def nanmean(a, axis=None, dtype=None, keepdims=False):
    tangent(np.sum(np.where(np.isnan(a), 0.0, a_dot), axis=axis, keepdims=keepdims)
            / count_valid(a, axis=axis, keepdims=keepdims))
    adjoint(a=np.where(np.isnan(a), 0.0,
                       unreduce(g / count_valid(a, axis=axis, keepdims=keepdims), a, axis=axis,
                                keepdims=keepdims)))


@rule(np.average, notes="weights broadcast along axis as in NumPy; returned=True is "
                        "not supported (it raises NotImplementedError)")
def average(a, axis=None, weights=None, returned=False, keepdims=False):
    tangent(np.sum(a_dot * weights_like(weights, a, axis=axis)
                   + (a - unreduce(ans, a, axis=axis, keepdims=keepdims))
                   * weights_like(weights_dot, a, axis=axis), axis=axis, keepdims=keepdims)
            / weight_sum(weights, a, axis=axis, keepdims=keepdims, returned=returned))
    adjoint(a=unreduce(g / weight_sum(weights, a, axis=axis, keepdims=keepdims, returned=returned),
                       a, axis=axis, keepdims=keepdims) * weights_like(weights, a, axis=axis),
            weights=weights_unlike(
                unreduce(g / weight_sum(weights, a, axis=axis, keepdims=keepdims,
                                        returned=returned), a, axis=axis, keepdims=keepdims)
                * (a - unreduce(ans, a, axis=axis, keepdims=keepdims)), weights, axis=axis))


# --------------------------------------------------------------------------
# rules: spread (var, std)


@rule(np.var, methods=("var",))
def var(a, axis=None, dtype=None, ddof=0, keepdims=False):
    tangent(2.0 * np.sum((a - np.mean(a, axis=axis, keepdims=True)) * a_dot, axis=axis,
                         dtype=dtype, keepdims=keepdims) / (reduced_size(a, axis=axis) - ddof))
    adjoint(a=unreduce(g, a, axis=axis, keepdims=keepdims)
            * (a - np.mean(a, axis=axis, keepdims=True))
            * (2.0 / (reduced_size(a, axis=axis) - ddof)))


@rule(np.std, methods=("std",), notes="the derivative is NaN where std == 0 (0 / 0, "
                                        "as in JAX and autograd)")
def std(a, axis=None, dtype=None, ddof=0, keepdims=False):
    tangent(np.sum((a - np.mean(a, axis=axis, keepdims=True)) * a_dot, axis=axis,
                   dtype=dtype, keepdims=keepdims) / ((reduced_size(a, axis=axis) - ddof) * ans))
    adjoint(a=unreduce(g / ans, a, axis=axis, keepdims=keepdims)
            * (a - np.mean(a, axis=axis, keepdims=True)) / (reduced_size(a, axis=axis) - ddof))


# --------------------------------------------------------------------------
# rules: products


@rule(np.prod, methods=("prod",),
      notes="exact when the input contains zeros (one or several), and so are its "
            "second derivatives: d prod / d a_i is the product of the other entries")
def prod(a, axis=None, dtype=None, keepdims=False):
    tangent(np.sum(a_dot * prod_others(a, axis=axis), axis=axis, dtype=dtype, keepdims=keepdims))
    adjoint(a=unreduce(g, a, axis=axis, keepdims=keepdims) * prod_others(a, axis=axis))


@rule(np.cumsum, methods=("cumsum",), linear=("a",))
def cumsum(a, axis=None, dtype=None):
    tangent(np.cumsum(a_dot, axis=axis, dtype=dtype))
    adjoint(a=reverse_cumsum(g, a, axis=axis))


# np.cumprod's derivative: without zeros, ans * cumsum(a_dot / a) and its
# transpose; with zeros, the recurrence it solves, d ans[j] = a[j] * d ans[j-1]
# + a_dot[j] * ans[j-1] (``linrec``, along the last axis of ``to_last``
# layout), which never divides by an entry: exact at zeros, and (with its
# rules, closed under differentiation) so are all its derivatives.


@rule(np.cumprod, methods=("cumprod",),
      notes="exact with zeros (one or several), and so are its higher derivatives "
            "(there, d ans[j] = a[j] * d ans[j-1] + a_dot[j] * ans[j-1] is solved "
            "as a recurrence, in log2(n) vectorised steps)")
def cumprod(a, axis=None, dtype=None):
    tangent(ans * np.cumsum(a_dot / a, axis=axis) if no_zeros(a) else
            from_last(linrec(to_last(a, axis), to_last(a_dot, axis)
                             * shift_right(to_last(ans, axis), 1.0)), ans, axis))
    adjoint(a=reverse_cumsum(g * ans, a, axis=axis) / a if no_zeros(a) else
            from_last(shift_right(to_last(ans, axis), 1.0)
                      * linrec_t(to_last(a, axis), to_last(g, axis)), a, axis))


# --------------------------------------------------------------------------
# rules: order statistics (piecewise linear; ties split the derivative equally)

_TIES = "ties: the derivative is split equally among the entries equal to the extreme"


@rule(np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin, methods=("max", "min"),
      notes=_TIES)
def extreme(a, axis=None, keepdims=False):
    tangent(np.sum(a_dot * tie_share(a, ans, axis=axis, keepdims=keepdims), axis=axis,
                   keepdims=keepdims))
    adjoint(a=unreduce(g, a, axis=axis, keepdims=keepdims)
            * tie_share(a, ans, axis=axis, keepdims=keepdims))


@rule(np.ptp, notes=_TIES)
def ptp(a, axis=None, keepdims=False):
    tangent(np.sum(a_dot * range_share(a, axis=axis), axis=axis, keepdims=keepdims))
    adjoint(a=unreduce(g, a, axis=axis, keepdims=keepdims) * range_share(a, axis=axis))


@rule(np.median, notes="the one or two middle values get the derivative (1/2 each), "
                       "split equally among entries equal to them; out= and "
                       "overwrite_input=True raise NotImplementedError")
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    tangent(np.sum(a_dot * median_share(a, axis=axis, out=out, overwrite_input=overwrite_input),
                   axis=axis, keepdims=keepdims))
    adjoint(a=unreduce(g, a, axis=axis, keepdims=keepdims)
            * median_share(a, axis=axis, out=out, overwrite_input=overwrite_input))


_QUANTILE = ("scalar q, method='linear' only (others, a sequence q, out= and "
             "overwrite_input=True raise NotImplementedError); the two order statistics "
             "interpolated get weights 1 - frac and frac, split equally among entries equal "
             "to them; d/dq is the slope between them (the right one where q * (n - 1) is "
             "a whole number)")


@rule(np.quantile, notes=_QUANTILE)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False):
    tangent(np.sum(a_dot * quantile_share(a, q, axis=axis, out=out,
                                          overwrite_input=overwrite_input, method=method)
                   + q_dot * a * quantile_slope(a, q, axis=axis, method=method),
                   axis=axis, keepdims=keepdims))
    adjoint(a=quantile_share(a, q, axis=axis, out=out, overwrite_input=overwrite_input,
                             method=method)      # (first: it refuses what is not supported)
            * unreduce(g, a, axis=axis, keepdims=keepdims),
            q=reshape_like(np.sum(g * np.sum(a * quantile_slope(a, q, axis=axis,
                                                                method=method),
                                             axis=axis, keepdims=keepdims)), q))


@rule(np.percentile, notes=_QUANTILE.replace("scalar q", "scalar q (in percent)"))
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False):
    tangent(np.sum(a_dot * quantile_share(a, q / 100.0, axis=axis, out=out,
                                          overwrite_input=overwrite_input, method=method)
                   + q_dot * a * quantile_slope(a, q / 100.0, axis=axis, method=method) / 100.0,
                   axis=axis, keepdims=keepdims))
    adjoint(a=quantile_share(a, q / 100.0, axis=axis, out=out, overwrite_input=overwrite_input,
                             method=method)      # (first: it refuses what is not supported)
            * unreduce(g, a, axis=axis, keepdims=keepdims),
            q=reshape_like(np.sum(g * np.sum(a * quantile_slope(a, q / 100.0, axis=axis,
                                                                method=method),
                                             axis=axis, keepdims=keepdims)) / 100.0, q))


# --------------------------------------------------------------------------
# rules for the helpers, so derivatives can be differentiated again


@rule(unreduce, linear=("t",))
def unreduce_(t, a, axis=None, keepdims=False):
    tangent(unreduce(t_dot, a, axis=axis, keepdims=keepdims))
    adjoint(t=np.sum(g, axis=axis, keepdims=keepdims))


@rule(reverse_cumsum, linear=("t",))
def reverse_cumsum_(t, a, axis=None):
    tangent(reverse_cumsum(t_dot, a, axis=axis))
    adjoint(t=np.cumsum(g, axis=axis))


@rule(to_last, linear=("t",))
def to_last_(t, axis=None):
    tangent(to_last(t_dot, axis))
    adjoint(t=from_last(g, t, axis))


@rule(from_last, linear=("t",))
def from_last_(t, a, axis=None):
    tangent(from_last(t_dot, a, axis))
    adjoint(t=to_last(g, axis))


@rule(shift_right)
def shift_right_(t, fill=0.0):
    tangent(shift_right(t_dot, 0.0))
    adjoint(t=shift_left(g))


@rule(shift_left, linear=("t",))
def shift_left_(t):
    tangent(shift_left(t_dot))
    adjoint(t=shift_right(g, 0.0))


@rule(linrec, linear=("b",), notes="polynomial in c (no division: exact where c is 0)")
def linrec_(c, b):
    tangent(linrec(c, b_dot + c_dot * shift_right(ans, 0.0)))
    adjoint(c=unbroadcast(linrec_t(c, g) * shift_right(ans, 0.0), c),
            b=unbroadcast(linrec_t(c, g), b))


@rule(linrec_t, linear=("g",), notes="polynomial in c (no division: exact where c is 0)")
def linrec_t_(c, g):
    tangent(linrec_t(c, g_dot + shift_left(c_dot * ans)))
    adjoint(c=unbroadcast(ans * shift_right(linrec(c, g), 0.0), c),
            g=unbroadcast(linrec(c, g), g))


@rule(ratio, elementwise=True, linear=("t",), notes="0 where a == 0, like the function")
def ratio_(t, a):
    tangent(ratio(t_dot, a) - ratio(ans * a_dot, a))
    adjoint(t=unbroadcast(ratio(g, a), t), a=unbroadcast(-ratio(g * ans, a), a))


@rule(prod_others, notes="exact at zeros too (second derivatives of np.prod)")
def prod_others_(a, axis=None):
    tangent(ans * (np.sum(ratio(a_dot, a), axis=axis, keepdims=True) - ratio(a_dot, a))
            + others_at_zeros(a_dot, a, axis=axis))
    adjoint(a=ratio(np.sum(g * ans, axis=axis, keepdims=True) - g * ans, a)
            + others_at_zeros_t(g, a, axis=axis))


@rule(others_at_zeros, linear=("t",),
      notes="zero away from zeros; third derivatives of np.prod at zeros are not exact")
def others_at_zeros_(t, a, axis=None):
    tangent(others_at_zeros(t_dot, a, axis=axis))
    adjoint(t=others_at_zeros_t(g, a, axis=axis))


@rule(others_at_zeros_t, linear=("t",),
      notes="zero away from zeros; third derivatives of np.prod at zeros are not exact")
def others_at_zeros_t_(t, a, axis=None):
    tangent(others_at_zeros_t(t_dot, a, axis=axis))
    adjoint(t=others_at_zeros(g, a, axis=axis))


@rule(weights_like, linear=("w",))
def weights_like_(w, a, axis=None):
    tangent(weights_like(w_dot, a, axis=axis))
    adjoint(w=weights_unlike(g, w, axis=axis))


@rule(weight_sum, linear=("w",))
def weight_sum_(w, a, axis=None, keepdims=False, returned=False):
    tangent(weight_sum(w_dot, a, axis=axis, keepdims=keepdims, returned=returned))
    adjoint(w=weights_unlike(unreduce(g, a, axis=axis, keepdims=keepdims), w, axis=axis))


@rule(weights_unlike, linear=("t",))
def weights_unlike_(t, w, axis=None):
    tangent(weights_unlike(t_dot, w, axis=axis))
    adjoint(t=broadcast_like(weights_like(g, t, axis=axis), t))


@rule(quantile_share, zero_derivative=("a",),
      notes="piecewise constant in a; linear in q between order statistics")
def quantile_share_(a, q, axis=None, out=None, overwrite_input=False, method="linear"):
    tangent(q_dot * quantile_slope(a, q, axis=axis, method=method))
    adjoint(q=reshape_like(np.sum(g * quantile_slope(a, q, axis=axis, method=method)), q))


nondiff(reduced_size, count_valid, no_zeros, tie_share, range_share, median_share,
        quantile_slope,
        notes="piecewise constant: zero derivative")
