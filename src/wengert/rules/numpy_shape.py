"""NumPy shape, construction and selection functions, and the functions whose
results carry no derivative.

Almost everything here is *linear* in its array argument: the result's
elements are the input's elements moved (reshape, transpose, flip, roll),
copied (repeat, tile, broadcast_to, take) or framed by zeros (pad, diag).
So the tangent is the same operation applied to the tangent, and the adjoint
is the *transposed* operation applied to ``g``, which moves each element of
``g`` back to where it came from, adding where the forward operation copied::

    ans = np.flip(x, axis=0)         x_dot ──▶  np.flip(x_dot, axis=0)
                                     g     ──▶  np.flip(g, axis=0)        (self-inverse)
    ans = np.tile(x, reps)           g     ──▶  untile(g, x, reps)        (sum the copies)
    ans = np.concatenate([x, y])     g     ──▶  split_like(g, [x, y], 0)  (one piece each)

Where the transposed operation has no one-line NumPy spelling it is a small
helper below (``untranspose``, ``untile``, ``unpad``, ``split_like``, …).
Generated code calls these helpers, so each has a rule of its own: it is
linear in ``g`` and its adjoint is the forward operation again, which is what
makes derivatives differentiable a second time.

Functions of a *list* of arrays (``np.concatenate``, ``np.stack``, ``np.array``
of a list display) receive the list as one argument: its tangent is the list
of tangents (zeros for inactive entries) and its adjoint a tuple of per-entry
adjoints, each shaped and typed like its entry. Functions returning a list
(``np.split``) take a tuple adjoint in which ``0.0`` stands for a piece
nobody used.

Selections pick elements without moving them. ``np.where(cond, x, y)``,
``np.clip`` and ``np.choose`` select with ``np.where(mask, g, 0.0)``, never
``g * mask``: an inf or NaN in the branch not taken must not become
``0 * nan`` in the derivative. (A rule further up can still make one: in
``np.where(x > 0, np.sqrt(x), 0.0)`` the zero adjoint reaching ``np.sqrt`` is
multiplied by its derivative, NaN at ``x < 0``. Keeping the untaken branch's
input in its domain with a second ``np.where`` avoids it.)

``x.shape``, ``np.argmax``, ``np.zeros`` and the other functions at the end
give integer, boolean or constant results: they are declared
non-differentiable, so their results are inactive.
"""

import numpy as np

from ..runtime import unbroadcast
from .registry import adjoint, nondiff, rule, tangent

# --------------------------------------------------------------------------
# helpers: the transposed operations (each has a rule further down)


def untranspose(g, axes=None):
    """The adjoint of ``np.transpose(x, axes)``: the inverse permutation."""
    if axes is None:
        return np.transpose(g)
    return np.transpose(g, np.argsort([a % np.ndim(g) for a in axes]))


def unrepeat(g, a, repeats, axis=None):
    """The adjoint of ``np.repeat``: each element's copies summed back."""
    if axis is None:
        return np.reshape(unrepeat(g, np.ravel(a), repeats, 0), np.shape(a))
    axis = axis % np.ndim(a)
    n = np.shape(a)[axis]
    if np.ndim(repeats) == 0 or np.size(repeats) == 1:      # runs of equal length
        runs = np.shape(g)[:axis] + (n, int(np.reshape(repeats, ()))) + np.shape(g)[axis + 1:]
        return np.sum(np.reshape(g, runs), axis=axis + 1)
    return untake(g, a, np.repeat(np.arange(n), repeats), axis)


def untile(g, a, reps):
    """The adjoint of ``np.tile``: the tiles summed onto each other."""
    shape, reps = np.shape(a), tuple(np.reshape(reps, -1))
    d = max(len(shape), len(reps))
    shape, reps = (1,) * (d - len(shape)) + shape, (1,) * (d - len(reps)) + reps
    blocks = np.reshape(g, [n for pair in zip(reps, shape) for n in pair])
    return np.reshape(np.sum(blocks, axis=tuple(range(0, 2 * d, 2))), np.shape(a))


def unpad(g, pad_width):
    """The adjoint of ``np.pad`` with zeros: the middle, without the padding."""
    widths = np.broadcast_to(pad_width, (np.ndim(g), 2))
    return g[tuple(slice(lo, n - hi) for (lo, hi), n in zip(widths, np.shape(g)))]


def undiff(g, n=1, axis=-1, a=None):
    """The adjoint of ``np.diff``: minus the difference of ``g`` padded by a
    zero at both ends, ``n`` times; zeros shaped like ``a`` when ``n`` is at
    least ``a``'s length along ``axis`` (``g`` is then empty along it)."""
    if a is not None and np.shape(g)[axis] == 0:
        return np.zeros(np.shape(a), dtype=np.result_type(g))
    for _ in range(n):
        ends = [(0, 0)] * np.ndim(g)
        ends[axis] = (1, 1)
        g = -np.diff(np.pad(g, ends), axis=axis)
    return g


def undiagonal(g, a, offset=0, axis1=0, axis2=1):
    """The adjoint of ``np.diagonal``: ``g`` written on a diagonal of zeros."""
    out = np.zeros(np.shape(a), dtype=np.result_type(g, a))
    k = np.shape(g)[-1]
    rows = np.arange(k) + max(-offset, 0)
    cols = np.arange(k) + max(offset, 0)
    np.moveaxis(out, (axis1, axis2), (-2, -1))[..., rows, cols] = g
    return out


def undiag(g, v, k=0):
    """The adjoint of ``np.diag``: extract for a vector ``v``, embed for a matrix."""
    if np.ndim(v) == 1:
        return np.diag(g, k)
    return undiagonal(g, v, k)


def untake(g, a, indices, axis=None):
    """The adjoint of ``np.take``: ``g`` scatter-added into zeros like ``a``,
    so repeated indices accumulate."""
    out = np.zeros(np.shape(a), dtype=np.result_type(g, a))
    if axis is None:
        np.add.at(np.reshape(out, -1), indices, g)
        return out
    axis, k = axis % np.ndim(a), np.ndim(indices)
    np.add.at(np.moveaxis(out, axis, 0), indices,
              np.moveaxis(g, tuple(range(axis, axis + k)), tuple(range(k))))
    return out


def untake_along_axis(g, arr, indices, axis):
    """The adjoint of ``np.take_along_axis``: ``g`` scatter-added back."""
    if axis is None:
        return untake(g, arr, indices)
    out = np.zeros(np.shape(arr), dtype=np.result_type(g, arr))
    ndim = np.ndim(g)
    axis = axis % ndim
    index = tuple(indices if d == axis else _open_range(n, np.shape(arr)[d], d, ndim)
                  for d, n in enumerate(np.shape(g)))
    np.add.at(out, index, g)
    return out


def _open_range(n, m, d, ndim):
    """``0, 1, …, n-1`` along dimension ``d`` of ``ndim`` (all zeros if ``m``
    is 1: a dimension that was broadcast)."""
    return np.reshape(np.arange(n) % m, [n if e == d else 1 for e in range(ndim)])


def _like(t, x):
    """``t`` shaped, and typed, like ``x`` (one entry of a list's adjoint)."""
    if isinstance(x, float):
        return float(np.reshape(t, ()))
    t = np.reshape(t, np.shape(x))
    dtype = getattr(x, "dtype", None)
    return t if dtype is None or t.dtype == dtype else t.astype(dtype)


def _seq_like(arrays, items):
    """``items`` as a list where the arrays came in a list (a gradient has its
    input's type), else as a tuple."""
    return items if type(arrays) is list else tuple(items)


def _cut(g, arrays, shapes, axis):
    """``g`` cut along ``axis`` into pieces of ``shapes``, each made like its array."""
    ends = np.cumsum([s[axis] for s in shapes])
    return _seq_like(arrays, [_like(p, x) for p, x in zip(np.split(g, ends[:-1], axis=axis),
                                                         arrays)])


def split_like(g, arrays, axis=0):
    """The adjoint of ``np.concatenate(arrays, axis)``: one piece per array."""
    if axis is None:
        return _cut(g, arrays, [(np.size(x),) for x in arrays], 0)
    return _cut(g, arrays, [np.shape(x) for x in arrays], axis)


def concatenate_like(gs, arrays, axis=0):
    """The adjoint of ``np.split``: the pieces' adjoints joined again. An entry
    ``0.0`` (a piece that was not used) stands for zeros like its piece."""
    parts = [gi if np.shape(gi) == np.shape(x) else np.full_like(x, gi)
             for gi, x in zip(gs, arrays)]
    return np.concatenate(parts, axis=axis)


def unstack(g, arrays, axis=0):
    """The adjoint of ``np.stack(arrays, axis)``: the slices along ``axis``."""
    return _seq_like(arrays, [_like(p, x) for p, x in zip(np.moveaxis(g, axis, 0), arrays)])


def unhstack(g, arrays):
    """The adjoint of ``np.hstack``."""
    shapes = [np.shape(x) or (1,) for x in arrays]
    return _cut(g, arrays, shapes, 0 if len(shapes[0]) == 1 else 1)


def unvstack(g, arrays):
    """The adjoint of ``np.vstack``."""
    shapes = [(1,) * (2 - np.ndim(x)) + np.shape(x) for x in arrays]
    return _cut(g, arrays, shapes, 0)


def uncolumn_stack(g, arrays):
    """The adjoint of ``np.column_stack``: vectors were columns."""
    shapes = [np.shape(x) + (1,) * (2 - np.ndim(x)) for x in arrays]
    return _cut(g, arrays, shapes, 1)


def unarray(g, obj):
    """The adjoint of ``np.array(obj)``: for a (nested) list display, the
    adjoint of each entry, shaped and typed like it."""
    if isinstance(obj, (list, tuple)):
        return tuple(unarray(gi, x) for gi, x in zip(g, obj))
    return _like(g, obj)


def unbincount(t, x, weights):
    """The adjoint of ``np.bincount(x, weights)`` in ``weights``: each weight
    gets the adjoint of its bin, ``t[x]``, in the weights' dtype (the counts
    are float64 whatever the weights' dtype)."""
    out = np.take(t, x)
    dtype = getattr(weights, "dtype", None)
    return out.astype(dtype) if dtype is not None and dtype.kind == "f" and out.dtype != dtype \
        else out


def unchoose(g, a, choices):
    """The adjoint of ``np.choose(a, choices)``: each choice gets ``g`` where
    it was chosen."""
    return tuple(_like(unbroadcast(np.where(a == k, g, 0.0), c), c)
                 for k, c in enumerate(choices))


def linspace_ramp(ans, num, endpoint=True, axis=0):
    """The weights ``t`` in ``ans = start + (stop - start) * t``, shaped to
    broadcast against ``ans``."""
    shape = [1] * np.ndim(ans)
    shape[axis] = num
    return np.reshape(np.linspace(0.0, 1.0, num, endpoint=endpoint, dtype=ans.dtype), shape)


def item_of(a):
    """``a.item()``: the one element of ``a`` as a Python number (a Python
    number as it is: a tangent may be one)."""
    return a.item() if hasattr(a, "item") else a


def float_cast(t, dtype):
    """The derivative of ``x.astype(dtype)``: ``t`` cast to ``dtype`` when that
    is floating point; zero when the cast rounds (integers, booleans)."""
    if np.issubdtype(dtype, np.inexact):
        return np.asarray(t).astype(dtype)      # (a Python float tangent of a 0-d array)
    return np.zeros_like(t, dtype=np.float64)


def uncast(g, x, dtype):
    """The adjoint of ``x.astype(dtype)``: ``g`` cast back to ``x``'s dtype."""
    if np.issubdtype(dtype, np.inexact):
        return np.asarray(g).astype(x.dtype)    # (a Python float cotangent, seeded)
    return np.zeros_like(x, dtype=np.float64)


# --------------------------------------------------------------------------
# shape


@rule(np.reshape, linear=("a",))
def reshape(a, shape):
    tangent(np.reshape(a_dot, shape))
    adjoint(a=np.reshape(g, np.shape(a)))


# ``x.reshape(2, 3)`` passes the shape as several arguments; the rule reads the
# shape off ``ans`` instead, so the extra dimensions are accepted and unused.
@rule(methods=("reshape",))
def reshape_method(a, shape, d1=None, d2=None, d3=None, d4=None, d5=None, d6=None, d7=None):
    tangent(np.reshape(a_dot, np.shape(ans)))
    adjoint(a=np.reshape(g, np.shape(a)))


@rule(np.ravel, methods=("ravel", "flatten"), linear=("a",))
def ravel(a):
    tangent(np.ravel(a_dot))
    adjoint(a=np.reshape(g, np.shape(a)))


@rule(np.expand_dims, linear=("a",))
def expand_dims(a, axis):
    tangent(np.expand_dims(a_dot, axis))
    adjoint(a=np.reshape(g, np.shape(a)))


@rule(np.squeeze, methods=("squeeze",), linear=("a",))
def squeeze(a, axis=None):
    tangent(np.squeeze(a_dot, axis=axis))
    adjoint(a=np.reshape(g, np.shape(a)))


def atleast_nd(a):
    tangent(np.reshape(a_dot, np.shape(ans)))
    adjoint(a=np.reshape(g, np.shape(a)))


for _fn in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
    rule(_fn, linear=("a",), notes="one argument (several return a list)")(atleast_nd)


@rule(np.transpose, linear=("a",))
def transpose(a, axes=None):
    tangent(np.transpose(a_dot, axes=axes))
    adjoint(a=untranspose(g, axes))


@rule(methods=("transpose",), notes="x.transpose(), x.transpose(axes), x.transpose(1, 0, 2)")
def transpose_method(a, *axes):
    tangent(np.transpose(a_dot, axes=method_axes(axes)))
    adjoint(a=untranspose(g, method_axes(axes)))


def method_axes(axes):
    """The axes of ``x.transpose(*axes)`` as ``np.transpose`` takes them:
    none, one tuple (or None), or the axes written out."""
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        return axes[0]
    return tuple(axes) if axes else None


@rule(attrs=("T",))
def T(a):
    tangent(a_dot.T)
    adjoint(a=g.T)


@rule(np.real, attrs=("real",), linear=("val",),
      notes="of real values: the values themselves (complex values that vary are refused)")
def real(val):
    tangent(np.real(val_dot))
    adjoint(val=g)


nondiff(np.imag, attrs=("imag",),
        notes="of real values: zero (complex values that vary are refused)")


@rule(np.swapaxes, methods=("swapaxes",), linear=("a",))
def swapaxes(a, axis1, axis2):
    tangent(np.swapaxes(a_dot, axis1, axis2))
    adjoint(a=np.swapaxes(g, axis1, axis2))


@rule(np.moveaxis, linear=("a",))
def moveaxis(a, source, destination):
    tangent(np.moveaxis(a_dot, source, destination))
    adjoint(a=np.moveaxis(g, destination, source))


@rule(np.broadcast_to, linear=("array",))
def broadcast_to(array, shape):
    tangent(np.broadcast_to(array_dot, shape))
    adjoint(array=unbroadcast(g, array))


@rule(np.roll, linear=("a",))
def roll(a, shift, axis=None):
    tangent(np.roll(a_dot, shift, axis=axis))
    adjoint(a=np.roll(g, np.negative(shift), axis=axis))


@rule(np.flip, linear=("m",))
def flip(m, axis=None):
    tangent(np.flip(m_dot, axis=axis))
    adjoint(m=np.flip(g, axis=axis))


@rule(np.flipud, linear=("m",))
def flipud(m):
    tangent(np.flipud(m_dot))
    adjoint(m=np.flipud(g))


@rule(np.fliplr, linear=("m",))
def fliplr(m):
    tangent(np.fliplr(m_dot))
    adjoint(m=np.fliplr(g))


@rule(np.rot90, linear=("m",))
def rot90(m, k=1, axes=(0, 1)):
    tangent(np.rot90(m_dot, k, axes=axes))
    adjoint(m=np.rot90(g, -k, axes=axes))


@rule(np.repeat, methods=("repeat",), linear=("a",))
def repeat(a, repeats, axis=None):
    tangent(np.repeat(a_dot, repeats, axis=axis))
    adjoint(a=unrepeat(g, a, repeats, axis))


@rule(np.tile, linear=("A",))
def tile(A, reps):
    tangent(np.tile(A_dot, reps))
    adjoint(A=untile(g, A, reps))


@rule(np.pad, linear=("array",), notes="zero padding only (no mode= or constant_values=)")
def pad(array, pad_width):
    tangent(np.pad(array_dot, pad_width))
    adjoint(array=unpad(g, pad_width))


@rule(np.diff, linear=("a",), notes="no prepend= or append=")
def diff(a, n=1, axis=-1):
    tangent(np.diff(a_dot, n=n, axis=axis))
    adjoint(a=undiff(g, n, axis, a))


# --------------------------------------------------------------------------
# joining and splitting: lists of arrays in, lists out


@rule(np.concatenate, linear=("arrays",), sequences=("arrays",))
def concatenate(arrays, axis=0):
    tangent(np.concatenate(arrays_dot, axis=axis))
    adjoint(arrays=split_like(g, arrays, axis))


def append_adjoint(g, arr, values, axis, which):
    """The adjoint of ``np.append(arr, values, axis)`` for ``arr`` (``which``
    0) or ``values`` (1): its piece of ``g`` (flattened pieces when ``axis``
    is None), shaped like it."""
    return split_like(g, (arr, values), axis)[which]


@rule(np.append, linear=("arr", "values"),
      notes="np.concatenate((arr, values), axis), of the flattened arrays when axis is None")
def append(arr, values, axis=None):
    tangent(np.append(arr_dot, values_dot, axis=axis))
    adjoint(arr=append_adjoint(g, arr, values, axis, 0),
            values=append_adjoint(g, arr, values, axis, 1))


@rule(np.stack, linear=("arrays",), sequences=("arrays",))
def stack(arrays, axis=0):
    tangent(np.stack(arrays_dot, axis=axis))
    adjoint(arrays=unstack(g, arrays, axis))


@rule(np.hstack, linear=("tup",), sequences=("tup",))
def hstack(tup):
    tangent(np.hstack(tup_dot))
    adjoint(tup=unhstack(g, tup))


@rule(np.vstack, linear=("tup",), sequences=("tup",))
def vstack(tup):
    tangent(np.vstack(tup_dot))
    adjoint(tup=unvstack(g, tup))


@rule(np.column_stack, linear=("tup",), sequences=("tup",))
def column_stack(tup):
    tangent(np.column_stack(tup_dot))
    adjoint(tup=uncolumn_stack(g, tup))


@rule(np.split, linear=("ary",))
def split(ary, indices_or_sections, axis=0):
    tangent(np.split(ary_dot, indices_or_sections, axis=axis))
    adjoint(ary=concatenate_like(g, ans, axis))


@rule(np.array_split, linear=("ary",))
def array_split(ary, indices_or_sections, axis=0):
    tangent(np.array_split(ary_dot, indices_or_sections, axis=axis))
    adjoint(ary=concatenate_like(g, ans, axis))


# --------------------------------------------------------------------------
# construction


@rule(np.array, linear=("object",), sequences=("object",),
      notes="with dtype=: a copy, then a cast (`.astype`)")
def array(object):
    tangent(np.array(object_dot))
    adjoint(object=unarray(g, object))


@rule(np.asarray, linear=("a",), sequences=("a",),
      notes="with dtype=: then a cast (`.astype`)")
def asarray(a):
    tangent(np.asarray(a_dot))
    adjoint(a=unarray(g, a))


@rule(np.copy, methods=("copy",), linear=("a",))
def copy(a):
    tangent(a_dot)
    adjoint(a=g)


@rule(*[f for f in (getattr(np, "astype", None),) if f is not None], methods=("astype",),
      notes="differentiable between floating-point dtypes; a cast to integers has "
            "zero derivative; `copy=False` (the array itself where it has that dtype) as "
            "a view: assigning into it is refused")
def astype(x, dtype, copy=True):
    tangent(float_cast(x_dot, dtype))
    adjoint(x=uncast(g, x, dtype))


@rule(np.float64, linear=("x",), notes="a cast (of a number or an array)")
def float64_(x):
    tangent(np.float64(x_dot))
    adjoint(x=unarray(g, x))


@rule(np.float32, linear=("x",), notes="a cast (of a number or an array)")
def float32_(x):
    tangent(np.float32(x_dot))
    adjoint(x=unarray(g, x))


@rule(item_of, methods=("item",), linear=("a",),
      notes="`a.item()` of an array of one element: a Python number")
def item_(a):
    tangent(item_of(a_dot))
    adjoint(a=unarray(g, a))


@rule(np.linspace, linear=("start", "stop"), notes="no retstep= or dtype=")
def linspace(start, stop, num=50, endpoint=True, axis=0):
    tangent(np.linspace(start_dot, stop_dot, num, endpoint=endpoint, axis=axis))
    adjoint(start=unbroadcast(np.sum(g * (1.0 - linspace_ramp(ans, num, endpoint, axis)),
                                     axis=axis), start),
            stop=unbroadcast(np.sum(g * linspace_ramp(ans, num, endpoint, axis), axis=axis),
                             stop))


@rule(np.full, linear=("fill_value",), notes="differentiable in fill_value; no dtype=")
def full(shape, fill_value):
    tangent(np.full(shape, fill_value_dot))
    adjoint(fill_value=unbroadcast(g, fill_value))


@rule(np.full_like, linear=("fill_value",), zero_derivative=("a",),
      notes="differentiable in fill_value (for a floating-point `a`)")
def full_like(a, fill_value):
    tangent(np.full_like(a, fill_value_dot))
    adjoint(fill_value=unbroadcast(g, fill_value))


@rule(np.diag, linear=("v",))
def diag(v, k=0):
    tangent(np.diag(v_dot, k))
    adjoint(v=undiag(g, v, k))


@rule(np.diagonal, methods=("diagonal",), linear=("a",))
def diagonal(a, offset=0, axis1=0, axis2=1):
    tangent(np.diagonal(a_dot, offset, axis1, axis2))
    adjoint(a=undiagonal(g, a, offset, axis1, axis2))


@rule(np.triu, linear=("m",))
def triu(m, k=0):
    tangent(np.triu(m_dot, k))
    adjoint(m=np.triu(g, k))


@rule(np.tril, linear=("m",))
def tril(m, k=0):
    tangent(np.tril(m_dot, k))
    adjoint(m=np.tril(g, k))


# --------------------------------------------------------------------------
# selection


@rule(np.take, methods=("take",), linear=("a",),
      notes="repeated indices accumulate in the adjoint")
def take(a, indices, axis=None):
    tangent(np.take(a_dot, indices, axis=axis))
    adjoint(a=untake(g, a, indices, axis))


@rule(np.take_along_axis, linear=("arr",))
def take_along_axis(arr, indices, axis=-1):       # (the default since NumPy 2.3)
    tangent(np.take_along_axis(arr_dot, indices, axis=axis))
    adjoint(arr=untake_along_axis(g, arr, indices, axis))


@rule(np.bincount, linear=("weights",),
      notes="differentiable in weights=; the result has at least as many bins as "
            "minlength, so the tangent is counted into as many")
def bincount(x, weights=None, minlength=0):
    tangent(np.bincount(x, weights=weights_dot, minlength=np.size(ans)))
    adjoint(weights=unbincount(g, x, weights))


@rule(np.sort, notes="through the sorting permutation; ties have no preferred order")
def sort(a, axis=-1):
    tangent(np.take_along_axis(a_dot, np.argsort(a, axis=axis), axis=axis))
    adjoint(a=untake_along_axis(g, a, np.argsort(a, axis=axis), axis))


@rule(np.where, elementwise=True, linear=("x", "y"), zero_derivative=("condition",),
      notes="the condition has no derivative (a selection: piecewise constant, also "
            "where it is computed from differentiated values); the adjoint selects with "
            "np.where, so "
            "NaN or inf in the branch not taken stays out of the gradient")
def where(condition, x, y):
    tangent(np.where(condition, x_dot, y_dot))
    adjoint(x=unbroadcast(np.where(condition, g, 0.0), x),
            y=unbroadcast(np.where(condition, 0.0, g), y))


# Where the result equals ``a``, the derivative goes to ``a`` (ties with a bound
# too); elsewhere to the bound that was hit. ``a_min``/``a_max`` may be None.
@rule(np.clip, notes="ties with a bound: the gradient goes to the clipped array")
def clip(a, a_min=None, a_max=None):
    tangent(np.where(ans == a, a_dot, np.where(ans == a_min, a_min_dot, a_max_dot)))
    adjoint(a=unbroadcast(np.where(ans == a, g, 0.0), a),
            a_min=unbroadcast(np.where(ans == a, 0.0, np.where(ans == a_min, g, 0.0)), a_min),
            a_max=unbroadcast(np.where((ans == a) | (ans == a_min), 0.0, g), a_max))


@rule(methods=("clip",), notes="ties with a bound: the gradient goes to the clipped array")
def clip_method(a, min=None, max=None):
    tangent(np.where(ans == a, a_dot, np.where(ans == min, min_dot, max_dot)))
    adjoint(a=unbroadcast(np.where(ans == a, g, 0.0), a),
            min=unbroadcast(np.where(ans == a, 0.0, np.where(ans == min, g, 0.0)), min),
            max=unbroadcast(np.where((ans == a) | (ans == min), 0.0, g), max))


@rule(np.choose, linear=("choices",), sequences=("choices",))
def choose(a, choices):
    tangent(np.choose(a, choices_dot))
    adjoint(choices=unchoose(g, a, choices))


# --------------------------------------------------------------------------
# the helpers' own rules: linear in g, and their adjoint is the forward op


@rule(untranspose, linear=("g",))
def untranspose_(g, axes=None):
    tangent(untranspose(g_dot, axes))
    adjoint(g=np.transpose(g, axes=axes))


@rule(unrepeat, linear=("g",))
def unrepeat_(g, a, repeats, axis=None):
    tangent(unrepeat(g_dot, a, repeats, axis))
    adjoint(g=np.repeat(g, repeats, axis=axis))


@rule(untile, linear=("g",))
def untile_(g, a, reps):
    tangent(untile(g_dot, a, reps))
    adjoint(g=np.tile(g, reps))


@rule(unpad, linear=("g",))
def unpad_(g, pad_width):
    tangent(unpad(g_dot, pad_width))
    adjoint(g=np.pad(g, pad_width))


@rule(undiff, linear=("g",))
def undiff_(g, n=1, axis=-1, a=None):
    tangent(undiff(g_dot, n, axis, a))
    adjoint(g=np.diff(g, n=n, axis=axis))


@rule(undiagonal, linear=("g",))
def undiagonal_(g, a, offset=0, axis1=0, axis2=1):
    tangent(undiagonal(g_dot, a, offset, axis1, axis2))
    adjoint(g=np.diagonal(g, offset, axis1, axis2))


@rule(undiag, linear=("g",))
def undiag_(g, v, k=0):
    tangent(undiag(g_dot, v, k))
    adjoint(g=np.diag(g, k))


@rule(untake, linear=("g",))
def untake_(g, a, indices, axis=None):
    tangent(untake(g_dot, a, indices, axis))
    adjoint(g=np.take(g, indices, axis=axis))


@rule(untake_along_axis, linear=("g",))
def untake_along_axis_(g, arr, indices, axis):
    tangent(untake_along_axis(g_dot, arr, indices, axis))
    adjoint(g=np.take_along_axis(g, indices, axis=axis))


@rule(split_like, linear=("g",))
def split_like_(g, arrays, axis=0):
    tangent(split_like(g_dot, arrays, axis))
    adjoint(g=concatenate_like(g, arrays, axis))


@rule(concatenate_like, linear=("gs",))
def concatenate_like_(gs, arrays, axis=0):
    tangent(concatenate_like(gs_dot, arrays, axis))
    adjoint(gs=split_like(g, arrays, axis))


@rule(unstack, linear=("g",))
def unstack_(g, arrays, axis=0):
    tangent(unstack(g_dot, arrays, axis))
    adjoint(g=np.stack(g, axis=axis))


@rule(unhstack, linear=("g",))
def unhstack_(g, arrays):
    tangent(unhstack(g_dot, arrays))
    adjoint(g=np.hstack(g))


@rule(unvstack, linear=("g",))
def unvstack_(g, arrays):
    tangent(unvstack(g_dot, arrays))
    adjoint(g=np.vstack(g))


@rule(uncolumn_stack, linear=("g",))
def uncolumn_stack_(g, arrays):
    tangent(uncolumn_stack(g_dot, arrays))
    adjoint(g=np.column_stack(g))


@rule(unarray, linear=("g",))
def unarray_(g, obj):
    tangent(unarray(g_dot, obj))
    adjoint(g=np.array(g))


@rule(unbincount, linear=("t",))
def unbincount_(t, x, weights):
    tangent(unbincount(t_dot, x, weights))
    adjoint(t=np.bincount(x, weights=g, minlength=np.size(t)))


@rule(unchoose, linear=("g",))
def unchoose_(g, a, choices):
    tangent(unchoose(g_dot, a, choices))
    adjoint(g=np.choose(a, g))


@rule(float_cast, linear=("t",))
def float_cast_(t, dtype):
    tangent(float_cast(t_dot, dtype))
    adjoint(t=uncast(g, t, dtype))


@rule(uncast, linear=("g",))
def uncast_(g, x, dtype):
    tangent(uncast(g_dot, x, dtype))
    adjoint(g=float_cast(g, dtype))


# --------------------------------------------------------------------------
# no derivative: integer, boolean or constant results

nondiff(np.zeros, np.ones, np.empty, np.zeros_like, np.ones_like, np.empty_like,
        np.eye, np.identity, np.tri, np.indices,
        notes="values that do not depend on the arguments' values")
nondiff(method_axes)
nondiff(np.shape, np.ndim, np.size, np.result_type, np.isscalar, np.iscomplexobj,
        np.isrealobj, np.broadcast_shapes,
        attrs=("shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides"),
        notes="properties of the array, not of its values")
nondiff(np.argmax, np.argmin, np.argsort, np.argpartition, np.lexsort, np.nonzero,
        np.flatnonzero, np.argwhere, np.count_nonzero, np.searchsorted, np.digitize,
        np.ravel_multi_index, np.unravel_index, np.diag_indices, np.tril_indices,
        np.triu_indices, np.diag_indices_from, np.tril_indices_from, np.triu_indices_from,
        linspace_ramp,
        methods=("argmax", "argmin", "argsort", "nonzero", "searchsorted"),
        notes="integer results: indices and counts")
nondiff(np.unique, np.histogram, np.histogram_bin_edges, np.arange, refuse=True,
        notes="values (np.unique, np.arange) or bin edges that depend on a floating-point "
              "argument, "
              "with no rule here: a differentiated one is refused (wrap it in "
              "wengert.stop_gradient(...) where only counts or indices are wanted)")
nondiff(np.isclose, np.allclose, np.array_equal, np.array_equiv, np.any, np.all,
        np.isin, methods=("any", "all"), notes="boolean results")
