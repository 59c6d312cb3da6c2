"""Python's arithmetic operators (``operator`` module), as lowering resolves
``a + b`` to ``operator.add(a, b)``. Broadcasting adjoints are reduced back
to each operand's shape with ``unbroadcast``, which specialisation removes
where the shapes are known to match."""

import builtins
import operator
import re

import numpy as np

from .. import ir, runtime
from ..runtime import getitem_adjoint, unbroadcast
from .registry import adjoint, binary, nondiff, rule, tangent

NS = globals()

binary(operator.add, dx="1", dy="1", namespace=NS, linear=("x", "y"))
binary(operator.sub, dx="1", dy="-1", namespace=NS, linear=("x", "y"))


@rule(operator.mul, elementwise=True)
def mul(x, y):
    tangent(x_dot * y + x * y_dot)
    adjoint(x=unbroadcast(g * y, x), y=unbroadcast(g * x, y))


@rule(operator.truediv, elementwise=True)
def truediv(x, y):
    tangent(x_dot / y - ans * y_dot / y)
    adjoint(x=unbroadcast(g / y, x), y=unbroadcast(-(g * ans) / y, y))


@rule(runtime.const_over, elementwise=True)
def const_over(c, y):
    tangent(-(ans * y_dot) / y)
    adjoint(y=unbroadcast(-(g * ans) * ans / c, y))


@rule(runtime.sigmoid, elementwise=True)
def sigmoid(z):
    tangent(z_dot * ans * (1.0 - ans))
    adjoint(z=g * ans * (1.0 - ans))


nondiff(runtime.held, notes="a shift whose derivative cancels (see optimize.hold_shifts)")


@rule(operator.pow, builtins.pow, elementwise=True,
      notes="the derivative in the exponent is x ** y * log(x): 0 at x = 0 where y > 0, "
            "NaN for x < 0; "
            "x ** 0 has derivative 0 at x = 0 too; `pow(x, y)` (two arguments) is `x ** y`")
def pow_(x, y):       # d/dy is x ** y * log(x), but 0 at x = 0 where y > 0 (not 0 * -inf)
    tangent(runtime.pow_slope(x, y) * x_dot + runtime.pow_slope(x, y, 0, dy=1) * y_dot)
    adjoint(x=unbroadcast(g * runtime.pow_slope(x, y), x),
            y=unbroadcast(g * runtime.pow_slope(x, y, 0, dy=1), y))


@rule(runtime.pow_slope, elementwise=True, zero_derivative=("n", "dy"),
      notes="y (y-1) ... (y-n+1) x ** (y-n), 0 where that coefficient is: the n-th "
            "derivative of x ** y (higher derivatives differentiate it); with dy=m, "
            "differentiated m times in y (0 at x = 0 where y > n)")
def pow_slope(x, y, n=1, dy=0):
    tangent(runtime.pow_slope(x, y, n + 1, dy=dy) * x_dot
            + runtime.pow_slope(x, y, n, dy=dy + 1) * y_dot)
    adjoint(x=unbroadcast(g * runtime.pow_slope(x, y, n + 1, dy=dy), x),
            y=unbroadcast(g * runtime.pow_slope(x, y, n, dy=dy + 1), y))


@rule(operator.neg, elementwise=True, linear=("x",))
def neg(x):
    tangent(-x_dot)
    adjoint(x=-g)


@rule(operator.pos, elementwise=True, linear=("x",))
def pos(x):
    tangent(x_dot)
    adjoint(x=g)


@rule(operator.mod, elementwise=True)
def mod(x, y):
    tangent(x_dot - np.floor_divide(x, y) * y_dot)
    adjoint(x=unbroadcast(g, x), y=unbroadcast(-g * np.floor_divide(x, y), y))


def _differentiated_index(bound, active, kinds, loc) -> None:
    """``x[i]`` with a differentiated ``i``: an index is discrete, so an array's
    item has no derivative with respect to it (NumPy refuses a float index
    anyway). Refused where the index is a known float, or where ``x`` is not
    an array, a list, a tuple or a dict: an object whose own ``__getitem__``
    computes with the index (an interpolation table held in an attribute)
    or one of NumPy's index tricks (``np.r_[a, x]`` builds an array of ``x``)
    would otherwise get a zero derivative."""
    from ..analysis import Instance, Kind, is_integer
    from ..errors import NoRuleError
    from ..inline import _instance
    index, x = bound.get("index"), bound.get("x")
    hit = sorted(n for n in ir.expr_vars(index) if n in active and not is_integer(kinds.get(n)))
    if not hit:
        return
    through = "" if re.fullmatch(r"v\d+", hit[0]) else f" (`{hit[0]}`)"
    if isinstance(x, ir.Const) and isinstance(x.value, _INDEX_TRICKS):
        name = "np.c_" if x.value is np.c_ else "np.r_" if x.value is np.r_ else \
            type(x.value).__name__
        raise NoRuleError(
            f"`{name}[...]` of a value being differentiated{through}", loc,
            hint="build the array with np.concatenate((a, b, ...)) instead of np.r_ (a "
                 "number as np.array([s])), or with np.column_stack / np.stack instead of "
                 "np.c_")
    kx = kinds.get(x.name) if isinstance(x, ir.Var) else None
    obj = isinstance(kx, Instance) or (isinstance(x, ir.Const) and _instance(x.value))
    floats = [n for n in hit if type(kinds.get(n)) is Kind and kinds[n].shape[:1] not in
              ((-1,), (-2,))]
    if not obj and not floats:
        return        # (an index of a kind not known, into an array, a list or a dict:
                      #  the keys of a dict looped over, NumPy's to judge)
    what = ir.expr_vars(x)[0] if isinstance(x, ir.Var) else "an object"
    raise NoRuleError(
        f"indexing `{what}` with a value being differentiated{through}: an index has no "
        "derivative", loc,
        hint="index with an integer (int(...)) if that is meant; for an object of your own "
             "whose __getitem__ computes with the index, pass the object in as an argument "
             "(its __getitem__ is then differentiated) or call a method of it")


_INDEX_TRICKS = (type(np.r_), type(np.c_), type(np.s_), type(np.ogrid), type(np.mgrid))


@rule(operator.getitem, linear=("x",), zero_derivative=("index",),
      check_active=_differentiated_index,
      notes="the adjoint scatter-adds, so repeated indices accumulate; an index is "
            "discrete (an int, a slice, a mask, a key): no derivative")
def getitem(x, index):
    tangent(x_dot[index])
    adjoint(x=getitem_adjoint(g, x, index))


nondiff(operator.floordiv, operator.lt, operator.le, operator.gt, operator.ge,
        operator.eq, operator.ne, operator.is_, operator.is_not, operator.not_,
        operator.contains,
        notes="piecewise constant or boolean: zero derivative")
nondiff(operator.and_, operator.or_, operator.xor, operator.invert, operator.lshift,
        operator.rshift, refuse=True,
        notes="bit operations, of integers and booleans (a differentiated value is "
              "refused: on a dict, `d | e` is `runtime.dict_union`)")
