"""Derivative rules, one module per family; importing this package fills the
registry (``rules.registry``)."""

from . import registry  # noqa: F401
from . import (builtins_rules, linalg, math_rules, numpy_elementwise,  # noqa: F401
               numpy_extra, numpy_products, numpy_reductions, numpy_shape, operators,
               runtime_rules)
from .registry import load_optional, lookup  # noqa: F401

# scipy_special, scipy_linalg: registered once SciPy's module is imported
# (registry.load_optional)
