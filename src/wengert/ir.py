"""The intermediate representation: a Wengert list with structured control flow.

Lowering turns the user's function into a list of statements in which every
assignment performs one elementary operation on atoms (variables or
constants)::

    def f(x1, x2):                      def f(x1, x2):
        return (math.log(x1)    ──▶         v1 = math.log(x1)
                + x1 * x2                   v2 = x1 * x2
                - math.sin(x2))             v3 = math.sin(x2)
                                            v4 = v1 + v2
                                            v5 = v4 - v3
                                            return v5

The same node types hold derivative code, where a right-hand side may be a
small expression tree (``x1_bar = out_bar / x1 + out_bar * x2``): the flat
Wengert list is the special case in which every operand is an atom.

Expressions
    ``Var(name)``, ``Const(value)``, ``Op(fn, args, kwargs)``. ``fn`` is the
    Python object the operation denotes (``operator.mul``, ``np.sin``, a user
    function) or one of the few pseudo-operations below for syntax that has no
    single function object (attribute access, method calls, tuple displays).

Statements
    ``Assign``, ``Effect`` (an expression evaluated for its side effect),
    ``If``, ``For``, ``While`` and ``Return``. Control flow stays structured,
    so generated code keeps the loops and branches the user wrote.

Every statement carries the ``Location`` it came from. ``str(function)`` is
valid Python: ``wengert.lower(f)`` shows exactly this text.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Iterator, Optional, Tuple, Union

from .errors import Location
from .mutating import MUTATING_METHODS


# --------------------------------------------------------------------------
# expressions


@dataclass(frozen=True)
class Var:
    name: str

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Const:
    value: object

    def __repr__(self) -> str:
        return repr(self.value)

    def __eq__(self, other) -> bool:  # 1 == 1.0 == True must stay distinct
        return (isinstance(other, Const) and type(other.value) is type(self.value)
                and _same_value(other.value, self.value))

    def __hash__(self) -> int:
        try:
            return hash((type(self.value), self.value))
        except TypeError:
            return id(self.value)


def _same_value(a, b) -> bool:
    try:
        return bool(a == b) if not hasattr(a, "shape") else a is b
    except Exception:
        return a is b


@dataclass(frozen=True)
class PseudoOp:
    """An operation with no single Python function object behind it."""

    kind: str            # "attr", "method", "tuple", "list", "dict", "slice", "ifexp"
    name: str = ""       # attribute or method name
    keys: tuple = ()     # a dict display's constant keys

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name}>" if self.name else f"<{self.kind}>"


def Attr(name: str) -> PseudoOp:
    """``x.name``: args = (x,)."""
    return PseudoOp("attr", name)


def Method(name: str) -> PseudoOp:
    """``x.name(*rest)``: args = (x, *rest)."""
    return PseudoOp("method", name)


def MakeDict(keys) -> PseudoOp:
    """``{k1: v1, ...}`` with constant keys: args = (v1, ...)."""
    return PseudoOp("dict", keys=tuple(keys))


EFFECT_METHODS = {"append", "pop", "extend"}     # methods that change their object
# (and MUTATING_METHODS: unsupported, kept until building the derivative refuses them)

MAKE_TUPLE = PseudoOp("tuple")
MAKE_LIST = PseudoOp("list")
SLICE = PseudoOp("slice")        # args = (lower, upper, step), Const(None) for absent
IFEXP = PseudoOp("ifexp")        # args = (test, body, orelse); only in derivative code


@dataclass(frozen=True)
class Op:
    fn: object
    args: Tuple["Expr", ...] = ()
    kwargs: Tuple[Tuple[str, "Expr"], ...] = ()

    def __repr__(self) -> str:
        inner = ", ".join([repr(a) for a in self.args]
                          + [f"{k}={v!r}" for k, v in self.kwargs])
        return f"{_fn_label(self.fn)}({inner})"

    def __hash__(self) -> int:
        return hash((id(self.fn), self.args, self.kwargs))

    def __eq__(self, other) -> bool:
        return (isinstance(other, Op) and self.fn is other.fn
                and self.args == other.args and self.kwargs == other.kwargs)

    @cached_property
    def vars(self) -> Tuple[str, ...]:
        """``expr_vars(self)``, found once (an expression never changes)."""
        names = []
        for a in self.args + tuple(v for _, v in self.kwargs):
            if isinstance(a, Var):
                names.append(a.name)
            elif isinstance(a, Op):
                names.extend(a.vars)
        return tuple(names)

    @cached_property
    def effect(self) -> bool:
        """Whether evaluating it changes an object (``tape.pop()``, an
        unresolved ``obj.update(v)`` or ``obj(v)``, anywhere in it), found
        once."""
        if isinstance(self.fn, PseudoOp) and self.fn.kind == "method" and \
                (self.fn.name in EFFECT_METHODS or self.fn.name in MUTATING_METHODS or
                 self.fn.name == "__call__"):
            return True
        return any(isinstance(a, Op) and a.effect
                   for a in self.args + tuple(v for _, v in self.kwargs))


def _fn_label(fn) -> str:
    return getattr(fn, "__name__", None) or repr(fn)


Expr = Union[Var, Const, Op]
Atom = Union[Var, Const]
NONE = Const(None)


def is_atom(e: Expr) -> bool:
    return isinstance(e, (Var, Const))


def expr_vars(e: Expr) -> Tuple[str, ...]:
    """Names of the variables an expression reads, in order, with repeats."""
    if isinstance(e, Var):
        return (e.name,)
    if isinstance(e, Op):
        return e.vars
    return ()


def substitute(e: Expr, mapping) -> Expr:
    """Replace variables by expressions (``mapping`` maps name -> Expr)."""
    if isinstance(e, Var):
        return mapping.get(e.name, e)
    if isinstance(e, Op):
        if mapping.keys().isdisjoint(e.vars):
            return e                         # nothing to replace: the same expression
        return Op(e.fn, tuple(substitute(a, mapping) for a in e.args),
                  tuple((k, substitute(v, mapping)) for k, v in e.kwargs))
    return e


# --------------------------------------------------------------------------
# statements

Target = Union[Var, Tuple[Var, ...]]


@dataclass
class Assign:
    target: Target
    value: Expr
    loc: Optional[Location] = None
    carry: bool = False     # the copy that ends a loop body (``x = x_2``)
    augmented: bool = False  # from ``x += v`` (NumPy would update an array in place)
    store: bool = False      # from ``x[i] = v`` (NumPy updates x's array in place)

    def targets(self) -> Tuple[str, ...]:
        if isinstance(self.target, Var):
            return (self.target.name,)
        return tuple(t.name for t in self.target)


@dataclass
class Effect:
    """An expression evaluated for its effect only (``print(x)``)."""

    value: Expr
    loc: Optional[Location] = None


@dataclass
class If:
    test: Expr
    body: list
    orelse: list
    loc: Optional[Location] = None


@dataclass
class For:
    """``for target in iter: body``; ``stop`` names a flag that ends the loop
    after an iteration in which it became true (lowered ``break``/``return``)."""

    target: Target
    iter: Expr
    body: list
    loc: Optional[Location] = None
    stop: Optional[str] = None


@dataclass
class While:
    """``while test: body``; the statements computing ``test`` are ``test_body``,
    run before the first test and again at the end of every iteration."""

    test_body: list
    test: Expr
    body: list
    loc: Optional[Location] = None
    stop: Optional[str] = None


@dataclass
class Return:
    value: Expr
    loc: Optional[Location] = None


@dataclass
class Comment:
    """A comment line in generated code (``# adjoint sweep``)."""

    text: str
    loc: Optional[Location] = None


Stmt = Union[Assign, Effect, If, For, While, Return, Comment]


@dataclass
class Param:
    name: str
    default: Optional[Const] = None     # None: no default
    kwonly: bool = False


@dataclass
class Function:
    name: str
    params: list
    body: list
    namespace: "Namespace"
    filename: str = "<unknown>"
    doc: Optional[str] = None
    header_comment: Optional[str] = None
    temps: frozenset = frozenset()      # generated names the optimiser may inline
    free_data: frozenset = frozenset()  # module or closure data the function reads by name
    closure_data: frozenset = frozenset()   # the part of it captured from a closure
    user_of: dict = None                # SSA version -> user variable (from lowering)
    arrays: frozenset = frozenset()     # names known to hold NumPy arrays (reverse mode's kinds)
    kinds: dict = None                  # reverse mode's kinds, for the passes after it
    pause_gc: bool = False              # run under runtime.gc_paused (a tape of residuals)
    instances: dict = None              # name -> class of the instances it is given

    def param_names(self) -> Tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def with_body(self, body, **changes) -> "Function":
        return replace(self, body=body, **changes)

    def __str__(self) -> str:
        from .backend import to_source
        return to_source(self)


def copy_with(s, **changes):
    """A copy of the statement ``s`` with ``changes`` (``dataclasses.replace``
    without its checks: statements have no derived fields)."""
    new = object.__new__(type(s))
    new.__dict__.update(s.__dict__)
    new.__dict__.update(changes)
    return new


def with_value(s, value):
    """``s`` (an ``Assign``, ``Effect`` or ``Return``) computing ``value``:
    ``s`` itself when that is its value already (no copy made)."""
    return s if value is s.value else replace(s, value=value)


# --------------------------------------------------------------------------
# walking


def walk(stmts) -> list:
    """Every statement, nested ones included, in program order (a list,
    made at once: the passes walk every block many times)."""
    out: list = []
    _walk_into(stmts, out)
    return out


def _walk_into(stmts, out: list) -> None:
    for s in stmts:
        out.append(s)
        t = type(s)
        if t is If:
            _walk_into(s.body, out)
            _walk_into(s.orelse, out)
        elif t is For:
            _walk_into(s.body, out)
        elif t is While:
            _walk_into(s.test_body, out)
            _walk_into(s.body, out)


def child_blocks(s: Stmt):
    if isinstance(s, If):
        return (s.body, s.orelse)
    if isinstance(s, For):
        return (s.body,)
    if isinstance(s, While):
        return (s.test_body, s.body)
    return ()


def stmt_reads(s: Stmt) -> Tuple[str, ...]:
    """Variables a statement reads itself (not in nested blocks)."""
    if isinstance(s, (Assign, Effect, Return)):
        return expr_vars(s.value)
    if isinstance(s, (If, While)):
        return expr_vars(s.test)
    if isinstance(s, For):
        return expr_vars(s.iter)
    return ()


def target_names(t: Target) -> Tuple[str, ...]:
    return (t.name,) if isinstance(t, Var) else tuple(v.name for v in t)


def stmt_writes(s: Stmt) -> Tuple[str, ...]:
    if isinstance(s, Assign):
        return s.targets()
    if isinstance(s, For):
        return target_names(s.target)
    return ()


def all_reads(stmts) -> set:
    return {n for s in walk(stmts) for n in stmt_reads(s)}


def all_writes(stmts) -> set:
    return {n for s in walk(stmts) for n in stmt_writes(s)}


# --------------------------------------------------------------------------
# naming objects in generated code


class Namespace:
    """The global names generated code uses, and how objects are spelled.

    Generated code runs in a fresh globals dict. Objects the user's function
    referred to keep the spelling the user wrote (``np.sin`` stays ``np.sin``);
    objects a derivative rule introduces are spelled through a known module
    (``np.cos``, ``math.cos``) or given a stable readable name of their own.
    Names never collide with a local variable of the generated function.
    """

    KNOWN_MODULES = (("np", "numpy"), ("math", "math"), ("np.linalg", "numpy.linalg"))

    def __init__(self, taken_locals=(), user_globals=None):
        self.bindings: dict = {}          # global name -> object
        self.spelling: dict = {}          # id(obj) -> dotted text
        self._keep: list = []             # keeps spelled objects alive (ids stay unique)
        self.taken = set(taken_locals)
        self.live_globals = user_globals   # the user's module dict, read at run time

    def reserve_locals(self, names) -> None:
        self.taken.update(names)

    def copy(self) -> "Namespace":
        """An independent copy: each derivative binds its own names."""
        new = Namespace(self.taken, self.live_globals)
        new.bindings = dict(self.bindings)
        new.spelling = dict(self.spelling)
        new._keep = list(self._keep)
        return new

    def bind(self, name: str, obj) -> str:
        """Bind ``name`` to ``obj`` in generated globals, or a variant of it."""
        base, i = name, 0
        while (name in self.taken or
               (name in self.bindings and self.bindings[name] is not obj)):
            i += 1
            name = f"{base}_{i}"
        self.bindings[name] = obj
        return name

    def spell_as(self, obj, text: str) -> None:
        """Record that the user wrote ``text`` for ``obj`` (root must be bound).
        Lowering's own names for builtins (``__wengert_builtin_len``) are not
        spellings: the builtin is spelled by its name (``len``)."""
        if text.startswith("__wengert_builtin_"):
            return
        if id(obj) not in self.spelling:
            self.spelling[id(obj)] = text
            self._keep.append(obj)

    def spell(self, obj) -> str:
        """Text that denotes ``obj`` in generated code."""
        key = id(obj)
        if key in self.spelling:
            return self.spelling[key]
        text = self._find_spelling(obj)
        self.spelling[key] = text
        self._keep.append(obj)
        return text

    def _find_spelling(self, obj) -> str:
        import importlib
        for alias, modname in self.KNOWN_MODULES:
            mod = importlib.import_module(modname)
            if obj is mod:
                return self._module_root(alias, mod)
            attr = _attr_name_in(mod, obj)
            if attr is not None:
                return f"{self._module_root(alias, mod)}.{attr}"
        import keyword
        name = getattr(obj, "__name__", None) or type(obj).__name__
        name = "".join(c if c.isalnum() or c == "_" else "_" for c in name).strip("_") or "fn"
        if keyword.iskeyword(name) or not name.isidentifier():
            name = f"{name}_fn" if name.isidentifier() or keyword.iskeyword(name) else "fn"
        return self.bind(name, obj)

    def _module_root(self, alias: str, mod) -> str:
        if "." in alias:
            parent, _, child = alias.rpartition(".")
            import importlib
            parent_mod = importlib.import_module(dict(self.KNOWN_MODULES)[parent])
            return f"{self._module_root(parent, parent_mod)}.{child}"
        return self.bind(alias, mod)


_ATTR_INDEX: dict = {}


def _attr_name_in(mod, obj) -> Optional[str]:
    index = _ATTR_INDEX.get(mod.__name__)
    if index is None:
        index = {}
        for k in sorted(vars(mod)):
            if k.startswith("_"):
                continue
            v = vars(mod)[k]
            if callable(v) and not isinstance(v, type(mod)):
                if getattr(v, "__name__", None) == k:
                    index[id(v)] = k         # its own name (np.concatenate, not the alias np.concat)
                else:
                    index.setdefault(id(v), k)
        _ATTR_INDEX[mod.__name__] = index
    return index.get(id(obj))
