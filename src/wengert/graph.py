"""The Wengert list as a picture: a Graphviz DOT graph of the computation.

Each input is a node, each elementary operation of the Wengert list is a node
labelled with its line (``v2 = x1 * x2``), and the output is a node; an edge
runs from where a value is computed to each operation that reads it. So for
``f(x1, x2) = log x1 + x1·x2 − sin x2``::

    x1 ──▶ v1 = math.log(x1) ──▶ v3 = v1 + v2 ──▶ v5 = v3 - v4 ──▶ return v5
    x1, x2 ──▶ v2 = x1 * x2 ──▶ v3
    x2 ──▶ v4 = math.sin(x2) ──▶ v5

Constants are grey. The *active* path — values that depend on the inputs we
differentiate with respect to and that the output depends on
(``wengert.analysis.active``) — is drawn thick and coloured: only those nodes
get derivative code. Control flow keeps its structure: each loop body and
each branch is a cluster (a box around its operations); an edge that carries
a value into the next iteration of a loop is dashed.

``to_dot`` returns the DOT text (no dependency); ``render`` runs Graphviz's
``dot`` program to make SVG or PNG.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import tempfile

from . import ir
from .backend import Emitter

ACTIVE = "#d9480f"
ACTIVE_FILL = "#fff4e6"
CONST_FILL = "gray92"
CONST_TEXT = "gray45"
INACTIVE_LINE = "gray55"


def to_dot(func, wrt=0) -> str:
    """DOT text for the Wengert list of ``func``, the path active with
    respect to ``wrt`` (positions or names) highlighted."""
    from . import analysis
    from .api import _wrt_positions, lower
    from .display import target_function
    func = target_function(func)
    fn = lower(func)
    positions, _ = _wrt_positions(func, wrt)
    names = fn.param_names()
    wrt_names = tuple(names[i] for i in positions)
    active = analysis.active(fn, wrt_names) | set(wrt_names)
    return _Builder(fn, active, wrt_names).build()


def render(dot_text: str, path: str) -> None:
    """Write ``dot_text`` to ``path``: as is for ``.dot``/``.gv``, through
    Graphviz for ``.svg`` and ``.png``."""
    from .errors import UsageError
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext in ("dot", "gv"):
        with open(path, "w") as fh:
            fh.write(dot_text)
        return
    if ext not in ("svg", "png", "pdf"):
        raise UsageError(f"cannot write a graph as .{ext}",
                         hint="name the output .dot, .svg, .png or .pdf")
    dot = shutil.which("dot")
    if dot is None:
        raise UsageError(
            f"writing .{ext} needs Graphviz's `dot` program, which is not installed",
            hint="install Graphviz (apt install graphviz, brew install graphviz, "
                 "https://graphviz.org/download/) or write .dot text instead: -o graph.dot")
    with tempfile.NamedTemporaryFile("w", suffix=".dot", delete=False) as fh:
        fh.write(dot_text)
        source = fh.name
    try:
        proc = subprocess.run([dot, f"-T{ext}", "-o", path, source], capture_output=True,
                              text=True, timeout=120)
    finally:
        os.unlink(source)
    if proc.returncode != 0:
        raise UsageError(f"Graphviz failed to draw the graph: {proc.stderr.strip()}")


def quote(text: str) -> str:
    """A DOT string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class _Builder:
    """Walks the Wengert list once per block, keeping for every variable the
    nodes whose value may reach the current statement (its reaching
    definitions): two for a variable assigned in both branches of an ``if``."""

    def __init__(self, fn: ir.Function, active: set, wrt: tuple):
        self.fn = fn
        self.active = active
        self.wrt = wrt
        self.emit = Emitter(fn.namespace.copy())     # never adds names to the cached IR
        self.lines: list = []
        self.edges: list = []
        self.edge_seen: set = set()
        self.node_of: dict = {}                   # id(stmt) -> node id
        self.active_nodes: set = set()
        self.counter = 0
        self.clusters = 0
        self.back = False                         # second walk of a loop body
        self.depth = 1

    # -- output --------------------------------------------------------------

    def build(self) -> str:
        fn = self.fn
        wrt = ", ".join(self.wrt) or "nothing"
        head = [
            f"digraph {quote(fn.name)} {{",
            f"  graph [label={quote(f'Wengert list of {fn.name}: active path from {wrt}')}, "
            'labelloc=t, fontname="Helvetica", rankdir=TB, compound=true, newrank=true];',
            '  node [shape=box, style="rounded,filled", fillcolor=white, '
            f'color={INACTIVE_LINE}, fontname="Courier"];',
            f"  edge [color={INACTIVE_LINE}, arrowsize=0.7];",
        ]
        defs = {}
        for p in fn.param_names():
            node = f"in_{p}"
            is_active = p in self.active
            attrs = [f"label={quote(p)}", "shape=ellipse"]
            attrs += self._active_attrs(is_active)
            self._line(f"{node} [{', '.join(attrs)}];")
            defs[p] = (node,)
            if is_active:
                self.active_nodes.add(node)
        self.block(fn.body, defs)
        edges = [f"  {a} -> {b}{self._edge_attrs(a, b, kind)};" for a, b, kind in self.edges]
        return "\n".join(head + self.lines + edges + ["}"]) + "\n"

    def _line(self, text: str) -> None:
        if not self.back:
            self.lines.append("  " * self.depth + text)

    def _active_attrs(self, is_active: bool) -> list:
        if is_active:
            return [f'color="{ACTIVE}"', f'fillcolor="{ACTIVE_FILL}"', "penwidth=2"]
        return []

    def _edge_attrs(self, a, b, kind) -> str:
        """Data edges solid (thick on the active path), constants dotted,
        values carried into the next iteration dashed, control flow (a
        branch or loop header to its body) dashed with an open arrow."""
        if kind == "control":
            return ' [style=dashed, arrowhead=empty, color=gray70]'
        attrs = []
        if a in self.active_nodes and b in self.active_nodes:
            attrs += [f'color="{ACTIVE}"', "penwidth=2"]
        if a.startswith("c"):
            attrs += [f"color={CONST_TEXT}", "style=dotted"]
        if kind == "back":
            attrs += ["style=dashed", "constraint=false"]
        return f" [{', '.join(attrs)}]" if attrs else ""

    def _edge(self, a: str, b: str, control: bool = False) -> None:
        if (a, b) in self.edge_seen:
            return
        self.edge_seen.add((a, b))
        self.edges.append((a, b, "control" if control else "back" if self.back else "data"))

    # -- nodes ---------------------------------------------------------------

    def _node(self, stmt, label: str, names=(), shape=None) -> str:
        """The node of a statement; active when one of ``names`` is."""
        key = id(stmt)
        if key in self.node_of:
            return self.node_of[key]
        self.counter += 1
        node = f"n{self.counter}"
        self.node_of[key] = node
        is_active = any(t in self.active for t in names)
        if is_active:
            self.active_nodes.add(node)
        attrs = [f"label={quote(label)}"] + ([f"shape={shape}"] if shape else [])
        attrs += self._active_attrs(is_active)
        self._line(f"{node} [{', '.join(attrs)}];")
        return node

    def _reads(self, node: str, expr, defs: dict) -> None:
        for name in ir.expr_vars(expr):
            for src in defs.get(name, ()):
                self._edge(src, node)
        for value in _constants(expr):
            key = ("const", node, repr(value))
            if key in self.node_of:
                continue
            self.counter += 1
            const = f"c{self.counter}"
            self.node_of[key] = const
            self._line(f"{const} [label={quote(repr(value))}, shape=plaintext, "
                       f"fillcolor={CONST_FILL}, fontcolor={CONST_TEXT}, style=filled];")
            self._edge(const, node)

    def _text(self, stmt) -> str:
        nodes = self.emit.stmt(stmt)
        return ast.unparse(ast.fix_missing_locations(ast.Module(body=nodes, type_ignores=[])))

    # -- statements ----------------------------------------------------------

    def block(self, stmts, defs: dict) -> dict:
        defs = dict(defs)
        for s in stmts:
            defs = self.stmt(s, defs)
        return defs

    def stmt(self, s, defs: dict) -> dict:
        if isinstance(s, ir.Assign):
            node = self._node(s, self._text(s), s.targets())
            self._reads(node, s.value, defs)
            return {**defs, **{t: (node,) for t in s.targets()}}
        if isinstance(s, ir.Effect):
            node = self._node(s, self._text(s))
            self._reads(node, s.value, defs)
            return defs
        if isinstance(s, ir.Return):
            node = self._node(s, self._text(s), tuple(ir.expr_vars(s.value)),
                              shape="box, peripheries=2")
            self._reads(node, s.value, defs)
            return defs
        if isinstance(s, ir.If):
            return self._if(s, defs)
        if isinstance(s, ir.For):
            return self._for(s, defs)
        if isinstance(s, ir.While):
            return self._while(s, defs)
        return defs                                   # comments

    def _expr_text(self, e) -> str:
        return ast.unparse(self.emit.expr(e))

    def _cluster(self, label: str):
        self.clusters += 1
        self._line(f"subgraph cluster_{self.clusters} {{")
        self.depth += 1
        self._line(f'label={quote(label)}; style="rounded,dashed"; color=gray60; '
                   'fontname="Courier";')
        return self.clusters

    def _end_cluster(self) -> None:
        self.depth -= 1
        self._line("}")

    def _if(self, s: ir.If, defs: dict) -> dict:
        test = self._expr_text(s.test)
        node = self._node(s, f"if {test}", shape="diamond")
        self._reads(node, s.test, defs)
        branches = []
        for label, body in ((f"if {test}", s.body), ("else", s.orelse)):
            if not body:
                branches.append(defs)
                continue
            self._cluster(label)
            out = self.block(body, defs)
            self._end_cluster()
            first = self._first_node(body)
            if first is not None:
                self._edge(node, first, control=True)
            branches.append(out)
        return _join(branches)

    def _first_node(self, body):
        for s in body:
            if id(s) in self.node_of:
                return self.node_of[id(s)]
        return None

    def _loop_body(self, header_defs: dict, walk) -> dict:
        """Walk a loop body, then again with the values of the previous
        iteration also reaching it: edges found only then are dashed."""
        first = walk(header_defs)
        back, self.back = self.back, True
        walk(_join([header_defs, first]))
        self.back = back
        return _join([header_defs, first])

    def _for(self, s: ir.For, defs: dict) -> dict:
        target = ", ".join(ir.target_names(s.target))
        label = f"for {target} in {self._expr_text(s.iter)}"
        self._cluster(label)
        node = self._node(s, label, ir.target_names(s.target), shape="cds")
        self._reads(node, s.iter, defs)

        def walk(entry):
            inner = {**entry, **{t: (node,) for t in ir.target_names(s.target)}}
            return self.block(s.body, inner)
        out = self._loop_body(defs, walk)
        first = self._first_node(s.body)
        if first is not None:
            self._edge(node, first, control=True)
        self._end_cluster()
        return out

    def _while(self, s: ir.While, defs: dict) -> dict:
        label = f"while {self._expr_text(s.test)}"
        self._cluster(label)

        def walk(entry):
            inner = self.block(s.test_body, entry)
            node = self._node(s, label, shape="cds")
            self._reads(node, s.test, inner)
            return self.block(s.body, inner)
        out = self._loop_body(defs, walk)
        first = self._first_node(s.body)
        if first is not None:
            self._edge(self.node_of[id(s)], first, control=True)
        out = self.block(s.test_body, out) if not self.back else out
        self._end_cluster()
        return out


def _join(branches) -> dict:
    """Reaching definitions where control flow joins: the union."""
    out: dict = {}
    for defs in branches:
        for name, nodes in defs.items():
            out[name] = tuple(dict.fromkeys(out.get(name, ()) + nodes))
    return out


def _constants(expr):
    """Numeric and string constants an expression reads (drawn grey)."""
    if isinstance(expr, ir.Const):
        v = expr.value
        if type(v) in (int, float, complex, bool, str):
            yield v
    elif isinstance(expr, ir.Op):
        for a in expr.args:
            yield from _constants(a)
        for _, v in expr.kwargs:
            yield from _constants(v)
