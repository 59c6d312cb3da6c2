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
        return f"{self.filename}:{self.lineno}:{self.char_col()}"

    def source_line(self) -> str:
        return linecache.getline(self.filename, self.lineno).rstrip("\n")

    def char_col(self, line: Optional[str] = None) -> int:
        """The column in characters: ``col`` counts UTF-8 bytes, as ``ast``
        does (``αβγ = x`` puts what follows 3 bytes further)."""
        line = self.source_line() if line is None else line
        if not line or line.isascii():
            return self.col
        return len(line.encode("utf-8")[:self.col].decode("utf-8", errors="ignore"))

    def caret_pad(self, line: str) -> str:
        """What goes before the caret under ``line``: a tab where the line has
        one (so the caret lines up however tabs are shown), else a space."""
        return "".join("\t" if c == "\t" else " " for c in line[:self.char_col(line)])


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
                parts.append(f"{pad} | {self.loc.caret_pad(line)}^")
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
