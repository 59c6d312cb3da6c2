"""Emit: IR -> ``ast`` -> ``ast.unparse`` -> ``compile``.

The generated source is registered with ``linecache`` under a file name of its
own (``<wengert f_grad #1>``), so tracebacks show generated lines and
``inspect.getsource`` works on generated functions, which is also how a
derivative is differentiated again.

Generated code runs in a fresh globals dict that binds exactly the names the
code uses (``np``, ``math``, the user's helpers, wengert's runtime helpers).
When the user's function reads module-level data (a global array or
constant), that dict's ``__builtins__`` is the user's module dict, so such
data is read when the derivative runs, as it would be by the original.
"""

from __future__ import annotations

import ast
import builtins
import itertools
import linecache
import math
import operator
import re
import threading
import types

import numpy as np

from . import ir, runtime

BINOPS = {
    operator.add: ast.Add, operator.sub: ast.Sub, operator.mul: ast.Mult,
    operator.truediv: ast.Div, operator.floordiv: ast.FloorDiv,
    operator.mod: ast.Mod, operator.pow: ast.Pow, operator.matmul: ast.MatMult,
    operator.and_: ast.BitAnd, operator.or_: ast.BitOr, operator.xor: ast.BitXor,
    operator.lshift: ast.LShift, operator.rshift: ast.RShift,
}
UNARYOPS = {operator.neg: ast.USub, operator.pos: ast.UAdd, operator.not_: ast.Not,
            operator.invert: ast.Invert}
CMPOPS = {operator.lt: ast.Lt, operator.le: ast.LtE, operator.gt: ast.Gt,
          operator.ge: ast.GtE, operator.eq: ast.Eq, operator.ne: ast.NotEq,
          operator.is_: ast.Is, operator.is_not: ast.IsNot}

_COMMENT = "__wengert_comment__"


def _zero_valued(e, depth=0) -> bool:
    """Whether ``e`` is a constant 0, or arithmetic on constants that is 0
    (``1 - 1``): a divisor made of a shape folded into the code (``np.mean``
    over an empty axis, ``ddof`` equal to the length). Python's ``1.0 / 0``
    would raise where NumPy, whose scalars the primal computed, gives inf or
    NaN; such a division is written ``np.true_divide(a, b)``."""
    return _constant_value(e, depth) == 0


def _constant_value(e, depth):
    if isinstance(e, ir.Const):
        return e.value if type(e.value) in (int, float) else None
    if depth < 4 and isinstance(e, ir.Op) and not e.kwargs and \
            e.fn in (operator.add, operator.sub, operator.mul, operator.neg):
        values = [_constant_value(a, depth + 1) for a in e.args]
        if None not in values:
            return e.fn(*values)
    return None


class Emitter:
    def __init__(self, ns: ir.Namespace):
        self.ns = ns

    # -- expressions -----------------------------------------------------------

    def expr(self, e) -> ast.expr:
        if isinstance(e, ir.Var):
            return ast.Name(id=e.name, ctx=ast.Load())
        if isinstance(e, ir.Const):
            return self.const(e.value)
        if isinstance(e, ir.Op):
            return self.op(e)
        raise TypeError(f"cannot emit {e!r}")

    def const(self, v) -> ast.expr:
        t = type(v)
        if v is None or v is Ellipsis or t in (bool, str, bytes):
            return ast.Constant(value=v)
        if t in (int, float):
            if t is float and not math.isfinite(v):
                return self._name_expr(self.ns.bind("inf" if v > 0 else "nan"
                                                    if v != v else "neg_inf", v))
            if v < 0 or (t is float and math.copysign(1.0, v) < 0):
                return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-v))
            return ast.Constant(value=v)
        if t is complex:
            return ast.Constant(value=v)
        if t is tuple:
            return ast.Tuple(elts=[self.const(x) for x in v], ctx=ast.Load())
        if t is slice:
            return ast.Call(func=self._name_expr(self.ns.spell(slice)),
                            args=[self.const(v.start), self.const(v.stop), self.const(v.step)],
                            keywords=[])
        if isinstance(v, np.generic) and v.ndim == 0 and type(v.item()) in (int, float, bool):
            return ast.Call(func=self._name_expr(self.ns.spell(type(v))),
                            args=[self.const(v.item())], keywords=[])
        if callable(v) or isinstance(v, types.ModuleType):
            return self._name_expr(self.ns.spell(v))
        return self._name_expr(self.ns.bind("const", v))

    def _name_expr(self, dotted: str) -> ast.expr:
        parts = dotted.split(".")
        node: ast.expr = ast.Name(id=parts[0], ctx=ast.Load())
        for p in parts[1:]:
            node = ast.Attribute(value=node, attr=p, ctx=ast.Load())
        return node

    def index(self, e) -> ast.expr:
        """An expression in subscript position: slices become slice syntax."""
        if isinstance(e, ir.Const) and type(e.value) is slice:
            s = e.value
            return ast.Slice(lower=None if s.start is None else self.const(s.start),
                             upper=None if s.stop is None else self.const(s.stop),
                             step=None if s.step is None else self.const(s.step))
        if isinstance(e, ir.Const) and type(e.value) is tuple:
            return ast.Tuple(elts=[self.index(ir.Const(x)) for x in e.value], ctx=ast.Load())
        if isinstance(e, ir.Op) and e.fn is ir.SLICE:
            lo, hi, st = e.args
            opt = lambda a: None if a == ir.NONE else self.expr(a)  # noqa: E731
            return ast.Slice(lower=opt(lo), upper=opt(hi), step=opt(st))
        if isinstance(e, ir.Op) and e.fn is ir.MAKE_TUPLE:
            return ast.Tuple(elts=[self.index(a) for a in e.args], ctx=ast.Load())
        return self.expr(e)

    def op(self, e: ir.Op) -> ast.expr:
        fn, args = e.fn, e.args
        if isinstance(fn, ir.PseudoOp):
            return self.pseudo(e)
        try:
            binop = BINOPS.get(fn)
            unop = UNARYOPS.get(fn)
            cmpop = CMPOPS.get(fn)
        except TypeError:
            binop = unop = cmpop = None
        if fn is operator.truediv and len(args) == 2 and _zero_valued(args[1]):
            binop, fn = None, np.true_divide   # a shape folded to 0: inf or NaN, as NumPy's
        if binop is not None and len(args) == 2 and not e.kwargs:
            return ast.BinOp(left=self.expr(args[0]), op=binop(), right=self.expr(args[1]))
        if unop is not None and len(args) == 1:
            return ast.UnaryOp(op=unop(), operand=self.expr(args[0]))
        if cmpop is not None and len(args) == 2:
            return ast.Compare(left=self.expr(args[0]), ops=[cmpop()],
                               comparators=[self.expr(args[1])])
        if fn is operator.contains and len(args) == 2:
            return ast.Compare(left=self.expr(args[1]), ops=[ast.In()],
                               comparators=[self.expr(args[0])])
        if fn is operator.getitem and len(args) == 2:
            return ast.Subscript(value=self.expr(args[0]), slice=self.index(args[1]),
                                 ctx=ast.Load())
        return ast.Call(func=self.const(fn), args=[self.expr(a) for a in args],
                        keywords=[ast.keyword(arg=k, value=self.expr(v)) for k, v in e.kwargs])

    def pseudo(self, e: ir.Op) -> ast.expr:
        fn, args = e.fn, e.args
        if fn.kind == "attr":
            return ast.Attribute(value=self.expr(args[0]), attr=fn.name, ctx=ast.Load())
        if fn.kind == "method":
            func = ast.Attribute(value=self.expr(args[0]), attr=fn.name, ctx=ast.Load())
            return ast.Call(func=func, args=[self.expr(a) for a in args[1:]],
                            keywords=[ast.keyword(arg=k, value=self.expr(v))
                                      for k, v in e.kwargs])
        if fn.kind == "tuple":
            return ast.Tuple(elts=[self.expr(a) for a in args], ctx=ast.Load())
        if fn.kind == "list":
            return ast.List(elts=[self.expr(a) for a in args], ctx=ast.Load())
        if fn.kind == "dict":
            return ast.Dict(keys=[self.const(k) for k in fn.keys],
                            values=[self.expr(a) for a in args])
        if fn.kind == "ifexp":
            return ast.IfExp(test=self.expr(args[0]), body=self.expr(args[1]),
                             orelse=self.expr(args[2]))
        if fn.kind == "slice":
            return ast.Call(func=self._name_expr(self.ns.spell(slice)),
                            args=[self.expr(a) for a in args], keywords=[])
        raise TypeError(f"cannot emit pseudo-op {fn!r}")

    # -- statements ------------------------------------------------------------

    def target(self, t) -> ast.expr:
        if isinstance(t, ir.Var):
            return ast.Name(id=t.name, ctx=ast.Store())
        return ast.Tuple(elts=[ast.Name(id=v.name, ctx=ast.Store()) for v in t],
                         ctx=ast.Store())

    def block(self, stmts) -> list:
        out = []
        for s in stmts:
            out.extend(self.stmt(s))
        return out or [ast.Pass()]

    def stmt(self, s) -> list:
        nodes = self._stmt(s)
        if nodes and getattr(s, "loc", None) is not None:
            nodes[-1 if isinstance(s, ir.While) else 0]._wengert_loc = s.loc
        return nodes

    def _stmt(self, s) -> list:
        if isinstance(s, ir.Assign):
            return [ast.Assign(targets=[self.target(s.target)], value=self.expr(s.value),
                               lineno=0)]
        if isinstance(s, ir.Effect):
            return [ast.Expr(value=self.expr(s.value))]
        if isinstance(s, ir.Return):
            return [ast.Return(value=self.expr(s.value))]
        if isinstance(s, ir.Comment):
            call = ast.Call(func=ast.Name(id=_COMMENT, ctx=ast.Load()),
                            args=[ast.Constant(value=s.text)], keywords=[])
            return [ast.Expr(value=call)]
        if isinstance(s, ir.If):
            return [ast.If(test=self.expr(s.test), body=self.block(s.body),
                           orelse=self.block(s.orelse) if s.orelse else [])]
        if isinstance(s, ir.For):
            body = self.block(s.body) + self._stop(s.stop)
            return [ast.For(target=self.target(s.target), iter=self.expr(s.iter),
                            body=body, orelse=[], lineno=0)]
        if isinstance(s, ir.While):
            test_body = [x for t in s.test_body for x in self.stmt(t)]
            body = self.block(s.body) + self._stop(s.stop) + \
                [x for t in s.test_body for x in self.stmt(t)]
            return test_body + [ast.While(test=self.expr(s.test), body=body, orelse=[])]
        raise TypeError(f"cannot emit {s!r}")

    def _stop(self, stop) -> list:
        if not stop:
            return []
        return [ast.If(test=ast.Name(id=stop, ctx=ast.Load()), body=[ast.Break()], orelse=[])]

    def function(self, fn: ir.Function) -> ast.FunctionDef:
        args, defaults, kwonly, kw_defaults = [], [], [], []
        for p in fn.params:
            a = ast.arg(arg=p.name, annotation=None)
            if p.kwonly:
                kwonly.append(a)
                kw_defaults.append(self.const(p.default.value) if p.default else None)
            else:
                args.append(a)
                if p.default is not None:
                    defaults.append(self.const(p.default.value))
                elif defaults:
                    raise TypeError("non-default parameter after default parameter")
        arguments = ast.arguments(posonlyargs=[], args=args, vararg=None, kwonlyargs=kwonly,
                                  kw_defaults=kw_defaults, kwarg=None, defaults=defaults)
        body = []
        if fn.doc:
            body.append(ast.Expr(value=ast.Constant(value=fn.doc)))
        if fn.pause_gc:             # (the residuals it keeps hold no cycles)
            body.append(ast.With(items=[ast.withitem(context_expr=ast.Call(
                func=self._name_expr(self.ns.spell(runtime.gc_paused)), args=[], keywords=[]),
                optional_vars=None)], body=self.block(fn.body), type_comment=None,
                lineno=1, col_offset=0))
        else:
            body.extend(self.block(fn.body))
        node = ast.FunctionDef(name=fn.name, args=arguments, body=body, decorator_list=[],
                               returns=None, type_comment=None, lineno=1, col_offset=0)
        if "type_params" in ast.FunctionDef._fields:
            node.type_params = []
        return node


def _statements(node):
    """Statements in document order (the same for a tree and its re-parse)."""
    for field in ("body", "orelse"):
        for child in getattr(node, field, []) or []:
            if isinstance(child, ast.stmt):
                yield child
                yield from _statements(child)


def _source_map_comments(tree, text: str) -> str:
    """Append ``# file.py:12`` to each generated line whose user source line
    differs from the line annotated before it (the source map)."""
    lines = text.split("\n")
    made = list(_statements(tree))
    last = None
    for stmt, i in zip(made, _first_lines(made, lines, text)):
        loc = getattr(stmt, "_wengert_loc", None)
        if loc is None or not loc.lineno:
            continue
        where = (_short(loc.filename), loc.lineno)
        if where == last:
            continue
        last = where
        if "#" not in lines[i] and _COMMENT not in lines[i]:
            lines[i] = f"{lines[i]}  # {where[0]}:{where[1]}"
    return "\n".join(lines)


def _first_lines(made, lines, text) -> list:
    """The index in ``lines`` (the unparsed module) of each statement's
    first line, in document order. Unparsing writes every statement (the
    ``def`` too) on a line of its own, with ``else:`` lines between them;
    only a multi-line string (a docstring) adds other lines: then the
    statements' lines are found by parsing the text again."""
    starts = [i for i, line in enumerate(lines) if line.strip() != "else:"]
    if len(starts) == len(made):
        return starts
    return [parsed.lineno - 1 for parsed in _statements(ast.parse(text))]


def _short(filename: str) -> str:
    """A file name for source-map comments: no directories, no build counters
    (so the same function always gives the same text)."""
    import os
    if filename.startswith("<"):
        return re.sub(r" #\d+>$", ">", filename)
    return os.path.basename(filename)


def to_source(fn: ir.Function, locations: bool = True) -> str:
    """The Python source of an IR function (deterministic)."""
    return render(fn, locations)[0]


def render(fn: ir.Function, locations: bool = True):
    """``(to_source(fn), unparsed)``: ``unparsed`` is the function as
    ``ast.unparse`` wrote it, before any comment was added (its statements
    as a re-parse of the source would give them, without a re-parse)."""
    node = Emitter(fn.namespace).function(fn)
    module = ast.Module(body=[node], type_ignores=[])
    unparsed = ast.unparse(module)       # (unparse needs no line numbers: none are filled in)
    text = _source_map_comments(module, unparsed) if locations else unparsed
    text = re.sub(rf"^(\s*){_COMMENT}\((['\"])(.*)\2\)$", r"\1# \3", text, flags=re.M)
    if fn.header_comment:
        text = "".join(f"# {line}\n" for line in fn.header_comment.splitlines()) + text
    return text + "\n", unparsed


def is_comment(line: str) -> bool:
    """Whether a line of ``render``'s ``unparsed`` text is a comment (in the source)."""
    return line.lstrip().startswith(_COMMENT + "(")


_counter = itertools.count(1)
_lock = threading.Lock()


def compile_function(fn: ir.Function, source: str = None):
    """Compile an IR function; returns ``(python_function, source)``."""
    if source is None:
        source = to_source(fn)
    with _lock:
        filename = f"<wengert {fn.name} #{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    code = compile(source, filename, "exec")
    namespace = dict(fn.namespace.bindings)
    live = fn.namespace.live_globals
    namespace["__builtins__"] = live if live is not None else builtins.__dict__
    namespace["__name__"] = "wengert.generated"
    exec(code, namespace)
    return namespace[fn.name], source
