"""wengert as a GradBench tool: reads one JSON message per line on stdin and
writes one JSON response per line on stdout (the protocol of
/work/shared/gradbench.md, section 1).

    python benchmarks/gradbench/tool.py [--multithreaded] [--det-shared-minors]

BLAS runs on one thread unless ``--multithreaded`` is given (the thread
variables are set before NumPy is imported). ``--det-shared-minors`` writes
det with each minor computed once (see ``evals/det.py``). Nothing but responses is written
to stdout: anything else printed while a message is handled goes to stderr.

``define`` imports ``evals/<module>.py`` and builds its derivatives.
``evaluate`` converts the input (untimed) and, if its array shapes are new,
has wengert build the code specialised for them (untimed: a derivative's
``specialize(*args)`` builds without running; a function that calls
derivatives inside runs once; one a module lists in ``PLAIN``, NumPy alone,
does neither), then times repeated calls until ``min_runs`` and
``min_seconds`` are both met, and converts the last result (untimed). The
untimed build is reported as an extra timing named ``"specialise"``, which
scorers ignore.
"""

from __future__ import annotations

import os
import sys

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "BLIS_NUM_THREADS")


def _single_threaded_unless_asked(argv) -> bool:
    multithreaded = "--multithreaded" in argv
    if not multithreaded:
        for name in _THREAD_VARS:
            os.environ[name] = "1"
    return multithreaded


if __name__ == "__main__":          # before NumPy is imported, directly or not
    MULTITHREADED = _single_threaded_unless_asked(sys.argv[1:])
    if "--det-shared-minors" in sys.argv[1:]:
        os.environ["WENGERT_DET"] = "shared-minors"
else:
    MULTITHREADED = False

import importlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]      # the repository (holds benchmarks/)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MODULES = ("hello", "lse", "llsq", "ode", "det", "kmeans", "gmm", "lstm", "particle",
           "saddle")


class Tool:
    """The tool's state across one session: the defined modules, and the
    argument shapes each function has already been called with."""

    def __init__(self, multithreaded: bool = False):
        self.multithreaded = multithreaded
        self.modules: dict = {}
        self.seen: set = set()

    # -- messages ----------------------------------------------------------

    def handle(self, msg: dict) -> dict:
        kind = msg.get("kind")
        reply = {"id": msg.get("id")}
        if kind == "start":
            reply.update(tool="wengert", config=self.config())
        elif kind == "define":
            reply.update(self.define(msg.get("module")))
        elif kind == "evaluate":
            reply.update(self.evaluate(msg))
        return reply                   # analysis and anything else: just the id

    def config(self) -> dict:
        import wengert
        return {"wengert": wengert.__version__, "numpy": np.__version__,
                "python": platform.python_version(), "multithreaded": self.multithreaded,
                "det": os.environ.get("WENGERT_DET") or "recursive"}

    def define(self, name) -> dict:
        if name not in MODULES:
            return {"success": False, "error": f"module {name} not implemented"}
        t0 = time.perf_counter_ns()
        try:
            module = importlib.import_module(f"benchmarks.gradbench.evals.{name}")
            if hasattr(module, "define"):
                module.define()
        except Exception:
            return {"success": False, "error": traceback.format_exc()}
        self.modules[name] = module
        return {"success": True,
                "timings": [{"name": "define", "nanoseconds": time.perf_counter_ns() - t0}]}

    def evaluate(self, msg: dict) -> dict:
        name, function = msg.get("module"), msg.get("function")
        module = self.modules.get(name)
        if module is None:
            return {"success": False, "error": f"module {name} was not defined"}
        reason = getattr(module, "UNSUPPORTED", {}).get(function)
        if reason is not None:
            return {"success": False, "error": reason}
        fn = module.FUNCTIONS.get(function)
        if fn is None:
            return {"success": False, "error": f"{name} has no function {function!r}"}
        try:
            data = msg.get("input")
            args = module.prepare(function, data)
            timings = []
            key = (name, function, shapes(args))
            if key[2] and key not in self.seen and getattr(module, "SPECIALISES", True):
                t0 = time.perf_counter_ns()
                build = getattr(fn, "specialize", None)      # a derivative: build, not run
                if build is not None:
                    build(*args)
                elif function not in getattr(module, "PLAIN", ()):
                    fn(*args)                   # (it calls derivatives inside)
                timings.append({"name": "specialise", "nanoseconds": time.perf_counter_ns() - t0})
                self.seen.add(key)
            if isinstance(data, dict):
                min_runs = int(data.get("min_runs", 1))
                min_seconds = float(data.get("min_seconds", 1.0))
            else:                      # hello: a bare number, one run
                min_runs, min_seconds = 1, 0.0
            result, runs = timed_runs(fn, args, min_runs, min_seconds)
            out = module.output(function, result)
            check_finite(out)
        except Exception:
            return {"success": False, "error": traceback.format_exc()}
        return {"success": True, "output": out, "timings": timings + runs}


def shapes(args) -> tuple:
    """What makes wengert build a new specialisation: the shapes and dtypes
    of the arrays among the arguments, in dicts, lists and tuples too (empty
    when there are none)."""
    found = []

    def visit(path, a):
        if isinstance(a, np.ndarray):
            found.append((path, a.shape, a.dtype.str))
        elif isinstance(a, dict):
            for k in sorted(a):
                visit(path + (k,), a[k])
        elif isinstance(a, (list, tuple)):
            for i, v in enumerate(a):
                visit(path + (i,), v)
    visit((), tuple(args))
    return tuple(found)


def timed_runs(fn, args, min_runs: int, min_seconds: float):
    """Call ``fn(*args)`` at least ``min_runs`` times and until the calls add
    up to ``min_seconds``; the last result and one timing per call."""
    timings, total_ns, result = [], 0, None
    while len(timings) < min_runs or total_ns < min_seconds * 1e9:
        t0 = time.perf_counter_ns()
        result = fn(*args)
        elapsed = time.perf_counter_ns() - t0
        timings.append({"name": "evaluate", "nanoseconds": elapsed})
        total_ns += elapsed
    return result, timings


def check_finite(out) -> None:
    json.dumps(out, allow_nan=False)      # raises ValueError on NaN or infinity


def encode(reply: dict) -> str:
    try:
        return json.dumps(reply, allow_nan=False)
    except (TypeError, ValueError):
        return json.dumps({"id": reply.get("id"), "success": False,
                           "error": "response not representable as JSON:\n"
                                    + traceback.format_exc()})


def main(stdin=None, stdout=None) -> int:
    stdin = stdin if stdin is not None else sys.stdin.buffer
    out = stdout if stdout is not None else sys.stdout
    sys.stdout = sys.stderr                # stray prints must not reach the eval
    tool = Tool(MULTITHREADED)
    for line in stdin:
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            print(f"wengert tool: not JSON: {line[:200]!r}", file=sys.stderr)
            return 1
        if not isinstance(msg, dict):
            print(f"wengert tool: not a JSON object: {line[:200]!r}", file=sys.stderr)
            return 1
        try:
            reply = tool.handle(msg)
        except Exception:                  # never die on a message
            reply = {"id": msg.get("id"), "success": False, "error": traceback.format_exc()}
        out.write(encode(reply) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
