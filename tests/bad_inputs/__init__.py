"""A corpus of bad and unusual inputs, each with its expected outcome.

Every entry is a function in one of this package's modules, declared right
where it is defined with one of two decorators:

``@accepts(*args, wrt=0, expect=None, fd=True)``
    wengert differentiates it; the gradient at ``args`` must equal
    ``expect`` (when given, NaN == NaN) and a central finite difference
    (unless ``fd=False``), in both modes.

``@rejects(ErrorClass, *args, col=None, ...)``
    building the derivative raises exactly ``ErrorClass`` (a
    ``WengertError`` subclass). Unless ``located=False``, its message must
    give ``file:line:col`` of the offending construct (the line is the one
    marked ``# <-- here`` in the entry's own source, or in ``at=`` another
    function's), quote that source line, put a caret under ``col``, and
    offer a ``help:`` hint. ``at_grad=True``: raised by ``wengert.grad(...)``
    itself rather than by the first call.

Both take ``bug="diagnosis"`` for an entry whose declared outcome is the
right one but which wengert currently gets wrong: its test is marked
``xfail(strict=True)``, so it must be unmarked once the bug is fixed.

Objects that are not ``def`` functions (``math.sin``, a bound method) are
registered by calling the decorator on them with ``name=``.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from dataclasses import dataclass
from typing import Optional

MARKER = "# <-- here"

CORPUS: list = []


@dataclass
class Entry:
    name: str
    func: object
    args: tuple
    outcome: str                         # "accept" | "reject"
    module: str = ""
    error: Optional[type] = None
    wrt: object = 0
    modes: tuple = ("reverse", "forward")
    expect: object = None
    fd: bool = True
    located: bool = True
    col: Optional[int] = None
    at: object = None                    # function whose source holds the marker
    at_grad: bool = False
    message: Optional[str] = None
    hint: bool = True
    note: str = ""
    bug: str = ""                        # a known wengert bug: the test is xfail(strict)

    @property
    def id(self) -> str:
        return f"{self.module.rsplit('.', 1)[-1]}.{self.name}"

    def marker(self):
        """(filename, line) of the ``# <-- here`` marker."""
        where = self.at if self.at is not None else self.func
        lines, start = inspect.getsourcelines(where)
        hits = [start + i for i, text in enumerate(lines) if text.rstrip().endswith(MARKER)]
        assert len(hits) == 1, f"{self.id}: expected one `{MARKER}` marker, found {len(hits)}"
        return inspect.getsourcefile(where), hits[0]


def _caller_module() -> str:
    return sys._getframe(2).f_globals.get("__name__", "?")


def accepts(*args, wrt=0, expect=None, fd=True, modes=("reverse", "forward"), name=None,
            note="", bug=""):
    module = _caller_module()

    def deco(func):
        CORPUS.append(Entry(name or func.__name__, func, args, "accept", module=module,
                            wrt=wrt, expect=expect, fd=fd, modes=modes, note=note, bug=bug))
        return func
    return deco


def rejects(error, *args, col=None, located=True, at=None, at_grad=False, message=None,
            wrt=0, hint=True, modes=("reverse", "forward"), name=None, note="", bug=""):
    module = _caller_module()

    def deco(func):
        CORPUS.append(Entry(name or getattr(func, "__name__", repr(func)), func, args,
                            "reject", module=module, error=error, wrt=wrt, col=col,
                            located=located, at=at, at_grad=at_grad, message=message,
                            hint=hint, modes=modes, note=note, bug=bug))
        return func
    return deco


MODULES = ["statements", "expressions", "effects", "callables", "values", "usage"]
if sys.version_info >= (3, 10):
    MODULES.append("match_statement")      # `match` is a SyntaxError before 3.10


def load() -> list:
    """Import every corpus module; return the entries."""
    for m in MODULES:
        importlib.import_module(f"{__name__}.{m}")
    return list(CORPUS)
