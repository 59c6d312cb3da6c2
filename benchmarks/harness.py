"""Check, then time: the measuring core of the benchmark suite.

For one workload, every tool goes through the same steps:

1. ``prepare`` (input conversion, building the gradient function): untimed.
2. The **first call**, timed on its own and reported apart: it includes
   wengert's build and specialisation and JAX's jit compilation.
3. The **check**: the gradient must agree with the hand-written one
   elementwise, ``|got - ref| <= rtol * |ref| + atol`` with ``atol = rtol *
   1e-3 * max|ref|`` (a floor relative to the array's scale, for entries
   that cancel to near zero). A tool that disagrees is reported WRONG and
   not timed.
4. A second (warm) call, under a time limit: a tool slower than the limit
   per gradient is reported as skipped, not timed.
5. **Timing, interleaved.** Each (tool, workload) cell gets a number of calls
   per sample so that one sample lasts about ``target_s``. Then, ``repeat``
   times, one sample of every cell is taken, round-robin, the starting tool
   rotating from one repetition to the next, so that a burst of machine noise
   falls on all tools alike. A cell's result is the median, minimum and
   maximum of its per-call times over the repetitions.

Failures never stop the suite: a tool that cannot differentiate a workload
(for wengert, a ``WengertError`` when the derivative is built) is reported as
"unsupported: <first line of the error>", any other exception as an error.
"""

from __future__ import annotations

import gc
import math
import signal
import statistics
import threading
import time
import types
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from . import workloads as W
from .tools import Skip, Unsupported

OK, WRONG, UNSUPPORTED, ERROR, SKIPPED = "ok", "WRONG", "unsupported", "error", "skipped"


@dataclass
class Settings:
    size: str = "full"
    repeat: int = 15
    target_s: float = 0.02        # length of one sample (many calls of a fast gradient)
    max_call_s: float = 2.0       # a warm gradient call slower than this is not timed
    max_first_call_s: float = 60.0
    rtol: float = 1e-6
    build_repeat: int = 15        # cold builds measured in the build section
    clock: str = "wall"           # "wall": perf_counter; "cpu": process_time (all threads)

    def timer(self):
        return time.perf_counter if self.clock == "wall" else time.process_time


class Stats:
    """Median, minimum and maximum of ``self.samples`` (seconds per call)."""

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else math.nan

    @property
    def lo(self) -> float:
        return min(self.samples) if self.samples else math.nan

    @property
    def hi(self) -> float:
        return max(self.samples) if self.samples else math.nan


@dataclass
class Cell(Stats):
    """One (workload, tool) entry of the table."""

    workload: str
    tool: str
    status: str = OK
    message: str = ""
    first_call_s: float = math.nan
    number: int = 0               # calls per sample
    samples: list = field(default_factory=list)     # seconds per call, one per repetition


# --------------------------------------------------------------------------
# the check


def compare(got: tuple, ref: tuple, rtol: float):
    """None when ``got`` agrees with ``ref``, else what is wrong (one line)."""
    if len(got) != len(ref):
        return f"{len(got)} gradients, expected {len(ref)}"
    for i, (g, r) in enumerate(zip(got, ref)):
        g, r = np.asarray(g, dtype=np.float64), np.asarray(r, dtype=np.float64)
        if g.shape != r.shape:
            return f"gradient {i}: shape {g.shape}, expected {r.shape}"
        if not np.all(np.isfinite(g)):
            return f"gradient {i}: {np.size(g) - np.count_nonzero(np.isfinite(g))} " \
                   "non-finite entries"
        scale = float(np.max(np.abs(r))) if r.size else 0.0
        err = np.abs(g - r)
        bound = rtol * np.abs(r) + rtol * 1e-3 * scale
        if np.any(err > bound):
            j = np.unravel_index(np.argmax(err - bound), r.shape) if r.ndim else ()
            where = f"[{', '.join(map(str, j))}]" if j else ""
            return (f"gradient {i}{where}: {g[j]:.10g}, expected {r[j]:.10g} "
                    f"(max abs error {err.max():.3g}, scale {scale:.3g})")
    return None


def reference(wl: W.Workload, args: tuple) -> tuple:
    g = wl.grad(*args)
    return tuple(np.asarray(v, dtype=np.float64) for v in (g if len(wl.wrt) > 1 else (g,)))


# --------------------------------------------------------------------------
# time limits


class TimeLimit(BaseException):
    """Raised inside a call that runs past its limit (a BaseException, so a
    tool's own ``except Exception`` does not swallow it)."""


@contextmanager
def time_limit(seconds):
    """Interrupt the block after ``seconds`` (POSIX main thread only; elsewhere
    no limit). The interruption lands when control is back in Python."""
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise TimeLimit()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --------------------------------------------------------------------------
# one cell: prepare, first call, check


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def prepare_cell(tool, wl, args, ref, settings: Settings):
    """The cell with its status and first-call time, and the call to time
    (None unless the status is OK)."""
    cell = Cell(wl.name, tool.name)
    unsupported = tuple(tool.unsupported) + (Unsupported,)
    first_limit = tool.first_call_limit_s or settings.max_first_call_s
    try:
        call = tool.prepare(wl, args)
        clock = settings.timer()
        t0 = clock()
        with time_limit(first_limit):
            result = call()
        cell.first_call_s = clock() - t0
        problem = compare(tool.to_numpy(result, len(wl.wrt)), ref, settings.rtol)
        if problem:
            cell.status, cell.message = WRONG, problem
            return cell, None
        with time_limit(settings.max_call_s):
            call()
    except Skip as exc:
        cell.status, cell.message = SKIPPED, first_line(exc)
    except TimeLimit:
        first = math.isnan(cell.first_call_s)
        which = "the first call (build and one gradient)" if first else "one gradient"
        limit = first_limit if first else settings.max_call_s
        cell.status = SKIPPED
        cell.message = f"{which} takes more than {limit:g} s{tool.limit_note(wl, args)}"
    except unsupported as exc:
        cell.status, cell.message = UNSUPPORTED, first_line(exc)
    except Exception as exc:
        cell.status, cell.message = ERROR, f"{type(exc).__name__}: {first_line(exc)}"
    else:
        return cell, call
    return cell, None


# --------------------------------------------------------------------------
# interleaved timing


def _sample(call, number: int, clock=time.perf_counter) -> float:
    """Seconds per call over ``number`` back-to-back calls."""
    t0 = clock()
    for _ in range(number):
        call()
    return (clock() - t0) / number


def calls_per_sample(call, target_s: float, clock=time.perf_counter) -> int:
    """How many calls make one sample last about ``target_s``."""
    number = 1
    while True:
        t = _sample(call, number, clock) * number
        if t >= target_s / 5 or number >= 1 << 20:
            return max(1, round(number * target_s / max(t, 1e-9)))
        number *= 2 if t > target_s / 50 else 10


def measure(entries, settings: Settings) -> None:
    """Fill ``samples`` of each (cell, call), interleaved round-robin."""
    if not entries:
        return
    clock = settings.timer()
    for cell, call in entries:
        cell.number = calls_per_sample(call, settings.target_s, clock)
    for rep in range(settings.repeat):
        k = rep % len(entries)
        for cell, call in entries[k:] + entries[:k]:
            cell.samples.append(_sample(call, cell.number, clock))


def run_workload(wl, tools, settings: Settings, log=lambda msg: None) -> list:
    """Every tool's cell for one workload, checked and (where correct) timed."""
    args = wl.args(settings.size)
    ref = reference(wl, args)
    cells, entries = [], []
    for tool in tools:
        cell, call = prepare_cell(tool, wl, args, ref, settings)
        cells.append(cell)
        if call is not None:
            entries.append((cell, call))
        first = "" if math.isnan(cell.first_call_s) else \
            f"first call {cell.first_call_s * 1e3:9.2f} ms  "
        log(f"  {tool.label:<16} {first:<24}{cell.status}"
            f"{': ' + cell.message if cell.message else ''}")
    measure(entries, settings)
    return cells


# --------------------------------------------------------------------------
# build time and call overhead (workload 8)


@dataclass
class Timing(Stats):
    """A measured quantity outside the tool × workload table."""

    what: str
    samples: list = field(default_factory=list)   # seconds
    number: int = 1
    status: str = OK
    message: str = ""


def fresh_function(f):
    """A new function object with ``f``'s code: nothing cached about it yet."""
    return types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                              f.__closure__)


def finite_difference_grad(f, args, h=1e-6) -> tuple:
    out = []
    for i in range(len(args)):
        up, down = list(args), list(args)
        up[i] += h
        down[i] -= h
        out.append((f(*up) - f(*down)) / (2 * h))
    return tuple(out)


def measure_build(settings: Settings, f=W.build_target, args=W.BUILD_ARGS) -> list:
    """Cold build times of a fresh function's derivative, and what a call
    costs through the ``Derivative`` object compared with the generated
    function itself."""
    import wengert
    wrt = tuple(range(len(args)))
    ref = tuple(np.asarray(v) for v in finite_difference_grad(f, args))
    rows, clock = [], settings.timer()
    for mode in ("reverse", "forward"):
        row = Timing(f"cold build + first call, {mode} mode")
        try:
            for _ in range(settings.build_repeat):
                g = fresh_function(f)
                t0 = clock()
                got = wengert.grad(g, wrt=wrt, mode=mode)(*args)
                row.samples.append(clock() - t0)
            problem = compare(tuple(got), ref, 1e-6)
            if problem:
                row.status, row.message = WRONG, f"vs central differences: {problem}"
        except wengert.WengertError as exc:
            row.status, row.message = UNSUPPORTED, first_line(exc)
        rows.append(row)
    if any(r.status != OK for r in rows):
        return rows

    d = wengert.grad(f, wrt=wrt)
    d(*args)
    generated = getattr(getattr(d, "_last", None), "function", None)
    calls = [("generated function, called directly", lambda: generated(*args)),
             ("Derivative object, specialisation cached", lambda: d(*args)),
             ("wengert.grad(f)(...) anew each call (global cache hit)",
              lambda: wengert.grad(f, wrt=wrt)(*args))]
    if generated is None:           # the private attribute went away
        calls = calls[1:]
    entries = [(Timing(what), call) for what, call in calls]
    measure(entries, settings)
    return rows + [t for t, _ in entries]


# --------------------------------------------------------------------------
# the whole suite


@dataclass
class Suite:
    """Everything a run measured, in table order (hand-written tool first)."""

    settings: Settings
    tools: list                   # the adapters that ran
    workloads: list
    cells: dict = field(default_factory=dict)       # workload name -> [Cell per tool]
    build: list = field(default_factory=list)       # [Timing]
    missing: dict = field(default_factory=dict)     # tool label -> why it did not run
    machine: dict = field(default_factory=dict)
    command: str = "benchmarks/run.py"


def run_suite(workloads, tools, settings: Settings, with_build: bool = True,
              threads: int = 1, freeze_gc: bool = False, log=lambda msg: None) -> Suite:
    """Check and time every workload with every installed tool. ``tools``
    must start with the hand-written adapter (the reference column).

    ``freeze_gc`` moves every object that exists once the tools' libraries are
    imported out of the garbage collector's reach (``gc.freeze``), so that its
    full collections during timing do not rescan JAX's and PyTorch's modules:
    the cost of a collection then comes from the timed code's own objects."""
    if not tools or tools[0].name != "hand":
        raise ValueError("the first tool must be the hand-written gradients")
    ready, missing = [], {}
    for tool in tools:
        why = tool.problem()
        if why:
            missing[tool.label] = why
            continue
        tool.setup(threads)
        ready.append(tool)
    suite = Suite(settings, ready, list(workloads), missing=missing)
    if freeze_gc:
        gc.collect()
        gc.freeze()
    try:
        for wl in workloads:
            log(f"{wl.name}: {wl.title} ({wl.shape.get(settings.size, '')})")
            suite.cells[wl.name] = run_workload(wl, ready, settings, log)
        if with_build and any(t.name.startswith("wengert") for t in ready):
            log("build: cold builds and call overhead")
            suite.build = measure_build(settings)
    finally:
        if freeze_gc:
            gc.unfreeze()
    return suite
