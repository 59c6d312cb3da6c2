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

``stop_gradient(x)`` is ``x`` with a zero derivative; ``@nondifferentiable``
declares a whole function so.
"""

from __future__ import annotations

import functools
import itertools
import linecache

from .errors import UsageError
from .rules import registry

_COUNTER = itertools.count(1)


class CustomVJP:
    def __init__(self, fun):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.fwd = None
        self.bwd = None

    def defvjp(self, fwd, bwd):
        """Set the forward (``x -> (out, residuals)``) and backward
        (``(residuals, g) -> tuple of cotangents``) functions."""
        self.fwd, self.bwd = fwd, bwd
        return self

    def __call__(self, *args, **kwargs):
        return self.fun(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<wengert.custom_vjp {self.fun.__qualname__}>"


class CustomJVP:
    def __init__(self, fun):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.jvp = None
        self._transposed = None

    def defjvp(self, jvp):
        """Set the rule ``(primals, tangents) -> (out, tangent_out)``."""
        self.jvp = jvp
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
            name = f"{self.fun.__name__}_tangent"
            src = (f"def {name}({', '.join(xs + ts)}):\n"
                   f"    out, tangent = rule(({', '.join(xs)},), ({', '.join(ts)},))\n"
                   f"    return tangent\n")
            filename = f"<wengert custom_jvp {name} #{next(_COUNTER)}>"
            linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
            namespace = {"rule": self.jvp}
            exec(compile(src, filename, "exec"), namespace)
            self._transposed = (nargs, namespace[name])
        return self._transposed[1]


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
    return registry.rule(*fns, **options)


registry.nondiff(stop_gradient, notes="identity with a zero derivative")
