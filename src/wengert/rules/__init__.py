"""Derivative rules, one module per family; importing this package fills the
registry (``rules.registry``)."""

from . import registry  # noqa: F401
from . import builtins_rules, math_rules, numpy_elementwise, operators, runtime_rules  # noqa: F401
from .registry import lookup  # noqa: F401
