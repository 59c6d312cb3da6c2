"""Complex numbers are refused where they meet what is being differentiated.

The rules are those of real functions: ``abs``'s derivative is ``sign(x)``,
which of a complex number is not the derivative of its modulus, and a
complex adjoint would be cast to a float gradient (NumPy's ComplexWarning,
the imaginary part dropped). Complex data (an argument, module data) gets the
kind ``analysis.COMPLEX``; ``refuse_complex`` follows it through the
function and refuses the first value being differentiated that is complex::

    Z = np.exp(1j * theta)             # module data, complex
    def f(a):
        return np.sum(np.abs(Z * a))   # Z * a: complex, and varies with a: refused

Complex data that only reaches real values before it meets a differentiated
one (``np.abs(Z) * a``, ``Z.real * a``) is fine.
"""

from __future__ import annotations

import numpy as np

from . import analysis, ir
from .errors import UnsupportedSyntaxError

# what makes a real value of a complex one
_REAL_OF_COMPLEX = {np.abs, np.absolute, abs, np.real, np.imag, np.angle, np.isfinite,
                    np.isnan, np.isinf}
_REAL_ATTRS = {"real", "imag"}


def refuse_complex(fn: ir.Function, active: set, kinds: dict) -> None:
    """Refuse a complex value among those being differentiated."""
    tainted = {n for n, k in kinds.items() if k == analysis.COMPLEX and isinstance(n, str)}
    if not tainted:
        return
    for name in fn.param_names():
        if name in active and name in tainted:
            raise UnsupportedSyntaxError(
                f"`{name}` is complex, and derivatives with respect to complex values are "
                "not supported", None,
                hint="pass the real and imaginary parts as real arrays and differentiate "
                     "with respect to those")
    for _ in range(2):                        # (a loop carries a value round once more)
        for s in ir.walk(fn.body):
            if isinstance(s, ir.Assign) and _complex_result(s.value, tainted):
                tainted.update(s.targets())
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Assign) and any(t in active and t in tainted for t in s.targets()):
            raise UnsupportedSyntaxError(
                "a complex value that varies with what is being differentiated: derivatives "
                "of complex values are not supported", s.loc,
                hint="write the complex arithmetic on real and imaginary parts as real arrays "
                     "(|z|² = re² + im²), or make real data of the complex data first "
                     "(`np.abs(Z)`, `Z.real`)")


def _complex_result(e, tainted) -> bool:
    if isinstance(e, ir.Var):
        return e.name in tainted
    if not isinstance(e, ir.Op):
        return False
    fn = e.fn
    if fn in _REAL_OF_COMPLEX or (isinstance(fn, ir.PseudoOp) and fn.name in _REAL_ATTRS):
        return False
    return any(_complex_result(a, tainted) for a in e.args) or \
        any(_complex_result(v, tainted) for _, v in e.kwargs)
