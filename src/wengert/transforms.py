"""Derivative operators built on ``grad``, ``jvp`` and ``vjp``.

Cost model (the trade-off between the modes): a Jacobian of ``f: R^n -> R^m``
takes ``n`` forward passes (``jacfwd``: one tangent per input element) or ``m``
reverse passes (``jacrev``: one cotangent per output element). Wide inputs and
narrow outputs favour reverse mode (a gradient is one pass); narrow inputs and
wide outputs favour forward mode.

``hessian`` is forward-over-reverse (``jacfwd`` of ``grad``): ``n`` forward
passes over the generated gradient code. ``hvp`` is one such pass: the Hessian
is never formed.
"""

from __future__ import annotations

import inspect

import numpy as np

from . import analysis
from .api import (Derivative, _bound, _check_function, _cotangent_like, _fitted, _on_bound,
                  _full_args, _promote, _shift_wrt, _signature, _wrt_positions, build, grad,
                  instance_build_kinds)
from .draws import refuse_outside_draw
from .errors import UsageError
from .tree import basis, flatten


def _prepare(func, wrt, args, kwargs):
    positions, tuple_result = _wrt_positions(func, wrt)
    args = _full_args(_signature(func), func, args, kwargs)
    args = _promote(args, positions)
    return positions, tuple_result, args


def _called(func, args):
    """``func`` called with all its arguments in parameter order (keyword-only
    ones by keyword)."""
    sig = _signature(func)
    if sig is None:
        return func(*args)
    kinds = [p.kind for p in sig.parameters.values()]
    names = list(sig.parameters)
    positional = [a for a, k in zip(args, kinds) if k != inspect.Parameter.KEYWORD_ONLY]
    keywords = {n: a for n, a, k in zip(names, args, kinds) if k == inspect.Parameter.KEYWORD_ONLY}
    return func(*positional, **keywords)


def _float_dtype(x):
    """The floating dtype derivatives of ``x`` have (float64 for Python numbers)."""
    if isinstance(x, (np.ndarray, np.generic)):
        return np.result_type(x.dtype, np.float32)
    return np.dtype(np.float64)


def _leaf(x, what):
    if not (isinstance(x, (float, int, np.ndarray, np.generic))):
        raise UsageError(f"{what} takes array or scalar inputs and outputs, not "
                         f"{type(x).__name__}",
                         hint="pass the arrays as arguments of their own (`wrt=(0, 1)` gives "
                              "the blocks), or concatenate them into one array; "
                              "wengert.grad, vjp and jvp take dicts, lists and tuples")


def _zeros(x):
    return 0.0 if isinstance(x, (float, int)) else np.zeros_like(x)


def _batchable(func, positions, kinds) -> int:
    """If every operation on a differentiated value is elementwise, tangents can
    carry a leading batch axis: return how many singleton axes to put between
    it and the input's axes (so it never meets a broadcast); else -1. A
    differentiated value of unknown shape (``np.concatenate``'s, say) gives -1:
    its rank could exceed the depth, and the batch axis would then broadcast
    against one of its axes."""
    from . import ir as _ir
    from .api import lowered
    from .rules import registry
    if isinstance(func, Derivative) or any(k is None for k in kinds):
        return -1
    primal = lowered(func)
    names = primal.param_names()
    active = analysis.active(primal, tuple(names[i] for i in positions))
    for s in _ir.walk(primal.body):
        if isinstance(s, _ir.Assign) and set(s.targets()) & active:
            e = s.value
            if isinstance(e, (_ir.Var, _ir.Const)):
                continue
            r = registry.lookup(e.fn)
            if r is None or not (r.elementwise or r.nondiff):
                return -1
    full = analysis.infer_kinds(primal, dict(zip(names, kinds)))
    active_kinds = [full.get(v) for v in active]
    if any(k is None for k in active_kinds):
        return -1
    return max((len(k.shape) for k in active_kinds if k.shape[:1] not in ((-1,), (-2,))),
               default=0)


def _batched_columns(built, args, positions, j, depth):
    """All forward-mode columns for input ``j`` in one pass (or None)."""
    x = args[positions[j]]
    size = int(np.size(x))
    shape = np.shape(x)
    dtype = _float_dtype(x)
    seeds = np.eye(size, dtype=dtype).reshape((size,) + (1,) * (depth - len(shape)) + shape)
    tangents = [_zeros(args[q]) for q in positions]
    tangents[j] = seeds
    try:
        value, t = built.function(*args, *tangents)
    except Exception:
        return None
    return value, t, size


def jacfwd(func, wrt=0, has_aux=False):
    """The Jacobian by forward mode: ``J[out_index + in_index]`` (JAX's layout).
    When every operation on the differentiated values is elementwise, all the
    tangents go through in one vectorised pass (a leading batch axis); otherwise
    one pass per input element."""
    if _bound(func) is not None:
        return _on_bound(func, jacfwd, wrt, has_aux=has_aux)
    func = _check_function(func, "jacfwd")

    def jacobian(*args, **kwargs):
        positions, tuple_result, args = _prepare(func, wrt, args, kwargs)
        kinds = instance_build_kinds(func, args, positions)
        built = build(func, "jvp", positions, kinds, has_aux=has_aux)
        jacobian.source = built.source
        if len(positions) > 1 or any(np.size(args[p]) > 1 for p in positions):
            refuse_outside_draw(built.ir, jacobian.__wengert_operator__, kinds)
        depth = _batchable(func, positions, kinds)
        out = aux = None
        blocks = []
        for j, p in enumerate(positions):
            x = args[p]
            _leaf(x, jacobian.__wengert_operator__)
            batched = _batched_columns(built, args, positions, j, depth) if depth >= 0 else None
            if batched is not None:
                value, t, size = batched
                if has_aux:
                    value, aux = value
                _leaf(value, jacobian.__wengert_operator__)
                out = value
                out_shape = np.shape(value)
                t = np.broadcast_to(np.asarray(t), (size,) + (1,) * 0 + np.shape(t)[1:]) \
                    if np.ndim(t) else np.full((size,), t)
                t = np.reshape(t, (size,) + out_shape) if np.size(t) == size * int(
                    np.prod(out_shape)) else np.broadcast_to(
                        np.reshape(t, (size,) + (1,) * len(out_shape)), (size,) + out_shape)
                cols = np.moveaxis(t, 0, -1).reshape(out_shape + np.shape(x))
                cols = cols.astype(np.result_type(cols, _float_dtype(x)), copy=False)
                blocks.append(cols if out_shape or np.ndim(x) else _number(cols[()], x, value))
                continue
            cols = None
            for _, idx, e in basis(x):
                tangents = [_zeros(args[q]) for q in positions]
                tangents[j] = e
                value, t = built.function(*args, *tangents)
                if has_aux:
                    value, aux = value
                _leaf(value, jacobian.__wengert_operator__)
                out = value
                t = np.asarray(t)
                if cols is None:
                    cols = np.zeros(t.shape + np.shape(x), dtype=np.result_type(t, _float_dtype(x)))
                cols[(Ellipsis,) + idx] = t
            if cols is None:                    # an empty x: the output's shape, by one run
                value, t = built.function(*args, *[_zeros(args[q]) for q in positions])
                out = value[0] if has_aux else value
                aux = value[1] if has_aux else aux
                cols = np.zeros(np.shape(t) + np.shape(x), dtype=_float_dtype(x))
            blocks.append(cols if np.ndim(out) or np.ndim(x) else _number(cols[()], x, out))
        result = tuple(blocks) if tuple_result else blocks[0]
        return (result, aux) if has_aux else result
    jacobian.__name__ = f"jacfwd_{getattr(func, '__name__', 'f')}"
    jacobian.__wengert_operator__ = "jacfwd"
    return jacobian


def jacrev(func, wrt=0, has_aux=False):
    """The Jacobian by reverse mode: one cotangent pass per output element."""
    if _bound(func) is not None:
        return _on_bound(func, jacrev, wrt, has_aux=has_aux)
    func = _check_function(func, "jacrev")

    def jacobian(*args, **kwargs):
        positions, tuple_result, args = _prepare(func, wrt, args, kwargs)
        for p in positions:
            _leaf(args[p], "jacrev")
        kinds = instance_build_kinds(func, args, positions)
        built = build(func, "vjp", positions, kinds, return_value=True, has_aux=has_aux)
        jacobian.source = built.source
        refuse_outside_draw(built.ir, "jacrev", kinds,
                            runs="runs the function, then its gradient per output element")
        value = _called(func, args)
        aux = None
        if has_aux:
            value, aux = value
        _leaf(value, "jacrev")
        out_shape = np.shape(value)
        blocks = [np.zeros(out_shape + np.shape(args[p]),
                           dtype=np.result_type(_float_dtype(value), _float_dtype(args[p])))
                  for p in positions]
        for idx in np.ndindex(*out_shape):
            u = np.zeros(out_shape, dtype=np.result_type(value, np.float32))
            u[idx] = 1.0
            if out_shape == ():
                u = 1.0 if isinstance(value, float) else u
            _, g = built.function(*args, u)
            g = g if len(positions) > 1 else (g,)
            for b, gi in zip(blocks, g):
                b[idx] = gi
        blocks = [b if b.ndim else _number(b[()], args[p], value)
                  for b, p in zip(blocks, positions)]
        result = tuple(blocks) if tuple_result else blocks[0]
        return (result, aux) if has_aux else result
    jacobian.__name__ = f"jacrev_{getattr(func, '__name__', 'f')}"
    jacobian.__wengert_operator__ = "jacrev"
    return jacobian


def _number(d, x, out):
    """A Jacobian block of one number by one number: a Python float when
    both are Python numbers (as ``grad`` of ``grad`` gives), else the NumPy
    scalar of its dtype."""
    if type(x) is float and type(out) in (float, int):
        return float(d)
    return np.asarray(d) if type(x) is np.ndarray else d   # (a 0-d array: one of them)


def hessian(func, wrt=0):
    """The Hessian by forward-over-reverse (``jacfwd`` of ``grad``). With a
    tuple ``wrt`` the result is a tuple of tuples of blocks."""
    if _bound(func) is not None:
        return _on_bound(func, hessian, wrt)
    func = _check_function(func, "hessian")
    positions, tuple_result = _wrt_positions(func, wrt)
    if not tuple_result:
        h = jacfwd(grad(func, wrt=positions[0]), wrt=positions[0])
        h.__wengert_operator__ = "hessian"
        return h
    blocks = [[jacfwd(grad(func, wrt=i), wrt=j) for j in positions] for i in positions]

    def hess(*args, **kwargs):
        return tuple(tuple(b(*args, **kwargs) for b in row) for row in blocks)
    hess.__wengert_operator__ = "hessian"
    return hess


def hvp(func, wrt=0):
    """``(*args, v) -> H v``: one forward pass over the gradient code; the
    Hessian is never formed."""
    if _bound(func) is not None:
        return _on_bound(func, hvp, wrt)
    func = _check_function(func, "hvp")
    positions, tuple_result = _wrt_positions(func, wrt)
    if tuple_result:
        raise UsageError("hvp takes a single wrt (a position or a name)")
    g = grad(func, wrt=positions[0])

    def product(*args_and_v, **kwargs):
        if not args_and_v:
            raise UsageError("hvp takes the function's arguments and then the vector v",
                             hint="call hvp(f)(*args, v)")
        *args, v = args_and_v
        args = _full_args(_signature(func), func, tuple(args), kwargs)
        if any(p >= len(args) for p in positions):
            raise UsageError("hvp takes the function's arguments and then the vector v: "
                             "the differentiated argument is missing",
                             hint="call hvp(f)(*args, v), the differentiated argument given")
        args = _promote(args, positions)
        v = _fitted(v, args[positions[0]], "vector v", f"hvp of `{func.__name__}`",
                    "differentiated argument")     # (one vector, shaped like it)
        kinds = instance_build_kinds(func, args, positions)
        # a tangent for the one argument: the others (an instance, data) are held
        built = build(g, "jvp", positions, kinds)
        product.source = built.source
        return built.function(*args, v)[1]
    product.__name__ = f"hvp_{getattr(func, '__name__', 'f')}"
    product.__wengert_operator__ = "hvp"
    return product


# --------------------------------------------------------------------------
# checking derivatives numerically


def _direction(x, rng):
    leaves, rebuild = flatten(x)
    out = []
    for v in leaves:
        if isinstance(v, (float, int)):
            out.append(float(rng.standard_normal()))
        else:
            out.append(rng.standard_normal(np.shape(v)).astype(np.result_type(v, np.float32)))
    return rebuild(out)


def _axpy(a, x, y):
    lx, rebuild = flatten(x)
    ly, _ = flatten(y)
    return rebuild([xi + a * yi if not isinstance(xi, float) else xi + a * float(yi)
                    for xi, yi in zip(lx, ly)])


def _flat(tree) -> np.ndarray:
    """The leaves of an output (an array, a number, or a dict, list or tuple
    of them: a gradient checked at order 2) as one float64 vector."""
    leaves, _ = flatten(tree)
    return np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in leaves]) \
        if leaves else np.zeros(0)


def _dot(a, b) -> float:
    la, _ = flatten(a)
    lb, _ = flatten(b)
    return float(sum(np.sum(np.asarray(x, dtype=np.float64) * np.asarray(y, dtype=np.float64))
                     for x, y in zip(la, lb)))


def check_grad(func, *args, wrt=None, modes=("forward", "reverse"), order=1,
               eps=1e-6, rtol=1e-5, atol=1e-8, seed=None):
    """Check ``func``'s derivatives at ``args`` against central differences.
    ``args`` are ``func``'s, positional; the keywords are the check's own
    (``seed``: of its random directions).

    Forward mode is compared with a central difference along a random
    direction; reverse mode by the dot-product test ``<u, J v> == <J^T u, v>``.
    ``order=2`` also checks the derivative of the gradient (recursively).
    Raises ``AssertionError`` naming the mode and argument that disagree.
    """
    if isinstance(modes, str):
        modes = (modes,)
    unknown = [m for m in modes if m not in ("forward", "reverse")]
    if unknown or not modes:
        raise UsageError(f"check_grad(modes=...) takes 'forward' and 'reverse', not "
                         f"{', '.join(map(repr, unknown)) or 'nothing'}",
                         hint="modes=('forward', 'reverse') (the default), or one of them")
    if not isinstance(func, Derivative) and _bound(func) is not None and not _bound(func)[2]:
        f, lead, _ = _bound(func)            # model.loss: loss, with the instance held
        n = len(lead)
        held = wrt is None
        wrt = tuple(i + n for i, a in enumerate(args) if not _integer_or_text(a)) if held \
            else _shift_wrt(wrt, f, n, {})
        return check_grad(f, *lead, *args, wrt=wrt, modes=modes, order=order, eps=eps,
                          rtol=rtol, atol=atol, seed=seed)
    func_checked = _check_function(func, "check_grad")
    sig = _signature(func_checked)
    names = list(sig.parameters) if sig is not None else [str(i) for i in range(len(args))]
    if wrt is None:                          # (integers, labels and indices, are held)
        wrt = tuple(i for i, a in enumerate(args) if not _integer_or_text(a))
    positions, _ = _wrt_positions(func_checked, wrt if isinstance(wrt, tuple) else (wrt,))
    args = _promote(tuple(args), positions)
    if seed is not None and "seed" in names[len(args):]:
        raise UsageError(
            f"check_grad(..., seed=) seeds the check's random directions, and `{func.__name__}` "
            "has a parameter `seed` of its own that was not given",
            hint=f"pass `{func.__name__}`'s seed positionally (check_grad(f, x, 3)); "
                 "check_grad's own seed is a keyword")
    rng = np.random.default_rng(0 if seed is None else seed)
    value = func_checked(*args)
    for i in positions:
        v = _direction(args[i], rng)
        plus = list(args)
        minus = list(args)
        plus[i] = _axpy(eps, args[i], v)
        minus[i] = _axpy(-eps, args[i], v)
        fd = (_flat(func_checked(*plus)) - _flat(func_checked(*minus))) / (2 * eps)
        label = f"argument `{names[i]}`" if i < len(names) else f"argument {i}"
        if "forward" in modes:      # (argument i alone differentiated: the others,
            _, t = _pushforward(func_checked, args, i, v)     # an index array, held)
            _compare(_flat(t), fd, rtol, atol,
                     f"forward mode, {label}: the directional derivative")
        if "reverse" in modes:
            u = _direction(value, rng)
            lhs, rhs = float(_flat(u) @ fd), _dot(_pullback(func_checked, args, i, u), v)
            _compare(np.float64(rhs), np.float64(lhs), rtol, atol,
                     f"reverse mode, {label}: <J^T u, v>")
    if order > 1:
        if np.ndim(value) != 0:
            raise UsageError("check_grad(order>1) needs a function with a scalar output")
        if order > 2 and any(np.ndim(args[i]) != 0 for i in positions):
            raise UsageError(f"check_grad(order={order}) with respect to an array: orders "
                             "above 2 are checked with respect to scalar arguments only (the "
                             "gradient, whose derivative order 3 checks, is an array)",
                             hint="use order=2, or differentiate with respect to scalars")
        for i in positions:
            check_grad(grad(func, wrt=i), *args, wrt=tuple(positions), modes=modes,
                       order=order - 1, eps=eps, rtol=rtol * 10, atol=atol * 10,
                       seed=(seed or 0) + 1)


def _integer_or_text(a) -> bool:
    return isinstance(a, (int, bool, str, np.integer, np.bool_)) and not isinstance(a, float) \
        or (type(a) is np.ndarray and a.dtype.kind in "iubSU")


def _pushforward(func, args, i, tangent):
    """``(f(*args), J_i @ tangent)``: the forward mode with respect to
    argument ``i`` alone."""
    args = _full_args(_signature(func), func, args, {})
    built = build(func, "jvp", (i,), instance_build_kinds(func, args, (i,)))
    return built.function(*args, tangent)


def _pullback(func, args, i, cotangent):
    """``J_i^T @ cotangent``: the reverse mode with respect to argument
    ``i`` alone."""
    args = _full_args(_signature(func), func, args, {})
    built = build(func, "vjp", (i,), instance_build_kinds(func, args, (i,)), return_value=True)
    return built.function(*args, _cotangent_like(cotangent, built.out_kind))[1]


def _compare(got, expected, rtol, atol, what):
    err = float(np.max(np.abs(got - expected))) if np.size(expected) else 0.0
    scale = float(np.max(np.abs(expected))) if np.size(expected) else 0.0
    if not err <= atol + rtol * scale:
        raise AssertionError(
            f"{what} disagrees with central finite differences: max abs error {err:.3g} "
            f"(relative {err / max(scale, 1e-300):.3g}); got {got!r}, expected {expected!r}")
