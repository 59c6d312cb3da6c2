"""The GradBench tool (benchmarks/gradbench/): every module driven through the
protocol at small sizes, its replies checked against the specification's
message format, values against plain-NumPy references written here from the
definitions, and derivatives against central finite differences of those
references. Also: the tool as a process (stdout holds only responses, exit 0
at end of input) and the relay with the local evals end to end."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import wengert

ROOT = Path(__file__).resolve().parents[1]
GRADBENCH = ROOT / "benchmarks" / "gradbench"


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


tool = load("gradbench_tool", GRADBENCH / "tool.py")


# --------------------------------------------------------------------------
# a session with the tool, checking every response's format


def no_constants(name):
    raise AssertionError(f"{name} in a response")


class Session:
    def __init__(self):
        self.tool = tool.Tool()
        self.next_id = 0

    def send(self, kind, **fields):
        msg = {"id": self.next_id, "kind": kind, **fields}
        self.next_id += 1
        line = tool.encode(self.tool.handle(json.loads(json.dumps(msg))))
        assert "\n" not in line
        reply = json.loads(line, parse_constant=no_constants)
        assert isinstance(reply, dict) and reply["id"] == msg["id"]
        if kind in ("define", "evaluate"):
            assert isinstance(reply["success"], bool)
            assert not (reply["success"] and "error" in reply)
            for t in reply.get("timings", []):
                assert set(t) == {"name", "nanoseconds"} and isinstance(t["name"], str)
                assert type(t["nanoseconds"]) is int and t["nanoseconds"] >= 0
        if kind == "evaluate" and reply["success"]:
            assert "output" in reply
            runs = [t for t in reply["timings"] if t["name"] == "evaluate"]
            inp = fields["input"]
            assert len(runs) >= (inp.get("min_runs", 1) if isinstance(inp, dict) else 1)
        if kind not in ("start", "define", "evaluate"):
            assert reply == {"id": msg["id"]}
        return reply

    def define(self, module):
        assert self.send("start", eval=module)["tool"] == "wengert"
        reply = self.send("define", module=module)
        assert reply["success"], reply.get("error")

    def evaluate(self, module, function, inp, min_runs=1):
        inp = dict(inp, min_runs=min_runs, min_seconds=0.0)
        reply = self.send("evaluate", module=module, function=function, input=inp)
        assert reply["success"], reply.get("error")
        self.send("analysis", of=self.next_id - 1, valid=True)
        return reply["output"]


def central(f, x, eps=1e-6):
    """Central differences of a scalar function of an array, entry by entry."""
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        g[idx] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def close(got, expected, tol=1e-6):
    np.testing.assert_allclose(np.array(got, dtype=float), np.array(expected, dtype=float),
                               rtol=tol, atol=tol)


# --------------------------------------------------------------------------
# the protocol


def test_start_define_and_unknown_things():
    s = Session()
    assert set(s.send("start", eval="ba")) == {"id", "tool", "config"}
    reply = s.send("define", module="ba")
    assert reply["success"] is False and "ba" in reply["error"]
    s.define("hello")
    reply = s.send("evaluate", module="hello", function="cube", input=2.0)
    assert reply["success"] is False and "cube" in reply["error"]
    assert s.send("something new") == {"id": s.next_id - 1}


def test_hello():
    s = Session()
    s.define("hello")
    x = 1.0
    for _ in range(4):
        y = s.send("evaluate", module="hello", function="square", input=x)
        assert y["output"] == x * x and len(y["timings"]) == 1
        s.send("analysis", of=s.next_id - 1, valid=True)
        x = s.send("evaluate", module="hello", function="double", input=y["output"])["output"]
        assert x == 2 * y["output"]
    assert x == 32768.0


def test_timings_honour_min_runs_and_the_first_call_is_untimed():
    s = Session()
    s.define("lse")
    reply = s.send("evaluate", module="lse", function="gradient",
                   input={"x": [0.1, 0.2, 0.3], "min_runs": 4, "min_seconds": 0.0})
    names = [t["name"] for t in reply["timings"]]
    assert names == ["specialise"] + ["evaluate"] * 4
    reply = s.send("evaluate", module="lse", function="gradient",
                   input={"x": [0.3, 0.2, 0.1], "min_runs": 1, "min_seconds": 0.01})
    runs = [t["nanoseconds"] for t in reply["timings"]]
    assert all(t["name"] == "evaluate" for t in reply["timings"])
    assert sum(runs) >= 1e7


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_errors_become_failed_replies_and_the_tool_goes_on():
    s = Session()
    s.define("lse")
    reply = s.send("evaluate", module="lse", function="primal", input={"y": []})
    assert reply["success"] is False and "KeyError" in reply["error"]
    reply = s.send("evaluate", module="lse", function="primal",
                   input={"x": [1e308, float("inf")], "min_runs": 1, "min_seconds": 0})
    assert reply["success"] is False            # no NaN or infinity in the output
    assert s.evaluate("lse", "primal", {"x": [0.0, 0.0]}) == pytest.approx(math.log(2))


# --------------------------------------------------------------------------
# the modules, against references written from the definitions


def test_lse():
    x = np.random.default_rng(1).random(7)
    s = Session()
    s.define("lse")
    ref = lambda v: math.log(sum(math.exp(t) for t in v))  # noqa: E731
    close(s.evaluate("lse", "primal", {"x": x.tolist()}, min_runs=2), ref(x))
    close(s.evaluate("lse", "gradient", {"x": x.tolist()}), central(ref, x))


def test_llsq():
    x, n = np.random.default_rng(2).random(5), 9

    def ref(x):
        total = 0.0
        for i in range(n):
            t = -1 + i * 2 / (n - 1)
            r = (t > 0) - (t < 0) - sum(x[j] * t ** j for j in range(len(x)))
            total += r * r
        return total / 2
    s = Session()
    s.define("llsq")
    close(s.evaluate("llsq", "primal", {"x": x.tolist(), "n": n}), ref(x))
    close(s.evaluate("llsq", "gradient", {"x": x.tolist(), "n": n}), central(ref, x))


def rk4(x, steps):
    n = len(x)
    g = lambda y: [x[0]] + [x[i] * y[i - 1] for i in range(1, n)]  # noqa: E731
    h, y = 2.0 / steps, [0.0] * n
    for _ in range(steps):
        k1 = g(y)
        k2 = g([a + h / 2 * b for a, b in zip(y, k1)])
        k3 = g([a + h / 2 * b for a, b in zip(y, k2)])
        k4 = g([a + h * b for a, b in zip(y, k3)])
        y = [a + h / 6 * (p + 2 * q + 2 * r + w) for a, p, q, r, w in zip(y, k1, k2, k3, k4)]
    return y


@pytest.mark.parametrize("n, steps", [(5, 3), (12, 2)])
def test_ode(n, steps):
    x = np.random.default_rng(3).random(n)
    s = Session()
    s.define("ode")
    close(s.evaluate("ode", "primal", {"x": x.tolist(), "s": steps}), rk4(x, steps))
    grad = s.evaluate("ode", "gradient", {"x": x.tolist(), "s": steps})
    close(grad, central(lambda v: rk4(v, steps)[-1], x))
    if 4 * steps < n:            # the last component cannot have moved yet
        assert grad == [0.0] * n


def test_det():
    ell = 4
    A = np.random.default_rng(4).random(ell * ell)
    ref = lambda a: np.linalg.det(a.reshape(ell, ell))  # noqa: E731
    s = Session()
    s.define("det")
    close(s.evaluate("det", "primal", {"A": A.tolist(), "ell": ell}), ref(A))
    grad = s.evaluate("det", "gradient", {"A": A.tolist(), "ell": ell})
    assert len(grad) == ell * ell
    close(grad, central(ref, A))


@pytest.mark.parametrize("ell", [1, 2, 3, 5, 6])
def test_det_with_shared_minors_is_the_recursion_bit_for_bit(ell):
    det = load("gradbench_det", GRADBENCH / "evals" / "det.py")
    A = np.random.default_rng(ell).random(ell * ell)
    assert det.det_shared_minors(A, ell) == det.det(A, ell)
    grad = wengert.grad(det.det_shared_minors)(A, ell)
    M = A.reshape(ell, ell)
    close(grad, (np.linalg.det(M) * np.linalg.inv(M).T).ravel())


def _definition_det(A, ell, row, cols):
    """The eval's recursion as defined: a 1 x 1 base case only."""
    if len(cols) == 1:
        return A[row * ell + cols[0]]
    total, sign = 0.0, 1.0
    for j in range(len(cols)):
        rest = cols[:j] + cols[j + 1:]
        total = total + sign * A[row * ell + cols[j]] * _definition_det(A, ell, row + 1, rest)
        sign = -sign
    return total


@pytest.mark.parametrize("ell", [2, 3, 5, 6])
def test_det_with_its_2x2_base_case_is_the_definition_bit_for_bit(ell):
    det = load("gradbench_det", GRADBENCH / "evals" / "det.py")
    for seed in range(20):
        A = np.random.default_rng(seed).random(ell * ell) - 0.5
        assert det.det(A, ell) == _definition_det(A, ell, 0, list(range(ell)))


def test_tool_flag_det_shared_minors():
    ell = 3
    A = np.random.default_rng(7).random(ell * ell)
    lines = [{"id": 0, "kind": "start", "eval": "det"},
             {"id": 1, "kind": "define", "module": "det"},
             {"id": 2, "kind": "evaluate", "module": "det", "function": "gradient",
              "input": {"A": A.tolist(), "ell": ell}}]
    out = subprocess.run([sys.executable, str(GRADBENCH / "tool.py"), "--det-shared-minors"],
                         input="".join(json.dumps(m) + "\n" for m in lines),
                         capture_output=True, text=True, timeout=120, check=True).stdout
    replies = [json.loads(line) for line in out.splitlines()]
    assert replies[0]["config"]["det"] == "shared-minors"
    assert replies[1]["success"] and replies[2]["success"]
    M = A.reshape(ell, ell)
    close(replies[2]["output"], (np.linalg.det(M) * np.linalg.inv(M).T).ravel())


def kmeans_cost(P, C):
    return sum(min(float(np.sum((p - c) ** 2)) for c in C) for p in P)


@pytest.mark.parametrize("k, n", [(3, 12), (4, 4)])
def test_kmeans(k, n):
    P = np.random.default_rng(5).random((n, 2))
    C = P[-k:]
    s = Session()
    s.define("kmeans")
    inp = {"points": P.tolist(), "centroids": C.tolist()}
    close(s.evaluate("kmeans", "cost", inp), kmeans_cost(P, C))
    direction = s.evaluate("kmeans", "dir", inp)
    assert len(direction) == k and all(len(row) == 2 for row in direction)
    eps = 1e-4                     # the cost is piecewise quadratic in C
    J = central(lambda c: kmeans_cost(P, c), C, eps)
    H = np.zeros_like(C)
    for idx in np.ndindex(C.shape):
        e = np.zeros_like(C)
        e[idx] = eps
        H[idx] = (kmeans_cost(P, C + e) - 2 * kmeans_cost(P, C) + kmeans_cost(P, C - e)) / eps ** 2
    close(direction, J / H, 1e-5)
    if k == n:
        assert direction == [[0.0, 0.0]] * k


def gmm_reference(x, alpha, mu, q, l, gamma, m):
    """The log-posterior, one point and one component at a time."""
    n, d = x.shape
    k = len(alpha)
    total = -n * d / 2 * math.log(2 * math.pi) - n * math.log(sum(math.exp(a) for a in alpha))
    for i in range(n):
        terms = []
        for j in range(k):
            Q = np.diag(np.exp(q[j]))
            c = 0
            for col in range(d):
                for row in range(col + 1, d):
                    Q[row, col] = l[j][c]
                    c += 1
            z = Q @ (x[i] - mu[j])
            terms.append(alpha[j] + np.sum(q[j]) - 0.5 * z @ z)
        total += math.log(sum(math.exp(t) for t in terms))
    n_prime = d + m + 1
    log_gamma = d * (d - 1) / 4 * math.log(math.pi) + sum(
        math.lgamma(n_prime / 2 + (1 - j) / 2) for j in range(1, d + 1))
    total += k * (n_prime * d * math.log(gamma / math.sqrt(2)) - log_gamma)
    total -= gamma ** 2 / 2 * (np.sum(np.exp(2 * q)) + np.sum(np.square(l)))
    return total + m * np.sum(q)


def test_gmm():
    d, k, n = 3, 2, 6
    rng = np.random.default_rng(31337)
    x, alpha = rng.normal(size=(n, d)), rng.normal(size=k)
    mu, q, l = rng.uniform(size=(k, d)), rng.normal(size=(k, d)), rng.normal(size=(k, 3))
    gamma, m = 0.7, 2
    inp = {"d": d, "k": k, "n": n, "x": x.tolist(), "m": m, "gamma": gamma,
           "alpha": alpha.tolist(), "mu": mu.tolist(), "q": q.tolist(), "l": l.tolist()}
    s = Session()
    s.define("gmm")
    close(s.evaluate("gmm", "objective", inp), gmm_reference(x, alpha, mu, q, l, gamma, m))
    jac = s.evaluate("gmm", "jacobian", inp)
    assert set(jac) == {"alpha", "mu", "q", "l"}
    args = dict(alpha=alpha, mu=mu, q=q, l=l)
    for key, value in args.items():
        f = lambda v: gmm_reference(x, **{**args, key: v}, gamma=gamma, m=m)  # noqa: E731
        assert np.shape(jac[key]) == value.shape
        close(jac[key], central(f, value), 1e-5)


def lstm_reference(main, extra, state, seq):
    layers, b = len(main) // 2, state.shape[1]
    h = [state[2 * i].copy() for i in range(layers)]
    cell = [state[2 * i + 1].copy() for i in range(layers)]
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    total = 0.0
    for t in range(len(seq) - 1):
        v = seq[t] * extra[0]
        for i in range(layers):
            w, beta = main[2 * i], main[2 * i + 1]
            f = sig(v * w[:b] + beta[:b])
            g_in = sig(h[i] * w[b:2 * b] + beta[b:2 * b])
            o = sig(v * w[2 * b:3 * b] + beta[2 * b:3 * b])
            g = np.tanh(h[i] * w[3 * b:] + beta[3 * b:])
            cell[i] = cell[i] * f + g_in * g
            h[i] = o * np.tanh(cell[i])
            v = h[i]
        y = v * extra[1] + extra[2]
        total += sum(seq[t + 1][j] * (y[j] - math.log(sum(np.exp(y)) + 2)) for j in range(b))
    return -total / ((len(seq) - 1) * b)


def test_lstm():
    layers, b, c = 2, 3, 5
    rng = np.random.default_rng(6)
    main, extra = rng.random((2 * layers, 4 * b)), rng.random((3, b))
    state, seq = rng.random((2 * layers, b)), (rng.random((c, b)) > 0.5).astype(float)
    inp = {"main_params": main.tolist(), "extra_params": extra.tolist(),
           "state": state.tolist(), "sequence": seq.tolist()}
    s = Session()
    s.define("lstm")
    # several runs: the last one's value is the reply, so an update of the
    # initial state in place would show
    close(s.evaluate("lstm", "objective", inp, min_runs=3),
          lstm_reference(main, extra, state, seq))
    jac = s.evaluate("lstm", "jacobian", inp)
    assert len(jac) == 8 * layers * b + 3 * b
    fd_main = central(lambda p: lstm_reference(p, extra, state, seq), main)
    fd_extra = central(lambda p: lstm_reference(main, p, state, seq), extra)
    close(jac, np.concatenate([fd_main.ravel(), fd_extra.ravel()]))


# the four nested variants (inner and outer mode), all differentiated by wengert
WORKING, DECLINED = ("rr", "fr", "ff", "rf"), ()


def test_particle():
    s = Session()
    s.define("particle")
    for variant in WORKING:         # started next to the answer: a short descent
        w = s.evaluate("particle", variant, {"w": 0.2071918746})
        assert abs(w - 0.2071918746486116) <= 1e-4
    for variant in DECLINED:
        reply = s.send("evaluate", module="particle", function=variant,
                       input={"w": 0.0, "min_runs": 1, "min_seconds": 0})
        assert reply["success"] is False and "forward-mode gradient" in reply["error"]


def test_particle_nested_derivatives_match_finite_differences():
    particle = importlib.import_module("benchmarks.gradbench.evals.particle")
    simulate = particle.make_simulation("reverse")
    eps = 1e-6
    fd = (simulate(0.1 + eps) - simulate(0.1 - eps)) / (2 * eps)
    for outer in ("reverse", "forward"):
        assert wengert.grad(simulate, mode=outer)(0.1) == pytest.approx(fd, rel=1e-6)


def test_saddle():
    s = Session()
    s.define("saddle")
    for variant in WORKING:
        out = s.evaluate("saddle", variant, {"start": [1.0, 1.0]})
        close(out, [8.246324826140356e-06] * 4, 1e-12)
    for variant in DECLINED:
        reply = s.send("evaluate", module="saddle", function=variant,
                       input={"start": [1.0, 1.0], "min_runs": 1, "min_seconds": 0})
        assert reply["success"] is False and "forward-mode gradient" in reply["error"]


# --------------------------------------------------------------------------
# processes: the tool on its own, and the relay with the local evals


def test_tool_process_answers_only_json_and_exits_at_end_of_input():
    messages = [{"id": 0, "kind": "start", "eval": "hello"},
                {"id": 1, "kind": "define", "module": "hello"},
                {"id": 2, "kind": "evaluate", "module": "hello", "function": "double",
                 "input": 3.0},
                {"id": 3, "kind": "analysis", "of": 2, "valid": True}]
    run = subprocess.run([sys.executable, str(GRADBENCH / "tool.py")],
                         input="".join(json.dumps(m) + "\n" for m in messages),
                         capture_output=True, text=True, timeout=60, cwd="/")
    assert run.returncode == 0, run.stderr
    replies = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["id"] for r in replies] == [0, 1, 2, 3]
    assert replies[2]["output"] == 6.0 and replies[3] == {"id": 3}


def test_relay_runs_local_evals_and_writes_the_table(tmp_path):
    page = tmp_path / "gradbench.md"
    run = subprocess.run([sys.executable, str(GRADBENCH / "relay.py"), "--evals", "hello,llsq",
                          "--size", "tiny", "--min-seconds", "0", "--markdown", str(page),
                          "--log-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "hello: success" in run.stdout and "llsq: success" in run.stdout
    text = page.read_text()
    assert "| llsq | success | n=6,m=4 |" in text
    log = [json.loads(line) for line in (tmp_path / "llsq.jsonl").read_text().splitlines()]
    assert log[0]["message"]["kind"] == "start" and "response" in log[1]


def test_relay_rejects_a_response_with_nan():
    relay = load("gradbench_relay", GRADBENCH / "relay.py")
    with pytest.raises(relay.ProtocolError, match="non-finite"):
        relay.check_response('{"id": 2, "success": true, "output": NaN}', {"id": 2,
                                                                            "kind": "evaluate"})
    with pytest.raises(relay.ProtocolError, match="no output"):
        relay.check_response('{"id": 2, "success": true}', {"id": 2, "kind": "evaluate"})
    with pytest.raises(relay.ProtocolError, match="bad timing"):
        relay.check_response('{"id": 1, "success": true, "timings": '
                             '[{"name": "evaluate", "nanoseconds": 1.5}]}',
                             {"id": 1, "kind": "define"})
