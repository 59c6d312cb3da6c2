"""The table of derivative rules, keyed by the Python object a call denotes.

A rule is written as a small template function. Its parameters mirror the
primitive's signature (so keyword arguments and defaults bind as in a real
call); its body states the tangent and the adjoint of each argument, side by
side, in plain Python over these names:

``x``, ``y``, …   the primitive's arguments           ``ans``  its result
``x_dot``, …      tangents of the arguments           ``g``    the adjoint of ``ans``

::

    @rule(np.sin)
    def sin(x):
        tangent(x_dot * np.cos(x))
        adjoint(x=g * np.cos(x))

The template is never called: its source is parsed once, on first use, into
``ir`` expressions that forward and reverse mode substitute into generated
code. An argument with no ``adjoint`` entry is not differentiable (its
gradient is zero by definition, e.g. ``axis``), and an inactive argument
contributes a symbolic zero that simplification removes.

Helpers cover the common shapes of rule, so most rules are one line:
``unary(np.exp, "ans")`` (derivative in terms of ``x`` and ``ans``),
``binary(np.multiply, dx="y", dy="x")`` (broadcasting, with adjoints reduced
back to each operand's shape), ``linear(...)`` and ``nondiff(...)``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys

import numpy as np
import textwrap
from dataclasses import dataclass, field
from typing import Callable, Optional

from .. import algebra, ir, mutating
from ..errors import NoRuleError, WengertError


def tangent(expr):          # noqa: D103 -- marker used inside rule templates
    raise RuntimeError("rule templates are never called")


def adjoint(**exprs):       # noqa: D103 -- marker used inside rule templates
    raise RuntimeError("rule templates are never called")


@dataclass
class Rule:
    name: str
    params: tuple                       # parameter names, in order
    defaults: dict                      # name -> default value
    tangent: Optional[ir.Expr] = None   # None with nondiff=True
    adjoints: dict = field(default_factory=dict)   # param -> template
    nondiff: bool = False
    elementwise: bool = False           # broadcasting, shape-preserving
    scalar_result: bool = False         # returns a Python float (math module)
    notes: str = ""
    fns: tuple = ()
    varargs: Optional[str] = None       # a ``*name`` parameter, bound to a tuple
    zero_derivative: tuple = ()         # parameters with a zero derivative by definition
    sequences: tuple = ()               # parameters that take a list of arrays as a list
    refuse: bool = False                # nondiff, but refuses a differentiated float argument
    check: Optional[Callable] = None    # check(bound, kinds, loc): refuses arguments it cannot take
    # check_active(bound, active, kinds, loc): refuses differentiated arguments it cannot take
    check_active: Optional[Callable] = None
    _source: Optional[Callable] = None  # template function, parsed lazily
    _parsed: bool = True

    @property
    def diff_params(self) -> tuple:
        self.ensure_parsed()
        return tuple(p for p in self.params if p in self.adjoints)

    def ensure_parsed(self) -> None:
        if not self._parsed:
            _parse_template(self)
            self._parsed = True

    def bind(self, op: ir.Op, loc=None) -> dict:
        """Map the rule's parameters to the call's argument expressions."""
        self.ensure_parsed()
        args = list(op.args)
        written = f"`.{op.fn.name}()`" if isinstance(op.fn, ir.PseudoOp) and \
            op.fn.kind == "method" else f"`{self.name}`"      # (as the user wrote it)
        if self.varargs is not None:        # def reshape(a, *shape): extras as a tuple
            i = self.params.index(self.varargs)
            extra = args[i:]
            if len(args) >= i:          # (fewer: the parameters before it take their defaults)
                args = args[:i] + [ir.Op(ir.MAKE_TUPLE, tuple(extra))
                                   if not all(isinstance(a, ir.Const) for a in extra)
                                   else ir.Const(tuple(a.value for a in extra))]
        if len(args) > len(self.params):
            own = 1 if self.name.startswith("ndarray.") or written.startswith("`.") \
                else 0                                            # (the array: not counted)
            raise NoRuleError(f"{written} called with {len(args) - own} positional "
                              f"arguments; its rule takes {len(self.params) - own}", loc,
                              hint="index the array instead (`y[i]` rather than "
                                   "`y.item(i)`)" if self.name == "ndarray.item()" else
                              "pass only the arguments its rule takes (docs/rules.md), or "
                              "register your own rule with @wengert.defrule")
        bound = dict(zip(self.params, args))
        real = _positional_names(op.fn) if self.varargs is None and len(args) > 1 else None
        if real is not None and any(n == "out" and not (isinstance(a, ir.Const) and
                                                        a.value is None)
                                    for n, a in zip(real, args)):
            raise NoRuleError(f"{written} given an output array by position (`out`): it "
                              "would change that array in place", loc,
                              hint="use the result instead: `y = np.f(x, ...)`")
        if real is not None and len(args) <= len(real) and real[:len(args)] != \
                list(self.params[:len(args)]) and all(
                    n in self.params or (n == "out" and isinstance(a, ir.Const) and
                                         a.value is None) for n, a in zip(real, args)):
            # np.var(A, 1, None, None, 1): NumPy's positions (`out` among them)
            bound = {n: a for n, a in zip(real, args) if n in self.params}
        for k, v in op.kwargs:
            if k not in self.params:
                raise NoRuleError(
                    f"the keyword argument `{k}=` of {written} is not supported "
                    "by its derivative rule", loc,
                    hint="call it without that keyword, or register your own rule "
                         "with @wengert.defrule")
            bound[k] = v
        for p in self.params:
            if p not in bound:
                if p not in self.defaults:
                    raise NoRuleError(f"{written} is missing its argument `{p}`", loc,
                                      hint=f"pass `{p}` (its derivative rule takes it: "
                                           "docs/rules.md)")
                bound[p] = ir.Const(self.defaults[p])
        return bound

    def check_inactive(self, bound: dict, active, kinds, loc) -> None:
        """A differentiated value passed where the rule has no derivative would
        get a silently zero one: refuse it when the derivative is built (and
        what the rule's own ``check`` refuses)."""
        self.ensure_parsed()
        if self.check is not None:
            self.check(bound, kinds, loc)
        if self.check_active is not None:
            self.check_active(bound, active, kinds, loc)
        mod = getattr(self.fns[0], "__module__", "") if self.fns else ""
        if (mod or "").startswith("wengert"):
            return                      # wengert's own helpers: shape arguments by design
        for p in self.params:
            if p in self.adjoints or p in self.zero_derivative:
                continue
            arg = bound.get(p)
            names = set(ir.expr_vars(arg)) if arg is not None else set()
            hit = sorted(n for n in names if n in active and not _integer(kinds.get(n)))
            if hit:
                self._refuse(f"the argument `{p}`", hit[0], loc,
                             "its derivative rule does not differentiate it")

    def check_refused(self, op: ir.Op, active, kinds, loc) -> None:
        """A ``nondiff(..., refuse=True)`` function's result depends on its
        floating-point arguments' values (``np.unique(x)`` returns some of
        them): refuse a differentiated one rather than give it a zero derivative."""
        if not self.refuse:
            return
        args = tuple(op.args) + tuple(v for _, v in op.kwargs)
        hit = sorted(n for a in args for n in ir.expr_vars(a)
                     if n in active and not _integer(kinds.get(n)))
        if hit:
            self._refuse("an argument", hit[0], loc,
                         "wengert has no derivative for it (a zero one would be wrong)")

    def _refuse(self, what: str, name: str, loc, why: str) -> None:
        from ..errors import NonDifferentiableError
        through = "" if re.fullmatch(r"v\d+", name) else f" (through `{name}`)"
        raise NonDifferentiableError(
            f"{what} of `{self.name}` depends on what is being "
            f"differentiated{through}, but {why}", loc,
            hint="wrap the value in wengert.stop_gradient(...) if its derivative "
                 "should be ignored, or register a rule that differentiates it")

    def lists_as_arrays(self, op: ir.Op, bound: dict, kinds: dict) -> dict:
        """NumPy turns a list passed for an array into an array, and the rule's
        templates (``a.ndim``, ``x_dot * 2.0``, ``np.result_type(a)``) need the
        array too: a list-valued argument of a NumPy function is bound as
        ``np.asarray(xs)`` (its tangent likewise), except where the rule takes
        a list of arrays as such (``np.stack(arrays)``)."""
        if isinstance(op.fn, ir.PseudoOp) or not any(_numpy_function(f) for f in self.fns):
            return bound
        out = dict(bound)
        for p in self.diff_params:
            arg = bound.get(p)
            if p not in self.sequences and isinstance(arg, ir.Var) and \
                    getattr(kinds.get(arg.name), "dtype", None) == "seq":
                out[p] = ir.Op(np.asarray, (arg,))
        return out

    def tangent_expr(self, bound: dict, dots: dict, ans: ir.Expr):
        """The tangent of ``ans``; ``dots`` maps active params to tangents."""
        self.ensure_parsed()
        mapping = dict(bound)
        for p in self.diff_params:
            d = dots.get(p, algebra.ZERO)
            mapping[p + "_dot"] = algebra.Zero(like=bound[p]) if algebra.is_zero(d) else d
        mapping["ans"] = ans
        return algebra.simplify(_subst(self.tangent, mapping, self._droppable()))

    def adjoint_expr(self, param: str, bound: dict, g: ir.Expr, ans: ir.Expr):
        self.ensure_parsed()
        mapping = dict(bound)
        mapping["g"] = g
        mapping["ans"] = ans
        return algebra.simplify(_subst(self.adjoints[param], mapping, self._droppable()))

    def _droppable(self) -> dict:
        """Defaults that are safe to leave out when passed on by keyword."""
        return {k: v for k, v in self.defaults.items()
                if v is None or type(v) in (bool, int, float, str)}


def _callee_default(fn, keyword):
    """The default of ``fn``'s parameter ``keyword`` as a Const, if known."""
    try:
        p = inspect.signature(fn).parameters.get(keyword)
    except (TypeError, ValueError):
        return None
    if p is None or p.default is inspect.Parameter.empty:
        return None
    return ir.Const(p.default)


def _numpy_function(fn) -> bool:
    return isinstance(fn, np.ufunc) or (getattr(fn, "__module__", None) or "").startswith("numpy")


_POSITIONAL: dict = {}


def _positional_names(fn) -> Optional[list]:
    """The names of the parameters a call of the NumPy function ``fn`` (or of
    the ndarray method named like one) binds positionally, in order, or None
    where they cannot be read."""
    if isinstance(fn, ir.PseudoOp):
        if fn.kind != "method":
            return None
        fn = getattr(np, fn.name, None)
    if fn is None or not (getattr(fn, "__module__", "") or "").startswith("numpy"):
        return None
    try:
        key = id(fn)
        if key not in _POSITIONAL:
            params = inspect.signature(fn).parameters.values()
            names = []
            for p in params:
                if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                    break
                names.append(p.name)
            _POSITIONAL[key] = names
        return _POSITIONAL[key]
    except (TypeError, ValueError):
        _POSITIONAL[id(fn)] = None
        return None


def _integer(kind) -> bool:
    return kind is not None and (kind.dtype == "int" or np.dtype(kind.dtype).kind in "iub"
                                 if kind.dtype not in ("seq", "range") else False)


def _subst(e, mapping, defaults=None):
    """Substitute placeholders; a keyword passed through from a rule parameter
    that has its default value is left out (``axes=None`` is noise)."""
    if isinstance(e, ir.Var):
        return mapping.get(e.name, e)
    if isinstance(e, ir.Op):
        kwargs = []
        for k, v in e.kwargs:
            if defaults and isinstance(v, ir.Var) and v.name in defaults and \
                    mapping.get(v.name) == ir.Const(defaults[v.name]) and \
                    _callee_default(e.fn, k) == ir.Const(defaults[v.name]):
                continue
            kwargs.append((k, _subst(v, mapping, defaults)))
        return ir.Op(e.fn, tuple(_subst(a, mapping, defaults) for a in e.args), tuple(kwargs))
    return e


# --------------------------------------------------------------------------
# the tables

RULES: dict = {}            # callable -> Rule
METHOD_RULES: dict = {}     # method name -> Rule (ndarray semantics)
ATTR_RULES: dict = {}       # attribute name -> Rule


def _key(fn):
    return fn


def register(fn, r: Rule) -> None:
    try:
        RULES[_key(fn)] = r
    except TypeError as exc:   # unhashable
        raise WengertError(f"cannot register a rule for unhashable {fn!r}") from exc
    r.fns = r.fns + (fn,)


# Optional families, registered once the library they differentiate is
# imported (by the user's code; ``load_optional(everything=True)`` for the
# documentation): importing SciPy would double the time ``import wengert``
# takes, for programs that never call it.
_OPTIONAL = {"scipy.special": "scipy_special", "scipy.linalg": "scipy_linalg"}


def load_optional(everything: bool = False) -> None:
    """Register the optional families whose library is imported (all of them
    with ``everything``: a family whose library is not installed registers
    nothing)."""
    for module, family in list(_OPTIONAL.items()):
        if everything or module in sys.modules:
            del _OPTIONAL[module]
            importlib.import_module(f"{__package__}.{family}")


def has_rule(fn) -> bool:
    return lookup(fn) is not None


def lookup(fn) -> Optional[Rule]:
    """The rule for a callable or pseudo-op, or None."""
    if isinstance(fn, ir.PseudoOp):
        if fn.kind == "method":
            return METHOD_RULES.get(fn.name)
        if fn.kind == "attr":
            return ATTR_RULES.get(fn.name)
        return None
    try:
        r = RULES.get(_key(fn))
    except TypeError:
        return None
    if r is None and _OPTIONAL:
        load_optional()
        r = RULES.get(_key(fn))
    return r


# --------------------------------------------------------------------------
# declaring rules


def rule(*fns, methods=(), attrs=(), elementwise=False, scalar_result=False,
         linear=None, notes="", zero_derivative=(), bilinear=(), sequences=(), check=None,
         check_active=None):
    """Decorator: register a template function as the rule of ``fns``.

    ``methods``/``attrs`` also register it for ndarray methods or attributes
    of those names (the first parameter is then the array). ``linear`` names
    the parameters in which the primitive is linear, so zero tangents there
    give a zero result without evaluating anything; ``bilinear`` names
    parameters in each of which it is linear separately (a product: a zero in
    any one gives zero). ``zero_derivative`` names
    parameters whose derivative is zero by definition (read for their shape or
    dtype, or piecewise constant): a differentiated value may flow into them;
    any other parameter without an adjoint rejects one when the derivative is built.
    ``sequences`` names parameters that take a list of arrays as a list
    (``np.stack(arrays)``); a list passed for any other parameter of a NumPy
    function is differentiated as the array NumPy makes of it.
    """
    def deco(template):
        sig = inspect.signature(template)
        params = tuple(sig.parameters)
        defaults = {k: p.default for k, p in sig.parameters.items()
                    if p.default is not inspect.Parameter.empty}
        varargs = next((k for k, p in sig.parameters.items()
                        if p.kind == p.VAR_POSITIONAL), None)
        if varargs is not None:
            defaults.setdefault(varargs, ())
        r = Rule(name=_display_name(fns, methods, attrs, template), params=params,
                 defaults=defaults, elementwise=elementwise,
                 scalar_result=scalar_result, notes=notes, varargs=varargs,
                 zero_derivative=tuple(zero_derivative), sequences=tuple(sequences),
                 check=check, check_active=check_active, _source=template, _parsed=False)
        for fn in fns:
            register(fn, r)
            if linear:
                algebra.LINEAR_FUNCTIONS[fn] = tuple((params.index(p), p) for p in linear)
            if bilinear:
                algebra.MULTILINEAR_FUNCTIONS[fn] = tuple((params.index(p), p)
                                                          for p in bilinear)
        for m in methods:
            METHOD_RULES[m] = r
        for a in attrs:
            ATTR_RULES[a] = r
        return template
    return deco


def home_module(fn) -> str:
    """The module ``fn`` is imported from: ``scipy.special`` for ``erf`` (a
    ufunc, whose ``__module__`` is None) and for ``polygamma`` (defined in the
    private ``scipy.special._basic``); otherwise its ``__module__``."""
    mod = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__name__", None) or ""
    if mod.startswith("scipy.") or (type(fn).__name__ == "ufunc" and
                                    getattr(np, name, None) is not fn):
        public = mod.split("._")[0] if mod.startswith("scipy.") else "scipy.special"
        if getattr(sys.modules.get(public), name, None) is fn:
            return public
    return mod


def _display_name(fns, methods, attrs, template) -> str:
    if fns and methods and (getattr(fns[0], "__module__", None) or "").startswith("wengert."):
        return f"ndarray.{methods[0]}()"      # (item_of: our helper behind `a.item()`)
    if fns:
        fn = fns[0]
        mod = home_module(fn)
        short = {"numpy": "np", "math": "math", "builtins": "",
                 "_operator": "operator", "operator": "operator"}.get(mod, mod)
        if type(fn).__name__ == "ufunc" and not mod.startswith("scipy."):
            short = "np"
        name = getattr(fn, "__name__", None) or getattr(template, "__name__", "rule")
        return f"{short}.{name}" if short else name
    if methods:
        return f"ndarray.{methods[0]}()"
    return f"ndarray.{attrs[0]}"


def define(fns, params, tangent_src: str, adjoint_srcs: dict, namespace: dict,
           elementwise=False, scalar_result=False, notes="", linear=None,
           zero_derivative=()) -> Rule:
    """Register a rule from expression strings (the form the helpers use)."""
    r = Rule(name=_display_name(fns, (), (), type("t", (), {"__name__": "rule"})),
             params=tuple(params), defaults={}, elementwise=elementwise,
             scalar_result=scalar_result, notes=notes, zero_derivative=tuple(zero_derivative))
    placeholders = _placeholders(r.params, adjoint_srcs)
    r.tangent = _to_ir(ast.parse(tangent_src, mode="eval").body, namespace, placeholders)
    r.adjoints = {p: _to_ir(ast.parse(src, mode="eval").body, namespace, placeholders)
                  for p, src in adjoint_srcs.items()}
    for fn in fns:
        register(fn, r)
        if linear:
            algebra.LINEAR_FUNCTIONS[fn] = tuple((r.params.index(p), p) for p in linear)
    return r


def unary(fn, derivative: str, namespace: dict, **kw) -> Rule:
    """Elementwise ``ans = fn(x)`` with ``d ans / dx = derivative``."""
    d = f"({derivative})"
    return define((fn,), ("x",), f"x_dot * {d}", {"x": f"g * {d}"}, namespace,
                  elementwise=True, **kw)


def binary(fn, dx: Optional[str], dy: Optional[str], namespace: dict, **kw) -> Rule:
    """Broadcasting ``ans = fn(x, y)`` with partial derivatives ``dx``, ``dy``
    (``None``: not differentiable in that argument)."""
    terms, adjoints = [], {}
    kw.setdefault("zero_derivative", tuple(p for p, d in (("x", dx), ("y", dy)) if d is None))
    for p, d in (("x", dx), ("y", dy)):
        if d is None:
            continue
        terms.append(f"{p}_dot * ({d})")
        adjoints[p] = f"unbroadcast(g * ({d}), {p})"
    return define((fn,), ("x", "y"), " + ".join(terms) or "0.0", adjoints,
                  namespace, elementwise=True, **kw)


def nondiff(*fns, methods=(), attrs=(), notes="", refuse=False) -> None:
    """Declare functions whose results carry no derivative. With ``refuse``,
    their results depend differentiably on floating-point arguments that
    wengert does not differentiate (``np.unique(x)``): a differentiated one
    is refused when the derivative is built, never given a zero derivative."""
    r = Rule(name="nondiff", params=(), defaults={}, nondiff=True, notes=notes)
    for fn in fns:
        register(fn, Rule(name=_display_name((fn,), (), (), r), params=(),
                          defaults={}, nondiff=True, notes=notes, refuse=refuse))
    for m in methods:
        METHOD_RULES[m] = Rule(name=f"ndarray.{m}()", params=(), defaults={},
                               nondiff=True, notes=notes)
    for a in attrs:
        ATTR_RULES[a] = Rule(name=f"ndarray.{a}", params=(), defaults={},
                             nondiff=True, notes=notes)


def _placeholders(params, adjoint_names) -> set:
    names = set(params) | {"ans", "g"}
    names |= {p + "_dot" for p in params}
    return names


# --------------------------------------------------------------------------
# template parsing


def _parse_template(r: Rule) -> None:
    fn = r._source
    src = textwrap.dedent(inspect.getsource(fn))
    tree = ast.parse(src)
    fdef = tree.body[0]
    namespace = dict(fn.__globals__)
    placeholders = _placeholders(r.params, ())
    tangent_expr, adjoints = None, {}
    for stmt in fdef.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue            # docstring
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        marker = None
        if isinstance(call, ast.Call):
            f = call.func
            marker = f.id if isinstance(f, ast.Name) else \
                f.attr if isinstance(f, ast.Attribute) else None
        if marker not in ("tangent", "adjoint"):
            raise WengertError(f"rule `{r.name}`: only tangent(...) and adjoint(...) "
                               "calls may appear in a rule template")
        if marker == "tangent":
            tangent_expr = _to_ir(call.args[0], namespace, placeholders)
        else:
            for kw in call.keywords:
                adjoints[kw.arg] = _to_ir(kw.value, namespace, placeholders)
    r.tangent = tangent_expr
    r.adjoints = adjoints
    if tangent_expr is None and adjoints:
        raise WengertError(f"rule `{r.name}` has adjoints but no tangent")


_AST_BINOPS = None


def _ops():
    global _AST_BINOPS
    if _AST_BINOPS is None:
        import operator as o
        _AST_BINOPS = {
            ast.Add: o.add, ast.Sub: o.sub, ast.Mult: o.mul, ast.Div: o.truediv,
            ast.FloorDiv: o.floordiv, ast.Mod: o.mod, ast.Pow: o.pow,
            ast.MatMult: o.matmul, ast.USub: o.neg, ast.UAdd: o.pos, ast.Not: o.not_,
            ast.Lt: o.lt, ast.LtE: o.le, ast.Gt: o.gt, ast.GtE: o.ge, ast.Eq: o.eq,
            ast.NotEq: o.ne, ast.BitAnd: o.and_, ast.BitOr: o.or_, ast.Invert: o.invert,
        }
    return _AST_BINOPS


def _to_ir(node, namespace: dict, placeholders: set):
    """Convert a template expression (stdlib ``ast``) into an ``ir`` expression."""
    conv = lambda n: _to_ir(n, namespace, placeholders)  # noqa: E731
    ops = _ops()
    if isinstance(node, ast.Constant):
        return ir.Const(node.value)
    if isinstance(node, ast.Name):
        if node.id in placeholders:
            return ir.Var(node.id)
        if node.id in namespace:
            return ir.Const(namespace[node.id])
        import builtins
        if hasattr(builtins, node.id):
            return ir.Const(getattr(builtins, node.id))
        raise WengertError(f"rule template refers to unknown name `{node.id}`")
    if isinstance(node, ast.Attribute):
        base = conv(node.value)
        if isinstance(base, ir.Const):
            return ir.Const(getattr(base.value, node.attr))
        return ir.Op(ir.Attr(node.attr), (base,))
    if isinstance(node, ast.BinOp):
        return ir.Op(ops[type(node.op)], (conv(node.left), conv(node.right)))
    if isinstance(node, ast.UnaryOp):
        return ir.Op(ops[type(node.op)], (conv(node.operand),))
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        return ir.Op(ops[type(node.ops[0])], (conv(node.left), conv(node.comparators[0])))
    if isinstance(node, ast.IfExp):
        return ir.Op(ir.IFEXP, (conv(node.test), conv(node.body), conv(node.orelse)))
    if isinstance(node, ast.Tuple):
        return ir.Op(ir.MAKE_TUPLE, tuple(conv(e) for e in node.elts))
    if isinstance(node, ast.List):
        return ir.Op(ir.MAKE_LIST, tuple(conv(e) for e in node.elts))
    if isinstance(node, ast.Slice):
        return ir.Op(ir.SLICE, tuple(conv(p) if p is not None else ir.NONE
                                     for p in (node.lower, node.upper, node.step)))
    if isinstance(node, ast.Subscript):
        import operator as o
        idx = node.slice
        if hasattr(ast, "Index") and isinstance(idx, getattr(ast, "Index")):
            idx = idx.value        # Python 3.8 form
        return ir.Op(o.getitem, (conv(node.value), conv(idx)))
    if isinstance(node, ast.Call):
        kwargs = tuple((k.arg, conv(k.value)) for k in node.keywords)
        args = tuple(conv(a) for a in node.args)
        if isinstance(node.func, ast.Attribute):
            base = conv(node.func.value)
            if not isinstance(base, ir.Const):
                return ir.Op(ir.Method(node.func.attr), (base,) + args, kwargs)
        fn = conv(node.func)
        if not isinstance(fn, ir.Const):
            raise WengertError("rule templates may only call named functions")
        return ir.Op(fn.value, args, kwargs)
    raise WengertError(f"unsupported syntax in a rule template: {ast.dump(node)[:60]}")


def missing_rule_for(e, stmts, loc, instances=None) -> NoRuleError:
    """``missing_rule_error`` for the call ``e`` in a function whose body is
    ``stmts``: a method called on an object the function built itself
    (``s = Spring(k); s.energy(x)``) is named as that object's creation; a
    call of what an instance holds in an attribute (``self.fc1(x)``) as that."""
    from .. import draws
    held = _held_call(e, instances)
    if held is not None:
        return NoRuleError(held[0], loc, hint=held[1])
    if draws.draws_with_parameters(e):
        return NoRuleError(
            f"`{draws.call_label(e)}` draws random numbers from a distribution whose "
            "parameters vary with what is being differentiated: a draw has no derivative "
            "rule", loc,
            hint="draw from the standard distribution and transform it (reparameterise): "
                 "`mu + sigma * rng.standard_normal(n)` for normal(mu, sigma), "
                 "`np.exp(mu + sigma * rng.standard_normal(n))` for lognormal, "
                 "`a + (b - a) * rng.random(n)` for uniform(a, b), "
                 "`-np.log(rng.random(n)) / lam` for exponential(1/lam)")
    if isinstance(e.fn, ir.PseudoOp) and e.args and isinstance(e.args[0], ir.Var):
        made = e.args[0]
        for _ in range(8):         # through copies (a method's `self`, spliced in)
            made = next((s.value for s in ir.walk(stmts) if isinstance(s, ir.Assign) and
                         s.target == made), None)
            if not isinstance(made, ir.Var):
                break
        if isinstance(made, ir.Op) and isinstance(made.fn, type):
            return missing_rule_error(made.fn, loc)
        if isinstance(made, ir.Op) and e.fn.kind == "method" and e.fn.name == "__call__" and \
                callable(made.fn) and hasattr(made.fn, "__code__") and \
                not _returns_object(made.fn):
            maker = getattr(made.fn, "__name__", "a function")
            return NoRuleError(
                f"calling `{e.args[0].name}`, which `{maker}(...)` made and returned while the "
                "function runs (a closure, or an object whose class is not known here)", loc,
                hint=f"make it outside and pass it in as an argument (`f(x, {maker}(...))`), "
                     f"call it inside `{maker}`, or define the function at module level and "
                     "pass what it reads as arguments (`inner(z, a)`)")
        if e.fn.kind == "method" and e.fn.name == "__call__" and \
                _chosen_functions(e.args[0].name, stmts):
            return NoRuleError(
                f"calling `{e.args[0].name}`, which holds one of several functions, chosen "
                "while the function runs", loc,
                hint="call each function where it is chosen (`y = math.sin(x) if c else "
                     "math.cos(x)`), or pass the function in as an argument")
    return missing_rule_error(e.fn, loc)


def _held_call(e, instances):
    """``(message, hint)`` for ``obj.name(...)`` where ``obj`` is an instance of
    a class of the user's (``instances``: name -> class) that has no method
    ``name``: a call of an object (a layer) or a function held in an
    attribute, or None."""
    if not (instances and isinstance(e.fn, ir.PseudoOp) and e.fn.kind == "method" and
            e.args and isinstance(e.args[0], ir.Var)):
        return None
    cls = instances.get(e.args[0].name)
    if not isinstance(cls, type):
        return None
    found = next((vars(c)[e.fn.name] for c in cls.__mro__ if e.fn.name in vars(c)), None)
    if isinstance(found, classmethod):
        what, name = cls.__qualname__, e.fn.name
        return (f"calling `.{name}(...)`, a class method of {what}: class methods are not "
                "differentiated (what they read of the class is not known here)",
                f"make `{name}` a plain method or a @staticmethod, or a function at module "
                "level")
    if found is not None:
        return None
    what, name = cls.__qualname__, e.fn.name
    return (f"calling `.{name}(...)` of a {what} object: `{name}` is not a method of {what} "
            "but an object (a layer) or a function held in an attribute, whose call is not "
            "differentiated there",
            f"hold such objects in a list (`self.layers = [Linear(W1), Linear(W2)]`; "
            "`for layer in self.layers: x = layer(x)`), whose items' calls are "
            f"differentiated, or pass the object in as an argument (`def loss(self, "
            f"{name}, x)`)")


def _returns_object(fn) -> bool:
    from .. import analysis
    return analysis.RETURNS_OBJECT is not None and analysis.RETURNS_OBJECT(fn)


def _chosen_functions(name: str, stmts) -> bool:
    """Whether ``name`` is bound (through copies) to functions in more than
    one place: ``f = np.sin if c else np.cos``."""
    from ..analysis import is_function
    values = {}
    for s in ir.walk(stmts):
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Var):
            values.setdefault(s.target.name, []).append(s.value)
    todo, seen, found = [name], set(), 0
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for v in values.get(n, ()):
            if isinstance(v, ir.Var):
                todo.append(v.name)
            elif isinstance(v, ir.Const) and is_function(v.value):
                found += 1
    return found > 1


def missing_rule_error(fn, loc) -> NoRuleError:
    if isinstance(fn, ir.PseudoOp) and fn.kind == "method" and \
            fn.name in mutating.MUTATING_METHODS:
        return NoRuleError(
            f"no derivative rule for the method `.{fn.name}()`: on a list, dict or array it "
            "changes its object in place, which wengert cannot differentiate", loc,
            hint=f"{mutating.instead(mutating.MUTATING_METHODS[fn.name])}; a method of your "
                 f"own class called `{fn.name}` is differentiated where its object's class is "
                 "known (an argument, `self`, module data)")
    if isinstance(fn, ir.PseudoOp):
        what = f"the method `.{fn.name}()`" if fn.kind == "method" else f"the attribute `.{fn.name}`"
        if fn.kind == "method" and fn.name == "__call__":
            return NoRuleError(
                "no derivative rule for a call of an object whose class is not known here "
                "(`.__call__()`): an item of a list or dict of objects or functions in a "
                "loop that is not written out item by item (`zip`, `reversed`, `break`, "
                "more than 16 unlike items), an object held two attributes deep "
                "(`self.encoder.layers[0]`), or a nested function that reads variables of "
                "the function it is in, passed to a helper that is not spliced in (a "
                "recursive helper, or any with optimize=False)", loc,
                hint="loop over the list itself (`for layer in self.layers:`, without "
                     "break), pass an object held deeper in as an argument; define a nested "
                     "function at module level and pass what it reads as arguments, through "
                     "the helper (`simpson(g, k, a, b)` calling `f(t, k)`)")
        if fn.kind == "attr":
            return NoRuleError(
                f"no derivative rule for {what} (wengert assumes NumPy array semantics for "
                "attributes)", loc,
                hint="a field of a namedtuple is read by name where its class is known (an "
                     "argument, an item of one, module data); elsewhere unpack it (`W, b = "
                     "params`) or index it (`params[0]`); an attribute of your own object is "
                     "read where its class "
                     "is known (an argument, `self`, an item of a list or dict argument); "
                     "the attributes of arrays with rules are listed in docs/rules.md")
        return NoRuleError(
            f"no derivative rule for {what} (wengert assumes NumPy array semantics for "
            "methods and attributes)", loc,
            hint="on an array, call the NumPy function instead (np.f(x) rather than x.f()); "
                 "a method of your own class is differentiated where its object's class is "
                 "known: an argument (`self` too), an item of a list or dict argument or "
                 "of one an argument holds (`self.layers`), module data; not an object "
                 "deeper in attributes (`self.encoder.layers`): pass that object in as an "
                 "argument; or register a rule for the method with @wengert.defrule")
    if isinstance(fn, np.vectorize):
        inner = getattr(fn.pyfunc, "__name__", "f")
        inner = inner if inner.isidentifier() else "a lambda"
        return NoRuleError(
            f"calling `np.vectorize({inner})`: NumPy calls `{inner}` once per element, out of "
            "wengert's sight, so it has no derivative rule", loc,
            hint=f"write `{inner}` with NumPy operations on whole arrays (np.where(c, a, b) "
                 f"for its branches) and call it directly, or loop over the elements in "
                 f"Python calling `{inner}` on each")
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    mod = getattr(fn, "__module__", None)
    if isinstance(fn, type) and fn.__flags__ & (1 << 9) and \
            not (mod or "").startswith(("numpy", "wengert")):     # a class statement's
        return NoRuleError(
            f"creating a `{name}` object inside the differentiated function: what it holds "
            "(its attributes) is not differentiated", loc,
            hint=f"create it outside and pass it in as an argument (or differentiate its "
                 f"method, bound: wengert.grad(obj.method)); the values it is built from "
                 "are then held fixed")
    if name is None:
        full = name = repr(fn)               # a callable object: its repr names it
    else:
        full = f"{mod}.{name}" if mod and mod != "builtins" else name
    library = (mod or "").split(".")[0] in ("numpy", "scipy", "math", "builtins")
    return NoRuleError(
        f"no derivative rule for `{full}`" + (
            " (a library function: wengert differentiates library functions by their "
            "rules only)" if library else ", and its source is not available to "
            "differentiate it"), loc,
        hint=f"register one with @wengert.defrule({name}) (see docs/rules.md), or "
             "wrap the call's result in wengert.stop_gradient(...) if it should not "
             "be differentiated")
