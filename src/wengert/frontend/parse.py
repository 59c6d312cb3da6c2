"""Parse: a function object -> its gast tree, namespace and source position.

The source is read with ``inspect`` (so functions in any module, file or
enclosing function work), dedented, stripped of decorators and parsed with
gast, which gives one AST shape on every supported Python version. Line
numbers in the tree are the file's (the text is parsed after as many blank
lines as precede it there), and the column offset the dedent removed is
remembered, so every error can point into the real file.
"""

from __future__ import annotations

import builtins
import inspect
import textwrap
import types
from dataclasses import dataclass, field

import gast

from ..errors import Location, SourceUnavailableError, UnsupportedSyntaxError


BUILTIN = "__wengert_builtin_"      # a name lowering writes for one of Python's builtins


@dataclass
class ParsedFunction:
    func: types.FunctionType
    node: gast.FunctionDef          # the def (a lambda is rewritten as a def)
    filename: str
    col_offset: int                 # columns removed by dedent
    globals: dict
    closure: dict = field(default_factory=dict)
    builtins: dict = field(default_factory=dict)
    origin: tuple = None            # (user file, line map) of a lifted nested function

    def loc(self, node) -> Location:
        line = getattr(node, "lineno", 0) or 0
        col = (getattr(node, "col_offset", 0) or 0) + self.col_offset
        if self.origin is not None and line:
            filename, lines = self.origin
            best = None
            for gen_line, gen_col, user_line, user_col in lines:
                if gen_line <= line and (best is None or gen_line >= best[0]):
                    best = (gen_line, gen_col, user_line, user_col)
            if best is not None:
                same = best[0] == line
                return Location(filename, best[2], best[3] + (col - best[1] if same else 0))
        return Location(self.filename, line, col)

    def lookup(self, name: str):
        """Resolve a free name as Python would: closure, globals, builtins (a
        generated function's ``__builtins__`` is the user's module: then
        Python's own last). ``BUILTIN + "len"``, which lowering writes in the
        loops it makes, is Python's ``len`` whatever the user's code calls so."""
        if name.startswith(BUILTIN):
            return True, vars(builtins)[name[len(BUILTIN):]]
        for scope in (self.closure, self.globals, self.builtins, vars(builtins)):
            if name in scope:
                return True, scope[name]
        return False, None


def parse_function(func) -> ParsedFunction:
    """Parse ``func``; raise ``SourceUnavailableError`` if it has no source."""
    if not isinstance(func, types.FunctionType):
        raise SourceUnavailableError(
            f"cannot read the source of {func!r}: it is not a Python function",
            hint="differentiate a plain `def` function, or register a rule for "
                 "this callable with wengert.defrule")
    code = func.__code__
    filename = code.co_filename
    try:
        if filename == "<string>":     # exec() of a string: whatever linecache holds under
            raise OSError("could not get source code")     # that name is someone else's
        lines, start = _source_lines(code)       # not func: it may carry __wrapped__
    except (OSError, TypeError) as exc:
        raise SourceUnavailableError(
            f"cannot read the source of `{func.__qualname__}` ({filename}): {exc}",
            hint="functions typed into the interactive prompt or built with exec() "
                 "have no source file; define the function in a .py file") from None
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    col_offset = _removed_indent(text, dedented)
    try:                      # (blank lines first: line numbers are the file's)
        module = gast.parse("\n" * (start - 1) + dedented)
    except SyntaxError:
        module = None
    node = _find_def(module, func) if module is not None else None
    if node is None and code.co_name != "<lambda>":
        node = _def_from_file(func, filename, code.co_firstlineno)   # inspect cut it short
        if node is not None:
            col_offset = 0                 # parsed from the file: file coordinates already
    if node is None:
        node = _lambda_def(func, filename, code.co_firstlineno)
        col_offset = 0
    elif not getattr(node, "_from_file", False):
        if isinstance(node, gast.AsyncFunctionDef):
            raise UnsupportedSyntaxError(
                f"async function `{func.__name__}` cannot be differentiated",
                Location(filename, node.lineno, node.col_offset + col_offset),
                hint="differentiate a plain (synchronous) function")
    if code.co_name != "<lambda>" and not getattr(node, "_from_file", False):
        _check_unchanged(func, filename)
    node.decorator_list = []
    if inspect.isgeneratorfunction(func) or inspect.iscoroutinefunction(func):
        what = "a generator function" if inspect.isgeneratorfunction(func) else "a coroutine"
        where = next((n for n in gast.walk(node) if isinstance(n, (gast.Yield, gast.YieldFrom,
                                                                   gast.Await))), node)
        pf = ParsedFunction(func=func, node=node, filename=filename, col_offset=col_offset,
                            globals=func.__globals__)
        raise UnsupportedSyntaxError(
            f"`{func.__name__}` is {what} and cannot be differentiated", pf.loc(where),
            hint="return a list or an array instead of yielding values")
    return ParsedFunction(func=func, node=node, filename=filename,
                          col_offset=col_offset, globals=func.__globals__,
                          closure=_closure_values(func),
                          builtins=_builtins_of(func),
                          origin=getattr(func, "__wengert_origin__", None))


def _check_unchanged(func, filename: str) -> None:
    """Refuse the source of a function that no longer compiles to the code
    that runs: its file was edited after it was imported (and not
    reloaded), and the derivative would be another function's. The file as
    it is now is compiled whole (once per content), and its functions of
    that name (methods and nested functions too) compared with the one that
    runs, by bytecode, constants and names; checked in a module Python's own
    loader compiled (an import hook may change the code: pytest's rewriting
    of asserts)."""
    import importlib.machinery
    import sys
    code = func.__code__
    if filename.startswith("<"):
        return
    module = sys.modules.get(getattr(func, "__module__", None) or "")
    if type(getattr(module, "__loader__", None)) is not importlib.machinery.SourceFileLoader \
            or getattr(module, "__file__", None) != filename:
        return                 # (an import hook may change the code: pytest's asserts)
    compiled = _file_code(filename)
    if compiled is None:
        return
    found = []
    _defined(compiled, code.co_name, found)
    if not found or any(_same_code(c, code) for c in found):
        return
    raise SourceUnavailableError(
        f"the source of `{func.__qualname__}` in {filename} has changed since the function "
        "was defined (the file was edited, the code that runs is the old one)",
        hint="reload the module (importlib.reload, or %autoreload in a notebook) or run the "
             "file again, then differentiate the function it defines")


_FILE_CODE: dict = {}       # filename -> (text, its module code object or None)


def _file_code(filename: str):
    import linecache
    text = "".join(linecache.getlines(filename))
    cached = _FILE_CODE.get(filename)
    if cached is not None and cached[0] == text:
        return cached[1]
    try:
        compiled = compile(text, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        compiled = None
    _FILE_CODE[filename] = (text, compiled)
    return compiled


def _defined(code, name: str, out: list, depth: int = 0) -> None:
    """The code objects of functions called ``name`` that the module code
    ``code`` defines, at any depth (methods in class bodies, nested
    functions): the file compiled whole compiles each as Python did."""
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            if c.co_name == name:
                out.append(c)
            if depth < 8:
                _defined(c, name, out, depth + 1)


def _same_code(a, b) -> bool:
    """Whether two code objects do the same (line numbers aside)."""
    if (a.co_code, a.co_names, a.co_varnames, a.co_argcount, a.co_kwonlyargcount) != \
            (b.co_code, b.co_names, b.co_varnames, b.co_argcount, b.co_kwonlyargcount) or \
            len(a.co_consts) != len(b.co_consts):
        return False
    for x, y in zip(a.co_consts, b.co_consts):
        if isinstance(x, types.CodeType) and isinstance(y, types.CodeType):
            if not _same_code(x, y):
                return False
        elif type(x) is not type(y) or (x != y and not (x != x and y != y)):
            return False
    return True


def _source_lines(code):
    """``(lines, first line number)`` of the definition of ``code``, as
    ``inspect.getsourcelines`` gives them, without tokenizing the file: from
    its first line (its first decorator's) through the last line that has
    code (``_last_line``), then on while lines are blank, comments or
    indented deeper. A block that ends otherwise (a bracket or string whose
    lines are indented less) does not parse, and the whole file is read
    instead (``_def_from_file``). Lambdas are left to ``inspect``."""
    import linecache
    filename, start = code.co_filename, code.co_firstlineno
    if code.co_name != "<lambda>":
        linecache.checkcache(filename)         # (an edited file is read again)
        lines = linecache.getlines(filename)
        last = _last_line(code)
        if lines and start <= last <= len(lines):
            first = lines[start - 1]
            base = len(first) - len(first.lstrip())
            header = next((i + 1 for i in range(start - 1, len(lines))
                           if lines[i].lstrip().startswith(("def ", "async def "))), last)
            end = max(last, header)            # (a body of a docstring has no line)
            while end < len(lines):
                line = lines[end]
                text = line.strip()
                if text and not text.startswith("#") and len(line) - len(line.lstrip()) <= base:
                    break
                end += 1
            while end > last and lines[end - 1].strip()[:1] in ("", "#"):
                end -= 1                       # (blank lines and comments after it)
            return lines[start - 1:end], start
    return inspect.getsourcelines(code)


def _last_line(code) -> int:
    """The last line of the source that any of ``code``'s instructions (or
    those of the functions and classes defined in it) come from."""
    import dis
    last = max((line for _, line in dis.findlinestarts(code) if line is not None),
               default=0)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            last = max(last, _last_line(c))
    return last


def _removed_indent(text: str, dedented: str) -> int:
    for a, b in zip(text.splitlines(), dedented.splitlines()):
        if a.strip():
            return len(a) - len(b)
    return 0


def _find_def(module, func):
    # the code's name, not __name__: functools.wraps renames a wrapper
    if func.__code__.co_name == "<lambda>":
        return None
    for node in module.body:
        if isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef)) \
                and node.name == func.__code__.co_name:
            return node
    return None


def _def_from_file(func, filename: str, lineno: int):
    """The def of ``func`` found by parsing its whole file (for sources that
    ``inspect`` cannot cut out, e.g. a decorator holding a lambda on 3.9)."""
    import linecache
    try:
        tree = gast.parse("".join(linecache.getlines(filename)))
    except (SyntaxError, ValueError):
        return None
    for n in gast.walk(tree):
        if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef)) and \
                n.name == func.__code__.co_name and \
                lineno in [n.lineno] + [d.lineno for d in n.decorator_list]:
            n._from_file = True
            return n
    return None


def _lambda_def(func, filename: str, lineno: int) -> gast.FunctionDef:
    """Find the lambda on its line in the file and turn it into a def."""
    import linecache
    source = "".join(linecache.getlines(filename))
    try:
        tree = gast.parse(source)
    except SyntaxError:
        tree = None
    argnames = func.__code__.co_varnames[:func.__code__.co_argcount]
    found = []
    if tree is not None:
        for n in gast.walk(tree):
            if isinstance(n, gast.Lambda) and n.lineno == lineno and \
                    tuple(a.id for a in n.args.args) == tuple(argnames):
                found.append(n)
    if len(found) > 1 and hasattr(func.__code__, "co_positions"):     # 3.11+: by column
        starts = {(line, col) for line, _, col, _ in func.__code__.co_positions()}
        found = [n for n in found if (n.body.lineno, n.body.col_offset) in starts] or found
    if len(found) != 1:
        why = "no lambda" if not found else "several lambdas"
        raise SourceUnavailableError(
            f"cannot locate the source of `{func.__qualname__}`: {why} with "
            f"parameters {argnames} on {filename}:{lineno}",
            hint="write the function with `def` (or put one lambda per line)")
    lam = found[0]
    ret = gast.Return(value=lam.body)
    gast.copy_location(ret, lam.body)
    fdef = gast.FunctionDef(name="lambda_", args=lam.args, body=[ret],
                            decorator_list=[], returns=None, type_comment=None,
                            **_type_params())
    gast.copy_location(fdef, lam)
    return fdef


def _type_params() -> dict:
    fields = getattr(gast.FunctionDef, "_fields", ())
    return {"type_params": []} if "type_params" in fields else {}


def _closure_values(func) -> dict:
    out = {}
    for name, cell in zip(func.__code__.co_freevars, func.__closure__ or ()):
        try:
            out[name] = cell.cell_contents
        except ValueError:      # cell not yet filled (recursive inner def)
            pass
    return out


def _builtins_of(func) -> dict:
    b = func.__globals__.get("__builtins__", builtins)
    return b if isinstance(b, dict) else vars(b)
