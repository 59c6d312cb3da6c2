"""Piecewise-linear interpolation, polynomials, convolution, the
trapezoid rule, selection and finite differences: ``np.interp``,
``np.polyval``, ``np.convolve``, ``np.trapezoid``, ``np.select`` and
``np.gradient``.

Each is linear in its data, so most of its derivative is the function
itself applied to a tangent, and its adjoint is the transpose of that
linear map::

    ans = np.interp(x, xp, fp)      tangent(x_dot * interp_slope(x, xp, fp)
                                            + interp_linear(x, xp, fp_dot))
                                    fp_bar = interp_t(g, x, xp, fp)   (scatter to the two knots)
    ans = np.convolve(a, v, mode)   a_bar = np.convolve(convolve_pad(g, a, v, mode), v[::-1],
                                                        'valid')    (g back in the full length)
    ans = np.polyval(p, x)          x_bar = g * np.polyval(p', x)
    ans = np.select(cs, xs, d)      xs_bar[k] = np.where(cs[k] and no earlier c, g, 0)
    ans = np.gradient(f, h)         f_bar = gradient_t(g, f, (h,))   (the stencil, transposed)

The knots ``xp`` of ``np.interp`` and the spacing ``dx`` of ``np.trapezoid``
are not differentiated (an active one is refused when the derivative is
built). Helpers that generated code calls have rules of their own, so
derivatives can be differentiated again; ``poly_exponents`` reads only
constants and ``select_none`` only conditions: both are non-differentiable.
The spacing of ``np.gradient`` is not differentiated either.
"""

import functools

import numpy as np

from ..runtime import broadcast_like, unbroadcast
from .numpy_products import reshape_like
from .numpy_reductions import _cast_like, _float_dtype, unreduce
from .numpy_shape import _like
from .registry import adjoint, nondiff, rule, tangent

# --------------------------------------------------------------------------
# np.interp: the value at x mixes the two knots around it


def _interp_cell(x, xp):
    """The index of the knot at or left of each ``x`` (clamped to a cell of
    ``xp``), and the cell's width."""
    n = len(xp)
    if n < 2:
        raise NotImplementedError("wengert's rule for np.interp needs at least two knots")
    lo = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, n - 2)
    return lo, np.take(xp, lo + 1) - np.take(xp, lo)


def interp_slope(x, xp, fp):
    """``d np.interp(x, xp, fp) / dx``: the slope of the segment holding each
    ``x``, 0 outside ``[xp[0], xp[-1]]`` (where the value is constant)."""
    lo, width = _interp_cell(x, xp)
    rise = np.take(fp, lo + 1) - np.take(fp, lo)
    return np.where((x >= xp[0]) & (x <= xp[-1]), rise / width, 0.0)


def interp_slope_t(t, x, xp, fp):
    """The transpose of ``interp_slope(x, xp, .)``: ``t / width`` added to the
    right knot of each cell and taken from its left one, shaped like ``fp``."""
    lo, width = _interp_cell(x, xp)
    c = np.ravel(np.where((x >= xp[0]) & (x <= xp[-1]), t / width, 0.0))
    lo, n = np.ravel(lo), len(fp)
    return _cast_like(np.bincount(lo + 1, c, n) - np.bincount(lo, c, n), fp)


def interp_linear(x, xp, fp, left=None, right=None):
    """``np.interp`` with a given ``left``/``right`` taken as 0: the part of
    the interpolation that is linear in ``fp`` (its tangent in ``fp``)."""
    return np.interp(x, xp, fp, left=None if left is None else 0.0,
                     right=None if right is None else 0.0)


def interp_t(t, x, xp, fp, left=None, right=None):
    """The transpose of ``interp_linear(x, xp, .)``: each ``t`` split between
    the knots around its ``x`` (all to the end knot outside, or nothing where
    ``left``/``right`` replaces the value), shaped like ``fp``."""
    lo, width = _interp_cell(x, xp)
    w = np.clip((x - np.take(xp, lo)) / width, 0.0, 1.0)
    keep = np.ones(np.shape(w), dtype=bool)
    if left is not None:
        keep &= x >= xp[0]
    if right is not None:
        keep &= x <= xp[-1]
    t = np.where(keep, t, 0.0)
    lo, n = np.ravel(lo), len(fp)
    return _cast_like(np.bincount(lo, np.ravel(t * (1.0 - w)), n)
                      + np.bincount(lo + 1, np.ravel(t * w), n), fp)


_INTERP = ("1-D xp and fp; d/dx is the slope of the segment, 0 outside [xp[0], xp[-1]]; "
           "xp, left and right are not differentiated; period= is not supported")


@rule(np.interp, notes=_INTERP)
@rule(interp_linear, linear=("fp",))
def interp(x, xp, fp, left=None, right=None):
    tangent(x_dot * interp_slope(x, xp, fp) + interp_linear(x, xp, fp_dot, left, right))
    adjoint(x=reshape_like(g * interp_slope(x, xp, fp), x),
            fp=interp_t(g, x, xp, fp, left, right))


@rule(interp_slope, linear=("fp",), zero_derivative=("x",))
def interp_slope_(x, xp, fp):
    tangent(interp_slope(x, xp, fp_dot))
    adjoint(fp=interp_slope_t(g, x, xp, fp))


@rule(interp_slope_t, linear=("t",), zero_derivative=("x", "fp"))
def interp_slope_t_(t, x, xp, fp):
    tangent(interp_slope_t(t_dot, x, xp, fp))
    adjoint(t=reshape_like(interp_slope(x, xp, g), t))


@rule(interp_t, linear=("t",), zero_derivative=("fp",))
def interp_t_(t, x, xp, fp, left=None, right=None):
    tangent(interp_t(t_dot, x, xp, fp, left, right) + interp_slope_t(t * x_dot, x, xp, fp))
    adjoint(t=reshape_like(interp_linear(x, xp, g, left, right), t),
            x=reshape_like(t * interp_slope(x, xp, g), x))


# --------------------------------------------------------------------------
# np.polyval: linear in the coefficients p (highest power first)


def poly_exponents(p, x):
    """The power of ``x`` each coefficient multiplies (``n-1, ..., 1, 0``),
    in the floating dtype of ``p`` and ``x``."""
    dtype = np.result_type(_float_dtype(np.asarray(p)), _float_dtype(np.asarray(x)))
    return np.arange(len(p) - 1, -1, -1, dtype=dtype)


def poly_powers(x, p, order=0):
    """The powers of ``x`` that the coefficients ``p`` multiply (``x ** (n-1)``
    down to ``x ** 0``, on a new last axis), differentiated ``order`` times:
    exact at ``x == 0`` (no negative powers are formed)."""
    e = poly_exponents(p, x)
    factor = np.ones_like(e)
    for j in range(order):
        factor = factor * (e - j)          # zero where e < order
    return factor * np.expand_dims(x, -1) ** np.maximum(e - order, 0)


@rule(np.polyval, linear=("p",), notes="1-D p (highest power first), x of any shape")
def polyval(p, x):
    tangent(np.polyval(p_dot, x) + x_dot * np.polyval(p[:-1] * poly_exponents(p, x)[:-1], x))
    adjoint(p=reshape_like(np.tensordot(g, poly_powers(x, p), axes=np.ndim(x)), p),
            x=reshape_like(g * np.polyval(p[:-1] * poly_exponents(p, x)[:-1], x), x))


@rule(poly_powers, zero_derivative=("p",))
def poly_powers_(x, p, order=0):
    tangent(np.expand_dims(x_dot, -1) * poly_powers(x, p, order + 1))
    adjoint(x=reshape_like(np.sum(g * poly_powers(x, p, order + 1), axis=-1), x))


# --------------------------------------------------------------------------
# np.convolve: bilinear; an adjoint is a correlation with the other operand


def _convolve_window(a, v, mode):
    """Where the ``mode`` result starts in the full convolution, and its length."""
    m, n = len(a), len(v)
    if mode == "full":
        return 0, m + n - 1
    if mode == "same":
        return (min(m, n) - 1) // 2, max(m, n)
    if mode == "valid":
        return min(m, n) - 1, max(m, n) - min(m, n) + 1
    raise ValueError(f"np.convolve: unknown mode {mode!r}")


def convolve_pad(t, a, v, mode="full"):
    """A ``mode``-sized ``t`` put back at its place in a full-length
    convolution (zeros elsewhere): the adjoint of cutting the window."""
    start, size = _convolve_window(a, v, mode)
    out = np.zeros(len(a) + len(v) - 1, dtype=np.result_type(t))
    out[start:start + size] = t
    return out


def convolve_crop(t, a, v, mode="full"):
    """The ``mode`` window of a full-length convolution ``t``."""
    start, size = _convolve_window(a, v, mode)
    return t[start:start + size]


@rule(np.convolve, bilinear=("a", "v"),
      notes="1-D operands, modes 'full', 'same' and 'valid' (either operand may be longer)")
def convolve(a, v, mode="full"):
    tangent(np.convolve(a_dot, v, mode=mode) + np.convolve(v_dot, a, mode=mode))
    adjoint(a=reshape_like(np.convolve(convolve_pad(g, a, v, mode), v[::-1], mode="valid"), a),
            v=reshape_like(np.convolve(convolve_pad(g, a, v, mode), a[::-1], mode="valid"), v))


@rule(convolve_pad, linear=("t",))
def convolve_pad_(t, a, v, mode="full"):
    tangent(convolve_pad(t_dot, a, v, mode))
    adjoint(t=reshape_like(convolve_crop(g, a, v, mode), t))


@rule(convolve_crop, linear=("t",))
def convolve_crop_(t, a, v, mode="full"):
    tangent(convolve_crop(t_dot, a, v, mode))
    adjoint(t=reshape_like(convolve_pad(g, a, v, mode), t))


# --------------------------------------------------------------------------
# np.trapezoid: linear in y, and in the sample points x when they are given
#
# Along the axis, with d = np.diff(x), ans = sum(w * y) for weights
# w = W x (w_j = (d_{j-1} + d_j) / 2, ``trapezoid_weights``), so
# d ans / dx = W^T y (``trapezoid_gaps``): W^T is the adjoint of one, W of
# the other (``linear``/``bilinear``: a zero tangent there drops the term).


def trapezoid_weights(y, x=None, dx=1.0, axis=-1):
    """Each sample's weight in ``np.trapezoid(y, x, dx, axis)`` (half the
    widths of the intervals on either side), laid out to broadcast against
    ``y`` along ``axis``, in ``y``'s floating dtype."""
    nd = np.ndim(y)
    ax = axis % nd
    n = np.shape(y)[ax]
    if x is None:
        d = np.full(n - 1, dx)
    else:
        x = np.asarray(x)
        d = np.diff(x) if x.ndim == 1 else np.diff(x, axis=axis)
    if np.ndim(d) == 1:
        d = np.reshape(d, (-1,) + (1,) * (nd - 1 - ax))
    d = np.moveaxis(d, ax - nd, -1)
    w = 0.5 * (_pad_last(d, (1, 0)) + _pad_last(d, (0, 1)))
    return np.moveaxis(w, -1, ax - nd).astype(_float_dtype(y), copy=False)


def trapezoid_gaps(t, y, x, axis=-1):
    """The transpose of ``trapezoid_weights(y, ., axis=axis)``: along the
    axis, ``c_j = (t_{j-1} - t_{j+1}) / 2`` (``-(t_0 + t_1) / 2`` and
    ``(t_{n-2} + t_{n-1}) / 2`` at the ends), summed to the shape of ``x``."""
    ax = axis % np.ndim(y) - np.ndim(y)
    s = np.moveaxis(t, ax, -1)
    s = s[..., :-1] + s[..., 1:]
    c = 0.5 * (_pad_last(s, (1, 0)) - _pad_last(s, (0, 1)))
    if np.ndim(x) == 1:
        return _cast_like(np.sum(np.reshape(c, (-1, np.shape(c)[-1])), axis=0), x)
    return unbroadcast(np.moveaxis(c, -1, ax), x)


def _pad_last(a, widths):
    return np.pad(a, [(0, 0)] * (np.ndim(a) - 1) + [widths])


# NumPy 2 calls it trapezoid; before 2.0 it was trapz (deprecated in 2.0-2.3)
_trapezoids = [f for f in (getattr(np, "trapezoid", None), getattr(np, "trapz", None))
               if f is not None]
_trapezoid = _trapezoids[0]


@rule(*_trapezoids, bilinear=("y", "x"),
      notes="differentiated in y and in the sample points x (1-D or shaped like y); "
            "dx is not differentiated")
def trapezoid(y, x=None, dx=1.0, axis=-1):
    tangent(_trapezoid(y_dot, x=x, dx=dx, axis=axis) + _trapezoid(y, x_dot, axis=axis))
    adjoint(y=unreduce(g, y, axis=axis) * trapezoid_weights(y, x, dx, axis=axis),
            x=trapezoid_gaps(unreduce(g, y, axis=axis) * y, y, x, axis=axis))


@rule(trapezoid_weights, linear=("x",), zero_derivative=("y",))
def trapezoid_weights_(y, x=None, dx=1.0, axis=-1):
    tangent(trapezoid_weights(y, x_dot, dx, axis=axis))
    adjoint(x=trapezoid_gaps(g, y, x, axis=axis))


@rule(trapezoid_gaps, linear=("t",), zero_derivative=("y",))
def trapezoid_gaps_(t, y, x, axis=-1):
    tangent(trapezoid_gaps(t_dot, y, x, axis=axis))
    adjoint(t=broadcast_like(trapezoid_weights(y, g, axis=axis), t))


# --------------------------------------------------------------------------
# np.select: the first true condition picks the choice; none, the default


def select_none(condlist):
    """Where no condition of ``np.select`` holds (the default is taken)."""
    return np.logical_not(functools.reduce(np.logical_or, condlist))


def unselect(t, condlist, choicelist):
    """The adjoint of ``np.select(condlist, choicelist)`` in its choices:
    each choice gets ``t`` where its condition is the first true one, summed
    and typed like the choice (a tuple, one entry per choice)."""
    out, taken = [], False
    for cond, c in zip(condlist, choicelist):
        first = np.logical_and(cond, np.logical_not(taken))
        out.append(_like(unbroadcast(np.where(first, t, 0.0), c), c))
        taken = np.logical_or(taken, cond)
    return tuple(out)


@rule(np.select, linear=("choicelist", "default"), sequences=("choicelist",),
      zero_derivative=("condlist",),
      notes="conditions (a list of boolean arrays) have no derivative; each choice gets "
            "the adjoint where its condition is the first true one, the default where none "
            "is, selected with np.where (NaN in a choice not taken stays out)")
def select(condlist, choicelist, default=0):
    tangent(np.select(condlist, choicelist_dot, default_dot))
    adjoint(choicelist=unselect(g, condlist, choicelist),
            default=unbroadcast(np.where(select_none(condlist), g, 0.0), default))


@rule(unselect, linear=("t",), zero_derivative=("condlist", "choicelist"))
def unselect_(t, condlist, choicelist):
    tangent(unselect(t_dot, condlist, choicelist))
    adjoint(t=_cast_like(broadcast_like(np.select(condlist, g, 0.0), t), t))


# --------------------------------------------------------------------------
# np.gradient: a three-point stencil along each axis (one-sided at the ends)
#
# Along an axis of length n, ``out[i] = sum_k w[k + 2, i] * f[i + k]`` for
# k = -2..2 (``_stencil``: central differences inside, one-sided of order
# ``edge_order`` at the two ends, for a scalar spacing or coordinates). The
# map is linear in f but not self-adjoint at the ends, so the adjoint applies
# the transposed stencil, ``f_bar[j] = sum_k w[k + 2, j - k] * g[j - k]``.


def _gradient_axes(f, axis):
    nd = np.ndim(f)
    if axis is None:
        return tuple(range(nd))
    return tuple(int(ax) % nd for ax in (axis if isinstance(axis, (tuple, list)) else (axis,)))


def _gradient_steps(f, spacing, axes):
    """The spacing along each axis as NumPy reads ``*varargs``: a number, or
    the steps between coordinates."""
    if len(spacing) == 0:
        return [1.0] * len(axes)
    if len(spacing) == 1 and np.ndim(spacing[0]) == 0:
        return [spacing[0]] * len(axes)
    if len(spacing) != len(axes):
        raise TypeError("np.gradient: invalid number of spacing arguments")
    return [h if np.ndim(h) == 0 else np.diff(np.asarray(h, dtype=np.float64))
            for h in spacing]


def _stencil(n, h, edge_order):
    """``w[k + 2, i]``: the weight of ``f[i + k]`` in ``np.gradient``'s
    ``out[i]`` along an axis of length ``n`` with spacing ``h`` (a number or
    the ``n - 1`` steps between coordinates), NumPy's formulas."""
    if n < edge_order + 1:
        raise ValueError("np.gradient needs at least edge_order + 1 points along an axis")
    d = np.full(n - 1, h, dtype=np.float64) if np.ndim(h) == 0 else np.asarray(h, np.float64)
    w = np.zeros((5, n))
    d1, d2 = d[:-1], d[1:]
    w[1, 1:-1] = -d2 / (d1 * (d1 + d2))
    w[2, 1:-1] = (d2 - d1) / (d1 * d2)
    w[3, 1:-1] = d1 / (d2 * (d1 + d2))
    if edge_order == 1:
        w[2, 0], w[3, 0] = -1.0 / d[0], 1.0 / d[0]
        w[1, -1], w[2, -1] = -1.0 / d[-1], 1.0 / d[-1]
    elif edge_order == 2:
        d1, d2 = d[0], d[1]
        w[2, 0] = -(2.0 * d1 + d2) / (d1 * (d1 + d2))
        w[3, 0] = (d1 + d2) / (d1 * d2)
        w[4, 0] = -d1 / (d2 * (d1 + d2))
        d1, d2 = d[-2], d[-1]
        w[0, -1] = d2 / (d1 * (d1 + d2))
        w[1, -1] = -(d2 + d1) / (d1 * d2)
        w[2, -1] = (2.0 * d2 + d1) / (d2 * (d1 + d2))
    else:
        raise ValueError("np.gradient: edge_order must be 1 or 2")
    return w


def _stencil_t(t, ax, w):
    """The transposed stencil ``w`` applied to ``t`` along axis ``ax``."""
    s = np.moveaxis(t, ax, -1)
    n = np.shape(s)[-1]
    out = np.zeros(np.shape(s))
    for k in range(-2, 3):
        h = s * w[k + 2]
        if k >= 0:
            out[..., k:] += h[..., :n - k]
        else:
            out[..., :n + k] += h[..., -k:]
    return np.moveaxis(out, -1, ax)


def gradient_of(f, spacing=(), axis=None, edge_order=1):
    """``np.gradient(f, *spacing, axis=axis, edge_order=edge_order)``."""
    return np.gradient(f, *spacing, axis=axis, edge_order=edge_order)


def gradient_t(t, f, spacing=(), axis=None, edge_order=1):
    """The adjoint of ``np.gradient(f, *spacing, axis=axis, ...)`` in ``f``:
    the transposed stencils applied to ``t`` (one array per axis, as
    ``np.gradient`` returns them; ``0.0`` for one nobody used), summed,
    shaped and typed like ``f``."""
    axes = _gradient_axes(f, axis)
    ts = (t,) if len(axes) == 1 else t
    shape = np.shape(f)
    out = np.zeros(shape)
    for ax, tk, h in zip(axes, ts, _gradient_steps(f, spacing, axes)):
        if np.shape(tk) != shape:
            tk = np.broadcast_to(tk, shape)
        out = out + _stencil_t(tk, ax, _stencil(shape[ax], h, edge_order))
    return _cast_like(out, f)


@rule(np.gradient, linear=("f",),
      notes="linear in f, any number of dimensions and axes (a tuple of arrays for several); "
            "spacing as a number or coordinates per axis, not differentiated; "
            "edge_order 1 or 2")
def gradient(f, *varargs, axis=None, edge_order=1):
    tangent(gradient_of(f_dot, varargs, axis, edge_order))
    adjoint(f=gradient_t(g, f, varargs, axis, edge_order))


@rule(gradient_of, linear=("f",))
def gradient_of_(f, spacing=(), axis=None, edge_order=1):
    tangent(gradient_of(f_dot, spacing, axis, edge_order))
    adjoint(f=gradient_t(g, f, spacing, axis, edge_order))


@rule(gradient_t, linear=("t",), zero_derivative=("f",))
def gradient_t_(t, f, spacing=(), axis=None, edge_order=1):
    tangent(gradient_t(t_dot, f, spacing, axis, edge_order))
    adjoint(t=gradient_of(g, spacing, axis, edge_order))


nondiff(poly_exponents, select_none, notes="constants: no derivative")
