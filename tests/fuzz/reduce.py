"""Shrink a failing program to a small one that fails the same way.

A greedy pass over the module's syntax tree, repeated until nothing more
can go: delete a statement, replace an ``if`` or a loop by its body, replace
an expression by one of its operands, shorten ``range(n)``. A candidate is
kept when ``check`` still fails with the same reason (the label and the
exception type, not the numbers). Programs are small, so this takes seconds
to a minute; it is a triage tool, not part of the test suite.
"""

from __future__ import annotations

import ast
import copy
import signal
import time
import warnings

from . import check
from .gen import Program


def same_failure(reason: str):
    key = reason.split(":")[0]
    # build only the derivatives the failure is about
    labels = [lab for lab in check.LABELS if key.startswith(lab) or key.endswith(lab)]
    if " != " in key:
        labels = [lab for lab in check.LABELS if lab in key.split(" != ")]

    def interesting(program: Program, seed: int) -> bool:
        # a candidate may loop forever (a deleted `k = k + 1`): give it 5 s
        previous = signal.signal(signal.SIGALRM, _timeout)
        signal.setitimer(signal.ITIMER_REAL, 5.0)
        try:
            out = check.check(program, seed, labels or None)
        except BaseException:                # noqa: BLE001 -- an invalid candidate
            return False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return out.status == "fail" and out.reason.split(":")[0] == key
    return interesting


class _Timeout(BaseException):
    pass


def _timeout(signum, frame):
    raise _Timeout()


def reduce(program: Program, seed: int, reason: str, budget: int = 2000,
           seconds: float = 120.0, interesting=None) -> Program:
    """``interesting(program, seed) -> bool`` defaults to "fails like ``reason``"."""
    interesting = interesting or same_failure(reason)
    tree = ast.parse(program.source)
    tries = 0
    progress = True
    deadline = time.monotonic() + seconds
    while progress and tries < budget and time.monotonic() < deadline:
        progress = False
        for candidate in _candidates(tree):
            tries += 1
            if tries >= budget or time.monotonic() > deadline:
                break
            try:
                src = ast.unparse(ast.fix_missing_locations(candidate))
            except Exception:                # noqa: BLE001
                continue
            prog = Program(src + "\n", src + "\n", program.params, program.entry)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ok = interesting(prog, seed)
            if ok:
                tree = candidate
                progress = True
                break
    src = ast.unparse(tree) + "\n"
    return Program(src, src, program.params, program.entry)


def _bodies(tree):
    """Every statement list in the tree (module body included)."""
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield node, field


def _candidates(tree):
    # 1. delete one statement (keep imports: candidates without them just fail)
    paths = list(_bodies(tree))
    for k, (node, field) in enumerate(paths):
        block = getattr(node, field)
        for i in range(len(block) - 1, -1, -1):
            if isinstance(block[i], (ast.Import, ast.ImportFrom)):
                continue
            new = copy.deepcopy(tree)
            nnode, nfield = list(_bodies(new))[k]
            nblock = getattr(nnode, nfield)
            del nblock[i]
            if not nblock and not (nnode is new):
                nblock.append(ast.Pass())
            yield new
    # 2. replace a compound statement by one of its bodies
    for k, (node, field) in enumerate(paths):
        block = getattr(node, field)
        for i, s in enumerate(block):
            if isinstance(s, (ast.If, ast.For, ast.While)):
                for part in ("body", "orelse"):
                    if getattr(s, part):
                        new = copy.deepcopy(tree)
                        nnode, nfield = list(_bodies(new))[k]
                        nblock = getattr(nnode, nfield)
                        nblock[i:i + 1] = getattr(nblock[i], part)
                        yield new
    # 3. replace an expression by one of its operands; shorten range(n)
    kinds = (ast.BinOp, ast.Call, ast.UnaryOp, ast.IfExp, ast.BoolOp, ast.Subscript)
    exprs = [n for n in ast.walk(tree) if isinstance(n, kinds)]
    for j, node in enumerate(exprs):
        for c in range(len(_operands(node))):
            new = copy.deepcopy(tree)
            old = [n for n in ast.walk(new) if isinstance(n, kinds)][j]
            if _replace(new, old, copy.deepcopy(_operands(old)[c])):
                yield new
    for j, node in enumerate(ast.walk(tree)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id == "range" and len(node.args) == 1 and \
                isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, int) \
                and node.args[0].value > 1:
            new = copy.deepcopy(tree)
            nnode = list(ast.walk(new))[j]
            nnode.args[0] = ast.Constant(node.args[0].value - 1)
            yield new


def _operands(node) -> list:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.IfExp):
        return [node.body, node.orelse]
    if isinstance(node, ast.BoolOp):
        return list(node.values)
    if isinstance(node, ast.Subscript):
        return [node.value]
    if isinstance(node, ast.Call):
        return [a for a in node.args if not isinstance(a, ast.Starred)]
    return []


def _replace(tree, old, new) -> bool:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return True
            if isinstance(value, list):
                for i, v in enumerate(value):
                    if v is old:
                        value[i] = new
                        return True
    return False
