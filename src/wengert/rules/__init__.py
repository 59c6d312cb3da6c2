"""Derivative rules, one module per family; importing this package fills the
registry (``rules.registry``)."""

from . import registry  # noqa: F401
from . import (builtins_rules, linalg, math_rules, numpy_elementwise,  # noqa: F401
               numpy_extra, numpy_products, numpy_reductions, numpy_shape, operators,
               runtime_rules)
from .registry import lookup  # noqa: F401
from . import scipy_special  # noqa: F401,E402 -- optional family: registers nothing without SciPy
from . import scipy_linalg  # noqa: F401,E402 -- optional family: registers nothing without SciPy
