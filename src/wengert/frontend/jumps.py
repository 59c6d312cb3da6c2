"""Turn early ``return``, ``break`` and ``continue`` into structured code.

The IR has one ``return`` at the end and loops without jumps, so the
transformations never have to reason about control leaving a block early.
Before lowering, this pass rewrites the gast tree:

* A top-level ``if`` whose branch always returns takes the rest of the
  function into its other branch (no flag needed)::

      if x < 0:                 if x < 0:
          return -x       ──▶       retval = -x
      y = x * x                 else:
      return y                      y = x * x
                                    retval = y
                                return retval

* Anywhere else a jump sets a flag, and the statements after it run under
  ``if not flag``. ``break`` sets ``exit_loop``, which stops the loop at the
  end of the iteration; ``continue`` sets ``skip_rest``; a ``return`` inside a
  loop sets ``returned`` and the ``exit_loop`` of every enclosing loop.

Functions without early jumps are returned unchanged.
"""

from __future__ import annotations

import gast

from ..errors import UnsupportedSyntaxError


def _name(id_, store=False):
    return gast.Name(id=id_, ctx=gast.Store() if store else gast.Load(),
                     annotation=None, type_comment=None)


def _assign(name, value, like):
    node = gast.Assign(targets=[_name(name, store=True)], value=value, type_comment=None)
    return gast.copy_location(node, like)


def _const(v):
    return gast.Constant(value=v, kind=None)


def _children(node):
    """Sub-statements reachable without entering a nested function."""
    for field in ("body", "orelse"):
        for s in getattr(node, field, []) or []:
            yield s


def _contains(node, kinds, in_loop=False) -> bool:
    """Does ``node`` contain a jump of ``kinds`` that escapes it?"""
    if isinstance(node, gast.Return):
        return "return" in kinds
    if isinstance(node, gast.Break):
        return "break" in kinds and not in_loop
    if isinstance(node, gast.Continue):
        return "continue" in kinds and not in_loop
    if isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
        return False
    nested = in_loop or isinstance(node, (gast.For, gast.While))
    return any(_contains(c, kinds, nested) for c in _children(node))


def _always_returns(stmts) -> bool:
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, gast.Return):
        return True
    if isinstance(last, gast.If):
        return _always_returns(last.body) and _always_returns(last.orelse)
    return False


def _nest_returns(stmts) -> list:
    """Move the statements after a returning ``if`` into its other branch."""
    out = []
    for i, s in enumerate(stmts):
        if isinstance(s, gast.If) and i + 1 < len(stmts):
            body_ret, else_ret = _always_returns(s.body), _always_returns(s.orelse)
            clean_body = body_ret or not _contains_any_return(s.body)
            clean_else = else_ret or not _contains_any_return(s.orelse)
            if (body_ret or else_ret) and clean_body and clean_else:
                rest = list(stmts[i + 1:])
                if not body_ret:
                    s.body = list(s.body) + rest
                if not else_ret:
                    s.orelse = list(s.orelse) + rest
                s.body = _nest_returns(s.body)
                s.orelse = _nest_returns(s.orelse)
                out.append(s)
                return out
        out.append(s)
    return out


def _contains_any_return(stmts) -> bool:
    return any(_contains(s, ("return",)) for s in stmts)


class _Loop:
    def __init__(self, exit_flag, skip_flag):
        self.exit = exit_flag
        self.skip = skip_flag
        self.exit_used = False
        self.skip_used = False


class _JumpEliminator:
    def __init__(self, names, pf):
        self.names = names
        self.pf = pf
        self.retval = names.fresh("retval")
        self.returned = None
        self.loops: list = []

    def returned_flag(self) -> str:
        if self.returned is None:
            self.returned = self.names.fresh("returned")
        return self.returned

    def block(self, stmts, tail: bool) -> list:
        out = []
        for i, s in enumerate(stmts):
            last = i == len(stmts) - 1
            guard = None if last else self.guard_for(s)   # before stmt() rewrites s
            out.extend(self.stmt(s, tail and last))
            if last:
                break
            if guard is not None:
                rest = self.block(stmts[i + 1:], tail)
                node = gast.If(test=guard, body=rest, orelse=[])
                out.append(gast.copy_location(node, stmts[i + 1]))
                break
        return out

    def guard_for(self, s):
        """``not (flags)`` for the jumps that may escape ``s``, or None."""
        flags = []
        loop = self.loops[-1] if self.loops else None
        if loop is not None:
            if _contains(s, ("break", "return")):
                flags.append(loop.exit)
            if _contains(s, ("continue",)):
                flags.append(loop.skip)
        elif _contains(s, ("return",)):
            flags.append(self.returned_flag())
        if not flags:
            return None
        test = _name(flags[0]) if len(flags) == 1 else \
            gast.BoolOp(op=gast.Or(), values=[_name(f) for f in flags])
        return gast.UnaryOp(op=gast.Not(), operand=test)

    def stmt(self, s, tail: bool) -> list:
        if isinstance(s, gast.Return):
            value = s.value if s.value is not None else _const(None)
            out = [_assign(self.retval, value, s)]
            if tail and not self.loops:
                return out
            out.append(_assign(self.returned_flag(), _const(True), s))
            for loop in self.loops:
                loop.exit_used = True
                out.append(_assign(loop.exit, _const(True), s))
            return out
        if isinstance(s, gast.Break):
            self._need_loop(s, "break")
            self.loops[-1].exit_used = True
            return [_assign(self.loops[-1].exit, _const(True), s)]
        if isinstance(s, gast.Continue):
            self._need_loop(s, "continue")
            self.loops[-1].skip_used = True
            return [_assign(self.loops[-1].skip, _const(True), s)]
        if isinstance(s, gast.If):
            s.body = self.block(s.body, tail)
            s.orelse = self.block(s.orelse, tail)
            return [s]
        if isinstance(s, (gast.For, gast.While)):
            return self.loop(s)
        return [s]

    def _need_loop(self, s, what):
        if not self.loops:
            raise UnsupportedSyntaxError(f"`{what}` outside a loop", self.pf.loc(s))

    def loop(self, s):
        loop = _Loop(self.names.fresh("exit_loop"), self.names.fresh("skip_rest"))
        self.loops.append(loop)
        try:
            body = self.block(s.body, tail=False)
        finally:
            self.loops.pop()
        prefix, before = [], []
        if loop.exit_used:
            prefix.append(_assign(loop.exit, _const(False), s))
            before.append(_assign(loop.exit, _const(False), s))   # defined even if
            s.wengert_stop = loop.exit                            # the loop never runs
        if loop.skip_used:
            prefix.append(_assign(loop.skip, _const(False), s))
            before.append(_assign(loop.skip, _const(False), s))
        s.body = prefix + body
        return before + [s]


def _any_loop_jump(node) -> bool:
    if isinstance(node, (gast.Break, gast.Continue)):
        return True
    if isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
        return False
    return any(_any_loop_jump(c) for c in _children(node))


def _has_jumps(body) -> bool:
    if any(_any_loop_jump(s) for s in body):
        return True
    return any(_contains(s, ("return",)) for s in body[:-1]) or \
        (bool(body) and not isinstance(body[-1], gast.Return)
         and _contains(body[-1], ("return",)))


def eliminate_jumps(body, names, pf) -> list:
    if not _has_jumps(body):
        return body
    body = _nest_returns(list(body))
    elim = _JumpEliminator(names, pf)
    new_body = elim.block(body, tail=True)
    first = body[0] if body else None
    prefix = [_assign(elim.retval, _const(None), first)]
    if elim.returned is not None:
        prefix.append(_assign(elim.returned, _const(False), first))
    ret = gast.Return(value=_name(elim.retval))
    gast.copy_location(ret, body[-1] if body else first)
    return prefix + new_body + [ret]
