"""Long-running differential fuzzer for wengert.

    python tests/fuzz/run.py --minutes 10
    python tests/fuzz/run.py --minutes 60 --all-features --reduce --out /tmp/fuzz-failures
    python tests/fuzz/run.py --replay 12345            # one seed, verbose
    python tests/fuzz/run.py --minutes 5 --second-order  # grad of grad, scalar programs
    python tests/fuzz/run.py --seed 0 --count 2000 --minutes 60   # the CI sample's seeds

Generates programs from consecutive seeds (``--seed`` is the first), checks
each (reverse == forward == finite differences), and prints a summary: how
many programs were tried, passed, skipped (near a branch, not smooth, values
too large) and failed, grouped by reason. Every failing program is saved to
``--out`` as a runnable script (``seed_<n>.py``: the program, its inputs,
and what went wrong); ``--reduce`` also saves a shrunk version
(``seed_<n>.reduced.py``). Exit status 1 if anything failed.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fuzz import check, gen  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=1.0, help="how long to run")
    ap.add_argument("--seed", type=int, default=None,
                    help="first seed (default: from the clock)")
    ap.add_argument("--out", default="fuzz-failures",
                    help="directory for failing programs (created when needed)")
    ap.add_argument("--all-features", action="store_true",
                    help="also generate the features with known bugs (gen.KNOWN_BROKEN)")
    ap.add_argument("--reduce", action="store_true", help="shrink each failing program")
    ap.add_argument("--count", type=int, default=None,
                    help="stop after this many programs (whatever --minutes says)")
    ap.add_argument("--max-failures", type=int, default=50,
                    help="stop after this many failures")
    ap.add_argument("--replay", type=int, default=None,
                    help="check one seed and print the program and the outcome")
    ap.add_argument("--second-order", action="store_true",
                    help="check grad(grad(f)) on scalar programs (loops included)")
    args = ap.parse_args(argv)
    features = gen.FEATURES if args.all_features else gen.DEFAULT_FEATURES

    def make(seed):
        return gen.generate(gen.RandomChooser(seed), features, scalar_only=args.second_order)

    def run_check(program, seed):
        if args.second_order:
            return check.check_second_order(program, seed)
        return check.check(program, seed)

    if args.replay is not None:
        program = make(args.replay)
        outcome = run_check(program, args.replay)
        print(program.source)
        print(f"{outcome.status}: {outcome.reason}\n{outcome.detail}")
        return 1 if outcome.status == "fail" else 0

    seed = args.seed if args.seed is not None else int(time.time()) % 1_000_000 * 1000
    deadline = time.monotonic() + 60 * args.minutes
    tally: collections.Counter = collections.Counter()
    reasons: collections.Counter = collections.Counter()
    failures = []
    started = time.monotonic()
    first = seed
    while time.monotonic() < deadline and len(failures) < args.max_failures and \
            (args.count is None or seed - first < args.count):
        program = make(seed)
        try:
            outcome = run_check(program, seed)
        except Exception as exc:           # noqa: BLE001 -- a bug in the fuzzer itself
            outcome = check.Outcome("fuzzer-error", f"{type(exc).__name__}: {exc}")
        tally[outcome.status] += 1
        if outcome.status != "ok":
            reasons[(outcome.status, outcome.reason)] += 1
        if outcome.status in ("fail", "fuzzer-error"):
            path = save(args.out, seed, program, outcome)
            failures.append(seed)
            print(f"seed {seed}: {outcome.status}: {outcome.reason}  -> {path}", flush=True)
            if args.reduce and outcome.status == "fail" and not args.second_order:
                from fuzz import reduce as reducer
                small = reducer.reduce(program, seed, outcome.reason)
                rpath = os.path.join(args.out, f"seed_{seed}.reduced.py")
                with open(rpath, "w") as fh:
                    fh.write(check.repro_script(small, seed, check.check(small, seed)))
                print(f"    reduced -> {rpath}", flush=True)
        seed += 1

    elapsed = time.monotonic() - started
    tried = sum(tally.values())
    print(f"\n{tried} programs in {elapsed:.0f} s (seeds {first}..{seed - 1}, "
          f"{'all features' if args.all_features else 'default features'}"
          f"{', second order' if args.second_order else ''}): "
          + ", ".join(f"{n} {k}" for k, n in sorted(tally.items())))
    for (status, reason), n in reasons.most_common():
        print(f"  {n:5d}  {status}: {reason}")
    if failures:
        print(f"failing programs saved in {os.path.abspath(args.out)}/")
    return 1 if failures else 0


def save(out: str, seed: int, program, outcome) -> str:
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"seed_{seed}.py")
    with open(path, "w") as fh:
        fh.write(check.repro_script(program, seed, outcome))
    return path


if __name__ == "__main__":
    sys.exit(main())
