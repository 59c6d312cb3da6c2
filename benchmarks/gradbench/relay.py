"""Run local GradBench evals against the wengert tool and report.

    python benchmarks/gradbench/relay.py                     # every eval, small sizes
    python benchmarks/gradbench/relay.py --evals gmm,lstm --min-seconds 0.5
    python benchmarks/gradbench/relay.py --markdown docs/gradbench.md --log-dir /tmp/gb-logs
    python benchmarks/gradbench/relay.py --size full --evals det --skip det:11 --log-dir DIR
    python benchmarks/gradbench/relay.py --size full --from-logs DIR --markdown docs/gradbench.md

For each eval the relay starts two child processes, the eval driver
(``local_evals.py EVAL``) and the tool (``tool.py``), and passes lines between
them: one message from the eval to the tool, one response back, until the eval
closes its output; then it closes the tool's input and waits for both. It
enforces what GradBench's intermediary enforces (section 1 of
/work/shared/gradbench.md): each response one JSON object with the message's
id, no NaN or infinity, no ``error`` beside ``success: true``, an ``output``
with every successful evaluate, timings as ``{"name", "nanoseconds"}`` with a
non-negative integer; both processes must exit with status 0. Any violation
makes the eval's outcome ``error``; otherwise the outcome is ``undefined``,
``failure``, ``invalid`` or ``success`` as in the specification (section 1.8).

The summary gives, per workload, the mean of the ``"evaluate"`` timings of the
primal function and of the derivative and their ratio, and the validity the
eval reported; with ``--markdown`` it is written as a page. The page holds
the reduced-size table (``small``) and, in a section of its own between two
markers, the full-size table (``--size full``); writing one keeps the other.
Full-size runs are slow, so they are usually made one eval at a time with
``--log-dir`` and the section is then built from the logs (``--from-logs``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import local_evals  # noqa: E402

EVALS = local_evals.EVALS
PAIRS = local_evals.PAIRS


class ProtocolError(Exception):
    """The tool or the eval broke the protocol: the outcome is ``error``."""


@dataclass
class Evaluation:
    function: str
    description: str
    success: bool
    mean_ns: float = math.nan
    runs: int = 0
    valid: bool = None            # None until (unless) an analysis arrives
    error: str = ""


@dataclass
class Result:
    eval: str
    outcome: str = "success"
    defined: bool = True
    error: str = ""
    evaluations: list = field(default_factory=list)
    seconds: float = 0.0
    started: str = ""             # UTC time the eval started
    load: str = ""                # the 1, 5, 15 minute load averages then
    settings: str = ""            # the timing flags it ran with (from its log's meta)


def check_response(line: str, msg: dict) -> dict:
    """The intermediary's checks on one tool response."""
    def reject(constant):
        raise ProtocolError(f"non-finite number {constant} in the tool's response")
    try:
        reply = json.loads(line, parse_constant=reject)
    except ValueError as exc:
        raise ProtocolError(f"tool response is not JSON: {exc}: {line[:200]!r}") from None
    if not isinstance(reply, dict):
        raise ProtocolError(f"tool response is not a JSON object: {line[:200]!r}")
    if reply.get("id") != msg.get("id"):
        raise ProtocolError(f"response id {reply.get('id')!r} != message id {msg.get('id')!r}")
    kind = msg.get("kind")
    if kind in ("define", "evaluate"):
        if not isinstance(reply.get("success"), bool):
            raise ProtocolError(f"{kind} response without a boolean success")
        if reply["success"] and "error" in reply:
            raise ProtocolError(f"{kind} response with success: true and an error")
        if kind == "evaluate" and reply["success"] and "output" not in reply:
            raise ProtocolError("evaluate response with success: true and no output")
    for t in reply.get("timings", []):
        ns = t.get("nanoseconds") if isinstance(t, dict) else None
        if not (isinstance(t, dict) and isinstance(t.get("name"), str)
                and type(ns) is int and ns >= 0):
            raise ProtocolError(f"bad timing object {t!r}")
    return reply


def relay(eval_cmd, tool_cmd, log=None) -> Result:
    """Run one eval against the tool; returns what happened."""
    result = Result(eval=eval_cmd[-1] if eval_cmd else "?")
    t_start = time.perf_counter_ns()
    ev = subprocess.Popen(eval_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                          bufsize=1)
    tool = subprocess.Popen(tool_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            bufsize=1)
    pending = {}                  # evaluate id -> Evaluation
    try:
        for line in ev.stdout:
            msg = json.loads(line)
            if log:
                log.write(json.dumps({"elapsed": {"nanoseconds": time.perf_counter_ns() - t_start},
                                      "message": msg}) + "\n")
            tool.stdin.write(line if line.endswith("\n") else line + "\n")
            tool.stdin.flush()
            answer = tool.stdout.readline()
            if not answer:
                raise ProtocolError("the tool exited without answering "
                                    f"message {msg.get('id')} ({msg.get('kind')})")
            reply = check_response(answer, msg)
            if log:
                log.write(json.dumps({"elapsed": {"nanoseconds": time.perf_counter_ns() - t_start},
                                      "response": reply}) + "\n")
            record(result, pending, msg, reply)
            ev.stdin.write(answer if answer.endswith("\n") else answer + "\n")
            ev.stdin.flush()
    except (ProtocolError, BrokenPipeError) as exc:
        result.outcome, result.error = "error", str(exc)
    finally:
        for p in (ev, tool):
            try:
                p.stdin.close()
            except BrokenPipeError:
                pass
        codes = {"eval": ev.wait(), "tool": tool.wait()}
    result.seconds = (time.perf_counter_ns() - t_start) / 1e9
    bad = {k: v for k, v in codes.items() if v != 0}
    if bad and result.outcome != "error":
        result.outcome = "error"
        result.error = ", ".join(f"{k} exited with status {v}" for k, v in bad.items())
    if result.outcome != "error":
        result.outcome = outcome(result)
    return result


def record(result: Result, pending: dict, msg: dict, reply: dict) -> None:
    kind = msg.get("kind")
    if kind == "define":
        result.defined = reply["success"]
        if not reply["success"]:
            result.error = reply.get("error", "")
    elif kind == "evaluate":
        runs = [t["nanoseconds"] for t in reply.get("timings", []) if t["name"] == "evaluate"]
        label = msg.get("description", "")
        if not isinstance(msg.get("input"), dict):          # hello: a bare number
            label = f"{msg['function']}({msg.get('input')})"
        e = Evaluation(msg["function"], label, reply["success"],
                       sum(runs) / len(runs) if runs else math.nan, len(runs),
                       error=reply.get("error", "") if not reply["success"] else "")
        result.evaluations.append(e)
        pending[msg["id"]] = e
    elif kind == "analysis" and msg.get("of") in pending:
        e = pending.pop(msg["of"])
        e.valid = bool(msg.get("valid"))
        if not e.valid:
            e.error = msg.get("error", "")


def outcome(result: Result) -> str:
    if not result.defined:
        return "undefined"
    if any(not e.success for e in result.evaluations):
        return "failure"
    if any(e.valid is False for e in result.evaluations):
        return "invalid"
    return "success"


# --------------------------------------------------------------------------
# reporting


def fmt_ns(ns: float) -> str:
    if ns != ns:
        return "—"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.0f} ns"


def validity(e: Evaluation) -> str:
    if not e.success:
        return "failed"
    return {True: "valid", False: "INVALID", None: "?"}[e.valid]


def rows(result: Result):
    """Table rows for one eval: paired evals per workload, the others per call."""
    if result.eval in PAIRS:
        primal_name, derivative_name = PAIRS[result.eval]
        by_workload = {}
        for e in result.evaluations:
            by_workload.setdefault(e.description, {})[e.function] = e
        for description, pair in by_workload.items():
            p, d = pair.get(primal_name), pair.get(derivative_name)
            ratio = (d.mean_ns / p.mean_ns if p and d and p.success and d.success
                     else math.nan)
            yield (description, f"{primal_name}: {fmt_ns(p.mean_ns) if p else '—'}",
                   f"{derivative_name}: {fmt_ns(d.mean_ns) if d and d.success else '—'}",
                   f"{ratio:.2f}" if ratio == ratio else "—",
                   ", ".join(validity(x) for x in (p, d) if x))
    else:
        # hello: square is the primal, double its derivative; particle and
        # saddle: every variant differentiates (nested) the whole optimisation
        for e in result.evaluations:
            time_text = fmt_ns(e.mean_ns) if e.success else "—"
            if result.eval == "hello" and e.function == "square":
                yield (e.description, time_text, "", "", validity(e))
            elif result.eval == "hello":
                yield (e.description, "", time_text, "", validity(e))
            else:
                yield (f"{e.function} ({e.description})", "", time_text, "", validity(e))


def summary(results) -> str:
    lines = []
    for r in results:
        lines.append(f"{r.eval}: {r.outcome} ({r.seconds:.1f} s)" + (f" — {first_line(r.error)}"
                                                                       if r.error else ""))
        for row in rows(r):
            lines.append("    " + " | ".join(x for x in row if x))
        for e in r.evaluations:
            if e.error:
                lines.append(f"    {e.function} {e.description}: {first_line(e.error)}")
    return "\n".join(lines)


def first_line(text: str) -> str:
    text = text.strip()
    last = text.splitlines()[-1] if text else ""
    return last[:300]


def from_log(name: str, log_dir: Path) -> Result:
    """An eval's result rebuilt from the log a run wrote with ``--log-dir``
    (and the start time and load beside it); exit statuses are not logged,
    so the outcome is derived from the messages alone."""
    result, pending, msg = Result(eval=name), {}, None
    for line in (log_dir / f"{name}.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if "message" in entry:
            msg = entry["message"]
        else:
            record(result, pending, msg, entry["response"])
        result.seconds = entry["elapsed"]["nanoseconds"] / 1e9
    meta = log_dir / f"{name}.meta.json"
    if meta.exists():
        info = json.loads(meta.read_text())
        result.started, result.load = info["started"], info["load"]
        result.settings = info.get("settings", "")
    result.outcome = outcome(result)
    return result


def write_meta(name: str, log_dir: Path, args) -> None:
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    settings = f"--min-runs {args.min_runs} --min-seconds {args.min_seconds}"
    (log_dir / f"{name}.meta.json").write_text(
        json.dumps({"started": started, "load": load, "settings": settings}))


FULL_BEGIN = "<!-- full sizes: generated by relay.py --size full; begin -->"
FULL_END = "<!-- full sizes: end -->"


def write_page(path: Path, results, args) -> None:
    """Write one of the page's two tables, keeping the other."""
    old = path.read_text() if path.exists() else ""
    begin, end = old.find(FULL_BEGIN), old.find(FULL_END)
    has_full = begin >= 0 and end > begin
    full = old[begin:end + len(FULL_END)] if has_full else ""
    reduced = (old[:begin] + old[end + len(FULL_END):]).strip("\n") + "\n" if has_full else old
    if args.size == "full":
        full = markdown(results, args)
    else:
        reduced = markdown(results, args)
    path.write_text(reduced + ("\n" + full.rstrip("\n") + "\n" if full else ""))


def full_header(results, args):
    import numpy
    runs = [f"{r.eval} {r.started} (load {r.load}" + (f"; `{r.settings}`" if r.settings else "")
            + ")" for r in results if r.started]
    return [FULL_BEGIN, "", "## Full sizes: the real evals' default workloads", "",
            "Generated by `python benchmarks/gradbench/relay.py --size full` (one eval at a "
            "time, `--log-dir`, then `--from-logs … --markdown docs/gradbench.md`); do not "
            "edit by hand.", "",
            "The workloads are exactly those the real GradBench evals send by default "
            "(/work/shared/gradbench.md, section 2), with two exceptions the specification "
            "cannot give: lstm's text is the first sonnet repeated (ADBench's `lstm_full.txt` "
            "is missing; it has the same 14 bits per character), and lstm's parameters, drawn "
            "without a seed upstream, are seeded. Validation is `local_evals.py`'s (NumPy "
            "references, finite differences for the gmm and lstm jacobians), not GradBench's "
            "C++ reference tool. Each function ran at least `--min-runs` times timed (given per "
            "eval below; the time is their mean) after wengert built its code for the "
            "input's shapes (untimed), on a shared two-core machine: expect tens of percent "
            "of noise.",
            "", f"Python {platform.python_version()}, NumPy {numpy.__version__}, BLAS "
            f"{'multithreaded' if args.multithreaded else 'on one thread'}; "
            f"{platform.machine()}, {os.cpu_count()} CPUs. Started (UTC) and load averages "
            "(1, 5, 15 min) and settings at the start of each eval: " + ("; ".join(runs) or "not recorded")
            + "."] + (["", "Workloads left out (`--skip`, too slow to run here): " + ", ".join(
                f"{item.partition(':')[0]} {item.partition(':')[2]}" for item in args.skip)
                + "."] if args.skip else []) + [
            "", "det is the eval's O(l!) recursion (`evals/det.py`; its 2 x 2 minors are "
            "written out, the same products bit for bit). Its gradient keeps every minor's "
            "residuals, so its memory grows with the work: at l = 11 (about 40 million "
            "products) about 10 GB. `--det-shared-minors` computes each minor once "
            "(bit-identical values, O(2^l l)); its results are in "
            "`benchmarks/gradbench/README.md` (not comparable with other tools' det times)."]


def markdown(results, args) -> str:
    import numpy
    out = full_header(results, args) if args.size == "full" else [
           "# wengert on GradBench (local, reduced sizes)", "",
           "Generated by `python benchmarks/gradbench/relay.py --markdown docs/gradbench.md` "
           "(`make gradbench`); do not edit by hand.", "",
           "Each eval ran as a child process (`benchmarks/gradbench/local_evals.py`, which "
           "generates inputs in GradBench's formats at reduced sizes and validates outputs "
           "against independent NumPy references), talking to the wengert tool "
           "(`benchmarks/gradbench/tool.py`) through the relay, which enforces the protocol. "
           "Times are the mean of the `evaluate` timings (the function call alone, "
           "after wengert built its derivative specialised to the input's shapes, "
           "untimed). *ratio* is derivative time / primal time. The "
           "machine is shared: times and ratios vary by tens of percent from run to run.", "",
           f"Settings: `--size {args.size} --min-runs {args.min_runs} "
           f"--min-seconds {args.min_seconds}`; Python {platform.python_version()}, "
           f"NumPy {numpy.__version__}, BLAS "
           f"{'multithreaded' if args.multithreaded else 'on one thread'}; {platform.machine()}, "
           f"{os.cpu_count()} CPUs."]
    out += ["", "| eval | outcome | workload | primal | derivative | ratio | validity |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        first = True
        body = list(rows(r))
        if not body:
            out.append(f"| {r.eval} | {r.outcome} | — | — | — | — | "
                       f"{first_line(r.error) or '—'} |")
        for workload, primal, derivative, ratio, valid in body:
            head = f"| {r.eval} | {r.outcome} " if first else "| | "
            out.append(f"{head}| {workload} | {primal or '—'} | {derivative or '—'} | "
                       f"{ratio or '—'} | {valid} |")
            first = False
    notes = [(r.eval, e) for r in results for e in r.evaluations if e.error]
    errors = [r for r in results if r.error]
    if notes or errors:
        out += ["", "### Failures and invalid outputs" if args.size == "full"
                else "## Failures and invalid outputs", ""]
        for r in errors:
            out.append(f"- **{r.eval}** ({r.outcome}): {first_line(r.error)}")
        for name, e in notes:
            out.append(f"- **{name}::{e.function}** {e.description}: {first_line(e.error)}")
    if args.size == "full":
        out += ["", FULL_END]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--evals", default=",".join(EVALS),
                   help="comma-separated evals (default: all)")
    p.add_argument("--size", choices=local_evals.SIZES, default="small",
                   help="full: the real evals' default workloads (slow)")
    p.add_argument("--min-runs", type=int, default=1)
    p.add_argument("--min-seconds", type=float, default=0.5)
    p.add_argument("--skip", action="append", default=[], metavar="EVAL:DESCRIPTION",
                   help="leave out one workload, e.g. det:11 or ode:n=100000,s=100 "
                        "(repeatable)")
    p.add_argument("--multithreaded", action="store_true")
    p.add_argument("--det-shared-minors", action="store_true",
                   help="the tool writes det with each minor computed once "
                        "(O(2^l l), not the eval's O(l!) work; see evals/det.py)")
    p.add_argument("--markdown", metavar="FILE", help="write the table to FILE")
    p.add_argument("--log-dir", metavar="DIR", help="write one JSONL log per eval")
    p.add_argument("--from-logs", metavar="DIR",
                   help="run nothing: rebuild the results from the logs in DIR")
    args = p.parse_args(argv)
    names = [n for n in args.evals.split(",") if n]
    unknown = [n for n in names if n not in EVALS]
    if unknown:
        p.error(f"unknown evals: {', '.join(unknown)}")
    tool_cmd = [sys.executable, str(HERE / "tool.py")] + \
        (["--multithreaded"] if args.multithreaded else []) + \
        (["--det-shared-minors"] if args.det_shared_minors else [])
    results = []
    for name in names:
        if args.from_logs:
            if (Path(args.from_logs) / f"{name}.jsonl").exists():
                results.append(from_log(name, Path(args.from_logs)))
            continue
        eval_cmd = [sys.executable, str(HERE / "local_evals.py"), "--size", args.size,
                    "--min-runs", str(args.min_runs), "--min-seconds", str(args.min_seconds),
                    name]
        for item in args.skip:
            skipped_eval, _, description = item.partition(":")
            if skipped_eval == name:
                eval_cmd[-1:-1] = ["--skip", description]
        log = None
        if args.log_dir:
            Path(args.log_dir).mkdir(parents=True, exist_ok=True)
            write_meta(name, Path(args.log_dir), args)
            log = open(Path(args.log_dir) / f"{name}.jsonl", "w")
        try:
            r = relay(eval_cmd, tool_cmd, log)
        finally:
            if log:
                log.close()
        results.append(r)
        print(summary([r]), flush=True)
    if args.markdown:
        write_page(Path(args.markdown), results, args)
        print(f"wrote {args.markdown}")
    # declined modules and functions (undefined, failure) are reported, not fatal;
    # a protocol violation or a wrong answer is
    return int(any(r.outcome in ("error", "invalid") for r in results))


if __name__ == "__main__":
    sys.exit(main())
