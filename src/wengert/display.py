"""Showing generated code: what ``wengert show`` prints, in a terminal or a notebook.

``source_for`` is the one place that turns (function, mode, wrt, example
arguments) into the text a user reads; the command line, ``wengert.show`` and
``Derivative._repr_html_`` all go through it, so they always agree::

    >>> import wengert
    >>> def g(x):
    ...     return 2 * x ** 2 - x + 1
    >>> print(source_for(g, "wengert"), end="")          # doctest: +SKIP
    def g(x):
        v1 = x ** 2
        ...

Modes: ``reverse`` (the gradient), ``forward`` (the tangent function),
``wengert`` (the Wengert list), ``vjp`` (value and adjoint), ``jvp`` (value and
tangent) and ``hvp`` (forward over reverse: the tangent of the generated
gradient, whose second result is the Hessian-vector product).

With example arguments the code shown is the one specialised for their kinds
(Python floats; arrays of a given shape and dtype), which is the code
``wengert.grad`` runs on such arguments; without, it is the general version.

Highlighting uses Pygments when it is installed (``pip install pygments``) and
is skipped otherwise: plain text is always correct.
"""

from __future__ import annotations

import html
import re
import sys
from typing import Optional


MODES = ("reverse", "forward", "wengert", "jvp", "vjp", "hvp")


# --------------------------------------------------------------------------
# example arguments


def parse_args_text(text: str) -> tuple:
    """``"2.0, 5.0"`` -> ``(2.0, 5.0)``: the example arguments text of the
    command line's ``--args``, read as it reads it (a rectangular nested
    list of numbers becomes an array, any other list stays a list).

    >>> parse_args_text("2.0, [1.0, 2.0]")
    (2.0, array([1., 2.]))
    """
    from .cli import parse_arguments
    return parse_arguments(text, "--args")


def as_argument(v):
    """An example argument as ``wengert.show``/``source_for`` take it: as it
    is, the value ``wengert.grad`` would be called with (a list stays a list,
    specialised item by item as ``grad`` specialises it; the command line
    turns its list literals into arrays before, ``cli.as_argument``)."""
    return v


def example_arguments(args) -> tuple:
    """``args`` as a tuple of arguments: a tuple or a list is the arguments
    in order, anything else (an array, a number, a dict) is the one argument
    (``args=np.ones(2)`` is one array, not two floats)."""
    if isinstance(args, tuple):
        return args
    if type(args) is list:
        return tuple(args)
    return (args,)


def kinds_of(func, wrt, args) -> Optional[tuple]:
    """The argument kinds a derivative is specialised for, from example
    arguments (integers we differentiate with respect to count as floats)."""
    if args is None:
        return None
    import inspect
    from . import analysis
    from .api import _promote, _wrt_positions
    from .errors import UsageError
    signature = None
    try:
        signature = inspect.signature(func)
        signature.bind(*args)
    except TypeError as exc:
        raise UsageError(f"the example arguments do not fit {func.__name__}{signature}: {exc}",
                         hint="give one value per parameter, in order") from None
    except ValueError:
        pass                             # (no signature to check against)
    positions, _ = _wrt_positions(func, wrt)
    args = _with_defaults(func, signature, tuple(as_argument(a) for a in args), positions)
    args = _promote(args, positions)
    from .api import instance_build_kinds          # (an object's attributes too: self.act)
    kinds = list(instance_build_kinds(func, args, positions))
    # a dict, list or tuple: the kinds of its items, as the dispatcher of
    # ``wengert.grad`` specialises them (``params: {'W': <f8[2,2], ...}``,
    # ``ws: (0: <f8[2], 1: <f8[3])``)
    for i, a in enumerate(args[:len(kinds)]):
        if not analysis._container(a):
            continue
        key = analysis.arg_key(a)
        if isinstance(key, analysis.ItemsKey) or \
                (isinstance(key, analysis.IntsKey) and i not in positions):
            kinds[i] = analysis.arg_kind(a, instances=i not in positions)
    return tuple(kinds)


def _with_defaults(func, signature, args: tuple, positions) -> tuple:
    """``args`` followed by the default values of the parameters up to the
    last one ``positions`` names (``wrt="lam"`` with ``lam=0.1`` not given):
    the value ``wengert.grad`` differentiates at."""
    from .errors import UsageError
    last = max(positions, default=-1)
    if last < len(args):
        return args
    params = list(signature.parameters.values())[len(args):last + 1] if signature else []
    if signature is None or any(p.default is p.empty for p in params):
        name = params[-1].name if signature else f"argument {last}"
        raise UsageError(f"wrt names `{name}`, which the example arguments give no value "
                         f"for and which has no default value",
                         hint="give an example value for it")
    return args + tuple(p.default for p in params)


# --------------------------------------------------------------------------
# the text


def target_function(func):
    """The plain function behind a decorated one (``@wengert.grad``, custom rules)."""
    from .api import Derivative, _check_function
    if isinstance(func, Derivative):
        return func.__wrapped__
    return _check_function(func, "show")


def source_for(func, mode: str = "reverse", wrt=0, args=None, optimize: bool = True,
               kinds=None) -> str:
    """The generated source ``wengert show`` prints for ``func``, specialised
    for the kinds of the example ``args`` or, without them, for ``kinds``
    (``None``: the general version)."""
    from .api import _wrt_positions, build, derivative_source, unbound
    from .errors import UsageError
    if args is not None:
        args = example_arguments(args)      # (args=np.ones(2): one argument)
    func, wrt, args, kinds = unbound(func, wrt, args, kinds)     # (model.loss: loss, self held)
    func = target_function(func)
    if mode not in MODES:
        raise UsageError(f"unknown mode {mode!r}", hint=f"use one of: {', '.join(MODES)}")
    kinds = kinds_of(func, wrt, args) if args is not None else kinds
    if mode != "hvp":
        text = derivative_source(func, mode=mode, wrt=wrt, kinds=kinds, optimize=optimize)
    else:
        positions, _ = _wrt_positions(func, wrt)
        text = build(gradient_function(func, positions, kinds, optimize), "jvp", positions,
                     kinds, optimize=optimize).source
    return normalise(text)


def normalise(text: str) -> str:
    """Source-map comments that point into generated code name it without
    its build counter (``<wengert f_grad #3>`` -> ``<wengert f_grad>``), so
    the text is the same whatever was built before."""
    return _GENERATED_FILE.sub(r"<wengert \1>", text)


_GENERATED_FILE = re.compile(r"<wengert ([^<>#]*?) #\d+>")


def gradient_function(func, positions: tuple, kinds, optimize: bool = True):
    """The generated reverse-mode gradient of ``func`` as a plain function
    (no ``out_bar`` parameter): what forward-over-reverse differentiates."""
    from .api import build
    return build(func, "vjp", positions, kinds, optimize=optimize, seed_param=False,
                 split=False).function


# --------------------------------------------------------------------------
# highlighting


def _pygments():
    try:
        import pygments  # noqa: F401
        from pygments.lexers import PythonLexer
    except ImportError:
        return None
    return PythonLexer


def highlight_terminal(text: str) -> str:
    """ANSI-coloured ``text`` if Pygments is installed, else ``text``."""
    lexer = _pygments()
    if lexer is None:
        return text
    from pygments import highlight
    from pygments.formatters import TerminalFormatter
    return highlight(text, lexer(), TerminalFormatter())


def highlight_html(text: str) -> str:
    """HTML for ``text``: Pygments' if installed, else an escaped ``<pre>``."""
    lexer = _pygments()
    if lexer is None:
        return f"<pre>{html.escape(text)}</pre>"
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    return highlight(text, lexer(), HtmlFormatter(noclasses=True))


def write_source(text: str, stream=None) -> None:
    """Write generated source, highlighted when ``stream`` is a terminal."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        text = highlight_terminal(text)
    stream.write(text)


def show(f, mode: str = "reverse", wrt=0, args=None, optimize: bool = True) -> None:
    """Print the generated code for ``f``, as ``wengert show`` does.

    ``args`` are example arguments: the code shown is then the version
    specialised for their kinds (what ``wengert.grad(f)(*args)`` runs).
    """
    write_source(source_for(f, mode, wrt, args, optimize))


def derivative_html(d) -> str:
    """``Derivative._repr_html_``: its source, highlighted."""
    return highlight_html(d.source)
