"""wengert graph: the Wengert list as Graphviz DOT text (no Graphviz needed)."""

import os
import re
import shutil
import subprocess

import pytest

import wengert
from wengert.cli import load_function
from wengert.graph import quote, render, to_dot

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = os.path.join(ROOT, "examples", "quickstart.py")

PROGRAM = '''
import math


def loopy(x, y):
    s = 0.0
    for i in range(3):
        if s > 1.0:
            s = s + x * math.sin(y)
        else:
            s = s * x + 1.0
    k = 0
    while k < 2:
        s = s * y
        k = k + 1
    return s
'''


@pytest.fixture(scope="module")
def loopy(tmp_path_factory):
    path = tmp_path_factory.mktemp("graph") / "loopy_graph.py"
    path.write_text(PROGRAM)
    return load_function(f"{path}:loopy")


def nodes(dot):
    """node id -> attribute text."""
    return dict(re.findall(r"^\s*(\w+) \[(.*)\];$", dot, re.M))


def edges(dot):
    """(from, to) -> attribute text."""
    return {(a, b): attrs for a, b, attrs in
            re.findall(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?;$", dot, re.M)}


def node_by_label(dot, label):
    for node, attrs in nodes(dot).items():
        if f"label={quote(label)}" in attrs:
            return node, attrs
    raise AssertionError(f"no node labelled {label!r} in\n{dot}")


def well_formed(dot):
    assert dot.startswith("digraph ") and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}")
    declared = set(nodes(dot))
    for a, b in edges(dot):
        assert a in declared and b in declared, (a, b)


def test_seed_f_one_node_per_operation_active_path_highlighted():
    f = load_function(f"{QUICK}:f")
    dot = to_dot(f, wrt="x1")
    well_formed(dot)
    for label in ("v1 = math.log(x1)", "v2 = x1 * x2", "v3 = v1 + v2", "v4 = math.sin(x2)",
                  "v5 = v3 - v4", "return v5"):
        node_by_label(dot, label)
    v2, attrs = node_by_label(dot, "v2 = x1 * x2")
    assert "penwidth=2" in attrs                       # on the active path from x1
    v4, attrs = node_by_label(dot, "v4 = math.sin(x2)")
    assert "penwidth=2" not in attrs                   # depends on x2 only
    e = edges(dot)
    assert "penwidth=2" in e[("in_x1", v2)]
    assert "penwidth=2" not in e[("in_x2", v2)]
    assert ("in_x2", v4) in e


def test_wrt_changes_the_active_path():
    f = load_function(f"{QUICK}:f")
    _, attrs = node_by_label(to_dot(f, wrt="x2"), "v4 = math.sin(x2)")
    assert "penwidth=2" in attrs


def test_constants_are_grey():
    g = load_function(f"{QUICK}:g")
    dot = to_dot(g)
    well_formed(dot)
    consts = {n: a for n, a in nodes(dot).items() if n.startswith("c")}
    assert sorted(re.search(r'label="([^"]*)"', a).group(1) for a in consts.values()) == \
        ["1", "2", "2"]
    assert all("gray" in a for a in consts.values())


def test_control_flow_is_drawn_as_clusters(loopy):
    dot = to_dot(loopy)
    well_formed(dot)
    labels = re.findall(r'subgraph (cluster_\d+) \{\s*label="([^"]*)"', dot)
    assert [label for _, label in labels] == ["for i in v1", "if v2", "else", "while v6"]
    node_by_label(dot, "if v2")
    e = edges(dot)
    back = [k for k, attrs in e.items() if "constraint=false" in attrs]
    assert back, "a value carried into the next iteration is a dashed back edge"
    carry, _ = node_by_label(dot, "s_1 = s_4")
    assert any(a == carry for a, _ in back)


def test_deterministic(loopy):
    assert to_dot(loopy) == to_dot(loopy)


def test_quote_escapes():
    assert quote('a "b" \\ c') == '"a \\"b\\" \\\\ c"'


def test_render_dot_text(tmp_path, loopy):
    out = tmp_path / "g.dot"
    render(to_dot(loopy), str(out))
    assert out.read_text() == to_dot(loopy)


def test_render_svg_needs_graphviz(tmp_path, monkeypatch, loopy):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(wengert.UsageError) as info:
        render(to_dot(loopy), str(tmp_path / "g.svg"))
    assert "Graphviz" in str(info.value) and ".dot" in str(info.value)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graphviz_accepts_the_text(tmp_path, loopy):
    for ext in ("svg", "png"):
        out = tmp_path / f"g.{ext}"
        render(to_dot(loopy), str(out))
        assert out.stat().st_size > 0
    p = subprocess.run(["dot", "-Tcanon"], input=to_dot(load_function(f"{QUICK}:f")),
                       capture_output=True, text=True)
    assert p.returncode == 0 and not p.stderr
