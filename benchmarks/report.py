"""What a run of the suite prints and writes: the console table, the Markdown
page (``docs/performance.md``), the plot and the raw JSON."""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import sys

from . import harness as H

# --------------------------------------------------------------------------
# the machine


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas() -> str:
    import numpy as np
    try:
        from threadpoolctl import threadpool_info
        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            return "; ".join(f"{p['internal_api']} {p.get('version', '?')} "
                             f"({p.get('architecture', '?')}), {p['num_threads']} thread(s)"
                             for p in pools)
    except ImportError:
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')} " \
               f"(threads per OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')})"
    except Exception:
        return "unknown (install threadpoolctl to see it)"


def machine(tools) -> dict:
    """What the numbers were measured on."""
    import numpy as np
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{_cpu_model()}, {os.cpu_count()} logical cores ({usable} usable)",
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": np.__version__,
        "blas": _blas(),
        "load average (1 min) at start": f"{os.getloadavg()[0]:.2f}"
        if hasattr(os, "getloadavg") else "?",
    }
    for tool in tools:
        if tool.version():
            info.setdefault("versions", []).append(f"{tool.package} {tool.version()}")
    if "versions" in info:
        info["versions"] = ", ".join(dict.fromkeys(info["versions"]))
    env = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                      "OMP_NUM_THREADS", "XLA_FLAGS", "OPENBLAS_CORETYPE",
                                      "OPENBLAS_L2_SIZE") if k in os.environ}
    info["environment"] = ", ".join(f"{k}={v}" for k, v in env.items()) or "(none set)"
    info["wengert source"] = _git_revision()
    return info


def _git_revision() -> str:
    """The checkout's commit, and whether the working tree differs from it."""
    import subprocess
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        rev = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not rev:
        return "unknown"
    return f"git {rev}" + (" with uncommitted changes under src/" if dirty else "")


# --------------------------------------------------------------------------
# formatting


def fmt_time(seconds: float) -> str:
    """Seconds as µs with about three significant digits (ms past 10 ms)."""
    if seconds is None or math.isnan(seconds):
        return "–"
    us = seconds * 1e6
    if us >= 10_000:
        return f"{us / 1e3:,.1f} ms" if us < 100_000 else f"{us / 1e3:,.0f} ms"
    if us >= 100:
        return f"{us:,.0f} µs"
    if us >= 10:
        return f"{us:.1f} µs"
    return f"{us:.2f} µs"


def fmt_ratio(r: float) -> str:
    if math.isnan(r):
        return "–"
    if r >= 100:
        return f"{r:,.0f}×"
    if r >= 10:
        return f"{r:.1f}×"
    return f"{r:.2f}×"


def ratio(cell, ref) -> float:
    if cell.status != H.OK or ref is None or ref.status != H.OK:
        return math.nan
    return cell.median / ref.median


def short_status(cell) -> str:
    return {H.WRONG: "WRONG", H.UNSUPPORTED: "unsupported", H.ERROR: "error",
            H.SKIPPED: "skipped"}.get(cell.status, cell.status)


# --------------------------------------------------------------------------
# console


def console_table(suite: H.Suite) -> str:
    tools = suite.tools
    head = ["workload"] + [t.label for t in tools]
    rows = []
    for wl in suite.workloads:
        cells = suite.cells[wl.name]
        ref = cells[0]
        row = [wl.title]
        for cell in cells:
            if cell.status == H.OK:
                row.append(f"{fmt_time(cell.median)} {fmt_ratio(ratio(cell, ref))}")
            else:
                row.append(short_status(cell))
        rows.append(row)
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]

    def line(r):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths)))
    out = [line(head), "  ".join("-" * w for w in widths)] + [line(r) for r in rows] \
        if rows else []
    notes = [f"  {wl_name} / {label}: {short_status(c)}: {c.message}"
             for wl_name, label, c in _problems(suite)]
    if notes:
        out += ["", "not timed:"] + notes
    if suite.build:
        out += ["", "build time and call overhead:"] if out else ["build time and call overhead:"]
        out += [f"  {t.what:<58} {_timing_text(t)}" for t in suite.build]
    if suite.missing:
        out += [""] + [f"not run: {label}: {why}" for label, why in suite.missing.items()]
    return "\n".join(out)


def _timing_text(t) -> str:
    if t.status != H.OK:
        return f"{short_status(t)}: {t.message}"
    return f"{fmt_time(t.median)}  (min {fmt_time(t.lo)}, max {fmt_time(t.hi)})"


def _problems(suite):
    labels = {t.name: t.label for t in suite.tools}
    for wl in suite.workloads:
        for cell in suite.cells[wl.name]:
            if cell.status != H.OK:
                yield wl.name, labels[cell.tool], cell


# --------------------------------------------------------------------------
# Markdown


def markdown(suite: H.Suite, plot_name=None) -> str:
    """The whole report page."""
    parts = [_md_header(suite)]
    if suite.workloads:
        parts += [_md_table(suite, plot_name), _md_workloads(suite), _md_spread(suite)]
    if suite.build:
        parts.append(_md_build(suite))
    parts.append(_md_method(suite))
    return "\n".join(line for part in parts for line in part)


def _md_header(suite) -> list:
    m = suite.machine
    out = ["# Performance", "",
           ("Time per gradient call of each workload, measured side by side in one "
            "process (see [Method](#method)). Generated by `benchmarks/run.py`; "
            "regenerate rather than edit:"), "", "```sh", f"python {suite.command}",
           "```", "",
           ("The GradBench evals (gmm, lstm, det, kmeans, ... at the sizes the real evals "
            "send, each derivative made by wengert from a NumPy objective, objective and "
            "derivative times side by side) are in [gradbench.md](gradbench.md) "
            "(`make gradbench`)."), "",
           (f"Measured {m['date']} on {m['cpu']}; {m['os']}; {m['python']}; NumPy "
            f"{m['numpy']}, BLAS {m['blas']}. Load average at start: "
            f"{m['load average (1 min) at start']}. Environment: {m['environment']}. "
            f"wengert: {m.get('wengert source', 'unknown')}."), ""]
    if "versions" in m:
        out += [f"Tools: {m['versions']}.", ""]
    if suite.missing:
        out += ["Not installed, so not run: " + "; ".join(
            f"{label} ({why})" for label, why in suite.missing.items()) + ".", ""]
    return out


def _md_table(suite, plot_name) -> list:
    notes = []

    def note(text):
        notes.append(text)
        return f"[{len(notes)}]"

    out = ["## Median time per gradient call", "",
           "Each cell: median µs per call (ratio to the hand-written gradient; lower is "
           "better).", "",
           "| workload | inputs | " + " | ".join(t.label for t in suite.tools) + " |",
           "| --- | --- |" + " ---: |" * len(suite.tools)]
    for wl in suite.workloads:
        cells = suite.cells[wl.name]
        row = [wl.title, wl.shape.get(suite.settings.size, "")]
        for cell in cells:
            if cell.status == H.OK:
                row.append(f"{fmt_time(cell.median)} ({fmt_ratio(ratio(cell, cells[0]))})")
            else:
                row.append(f"{short_status(cell)} {note(cell.message)}")
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    if notes:
        out += [f"{i}. {text}" for i, text in enumerate(notes, 1)] + [""]
    if plot_name:
        out += [f"![ratio to hand-written, per workload and tool]({plot_name})", ""]
    return out


def _md_workloads(suite) -> list:
    return ["## Workloads", "",
            "Defined in `benchmarks/workloads.py` in plain NumPy and `math` (for PyTorch: "
            "`benchmarks/torch_workloads.py`), float64, each with a gradient written by "
            "hand.", ""] + \
        [f"* **{wl.title}** (`{wl.name}`): {wl.about}" for wl in suite.workloads] + [""]


def _md_spread(suite) -> list:
    out = ["## Spread and first call", "",
           "Per cell: median, minimum and maximum µs per call over the repetitions; calls "
           "per sample; and the first call on its own, which includes building the "
           "gradient (wengert's derivative build and specialisation, JAX's tracing and "
           "compilation).", "",
           "| workload | tool | median | min | max | calls per sample | first call |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    labels = {t.name: t.label for t in suite.tools}
    for wl in suite.workloads:
        for cell in suite.cells[wl.name]:
            if cell.status == H.OK:
                out.append(f"| {wl.name} | {labels[cell.tool]} | {fmt_time(cell.median)} | "
                           f"{fmt_time(cell.lo)} | {fmt_time(cell.hi)} | {cell.number:,} | "
                           f"{fmt_time(cell.first_call_s)} |")
    return out + [""]


def _md_build(suite) -> list:
    out = ["## Build time and call overhead", "",
           "The derivative of a 20-line scalar function of two floats (`build_target` in "
           "`benchmarks/workloads.py`: two branches, a 4-step loop, `math` functions), "
           "built from a fresh function object each time, so nothing about it is cached; "
           "then one call of its specialised derivative three ways: the generated "
           "function itself; through the `Derivative` object (the difference is the "
           "wrapper's overhead per call: dispatching on the kinds of the arguments); and "
           "through a new `Derivative` object each call, as in code that writes "
           "`wengert.grad(f)(x)` inside a loop.", "",
           "| what | median | min | max |", "| --- | ---: | ---: | ---: |"]
    for t in suite.build:
        if t.status == H.OK:
            out.append(f"| {t.what} | {fmt_time(t.median)} | {fmt_time(t.lo)} | "
                       f"{fmt_time(t.hi)} |")
        else:
            out.append(f"| {t.what} | {short_status(t)}: {t.message} | | |")
    return out + [""]


def _md_method(suite) -> list:
    s = suite.settings
    clock = ("Wall-clock time (`time.perf_counter`); `--clock cpu` measures the "
             "process's CPU time instead, steadier on a busy machine." if s.clock == "wall"
             else "The process's CPU time (`time.process_time`, all threads; `--clock "
                  "cpu`): time the process spends descheduled on a busy machine is not "
                  "counted. The default, `--clock wall`, is elapsed time.")
    forward = next((t for t in suite.tools if getattr(t, "mode", "") == "forward"), None)
    bounded = f"A warm gradient call slower than {s.max_call_s:g} s is not timed (skipped)."
    if forward is not None:
        bounded += (" wengert's forward mode computes a gradient with one JVP per input: "
                    f"it is skipped outright where that is more than "
                    f"{forward.max_jvps:,} JVPs")
        limit = forward.first_call_limit_s
        bounded += f", and when its first call takes more than {limit:g} s." if limit \
            else "."
    return ["## Method", "",
            f"* **Clock.** {clock}",
            (f"* **Interleaved.** For each workload every tool is prepared and checked, "
             f"then sampled {s.repeat} times round-robin, the starting tool rotating each "
             f"repetition, so that machine noise falls on all tools alike. A sample is "
             f"enough back-to-back calls to last about {s.target_s * 1e3:g} ms; a cell's "
             f"numbers are the median, minimum and maximum per-call time over its "
             f"samples. The ratio is the median over the hand-written gradient's median."),
            ("* **Warm.** The first call of each tool is made, and reported separately, "
             "before timing: it builds and specialises wengert's derivative and traces "
             "and compiles `jax.jit`. Inputs are converted to each tool's arrays once, "
             "outside the timing; JAX calls end with `block_until_ready`; PyTorch runs "
             "the forward pass and `torch.autograd.grad` each call."),
            (f"* **Checked.** Before timing, each tool's gradient must match the "
             f"hand-written one elementwise to rtol {s.rtol:g} (plus an absolute floor "
             f"of rtol·10⁻³·max|reference|); a tool that disagrees is reported WRONG and "
             f"not timed. The hand-written gradients are themselves checked against "
             f"central differences in `tests/test_benchmarks_smoke.py`."),
            f"* **Bounded.** {bounded}",
            ("* **Threads.** BLAS (and XLA, and PyTorch's intra-op pool) are limited to "
             "the thread count given by `--threads` (default 1), set before NumPy is "
             "imported. With OPENBLAS_CORETYPE set (as on some machines here), current "
             "OpenBLAS runs a slower kernel: run with `env -u OPENBLAS_CORETYPE -u "
             "OPENBLAS_L2_SIZE` to measure the default one."),
            ("* **Noise.** Other processes on the machine show up as a wide min–max "
             "range; compare ratios within one run, not absolute times across runs."),
            ""]


# --------------------------------------------------------------------------
# plot and JSON


def plot(suite: H.Suite, path) -> bool:
    """A bar chart of ratios to hand-written; False if matplotlib is absent."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    tools = suite.tools[1:]
    wls = suite.workloads
    height = 0.8 / max(len(tools), 1)
    fig, ax = plt.subplots(figsize=(9, 2.2 + len(wls) * (0.2 + 0.12 * len(tools))),
                           layout="constrained")
    cmap = plt.get_cmap("tab10")
    for j, tool in enumerate(tools):
        ys, rs = [], []
        for i, wl in enumerate(wls):
            cells = suite.cells[wl.name]
            r = ratio(cells[j + 1], cells[0])
            if not math.isnan(r):
                ys.append(i + (j - (len(tools) - 1) / 2) * height)
                rs.append(r)
        # bars grow from 1× (as fast as hand-written): right is slower, left faster
        ax.barh(ys, [r - 1.0 for r in rs], left=1.0, height=height, color=cmap(j % 10),
                label=tool.label)
        for i, wl in enumerate(wls):
            cell = suite.cells[wl.name][j + 1]
            if cell.status != H.OK:
                ax.text(1.05, i + (j - (len(tools) - 1) / 2) * height, short_status(cell),
                        va="center", fontsize="x-small", color="0.4")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ratios = [ratio(c, suite.cells[wl.name][0]) for wl in wls for c in suite.cells[wl.name]]
    ratios = [r for r in ratios if not math.isnan(r)]
    ax.set_xlim(left=min([0.5] + [r / 1.5 for r in ratios]))
    ax.set_yticks(range(len(wls)))
    ax.set_yticklabels([wl.title for wl in wls])
    ax.invert_yaxis()
    ax.set_xlabel("time per gradient ÷ hand-written (log scale; lower is better)")
    fig.legend(loc="outside lower center", ncol=min(3, len(tools)), fontsize="small",
               frameon=False)
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.set_title(f"wengert benchmarks, {suite.machine['date']}", fontsize="medium")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def to_json(suite: H.Suite) -> str:
    def cell(c):
        return {"tool": c.tool, "status": c.status, "message": c.message,
                "first_call_s": None if math.isnan(c.first_call_s) else c.first_call_s,
                "calls_per_sample": c.number, "samples_s": c.samples}
    return json.dumps({
        "command": suite.command, "machine": suite.machine,
        "settings": vars(suite.settings),
        "workloads": {wl.name: [cell(c) for c in suite.cells[wl.name]]
                      for wl in suite.workloads},
        "build": [{"what": t.what, "status": t.status, "message": t.message,
                   "samples_s": t.samples, "calls_per_sample": t.number}
                  for t in suite.build],
        "not_installed": suite.missing,
    }, indent=1, ensure_ascii=False)


def write(path, text) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text if text.endswith("\n") else text + "\n")
    print(f"wrote {path}", file=sys.stderr)
