"""Fill the generated regions of docs/how-it-works.md with what the tool prints.

    python docs/gen_how_it_works.py            # rewrite the page in place
    python docs/gen_how_it_works.py --check    # exit 1 if the page is stale

A region is the text between

    <!-- generated: NAME -->
    <!-- end generated: NAME -->

and is replaced by the output of ``REGIONS[NAME]``. Code listings are produced
by running the ``wengert`` command itself (``wengert.cli.main``) on
``examples/quickstart.py``, so the page shows exactly what a reader gets.
``tests/test_how_it_works.py`` regenerates the page in memory and fails when
the file differs.

Numbers are chosen to be the same on every platform: the finite-difference
tables use only IEEE-exact operations (``+``, ``*``, ``sqrt``), never
``sin`` or ``log`` from the C library.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import shlex
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = os.path.join(ROOT, "docs", "how-it-works.md")
QUICK = "examples/quickstart.py"


# --------------------------------------------------------------------------
# running the tool


@contextlib.contextmanager
def _in_root():
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(cwd)


def wengert(command: str) -> str:
    """The stdout of ``wengert COMMAND`` (run in-process from the repository root)."""
    from wengert.cli import main
    out = io.StringIO()
    with _in_root(), contextlib.redirect_stdout(out):
        status = main(shlex.split(command))
    if status not in (0, 1):
        raise RuntimeError(f"wengert {command} failed with status {status}")
    return out.getvalue()


def listing(command: str, lang: str = "python") -> str:
    """A fenced block: the command as a comment, then its output verbatim."""
    return f"```{lang}\n# $ wengert {command}\n{wengert(command)}```\n"


def console(command: str) -> str:
    return f"```text\n$ wengert {command}\n{wengert(command)}```\n"


# --------------------------------------------------------------------------
# the evaluation trace of f


def trace_table() -> str:
    """Primal and tangent values of f's Wengert list at (2, 5), seeded along x1:
    the unoptimised forward-mode code keeps every ``v_dot`` in a variable."""
    from wengert import analysis
    from wengert.api import build
    from wengert.cli import load_function
    with _in_root():
        f = load_function(f"{QUICK}:f")
    kinds = (analysis.kind_of_value(2.0), analysis.kind_of_value(5.0))
    jvp = build(f, "jvp", (0, 1), kinds, optimize=False).function
    names = [str(s.target) for s in build(f, "jvp", (0, 1), kinds, optimize=False).ir.body
             if hasattr(s, "target") and not str(s.target).endswith("_dot")]
    captured = {}

    def tracer(frame, event, arg):
        if frame.f_code is jvp.__code__ and event == "return":
            captured.update(frame.f_locals)
        return tracer if frame.f_code is jvp.__code__ else None
    sys.settrace(tracer)
    try:
        jvp(2.0, 5.0, 1.0, 0.0)
    finally:
        sys.settrace(None)
    rows = ["| variable | value at (2, 5) | tangent along x1 (`_dot`) |",
            "| --- | ---: | ---: |"]
    for name in ["x1", "x2"] + names:
        value, dot = captured[name], captured[f"{name}_dot"]
        rows.append(f"| `{name}` | {value:.4f} | {dot:.4f} |")
    return "\n".join(rows) + "\n"


# --------------------------------------------------------------------------
# finite differences


def sqrt2() -> str:
    product = math.sqrt(2) * math.sqrt(2)
    return ("```pycon\n"
            ">>> import math\n"
            ">>> math.sqrt(2) * math.sqrt(2)\n"
            f"{product!r}\n"
            ">>> math.sqrt(2) * math.sqrt(2) == 2.0\n"
            f"{product == 2.0!r}\n"
            "```\n")


def step_table() -> str:
    """Errors of one-sided and central differences of x³ at x = 1 (exact: 3)."""
    def cube(x):
        return x * x * x
    rows = ["| step h | one-sided (f(1+h) − f(1)) / h | error | central (f(1+h) − f(1−h)) / 2h "
            "| error |",
            "| ---: | ---: | ---: | ---: | ---: |"]
    for k in range(1, 15, 2):
        h = 10.0 ** -k
        one = (cube(1.0 + h) - cube(1.0)) / h
        central = (cube(1.0 + h) - cube(1.0 - h)) / (2 * h)
        rows.append(f"| 1e-{k:02d} | {one:.12f} | {abs(one - 3):.1e} | {central:.12f} "
                    f"| {abs(central - 3):.1e} |")
    return "\n".join(rows) + "\n"


REGIONS = {
    "g-wengert": lambda: listing(f"show {QUICK}:g --mode wengert"),
    "f-wengert": lambda: listing(f"show {QUICK}:f --mode wengert"),
    "z-wengert": lambda: listing(f"show {QUICK}:z --mode wengert"),
    "f-trace": trace_table,
    "f-graph": lambda: listing(f"graph {QUICK}:f --wrt x1", lang="dot").replace(
        "# $ wengert", "// $ wengert"),
    "g-forward": lambda: listing(f"show {QUICK}:g --mode forward --args 3.0"),
    "f-forward-unoptimized": lambda: listing(
        f"show {QUICK}:f --mode forward --wrt x1,x2 --args '2.0, 5.0' --no-optimize"),
    "f-forward": lambda: listing(f"show {QUICK}:f --mode forward --wrt x1,x2 --args '2.0, 5.0'"),
    "z-forward": lambda: listing(f"show {QUICK}:z --mode forward --wrt x,y --args '1.0, 2.0'"),
    "g-reverse": lambda: listing(f"show {QUICK}:g --args 3.0"),
    "f-reverse-unoptimized": lambda: listing(
        f"show {QUICK}:f --wrt x1,x2 --args '2.0, 5.0' --no-optimize"),
    "f-reverse": lambda: listing(f"show {QUICK}:f --wrt x1,x2 --args '2.0, 5.0'"),
    "z-reverse": lambda: listing(f"show {QUICK}:z --wrt x,y --args '1.0, 2.0'"),
    "sqrt2": sqrt2,
    "step-table": step_table,
    "z-check": lambda: console(f"check {QUICK}:z --at '1.0, 2.0'"),
}

_REGION = re.compile(r"(<!-- generated: (?P<name>[\w-]+) -->\n)(?P<body>.*?)"
                     r"(<!-- end generated: (?P=name) -->)", re.S)


def render(text: str) -> str:
    """``text`` with every generated region filled in."""
    seen = set()

    def fill(m):
        name = m.group("name")
        if name not in REGIONS:
            raise KeyError(f"how-it-works.md has a region {name!r} this script does not know")
        seen.add(name)
        return m.group(1) + REGIONS[name]() + m.group(4)
    out = _REGION.sub(fill, text)
    missing = set(REGIONS) - seen
    if missing:
        raise KeyError(f"how-it-works.md lacks the regions {sorted(missing)}")
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    with open(PAGE) as fh:
        current = fh.read()
    fresh = render(current)
    if "--check" in argv:
        if fresh != current:
            print("docs/how-it-works.md is stale: run python docs/gen_how_it_works.py")
            return 1
        return 0
    with open(PAGE, "w") as fh:
        fh.write(fresh)
    print("updated docs/how-it-works.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
