"""Rule cases for the products family (see rulecheck/cases.py).

Products are bilinear, so each is checked with both operands varied and with
one of them constant (forward mode must then drop the constant's term
without materialising a zero), over 1-D, 2-D, n-D and 0-d operands and, for
matmul and einsum, broadcast batch axes.
"""

import operator

import numpy as np

from wengert.rules import numpy_products

from . import Arg, Case


def pair_cases(fn, spelling, pairs, infix=None, extra="", **kw):
    """``fn(x, y)`` for each shape pair, plus ``fn(x, C)`` and ``fn(C, y)``
    with a constant ``C`` (so only one operand carries a derivative)."""
    out = []
    for sx, sy in pairs:
        def expr(a, b):
            return f"{a} {infix} {b}" if infix else f"{spelling}({a}, {b}{extra})"
        out.append(Case(expr("x", "y"), {"x": Arg(sx), "y": Arg(sy)}, covers=(fn,), **kw))
        out.append(Case(expr("x", f"np.full({sy}, 0.5, np.float32)"), {"x": Arg(sx)},
                        covers=(fn,), **kw))
        out.append(Case(expr(f"np.full({sx}, 0.5, np.float32)", "y"), {"y": Arg(sy)},
                        covers=(fn,), **kw))
    return out


MATMUL_PAIRS = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                ((5, 2, 3), (3, 4)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,)),
                ((5, 1, 2, 3), (4, 3, 2)), ((1, 2, 3), (5, 3, 2))]
DOT_PAIRS = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
             ((5, 2, 3), (3, 4)), ((2, 3), (4, 3, 2)), ((3,), (4, 3, 2)), ((), (2, 3)),
             ((2, 3), ())]
INNER_PAIRS = [((3,), (3,)), ((2, 3), (3,)), ((3,), (4, 3)), ((2, 3), (4, 3)),
               ((5, 2, 3), (4, 3)), ((), (2, 3))]

CASES = (
    pair_cases(operator.matmul, "", MATMUL_PAIRS, infix="@")
    + pair_cases(np.matmul, "np.matmul", MATMUL_PAIRS[:5])
    + pair_cases(np.dot, "np.dot", DOT_PAIRS)
    + pair_cases(np.inner, "np.inner", INNER_PAIRS)
    + pair_cases(np.vdot, "np.vdot", [((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (6,)),
                                      ((), ())])
    + pair_cases(np.outer, "np.outer", [((3,), (2,)), ((2, 3), (2,)), ((), (3,))])
    + pair_cases(np.kron, "np.kron", [((3,), (2,)), ((2, 3), (2, 2)), ((2, 3), (2,)),
                                      ((3,), (2, 2)), ((), (3,)), ((1, 2, 2), (2, 3))])
    + pair_cases(np.cross, "np.cross", [((3,), (3,)), ((2, 3), (3,)), ((4, 1, 3), (2, 3))])
    + pair_cases(np.cross, "np.cross", [((3, 2), (3, 2))], extra=", axis=0")
    + pair_cases(np.cross, "np.cross", [((3, 2), (2, 3))], extra=", axisa=0, axisc=0")
    + pair_cases(np.tensordot, "np.tensordot", [((2, 3), (2, 3)), ((2, 3, 4), (3, 4, 5))])
    + pair_cases(np.tensordot, "np.tensordot", [((2, 3), (3, 4)), ((3,), (2,)), ((), (2,))],
                 extra=", axes=0")
    + pair_cases(np.tensordot, "np.tensordot", [((2, 3), (3, 4)), ((2, 3, 4), (4, 5))],
                 extra=", axes=1")
    + pair_cases(np.tensordot, "np.tensordot", [((2, 3, 4), (4, 3, 5))],
                 extra=", axes=([1, 2], [1, 0])")
    + pair_cases(np.tensordot, "np.tensordot", [((2, 3), (4, 3))], extra=", axes=(-1, -1)")
    + pair_cases(np.tensordot, "np.tensordot", [((2, 3), (3, 2))], extra=", axes=[(0, 1), (1, 0)]")
)

# methods, and products in context
CASES += [
    Case("x.dot(y)", {"x": Arg((2, 3)), "y": Arg((3, 4))}, covers=(np.dot,)),
    Case("x.dot(y)", {"x": Arg((3,)), "y": Arg((3,))}, covers=(np.dot,)),
    Case("np.tanh(x @ y) @ x", {"x": Arg((3, 3)), "y": Arg((3, 3))},
         covers=(operator.matmul,)),
    Case("np.dot(x, x)", {"x": Arg((3, 3))}, covers=(np.dot,)),
    Case("x @ x", {"x": Arg((2, 3, 3))}, covers=(operator.matmul,)),
    Case("np.inner(x, x)", {"x": Arg((2, 3))}, covers=(np.inner,)),
    Case("np.vdot(x, x)", {"x": Arg((2, 3))}, covers=(np.vdot,)),
    Case("np.kron(x, x)", {"x": Arg((2, 2))}, covers=(np.kron,)),
    Case("np.cross(x, x[::-1])", {"x": Arg((3,))}, covers=(np.cross,)),
]

# einsum: explicit and implicit output, '...', repeated indices, broadcasting
EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),
    ("i,j->ij", [(3,), (2,)]),
    ("bA,Ac", [(2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(5, 1, 2, 3), (4, 3, 2)]),
    ("i...,i", [(2, 4, 3), (2,)]),
    ("...,...", [(2, 1), (3,)]),
    (",ij->ij", [(), (2, 3)]),
    ("ii,i->", [(3, 3), (3,)]),
    ("ijk,ji->k", [(3, 3, 2), (3, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ij,jk,kl,lm->im", [(2, 3), (3, 4), (4, 2), (2, 2)]),
    ("ij,ik,il->jkl", [(2, 2), (2, 3), (2, 2)]),
    ("ii->", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("iij->j", [(3, 3, 2)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("...i->...", [(2, 3, 4)]),
]
_NAMES = "xyzw"
for subs, shapes in EINSUM:
    names = _NAMES[:len(shapes)]
    CASES.append(Case(f"np.einsum('{subs}', {', '.join(names)})",
                      {n: Arg(s) for n, s in zip(names, shapes)}, covers=(np.einsum,)))
CASES += [
    Case("np.einsum('ij,jk->ik', x, np.full((3, 4), 0.5, np.float32))", {"x": Arg((2, 3))},
         covers=(np.einsum,)),
    Case("np.einsum('ij,jk,kl->il', np.full((2, 3), 0.5), x, np.full((4, 2), 0.5))",
         {"x": Arg((3, 4))}, covers=(np.einsum,)),      # float64 constants: cast back
    Case("np.einsum('ij,jk,kl->il', np.full((2, 3), 0.5, np.float32), x, "
         "np.eye(4, 2, dtype=np.float32))", {"x": Arg((3, 4))}, covers=(np.einsum,)),
    Case("np.einsum('ij,jk->ik', x, y, optimize=True)", {"x": Arg((2, 3)), "y": Arg((3, 4))},
         covers=(np.einsum,)),
    Case("np.einsum('ij,ij->i', x, x)", {"x": Arg((2, 3))}, covers=(np.einsum,)),
]

# trace
CASES += [
    Case("np.trace(x)", {"x": Arg((3, 3))}, covers=(np.trace,)),
    Case("np.trace(x)", {"x": Arg((2, 3))}, covers=(np.trace,)),
    Case("np.trace(x, 1)", {"x": Arg((3, 4))}, covers=(np.trace,)),
    Case("np.trace(x, offset=-1)", {"x": Arg((3, 3))}, covers=(np.trace,)),
    Case("np.trace(x, axis1=1, axis2=2)", {"x": Arg((4, 3, 3))}, covers=(np.trace,)),
    Case("np.trace(x, 0, -1, 0)", {"x": Arg((3, 2, 3))}, covers=(np.trace,)),
    Case("x.trace()", {"x": Arg((3, 3))}, covers=(np.trace,)),
    Case("np.trace(x @ y)", {"x": Arg((2, 3)), "y": Arg((3, 2))}, covers=(np.trace,)),
]

# the helpers generated code calls (their rules serve higher derivatives);
# a float64 array that only gives a shape makes them float64-only cases
def helper_case(expr, args, *names):
    return Case(expr, args, covers=(getattr(numpy_products, names[0]),),
                imports=f"from wengert.rules.numpy_products import {', '.join(names)}",
                float32="np.zeros" not in expr)


CASES += [
    helper_case("contract('ij,jk->ik', x, y)", {"x": Arg((2, 3)), "y": Arg((3, 4))}, "contract"),
    helper_case("contract(adjoint_subscripts('ii->', 0, np.zeros((3, 3))), x)", {"x": Arg(())},
                "contract", "adjoint_subscripts"),
    helper_case("contract(moved_first('ij,jk,kl->il', 2, x, y, z), z, x, y)",
                {"x": Arg((2, 3)), "y": Arg((3, 4)), "z": Arg((4, 2))},
                "contract", "moved_first"),
    helper_case("reshape_like(x, np.zeros((2, 3)))", {"x": Arg((6,))}, "reshape_like"),
    helper_case("flat(x)", {"x": Arg((2, 3))}, "flat"),
    helper_case("mT(x)", {"x": Arg((4, 2, 3))}, "mT"),
    helper_case("as_matrix(x, -2)", {"x": Arg((3,))}, "as_matrix"),
    helper_case("as_matrix(x, -1)", {"x": Arg((2, 3))}, "as_matrix"),
    helper_case("matrix_cotangent(x, np.zeros(3), np.zeros(3))", {"x": Arg(())},
                "matrix_cotangent"),
    helper_case("matrix_cotangent(x, np.zeros((2, 3)), np.zeros(3))", {"x": Arg((2,))},
                "matrix_cotangent"),
    helper_case("matmul_fit(x, np.zeros(3), -2)", {"x": Arg((4, 1, 3))}, "matmul_fit"),
    helper_case("matmul_fit(x, np.zeros((1, 2, 3)), -2)", {"x": Arg((4, 2, 3))}, "matmul_fit"),
    helper_case("kron_split(x, np.zeros((2, 3)), np.zeros(2))", {"x": Arg((2, 6))},
                "kron_split"),
    helper_case("kron_merge(x)", {"x": Arg((2, 3, 2, 2))}, "kron_merge"),
    helper_case("trace_adjoint(x, np.zeros((3, 4)), 1)", {"x": Arg(())}, "trace_adjoint"),
    helper_case("trace_adjoint(x, np.zeros((2, 3, 3)), 0, 1, 2)", {"x": Arg((2,))},
                "trace_adjoint"),
]

# second derivatives: the gradient's own derivative, in both modes, through
# the rules of the helpers above
def second_order(expr, shapes, covers):
    names = ", ".join(shapes)
    args = {k: Arg(s) for k, s in shapes.items()}
    return [Case(f"wengert.grad(_h, wrt={i})({names})", args, covers=covers,
                 imports=f"\ndef _h({names}):\n    return {expr}\n",
                 id=f"second order d/d{name}: {expr} {tuple(shapes.values())}")
            for i, name in enumerate(shapes)]


CASES += [
    c for expr, shapes, covers in [
        ("np.sum((x @ y) ** 2)", {"x": (2, 3), "y": (3, 4)}, (operator.matmul,)),
        ("np.sum((x @ y) ** 2)", {"x": (3,), "y": (5, 3, 4)}, (operator.matmul,)),
        ("np.sum((x @ y) ** 2)", {"x": (5, 1, 2, 3), "y": (4, 3, 2)}, (operator.matmul,)),
        ("np.sum((x @ y) ** 2)", {"x": (5, 2, 3), "y": (3,)}, (operator.matmul,)),
        ("np.sum(np.dot(x, y) ** 2)", {"x": (2, 3), "y": (4, 3, 2)}, (np.dot,)),
        ("np.sum(np.dot(x, x) ** 2)", {"x": (3, 3)}, (np.dot,)),
        ("np.sum(np.inner(x, y) ** 2)", {"x": (2, 3), "y": (4, 3)}, (np.inner,)),
        ("np.sum(np.tensordot(x, y, axes=([1, 2], [1, 0])) ** 2)",
         {"x": (2, 3, 4), "y": (4, 3, 5)}, (np.tensordot,)),
        ("np.sum(np.outer(x, y) ** 2)", {"x": (2, 3), "y": (2,)}, (np.outer,)),
        ("np.sum(np.kron(x, y) ** 2)", {"x": (2, 3), "y": (2,)}, (np.kron,)),
        ("np.sum(np.cross(x, y) ** 2)", {"x": (2, 3), "y": (3,)}, (np.cross,)),
        ("np.sum(np.einsum('ij,jk->ik', x, y) ** 2)", {"x": (2, 3), "y": (3, 4)}, (np.einsum,)),
        ("np.sum(np.einsum('ii,i->i', x, y) ** 2)", {"x": (3, 3), "y": (3,)}, (np.einsum,)),
        ("np.sum(np.einsum('...ij,...jk->...ik', x, y) ** 2)",
         {"x": (5, 1, 2, 3), "y": (4, 3, 2)}, (np.einsum,)),
        ("np.sum(np.einsum('ij,jk,kl->il', x, y, z) ** 2)",
         {"x": (2, 3), "y": (3, 4), "z": (4, 2)}, (np.einsum,)),
        ("np.trace(x) ** 3", {"x": (3, 3)}, (np.trace,)),
        ("np.sum(np.trace(x, 1, 0, 2) ** 3)", {"x": (3, 2, 4)}, (np.trace,)),
    ]
    for c in second_order(expr, shapes, covers)
]

# the adjoint helpers of np.dot and @, differentiated directly (they appear in
# generated gradients, so second derivatives go through their rules). The
# operand the helper reads only for its shape is a float64 constant, so these
# cases are float64 only.
_DOT_HELPER_SHAPES = [((3,), (3,), ()), ((2, 3), (3,), (2,)), ((3,), (3, 4), (4,)),
                      ((2, 3), (3, 4), (2, 4)), ((), (2, 3), (2, 3)), ((2, 3), (), (2, 3))]
_MATMUL_HELPER_SHAPES = [((2, 3), (3, 4), (2, 4)), ((3,), (3, 4), (4,)), ((2, 3), (3,), (2,)),
                         ((5, 2, 3), (3, 4), (5, 2, 4)), ((2, 3), (4, 3, 2), (4, 2, 2))]


def adjoint_helper_cases(name, shapes):
    """``name_a(t, A, b)`` and ``name_b(t, a, B)`` with the shape-only operand constant."""
    out = []
    for sa, sb, st in shapes:
        for side, expr, args in (
                ("a", f"numpy_products.{name}_a(t, np.full({sa}, 0.5), b)", {"b": Arg(sb)}),
                ("b", f"numpy_products.{name}_b(t, a, np.full({sb}, 0.5))", {"a": Arg(sa)})):
            out.append(Case(expr, {"t": Arg(st), **args},
                            covers=(getattr(numpy_products, f"{name}_{side}"),),
                            imports="from wengert.rules import numpy_products", float32=False))
    return out


CASES += adjoint_helper_cases("dot_adjoint", _DOT_HELPER_SHAPES) + \
    adjoint_helper_cases("matmul_adjoint", _MATMUL_HELPER_SHAPES)
