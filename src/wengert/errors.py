"""The one exception hierarchy of wengert.

Every failure to build a derivative is raised when the derivative is built,
never deferred into a silently wrong result. A message names the construct,
gives ``file:line:col``, quotes the source line with a caret under the
column, and says what to do instead::

    wengert.errors.UnsupportedSyntaxError: try/except is not supported
      --> model.py:12:4
       |
    12 |     try:
       |     ^
    help: move the try/except outside the differentiated function
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Location:
    """A place in user source: file name, 1-based line, 0-based column."""

    filename: str
    lineno: int
    col: int = 0

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}:{self.col}"

    def source_line(self) -> str:
        return linecache.getline(self.filename, self.lineno).rstrip("\n")


class WengertError(Exception):
    """Root of every error wengert raises on purpose."""

    def __init__(self, message: str, loc: Optional[Location] = None,
                 hint: Optional[str] = None):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        parts = [self.message]
        if self.loc is not None:
            parts.append(f"  --> {self.loc}")
            line = self.loc.source_line()
            if line:
                gutter = str(self.loc.lineno)
                pad = " " * len(gutter)
                parts.append(f"{pad} |")
                parts.append(f"{gutter} | {line}")
                parts.append(f"{pad} | {' ' * self.loc.col}^")
        if self.hint:
            parts.append(f"help: {self.hint}")
        return "\n".join(parts)


class SourceUnavailableError(WengertError):
    """The function's source code cannot be read (C function, REPL, exec)."""


class UnsupportedSyntaxError(WengertError):
    """A Python construct outside the supported subset."""


class NoRuleError(WengertError):
    """A call to a function with no derivative rule and no Python source."""


class NonDifferentiableError(WengertError):
    """A differentiated value flows through a non-differentiable operation."""


class UsageError(WengertError):
    """The API was called in a way that cannot work (bad ``wrt``, non-scalar grad)."""
