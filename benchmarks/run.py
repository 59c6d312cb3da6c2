"""Run the benchmark suite: every workload × every installed tool, checked
against the hand-written gradient, then timed side by side.

    python benchmarks/run.py                      # full run, table on stdout
    python benchmarks/run.py --quick              # fewer, shorter samples
    python benchmarks/run.py --only mlp,rnn       # some workloads (`build` too)
    python benchmarks/run.py --markdown docs/performance.md   # + performance.png

Optional tools (autograd, jax, torch) and matplotlib are used when installed.
BLAS, XLA and PyTorch run on ``--threads`` threads (default 1), set before
NumPy is imported.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

QUICK = dict(repeat=5, target_ms=5.0, max_call_s=0.5, max_first_call_s=20.0, build_repeat=5)
FULL = dict(repeat=15, target_ms=20.0, max_call_s=2.0, max_first_call_s=60.0, build_repeat=15)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="fewer repetitions and shorter samples (same sizes)")
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="workloads to run, comma-separated or repeated (names: poly, "
                        "scalar_loop, logreg, mlp, rnn, rosenbrock, gmm_2_5, gmm_10_25, "
                        "build)")
    p.add_argument("--tools", default="",
                   help="tool columns to run, comma-separated (hand, wengert_auto, "
                        "wengert_rev, wengert_fwd, autograd, jax, jax_jit, torch); default: all "
                        "installed. The hand-written column always runs.")
    p.add_argument("--repeat", type=int, help="samples per cell (default 15, quick 5)")
    p.add_argument("--target-ms", type=float, help="length of one sample (default 20, quick 5)")
    p.add_argument("--max-call-s", type=float,
                   help="do not time a tool whose warm gradient call takes longer "
                        "(default 2, quick 0.5)")
    p.add_argument("--max-jvps", type=int, default=20_000,
                   help="skip wengert forward mode where a gradient needs more JVPs")
    p.add_argument("--threads", type=int, default=1, help="BLAS/XLA/PyTorch threads")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="wall: elapsed time (default); cpu: the process's CPU time, "
                        "steadier on a busy machine (counts every thread: use with "
                        "--threads 1)")
    p.add_argument("--size", choices=("full", "tiny"), default="full",
                   help="input sizes (tiny: a few elements, to try the harness)")
    p.add_argument("--markdown", metavar="PATH", help="write the report page here")
    p.add_argument("--plot", metavar="PATH",
                   help="write the plot here (default: the Markdown path with .png)")
    p.add_argument("--json", metavar="PATH", help="write every sample here")
    p.add_argument("--sources", metavar="DIR",
                   help="write wengert's generated derivatives here, one file each")
    return p.parse_args(argv)


def limit_threads(n: int) -> None:
    """Must run before NumPy (and JAX, PyTorch) are imported."""
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ[var] = str(n)
    if n == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        extra = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        if extra not in flags:
            os.environ["XLA_FLAGS"] = (flags + " " + extra).strip()


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    opts = parse_args(argv)
    if "numpy" not in sys.modules:
        limit_threads(opts.threads)
    else:
        print("note: NumPy was imported before run.py; --threads not applied to BLAS",
              file=sys.stderr)

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks import harness, report
    from benchmarks import tools as T
    from benchmarks import workloads as W

    preset = QUICK if opts.quick else FULL
    max_call_s = opts.max_call_s or preset["max_call_s"]
    settings = harness.Settings(
        size=opts.size,
        repeat=opts.repeat or preset["repeat"],
        target_s=(opts.target_ms or preset["target_ms"]) / 1e3,
        max_call_s=max_call_s,
        max_first_call_s=preset["max_first_call_s"],
        build_repeat=preset["build_repeat"],
        clock=opts.clock)

    names = [n.strip() for arg in opts.only for n in arg.split(",") if n.strip()]
    try:
        workloads = W.by_name(names)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    with_build = not names or "build" in names
    tools = T.all_tools(max_jvps=opts.max_jvps, forward_first_call_s=5 * max_call_s)
    if opts.tools:
        wanted = {"hand"} | {t.strip() for t in opts.tools.split(",") if t.strip()}
        unknown = wanted - {t.name for t in tools}
        if unknown:
            print(f"error: unknown tool(s) {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        tools = [t for t in tools if t.name in wanted]

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    started = time.perf_counter()
    suite = harness.run_suite(workloads, tools, settings, with_build=with_build,
                              threads=opts.threads, freeze_gc=True, log=log)
    suite.machine = report.machine(suite.tools)
    suite.command = " ".join(["benchmarks/run.py"] + argv)
    log(f"done in {time.perf_counter() - started:.0f} s")

    print(report.console_table(suite))
    if opts.markdown:
        plot_path = Path(opts.plot) if opts.plot else Path(opts.markdown).with_suffix(".png")
        has_plot = report.plot(suite, plot_path)
        if has_plot:
            log(f"wrote {plot_path}")
        rel = os.path.relpath(plot_path, Path(opts.markdown).parent) if has_plot else None
        report.write(opts.markdown, report.markdown(suite, rel))
    elif opts.plot:
        if not report.plot(suite, opts.plot):
            log("matplotlib is not installed: no plot")
    if opts.json:
        report.write(opts.json, report.to_json(suite))
    if opts.sources:
        write_sources(suite, Path(opts.sources))
    return 0


def write_sources(suite, folder: Path) -> None:
    """wengert's generated derivative of each workload, as specialised."""
    folder.mkdir(parents=True, exist_ok=True)
    for tool in suite.tools:
        for name, d in getattr(tool, "derivatives", {}).items():
            try:
                source = d.source
            except Exception as exc:            # never built (unsupported)
                source = f"# not built: {exc}\n"
            (folder / f"{name}.{tool.name}.py").write_text(source)
    print(f"wrote generated sources to {folder}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
