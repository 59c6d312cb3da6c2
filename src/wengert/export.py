"""Export: a derivative as a standalone Python module that needs only NumPy.

Generated code runs in a globals dict that binds every name it uses
(``fn.namespace.bindings``). Exporting writes, for each of those names, the
text that defines it, and then the derivative itself::

    wengert export examples/quickstart.py:f --wrt x1,x2 -o grad_f.py

    # header: what it was generated from and the command that regenerates it
    from __future__ import annotations
    import math

    def unbroadcast(t, like):              # wengert's runtime helper, copied
        ...

    def grad_f(x1, x2, out_bar=1.0):       # the derivative, renamed
        ...

What defines a name:

* a module: ``import numpy as np``, ``import math``;
* a literal constant (``SCALE = 3.0``, a float32 scalar, a constant array a
  derivative was built with): the literal;
* a function or class with Python source: that source, recursively with
  what *it* uses. This covers wengert's runtime and rule helpers (their
  source, from ``inspect``), generated derivatives of callees (their source is
  in ``linecache``) and the user's own functions called in the primal sweep;
* anything else importable (``from numpy import float32``).

A name the module would read when the derivative runs and that cannot be
frozen faithfully — a module-level array, a closure value that is not a
literal, a C function with no importable name — is an error naming it and
what to do. Names are made unique (``helper``, ``helper_2``) and the module
text is deterministic: exporting twice gives the same bytes.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import json
import keyword
import math
import os
import re
import shlex
import symtable
import sys
import sysconfig
import textwrap
import types
from typing import Optional

import numpy as np

from .errors import UsageError

EXPORT_MODES = ("reverse", "forward", "vjp", "jvp", "hvp")
DEFAULT_PREFIX = {"reverse": "grad", "forward": "grad", "vjp": "vjp", "jvp": "jvp",
                  "hvp": "hvp"}
MAX_ARRAY_LITERAL = 100_000          # elements; a bigger frozen array is an error


def default_name(func_name: str, mode: str) -> str:
    """``grad_f`` for the gradient modes, ``vjp_f``/``jvp_f``/``hvp_f`` otherwise."""
    return f"{DEFAULT_PREFIX.get(mode, 'grad')}_{func_name}"


def function_label(func) -> Optional[str]:
    """The name ``func`` is known by: its qualified name, or for a lambda the
    one module-level variable bound to it (``lam = lambda x: ...`` is
    ``lam``); ``None`` if there is no such name."""
    if func.__name__.isidentifier():
        return func.__qualname__
    names = [n for n, v in getattr(func, "__globals__", {}).items()
             if v is func and n.isidentifier()]
    return names[0] if len(names) == 1 else None


# --------------------------------------------------------------------------
# the entry point


def export_source(func, mode: str = "reverse", wrt=0, kinds=None, name: Optional[str] = None,
                  *, optimize: bool = True, command: Optional[str] = None) -> str:
    """The text of a module defining ``name``, the derivative of ``func``.

    ``mode``: ``reverse`` or ``forward`` (``name(*args)`` is the gradient, as
    ``wengert.grad(func, wrt, mode)`` computes it), ``vjp`` (``name(*args,
    out_bar)`` is ``(value, adjoints)``), ``jvp`` (``name(*args, *tangents)``
    is ``(value, tangent)``) or ``hvp`` (``name(*args, *tangents)`` is
    ``(gradient, Hessian @ tangents)``, forward over reverse). ``kinds``: the
    argument kinds to specialise for (``None``: the general version).
    ``command``: the command line to print in the header (default: one that
    regenerates the same module).
    """
    from . import __version__
    from .api import _wrt_positions, build
    from .display import gradient_function, target_function
    func = target_function(func)
    if mode not in EXPORT_MODES:
        raise UsageError(f"cannot export mode {mode!r}",
                         hint=f"use one of: {', '.join(EXPORT_MODES)}")
    positions, _ = _wrt_positions(func, wrt)
    label = function_label(func)
    if not name and label is None:
        raise UsageError(f"cannot name the exported function: `{func.__qualname__}` is a "
                         "lambda, and no one module-level name is bound to it",
                         hint="give the name (--name NAME; from Python, export_source's "
                              "`name`), or define the function with def")
    name = name or default_name(label.rpartition(".")[2], mode)
    if not name.isidentifier() or keyword.iskeyword(name):
        raise UsageError(f"--name {name!r} is not a Python identifier" +
                         (" (it is a keyword)" if keyword.iskeyword(name) else ""),
                         hint="give a name a def can have, e.g. grad_f")
    if kinds is not None and all(k is None for k in kinds):
        kinds = None
    if mode in ("reverse", "forward", "hvp"):
        # a gradient is of a function with a scalar output (wengert.grad
        # refuses others): refuse one known not to be, check it at run time
        # where its kind is unknown
        from .api import _output_kind_for
        out_kind = _output_kind_for(func, kinds, optimize)
        if out_kind is not None and out_kind.shape != ():
            from . import analysis
            got = "a dict, list or tuple" if out_kind == analysis.SEQ or \
                out_kind.dtype in ("seq", "dict") else f"an array of shape {out_kind.shape}"
            raise UsageError(f"exporting a gradient (--mode {mode}) needs a function with a "
                             f"scalar output, but `{func.__name__}` returns {got}",
                             hint="export --mode vjp for a vector-Jacobian product, or "
                                  "reduce the output (e.g. with np.sum)")
    else:
        out_kind = None
    # reverse mode, the output's kind unknown: the value is computed too, and
    # checked to be a scalar (before the adjoint sweep, which seeded with 1.0
    # would be the gradient of its sum, or fail)
    checked = mode == "reverse" and out_kind is None
    if mode == "hvp":
        built = build(gradient_function(func, positions, kinds, optimize), "jvp", positions,
                      kinds, optimize=optimize)
    else:
        built = build(func, "jvp" if mode in ("forward", "jvp") else "vjp", positions, kinds,
                      return_value=mode == "vjp" or checked, optimize=optimize)
    exporter = _Exporter()
    params = list(inspect.signature(func).parameters)
    short = label.rpartition(".")[2] if label else func.__name__
    if checked:
        exporter.reserve_name(name)
        vjp_name = exporter.export(built.function, f"_{built.function.__name__}",
                                   "the derivative")
        exporter.check_output(vjp_name, name, short, "scalar")
        wrapper = _checked_wrapper(exporter, built.function, vjp_name, name, short,
                                   _defaults(func))
        guard = _kind_guard(exporter, name, _guarded(params, kinds))
        exporter.add_definition(name, _apply(wrapper, [_at_body_start(wrapper, guard)])
                                if guard else wrapper)
    elif mode == "forward":
        exporter.reserve_name(name)
        jvp_name = exporter.export(built.function, f"_{built.function.__name__}",
                                   "the tangent function")
        wrapper = _forward_wrapper(exporter, built.function, jvp_name, name,
                                   label or func.__name__, positions, _defaults(func))
        guard = _kind_guard(exporter, name, _guarded(params, kinds))
        exporter.add_definition(name, _apply(wrapper, [_at_body_start(wrapper, guard)])
                                if guard else wrapper)
    else:
        exporter.reserve(name, built.function)
        exporter.export(built.function, name, "the derivative")
        tangents = len(positions) if mode in ("jvp", "hvp") else 0
        guarded = _guarded(params, kinds)
        if tangents and kinds is not None:      # a tangent has its primal's kind
            exported = ast.parse(exporter.text_of(name)).body[0].args.args
            guarded += _guarded([a.arg for a in exported[len(exported) - tangents:]],
                                [kinds[i] if i < len(kinds) else None for i in positions])
        exporter.add_defaults(name, _defaults(func), tangents=tangents)
        if mode == "hvp" and out_kind is None:
            # the output's kind is unknown: check it is a scalar (the gradient
            # inside seeds 1.0, the Hessian of an array output's sum), by the
            # tangent function on the same arguments and tangents
            jvp = build(func, "jvp", positions, kinds, optimize=optimize).function
            jvp_name = exporter.export(jvp, f"_{jvp.__name__}", "the check of the output")
            helper = exporter.export(_scalar_output, "_scalar_output",
                                     "the check of the output")
            names = [a.arg for a in ast.parse(exporter.text_of(name)).body[0].args.args]
            exporter.add_guard(name, f"    # the function must have a scalar output\n"
                                     f"    {helper}({name!r}, {short!r}, "
                                     f"{jvp_name}({', '.join(names)})[0])\n")
        exporter.add_guard(name, _kind_guard(exporter, name, guarded))
        if mode == "vjp":            # out_bar: the output's structure and shape
            exporter.check_output(name, name, short, "cotangent")
    wrt_names = [params[i] for i in positions]
    header = _header(func, label, mode, wrt_names, kinds, name, __version__,
                     command or regenerate_command(func, mode, wrt_names, kinds, name))
    return header + exporter.module_text()


def regenerate_command(func, mode, wrt_names, kinds, name) -> str:
    """A ``wengert export`` command line that writes this module again (or,
    for kinds the command line cannot express, the Python call)."""
    where = _relative(inspect.getsourcefile(func) or "FILE.py")
    label = function_label(func) or func.__qualname__
    example = _example_args(kinds)
    if kinds is not None and example is None:
        return (f"export_source({label}, {mode!r}, {tuple(wrt_names)!r}, "
                f"<kinds above>, {name!r})  (from Python: these kinds have no --args "
                "spelling)")
    parts = ["wengert", "export", f"{where}:{label}", "--mode", mode,
             "--wrt", ",".join(wrt_names)]
    if example:
        parts += ["--args", example]
    parts += ["--name", name, "-o", f"{name}.py"]
    return shlex.join(parts)


def _relative(path: str) -> str:
    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else path


def _example_args(kinds) -> Optional[str]:
    """``--args`` text giving arguments of ``kinds`` (zeros), if the command
    line can express them (``_example_arg``)."""
    if kinds is None:
        return None
    items = [_example_arg(k) for k in kinds]
    if any(item is None for item in items):
        return None
    return ", ".join(items) + ("," if len(items) == 1 else "")


def _example_arg(k) -> Optional[str]:
    """A literal ``--args`` reads as a value of kind ``k`` (Python floats and
    ints; float64, int64 and bool arrays as lists; a dict, list or tuple of
    them), or ``None``."""
    from . import analysis
    if isinstance(k, analysis.SeqItems):
        if k.cls is not None or not k.items:
            return None
        items = [(key, _example_arg(item)) for key, item in k.items]
        if any(text is None for _, text in items):
            return None
        if k.dtype == "dict":
            # (str keys in double quotes: the shell command quotes with single ones)
            return "{" + ", ".join(f"{json.dumps(key) if type(key) is str else key}: {text}"
                                   for key, text in items) + "}"
        return "(" + ", ".join(text for _, text in items) + ("," if len(items) == 1 else "") + ")"
    if not hasattr(k, "pyfloat") or type(k) is not analysis.Kind:
        return None                      # unknown, or an instance of a class
    if k.pyfloat:
        return "0" if k.dtype == "int" else "0.0"
    zeros = {"<f8": 0.0, "float64": 0.0, "<i8": 0, "int64": 0, "|b1": False, "bool": False}
    if k.dtype in zeros and k.shape and all(n >= 1 for n in k.shape):
        return repr(np.full(k.shape, zeros[k.dtype], dtype=object).tolist())
    return None


def _header(func, label, mode, wrt_names, kinds, name, version, command) -> str:
    label = label or func.__qualname__
    short = func.__name__ if func.__name__.isidentifier() else label.rpartition(".")[2]
    what = {
        "reverse": f"{name}(*args) is the gradient of {short}, by reverse mode",
        "forward": f"{name}(*args) is the gradient of {short}, by forward mode "
                   "(one tangent pass per input element)",
        "vjp": f"{name}(*args, out_bar) is (value, adjoints) of {short}",
        "jvp": f"{name}(*args, *tangents) is (value, tangent) of {short}",
        "hvp": f"{name}(*args, *tangents) is (gradient, Hessian @ tangents) of "
               f"{short}, forward over reverse",
    }[mode]
    params = list(inspect.signature(func).parameters)
    if kinds is None:
        spec = "general (any argument kinds)"
    else:
        spec = ", ".join(f"{p}: {k}" for p, k in zip(params, kinds) if k is not None)
    where = _relative(inspect.getsourcefile(func) or "<unknown>")
    lines = [
        f"Generated by wengert {version}; do not edit. Needs only NumPy at run time.",
        f"from:        {where}, function {label}",
        f"mode:        {mode}",
        f"wrt:         {', '.join(wrt_names)}",
        f"kinds:       {spec}",
        f"defines:     {what}",
        "regenerate:  " + command,
    ]
    return "".join(f"# {line}\n" for line in lines) + "\n"


def _defaults(func) -> dict:
    """The original function's default values, by parameter name."""
    return {p.name: p.default for p in inspect.signature(func).parameters.values()
            if p.default is not inspect.Parameter.empty}


def _forward_wrapper(exporter, jvp_fn, jvp_name, name, func_name, positions,
                     defaults) -> str:
    """``name(*args)``: the gradient by forward mode, calling the tangent
    function once per input element (through ``_forward_gradient``)."""
    params = list(inspect.signature(jvp_fn, follow_wrapped=False).parameters.values())[
        :-len(positions)]
    text = []
    for p in params:
        if p.name in defaults:
            text.append(f"{p.name}={exporter.literal_or_name(defaults[p.name], p.name)}")
        else:
            text.append(p.name)
    helper = exporter.export(_forward_gradient, "_forward_gradient", "forward mode")
    names = [p.name for p in params]
    args = "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"
    calls = [f"{helper}({jvp_name}, args, {tuple(positions)!r}, {j}, {name!r}, "
             f"{func_name.rpartition('.')[2]!r})" for j in range(len(positions))]
    result = calls[0] if len(positions) == 1 else "(" + ", ".join(calls) + ")"
    return (f"def {name}({', '.join(text)}):\n"
            f'    """The gradient of {func_name} by forward mode: one tangent pass per '
            f'input element."""\n'
            f"    args = {args}\n"
            f"    return {result}\n")


def _forward_gradient(jvp, args, positions, j, name, original):
    """Gradient with respect to ``args[positions[j]]`` by forward mode: one
    call of ``jvp(*args, *tangents)`` per scalar entry (of a number, an
    array, or a dict, list or tuple of them, at any depth), seeded with a
    unit tangent; the gradient has the argument's structure. The function
    must return a scalar (``_scalar_output``)."""
    def zero(x):
        if type(x) in (float, int, bool):
            return 0.0
        if x is None or isinstance(x, (str, bytes)):
            return None                            # (a label: no derivative)
        if isinstance(x, dict):
            return {k: zero(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            items = [zero(v) for v in x]
            return type(x)(*items) if hasattr(x, "_fields") else \
                (items if isinstance(x, list) else tuple(items))
        return np.zeros_like(x, dtype=np.result_type(x, np.float32))

    def units(x):                                  # (seed, rebuild) per scalar entry
        if x is None or isinstance(x, (str, bytes)):
            return
        if isinstance(x, (dict, list, tuple)):
            keys = list(x) if isinstance(x, dict) else list(range(len(x)))
            zeros = {k: zero(x[k]) for k in keys}
            for k in keys:
                for t in units(x[k]):
                    items = [t if key == k else zeros[key] for key in keys]
                    if isinstance(x, dict):
                        yield dict(zip(keys, items))
                    elif hasattr(x, "_fields"):
                        yield type(x)(*items)
                    else:
                        yield items if isinstance(x, list) else tuple(items)
        elif np.shape(x) == ():
            if isinstance(x, np.ndarray):
                yield np.ones((), dtype=np.result_type(x, np.float32))
            else:
                yield x.dtype.type(1) if isinstance(x, np.generic) else 1.0
        else:
            for index in np.ndindex(*np.shape(x)):
                unit = np.zeros(np.shape(x), dtype=np.result_type(x, np.float32))
                unit[index] = 1
                yield unit

    def shaped(x, derivatives):                    # the gradient, in x's structure
        if x is None or isinstance(x, (str, bytes)):
            return None
        if isinstance(x, dict):
            return {k: shaped(v, derivatives) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            items = [shaped(v, derivatives) for v in x]
            return type(x)(*items) if hasattr(x, "_fields") else \
                (items if isinstance(x, list) else tuple(items))
        if np.shape(x) == ():
            t = next(derivatives)
            if type(x) in (float, int, bool):
                return float(t)
            return x.dtype.type(t) if isinstance(x, np.generic) else \
                np.asarray(t, dtype=np.result_type(x, np.float32))
        grad = np.zeros(np.shape(x), dtype=np.result_type(x, np.float32))
        for index in np.ndindex(*np.shape(x)):
            grad[index] = next(derivatives)
        return grad

    x = args[positions[j]]
    tangents = [zero(args[p]) for p in positions]
    derivatives = []
    for tangents[j] in units(x):
        value, tangent = jvp(*args, *tangents)
        _scalar_output(name, original, value)
        derivatives.append(tangent)
    return shaped(x, iter(derivatives))


def _scalar_output(function, original, value):
    """Refuse an output that is not a scalar: ``function`` is the gradient
    of ``original``, a function with a scalar output (as ``wengert.grad``
    refuses others), and seeded with 1.0 its code would be the gradient of
    the sum of an array output, or fail on a dict or tuple."""
    if value is None:
        got, error = "None", TypeError
    elif isinstance(value, (str, bytes, dict, list, tuple, set, frozenset)):
        got, error = f"a {type(value).__name__}", TypeError
    elif np.ndim(value) != 0:
        got, error = f"an array of shape {np.shape(value)}", ValueError
    elif np.iscomplexobj(value):
        got, error = "a complex number", TypeError
    else:
        return
    raise error(f"{function}(): a gradient needs a function with a scalar output, but "
                f"`{original}` returned {got}: export it with --mode vjp for a "
                "vector-Jacobian product, or reduce the output (e.g. with np.sum)")


def _cotangent(function, value, out_bar, where=""):
    """``out_bar`` checked against the output ``value`` of the exported vjp
    ``function``: the same structure (a dict's keys, a list's or tuple's
    length) and, for each number or array, the same shape (a cotangent of
    another shape would broadcast, silently wrong). A list or tuple given
    for an array becomes one. Returns the cotangent to use."""
    def refuse(why, error=ValueError):
        raise error(f"{function}(): the cotangent out_bar{where} {why} (out_bar must have the "
                    "structure and the shapes of the output; its default 1.0 is for a scalar "
                    "output)")
    if isinstance(value, dict):
        if not isinstance(out_bar, dict):
            refuse(f"is a {type(out_bar).__name__} where the output is a dict with the keys "
                   + ", ".join(map(repr, value)), TypeError)
        missing = [k for k in value if k not in out_bar]
        extra = [k for k in out_bar if k not in value]
        if missing or extra:
            refuse(f"has no key {', '.join(map(repr, missing))}" if missing else
                   f"has the key {', '.join(map(repr, extra))}, which the output has not",
                   TypeError)
        return {k: _cotangent(function, v, out_bar[k], f"{where}[{k!r}]")
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if not isinstance(out_bar, (list, tuple)):
            refuse(f"is a {type(out_bar).__name__} where the output is a "
                   f"{type(value).__name__} of {len(value)} items", TypeError)
        if len(out_bar) != len(value):
            refuse(f"has {len(out_bar)} items where the output has {len(value)}", TypeError)
        items = [_cotangent(function, v, c, f"{where}[{i}]")
                 for i, (v, c) in enumerate(zip(value, out_bar))]
        return items if type(out_bar) is list else tuple(items)
    if out_bar is None or isinstance(out_bar, (str, bytes, dict, set, frozenset)):
        refuse(f"is {'None' if out_bar is None else 'a ' + type(out_bar).__name__} where the "
               "output is a number or an array", TypeError)
    if isinstance(out_bar, (list, tuple)):
        try:
            out_bar = np.asarray(out_bar, dtype=np.float64)
        except (TypeError, ValueError):
            refuse(f"is a {type(out_bar).__name__} that is not an array of numbers", TypeError)
    if np.shape(out_bar) != np.shape(value):
        refuse(f"has shape {np.shape(out_bar)} where the output has shape {np.shape(value)}")
    return out_bar


def _checked_wrapper(exporter, vjp_fn, vjp_name, name, original, defaults) -> str:
    """``name(*args, out_bar=1.0)``: the gradient, from ``vjp_name`` (which
    returns the value too, and checks that it is a scalar)."""
    params = list(inspect.signature(vjp_fn, follow_wrapped=False).parameters.values())
    text, names = [], []
    for p in params[:-1]:
        if p.name in defaults:
            text.append(f"{p.name}={exporter.literal_or_name(defaults[p.name], p.name)}")
        else:
            text.append(p.name)
        names.append(p.name)
    defaulted = [n in defaults for n in names]
    if any(d and not all(defaulted[i:]) for i, d in enumerate(defaulted)):
        text = list(names)               # (a parameter without a default after one with)
    seed = params[-1].name
    text.append(f"{seed}=1.0")
    names.append(seed)
    return (f"def {name}({', '.join(text)}):\n"
            f'    """The gradient of {original} by reverse mode (its output checked to be '
            f'a scalar)."""\n'
            f"    return {vjp_name}({', '.join(names)})[1]\n")


# --------------------------------------------------------------------------
# collecting definitions


class _Exporter:
    """Collects the definitions of a module, each under a unique name."""

    def __init__(self):
        self.taken: dict = {}            # exported name -> key
        self.by_key: dict = {}           # key -> exported name
        self.imports: dict = {}          # exported name -> import statement
        self.consts: dict = {}           # exported name -> literal text
        self.defs: list = []             # (name, text), dependencies first
        self._alive: list = []           # objects whose ids are keys
        self._done: list = []            # definitions in the order they were finished

    # -- names ---------------------------------------------------------------

    def _key(self, obj):
        lit = _literal(obj, lambda: "np", frozen=True) if _is_plain_literal(obj) else None
        if lit is not None:
            return ("literal", type(obj).__name__, lit)
        self._alive.append(obj)
        return ("object", id(obj))

    def reserve(self, name: str, obj) -> None:
        key = self._key(obj)
        self.taken[name] = key

    def _claim(self, want: str, key, avoid=()) -> str:
        name, i = want, 1
        while (name in self.taken and self.taken[name] != key) or name in avoid or \
                keyword.iskeyword(name) or hasattr(builtins, name):
            i += 1
            name = f"{want}_{i}"
        self.taken[name] = key
        self.by_key[key] = name
        return name

    def reserve_name(self, name: str) -> None:
        self.taken[name] = ("definition", name)

    def add_definition(self, name: str, text: str) -> None:
        self.taken[name] = ("definition", name)
        self.defs.append((name, text))
        self._done.append(name)

    # -- objects -------------------------------------------------------------

    def export(self, obj, want: str, user: str, frozen: bool = True, avoid=()) -> str:
        """The exported name of ``obj`` (wanted as ``want``), defining it if
        needed. ``user`` says who needs it (for messages); ``frozen``: the value
        was fixed when the derivative was built (not read at run time)."""
        obj = _unwrap_reference(obj)
        key = self._key(obj)
        if key in self.by_key:
            return self.by_key[key]
        if isinstance(obj, types.ModuleType):
            return self._export_module(obj, want, key, user, avoid)
        lit = _literal(obj, self._numpy_name, frozen)
        if lit is not None:
            name = self._claim(want, key, avoid)
            self.consts[name] = lit
            return name
        if isinstance(obj, np.ndarray):
            raise UsageError(
                f"cannot export: {user} reads the array `{want}` (shape {obj.shape}) "
                "from its module when it runs, and an exported module cannot",
                hint=f"pass `{want}` as an argument, or give it as a default value "
                     f"(def f(..., {want}={want})), which is frozen into the derivative")
        if not _is_library(obj):
            definable = _definable(obj)
            if definable is not None:
                return self._define(definable, want, key, avoid)
        spelling = _import_spelling(obj)
        if spelling is not None:
            module, attr = spelling
            name = self._claim(want, key, avoid)
            self.imports[name] = (f"from {module} import {attr}" if attr == name
                                  else f"from {module} import {attr} as {name}")
            return name
        definable = _definable(obj)
        if definable is not None:
            return self._define(definable, want, key, avoid)
        raise UsageError(
            f"cannot export `{want}` used by {user}: {_describe(obj)} has no Python "
            "source and no importable name",
            hint="make it a literal constant, pass it as an argument, or call it "
                 "through a module the exported code can import")

    def _define(self, obj, want, key, avoid) -> str:
        name = self._claim(want, key, avoid)
        slot = len(self.defs)
        self.defs.append((name, None))           # keeps the name's place while recursing
        text = self._definition(obj, name)
        self.defs[slot] = (name, text)
        self._done.append(name)                  # dependencies finish first
        return name

    def _export_module(self, mod, want, key, user, avoid) -> str:
        if mod.__name__.split(".")[0] == "wengert":
            raise UsageError(
                f"cannot export: {user} uses the module `{mod.__name__}` at run time, "
                "and the exported module must not import wengert",
                hint="move the wengert call out of the function called at run time")
        name = self._claim(want, key, avoid)
        full = mod.__name__
        if full == name:
            line = f"import {full}"
        elif "." in full:
            parent, _, child = full.rpartition(".")
            line = f"from {parent} import {child}" if child == name else \
                f"import {full} as {name}"
        else:
            line = f"import {full} as {name}"
        self.imports[name] = line
        return name

    def _numpy_name(self) -> str:
        return self.export(np, "np", "a NumPy constant")

    numpy_name = _numpy_name

    def wrong_argument_helper(self) -> str:
        """The name of ``_wrong_argument`` in the module, defined once."""
        return self.export(_wrong_argument, WRONG_ARGUMENT, "the guard of the arguments")

    def literal_or_name(self, value, want: str) -> str:
        lit = _literal(value, self._numpy_name, frozen=True)
        return lit if lit is not None else self.export(value, want, "a default value")

    # -- definitions ---------------------------------------------------------

    def _definition(self, obj, name: str) -> str:
        """The source of a function or class, renamed to ``name``, with the
        names it uses renamed to their exported names."""
        what = _describe(obj)
        text = _source_text(obj, what)
        tree = ast.parse(text)
        node = tree.body[0]
        edits = []
        env = _environment(obj)
        extra = {}
        # decorators that are wengert's own (custom_vjp, nondifferentiable): drop
        for dec in getattr(node, "decorator_list", []):
            if _is_wengert(_resolve_expr(dec, env)):
                edits.append(_line_span(text, dec.lineno - 1, dec.end_lineno))
        # imports of wengert inside the body: bind the names at module level
        for stmt in ast.walk(node):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)) and _imports_wengert(stmt):
                for alias in stmt.names:
                    extra[alias.asname or alias.name.split(".")[0]] = \
                        _import_target(stmt, alias, obj)
                edits.append(_span(text, stmt, "pass"))
        text = _apply(text, edits)
        text = _inline_wengert_attributes(text, env, extra, what)
        free = _free_names(text)
        avoid = _identifiers(text) - free
        renames = {}
        for free_name in sorted(free):
            found, value, frozen = _lookup(free_name, extra, env)
            if not found:
                raise UsageError(
                    f"cannot export {what}: it uses `{free_name}`, which is not defined",
                    hint="define it at module level or pass it as an argument")
            if value is _BUILTIN:
                continue
            exported = self.export(value, free_name, what, frozen, avoid=avoid)
            if exported != free_name:
                renames[free_name] = exported
        return _rename(text, name, renames).rstrip("\n") + "\n"

    def add_defaults(self, name: str, defaults: dict, tangents: int = 0) -> None:
        """Give the parameters of definition ``name`` the original function's
        default values (generated code leaves them to the caller), where
        Python allows it: every later parameter must have a default too.
        The last ``tangents`` parameters (``jvp``, ``hvp``) then default to
        ``None``, and a guard refuses a call that leaves one out:
        ``jvp_f(w, lam=0.1, w_dot=None)`` is called as ``jvp_f(w, 0.1, t)``
        or ``jvp_f(w, w_dot=t)``, and ``jvp_f(w, t)`` is a TypeError."""
        slot = next(i for i, (n, _) in enumerate(self.defs) if n == name)
        text = self.defs[slot][1]
        node = ast.parse(text).body[0]
        args = node.args.args
        first_tangent = len(args) - tangents
        has_default = [False] * (len(args) - len(node.args.defaults)) + \
            [True] * len(node.args.defaults)
        added = [i for i, a in enumerate(args[:first_tangent])
                 if not has_default[i] and a.arg in defaults]
        if not added:
            return
        added += range(first_tangent, len(args))
        final = [d or i in added for i, d in enumerate(has_default)]
        if any(f and not later for i, f in enumerate(final) for later in final[i:]):
            return                       # a parameter without a default follows one with
        offsets = _line_offsets(text)
        edits = []
        for i in added:
            a = args[i]
            value = "None" if i >= first_tangent else self.literal_or_name(defaults[a.arg],
                                                                           a.arg)
            end = offsets[a.end_lineno - 1] + _char_col(text, a.end_lineno, a.end_col_offset)
            edits.append((end, end, f"={value}"))
        if tangents:
            edits.append(_tangent_guard(text, node, name, args, final, first_tangent))
        self.defs[slot] = (name, _apply(text, edits))

    def check_output(self, name: str, function: str, original: str, what: str) -> None:
        """Insert into the vjp definition ``name`` (which returns ``(value,
        adjoints)``), before its adjoint sweep, the check of the output
        ``value``: a scalar (``what`` ``"scalar"``: a gradient), or the
        cotangent ``out_bar`` fitted to it (``"cotangent"``: a vjp). Without
        an adjoint sweep, before its return."""
        slot = next(i for i, (n, _) in enumerate(self.defs) if n == name)
        text = self.defs[slot][1]
        node = ast.parse(text).body[0]
        returns = [n for n in _own_nodes(node) if isinstance(n, ast.Return)]
        if len(returns) != 1 or not isinstance(returns[0].value, ast.Tuple) or \
                len(returns[0].value.elts) != 2:
            return
        value = ast.get_source_segment(text, returns[0].value.elts[0])
        seed = node.args.args[-1].arg
        if what == "scalar":
            helper = self.export(_scalar_output, "_scalar_output", "the check of the output")
            check = f"{helper}({function!r}, {original!r}, {value})"
        else:
            helper = self.export(_cotangent, "_cotangent", "the check of the cotangent")
            check = f"{seed} = {helper}({function!r}, {value}, {seed})"
        lines = text.splitlines(True)
        at = next((i for i, line in enumerate(lines) if line.strip() == "# adjoint sweep"),
                  None)
        if at is None or not isinstance(returns[0].value.elts[0], ast.Name):
            at = returns[0].lineno - 1   # (no adjoint sweep, or the value is computed
                                         # in the return)
        indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
        lines.insert(at, f"{indent}{check}\n")
        self.defs[slot] = (name, "".join(lines))

    def text_of(self, name: str) -> str:
        return next(text for n, text in self.defs if n == name)

    def add_guard(self, name: str, guard: str) -> None:
        """Insert ``guard`` (lines of code) at the top of the body of the
        definition ``name`` (after its docstring and the check that no
        tangent was left out, ``add_defaults``)."""
        if not guard:
            return
        slot = next(i for i, (n, _) in enumerate(self.defs) if n == name)
        text = self.defs[slot][1]
        self.defs[slot] = (name, _apply(text, [_at_body_start(text, guard)]))

    # -- the module ----------------------------------------------------------

    def module_text(self) -> str:
        parts = ["from __future__ import annotations\n"]
        if self.imports:
            parts.append("\n" + "".join(line + "\n" for line in sorted(
                self.imports.values(), key=_import_order)))
        if self.consts:
            parts.append("\n" + "".join(f"{k} = {v}\n" for k, v in sorted(self.consts.items())))
        for _, text in sorted(self.defs, key=lambda d: self._done.index(d[0])):
            parts.append("\n\n" + text)
        return _normalise("".join(parts))


def _own_nodes(func_node):
    """The nodes of a function's body, not those of functions nested in it."""
    todo = list(func_node.body)
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                              ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(n))


def _tangent_guard(text, node, name, args, final, first_tangent):
    """The edit inserting, at the top of ``node``'s body, the check that no
    tangent parameter (the ones from ``first_tangent`` on, defaulting to
    ``None`` after the primal defaults) was left out."""
    body = node.body
    first = body[1] if len(body) > 1 and isinstance(body[0], ast.Expr) and \
        isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str) \
        else body[0]                     # (after a docstring)
    indent = " " * first.col_offset
    tangents = [a.arg for a in args[first_tangent:]]
    call = [a.arg for a, f in zip(args, final) if not f] + [f"{t}=..." for t in tangents]
    message = (f"{name}() missing a tangent ({', '.join(tangents)}): pass the tangents "
               f"after every argument, or by name: {name}({', '.join(call)})")
    guard = (f"{indent}if {' or '.join(f'{t} is None' for t in tangents)}:\n"
             f"{indent}    raise TypeError({message!r})\n")
    start = _line_offsets(text)[first.lineno - 1]
    return (start, start, guard)


def _at_body_start(text: str, lines: str):
    """The edit inserting ``lines`` (indented by four spaces) at the top of
    the body of the definition ``text``, after its docstring, indented as
    the body is."""
    body = list(ast.parse(text).body[0].body)
    if len(body) > 1 and isinstance(body[0], ast.Expr) and \
            isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]                                # (after a docstring)
    if len(body) > 1 and _is_tangent_guard(body[0]):
        body = body[1:]                                # (and after _tangent_guard's check)
    first = body[0]
    indent = " " * first.col_offset
    block = "".join(indent + line[4:] + "\n" if line else "\n"
                    for line in lines.splitlines())
    source = text.splitlines()
    line = first.lineno - 1            # before the comments that lead the body too
    while line > 0 and source[line - 1].strip().startswith("#") and \
            source[line - 1].startswith(indent):
        line -= 1
    start = _line_offsets(text)[line]
    return (start, start, block)


def _is_tangent_guard(stmt) -> bool:
    """``if t is None: raise TypeError(...)``, as ``_tangent_guard`` writes it."""
    return isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1 and \
        isinstance(stmt.body[0], ast.Raise) and isinstance(stmt.body[0].exc, ast.Call) and \
        isinstance(stmt.body[0].exc.func, ast.Name) and stmt.body[0].exc.func.id == "TypeError" \
        and all(isinstance(c, ast.Compare) and isinstance(c.ops[0], ast.Is)
                for c in (stmt.test.values if isinstance(stmt.test, ast.BoolOp) else [stmt.test]))


# --------------------------------------------------------------------------
# the guard of a specialised export


WRONG_ARGUMENT = "_wrong_argument"


def _guarded(params, kinds) -> list:
    """``[(expression, label, kind)]`` of the parameters whose kinds the
    code was specialised for (the ones ``kinds`` gives)."""
    if kinds is None:
        return []
    return [(p, p, k) for p, k in zip(params, kinds) if k is not None]


def _kind_guard(exporter, name: str, guarded) -> str:
    """The lines (indented by four spaces) that check, at the entry of the
    exported function ``name``, that each argument has the kind the code was
    specialised for, and otherwise call ``_wrong_argument``, which raises an
    error naming the argument (the code of one shape called with another
    would broadcast, silently wrong). A few ``type(x) is`` / ``.shape ==`` /
    ``.dtype ==`` comparisons per argument, once per call."""
    checks = []
    for expr, label, kind in guarded:
        checks += _kind_checks(exporter, expr, label, kind)
    if not checks:
        return ""
    helper = exporter.wrong_argument_helper()
    lines = ["    # the arguments must have the kinds this code is specialised for (--args)"]
    for cond, label, expected, array in checks:
        call = f"{helper}({name!r}, {label!r}, {label}, {expected!r}" + \
            (", array=True)" if array else ")")
        lines.append(f"    if not ({cond}):")
        lines.append(f"        {call}")
    return "\n".join(lines) + "\n"


def _kind_checks(exporter, x, label, k) -> list:
    """``[(condition, label, expected description, is an array)]`` for the
    value ``x`` of kind ``k``; ``label`` is an expression reading it (the
    parameter's name, ``params['W']`` for an item: checked after its
    container, so that reading it is safe)."""
    from . import analysis
    if isinstance(k, analysis.SeqItems):
        if k.cls is not None:
            cond = f"isinstance({x}, tuple) and len({x}) == {len(k.items)}"
            expected = f"a {k.cls.__qualname__} of {len(k.items)} fields"
        elif k.dtype == "dict":
            keys = tuple(key for key, _ in k.items)
            cond = f"type({x}) is dict and tuple({x}) == {keys!r}"
            expected = "a dict with the keys " + ", ".join(map(repr, keys)) + \
                (" in this order" if len(keys) > 1 else "")
        else:
            cond = f"type({x}) in (list, tuple) and len({x}) == {len(k.items)}"
            expected = f"a list or tuple of {len(k.items)} items"
        out = [(cond, label, expected, False)]
        for key, item in k.items:
            sub = f"{x}[{key!r}]"
            out += _kind_checks(exporter, sub, sub, item)
        return out
    if isinstance(k, analysis.SeqOf):
        return [(f"type({x}) in (list, tuple)", label,
                 f"a list or tuple{' of ' + str(k.item) + 's' if k.item else ''}", False)]
    if type(k) is not analysis.Kind or k.shape[:1] in ((-1,), (-2,), (-3,), (-4,)):
        return []                    # an instance, a function, a range...: not checked
    if k.pyfloat:
        if k.dtype == "int":
            return [(f"type({x}) is int", label, "a Python int", False)]
        return [(f"isinstance({x}, (float, int)) and type({x}) is not bool", label,
                 "a Python float" if k.dtype != "number" else "a Python number", False)]
    np_name = exporter.numpy_name()
    dtype = np.dtype(k.dtype)
    spelling = f"{np_name}.{'bool_' if dtype.kind == 'b' else dtype.name}" \
        if dtype.isnative and dtype == np.dtype(dtype.name) else \
        f"{np_name}.dtype({dtype.str!r})"
    article = "an" if dtype.name.startswith(("int", "object")) else "a"
    if k.shape == () and not k.array0:
        return [(f"isinstance({x}, {np_name}.generic) and {x}.dtype == {spelling}", label,
                 f"a NumPy {dtype.name} scalar", True)]
    return [(f"type({x}) is {np_name}.ndarray and {x}.shape == {tuple(k.shape)!r} and "
             f"{x}.dtype == {spelling}", label,
             f"{article} {dtype.name} array of shape {tuple(k.shape)!r}", True)]


def _wrong_argument(function, name, value, expected, array=False):
    """Refuse an argument of another kind than this module was exported for:
    its code was specialised (``wengert export --args``) for the kinds of
    the example arguments (Python float or array, shape, dtype), and with
    other shapes it would broadcast to a wrong result."""
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    module = type(value).__module__
    if type(value).__name__ == "ndarray" and module == "numpy":
        article = "an" if str(dtype).startswith(("int", "object")) else "a"
        got = f"{article} {dtype} array of shape {tuple(shape)}"
    elif module == "numpy" and dtype is not None and shape == ():
        got = f"a NumPy {dtype} scalar"
    elif type(value) in (float, int, bool, complex, str):
        got = f"a Python {type(value).__name__}"
    elif type(value) is dict:
        got = "a dict with the keys " + ", ".join(map(repr, value))
    elif type(value) in (list, tuple):
        got = f"a {type(value).__name__} of {len(value)} items"
    elif shape is not None and dtype is not None:
        got = f"a {module}.{type(value).__qualname__} of dtype {dtype} and shape {tuple(shape)}"
    else:
        got = f"a {module}.{type(value).__qualname__}"
    error = ValueError if array and shape is not None and dtype is not None else TypeError
    raise error(f"{function}(): argument `{name}` is {got}, but this code was exported for "
                f"{expected} (it is specialised for the kinds of the example arguments of "
                "`wengert export --args`): export it again with --args of these kinds and "
                "shapes, or without --args for code that takes any")


def _import_order(line: str):
    return (line.startswith("from"), line)


def _normalise(text: str) -> str:
    """Deterministic text: no build counters in source-map comments."""
    from .display import normalise
    return normalise(text)


# --------------------------------------------------------------------------
# what an object is


class _Builtin:
    def __repr__(self) -> str:
        return "<builtin>"


_BUILTIN = _Builtin()


def _unwrap_reference(obj):
    """A forward reference to a derivative being built stands for its target."""
    from .api import _ForwardRef
    from .custom import CustomJVP, CustomVJP
    if isinstance(obj, _ForwardRef) and obj.target is not None:
        return obj.target
    if isinstance(obj, (CustomVJP, CustomJVP)):
        return obj.fun
    return obj


def _describe(obj) -> str:
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if isinstance(obj, type):
        return f"class `{name}`"
    if callable(obj) and name:
        module = getattr(obj, "__module__", None)
        return f"function `{name}`" + (f" (module {module})" if module and
                                       module != "wengert.generated" else "")
    return f"the {type(obj).__name__} value"


def _is_wengert(obj) -> bool:
    if isinstance(obj, types.ModuleType):
        return obj.__name__.split(".")[0] == "wengert"
    module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", "")
    return isinstance(module, str) and module.split(".")[0] == "wengert" and \
        module != "wengert.generated"


def _is_library(obj) -> bool:
    """Is ``obj`` from an installed library or the standard library (import
    it) rather than the user's code or wengert (copy its source)?"""
    if _is_wengert(obj):
        return False
    code = getattr(inspect.unwrap(obj) if callable(obj) else obj, "__code__", None)
    if code is not None and code.co_filename.startswith("<wengert"):
        return False                              # generated code
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    if module is None:
        return not isinstance(obj, (types.FunctionType, type))
    path = getattr(module, "__file__", None)
    if path is None:
        return True                               # built into the interpreter
    path = os.path.realpath(path)
    roots = {os.path.realpath(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib",
                                                                   "purelib", "platlib")}
    return any(path.startswith(r + os.sep) for r in roots) or \
        "site-packages" in path or "dist-packages" in path


def _definable(obj):
    """The function or class whose source defines ``obj``, if any."""
    target = obj
    if not isinstance(target, (types.FunctionType, type)) and \
            not isinstance(getattr(obj, "__wrapped__", None), types.FunctionType):
        return None                    # functools.lru_cache & co. wrap a function
    if isinstance(target, type) and target.__module__ == "builtins":
        return None
    try:
        inspect.getsource(target.__code__ if isinstance(target, types.FunctionType)
                          else target)
    except (OSError, TypeError):
        return None
    return target


def _source_text(obj, what: str) -> str:
    try:
        # a function's own code: generated ones carry ``__wrapped__`` (the
        # user's function), which ``inspect.getsource`` would follow
        text = inspect.getsource(obj.__code__ if isinstance(obj, types.FunctionType) else obj)
    except (OSError, TypeError) as exc:
        raise UsageError(f"cannot export {what}: its source is unavailable ({exc})",
                         hint="define it in a .py file") from None
    text = textwrap.dedent(text)
    if getattr(obj, "__name__", "") == "<lambda>":
        raise UsageError(f"cannot export {what}: it is a lambda",
                         hint="define it with def")
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise UsageError(f"cannot export {what}: its source does not parse alone ({exc})",
                         hint="define it at the top level of a module") from None
    if not tree.body or not isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef,
                                                      ast.ClassDef)):
        raise UsageError(f"cannot export {what}: its source is not a def or class")
    return text


def _import_spelling(obj):
    """``(module, attribute)`` such that ``from module import attribute`` is ``obj``."""
    name = getattr(obj, "__name__", None)
    if not isinstance(name, str) or not name.isidentifier():
        return None
    module = getattr(obj, "__module__", None)
    candidates = []
    if isinstance(module, str) and module not in ("__main__", "wengert.generated") and \
            module.split(".")[0] != "wengert":
        candidates += [module.lstrip("_"), module]
        if module.startswith("numpy"):
            candidates.insert(0, "numpy")
    for cand in candidates:
        try:
            mod = importlib.import_module(cand)
        except Exception:
            continue
        if getattr(mod, name, None) is obj:
            return cand, name
    return None


def _environment(obj):
    """(closure, globals, builtins) a function or class resolves names in."""
    if isinstance(obj, type):
        import sys
        module = sys.modules.get(obj.__module__)
        return {}, vars(module) if module else {}, vars(builtins), False
    func = inspect.unwrap(obj) if not isinstance(obj, types.FunctionType) else obj
    closure = {}
    for n, cell in zip(func.__code__.co_freevars, func.__closure__ or ()):
        try:
            closure[n] = cell.cell_contents
        except ValueError:
            pass
    glob = func.__globals__
    b = glob.get("__builtins__", builtins)
    b = b if isinstance(b, dict) else vars(b)
    generated = glob.get("__name__") == "wengert.generated"
    return closure, glob, b, generated


def _lookup(name, extra, env):
    """``(found, value, frozen)`` for a free name, as Python resolves it."""
    closure, glob, b, generated = env
    if name in extra:
        return True, extra[name], True
    if name in closure or name in glob:
        value = closure[name] if name in closure else glob[name]
        if getattr(builtins, name, _MISSING) is value:
            return True, _BUILTIN, True
        # a generated derivative's globals were fixed when it was built
        return True, value, generated and name not in closure
    if name in b:
        value = b[name]
        if b is vars(builtins) or getattr(builtins, name, _MISSING) is value:
            return True, _BUILTIN, True
        return True, value, False           # the user's module, read at run time
    if hasattr(builtins, name):
        return True, _BUILTIN, True
    return False, None, False


_MISSING = object()


def _resolve_expr(expr, env):
    """The object a decorator expression's root names (``wengert`` in
    ``@wengert.custom_vjp``), following attributes when they resolve."""
    node = expr.func if isinstance(expr, ast.Call) else expr
    chain = []
    while isinstance(node, ast.Attribute):
        chain.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    found, value, _ = _lookup(node.id, {}, env)
    if not found or value is _BUILTIN:
        return None
    for attr in reversed(chain):
        value = getattr(value, attr, None)
    return value


def _inline_wengert_attributes(text: str, env, extra: dict, what: str) -> str:
    """``wengert.stop_gradient(x)`` -> ``stop_gradient(x)``, with
    ``stop_gradient`` bound in ``extra`` to the function (whose source is
    then copied): the exported module never imports wengert."""
    free = _free_names(text)
    modules = {n for n in free if n not in extra and
               isinstance(_lookup(n, extra, env)[1], types.ModuleType) and
               _is_wengert(_lookup(n, extra, env)[1])}
    if not modules:
        return text
    taken = _identifiers(text)
    edits = []

    def visit(node):
        chain, root = [], node
        while isinstance(root, ast.Attribute):
            chain.append(root.attr)
            root = root.value
        if chain and isinstance(root, ast.Name) and root.id in modules:
            value = _lookup(root.id, extra, env)[1]
            for attr in reversed(chain):
                value = getattr(value, attr)
            if isinstance(value, types.ModuleType):
                raise UsageError(f"cannot export {what}: it uses the module "
                                 f"`{value.__name__}` at run time",
                                 hint="the exported module must not import wengert")
            name, i = chain[0], 1
            while name in taken and extra.get(name) is not value:
                i += 1
                name = f"{chain[0]}_{i}"
            taken.add(name)
            extra[name] = value
            edits.append(_span(text, node, name))
            return
        if isinstance(node, ast.Name) and node.id in modules:
            raise UsageError(f"cannot export {what}: it uses the module `{node.id}` "
                             "itself at run time, and the exported module must not "
                             "import wengert",
                             hint="call wengert's functions by name (wengert.f(...))")
        for child in ast.iter_child_nodes(node):
            visit(child)
    visit(ast.parse(text))
    return _apply(text, edits)


def _imports_wengert(stmt) -> bool:
    if isinstance(stmt, ast.ImportFrom):
        return stmt.level > 0 or (stmt.module or "").split(".")[0] == "wengert"
    return any(a.name.split(".")[0] == "wengert" for a in stmt.names)


def _import_target(stmt, alias, obj):
    """The object an import statement inside ``obj``'s body binds."""
    if isinstance(stmt, ast.Import):
        top = alias.name if alias.asname else alias.name.split(".")[0]
        return importlib.import_module(top)
    module_name = stmt.module or ""
    if stmt.level:
        parts = (getattr(obj, "__module__", "") or "").split(".")
        anchor = ".".join(parts[:len(parts) - stmt.level])
        module_name = ".".join(p for p in (anchor, module_name) if p)
    module = importlib.import_module(module_name)
    if hasattr(module, alias.name):
        return getattr(module, alias.name)
    return importlib.import_module(f"{module_name}.{alias.name}")


# --------------------------------------------------------------------------
# literals


def _is_plain_literal(v) -> bool:
    return type(v) in (type(None), bool, int, float, complex, str, bytes) or v is Ellipsis


def _literal(v, np_name, frozen: bool) -> Optional[str]:
    """Python source for ``v`` if it is a literal constant, else ``None``.
    Arrays count only when ``frozen`` (fixed when the derivative was built)."""
    t = type(v)
    if v is None or v is Ellipsis or t in (bool, int, str, bytes):
        return repr(v)
    if t is float:
        return _float_text(v)
    if t is complex:
        return f"complex({_float_text(v.real)}, {_float_text(v.imag)})"
    if t in (tuple, list):
        items = [_literal(x, np_name, frozen) for x in v]
        if any(x is None and y is not None for x, y in zip(items, v)):
            return None
        inner = ", ".join(items) + ("," if t is tuple and len(items) == 1 else "")
        return f"({inner})" if t is tuple else f"[{inner}]"
    if t in (set, frozenset):
        items = sorted(_literal(x, np_name, frozen) or "" for x in v)
        if any(not x for x in items):
            return None
        body = "{" + ", ".join(items) + "}" if items else "set()"
        return body if t is set else f"frozenset({body if items else ''})"
    if t is dict:
        pairs = []
        for k, x in v.items():
            kt, xt = _literal(k, np_name, frozen), _literal(x, np_name, frozen)
            if kt is None or (xt is None and x is not None):
                return None
            pairs.append(f"{kt}: {xt}")
        return "{" + ", ".join(pairs) + "}"
    if t is slice:
        parts = [_literal(x, np_name, frozen) for x in (v.start, v.stop, v.step)]
        return None if any(p is None for p in parts) else f"slice({', '.join(parts)})"
    if t is range:
        return f"range({v.start}, {v.stop}, {v.step})"
    if isinstance(v, np.generic) and v.dtype.kind in "biufc":
        return f"{np_name()}.{v.dtype.name}({_literal(v.item(), np_name, frozen)})"
    if isinstance(v, np.dtype) and v.kind in "biufc":
        return f"{np_name()}.dtype({v.name!r})"
    if t is np.ndarray and frozen and v.dtype.kind in "biufc" and v.size <= MAX_ARRAY_LITERAL:
        data = _literal(v.tolist(), np_name, frozen)
        return f"{np_name()}.array({data}, dtype={np_name()}.{v.dtype.name})"
    return None


def _float_text(x: float) -> str:
    if math.isnan(x):
        return 'float("nan")'
    if math.isinf(x):
        return 'float("inf")' if x > 0 else '-float("inf")'
    return repr(x)


# --------------------------------------------------------------------------
# source text


def _strip_annotations(tree):
    """Annotations are never evaluated (the module has ``from __future__
    import annotations``), so they are not dependencies."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.returns = None
            for a in node.args.args + node.args.posonlyargs + node.args.kwonlyargs + \
                    [x for x in (node.args.vararg, node.args.kwarg) if x]:
                a.annotation = None
        elif isinstance(node, ast.AnnAssign):
            node.annotation = ast.Constant(value=None)
    return tree


def _free_names(text: str) -> set:
    """Global names a definition reads (closure names included), from the
    symbol table of the definition alone."""
    stripped = ast.unparse(_strip_annotations(ast.parse(text)))
    table = symtable.symtable(stripped, "<export>", "exec")
    out = set()

    def visit(t, top):
        for sym in t.get_symbols():
            if not sym.is_referenced():
                continue
            if top and not sym.is_assigned() and not sym.is_imported():
                out.add(sym.get_name())
            elif not top and sym.is_global():
                out.add(sym.get_name())
        for child in t.get_children():
            visit(child, False)
    visit(table, True)
    return out


def _identifiers(text: str) -> set:
    """Every name and argument the definition mentions (new names avoid them)."""
    out = set()
    for n in ast.walk(ast.parse(text)):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
    return out


def _line_offsets(text: str) -> list:
    offsets, total = [], 0
    for line in text.splitlines(True):
        offsets.append(total)
        total += len(line)
    offsets.append(total)
    return offsets


def _span(text: str, node, replacement: str):
    offsets = _line_offsets(text)
    start = offsets[node.lineno - 1] + _char_col(text, node.lineno, node.col_offset)
    end = offsets[node.end_lineno - 1] + _char_col(text, node.end_lineno, node.end_col_offset)
    return (start, end, replacement)


def _line_span(text: str, first: int, last: int):
    """Whole lines ``first``..``last`` (0-based first, 1-based inclusive last)."""
    offsets = _line_offsets(text)
    return (offsets[first], offsets[last], "")


def _char_col(text: str, lineno: int, col: int) -> int:
    """``ast`` columns are UTF-8 byte offsets; convert to characters."""
    line = text.splitlines(True)[lineno - 1]
    return len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))


def _apply(text: str, edits) -> str:
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _rename(text: str, name: str, renames: dict) -> str:
    """Rename the definition to ``name`` and the global names in ``renames``."""
    tree = ast.parse(text)
    node = tree.body[0]
    edits = []
    if node.name != name:
        offsets = _line_offsets(text)
        keyword = "class" if isinstance(node, ast.ClassDef) else "def"
        line_start = offsets[node.lineno - 1]
        line = text.splitlines(True)[node.lineno - 1]
        m = re.search(rf"\b{keyword}\s+({re.escape(node.name)})\b", line)
        edits.append((line_start + m.start(1), line_start + m.end(1), name))
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id in renames:
            edits.append(_span(text, n, renames[n.id]))
    return _apply(text, edits)
