"""The command line.

::

    wengert show   FILE.py:FUNC [--mode M] [--wrt a,b] [--args "2.0, 5.0"] [--no-optimize]
    wengert export FILE.py:FUNC [--mode M] [--wrt a,b] [--args ...] [--name NAME] [-o OUT.py]
    wengert graph  FILE.py:FUNC [--wrt a,b] [-o OUT.dot|OUT.svg|OUT.png]
    wengert check  FILE.py:FUNC --at "2.0, 5.0" [--wrt a,b]

``FILE.py:FUNC`` names a function in a file (``examples/quickstart.py:g``);
``package.module:FUNC`` names one in an importable module. ``Class.method``
names a method: an ordinary one (with ``self``) is differentiated as the
bound method of an instance ``Class()``, as ``wengert.grad(Class().method)``
would be, with the instance held constant; ``--wrt``, ``--args`` and ``--at``
are about the arguments after ``self``. Errors are one clear message on
stderr and a non-zero exit status; ``--debug`` shows the traceback too.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import inspect
import os
import shlex
import sys
import traceback
import types

import numpy as np

from .display import MODES
from .errors import UsageError, WengertError
from .export import EXPORT_MODES


class CLIError(Exception):
    pass


def load_function(spec: str):
    """Resolve ``FILE.py:FUNC`` or ``package.module:FUNC`` to a function."""
    if ":" not in spec:
        raise CLIError(f"expected FILE.py:FUNC or module:FUNC, got {spec!r}")
    where, _, name = spec.rpartition(":")
    if not where or not name:
        missing = "no file or module before the colon" if not where else \
            "no function after the colon"
        raise CLIError(f"expected FILE.py:FUNC or module:FUNC, got {spec!r} ({missing})")
    if not all(part.isidentifier() for part in name.split(".")):
        raise CLIError(f"{name!r} (in {spec!r}) is not a function name: expected FUNC, "
                       "Class.method or object.method after the colon")
    if where.endswith(".py") or os.sep in where or (os.altsep and os.altsep in where):
        if not os.path.exists(where):
            raise CLIError(f"no such file: {where}")
        if not os.path.isfile(where):
            raise CLIError(f"{where} is not a Python file (a directory?): expected "
                           "FILE.py:FUNC, or package.module:FUNC for a module of a package")
        modname = "_wengert_cli_" + os.path.splitext(os.path.basename(where))[0]
        sys.path.insert(0, os.path.dirname(os.path.abspath(where)))
        spec_ = importlib.util.spec_from_file_location(modname, where)
        if spec_ is None or spec_.loader is None:
            raise CLIError(f"cannot import {where}: not a Python file (name it FILE.py)")
        module = importlib.util.module_from_spec(spec_)
        sys.modules[modname] = module
        _run_import(lambda: spec_.loader.exec_module(module), where)
    else:
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())    # as `python -m wengert` finds it

        def load():
            try:
                return importlib.import_module(where)
            except ImportError as exc:
                raise CLIError(f"cannot import module {where!r}: {exc}") from exc
        module = _run_import(load, where)
    owner, obj = None, module
    for part in name.split("."):
        if not hasattr(obj, part):
            raise CLIError(f"{where} has no function {name!r}")
        owner, obj = obj, getattr(obj, part)
    if isinstance(owner, type) and _is_method(owner, part):
        return _method_of_an_instance(owner, part, name)
    obj = getattr(obj, "__wrapped__", obj)
    if not callable(obj):
        raise CLIError(f"{spec} is not a function")
    return obj


def _run_import(load, where):
    """``load()`` (importing the user's file or module), any failure of the
    user's code a ``CLIError`` saying so: an exception, ``sys.exit()`` (the
    file exited while being imported) or a ``KeyboardInterrupt`` it raised."""
    try:
        return load()
    except CLIError:
        raise
    except SystemExit as exc:
        code = exc.code
        status = f"sys.exit({code!r})" if code is not None else "sys.exit()"
        raise CLIError(f"importing {where} failed: the file exited ({status}) while being "
                       "imported") from exc
    except KeyboardInterrupt as exc:
        raise CLIError(f"importing {where} failed: KeyboardInterrupt was raised while "
                       "it was being imported") from exc
    except Exception as exc:       # the user's module failed to import
        raise CLIError(f"importing {where} failed: {type(exc).__name__}: {exc}") from exc


def _is_method(cls, name) -> bool:
    """``cls.name`` is an ordinary method (a function, whose first parameter
    is ``self``), not a static method, a class method or a nested class."""
    return isinstance(inspect.getattr_static(cls, name), types.FunctionType)


def _method_of_an_instance(cls, attr, name):
    """``Class().method``: the method bound to an instance made without
    arguments (the command line has no way to give it any)."""
    hint = (f"make an instance at module level (`model = {cls.__name__}(...)`) and name "
            f"its method (`FILE.py:model.{attr}`), or write a module-level function")
    try:
        inspect.signature(cls).bind()
    except TypeError as exc:
        raise UsageError(f"`{name}` is a method: the command line differentiates it on an "
                         f"instance `{cls.__name__}()`, and {cls.__name__}() needs arguments "
                         f"({exc})", hint=hint) from None
    except ValueError:
        pass                             # (no signature to check against)
    try:
        instance = cls()
    except Exception as exc:             # the user's constructor failed
        raise UsageError(f"`{name}` is a method: the command line differentiates it on an "
                         f"instance `{cls.__name__}()`, and {cls.__name__}() failed: "
                         f"{type(exc).__name__}: {exc}", hint=hint) from exc
    raw = inspect.getattr_static(cls, attr)
    return types.MethodType(getattr(raw, "__wrapped__", raw), instance)


def _for_generated_code(func, wrt, example):
    """``(function, wrt, kinds)`` to generate code for. A bound method
    (``Class().method``, a class method) is its function, whose first
    parameter is the instance (or the class), held constant: ``wrt`` and the
    example arguments are about the parameters after it, and the code is
    specialised for the instance's class even without example arguments (so
    that ``self.helper(x)`` is resolved, as ``wengert.grad`` resolves it)."""
    from .analysis import build_kind
    from .api import _wrt_positions
    kinds_of = _kinds
    if example is not None:
        _differentiable(func, wrt, example, "--args")
    if not isinstance(func, types.MethodType):
        return func, wrt, kinds_of(func, wrt, example)
    positions, several = _wrt_positions(func, wrt)       # names and ranges without self
    shifted = tuple(p + 1 for p in positions)
    wrt = shifted if several else shifted[0]
    if example is not None:
        _fits(func, example)
        return func.__func__, wrt, kinds_of(func.__func__, wrt, (func.__self__,) + example)
    lead = build_kind(func.__self__)
    if lead is None:
        return func.__func__, wrt, None
    return func.__func__, wrt, (lead,) + (None,) * len(inspect.signature(func).parameters)


def _differentiable(func, wrt, example, option) -> None:
    """Refuse an example argument the derivative is taken with respect to
    that has no derivative: a string, ``None``, a set (no order), or a
    dict, list or tuple holding no number (code specialised for it would
    silently be the general version, or differentiate nothing)."""
    from .api import _wrt_positions
    try:
        names = list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        names = []
    positions, _ = _wrt_positions(func, wrt)
    for i in positions:
        if i >= len(example):
            continue
        what = _no_derivative(example[i])
        if what is None:
            continue
        label = f"`{names[i]}`" if i < len(names) else f"argument {i}"
        given = "the point (--at)" if option == "--at" else "the example arguments (--args)"
        raise UsageError(f"the derivative is with respect to {label}, and {given} give it "
                         f"{what}, which has no derivative",
                         hint="give a number, an array (a list of numbers) or a dict, list "
                              "or tuple of them for it, or name other parameters with --wrt")


def _no_derivative(value):
    """What ``value`` is if nothing in it can be differentiated (else ``None``)."""
    if value is None:
        return "None"
    if isinstance(value, (str, bytes)):
        return f"a {type(value).__name__} ({_short(value)})"
    if isinstance(value, (set, frozenset)):
        return f"a {type(value).__name__} ({_short(value)}: no order to differentiate along)"
    if isinstance(value, (dict, list, tuple)):
        items = list(value.values()) if isinstance(value, dict) else list(value)
        if all(_no_derivative(v) is not None for v in items):
            return f"a {type(value).__name__} with no number in it ({_short(value)})"
        return None
    if isinstance(value, np.ndarray) and value.dtype.kind not in "biufc":
        return f"an array of dtype {value.dtype}"
    return None


def _fits(func, example) -> None:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(*example)
    except TypeError as exc:
        raise UsageError(f"the example arguments do not fit {func.__name__}{signature}: {exc}",
                         hint="give one value per parameter, in order") from None


def _wrt(text):
    if text is None:
        return 0
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise UsageError(f"--wrt {text!r} names no parameter: a derivative with respect to "
                         "nothing", hint="give comma-separated parameter names or positions "
                                         "(--wrt x or --wrt 0,1), or leave --wrt out")
    parsed = [int(t) if t.lstrip("-").isdigit() else t for t in items]
    return parsed[0] if len(parsed) == 1 else tuple(parsed)


def _example_args(text):
    return None if text is None else parse_arguments(text, "--args")


# --------------------------------------------------------------------------
# the example arguments: Python literals, lists as arrays


LITERALS_HINT = ("give Python literals separated by commas: numbers, strings, True, False, "
                 "None, and lists, tuples, dicts and sets of them, e.g. \"2.0, 5.0\" or "
                 "\"{'W': [[1.0, 2.0]], 'b': [0.5]}, [1.0, 2.0]\"; an array is written as a "
                 "(nested) list of numbers, never as a call such as np.ones(3)")


def parse_arguments(text: str, option: str = "--args") -> tuple:
    """The arguments ``--args``/``--at`` gives: ``text`` is read as Python
    literals separated by commas, and each is converted by ``as_argument``
    (lists of numbers, nested or not, become arrays, in dicts, lists and
    tuples too). Anything but a literal is a ``UsageError`` naming it."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise UsageError(f"cannot read {_what(option)} {text!r}: {exc.msg}",
                         hint=LITERALS_HINT) from None
    try:
        value = ast.literal_eval(tree)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
        raise _not_a_literal(text, tree.body, option, exc) from None
    values = value if isinstance(value, tuple) else (value,)
    return tuple(as_argument(v) for v in values)


def _not_a_literal(text, top, option, exc) -> UsageError:
    """The error for text that is Python but not a literal: the smallest
    part of it that is not one, and the argument it is in."""
    items = top.elts if isinstance(top, ast.Tuple) else [top]
    for n, item in enumerate(items, 1):
        bad = _first_non_literal(item)
        if bad is None:
            continue
        where = f"argument {n}" if len(items) > 1 else "the argument"
        whole = ast.get_source_segment(text.strip(), item)
        part = ast.get_source_segment(text.strip(), bad)
        what = f"`{part}`" if bad is item else f"`{part}` (in `{whole}`)"
        if isinstance(bad, (ast.Name, ast.Attribute)):
            kind = "a name, not a literal"
        elif isinstance(bad, ast.Call):
            kind = "a call, not a literal"
        elif isinstance(bad, ast.Dict):
            kind = "not a dict literal (its keys must be hashable literals)"
        elif isinstance(bad, ast.Set):
            kind = "not a set literal (its items must be hashable literals)"
        else:
            kind = "not a literal"
        return UsageError(f"cannot read {_what(option)}: {where}, {what}, is {kind}",
                          hint=LITERALS_HINT)
    return UsageError(f"cannot read {_what(option)} {text!r}: {exc}", hint=LITERALS_HINT)


def _what(option: str) -> str:
    return "the point (--at)" if option == "--at" else f"the example arguments ({option})"


def _first_non_literal(node):
    """``None`` if ``node`` is a literal; else the first sub-expression
    (depth first) that is not one, or ``node`` itself."""
    try:
        ast.literal_eval(node)
        return None
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        children = node.elts
    elif isinstance(node, ast.Dict):
        children = [c for pair in zip(node.keys, node.values) for c in pair if c is not None]
    else:
        return node
    for child in children:
        bad = _first_non_literal(child)
        if bad is not None:
            return bad
    return node


def as_argument(v):
    """An example argument as the command line passes it.

    * a list of numbers, or of such lists with one shape (a rectangular
      nested list), becomes a NumPy array: ``bool`` if every number is a
      bool, ``int64`` if every one is an int (or bool), ``complex128`` if one
      is complex, else ``float64``;
    * any other list stays a list, its items converted (``[[1.0], [2.0,
      3.0]]`` is a list of two arrays);
    * a tuple stays a tuple and a dict a dict (a set a set), their items
      and values converted: ``{'W': [[1.0]], 'b': [0.5]}`` is a dict of
      arrays, ``([1.0], [2.0])`` a tuple of arrays, ``(0, 2)`` a tuple of
      ints;
    * numbers, strings, ``None``... are kept.
    """
    t = type(v)
    if t is list:
        shape = _numeric_shape(v)
        if shape is not None:
            return _array(v)
        return [as_argument(x) for x in v]
    if t is tuple:
        return tuple(as_argument(x) for x in v)
    if t is dict:
        return {k: as_argument(x) for k, x in v.items()}
    return v


_NUMBERS = (bool, int, float, complex)


def _numeric_shape(v):
    """The shape of a rectangular nested list of numbers, else ``None``."""
    if type(v) is not list:
        return () if type(v) in _NUMBERS else None
    shapes = {_numeric_shape(x) for x in v}
    if not v:
        return (0,)
    if len(shapes) != 1 or None in shapes:
        return None
    return (len(v),) + shapes.pop()


def _array(v) -> np.ndarray:
    leaves = set()

    def walk(x):
        if type(x) is list:
            for y in x:
                walk(y)
        else:
            leaves.add(type(x))
    walk(v)
    if leaves and leaves <= {bool}:
        dtype = np.bool_
    elif leaves and leaves <= {bool, int}:
        dtype = np.int64
    elif complex in leaves:
        dtype = np.complex128
    else:
        dtype = np.float64
    try:
        return np.array(v, dtype=dtype)
    except OverflowError:
        raise UsageError(f"the list {_short(v)} holds an integer too large for an int64 array",
                         hint="write it as a float (1e30) for a float64 array") from None


def _short(v) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _kinds(func, wrt, args):
    """The kinds to specialise for, from example arguments: those
    ``wengert.grad`` builds for when called with them (``display.kinds_of``:
    Python floats, arrays of a shape and dtype, integers differentiated as
    floats, and for a dict, list or tuple of arrays the kinds of its items,
    as the dispatcher specialises them: ``params: {'W': <f8[2,2], ...}``)."""
    from .display import kinds_of
    return kinds_of(func, wrt, args)


# --------------------------------------------------------------------------
# show and export


def _gradient_of_a_scalar(func, mode, kinds, optimize) -> None:
    """Refuse, as ``wengert.grad`` would, a gradient of a function whose
    output the example arguments show is not a number."""
    from .api import _non_scalar_output, _output_kind_for
    from .display import target_function
    if kinds is None or mode not in ("reverse", "forward"):
        return
    func = target_function(func)
    out = _output_kind_for(func, kinds, optimize)
    if out is not None and out.shape != ():
        raise _non_scalar_output("a gradient", func, out)


def cmd_show(args) -> int:
    from .display import source_for, write_source
    func, wrt, kinds = _for_generated_code(load_function(args.target), _wrt(args.wrt),
                                           _example_args(args.args))
    _gradient_of_a_scalar(func, args.mode, kinds, not args.no_optimize)
    write_source(source_for(func, mode=args.mode, wrt=wrt, kinds=kinds,
                            optimize=not args.no_optimize))
    return 0


def cmd_export(args) -> int:
    from .export import default_name, export_source, function_label
    func, wrt, kinds = _for_generated_code(load_function(args.target), _wrt(args.wrt),
                                           _example_args(args.args))
    _gradient_of_a_scalar(func, args.mode, kinds, not args.no_optimize)
    command = shlex.join(["wengert"] + list(args.argv))
    name = args.name
    given = args.target.rpartition(":")[2].rpartition(".")[2]
    if name is None and (function_label(func) is None or    # a lambda, a closure made by a
                         getattr(func, "__name__", given) != given):   # factory: the name
        name = default_name(given, args.mode)                # it was given in FILE.py:FUNC
    text = export_source(func, args.mode, wrt, kinds, name,
                         optimize=not args.no_optimize, command=command)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        try:
            with open(args.output, "w") as fh:
                fh.write(text)
        except OSError as exc:
            raise CLIError(f"cannot write {args.output}: "
                           f"{exc.strerror or type(exc).__name__}") from None
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------
# graph


def cmd_graph(args) -> int:
    from .graph import render, to_dot
    func, wrt, _ = _for_generated_code(load_function(args.target), _wrt(args.wrt), None)
    text = to_dot(func, wrt=wrt)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        render(text, args.output)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------
# check


def central_differences(func, args, position, eps=None, path=()):
    """``d func / d args[position]`` by central differences, one element at a
    time, in float64. The step is ``eps * max(1, |x|)`` with ``eps`` about the
    cube root of machine epsilon, which balances truncation (O(h²)) against
    round-off (O(ε/h)). ``path``: the keys of an item of a dict, list or
    tuple argument (``("W",)`` for ``params["W"]``), differentiated alone."""
    eps = np.finfo(np.float64).eps ** (1 / 3) if eps is None else eps
    x = _item(args[position], path)
    scalar = np.ndim(x) == 0
    base = np.array(x, dtype=np.float64)
    out = np.zeros(base.shape)
    for index in np.ndindex(*base.shape):
        h = eps * max(1.0, abs(float(base[index])))
        values = []
        for sign in (1.0, -1.0):
            moved = base.copy()
            moved[index] += sign * h
            shifted = list(args)
            shifted[position] = _replaced(args[position], path,
                                          float(moved) if scalar else moved)
            value = _call(func, shifted)
            try:
                values.append(float(value))
            except (TypeError, ValueError) as exc:
                raise CLIError(f"the finite differences need {func.__name__} to return a "
                               f"real number, and it returned {_short(value)}: "
                               f"{type(exc).__name__}: {exc}") from None
        out[index] = (values[0] - values[1]) / (2 * h)
    return float(out) if scalar else out


def _item(value, path):
    for key in path:
        value = value[key]
    return value


def _replaced(value, path, new):
    """``value`` with its item at ``path`` replaced by ``new`` (the
    containers on the way copied; ``value`` itself is left as it was)."""
    if not path:
        return new
    key, rest = path[0], path[1:]
    if type(value) is dict:
        out = dict(value)
        out[key] = _replaced(value[key], rest, new)
        return out
    items = list(value)
    items[key] = _replaced(value[key], rest, new)
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return type(value)(*items)               # a namedtuple
    return type(value)(items)


def _float_leaves(value, path=()):
    """``[(path, leaf)]`` of the float items of a dict, list or tuple, at any
    depth (Python floats, NumPy floating scalars and float arrays): the
    ones a gradient with respect to the container is checked on."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _float_leaves(v, path + (k,))]
    if isinstance(value, (list, tuple)):
        return [p for k, v in enumerate(value) for p in _float_leaves(v, path + (k,))]
    if _is_float(value):
        return [(path, value)]
    return []


def _is_float(value) -> bool:
    return type(value) is float or isinstance(value, np.floating) or \
        (type(value) is np.ndarray and value.dtype.kind == "f")


def _holds_float(value) -> bool:
    """A float, a float array, or a dict, list or tuple holding one."""
    return bool(_float_leaves(value)) if isinstance(value, (dict, list, tuple)) else \
        _is_float(value) or type(value) is complex or isinstance(value, np.complexfloating) \
        or (type(value) is np.ndarray and value.dtype.kind == "c")


def _integral(value) -> bool:
    """An integer (or bool), an integer array, or a non-empty dict, list or
    tuple of only such items: left alone by ``check`` unless ``--wrt`` names it."""
    if isinstance(value, dict):
        return bool(value) and all(_integral(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_integral(v) for v in value)
    return type(value) in (int, bool) or isinstance(value, (np.integer, np.bool_)) or \
        (type(value) is np.ndarray and value.dtype.kind in "iub")


def default_wrt(args) -> tuple:
    """``check``'s arguments to differentiate without ``--wrt``: every one
    holding a float (a float, a float array, a dict/list/tuple with one),
    which leaves integer arguments (a loop count, labels ``[0, 1]``, an
    index tuple) and strings alone; if none does, the integer ones
    (differentiated as floats); if there are none either, every argument."""
    floats = tuple(i for i, a in enumerate(args) if _holds_float(a))
    if floats:
        return floats
    integers = tuple(i for i, a in enumerate(args) if _integral(a))
    return integers or tuple(range(len(args)))


def _call(func, args):
    try:
        return func(*args)
    except WengertError:
        raise
    except Exception as exc:
        raise CLIError(f"calling {func.__name__}{tuple(args)!r} failed: "
                       f"{type(exc).__name__}: {exc}") from exc


def gradient_check(func, args, wrt=None, rtol=1e-5, atol=1e-7, eps=None):
    """Reverse mode, forward mode and central differences at ``args``.

    Returns ``(rows, ok)``; a row is ``(argument, reverse, forward,
    finite_difference, max_abs_error)``, the error being the largest
    difference between any two of the three. ``ok``: every error is at most
    ``atol + rtol * max|finite difference|``. An argument that is a dict,
    list or tuple has a row per float item (``params['W']``). Without
    ``wrt``, every argument holding a float is differentiated
    (``default_wrt``): integer ones are left alone.
    """
    from . import grad
    from .api import _promote, _wrt_positions
    signature = _fitting_signature(func, tuple(args))
    if wrt is None:
        wrt = default_wrt(args)
    positions, _ = _wrt_positions(func, wrt if isinstance(wrt, tuple) else (wrt,))
    _differentiable(func, positions, tuple(args), "--at")
    args = _promote(_with_defaults(func, signature, tuple(args), positions), positions)
    names = list(inspect.signature(func).parameters)
    _scalar_value(func, _call(func, args))
    try:
        reverse = _as_tuple(grad(func, wrt=positions, mode="reverse")(*args))
        forward = _as_tuple(grad(func, wrt=positions, mode="forward")(*args))
    except WengertError:
        raise
    except Exception as exc:
        raise CLIError(f"evaluating the derivative of {func.__name__} at {args!r} failed: "
                       f"{type(exc).__name__}: {exc}") from exc
    rows, ok = [], True
    for k, i in enumerate(positions):
        container = isinstance(args[i], (dict, list, tuple))
        paths = [p for p, _ in _float_leaves(args[i])] if container else [()]
        for path in paths:
            fd = central_differences(func, args, i, eps, path)
            r = _gradient_item(reverse[k], path, fd)
            f = _gradient_item(forward[k], path, fd)
            err = float(max(np.max(np.abs(r - fd)), np.max(np.abs(f - fd)),
                            np.max(np.abs(r - f)))) if np.size(fd) else 0.0
            scale = float(np.max(np.abs(fd))) if np.size(fd) else 0.0
            if not err <= atol + rtol * scale:        # also false for nan
                ok = False
            label = names[i] + "".join(f"[{key!r}]" for key in path)
            rows.append((label, r if path else reverse[k], f if path else forward[k], fd, err))
    return rows, ok


def _scalar_value(func, value) -> None:
    """Refuse a function whose value at the point is not a number: its
    gradient (and its finite differences) would mean nothing."""
    number = isinstance(value, (int, float, np.number, np.bool_)) and \
        not isinstance(value, (complex, np.complexfloating))
    if number or (isinstance(value, np.ndarray) and value.shape == () and
                  value.dtype.kind in "biuf"):
        return
    if isinstance(value, np.ndarray):
        got = f"an array of shape {value.shape}" if value.shape != () else \
            f"a 0-d array of dtype {value.dtype}"
    elif isinstance(value, (complex, np.complexfloating)):
        got = f"a complex number ({value!r})"
    else:
        got = f"a {type(value).__name__} ({_short(value)})"
    raise CLIError(f"check needs a function with a real scalar output, but "
                   f"{getattr(func, '__name__', 'the function')} returned {got} at the point")


def _gradient_item(g, path, like):
    """The item of gradient ``g`` at ``path`` as a float64 array (an item the
    gradient leaves out or gives as ``None`` is zero)."""
    try:
        g = _item(g, path)
    except (KeyError, IndexError, TypeError):
        g = None
    if g is None:
        return np.zeros(np.shape(like))
    return np.asarray(g, dtype=np.float64)


def _fitting_signature(func, args: tuple):
    """``func``'s signature (``None`` if it has none), which ``args`` fit."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*args)
    except TypeError as exc:
        raise CLIError(f"the point {args!r} does not fit {func.__name__}{signature}: "
                       f"{exc}") from None
    return signature


def _with_defaults(func, signature, args: tuple, positions) -> tuple:
    """``args`` followed by the default values of the parameters up to the
    last one ``positions`` names (``--wrt y`` with ``y=1.0`` not given)."""
    if signature is None:
        return args
    params = list(signature.parameters.values())[len(args):max(positions, default=-1) + 1]
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
        raise CLIError(f"--wrt names a parameter of {func.__name__}{signature} that the "
                       f"point {args!r} gives no value for, and only --at can give one")
    return args + tuple(p.default for p in params)


def _as_tuple(g) -> tuple:
    return g if isinstance(g, tuple) else (g,)


def _fmt(v) -> str:
    if np.ndim(v) == 0:
        return f"{float(v):.10g}"
    text = np.array2string(np.asarray(v, dtype=np.float64), precision=6, separator=", ",
                           threshold=8, max_line_width=10_000)
    return " ".join(text.split())          # a matrix's rows on the table's one line


def format_table(rows) -> str:
    header = ("argument", "reverse", "forward", "finite difference", "max abs error")
    cells = [header] + [(r[0], _fmt(r[1]), _fmt(r[2]), _fmt(r[3]), f"{r[4]:.2e}") for r in rows]
    widths = [max(len(row[c]) for row in cells) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def cmd_check(args) -> int:
    for option, value in (("--rtol", args.rtol), ("--atol", args.atol)):
        if not (value >= 0 and np.isfinite(value)):
            raise UsageError(f"{option} {value:g}: a tolerance must be a finite number >= 0",
                             hint=f"e.g. {option} {1e-5 if option == '--rtol' else 1e-7:g}")
    func = load_function(args.target)
    at = parse_arguments(args.at, "--at")
    wrt = _wrt(args.wrt) if args.wrt is not None else None
    rows, ok = gradient_check(func, at, wrt, rtol=args.rtol, atol=args.atol)
    sys.stdout.write(format_table(rows))
    if ok:
        print(f"ok: reverse mode, forward mode and central finite differences agree "
              f"(|error| <= {args.atol:g} + {args.rtol:g} * |finite difference|)")
        return 0
    print(f"MISMATCH: the derivatives disagree by more than {args.atol:g} + {args.rtol:g} * "
          "|finite difference|; `wengert show` prints the code that computed them")
    return 1


# --------------------------------------------------------------------------
# the parser


SHOW_MODES_HELP = ("reverse (the gradient; default), forward (the tangent function), wengert "
                   "(the Wengert list), vjp (value and adjoint), jvp (value and tangent), "
                   "hvp (forward over reverse: the tangent of the gradient)")
EXPORT_MODES_HELP = ("reverse or forward: NAME(*args) is the gradient, by that mode "
                     "(default: reverse); vjp: NAME(*args, out_bar) -> (value, adjoints); "
                     "jvp: NAME(*args, *tangents) -> (value, tangent); hvp: NAME(*args, "
                     "*tangents) -> (gradient, Hessian @ tangents)")


def _common(p, modes=None, modes_help="", args=True):
    p.add_argument("target", help="FILE.py:FUNC or package.module:FUNC")
    if modes:
        p.add_argument("--mode", choices=modes, default="reverse", help=modes_help)
    p.add_argument("--wrt", help="comma-separated parameter names or positions "
                                 "(default: the first)")
    if args:
        p.add_argument("--args", help='example arguments, Python literals, e.g. "2.0, 5.0" or '
                                      '"{\'W\': [[1.0, 2.0]]}, [1.0, 2.0]" (lists of numbers '
                                      "become arrays, in dicts, lists and tuples too; [0, 1] an "
                                      "int64 array): specialise for their kinds")
        p.add_argument("--no-optimize", action="store_true",
                       help="the derivative before optimisation")


class _Parser(argparse.ArgumentParser):
    """argparse's parser, but a usage error (an unknown option, a missing or
    invalid argument) exits with status 1 like every other error: status 2 is
    kept for internal errors (docs/cli.md)."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="wengert",
                                description="Source-to-source automatic differentiation.")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", required=True)

    show = sub.add_parser("show", help="print generated derivative source")
    _common(show, MODES, SHOW_MODES_HELP)
    show.set_defaults(run=cmd_show)

    export = sub.add_parser("export", help="write the derivative as a module needing only NumPy")
    _common(export, EXPORT_MODES, EXPORT_MODES_HELP)
    export.add_argument("--name", help="the exported function's name (default: grad_FUNC; "
                                       "vjp_FUNC, jvp_FUNC or hvp_FUNC for those modes)")
    export.add_argument("-o", "--output", help="the module to write (default: stdout)")
    export.set_defaults(run=cmd_export)

    graph = sub.add_parser("graph", help="draw the Wengert list as a graph (Graphviz DOT)")
    _common(graph, args=False)
    graph.add_argument("-o", "--output", help="OUT.dot (text), OUT.svg or OUT.png (needs "
                                              "Graphviz); default: DOT on stdout")
    graph.set_defaults(run=cmd_graph)

    check = sub.add_parser("check", help="compare reverse, forward mode and finite differences")
    check.add_argument("target", help="FILE.py:FUNC or package.module:FUNC")
    check.add_argument("--at", required=True, help='the point, e.g. "2.0, 5.0" (read as '
                                                   "--args is)")
    check.add_argument("--wrt", help="comma-separated parameter names or positions "
                                     "(default: every argument holding a float)")
    check.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance")
    check.add_argument("--atol", type=float, default=1e-7, help="absolute tolerance")
    check.set_defaults(run=cmd_check)
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    try:
        return args.run(args)
    except (CLIError, WengertError) as exc:
        if args.debug:
            traceback.print_exc()
        print(f"wengert: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:           # a bug in wengert: say so plainly
        if args.debug:
            traceback.print_exc()
        print(f"wengert: internal error: {type(exc).__name__}: {exc}\n"
              "(run with --debug for the traceback, and please report it)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
