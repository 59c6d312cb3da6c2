"""Deterministic, readable names for generated variables.

The convention, documented in ``docs/architecture.md``:

=================  ===========================================
``x``              a user variable keeps its name
``x_1``, ``x_2``   later versions of ``x`` (the IR is in SSA form)
``v1``, ``v2``     temporaries for nested sub-expressions
``x_dot``          tangent of ``x`` (forward mode)
``x_bar``          adjoint of ``x`` (reverse mode)
``out_bar``        the cotangent seeded into the output
=================  ===========================================

A name already used by the user's code is never reused for something else: the
generator skips it (``v1`` taken means the first temporary is ``v2``; a user
variable called ``x_bar`` pushes the adjoint of ``x`` to ``x_bar_1``).
"""

from __future__ import annotations


class NameGen:
    """Allocates names; ``avoid`` holds names the user's code may still define."""

    def __init__(self, avoid=()):
        self.taken: set = set()
        self.avoid = set(avoid)
        self.temps: set = set()        # names made by temp(): free to inline away
        self.user_of: dict = {}        # SSA version -> the user variable it is a version of
        self._temp = 0

    def reserve(self, *names: str) -> None:
        self.taken.update(names)

    def _free(self, name: str) -> bool:
        return name not in self.taken and name not in self.avoid

    def version(self, user_name: str) -> str:
        """A new SSA version of a user variable: the name itself the first time."""
        if user_name not in self.taken:
            self.taken.add(user_name)
            self.user_of[user_name] = user_name
            return user_name
        name = self.fresh(user_name)
        self.user_of[name] = user_name
        return name

    def fresh(self, base: str) -> str:
        """``base`` if free, else ``base_1``, ``base_2``, …"""
        name, i = base, 0
        while not self._free(name):
            i += 1
            name = f"{base}_{i}"
        self.taken.add(name)
        return name

    def temp(self, prefix: str = "v") -> str:
        while True:
            self._temp += 1
            name = f"{prefix}{self._temp}"
            if self._free(name):
                self.taken.add(name)
                self.temps.add(name)
                return name


def fresh(taken: set, base: str) -> str:
    """``base``, or ``base_1``, ``base_2``, ... : the first not in ``taken``
    (which then holds it)."""
    name, i = base, 0
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    taken.add(name)
    return name
