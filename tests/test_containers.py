"""Gradients with respect to dicts, lists and tuples of arrays (parameters
passed as one container, as in JAX-style code): the adjoints of the items
read at constant keys are gathered into one container
(``runtime.items_adjoint``), with zeros only for the items not read."""

import collections
import math

import numpy as np
import pytest

import wengert
from wengert import runtime


def mlp(params, X):
    h = np.tanh(X @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.sum(out ** 2) + 0.1 * np.sum(params["W1"] ** 2)     # W1 read twice


def from_list(ws, x):
    return np.sum(np.sin(ws[0] * x) + ws[-1] * ws[1] ** 2)


def from_tuple(ws, x):
    return np.sum(ws[2] * x + ws[0])


def mlp_flat(W1, b1, W2, b2, X):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.sum(out ** 2) + 0.1 * np.sum(W1 ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dict_of_parameters_matches_separate_arguments(mode, dtype):
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5),
              "unused": rng.normal(size=3), "W2": rng.normal(size=(5, 2)),
              "b2": rng.normal(size=2)}
    params = {k: v.astype(dtype) for k, v in params.items()}
    X = rng.normal(size=(6, 4)).astype(dtype)
    g = wengert.grad(mlp, mode=mode)(params, X)
    assert list(g) == list(params)                       # the caller's key order
    want = wengert.grad(mlp_flat, wrt=(0, 1, 2, 3))(params["W1"], params["b1"],
                                                     params["W2"], params["b2"], X)
    tol = 1e-10 if dtype == np.float64 else 1e-4
    for k, w in zip(("W1", "b1", "W2", "b2"), want):
        np.testing.assert_allclose(g[k], w, rtol=tol, atol=tol)
        assert g[k].dtype == dtype
    assert not np.any(g["unused"]) and g["unused"].shape == (3,)


def central_item(f, params, key, i, *rest, h=1e-6):
    """The central difference of ``f(params, *rest)`` along entry ``i`` of
    ``params[key]``."""
    e = np.zeros_like(params[key])
    e.flat[i] = h
    up, down = dict(params), dict(params)
    up[key], down[key] = params[key] + e, params[key] - e
    return (f(up, *rest) - f(down, *rest)) / (2 * h)


def test_finite_differences_for_one_item():
    rng = np.random.default_rng(1)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4),
              "W2": rng.normal(size=(4, 2)), "b2": rng.normal(size=2)}
    X = rng.normal(size=(5, 3))
    g = wengert.grad(mlp)(params, X)
    for k in params:
        assert g[k].flat[1] == pytest.approx(central_item(mlp, params, k, 1, X), rel=1e-6)


@pytest.mark.parametrize("f, container", [(from_list, list), (from_tuple, tuple)])
def test_lists_and_tuples_with_negative_indices(f, container):
    rng = np.random.default_rng(2)
    ws = container(rng.normal(size=3) for _ in range(3))
    x = rng.normal(size=3)
    g = wengert.grad(f)(ws, x)
    assert type(g) is container and len(g) == 3
    h = 1e-6
    for i in range(3):
        for j in range(3):
            up, down = list(ws), list(ws)
            e = np.zeros(3)
            e[j] = h
            up[i], down[i] = ws[i] + e, ws[i] - e
            want = (f(container(up), x) - f(container(down), x)) / (2 * h)
            assert g[i][j] == pytest.approx(want, rel=1e-6, abs=1e-9)


def test_gradients_are_the_callers_own_arrays():
    rng = np.random.default_rng(3)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4),
              "W2": rng.normal(size=(4, 2)), "b2": rng.normal(size=2)}
    X = rng.normal(size=(5, 3))
    before = {k: v.copy() for k, v in params.items()}
    g = wengert.grad(mlp)(params, X)
    for k in g:
        g[k] *= 0.5                               # writable, and no input changes
        np.testing.assert_array_equal(params[k], before[k])


def test_one_container_of_adjoints_in_the_generated_code():
    params = {"W1": np.ones((3, 4)), "b1": np.ones(4), "W2": np.ones((4, 2)),
              "b2": np.ones(2)}
    d = wengert.grad(mlp)
    d(params, np.ones((5, 3)))
    assert d.source.count("items_adjoint(params") == 1 and "accumulate" not in d.source, \
        d.source


def test_items_adjoint_equals_accumulated_item_adjoints():
    rng = np.random.default_rng(4)
    x = {"a": rng.normal(size=3).astype(np.float32), "b": 2.0, "c": np.arange(3),
         "d": rng.normal(size=(2, 2))}
    cases = [(("a", "d"), (rng.normal(size=3).astype(np.float32), rng.normal(size=(2, 2)))),
             (("a", "a", "b"), (np.ones(3), np.ones(3), 0.5)),           # repeats add
             (("c", "d"), (np.ones(3), np.broadcast_to(1.0, (2, 2))))]   # int item; a view
    for keys, ts in cases:
        want = runtime.getitem_adjoint(ts[0], x, keys[0])
        for k, t in zip(keys[1:], ts[1:]):
            want = runtime.accumulate(want, runtime.getitem_adjoint(t, x, k))
        got = runtime.items_adjoint(x, keys, *ts)
        assert list(got) == list(want)
        for k in want:
            np.testing.assert_array_equal(got[k], want[k])
            assert np.result_type(got[k]) == np.result_type(want[k])
            if isinstance(got[k], np.ndarray):
                assert got[k].flags.writeable
    seq = [np.ones(2), np.ones(2), 1.0]
    got = runtime.items_adjoint(seq, (-1, 0, 2), 3.0, np.full(2, 2.0), 1.0)
    assert type(got) is list and got[2] == 4.0 and list(got[0]) == [2.0, 2.0] and \
        not np.any(got[1])
    arr = np.ones(3)                   # the same code may see an array: as before
    np.testing.assert_array_equal(runtime.items_adjoint(arr, (0, 2, 0), 1.0, 2.0, 3.0),
                                  [4.0, 0.0, 2.0])


WEIGHTS = np.arange(3.0)


def weighted_item(p):
    return np.sum(p["a"] * WEIGHTS) + np.sum(p["b"] * p["c"])


def test_specialised_item_gradients_are_never_the_callers_arrays():
    p = {"a": np.ones(3), "b": np.full(3, 2.0), "c": np.full(3, 3.0)}
    for mode in ("reverse", "forward"):
        g = wengert.grad(weighted_item, mode=mode)(p)
        np.testing.assert_array_equal(g["a"], WEIGHTS)
        np.testing.assert_array_equal(g["b"], p["c"])
        for v in g.values():
            assert all(v is not x for x in [WEIGHTS, *p.values()])


def test_code_is_specialised_to_the_items_and_guarded_by_them():
    rng = np.random.default_rng(5)
    d = wengert.grad(mlp)
    small = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4),
             "W2": rng.normal(size=(4, 2)), "b2": rng.normal(size=2)}
    d(small, np.ones((5, 3)))
    assert "'W1': <f8[3,4]" in d.source and "matmul_adjoint" not in d.source, d.source
    # other shapes, another key, a float32 item, an int item, a nested dict: each
    # gets code of its own (or the general code) and the right numbers
    big = {k: np.concatenate([v, v]) if v.ndim == 1 else np.tile(v, (2, 2))
           for k, v in small.items()}
    X = rng.normal(size=(5, 6))
    variants = [(big, X), (dict(small, extra=np.ones(2)), np.ones((5, 3))),
                (dict(small, b2=small["b2"].astype(np.float32)), np.ones((5, 3)))]
    for params, x in variants:
        g = d(params, x)
        want = wengert.grad(mlp_flat, wrt=(0, 1, 2, 3))(params["W1"], params["b1"],
                                                        params["W2"], params["b2"], x)
        for k, w in zip(("W1", "b1", "W2", "b2"), want):
            np.testing.assert_allclose(g[k], w, rtol=1e-6)
        assert set(g) == set(params)
    assert len(d._keys) == 4


def nested(p, x):
    return np.sum(p["layer"]["w"] * x) + p["scale"] * np.sum(x)


def test_nested_and_mixed_containers_use_the_general_code():
    p = {"layer": {"w": np.ones(3)}, "scale": 2.0}
    g = wengert.grad(nested)(p, np.arange(3.0))
    np.testing.assert_array_equal(g["layer"]["w"], np.arange(3.0))
    assert g["scale"] == pytest.approx(3.0)


def picked_log_softmax(params, X, labels):
    z = X @ params["W"] + params["b"]
    m = np.max(z, axis=1, keepdims=True)
    logp = z - m - np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
    return -np.mean(np.take_along_axis(logp, labels[:, None], axis=1))


def test_classifier_with_dict_parameters_is_fully_specialised():
    rng = np.random.default_rng(6)
    params = {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=3)}
    X, labels = rng.normal(size=(5, 4)), np.array([0, 2, 1, 1, 0])
    d = wengert.grad(picked_log_softmax)
    g = d(params, X, labels)
    # the adjoint of take_along_axis has the array's kind: no general helpers left
    assert "unbroadcast" not in d.source and "tie_share" not in d.source, d.source
    for k in params:
        want = central_item(picked_log_softmax, params, k, 2, X, labels)
        assert g[k].flat[2] == pytest.approx(want, rel=1e-6)


def nested_mlp(params, X):
    h = np.tanh(X @ params["l1"]["W"] + params["l1"]["b"])
    out = h @ params["l2"][0] + params["l2"][1]
    return np.sum(out ** 2) + params["scale"] * np.sum(h)


def test_nested_containers_are_specialised_to_their_leaves():
    rng = np.random.default_rng(7)
    params = {"l1": {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=4)},
              "l2": [rng.normal(size=(4, 2)), rng.normal(size=2)], "scale": 0.5}
    X = rng.normal(size=(5, 3))
    for mode in ("reverse", "forward"):
        d = wengert.grad(nested_mlp, mode=mode)
        g = d(params, X)
        assert type(g["l2"]) is list and set(g) == set(params)
        if mode == "reverse":
            assert "'l1': {'W': <f8[3,4]" in d.source and "matmul_adjoint" not in d.source, \
                d.source
        h = 1e-6
        for path in (("l1", "W"), ("l1", "b"), ("l2", 0), ("l2", 1)):
            up, down = _copy(params), _copy(params)
            up[path[0]][path[1]].flat[1] += h
            down[path[0]][path[1]].flat[1] -= h
            want = (nested_mlp(up, X) - nested_mlp(down, X)) / (2 * h)
            assert g[path[0]][path[1]].flat[1] == pytest.approx(want, rel=1e-6), (mode, path)
        want = (nested_mlp(dict(params, scale=0.5 + h), X) -
                nested_mlp(dict(params, scale=0.5 - h), X)) / (2 * h)
        assert g["scale"] == pytest.approx(want, rel=1e-6)
    # a layer reassigned in the function: its items are not assumed
    g = wengert.grad(relayered)(params, X)
    up, down = _copy(params), _copy(params)
    up["l1"]["W"][1, 2] += 1e-6
    down["l1"]["W"][1, 2] -= 1e-6
    assert g["l1"]["W"][1, 2] == pytest.approx(
        (relayered(up, X) - relayered(down, X)) / 2e-6, rel=1e-6)


def _copy(params):
    return {"l1": {k: v.copy() for k, v in params["l1"].items()},
            "l2": [v.copy() for v in params["l2"]], "scale": params["scale"]}


def relayered(params, X):
    layer = params["l1"]
    s = np.sum(X @ layer["W"])
    layer = {"W": layer["W"] * 2.0, "b": layer["b"]}
    return s + np.sum(layer["W"] ** 2)


def total_of(xs, w):
    return w * sum(xs)


def test_containers_of_many_lengths_stop_being_specialised():
    d = wengert.grad(total_of, wrt=1)
    for n in range(1, 15):
        assert d([1.0] * n, 2.0) == pytest.approx(float(n))
    # one build per length up to the dispatcher's inline limit, then one for any list
    assert len(d._keys) == 9
    assert d([0.5] * 20, 2.0) == pytest.approx(10.0) and len(d._keys) == 9


# -- items assigned in lists and dicts the function builds; list.extend --------

def dict_items_assigned(x):
    d = {"a": x[0], "b": x[1] * 2}
    d["c"] = d["a"] * d["b"]            # a new key
    d["a"] = d["a"] + 1.0               # an existing one
    return d["c"] + d["a"] * d["b"]


def list_items_assigned(x):
    out = [x[0], x[1], 0.0]
    out[2] = out[0] * out[1]
    for i in range(3):
        out[i] = out[i] ** 2
    parts = [x[:2], x[2:]]
    parts[1] = np.sin(parts[1])
    return out[0] + out[1] * out[2] + np.sum(parts[0]) * np.sum(parts[1])


def extended(x):
    out = []
    for i in range(3):
        out.append(x[i] * (i + 1))
    out.extend([x[0], x[1]])
    out.extend(x[2:])                   # an array's items
    return np.sum(np.array(out) ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("f", [dict_items_assigned, list_items_assigned, extended])
def test_items_assigned_and_lists_extended(mode, optimize, f):
    x = np.array([0.3, -1.2, 0.8, 0.5])
    g = wengert.grad(f, mode=mode, optimize=optimize)(x)
    h = 1e-6
    want = [(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(4)]
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-8)


def test_an_augmented_assignment_to_a_list_item_is_refused():
    def f(x):
        parts = [x[:2], x[2:]]
        parts[0] *= 2.0                 # Python would double x[:2] in place
        return np.sum(x) + np.sum(parts[0])
    with pytest.raises(wengert.UnsupportedSyntaxError, match="item of the list or dict `parts`"):
        wengert.grad(f)(np.ones(4))


def mixed_params(p):
    return p["w"] @ p["w"] * p["b"] + p["b"] ** 2 + p["c"]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_python_float_item_gets_a_python_float_gradient(mode):
    """A gradient has its input's type, item by item: the float beside an
    array in a dict of parameters was an np.float64 before."""
    g = wengert.grad(mixed_params, mode=mode)({"w": np.ones(2), "b": 0.5, "c": 2.0})
    assert type(g["b"]) is float and type(g["c"]) is float
    assert g["b"] == pytest.approx(2.0 + 1.0) and g["c"] == 1.0
    np.testing.assert_allclose(g["w"], [1.0, 1.0])


def _copies_the_list(ws):
    ws = list(ws)
    return np.sum(ws[0] * ws[1])


def _tuple_of_the_list(ws):
    t = tuple(ws)
    return np.sum(t[0] * t[1])


def _unpacks_a_pair(p):
    w, s = p
    return np.sum(w) * s


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f", [_copies_the_list, _tuple_of_the_list])
def test_a_list_copied_first_gets_a_list_gradient(f, mode):
    a = [np.array([1.0, 2.0]), np.array([3.0, 4.0])]
    g = wengert.grad(f, mode=mode)(a)
    assert type(g) is list
    np.testing.assert_allclose(g[0], a[1])
    np.testing.assert_allclose(g[1], a[0])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_python_float_item_gets_a_python_float_gradient(mode):
    g = wengert.grad(_unpacks_a_pair, mode=mode)((np.array([1.0, 2.0]), 0.5))
    assert type(g) is tuple and type(g[1]) is float and g[1] == 3.0
    np.testing.assert_allclose(g[0], [0.5, 0.5])


def _reads_two_of_three(c, x):
    return c[0] * x + c[1]                # c[2] is not read


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("scalar", [np.float32, np.float64])
def test_numpy_scalar_items_get_gradients_of_their_type(scalar, mode):
    c = [scalar(1.0), scalar(2.0), scalar(3.0)]
    g = wengert.grad(_reads_two_of_three, mode=mode)(c, 0.5)
    assert type(g) is list and [type(v) for v in g] == [scalar] * 3, [type(v) for v in g]
    assert [float(v) for v in g] == [0.5, 1.0, 0.0]


def _concat_constant_first(w):
    b = [3.0] + [w, w * w]
    return b[0] + b[1] + b[2]


def _vstack_with_constant_row(y0, w):
    rows = [y0 * w, y0 * w * w]
    return np.sum(np.vstack([y0] + rows))


def _constant_list_after_a_loop(w):
    ys = []
    for i in range(1, 4):
        ys.append(w ** i)
    return sum([1.0] + ys + [2.0])


@pytest.mark.parametrize("mode", ["auto", "reverse", "forward"])
def test_concatenation_with_a_constant_list(mode):
    """A constant list's tangent is zeros as long as it, not one 0.0
    (``seq_concat(0.0, [...])`` was a TypeError in forward mode)."""
    assert wengert.grad(_concat_constant_first, mode=mode)(1.5) == pytest.approx(4.0)
    y0 = np.array([1.0, 2.0])
    assert wengert.grad(_vstack_with_constant_row, wrt=1, mode=mode)(y0, 1.5) == \
        pytest.approx(12.0)
    assert wengert.grad(_constant_list_after_a_loop, mode=mode)(1.5) == \
        pytest.approx(1 + 3.0 + 3 * 2.25)
    assert wengert.jvp(_concat_constant_first, (1.5,), (1.0,)) == pytest.approx((6.75, 4.0))


def _through_float64_data(p, x):
    return np.sum(np.tanh(x @ p["W"])) + np.sum(p["v"] * x[0])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_float32_items_meeting_float64_data_keep_float32(mode):
    """A gradient has its input's type: a float32 item of a dict, list or
    tuple too, though its adjoint met float64 data (reverse mode converts)."""
    W = np.full((2, 2), 0.3, np.float32)
    v = np.array([0.5, -1.0], np.float32)
    x = np.array([[1.0, 2.0]])
    g = wengert.grad(_through_float64_data, mode=mode)({"W": W, "v": v}, x)
    assert g["W"].dtype == np.float32 and g["v"].dtype == np.float32
    want = wengert.grad(_through_float64_data, mode=mode)(
        {"W": W.astype(np.float64), "v": v.astype(np.float64)}, x)
    np.testing.assert_allclose(g["W"], want["W"], rtol=1e-6)
    h = wengert.hvp(lambda p, x: _through_float64_data(p, x))(
        {"W": W, "v": v}, x, {"W": np.ones_like(W), "v": np.ones_like(v)})
    assert h["W"].dtype == np.float32


def _unpacked(ps, x):
    W, v = ps
    return np.sum(np.tanh(x @ W) @ v) + np.sum(ps[1] ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_list_unpacked_gets_a_list_gradient(mode):
    ps = [np.full((2, 2), 0.3), np.array([1.0, -1.0])]
    x = np.array([[1.0, 2.0]])
    g = wengert.grad(_unpacked, mode=mode)(ps, x)
    assert type(g) is list
    t = wengert.grad(_unpacked, mode=mode)(tuple(ps), x)
    assert type(t) is tuple
    np.testing.assert_allclose(g[1], t[1])
    assert type(wengert.hvp(_unpacked)(ps, x, [np.ones((2, 2)), np.ones(2)])) is list


def _labelled(d):
    return d["w"] * 2.0 if d["kind"] == "lin" else np.sum(d["w"] ** 2)


def _configured(cfg, x):
    s = 0.0
    for layer in cfg["layers"]:
        s = s + layer["w"] * x if layer["act"] == "lin" else s + np.tanh(layer["w"] * x)
    return s


@pytest.mark.parametrize("mode", ("reverse", "forward"))
def test_string_bytes_and_none_items_have_no_gradient(mode):
    # a label or an option in a container: its gradient is None in both modes
    # (was an empty string array in reverse mode, 0.0 in forward mode)
    assert wengert.grad(_labelled, mode=mode)({"w": 1.5, "kind": "lin"}) == \
        {"w": 2.0, "kind": None}
    g = wengert.grad(_labelled, mode=mode)({"w": np.array([1.5, 2.0]), "kind": "sq",
                                            "tag": b"x", "o": None})
    assert g["w"].tolist() == [3.0, 4.0] and g["kind"] is g["tag"] is g["o"] is None
    cfg = {"layers": [{"w": 1.5, "act": "lin"}, {"w": 0.5, "act": "tanh", "note": None}]}
    g = wengert.grad(_configured, mode=mode)(cfg, 0.3)
    assert [layer["act"] for layer in g["layers"]] == [None, None]
    assert g["layers"][1]["note"] is None
    assert g["layers"][0]["w"] == pytest.approx(0.3)
    assert g["layers"][1]["w"] == pytest.approx(0.3 * (1 - np.tanh(0.15) ** 2))


_Pair = collections.namedtuple("_Pair", "a b")


def _pair_unpacked(p):
    a, b = p
    return a * b + math.sin(p[0])


def _pair_indexed(p):
    return p[0] * 2.0


@pytest.mark.parametrize("mode", ("reverse", "forward"))
def test_a_namedtuple_gradient_is_that_namedtuple(mode):
    # reverse mode returned a plain tuple
    g = wengert.grad(_pair_unpacked, mode=mode)(_Pair(1.5, 2.0))
    assert type(g) is _Pair
    assert g.a == pytest.approx(2.0 + math.cos(1.5)) and g.b == pytest.approx(1.5)
    g = wengert.grad(_pair_indexed, mode=mode)(_Pair(1.5, 2.0))
    assert type(g) is _Pair and g == (2.0, 0.0)
    g = wengert.grad(_pair_unpacked, mode=mode)(_Pair(np.float32(1.5), np.float32(2.0)))
    assert type(g) is _Pair and type(g.a) is np.float32


@pytest.mark.parametrize("mode", ("reverse", "forward"))
def test_a_0d_array_item_gradient_is_a_0d_array(mode):
    # was a NumPy float64 scalar (the value right, the type not the item's)
    def f(p):
        return p["c"] ** 2 + p["w"] * 3.0
    g = wengert.grad(f, mode=mode)({"c": np.array(2.0), "w": np.array(1.0, dtype=np.float32)})
    assert type(g["c"]) is np.ndarray and g["c"].shape == () and g["c"] == 4.0
    assert type(g["w"]) is np.ndarray and g["w"].dtype == np.float32 and g["w"] == 3.0
