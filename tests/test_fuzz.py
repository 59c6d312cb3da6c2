"""Differential fuzzing (``tests/fuzz/``): random programs, differentiated in
reverse and forward mode, checked against each other and against finite
differences. Two fixed samples run here: 150 programs drawn by Hypothesis
(derandomized) and 750 from consecutive seeds in 15 shards, a different
range on each Python version (about two and a half minutes of one core in all);
``python tests/fuzz/run.py --minutes 10`` runs for longer.

Features with known bugs (``gen.KNOWN_BROKEN``) are left out of the sample;
each is pinned by an xfail test in ``test_fuzz_regressions.py``.
"""

import math
import re
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings, strategies as st

import wengert
from fuzz import check, gen

EXAMPLES = 150              # first order, arrays and control flow
SECOND_ORDER_EXAMPLES = 60  # scalar straight-line-and-branches programs

# No shrinking: a failing program is printed as generated, and
# `python -m fuzz.reduce`-style triage (tests/fuzz/reduce.py, run.py --reduce)
# shrinks it far faster than Hypothesis can through the generator's choices.
SETTINGS = dict(deadline=None, derandomize=True, database=None, print_blob=False,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(program=gen.programs(), seed=st.integers(0, 2 ** 16))
def test_reverse_forward_and_finite_differences_agree(program, seed):
    """No wrong derivative and no crash. A refusal (the in-place check, kinds
    unknown) is never wrong: it is counted, and ``test_seeded_programs``
    bounds how often it happens."""
    outcome = check.check(program, seed)
    refused = outcome.status == "fail" and \
        outcome.reason.endswith("raised UnsupportedSyntaxError")
    event("refused" if refused else
          outcome.status if outcome.status != "skip" else f"skip: {outcome.reason}")
    assert refused or outcome.status != "fail", check.describe(program, seed, outcome)


# A second, sharded sample: programs from consecutive RandomChooser seeds, in
# shards that pytest-xdist spreads over the cores. Each Python version runs
# its own 750 seeds (3.9: 90000..90749, 3.11: 110000.., 3.13: 130000..), so
# that CI's runs on three versions check 2,250 different programs (plus
# Hypothesis's 150 on each); `python tests/fuzz/run.py --seed 110000 --count
# 750` replays one version's sample, on any version.
SEED_SHARDS = 15                # (the suite's time: about 11 s of one core each)
SEEDS_PER_SHARD = 50
FIRST_SEED = 10_000 * sys.version_info.minor
REFUSALS_PER_SHARD = 3


@pytest.mark.parametrize("shard", range(SEED_SHARDS))
def test_seeded_programs(shard):
    """No wrong derivative and no crash. A refusal (UnsupportedSyntaxError) is
    never wrong, but the generator only writes programs wengert should take:
    a refusal is a conservative in-place check on an array whose kind is not
    known (seed 482: ``r1 -= r1`` on the rows of an argument whose kind a
    recursive call hides: a view if it is a matrix), about one program in
    200. A few per shard are tolerated, and each is reported."""
    failures, refusals = [], []
    first = FIRST_SEED + shard * SEEDS_PER_SHARD
    for seed in range(first, first + SEEDS_PER_SHARD):
        program = gen.generate(gen.RandomChooser(seed), gen.DEFAULT_FEATURES)
        outcome = check.check(program, seed)
        if outcome.status == "fail":
            refused = outcome.reason.endswith("raised UnsupportedSyntaxError")
            (refusals if refused else failures).append(check.describe(program, seed, outcome))
    assert not failures, f"{len(failures)} failing seeds:\n\n" + "\n\n".join(failures)
    for text in refusals:
        warnings.warn("refused: " + text.splitlines()[1], stacklevel=1)
    assert len(refusals) <= REFUSALS_PER_SHARD, \
        f"{len(refusals)} refusals:\n\n" + "\n\n".join(refusals)


@settings(max_examples=SECOND_ORDER_EXAMPLES, **SETTINGS)
@given(program=gen.programs(features=gen.DEFAULT_FEATURES, scalar_only=True,
                            control=False),
       seed=st.integers(0, 2 ** 16))
def test_second_order(program, seed):
    """``grad(grad(f))`` in both modes == a finite difference of ``grad(f)``,
    on scalar programs without loops (see test_fuzz_regressions.py for the
    second-order bugs with loops and arrays; recursive helpers are included)."""
    outcome = check.check_second_order(program, seed)
    refused = outcome.status == "fail" and \
        outcome.reason.endswith("raised UnsupportedSyntaxError")    # never wrong: counted
    event("refused" if refused else
          outcome.status if outcome.status != "skip" else f"skip: {outcome.reason}")
    assert refused or outcome.status != "fail", check.describe(program, seed, outcome)


# --------------------------------------------------------------------------
# the fuzzer itself: it generates what it claims, and it can fail


def _sample(n=150, **kw):
    return [gen.generate(gen.RandomChooser(s), **kw) for s in range(n)]


def test_generator_is_deterministic():
    a = gen.generate(gen.RandomChooser(7))
    b = gen.generate(gen.RandomChooser(7))
    assert a.source == b.source and a.probed == b.probed


def test_generator_covers_the_grammar():
    text = "\n".join(p.source for p in _sample(features=gen.FEATURES))
    for construct in ["if ", "else:", "for i", "while k", "break", "continue", "append(",
                      "sum(", "lambda", "return", "def h", "enumerate(", "reversed(",
                      " for j", "np.", "math.", "**", " / ", "[0]", ", s=", "W23",
                      " if ", "float(i", "n - 1)"]:
        assert construct in text, construct
    assert gen.DEFAULT_FEATURES == gen.FEATURES - gen.KNOWN_BROKEN
    if "loop_lambdas" in gen.KNOWN_BROKEN:
        for p in _sample():
            assert not _lambda_in_loop(p.source), p.source


def _lambda_in_loop(source: str) -> bool:
    stack = []                                  # (indent, is_loop) of enclosing blocks
    for line in source.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if re.match(r"\s*\w+ = lambda", line) and any(loop for _, loop in stack):
            return True
        if line.rstrip().endswith(":"):
            stack.append((indent, bool(re.match(r"\s*(for|while) ", line))))
    return False


def test_probed_copy_computes_the_same_values():
    for seed, program in enumerate(_sample(60)):
        args = check.make_inputs(program.params, seed)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                value = check.load(program.source).f(*args)
            except (OverflowError, ValueError, ZeroDivisionError):
                continue
            probed = check.load(program.probed, "probed").f(*args)
        assert np.isclose(value, probed, rtol=1e-10, equal_nan=True), program.source


@pytest.mark.parametrize("damage", ["scale", "sign", "drop"])
def test_checker_catches_a_wrong_gradient(monkeypatch, damage):
    """The tolerances cannot hide a relative error of 1e-4, a wrong sign or a
    missing term: damage wengert's answer and the checker must fail."""
    program = gen.Program(_DAMAGE_SOURCE, _DAMAGE_SOURCE, [("x", ()), ("y", (3,))])
    real = check.derivatives

    def damaged(f, nargs):
        out = {}
        for label, d in real(f, nargs).items():
            def wrong(*args, d=d, label=label):
                result = d(*args)
                value, g = (None, result) if label == "reverse grad" else result
                gx, gy = g
                if damage == "scale":
                    gx = gx * (1 + 1e-4)
                elif damage == "sign":
                    gy = gy * np.array([1.0, -1.0, 1.0])
                else:                       # drop the cos term of d/dx
                    gx = gx - math.cos(args[0]) * float(np.sum(args[1]))
                return (gx, gy) if label == "reverse grad" else (value, (gx, gy))
            out[label] = wrong
        return out

    assert check.check(program, 3).status == "ok"
    monkeypatch.setattr(check, "derivatives", damaged)
    outcome = check.check(program, 3)
    assert outcome.status == "fail", outcome


_DAMAGE_SOURCE = """\
import math

import numpy as np


def f(x, y):
    return math.sin(x) * sum(y) + x * x * y[1]
"""


def test_second_order_exists():
    """Second order works on straight-line scalar code (the fuzz test above
    relies on it)."""
    def_src = "import math\n\n\ndef f(x):\n    return x * x * math.sin(x)\n"
    f = check.load(def_src).f
    x = 1.2
    want = 2 * math.sin(x) + 4 * x * math.cos(x) - x * x * math.sin(x)
    for mode in ("reverse", "forward"):
        assert wengert.grad(wengert.grad(f), mode=mode)(x) == pytest.approx(want, rel=1e-12)
