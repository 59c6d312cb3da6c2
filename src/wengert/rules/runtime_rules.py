"""Rules for wengert's own runtime helpers, so generated code can be
differentiated again (higher-order derivatives)."""

from .. import runtime
from ..runtime import broadcast_like, unbroadcast
from .registry import adjoint, nondiff, rule, tangent


@rule(runtime.unbroadcast, linear=("t",))
def unbroadcast_(t, like):
    tangent(unbroadcast(t_dot, like))
    adjoint(t=broadcast_like(g, t))


@rule(runtime.broadcast_like, linear=("t",))
def broadcast_like_(t, like):
    tangent(broadcast_like(t_dot, like))
    adjoint(t=unbroadcast(g, t))


@rule(runtime.getitem_adjoint, linear=("t",))
def getitem_adjoint_(t, x, index):
    tangent(runtime.getitem_adjoint(t_dot, x, index))
    adjoint(t=g[index])


@rule(runtime.scatter_into, linear=("out", "t"))
def scatter_into_(out, index, t):
    tangent(runtime.scatter_tangent(out_dot, out, index, t_dot))
    adjoint(out=g, t=unbroadcast(g[index], t))


@rule(runtime.scatter_tangent, linear=("base", "t"))
def scatter_tangent_(base, like, index, t):
    tangent(runtime.scatter_tangent(base_dot, like, index, t_dot))
    adjoint(base=g, t=unbroadcast(g[index], t))


@rule(runtime.copy_of, linear=("x",))
def copy_of_(x):
    tangent(runtime.copy_of(x_dot))
    adjoint(x=g)


@rule(runtime.check_scalar, linear=("value",))
def check_scalar_(value, what="grad"):
    tangent(value_dot)
    adjoint(value=g)


@rule(runtime.as_scalar, linear=("t",))
def as_scalar_(t, scalar_type):
    tangent(runtime.as_scalar(t_dot, scalar_type))
    adjoint(t=g)


@rule(runtime.as_array, linear=("t",))
def as_array_(t, scalar_type):
    tangent(runtime.as_array(t_dot, scalar_type))
    adjoint(t=g)


@rule(runtime.as_items, linear=("t",))
def as_items_(t, x):
    tangent(runtime.as_items(t_dot, x))
    adjoint(t=g)


@rule(runtime.accumulate, linear=("a", "b"))
def accumulate_(a, b):
    tangent(runtime.accumulate(a_dot, b_dot))
    adjoint(a=g, b=g)


@rule(runtime.list_append, linear=("xs", "v"))
def list_append_(xs, v):
    tangent(runtime.list_append(xs_dot, v_dot))
    adjoint(xs=g[:-1], v=g[-1])


@rule(runtime.list_pop, linear=("xs",))
def list_pop_(xs):
    tangent(runtime.list_pop(xs_dot))
    adjoint(xs=runtime.unpop(g[0], g[1], xs))


@rule(runtime.unpop, linear=("rest", "last"))
def unpop_(rest, last, xs):
    tangent(runtime.unpop(rest_dot, last_dot, xs))
    adjoint(rest=g[:-1], last=g[-1])


@rule(runtime.iterated, linear=("xs",))
def iterated_(xs):
    tangent(runtime.iterated_tangent(xs_dot, xs))
    adjoint(xs=runtime.iterated_adjoint(g, xs))


@rule(runtime.iterated_tangent, linear=("t",))
def iterated_tangent_(t, xs):
    tangent(runtime.iterated_tangent(t_dot, xs))
    adjoint(t=runtime.iterated_adjoint(g, xs))


@rule(runtime.iterated_adjoint, linear=("t",))
def iterated_adjoint_(t, xs):
    tangent(runtime.iterated_adjoint(t_dot, xs))
    adjoint(t=runtime.iterated_tangent(g, xs))


@rule(runtime.copied_dict, linear=("t",))
def copied_dict_(t, d):
    tangent(runtime.copied_dict(t_dot, d))
    adjoint(t=runtime.copied_dict(g, d))


@rule(runtime.seq_concat, linear=("a", "b"))
def seq_concat_(a, b):
    tangent(runtime.seq_concat(list(a_dot), list(b_dot)))
    adjoint(a=g[:len(a)], b=g[len(a):])


@rule(runtime.seq_repeat, linear=("xs",))
def seq_repeat_(xs, n):
    tangent(runtime.seq_repeat(list(xs_dot), n))
    adjoint(xs=runtime.unrepeat(g, len(xs)))


@rule(runtime.seq_repeat_left, linear=("xs",))
def seq_repeat_left_(n, xs):
    tangent(runtime.seq_repeat_left(n, list(xs_dot)))
    adjoint(xs=runtime.unrepeat(g, len(xs)))


@rule(runtime.unrepeat, linear=("t",))
def unrepeat_(t, m):
    tangent(runtime.unrepeat(t_dot, m))
    adjoint(t=runtime.seq_repeat(list(g), len(t) // m))


@rule(runtime.fill_like, linear=("t",))
def fill_like_(t, xs):
    tangent(runtime.fill_like(t_dot, xs))
    adjoint(t=sum(g))


@rule(runtime.seq_adjoint, linear=("t",))
def seq_adjoint_(t, xs):
    tangent(runtime.seq_adjoint(t_dot, xs))
    adjoint(t=list(g))


@rule(runtime.setitem, linear=("x", "v"),
      notes="x[index] = v; with repeated indices NumPy keeps the last write, and so "
            "does the derivative (the overwritten writes get zero)")
def setitem_(x, index, v):
    tangent(runtime.stored(runtime.setitem(x_dot, index, v_dot), x))
    adjoint(x=runtime.setitem(g, index, 0.0),
            v=runtime.stored(unbroadcast(runtime.last_writes(g[index], g, index), v), x))


@rule(runtime.splice, linear=("x", "v"),
      notes="xs[i:j] = vs on a list, which may change its length")
def splice_(x, index, v):
    tangent(runtime.stored(runtime.splice(x_dot, index, v_dot), x))
    adjoint(x=runtime.splice_adjoint(g, x, index, v), v=runtime.splice_part(g, x, index, v))


@rule(runtime.splice_adjoint, linear=("t",))
def splice_adjoint_(t, x, index, v):
    tangent(runtime.splice_adjoint(t_dot, x, index, v))
    adjoint(t=runtime.splice(g, index, runtime.zeros_like(v)))


@rule(runtime.splice_part, linear=("t",))
def splice_part_(t, x, index, v):
    tangent(runtime.splice_part(t_dot, x, index, v))
    adjoint(t=runtime.splice(runtime.zeros_like(x), index, g))


@rule(runtime.dict_union, linear=("a", "b"),
      notes="d | e on dicts (and d |= e): e's items over d's")
def dict_union_(a, b):
    tangent(runtime.dict_union(a_dot, b_dot))
    adjoint(a=runtime.dict_union_left(g, a, b), b=runtime.dict_union_right(g, b))


@rule(runtime.dict_union_left, linear=("t",))
def dict_union_left_(t, a, b):
    tangent(runtime.dict_union_left(t_dot, a, b))
    adjoint(t=runtime.dict_union(runtime.zeros_like(b), runtime.dict_union_left(g, a, b)))


@rule(runtime.dict_union_right, linear=("t",))
def dict_union_right_(t, b):
    tangent(runtime.dict_union_right(t_dot, b))
    adjoint(t=g)


@rule(runtime.adjoint_as, linear=("t",),
      notes="the adjoint of a 0-d array read as a number: an array")
def adjoint_as_(t, x):
    tangent(runtime.adjoint_as(t_dot, x))
    adjoint(t=g)


@rule(runtime.stored, linear=("t",),
      notes="the derivative of what is stored into an array: zero into an integer or "
            "boolean one (NumPy truncates)")
def stored_(t, x):
    tangent(runtime.stored(t_dot, x))
    adjoint(t=runtime.stored(g, x))


@rule(runtime.last_writes, linear=("t",))
def last_writes_(t, x, index):
    tangent(runtime.last_writes(t_dot, x, index))
    adjoint(t=runtime.last_writes(g, x, index))


nondiff(runtime.sign)
nondiff(runtime.zeros_like, runtime.assert_, runtime.check_value, runtime.check_returned,
        runtime.check_operand)
nondiff(runtime.extreme_index, notes="an index (max(xs) is xs[extreme_index(xs, True)])")
