"""Rule cases for the shape family (see rulecheck/cases.py): shape,
construction and selection functions, and the helpers their derivatives call
(``wengert.rules.numpy_shape``), which are checked directly so that
derivatives can be differentiated again."""

import numpy as np

from wengert.rules import numpy_shape as S

from . import Arg, Case

HELPERS = ("from wengert.rules.numpy_shape import (untranspose, unrepeat, untile, unpad, "
           "undiff, undiagonal, undiag, untake, untake_along_axis, split_like, "
           "concatenate_like, unstack, unhstack, unvstack, uncolumn_stack, unarray, "
           "unchoose, unbincount, float_cast, uncast, item_of)")

# helper functions for cases that need statements (tuple targets, several uses)
FUNCTIONS = '''
def halves_product(x):
    a, b = np.split(x, 2)
    return a * b


def first_half(x):
    a, b = np.split(x, 2, axis=-1)
    return a * 3.0


def both_parts(x):
    parts = np.array_split(x, 3)
    return parts[1] * parts[2]


def middle_third(x):
    a, b, c = np.split(x, 3)
    return b * 2.0


def swap_halves(x):
    top, bottom = np.array_split(x, 2, axis=0)
    return np.vstack([bottom, top * bottom[:1]])


def scaled_rows(x):
    return np.stack([x[i] * (i + 1.0) for i in range(3)])


def running_products(x):
    out = x[:1]
    for i in range(1, 3):
        out = np.concatenate([out, x[i:i + 1] * out[-1:]])
    return out


def matrix_of(x, y):
    m = np.array([[x, y, 0.0], [0.0, x * y, y]])
    return m.T
'''


def case(expr, *shapes, covers, domain="real", **kw):
    """A case over x, y, z with these shapes (a shape of None: a Python float)."""
    args = {name: Arg((), domain, pyfloat=True) if s is None else Arg(s, domain)
            for name, s in zip("xyz", shapes)}
    if any(s is None for s in shapes):
        kw.setdefault("float32", False)
    return Case(expr, args, covers=covers, **kw)


def helper(expr, *shapes, covers, **kw):
    return case(expr, *shapes, covers=covers, imports=HELPERS, **kw)


SHAPE = [
    case("np.reshape(x, (3, 2))", (2, 3), covers=(np.reshape,)),
    case("np.reshape(x, -1)", (2, 3), covers=(np.reshape,)),
    case("np.reshape(x, (2, -1)) * x[0, 0, 0]", (2, 3, 2), covers=(np.reshape,)),
    case("x.reshape(2, 3)", (6,), covers=()),
    case("x.reshape((3, 2))", (2, 3), covers=()),
    case("x.reshape(-1)", (2, 3), covers=()),
    case("np.ravel(x)", (2, 3), covers=(np.ravel,)),
    case("x.ravel() * x.flatten()", (3, 2), covers=()),
    case("np.expand_dims(x, -1)", (2, 3), covers=(np.expand_dims,)),
    case("np.expand_dims(x, (0, 2))", (3,), covers=(np.expand_dims,)),
    case("np.squeeze(x)", (1, 3, 1), covers=(np.squeeze,)),
    case("np.squeeze(x, axis=-1)", (1, 3, 1), covers=(np.squeeze,)),
    case("np.squeeze(x, (0, 2))", (1, 3, 1), covers=(np.squeeze,)),
    case("x.squeeze(0)", (1, 3), covers=()),
    case("np.transpose(x)", (2, 3, 4), covers=(np.transpose,)),
    case("np.transpose(x, (2, 0, 1))", (2, 3, 4), covers=(np.transpose,)),
    case("np.transpose(x, axes=(-1, 0, 1))", (2, 3, 4), covers=(np.transpose,)),
    case("x.transpose()", (2, 3), covers=()),
    case("x.transpose((1, 2, 0))", (2, 3, 4), covers=()),
    case("x.transpose(1, 0, 2)", (2, 3, 4), covers=()),
    case("x.transpose(None)", (2, 3), covers=()),
    case("x.T", (2, 3), covers=()),
    case("x.T * y", (2, 3, 4), (4, 3, 2), covers=()),
    case("np.swapaxes(x, 0, -1)", (2, 3, 4), covers=(np.swapaxes,)),
    case("x.swapaxes(1, 2)", (2, 3, 4), covers=()),
    case("np.moveaxis(x, 0, -1)", (2, 3, 4), covers=(np.moveaxis,)),
    case("np.moveaxis(x, (0, 1), (-1, 0))", (2, 3, 4), covers=(np.moveaxis,)),
    case("np.broadcast_to(x, (2, 3))", (3,), covers=(np.broadcast_to,)),
    case("np.broadcast_to(x, (4, 2, 3))", (2, 1), covers=(np.broadcast_to,)),
    case("np.broadcast_to(x, (2, 3))", (), covers=(np.broadcast_to,)),
    case("np.atleast_1d(x)", (), covers=(np.atleast_1d,)),
    case("np.atleast_1d(x)", (2, 3), covers=(np.atleast_1d,)),
    case("np.atleast_2d(x)", (3,), covers=(np.atleast_2d,)),
    case("np.atleast_3d(x)", (3,), covers=(np.atleast_3d,)),
    case("np.atleast_3d(x)", (2, 3), covers=(np.atleast_3d,)),
    case("np.roll(x, 2)", (2, 3), covers=(np.roll,)),
    case("np.roll(x, -1, axis=1)", (2, 3), covers=(np.roll,)),
    case("np.roll(x, (1, 2), axis=(0, -1))", (2, 3), covers=(np.roll,)),
    case("np.flip(x)", (2, 3), covers=(np.flip,)),
    case("np.flip(x, axis=-1)", (2, 3), covers=(np.flip,)),
    case("np.flip(x, (0, 2))", (2, 3, 2), covers=(np.flip,)),
    case("np.flipud(x)", (2, 3), covers=(np.flipud,)),
    case("np.fliplr(x)", (2, 3), covers=(np.fliplr,)),
    case("np.rot90(x)", (2, 3), covers=(np.rot90,)),
    case("np.rot90(x, 2)", (2, 3), covers=(np.rot90,)),
    case("np.rot90(x, -1, axes=(1, 2))", (2, 3, 4), covers=(np.rot90,)),
    case("np.repeat(x, 2)", (2, 3), covers=(np.repeat,)),
    case("np.repeat(x, 3, axis=-1)", (2, 3), covers=(np.repeat,)),
    case("np.repeat(x, [1, 0, 2], axis=1)", (2, 3), covers=(np.repeat,)),
    case("np.repeat(x, np.array([2, 1, 3]))", (3,), covers=(np.repeat,)),
    case("x.repeat(2, axis=0)", (2, 3), covers=()),
    case("np.tile(x, 2)", (3,), covers=(np.tile,)),
    case("np.tile(x, (2, 1, 2))", (2, 3), covers=(np.tile,)),
    case("np.tile(x, (2,))", (2, 3), covers=(np.tile,)),
    case("np.pad(x, 1)", (2, 3), covers=(np.pad,)),
    case("np.pad(x, ((1, 0), (2, 1)))", (2, 3), covers=(np.pad,)),
    case("np.pad(x, (1, 2))", (3,), covers=(np.pad,)),
    case("np.diff(x)", (5,), covers=(np.diff,)),
    case("np.diff(x, n=2)", (5,), covers=(np.diff,)),
    case("np.diff(x, axis=0)", (3, 4), covers=(np.diff,)),
    case("np.diff(x, 3, -1)", (2, 5), covers=(np.diff,)),
]

JOIN = [
    case("np.concatenate([x, y])", (3,), (2,), covers=(np.concatenate,)),
    case("np.concatenate([x, np.ones(3)])", (2,), covers=(np.concatenate,)),
    case("np.concatenate([x, y, x], axis=-1)", (2, 3), (2, 2), covers=(np.concatenate,)),
    case("np.concatenate((np.zeros((1, 3)), x), axis=0)", (2, 3), covers=(np.concatenate,)),
    case("np.concatenate([x, y], axis=None)", (2, 3), (4,), covers=(np.concatenate,)),
    case("np.real(x) * x.real", (2, 3), covers=(np.real,)),
    case("np.append(x, y)", (2, 3), (4,), covers=(np.append,)),
    case("np.append(x, y, axis=0)", (2, 3), (1, 3), covers=(np.append,)),
    case("np.append(x, y, axis=-1)", (2, 3), (2, 2), covers=(np.append,)),
    case("np.append(x, y)", (3,), (), covers=(np.append,)),
    case("np.stack([x, y])", (3,), (3,), covers=(np.stack,)),
    case("np.stack([x, np.zeros(3), y], axis=-1)", (3,), (3,), covers=(np.stack,)),
    case("np.stack([x, x * x])", (2, 3), covers=(np.stack,)),
    case("np.stack([x, y, 2.0])", None, None, covers=(np.stack,)),
    case("np.hstack([x, y])", (3,), (2,), covers=(np.hstack,)),
    case("np.hstack([x, y])", (2, 3), (2, 1), covers=(np.hstack,)),
    case("np.hstack((x, y, x))", (), (), covers=(np.hstack,)),
    case("np.vstack([x, y])", (3,), (3,), covers=(np.vstack,)),
    case("np.vstack([x, np.ones(3), y])", (2, 3), (3,), covers=(np.vstack,)),
    case("np.column_stack([x, y])", (3,), (3, 2), covers=(np.column_stack,)),
    case("np.column_stack((x, 1.0 + np.zeros(3)))", (3,), covers=(np.column_stack,)),
    case("np.split(x, 3)[1] * 2.0", (6,), covers=(np.split,)),
    case("np.split(x, [1, 3], axis=1)[2]", (2, 5), covers=(np.split,)),
    case("np.split(x, 2, axis=-1)[0] * np.split(x, 2, axis=-1)[1]", (3, 4), covers=(np.split,)),
    case("halves_product(x)", (6,), covers=(np.split,), imports=FUNCTIONS),
    case("first_half(x)", (2, 4), covers=(np.split,), imports=FUNCTIONS),
    case("np.array_split(x, 3)[0]", (5,), covers=(np.array_split,)),
    case("both_parts(x)", (7,), covers=(np.array_split,), imports=FUNCTIONS),
    case("middle_third(x)", (6,), covers=(np.split,), imports=FUNCTIONS),
    case("swap_halves(x)", (5, 2), covers=(np.array_split, np.vstack), imports=FUNCTIONS),
    case("scaled_rows(x)", (3, 2), covers=(np.stack,), imports=FUNCTIONS),
    case("running_products(x)", (3,), covers=(np.concatenate,), imports=FUNCTIONS),
    case("matrix_of(x, y)", None, None, covers=(np.array,), imports=FUNCTIONS),
]

CONSTRUCT = [
    case("np.array([x, y, x])", None, None, covers=(np.array,)),
    case("np.array([x, y])", (3,), (3,), covers=(np.array,)),
    case("np.array([[x, y], [y, 1.0]])", (), (), covers=(np.array,)),
    case("np.array([x, 1.0])", (), covers=(np.array,)),
    case("np.array(x)", (2, 3), covers=(np.array,)),
    case("np.asarray([x, y])", (2,), (2,), covers=(np.asarray,)),
    case("np.asarray(x) * 2.0", (3,), covers=(np.asarray,)),
    case("np.copy(x)", (2, 3), covers=(np.copy,)),
    case("x.copy() * x", (3,), covers=()),
    case("x.astype(np.float64)", (2, 3), covers=()),
    case("x.astype(int) * x", (3,), covers=()),
    case("np.float64(x) * x", None, covers=(np.float64,)),
    case("np.float64(x)", (2, 3), covers=(np.float64,)),
    case("np.sum(x).item() * x", (2, 3), covers=(S.item_of,)),
    case("x.item() * 3.0", (1,), covers=(S.item_of,)),
    helper("item_of(x) * x", None, covers=(S.item_of,)),
    case("np.linspace(x, y, 5)", None, None, covers=(np.linspace,)),
    case("np.linspace(x, y, 4)", (3,), (3,), covers=(np.linspace,)),
    case("np.linspace(x, y, 4, axis=-1)", (2, 1), (3,), covers=(np.linspace,)),
    case("np.linspace(x, y, 5, endpoint=False)", (), (), covers=(np.linspace,)),
    case("np.linspace(x, 2.0, 4)", (3,), covers=(np.linspace,)),
    case("np.linspace(0.0, x, num=3)", (), covers=(np.linspace,)),
    case("np.full((2, 3), x)", (), covers=(np.full,)),
    case("np.full((2, 3), x)", (3,), covers=(np.full,)),
    case("np.full_like(np.ones((2, 3)), x)", (), covers=(np.full_like,)),
    case("np.diag(x)", (3,), covers=(np.diag,)),
    case("np.diag(x, 1)", (3,), covers=(np.diag,)),
    case("np.diag(x)", (3, 4), covers=(np.diag,)),
    case("np.diag(x, -1)", (3, 4), covers=(np.diag,)),
    case("np.diagonal(x)", (3, 3), covers=(np.diagonal,)),
    case("np.diagonal(x, 1)", (3, 4), covers=(np.diagonal,)),
    case("np.diagonal(x, 0, 1, 2)", (2, 3, 3), covers=(np.diagonal,)),
    case("np.diagonal(x, -1, -1, 0)", (3, 2, 4), covers=(np.diagonal,)),
    case("x.diagonal()", (3, 2), covers=()),
    case("np.triu(x)", (3, 3), covers=(np.triu,)),
    case("np.triu(x, 1)", (2, 3, 4), covers=(np.triu,)),
    case("np.tril(x, -1)", (3, 4), covers=(np.tril,)),
    case("np.tril(x)", (3, 3), covers=(np.tril,)),
]
if hasattr(np, "astype"):
    CONSTRUCT.append(case("np.astype(x, np.float64)", (3,), covers=(np.astype,)))

SELECT = [
    case("np.take(x, [0, 2, 0])", (3,), covers=(np.take,)),
    case("np.take(x, [5, 0, 5, 5])", (2, 3), covers=(np.take,)),
    case("np.take(x, np.array([[0, 1], [2, 2]]), axis=-1)", (2, 3), covers=(np.take,)),
    case("np.take(x, 1, axis=0)", (2, 3), covers=(np.take,)),
    case("x.take([1, 1], axis=0)", (2, 3), covers=()),
    case("np.take_along_axis(x, np.array([[0, 0], [2, 1]]), axis=1)", (2, 3),
         covers=(np.take_along_axis,)),
    case("np.take_along_axis(x, np.array([[1], [0], [1]]), -1)", (3, 2),
         covers=(np.take_along_axis,)),
    case("np.take_along_axis(x, np.array([[2, 0, 2]]), axis=1)", (2, 3),
         covers=(np.take_along_axis,)),
    case("np.sort(x)", (5,), covers=(np.sort,)),
    case("np.sort(x, axis=0)", (3, 4), covers=(np.sort,)),
    case("np.sort(x, axis=None)", (2, 3), covers=(np.sort,)),
    case("np.where(x > 0, x, y)", (2, 3), (2, 3), covers=(np.where,)),
    case("np.where(x > 0, x * 2.0, 0.0)", (2, 3), covers=(np.where,)),
    case("np.where(x > 0, y, 1.0)", (2, 3), (3,), covers=(np.where,)),
    case("np.where(x > 0, 1.0, y)", (2, 3), (), covers=(np.where,)),
    case("np.where(x > 0, np.ones((2, 3)), x)", (3,), covers=(np.where,)),
    case("np.where(y > 0, x, x * x)", (3,), (3,), covers=(np.where,)),
    case("np.clip(x, -0.5, 0.5)", (2, 3), covers=(np.clip,)),
    case("np.clip(x, y, 1.0)", (2, 3), (3,), covers=(np.clip,)),
    case("np.clip(x, None, 0.5)", (3,), covers=(np.clip,)),
    case("np.clip(x, -1.0, y)", (3,), (), covers=(np.clip,)),
    case("np.clip(1.5 * x, y, z)", (4,), (4,), (4,), covers=(np.clip,), seed=3),
    case("x.clip(-0.5, 0.5)", (2, 3), covers=()),
    case("x.clip(max=y)", (2, 3), (2, 3), covers=()),
    case("np.choose(np.array([0, 1, 0]), [x, y])", (3,), (3,), covers=(np.choose,)),
    case("np.choose(np.array([[0, 1, 1], [1, 0, 1]]), [x, y])", (3,), (), covers=(np.choose,)),
    # np.bincount: linear in weights; empty bins, minlength beyond the last index
    case("np.bincount(np.array([0, 2, 2, 1, 4]), weights=x)", (5,), covers=(np.bincount,)),
    case("np.bincount(np.array([0, 2, 2, 1]), x, minlength=6)", (4,), covers=(np.bincount,)),
    case("np.bincount(np.array([3, 0, 3]), x * y, 2) * y[0]", (3,), (3,),
         covers=(np.bincount,)),
    case("np.bincount(np.array([1, 1, 0]), weights=[x, y, x * y])", None, None,
         covers=(np.bincount,)),
    case("np.bincount(np.array([1, 1, 0])) * x", (2,), covers=(np.bincount,)),
]

# A list of floats passed where a NumPy function takes an array: differentiated
# as the array NumPy makes of it
LISTS = [
    case(expr, None, None, covers=covers)
    for expr, covers in [
        ("np.sort([x * 2.0, y, x * y])", (np.sort,)),
        ("np.cumprod([x, y, x + y])", (np.cumprod,)),
        ("np.square([x, y])", (np.square,)),
        ("np.maximum([x, y], 0.5)", (np.maximum,)),
        ("np.dot([x, y], [y, 2.0 * x])", (np.dot,)),
        ("np.matmul([x, y], [y, 2.0])", (np.matmul,)),
        ("np.take([x, y, x * y], [2, 0])", (np.take,)),
        ("np.hstack([x, y, x * y])", (np.hstack,)),
        ("np.vstack([x, y])", (np.vstack,)),
        ("np.sort((x, y))[0] + y", (np.sort,)),
    ]
]

# The helpers generated code calls, each checked against its own rule; the
# arrays they are "like" share x's dtype, as they do in generated code.


def like(shape):
    return f"np.ones({shape}, x.dtype)"


A, V2, V3, S0 = like((2, 3)), like(2), like(3), like(())
HELPER_CASES = [
    helper("untranspose(x, (2, 0, 1))", (2, 3, 4), covers=(S.untranspose,)),
    helper("untranspose(x, (-1, 0, 1))", (2, 3, 4), covers=(S.untranspose,)),
    helper("untranspose(x)", (2, 3), covers=(S.untranspose,)),
    helper(f"unrepeat(x, {V3}, 2)", (6,), covers=(S.unrepeat,)),
    helper(f"unrepeat(x, {A}, 2, None)", (12,), covers=(S.unrepeat,)),
    helper(f"unrepeat(x, {A}, np.array([1, 0, 2]), 1)", (2, 3), covers=(S.unrepeat,)),
    helper(f"untile(x, {V3}, (2, 2))", (2, 6), covers=(S.untile,)),
    helper(f"untile(x, {A}, 2)", (2, 6), covers=(S.untile,)),
    helper("unpad(x, 1)", (4, 5), covers=(S.unpad,)),
    helper("unpad(x, ((1, 0), (2, 1)))", (4, 5), covers=(S.unpad,)),
    helper("undiff(x, 2, -1)", (3,), covers=(S.undiff,)),
    helper("undiff(x, 1, 0)", (2, 3), covers=(S.undiff,)),
    helper(f"undiagonal(x, {like((3, 4))}, 1, 0, 1)", (3,), covers=(S.undiagonal,)),
    helper(f"undiagonal(x, {like((3, 2, 4))}, -1, -1, 0)", (2, 3), covers=(S.undiagonal,)),
    helper(f"undiag(x, {V3}, 0)", (3, 3), covers=(S.undiag,)),
    helper(f"undiag(x, {like((3, 4))}, 1)", (3,), covers=(S.undiag,)),
    helper(f"untake(x, {like(4)}, np.array([0, 2, 0]))", (3,), covers=(S.untake,)),
    helper(f"untake(x, {A}, [1, 1], 0)", (2, 3), covers=(S.untake,)),
    helper(f"untake_along_axis(x, {A}, np.array([[0, 0], [2, 1]]), 1)", (2, 2),
           covers=(S.untake_along_axis,)),
    helper(f"untake_along_axis(x, {A}, np.array([4, 4, 0]), None)", (3,),
           covers=(S.untake_along_axis,)),
    helper(f"split_like(x, [{V2}, {V3}], 0)[1]", (5,), covers=(S.split_like,)),
    helper(f"split_like(x, [{A}, {V2}], None)[0]", (8,), covers=(S.split_like,)),
    helper(f"concatenate_like((x, 0.0), ({V2}, {V3}), 0)", (2,),
           covers=(S.concatenate_like,)),
    helper(f"concatenate_like([x, y], [{like((2, 1))}, {like((2, 2))}], -1)", (2, 1), (2, 2),
           covers=(S.concatenate_like,)),
    helper(f"unstack(x, [{V3}, {V3}], 0)[1]", (2, 3), covers=(S.unstack,)),
    helper(f"unstack(x, [{V2}, {V2}, {V2}], -1)[0]", (2, 3), covers=(S.unstack,)),
    helper(f"unhstack(x, [{V2}, {V3}])[0]", (5,), covers=(S.unhstack,)),
    helper(f"unhstack(x, [{like((2, 1))}, {like((2, 2))}])[1]", (2, 3), covers=(S.unhstack,)),
    helper(f"unvstack(x, [{V3}, {A}])[1]", (3, 3), covers=(S.unvstack,)),
    helper(f"uncolumn_stack(x, [{V3}, {like((3, 2))}])[0]", (3, 3),
           covers=(S.uncolumn_stack,)),
    helper(f"unarray(x, [{S0}, {S0}, {S0}])[2]", (3,), covers=(S.unarray,)),
    helper(f"unarray(x, [[{S0}, {S0}], [{S0}, {S0}]])[1][0]", (2, 2), covers=(S.unarray,)),
    helper("unarray(x, [1.0, 2.0])[1] * 2.0", (2,), covers=(S.unarray,), float32=False),
    helper(f"unchoose(x, np.array([0, 1, 0]), [{V3}, 1.0])[0]", (3,), covers=(S.unchoose,)),
    helper("unbincount(x, np.array([0, 3, 3, 1]), np.ones(4, x.dtype))", (5,),
           covers=(S.unbincount,)),
    helper("unbincount(x, np.array([2, 0]), np.ones(2, x.dtype)) * x[1]", (3,),
           covers=(S.unbincount,)),
    helper("float_cast(x, np.float64)", (3,), covers=(S.float_cast,)),
    helper("float_cast(x, np.int64) + x", (3,), covers=(S.float_cast,)),
    helper(f"uncast(x, {V3}, np.float32)", (3,), covers=(S.uncast,)),
    helper(f"uncast(x, {V3}, np.int32) + x", (3,), covers=(S.uncast,)),
]

# Non-differentiable functions and attributes next to differentiable code.
NONDIFF = [
    case("np.zeros(x.shape, x.dtype) + x * x.ndim + x.size + np.shape(x)[0] + np.ndim(x)",
         (2, 3), covers=()),
    case("np.ones_like(x) * x[np.argmax(x)] + np.count_nonzero(x > 0) + x.argmin()", (4,),
         covers=()),
    case("np.eye(3)[0] * x + np.arange(3) * x + x[np.argsort(x)]", (3,), covers=()),
    case("np.unique(np.array([2.0, 1.0, 2.0])) * x + np.arange(len(x)) * x", (2,), covers=()),
]

CASES = SHAPE + JOIN + CONSTRUCT + SELECT + LISTS + NONDIFF + HELPER_CASES

# Cases that fail because of the core compiler, not the rules (see the report).
KNOWN_CORE_GAPS = []
