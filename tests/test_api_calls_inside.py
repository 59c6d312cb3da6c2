"""A derivative called inside a differentiated function binds its arguments
as Python does; gradients are the caller's own writable arrays; has_aux, vjp
cotangents and optimize=False closures are refused in wengert's words; a
namedtuple's gradient is a namedtuple of its class."""

import collections

import numpy as np
import pytest

import wengert
from wengert.errors import UnsupportedSyntaxError, UsageError

from test_nondiff_audit import central_difference

MODES = ("reverse", "forward")
X = np.array([0.3, -0.8, 1.1])


def energy(x, k=1.0, p=2.0):
    return np.sum(k * np.sin(x) ** p)


def energy_kw(x, *, k=1.0, p=2.0):
    return np.sum(k * np.sin(x) ** p)


g_energy = wengert.grad(energy)
vg_energy = wengert.value_and_grad(energy)
g_energy_kw = wengert.grad(energy_kw)
g_energy_k = wengert.grad(energy, wrt="k")


def apply(f, x):
    return np.sum(f(x, p=3.0, k=2.0) ** 2)


def apply_defaults(f, x):
    return np.sum(f(x) ** 2)


# -- a derivative called inside: keywords by name, defaults filled in ------

CALLS = {
    "keywords in another order": lambda x: np.sum(g_energy(x, p=3.0, k=2.0) ** 2),
    "all by keyword": lambda x: np.sum(g_energy(p=3.0, x=x, k=2.0) ** 2),
    "defaults": lambda x: np.sum(g_energy(x) ** 2),
    "value_and_grad": lambda x: vg_energy(x, p=3.0, k=2.0)[0] +
    np.sum(vg_energy(x, p=3.0, k=2.0)[1] ** 2),
    "value_and_grad defaults": lambda x: np.sum(vg_energy(x)[1] ** 2),
    "keyword-only": lambda x: np.sum(g_energy_kw(x, p=3.0, k=2.0) ** 2),
    "keyword-only defaults": lambda x: np.sum(g_energy_kw(x) ** 2),
    "wrt a keyword": lambda x: g_energy_k(x, p=3.0, k=2.0 * x[0]),
    "made inside": lambda x: np.sum(wengert.grad(energy)(x, p=3.0, k=2.0) ** 2),
}


@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("mode", MODES)
def test_derivative_called_inside_binds_like_python(name, mode):
    f = CALLS[name]
    want = central_difference(f, (X,), 0)
    for optimize in (True, False):
        got = wengert.grad(f, mode=mode, optimize=optimize)(X)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("helper", (apply, apply_defaults))
@pytest.mark.parametrize("mode", MODES)
def test_derivative_passed_in_binds_like_python(helper, mode):
    got = wengert.grad(helper, wrt=1, mode=mode)(g_energy, X)
    want = central_difference(lambda x: helper(g_energy, x), (X,), 0)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_the_trial_reproducer_keywords_swapped():
    def energy3(x, k, p):
        return np.sum(k * x ** p)
    g = wengert.grad(energy3)

    def loss(x):
        return np.sum(g(x, p=2.0, k=5.0))
    for mode in MODES:
        np.testing.assert_allclose(wengert.grad(loss, mode=mode)(np.array([0.5, 1.5])),
                                   [10.0, 10.0])


@pytest.mark.parametrize("call, phrase", [
    (lambda x: np.sum(g_energy(x, q=1.0)), "unexpected keyword argument 'q'"),
    (lambda x: np.sum(g_energy(x, 1.0, 2.0, 3.0)), "too many positional arguments"),
    (lambda x: np.sum(g_energy(x, x=x)), "multiple values for argument 'x'"),
])
def test_a_call_that_does_not_fit_is_refused(call, phrase):
    for mode in MODES:
        with pytest.raises(UsageError, match="bad call to `energy_grad`") as err:
            wengert.grad(call, mode=mode)(X)
        assert phrase in str(err.value) and "test_api_calls_inside.py" in str(err.value)


# -- optimize=False: a closure passed to a helper, refused at the user's code ----

def _apply_scalar(f, x):
    return f(x)


def _loss_closure(w):
    f = lambda x: w * x ** 2     # noqa: E731
    return _apply_scalar(f, 2.0)


@pytest.mark.parametrize("mode", MODES)
def test_closure_passed_to_helper_without_optimize_is_refused_at_the_call(mode):
    assert wengert.grad(_loss_closure, mode=mode)(0.7) == pytest.approx(4.0)
    with pytest.raises((UnsupportedSyntaxError, wengert.errors.NoRuleError)) as err:
        wengert.grad(_loss_closure, mode=mode, optimize=False)(0.7)
    text = str(err.value)
    assert "runtime.py" not in text and "test_api_calls_inside.py" in text
    assert "optimize=False" in text


def test_closure_refusal_says_what_to_do():
    with pytest.raises(UnsupportedSyntaxError, match="passed to a helper") as err:
        wengert.grad(_loss_closure, mode="forward", optimize=False)(0.7)
    assert "optimize=True" in str(err.value)


# -- gradients are the caller's own, writable arrays -----------------------

W = np.array([1.0, 2.0, 3.0])


def _leaves(g):
    if isinstance(g, dict):
        return [x for v in g.values() for x in _leaves(v)]
    if isinstance(g, (list, tuple)):
        return [x for v in g for x in _leaves(v)]
    return [g]


READ_ONLY_BEFORE = {
    "sum": (lambda w: np.sum(w), W),
    "mean": (lambda w: np.mean(w), W),
    "dict": (lambda p: np.sum(p["w"]), {"w": W}),
    "list": (lambda p: np.sum(p[0]) * p[1], [W, 2.0]),
    "times a float": (lambda w: np.sum(w) * 3.0, W),
}


@pytest.mark.parametrize("name", READ_ONLY_BEFORE)
def test_gradient_arrays_are_writable(name):
    f, arg = READ_ONLY_BEFORE[name]
    for mode in ("reverse", "forward", "auto"):
        for g in (wengert.grad(f, mode=mode)(arg),
                  wengert.value_and_grad(f, mode=mode)(arg)[1]):
            arrays = [x for x in _leaves(g) if isinstance(x, np.ndarray)]
            assert arrays and all(x.flags.writeable for x in arrays)
            arrays[0] *= 0.1                 # g *= lr


def test_pullback_adjoints_are_writable():
    _, pullback = wengert.vjp(lambda w: np.sum(w), W)
    g = pullback(1.0)[0]
    assert g.flags.writeable
    g *= 0.1
    np.testing.assert_allclose(g, 0.1)


# -- has_aux needs a pair ----------------------------------------------------

def _no_pair(w):
    return np.sum(w ** 2)


def _three(w):
    return np.sum(w ** 2), 1.0, 2.0


@pytest.mark.parametrize("f, returned", [(_no_pair, "a number"), (_three, "a tuple of 3")])
def test_has_aux_without_a_pair_is_refused(f, returned):
    for api in ("grad", "value_and_grad", "jacfwd", "jacrev"):
        for mode in MODES if api in ("grad", "value_and_grad") else (None,):
            options = {"mode": mode} if mode else {}
            with pytest.raises(UsageError, match=r"has_aux=True needs .* return a pair") as err:
                getattr(wengert, api)(f, has_aux=True, **options)(W)
            assert returned in str(err.value)


def test_has_aux_without_a_pair_found_at_run_time_says_so():
    # (the output's kind unknown at build time: the failed run's error path)
    import inspect
    from wengert.api import _non_scalar_primal
    error = _non_scalar_primal(_no_pair, inspect.signature(_no_pair), (W,), "grad", True)
    assert isinstance(error, UsageError) and "return a pair" in str(error)


def test_has_aux_with_a_pair_still_works():
    g, aux = wengert.grad(lambda w: (np.sum(w ** 2), {"n": 3}), has_aux=True)(W)
    np.testing.assert_allclose(g, 2 * W)
    assert aux == {"n": 3}


# -- vjp: a cotangent unlike the output ---------------------------------------

def _two_outputs(x):
    return {"a": x, "b": 2 * x}


@pytest.mark.parametrize("cotangent, phrase", [
    ({"a": np.ones(3)}, "has no key 'b'"),
    ([np.ones(3)], "is a list where the output has a dict"),
])
def test_pullback_cotangent_unlike_the_output_is_refused(cotangent, phrase):
    _, pullback = wengert.vjp(_two_outputs, np.ones(3))
    with pytest.raises(UsageError, match=phrase) as err:
        pullback(cotangent)
    assert "{'a': array of shape (3,), 'b': array of shape (3,)}" in str(err.value)
    np.testing.assert_allclose(pullback({"a": np.ones(3), "b": np.ones(3)})[0], 3.0)


# -- a namedtuple's gradient is a namedtuple of its class ------------------

Params = collections.namedtuple("Params", ["W", "b"])
P = Params(np.array([1.0, 2.0]), 0.5)


def _loss_indexed(p):
    return np.sum(p[0] ** 2) + p[1]


def _loss_one_item(p):
    return np.sum(p[0] ** 2)


@pytest.mark.parametrize("f, db", [(_loss_indexed, 1.0), (_loss_one_item, 0.0)])
def test_namedtuple_gradient_is_a_namedtuple(f, db):
    for mode in MODES:
        g = wengert.grad(f, mode=mode)(P)
        assert type(g) is Params and g.b == db
        np.testing.assert_allclose(g.W, 2 * P.W)
    _, pullback = wengert.vjp(f, P)
    assert type(pullback(1.0)[0]) is Params
