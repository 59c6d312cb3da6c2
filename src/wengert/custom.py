"""User-defined derivatives, with JAX's conventions.

``custom_vjp`` — the model is PyTorch's ``autograd.Function`` with
``save_for_backward``: a forward function returns the output and what the
backward pass needs; the backward function maps those residuals and the
output's cotangent to one cotangent per argument::

    @wengert.custom_vjp
    def sigmoid(x):
        return 1.0 / (1.0 + np.exp(-x))

    def sigmoid_fwd(x):
        y = sigmoid(x)
        return y, y                      # output, residuals (saved for backward)

    def sigmoid_bwd(y, g):
        return (g * y * (1.0 - y),)      # one entry per argument

    sigmoid.defvjp(sigmoid_fwd, sigmoid_bwd)

In reverse mode the generated primal sweep calls ``sigmoid_fwd`` and the
adjoint sweep calls ``sigmoid_bwd``; forward mode differentiates the primal
function itself.

``custom_jvp`` — ``f.defjvp(rule)`` with ``rule(primals, tangents) ->
(out, tangent_out)``. Forward mode calls the rule; reverse mode transposes
it (the rule is linear in the tangents, so wengert differentiates it with
respect to them in reverse mode).

A call is bound to the function's signature when it is lowered
(``bind_arguments``): keywords and defaults become positional arguments, so
the rules always see every argument in order; a tuple output may be unpacked
(``s, c = f(x)``: ``bwd`` gets the tuple of the parts' cotangents).

``stop_gradient(x)`` is ``x`` with a zero derivative; ``@nondifferentiable``
declares a whole function so.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import linecache
import re
import weakref

from . import ir
from .errors import NonDifferentiableError, UnsupportedSyntaxError, UsageError
from .rules import registry

_COUNTER = itertools.count(1)


def _identifier(name: str) -> str:
    """``name`` as a Python identifier (a lambda's ``<lambda>``: ``lambda_``)."""
    name = re.sub(r"\W", "", name) or "custom"
    return name + "_" if name == "lambda" or name[0].isdigit() else name


class _CustomRule:
    """What ``custom_vjp`` and ``custom_jvp`` share: a call is bound to the
    function's parameters before a rule sees it."""

    decorator = "custom rule"
    keywords_to_rule = False     # whether the rule takes keyword-only arguments (as keywords)

    def bind_arguments(self, args: tuple, kwargs: tuple, loc) -> tuple:
        """``(args, kwargs)`` of a call ``f(*args, **dict(kwargs))`` (IR atoms)
        bound to ``f``'s parameters by its signature, as
        ``inspect.Signature.bind`` then ``apply_defaults`` would: every
        positional parameter in ``args``, in order, its default filled in where
        the call leaves it out, so the rules see the arguments by position
        (``fwd(*args)``, ``bwd`` returns one cotangent per argument, a
        custom_jvp rule gets the tuple of all primals). Keyword-only parameters
        stay keywords for ``fwd`` (``check_keywords`` refuses a differentiated
        one); a custom_jvp rule, which never sees them, refuses them passed."""
        name = getattr(self.fun, "__name__", repr(self.fun))
        try:
            sig = inspect.signature(self.fun)
        except (TypeError, ValueError):
            if kwargs:
                raise UnsupportedSyntaxError(
                    f"keyword arguments to {self.decorator} function `{name}`, whose "
                    "signature cannot be read", loc,
                    hint="pass the arguments by position") from None
            return tuple(args), ()
        try:
            bound = sig.bind(*args, **dict(kwargs))
        except TypeError as exc:
            raise UsageError(f"bad call to `{name}`: {exc}", loc) from None
        pos, kw = [], []
        for p in sig.parameters.values():
            given = p.name in bound.arguments
            if p.kind == p.VAR_KEYWORD:
                if bound.arguments.get(p.name):
                    raise UnsupportedSyntaxError(
                        f"keyword arguments collected by `**{p.name}` of {self.decorator} "
                        f"function `{name}`", loc,
                        hint="the rules take the arguments by position: give the function "
                             "explicit parameters")
            elif p.kind == p.VAR_POSITIONAL:
                pos.extend(bound.arguments.get(p.name, ()))
            elif p.kind == p.KEYWORD_ONLY and self.keywords_to_rule:
                kw.append((p.name, bound.arguments[p.name] if given else ir.Const(p.default)))
            elif p.kind == p.KEYWORD_ONLY:
                if given:            # (left out, the rule is the function's at the default)
                    raise UnsupportedSyntaxError(
                        f"passing the keyword-only parameter `{p.name}` of {self.decorator} "
                        f"function `{name}`", loc,
                        hint="its rule gets the positional arguments only: make it a "
                             "positional parameter")
            else:
                pos.append(bound.arguments[p.name] if given else ir.Const(p.default))
        return tuple(pos), tuple(kw)


class CustomVJP(_CustomRule):
    decorator = "custom_vjp"
    keywords_to_rule = True      # fwd(*args, **keywords); check_keywords refuses active ones

    def __init__(self, fun):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.fwd = None
        self.bwd = None
        self._unpacked = {}

    def defvjp(self, fwd, bwd):
        """Set the forward (``x -> (out, residuals)``) and backward
        (``(residuals, g) -> tuple of cotangents``) functions."""
        self.fwd, self.bwd = fwd, bwd
        RULE_FUNCTIONS.update(f for f in (fwd, bwd) if inspect.isfunction(f))
        self._unpacked = {}
        return self

    def check_keywords(self, kwargs: tuple, active, loc) -> None:
        """``bwd`` gives cotangents of the positional arguments only: refuse a
        keyword-only argument that depends on what is differentiated (it would
        get a silently zero derivative)."""
        for k, v in kwargs:
            if isinstance(v, ir.Var) and v.name in active:
                raise NonDifferentiableError(
                    f"the keyword-only argument `{k}` of custom_vjp function "
                    f"`{self.fun.__name__}` depends on what is being differentiated "
                    f"(through `{v.name}`), but `bwd` gives cotangents of the positional "
                    "arguments only", loc,
                    hint=f"make `{k}` a positional parameter, with its cotangent in "
                         "bwd's result")

    def unpacked_fwd(self, nargs: int, nout: int, keywords: tuple = ()):
        """``(x1.., *, k1..) -> (out1.., residuals)``: ``fwd`` for a call whose
        tuple output is unpacked (``s, c = sincos(x)``), as a real function
        with source (a derivative calling it can be differentiated again)."""
        key = (nargs, nout, tuple(keywords))
        if key not in self._unpacked:
            pad = "_" * (1 + max((len(k) for k in keywords), default=0))   # (no clash)
            xs = [f"x{i}{pad}" for i in range(nargs)]
            params = ", ".join(xs + (["*"] + list(keywords) if keywords else []))
            call = ", ".join(xs + [f"{k}={k}" for k in keywords])
            outs = ", ".join(f"out{i}{pad}" for i in range(nout))
            fwd, out, residuals = f"fwd{pad}", f"out{pad}", f"residuals{pad}"
            name = f"{_identifier(self.fun.__name__)}_fwd_unpacked"
            src = (f"def {name}({params}):\n"
                   f"    {out}, {residuals} = {fwd}({call})\n"
                   f"    {outs}, = {out}\n"
                   f"    return {outs}, {residuals}\n")
            filename = f"<wengert custom_vjp {name} #{next(_COUNTER)}>"
            linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
            namespace = {fwd: self.fwd}
            exec(compile(src, filename, "exec"), namespace)
            self._unpacked[key] = namespace[name]
        return self._unpacked[key]

    def __call__(self, *args, **kwargs):
        return self.fun(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<wengert.custom_vjp {self.fun.__qualname__}>"


class CustomJVP(_CustomRule):
    decorator = "custom_jvp"

    def __init__(self, fun):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.jvp = None
        self._transposed = None

    def defjvp(self, jvp):
        """Set the rule ``(primals, tangents) -> (out, tangent_out)``."""
        self.jvp = jvp
        if inspect.isfunction(jvp):
            RULE_FUNCTIONS.add(jvp)
        self._transposed = None
        return self

    def __call__(self, *args, **kwargs):
        return self.fun(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<wengert.custom_jvp {self.fun.__qualname__}>"

    def tangent_function(self, nargs: int):
        """``(x1.., t1..) -> rule((x1..), (t1..))[1]``, as a real function with
        source, so reverse mode can differentiate it w.r.t. the tangents."""
        if self._transposed is None or self._transposed[0] != nargs:
            xs = [f"x{i}" for i in range(nargs)]
            ts = [f"t{i}" for i in range(nargs)]
            name = f"{_identifier(self.fun.__name__)}_tangent"
            src = (f"def {name}({', '.join(xs + ts)}):\n"
                   f"    out, tangent = rule(({', '.join(xs)},), ({', '.join(ts)},))\n"
                   f"    return tangent\n")
            filename = f"<wengert custom_jvp {name} #{next(_COUNTER)}>"
            linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
            namespace = {"rule": self.jvp}
            exec(compile(src, filename, "exec"), namespace)
            self._transposed = (nargs, namespace[name])
        return self._transposed[1]


# the functions users gave as derivative rules (defvjp, defjvp): trusted to
# compute the same numbers when run again (``api._callee_draws``)
RULE_FUNCTIONS: "weakref.WeakSet" = weakref.WeakSet()


def custom_vjp(fun):
    """Decorator: give ``fun`` a hand-written reverse-mode rule (see module doc)."""
    return CustomVJP(fun)


def custom_jvp(fun):
    """Decorator: give ``fun`` a hand-written forward-mode rule (see module doc)."""
    return CustomJVP(fun)


def stop_gradient(x):
    """``x`` itself, treated as a constant by differentiation."""
    return x


def nondifferentiable(fun):
    """Declare ``fun`` non-differentiable: its results are treated as constants."""
    registry.nondiff(fun, notes="declared with @wengert.nondifferentiable")
    return fun


def defrule(*fns, **options):
    """Register a derivative rule written as a template (the project's own
    decorator; see ``docs/rules.md``)::

        @wengert.defrule(my_softplus)
        def _(x):
            tangent(x_dot * expit(x))
            adjoint(x=g * expit(x))
    """
    if not fns:
        raise UsageError("defrule needs the function(s) the rule is for")
    register = registry.rule(*fns, **options)

    def deco(template):
        register(template)
        r = registry.lookup(fns[0])
        if r is not None:
            _defaults_from_signatures(r, fns)
        return template
    return deco


_EMPTY = inspect.Parameter.empty


def _defaults_from_signatures(r, fns) -> None:
    """A call that leaves out a parameter with a default (``my_softplus(x)``
    for ``def my_softplus(x, beta=2.0)``) binds the default, as Python does:
    the template's parameters without a default of their own take the
    functions' (where every function the rule is for has the same one)."""
    sigs = []
    for fn in fns:
        try:
            sigs.append(inspect.signature(fn))
        except (TypeError, ValueError):
            return                      # (a ufunc: no signature, no defaults to fill)
    for p in r.params:
        if p in r.defaults:
            continue
        values = [sig.parameters[p].default if p in sig.parameters else _EMPTY
                  for sig in sigs]
        first = values[0]
        if first is not _EMPTY and all(v is first or _same(v, first) for v in values):
            r.defaults[p] = first


def _same(a, b) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


registry.nondiff(stop_gradient, notes="identity with a zero derivative")
