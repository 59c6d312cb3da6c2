"""NumPy products: dot, matmul and ``@``, tensordot, inner, outer, einsum,
kron, cross and trace.

A product is linear in each operand separately, so its tangent is one term
per operand and the adjoint of an operand contracts ``g`` with the others::

    ans = a @ b           tangent(a_dot @ b + a @ b_dot)
                          a_bar = g @ b.T,   b_bar = a.T @ g

Two conventions keep this exact for every shape and order of derivative:

* **the derivative goes first.** ``linear=`` declares the positions where
  all-zero arguments make the call zero, which for a product (linear in each
  operand *separately*) can only be one of them: so each product is declared
  linear in its first operand, and every term puts the tangent (or ``g``)
  first. ``a`` times ``b_dot`` is written with ``b_dot`` first: through
  ``@``, which the simplifier knows is bilinear, through
  ``np.cross(b, a) == -np.cross(a, b)``, or as an einsum with its operands
  reordered. A constant operand then costs nothing in forward mode.
* **einsum is the general contraction.** ``contract(spec, t, ...)`` is
  ``np.einsum`` with the operands that are ``None`` left out; ``spec`` is a
  subscripts string or a ``Spec`` computed by ``moved_first`` (the same
  contraction with operand ``i`` first) or ``adjoint_subscripts`` (the
  contraction that gives operand ``i``'s adjoint, including the identity
  matrices a repeated index needs and the vectors of ones an index summed in
  that operand alone needs). dot, inner, tensordot and kron describe
  themselves as einsum subscripts and reuse it; ``@`` keeps BLAS speed with
  ``as_matrix``/``matrix_cotangent``/``matmul_fit`` for 1-D operands and
  broadcast batch axes.

Every helper generated code calls has a rule of its own (the structural
ones are linear), so derivatives can be differentiated again. ``out=`` is
not a parameter of these rules: passing it is an error when the derivative
is built.
"""

from __future__ import annotations

import functools
import operator
import string
from dataclasses import dataclass

import numpy as np

from ..runtime import broadcast_like, unbroadcast
from .registry import adjoint, nondiff, rule, tangent

# --------------------------------------------------------------------------
# einsum subscripts with every index explicit


@dataclass(frozen=True)
class Spec:
    """An einsum with explicit indices: one term per operand, the output, and
    constant factors appended as extra operands: ``(letters, n)`` is a vector
    of ``n`` ones for one letter, an ``n``-by-``n`` identity for two."""

    terms: tuple
    output: str
    extras: tuple = ()
    sizes: tuple = ()            # ((letter, size), ...)
    dtype: object = None         # cast the result to it (an adjoint: the operand's dtype)

    @functools.cached_property
    def subscripts(self) -> str:
        return ",".join(self.terms + tuple(l for l, _ in self.extras)) + "->" + self.output

    def factors(self) -> list:
        return [np.ones(n, dtype=bool) if len(l) == 1 else np.eye(n, dtype=bool)
                for l, n in self.extras]

    def __str__(self) -> str:
        return self.subscripts


def _shapes(*ops) -> tuple:
    return tuple(np.shape(o) for o in ops if o is not None)


@functools.lru_cache(maxsize=1024)
def _parse(subscripts: str, shapes: tuple) -> Spec:
    """Expand ``...``, implicit output and broadcast (length-1) axes."""
    s = subscripts.replace(" ", "")
    lhs, arrow, rhs = s.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum subscripts {subscripts!r} name {len(terms)} operands, "
                         f"but {len(shapes)} were given (wengert's einsum rule takes at "
                         "most four)")
    free = (c for c in string.ascii_letters if c not in s)
    n_ell = max((len(sh) - len(t.replace("...", "")) for t, sh in zip(terms, shapes)
                 if "..." in t), default=0)
    ell = "".join(next(free) for _ in range(n_ell))
    terms = [t.replace("...", ell[n_ell - (len(sh) - len(t) + 3):]) if "..." in t else t
             for t, sh in zip(terms, shapes)]
    if arrow:
        output = rhs.replace("...", ell)
    else:
        once = [c for c in sorted(set(lhs)) if c.isalpha() and lhs.count(c) == 1]
        output = ell + "".join(once)
    size = {}
    for t, sh in zip(terms, shapes):
        for c, n in zip(t, sh):
            size[c] = max(size.get(c, 1), n)
    terms = ["".join(next(free) if n == 1 and size[c] > 1 else c for c, n in zip(t, sh))
             for t, sh in zip(terms, shapes)]      # a broadcast axis gets its own index
    for t, sh in zip(terms, shapes):
        size.update(zip(t, sh))
    return Spec(tuple(terms), output, (), tuple(sorted(size.items())))


def _present(ops) -> tuple:
    """Which of the operands are given (not None)."""
    return tuple(o is not None for o in ops)


def _float_dtype(x):
    dtype = getattr(x, "dtype", None)
    return dtype if dtype is not None and dtype.kind == "f" else None


def _cast_like(t, x):
    """``t`` in ``x``'s floating dtype (the adjoint of type promotion)."""
    dtype = _float_dtype(x)
    return t.astype(dtype) if dtype is not None and t.dtype != dtype else t


def moved_first(subscripts, i, a, b=None, c=None, d=None) -> Spec:
    """The contraction ``subscripts`` with operand ``i`` moved to the front."""
    ops = (a, b, c, d)
    return _derived(subscripts, _shapes(*ops), _present(ops), i, "first", None)


def adjoint_subscripts(subscripts, i, a, b=None, c=None, d=None) -> Spec:
    """The contraction ``(g, the other operands) -> operand i``: the adjoint
    of operand ``i``, in its dtype. A repeated index of that operand becomes
    an identity factor, an index found nowhere else a factor of ones."""
    ops = (a, b, c, d)
    return _derived(subscripts, _shapes(*ops), _present(ops), i, "adjoint",
                    _float_dtype(ops[i]))


@functools.lru_cache(maxsize=2048)
def _derived(subscripts, shapes, present, i, what, dtype) -> Spec:
    spec = subscripts if isinstance(subscripts, Spec) else _parse(subscripts, shapes)
    k = sum(present[:i])                  # position of operand i among those given
    if what == "first":
        return _moved_first(spec, k)
    return _adjoint(spec, k, dtype)


def _moved_first(spec: Spec, k: int) -> Spec:
    terms = (spec.terms[k],) + spec.terms[:k] + spec.terms[k + 1:]
    return Spec(terms, spec.output, spec.extras, spec.sizes)


def _adjoint(spec: Spec, k: int, dtype) -> Spec:
    others = spec.terms[:k] + spec.terms[k + 1:]
    size = dict(spec.sizes)
    used = set("".join(spec.terms) + spec.output + "".join(l for l, _ in spec.extras))
    free = (ch for ch in string.ascii_letters if ch not in used)
    target, extras = "", list(spec.extras)
    for ch in spec.terms[k]:
        if ch in target:                      # a diagonal: delta(ch, new)
            new = next(free)
            size[new] = size[ch]
            extras.append((ch + new, size[ch]))
            ch = new
        target += ch
    elsewhere = set(spec.output + "".join(others) + "".join(l for l, _ in extras))
    for ch in spec.terms[k]:
        if ch not in elsewhere:               # summed in operand i alone
            extras.append((ch, size[ch]))
            elsewhere.add(ch)
    return Spec((spec.output,) + others, target, tuple(extras), tuple(sorted(size.items())),
                dtype)


def subscripts_only(subscripts):
    """Refuse an einsum whose first argument is an array (the sublist form
    ``np.einsum(a, [0, 1], b, [1, 2])``), which would otherwise be taken
    for a constant: its rule reads ``subscripts`` as a string."""
    raise NotImplementedError("wengert's rule for np.einsum takes a subscripts string, "
                              "not the sublist form np.einsum(a, [0, 1], b, [1, 2])")


def contract(subscripts, a, b=None, c=None, d=None, optimize=False):
    """``np.einsum(subscripts, a, b, c, d)`` leaving out operands that are
    None; ``subscripts`` may be a ``Spec`` (with its constant factors)."""
    ops = [o for o in (a, b, c, d) if o is not None]
    dtype = None
    if isinstance(subscripts, Spec):
        ops += subscripts.factors()
        subscripts, dtype = subscripts.subscripts, subscripts.dtype
    if not optimize and (len(ops) > 2 or sum(getattr(o, "size", 1) for o in ops) > 4096):
        optimize = True                       # contraction order and BLAS pay off
    out = np.einsum(subscripts, *ops, optimize=optimize)
    return out.astype(dtype) if dtype is not None and out.dtype != dtype else out


# --------------------------------------------------------------------------
# other products as einsum subscripts


def _letters(n, start=0) -> str:
    return string.ascii_letters[start:start + n]


def tensordot_subscripts(a, b, axes=2) -> str:
    """``np.tensordot(a, b, axes)`` as einsum subscripts."""
    if not isinstance(axes, int):
        axes = tuple(x if isinstance(x, int) else tuple(x) for x in axes)
    return _tensordot_subscripts(np.ndim(a), np.ndim(b), axes)


@functools.lru_cache(maxsize=256)
def _tensordot_subscripts(na, nb, axes) -> str:
    if isinstance(axes, int):
        ia, ib = list(range(na - axes, na)), list(range(axes))
    else:
        ia, ib = ([x] if isinstance(x, int) else list(x) for x in axes)
    ia, ib = [x % na for x in ia], [x % nb for x in ib]
    ta, tb = list(_letters(na)), list(_letters(nb, na))
    for x, y in zip(ia, ib):
        tb[y] = ta[x]
    out = [ch for k, ch in enumerate(ta) if k not in ia] + \
          [ch for k, ch in enumerate(tb) if k not in ib]
    return "".join(ta) + "," + "".join(tb) + "->" + "".join(out)


def dot_subscripts(a, b) -> str:
    """``np.dot(a, b)`` as einsum subscripts (a sum over the last axis of ``a``
    and the second-to-last of ``b``)."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return _tensordot_subscripts(na, nb, 0)
    return _tensordot_subscripts(na, nb, ((na - 1,), (max(nb - 2, 0),)))


def inner_subscripts(a, b) -> str:
    """``np.inner(a, b)`` as einsum subscripts (a sum over both last axes)."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return _tensordot_subscripts(na, nb, 0)
    return _tensordot_subscripts(na, nb, ((na - 1,), (nb - 1,)))


def kron_subscripts(a, b, first=0) -> Spec:
    """``np.kron(a, b)`` before its final reshape: the interleaved outer
    product ``(a0, b0, a1, b1, ...)``, with operand ``first`` first."""
    na, nb = np.ndim(a), np.ndim(b)
    n = max(na, nb)
    ta, tb = _letters(na), _letters(nb, na)
    pa, pb = _letters(n - na, na + nb), _letters(n - nb, na + nb + n - na)
    ia, ib = pa + ta, pb + tb                 # shorter shapes get leading 1s
    output = "".join(x + y for x, y in zip(ia, ib))
    extras = tuple((ch, 1) for ch in pa + pb)
    sizes = tuple(zip(ta + tb, np.shape(a) + np.shape(b))) + tuple((ch, 1) for ch in pa + pb)
    terms = (ta, tb) if first == 0 else (tb, ta)
    return Spec(terms, output, extras, tuple(sorted(sizes)))


def kron_split(t, a, b):
    """A ``np.kron(a, b)``-shaped ``t`` reshaped to ``(a0, b0, a1, b1, ...)``."""
    n = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (n - np.ndim(a)) + np.shape(a)
    sb = (1,) * (n - np.ndim(b)) + np.shape(b)
    return np.reshape(t, tuple(d for pair in zip(sa, sb) for d in pair))


def kron_merge(t):
    """``(a0, b0, a1, b1, ...)`` merged pairwise to ``(a0*b0, a1*b1, ...)``."""
    s = np.shape(t)
    return np.reshape(t, tuple(s[k] * s[k + 1] for k in range(0, len(s), 2)))


# --------------------------------------------------------------------------
# structural helpers (linear in their first argument)


def reshape_like(t, x):
    """``t`` reshaped to the shape of ``x`` (and in its floating dtype)."""
    return _cast_like(np.reshape(t, np.shape(x)), x)


def flat(x):
    """``x`` as a 1-D array."""
    return np.reshape(x, (-1,))


def mT(x):
    """Swap the last two axes (the matrix transpose of a stack)."""
    return np.swapaxes(x, -1, -2)


def as_matrix(x, axis):
    """A 1-D matmul operand as the matrix NumPy takes it for: a row
    (``axis=-2``) on the left, a column (``axis=-1``) on the right."""
    return np.expand_dims(x, axis) if np.ndim(x) == 1 else x


def matrix_cotangent(t, a, b):
    """``t``, shaped like ``a @ b``, with the axes matmul drops for 1-D
    operands put back (the shape of ``as_matrix(a, -2) @ as_matrix(b, -1)``)."""
    if np.ndim(b) == 1:
        t = np.expand_dims(t, -1)
    if np.ndim(a) == 1:
        t = np.expand_dims(t, -2)
    return t


def matmul_fit(t, x, axis):
    """Sum ``t`` over the batch axes ``x`` was broadcast along and drop the
    axis ``as_matrix(x, axis)`` added: the adjoint of using ``x`` in matmul."""
    return reshape_like(unbroadcast(t, as_matrix(x, axis)), x)


def trace_adjoint(t, a, offset=0, axis1=0, axis2=1):
    """Zeros shaped like ``a`` with ``t`` on the diagonal ``np.trace`` sums."""
    s = np.shape(a)
    n, m = s[axis1], s[axis2]
    diagonal = np.eye(n, m, k=offset, dtype=bool)
    if np.ndim(t):
        t = np.expand_dims(t, (-2, -1))
    return _cast_like(np.moveaxis(t * diagonal, (-2, -1), (axis1, axis2)), a)


# --------------------------------------------------------------------------
# rules: the products


@rule(np.matmul, operator.matmul, bilinear=("a", "b"))
def matmul(a, b):
    tangent(a_dot @ b + a @ b_dot)
    adjoint(a=matmul_adjoint_a(g, a, b), b=matmul_adjoint_b(g, a, b))


def matmul_adjoint_a(t, a, b):
    """``d/da <t, a @ b>``: plain BLAS products for vectors and matrices,
    batched (broadcast) stacks through the general helpers."""
    if np.ndim(a) <= 2 and np.ndim(b) <= 2:
        return dot_adjoint_a(t, a, b)
    return matmul_fit(matrix_cotangent(t, a, b) @ mT(as_matrix(b, -1)), a, -2)


def matmul_adjoint_b(t, a, b):
    """``d/db <t, a @ b>``."""
    if np.ndim(a) <= 2 and np.ndim(b) <= 2:
        return dot_adjoint_b(t, a, b)
    return matmul_fit(mT(as_matrix(a, -2)) @ matrix_cotangent(t, a, b), b, -1)


@rule(np.dot, methods=("dot",), bilinear=("a", "b"))
def dot(a, b):
    tangent(np.dot(a_dot, b) + np.dot(a, b_dot))
    adjoint(a=dot_adjoint_a(g, a, b), b=dot_adjoint_b(g, a, b))


def dot_adjoint_a(t, a, b):
    """``d/da <t, np.dot(a, b)>``: BLAS products for vectors and matrices."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(t * b, a) if na == 0 else t * b
    if na <= 2 and nb <= 2:
        if nb == 1:
            return np.multiply.outer(t, b) if na == 2 else t * b
        return np.dot(b, t) if na == 1 else np.dot(t, b.T)
    return contract(adjoint_subscripts(dot_subscripts(a, b), 0, a, b), t, b)


def dot_adjoint_b(t, a, b):
    """``d/db <t, np.dot(a, b)>``."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(t * a, b) if nb == 0 else t * a
    if na <= 2 and nb <= 2:
        if na == 1:
            return np.multiply.outer(a, t) if nb == 2 else t * a
        return np.dot(t, a) if nb == 1 else np.dot(a.T, t)
    return contract(adjoint_subscripts(dot_subscripts(a, b), 1, a, b), t, a)


@rule(matmul_adjoint_a, bilinear=("t", "b"), zero_derivative=("a",))
def matmul_adjoint_a_(t, a, b):
    tangent(matmul_adjoint_a(t_dot, a, b) + matmul_adjoint_a(t, a, b_dot))
    adjoint(t=g @ b, b=matmul_adjoint_b(t, g, b))


@rule(matmul_adjoint_b, bilinear=("t", "a"), zero_derivative=("b",))
def matmul_adjoint_b_(t, a, b):
    tangent(matmul_adjoint_b(t_dot, a, b) + matmul_adjoint_b(t, a_dot, b))
    adjoint(t=a @ g, a=matmul_adjoint_a(t, a, g))


@rule(dot_adjoint_a, bilinear=("t", "b"), zero_derivative=("a",))
def dot_adjoint_a_(t, a, b):
    tangent(dot_adjoint_a(t_dot, a, b) + dot_adjoint_a(t, a, b_dot))
    adjoint(t=np.dot(g, b), b=dot_adjoint_b(t, g, b))


@rule(dot_adjoint_b, bilinear=("t", "a"), zero_derivative=("b",))
def dot_adjoint_b_(t, a, b):
    tangent(dot_adjoint_b(t_dot, a, b) + dot_adjoint_b(t, a_dot, b))
    adjoint(t=np.dot(a, g), a=dot_adjoint_a(t, a, g))


@rule(np.vdot, bilinear=("a", "b"),
      notes="real arrays (a complex `a` is conjugated: not differentiated)")
def vdot(a, b):
    tangent(np.vdot(a_dot, b) + np.vdot(a, b_dot))
    adjoint(a=np.reshape(g * b, np.shape(a)), b=np.reshape(g * a, np.shape(b)))


@rule(np.inner, linear=("a",))
def inner(a, b):
    tangent(np.inner(a_dot, b) + contract(moved_first(inner_subscripts(a, b), 1, a, b), b_dot, a))
    adjoint(a=contract(adjoint_subscripts(inner_subscripts(a, b), 0, a, b), g, b),
            b=contract(adjoint_subscripts(inner_subscripts(a, b), 1, a, b), g, a))


@rule(np.tensordot, linear=("a",))
def tensordot(a, b, axes=2):
    tangent(np.tensordot(a_dot, b, axes=axes)
            + contract(moved_first(tensordot_subscripts(a, b, axes=axes), 1, a, b), b_dot, a))
    adjoint(a=contract(adjoint_subscripts(tensordot_subscripts(a, b, axes=axes), 0, a, b), g, b),
            b=contract(adjoint_subscripts(tensordot_subscripts(a, b, axes=axes), 1, a, b), g, a))


@rule(np.outer, linear=("a",), notes="operands are flattened, as in NumPy")
def outer(a, b):
    tangent(np.outer(a_dot, b) + mT(np.outer(b_dot, a)))
    adjoint(a=reshape_like(np.dot(g, flat(b)), a), b=reshape_like(np.dot(flat(a), g), b))


@rule(np.kron, linear=("a",))
def kron(a, b):
    tangent(np.kron(a_dot, b) + kron_merge(contract(kron_subscripts(a, b, 1), b_dot, a)))
    adjoint(a=contract(adjoint_subscripts(kron_subscripts(a, b), 0, a, b), kron_split(g, a, b), b),
            b=contract(adjoint_subscripts(kron_subscripts(a, b), 1, a, b), kron_split(g, a, b), a))


def _vectors_of_three(bound, kinds, loc):
    """Refuse ``np.cross`` of 2-vectors (deprecated in NumPy 2; their cross
    product is a scalar the rule's adjoints do not make)."""
    from .. import ir
    from ..analysis import expr_kind
    from ..errors import NoRuleError
    for p, axis in (("a", bound.get("axisa")), ("b", bound.get("axisb"))):
        k = expr_kind(bound[p], kinds)
        axis = bound.get("axis") if isinstance(bound.get("axis"), ir.Const) and \
            bound["axis"].value is not None else axis
        if k is None or k.pyfloat or not k.shape or min(k.shape) < 0 or \
                not isinstance(axis, ir.Const) or type(axis.value) is not int:
            continue
        if k.shape[axis.value] == 2:
            raise NoRuleError(
                "np.cross of vectors of length 2 (deprecated in NumPy 2: their cross "
                "product is the scalar a[0] * b[1] - a[1] * b[0]) has no derivative rule", loc,
                hint="write `a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]`, or pad the "
                     "vectors to length 3")


@rule(np.cross, linear=("a",), check=_vectors_of_three,
      notes="vectors of length 3 (2-vectors, deprecated in NumPy 2, are refused)")
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    tangent(np.cross(a_dot, b, axisa=axisa, axisb=axisb, axisc=axisc, axis=axis)
            - np.cross(b_dot, a, axisa=axisb, axisb=axisa, axisc=axisc, axis=axis))
    adjoint(a=unbroadcast(np.cross(b, g, axisa=axisb, axisb=axisc, axisc=axisa, axis=axis), a),
            b=unbroadcast(np.cross(g, a, axisa=axisc, axisb=axisa, axisc=axisb, axis=axis), b))


def _four_operands(bound, kinds, loc):
    """Refuse an einsum of more than four operands (the rule's ``*more``)
    when the derivative is built, rather than bind the fifth to ``optimize``."""
    from .. import ir
    from ..errors import NoRuleError
    more = bound.get("more")
    if more is None or (isinstance(more, ir.Const) and not more.value):
        return
    extra = len(more.value) if isinstance(more, ir.Const) else len(more.args)
    raise NoRuleError(
        f"`np.einsum` called with {4 + extra} operands: wengert's rule for np.einsum "
        "takes at most 4 operands after the subscripts string", loc,
        hint="contract in steps of at most four operands: np.einsum('i,i,i,i,i->', a, b, c, "
             "d, e) is np.einsum('i,i->', np.einsum('i,i,i,i->i', a, b, c, d), e)")


@rule(np.einsum, contract, linear=("a",), check=_four_operands,
      notes="up to four operands after a subscripts string (explicit or implicit "
            "output, '...', repeated indices, broadcasting); the sublist form "
            "einsum(a, [0, 1], b, [1, 2]) is refused (write the subscripts as a string); "
            "out= and dtype= "
            "are not supported; five or more operands are refused")
def einsum(subscripts, a, b=None, c=None, d=None, *more, optimize=False):
    tangent(contract(subscripts, a_dot, b, c=c, d=d)
            + contract(moved_first(subscripts, 1, a, b, c=c, d=d), b_dot, a, c=c, d=d)
            + contract(moved_first(subscripts, 2, a, b, c, d=d), c_dot, a, b, d=d)
            + contract(moved_first(subscripts, 3, a, b, c, d), d_dot, a, b, c))
    adjoint(a=contract(adjoint_subscripts(subscripts, 0, a, b, c=c, d=d), g, b, c=c, d=d),
            b=contract(adjoint_subscripts(subscripts, 1, a, b, c=c, d=d), g, a, c=c, d=d),
            c=contract(adjoint_subscripts(subscripts, 2, a, b, c, d=d), g, a, b, d=d),
            d=contract(adjoint_subscripts(subscripts, 3, a, b, c, d), g, a, b, c))


@rule(np.trace, methods=("trace",), linear=("a",))
def trace(a, offset=0, axis1=0, axis2=1, dtype=None):
    tangent(np.trace(a_dot, offset=offset, axis1=axis1, axis2=axis2, dtype=dtype))
    adjoint(a=trace_adjoint(g, a, offset=offset, axis1=axis1, axis2=axis2))


# --------------------------------------------------------------------------
# rules for the structural helpers (all linear)


@rule(reshape_like, linear=("t",))
def reshape_like_(t, x):
    tangent(reshape_like(t_dot, x))
    adjoint(t=reshape_like(g, t))


@rule(flat, linear=("x",))
def flat_(x):
    tangent(flat(x_dot))
    adjoint(x=reshape_like(g, x))


@rule(mT, linear=("x",))
def mT_(x):
    tangent(mT(x_dot))
    adjoint(x=mT(g))


@rule(as_matrix, linear=("x",))
def as_matrix_(x, axis):
    tangent(as_matrix(x_dot, axis))
    adjoint(x=reshape_like(g, x))


@rule(matrix_cotangent, linear=("t",))
def matrix_cotangent_(t, a, b):
    tangent(matrix_cotangent(t_dot, a, b))
    adjoint(t=reshape_like(g, t))


@rule(matmul_fit, linear=("t",))
def matmul_fit_(t, x, axis):
    tangent(matmul_fit(t_dot, x, axis))
    adjoint(t=broadcast_like(as_matrix(g, axis), t))


@rule(kron_split, linear=("t",))
def kron_split_(t, a, b):
    tangent(kron_split(t_dot, a, b))
    adjoint(t=reshape_like(g, t))


@rule(kron_merge, linear=("t",))
def kron_merge_(t):
    tangent(kron_merge(t_dot))
    adjoint(t=reshape_like(g, t))


@rule(trace_adjoint, linear=("t",))
def trace_adjoint_(t, a, offset=0, axis1=0, axis2=1):
    tangent(trace_adjoint(t_dot, a, offset=offset, axis1=axis1, axis2=axis2))
    adjoint(t=np.trace(g, offset=offset, axis1=axis1, axis2=axis2))


nondiff(moved_first, adjoint_subscripts, tensordot_subscripts, dot_subscripts,
        inner_subscripts, kron_subscripts, subscripts_only,
        notes="index bookkeeping: no derivative")
