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


@rule(runtime.check_scalar, linear=("value",))
def check_scalar_(value, what="grad"):
    tangent(value_dot)
    adjoint(value=g)


nondiff(runtime.zeros_like)
