"""wengert: source-to-source automatic differentiation for Python and NumPy.

``@wengert.grad`` parses a plain function, lowers it to a Wengert list (one
elementary operation per assignment) and emits readable Python source for its
derivative, in forward or reverse mode::

    >>> import math, wengert
    >>> @wengert.grad
    ... def f(x):
    ...     return x * math.sin(x)
    >>> round(f(1.0), 6)
    1.381773
"""

from . import rules as _rules  # noqa: F401  (fills the rule table)
from .api import Derivative, derivative_source, grad, jvp, lower, value_and_grad, vjp
from .custom import (custom_jvp, custom_vjp, defrule, nondifferentiable,  # noqa: F401
                     stop_gradient)
from .transforms import check_grad, hessian, hvp, jacfwd, jacrev  # noqa: F401
from .display import show  # noqa: F401
from .rules.registry import adjoint, tangent  # noqa: F401  (markers for rule templates)
from .errors import (NoRuleError, NonDifferentiableError, SourceUnavailableError,
                     UnsupportedSyntaxError, UsageError, WengertError)

__version__ = "0.1.0"

__all__ = [
    "grad", "value_and_grad", "jvp", "vjp", "lower", "derivative_source", "Derivative",
    "custom_vjp", "custom_jvp", "stop_gradient", "nondifferentiable", "defrule",
    "jacfwd", "jacrev", "hessian", "hvp", "check_grad", "show",
    "WengertError", "UnsupportedSyntaxError", "NoRuleError", "SourceUnavailableError",
    "NonDifferentiableError", "UsageError",
]
