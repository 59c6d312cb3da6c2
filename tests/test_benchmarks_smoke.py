"""The benchmark harness on tiny inputs: its checks, not its timings.

Runs the logic of ``benchmarks/run.py --quick`` in-process with only the
hand-written gradients and wengert, on a few elements per array, and checks
that the harness tells right from wrong: a wrong gradient is reported WRONG
and not timed, a function wengert rejects is "unsupported", a crash is an
error, a call past the time limit is skipped. Speed is never asserted.
"""

import math
import os
import sys
import time

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir))

from benchmarks import harness as H  # noqa: E402
from benchmarks import report, run  # noqa: E402
from benchmarks import tools as T  # noqa: E402
from benchmarks import workloads as W  # noqa: E402

FAST = dict(size="tiny", repeat=2, target_s=1e-4, max_call_s=10.0, max_first_call_s=60.0,
            build_repeat=2)


def settings(**changes):
    return H.Settings(**{**FAST, **changes})


def one_workload(fn, grad, args, wrt=(0,), name="custom"):
    return W.Workload(name, name, fn, grad, wrt, lambda size: args, {"tiny": "test"})


# --------------------------------------------------------------------------
# the workloads themselves


def _directional_fd(wl, args, h=1e-6):
    """Central difference of ``fn`` along a random direction of the wrt inputs."""
    rng = np.random.default_rng(7)
    dirs = [rng.normal(size=np.shape(args[i])) if np.ndim(args[i]) else rng.normal()
            for i in wl.wrt]

    def along(s):
        moved = list(args)
        for i, v in zip(wl.wrt, dirs):
            moved[i] = args[i] + s * v
        return wl.fn(*moved)
    grads = H.reference(wl, args)
    return (along(h) - along(-h)) / (2 * h), sum(float(np.sum(g * v))
                                                 for g, v in zip(grads, dirs))


@pytest.mark.parametrize("wl", W.WORKLOADS, ids=lambda w: w.name)
def test_hand_written_gradient_matches_finite_differences(wl):
    fd, exact = _directional_fd(wl, wl.args("tiny"))
    assert fd == pytest.approx(exact, rel=1e-6, abs=1e-8)


def test_gmm_objective_is_the_gradbench_definition():
    for args in (W.gmm_inputs(3, 2, 5, m=2, gamma=0.7), W.gmm_inputs(2, 5, 30)):
        assert W.gmm_objective(*args) == pytest.approx(W.gmm_objective_naive(*args),
                                                       rel=1e-12)


def test_tril_scatter_fills_columns_in_order():
    # d = 3: l = [a, b, c] fills (1,0), (2,0), then (2,1)
    L = (np.array([1.0, 2.0, 3.0]) @ W.tril_scatter(3)).reshape(3, 3)
    assert L.tolist() == [[0, 0, 0], [1, 0, 0], [2, 3, 0]]


def test_rebind_swaps_numpy_for_every_function_of_the_module():
    marker = type("FakeNumpy", (), {"__getattr__": lambda self, name: getattr(np, name)})()
    ns = T.rebind(W, np=marker)
    assert ns["gmm_objective"].__globals__["np"] is marker
    assert ns["gmm_objective"].__globals__["gmm_constant"] is ns["gmm_constant"]
    assert W.gmm_objective.__globals__["np"] is np            # the original is untouched


# --------------------------------------------------------------------------
# the check


def test_compare():
    ref = (np.array([1.0, -2.0, 1e-12]),)
    assert H.compare((ref[0] * (1 + 1e-9),), ref, 1e-6) is None
    assert H.compare((ref[0] + np.array([0, 0, 1e-9]),), ref, 1e-6) is None  # near-zero entry
    assert "expected -2" in H.compare((ref[0] * np.array([1, 1.01, 1]),), ref, 1e-6)
    assert "shape" in H.compare((ref[0][:2],), ref, 1e-6)
    assert "non-finite" in H.compare((ref[0] * np.nan,), ref, 1e-6)
    assert "2 gradients" in H.compare(ref * 2, ref, 1e-6)


# --------------------------------------------------------------------------
# the harness end to end, hand-written and wengert only


def test_quick_suite_checks_and_times_every_cell():
    tools = [T.Tool(), T.Wengert("reverse"), T.Wengert("forward")]
    suite = H.run_suite(W.WORKLOADS, tools, settings(), with_build=True)
    for wl in W.WORKLOADS:
        for cell in suite.cells[wl.name]:
            assert cell.status in (H.OK, H.UNSUPPORTED), (wl.name, cell.tool, cell.message)
            if cell.status == H.OK:
                assert len(cell.samples) == 2 and cell.number >= 1
                assert all(s > 0 for s in cell.samples)
    assert [t.status for t in suite.build[:2]] == [H.OK, H.OK]
    suite.machine = report.machine(suite.tools)
    text = report.console_table(suite)
    page = report.markdown(suite, "performance.png")
    for wl in W.WORKLOADS:
        assert wl.title in text and wl.title in page
    assert "wengert reverse" in page and "## Method" in page


class Wrong(T.Tool):
    """The hand-written gradient, one percent off."""
    name, label = "wrong", "wrong"

    def prepare(self, wl, args):
        return lambda: tuple(1.01 * g for g in H.reference(wl, args))

    def to_numpy(self, result, n):
        return result


def test_a_wrong_gradient_is_reported_wrong_and_not_timed():
    wl = W.by_name(["logreg"])[0]
    suite = H.run_suite([wl], [T.Tool(), Wrong(), T.Wengert("reverse")], settings(),
                        with_build=False)
    hand, wrong, rev = suite.cells["logreg"]
    assert wrong.status == H.WRONG and "expected" in wrong.message
    assert wrong.samples == [] and math.isnan(wrong.median)
    assert hand.status == rev.status == H.OK
    assert "WRONG" in report.console_table(suite)


def test_a_wrong_reference_makes_wengert_wrong():
    wl = one_workload(W.poly, lambda x: 4.0 * x, (1.5,))            # should be 4x - 1
    cells = H.run_workload(wl, [T.Tool(), T.Wengert("reverse")], settings())
    assert cells[1].status == H.WRONG


def uses_try(x):
    try:
        y = x * x
    except ValueError:
        y = x
    return y


def test_what_wengert_rejects_is_unsupported_with_the_first_line_of_the_error():
    wl = one_workload(uses_try, lambda x: 2 * x, (3.0,))
    cells = H.run_workload(wl, [T.Tool(), T.Wengert("reverse")], settings())
    assert cells[1].status == H.UNSUPPORTED
    assert "try" in cells[1].message and "\n" not in cells[1].message
    assert cells[1].samples == []


class Crashes(T.Tool):
    name, label = "crash", "crash"

    def prepare(self, wl, args):
        def call():
            raise RuntimeError("boom\nsecond line")
        return call


class Slow(T.Tool):
    name, label = "slow", "slow"

    def prepare(self, wl, args):
        return lambda: (time.sleep(0.5), wl.grad(*args))[1]


def test_errors_and_slow_tools_are_reported_not_raised():
    wl = W.by_name(["poly"])[0]
    cells = H.run_workload(wl, [T.Tool(), Crashes(), Slow()],
                           settings(max_call_s=0.05, max_first_call_s=5.0))
    assert (cells[1].status, cells[1].message) == (H.ERROR, "RuntimeError: boom")
    assert cells[2].status == H.SKIPPED and "0.05 s" in cells[2].message


def test_forward_mode_is_skipped_past_the_jvp_limit():
    wl = W.by_name(["mlp"])[0]
    cells = H.run_workload(wl, [T.Tool(), T.Wengert("forward", max_jvps=10)], settings())
    assert cells[1].status == H.SKIPPED and "JVPs" in cells[1].message


def test_command_line_writes_the_report(tmp_path, capsys):
    md, js = tmp_path / "performance.md", tmp_path / "raw.json"
    code = run.main(["--quick", "--size", "tiny", "--repeat", "2", "--target-ms", "0.1",
                     "--tools", "wengert_rev", "--only", "poly,rosenbrock",
                     "--markdown", str(md), "--json", str(js)])
    assert code == 0
    out = capsys.readouterr().out
    assert "Rosenbrock" in out and "wengert reverse" in out
    page = md.read_text()
    assert "| Rosenbrock |" in page and "Python" in page
    assert '"rosenbrock"' in js.read_text()
    assert run.main(["--only", "nonsense"]) == 2
