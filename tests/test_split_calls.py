"""Reverse mode through user functions it does not inline (recursive ones,
and every helper with optimisations off): the primal sweep calls the
generated ``f_fwd`` (value and residuals), the adjoint sweep ``f_bwd``.
Gradients in both modes against central differences and closed forms, and
the generated code read for the property that matters: a recursive
gradient never runs its callees' primal again."""

import gc
import linecache
import math
import random

import numpy as np
import pytest

import wengert


def det_minor(a, n, row, cols):
    """Expansion by minors along row ``row`` (GradBench's det, O(n!))."""
    if len(cols) == 1:
        return a[row * n + cols[0]]
    total = 0.0
    sign = 1.0
    for j in range(len(cols)):
        rest = cols[:j] + cols[j + 1:]
        total = total + sign * a[row * n + cols[j]] * det_minor(a, n, row + 1, rest)
        sign = -sign
    return total


def det(a, n):
    return det_minor(a, n, 0, list(range(n)))


def power_tower(x, k):
    """Two recursive calls per level, floats only."""
    if k == 0:
        return x
    return math.sin(power_tower(x, k - 1)) * x + 0.5 * power_tower(x, k - 1)


def helper(a, b):
    return a * math.sin(b) + a * a


def loop_of_calls(x, y):
    s = 0.0
    for i in range(4):
        s = s + helper(x, y) * x
        x = x * 0.9
    return s


def _central(f, x, step=1e-6):
    return (f(x + step) - f(x - step)) / (2 * step)


def _generated(prefix):
    """Sources of the generated functions whose names start with ``prefix``."""
    return ["".join(lines) for name, (_, _, lines, _) in list(linecache.cache.items())
            if name.startswith(f"<wengert {prefix}")]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("n", [1, 2, 4, 5])
def test_det_gradient_is_the_cofactor_matrix(mode, n):
    a = np.random.RandomState(n).rand(n * n)
    g = wengert.grad(det, mode=mode)(a, n)
    m = a.reshape(n, n)
    cofactors = np.linalg.det(m) * np.linalg.inv(m).T
    assert g.shape == (n * n,)
    np.testing.assert_allclose(g, cofactors.ravel(), rtol=1e-10, atol=1e-12)


def test_a_recursive_gradient_does_not_run_its_callees_primal_again():
    wengert.grad(det)(np.random.RandomState(0).rand(16), 4)
    bwd = _generated("det_minor_bwd")
    assert bwd, "the recursive helper is called through det_minor_fwd/det_minor_bwd"
    for text in bwd:
        body = text.split("def det_minor_bwd", 1)[1]
        assert "det_minor(" not in body and "det_minor_fwd(" not in body, text
        assert "det_minor_bwd(" in body          # the callee's adjoint, from its residuals
    fwd = _generated("det_minor_fwd")
    assert all("kept.append(" in text for text in fwd)   # values and residuals kept


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("x", [0.7, -1.3])
def test_two_recursive_calls_per_level(mode, x):
    f = lambda t: power_tower(t, 4)             # noqa: E731 (finite differences only)
    g = wengert.grad(power_tower, mode=mode)(x, 4)
    assert isinstance(g, float)
    assert g == pytest.approx(_central(f, x), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("optimize", [True, False])
def test_helpers_in_a_loop(optimize):
    g = wengert.grad(loop_of_calls, wrt=(0, 1), optimize=optimize)(0.7, 1.3)
    want = (_central(lambda x: loop_of_calls(x, 1.3), 0.7),
            _central(lambda y: loop_of_calls(0.7, y), 1.3))
    assert g == pytest.approx(want, rel=1e-7)


def test_float32_arrays_through_a_recursive_helper():
    def scale(v, k):
        if k == 0:
            return v
        return scale(np.tanh(v) * 1.5, k - 1)

    def f(v):
        return np.sum(scale(v, 3))

    v = np.array([0.3, -0.2, 0.9], dtype=np.float32)
    for mode in ("reverse", "forward"):
        g = wengert.grad(f, mode=mode)(v)
        assert g.dtype == np.float32
        x64 = v.astype(np.float64)
        want = [_central(lambda t, i=i: f(np.where(np.arange(3) == i, t, x64)), x64[i])
                for i in range(3)]
        np.testing.assert_allclose(g, want, rtol=2e-3)


def test_second_order_through_two_recursive_calls_per_level():
    """Specialisations of one derivative called ``p_grad_jvp`` each: the
    definition of one used to replace the other in its own globals (TypeError:
    takes 4 positional arguments but 5 were given)."""
    x, step = 0.7, 1e-5
    g = wengert.grad(power_tower)
    want = (g(x + step, 3) - g(x - step, 3)) / (2 * step)
    for outer in ("reverse", "forward"):
        for inner in ("reverse", "forward"):
            gg = wengert.grad(wengert.grad(power_tower, mode=inner), mode=outer)
            assert gg(x, 3) == pytest.approx(want, rel=1e-6), (outer, inner)
    assert wengert.hessian(power_tower)(x, 3) == pytest.approx(want, rel=1e-6)
    assert wengert.hvp(power_tower)(x, 3, 2.0) == pytest.approx(2 * want, rel=1e-6)


def _helper_of_a_while(p0, s=0.5):
    return (np.sum(np.sin(p0)) + p0) * np.ones(3)


def while_in_for(x, z):
    for i in range(2):
        z = np.tanh(z) + z
        k = 0
        while k < 2:
            k = k + 1
            x = 0.5 * x + _helper_of_a_while(np.exp(z))
    return np.sum(x - z)


def test_kept_call_in_a_while_loop_recorded_by_its_parents_replay():
    """Found by the fuzzer (seed 670): the while loop records while the for
    loop's adjoint replays it, and pushed the residuals of the primal sweep's
    last call instead of this iteration's: a wrong gradient, silently."""
    x, z = np.array([-0.85, -0.18, -0.86]), np.array([0.95, -1.04, -0.09])
    got = wengert.grad(while_in_for, wrt=1, mode="reverse")(x, z)
    want = [_central(lambda t, i=i: while_in_for(x, np.where(np.arange(3) == i, t, z)), z[i])
            for i in range(3)]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(got, wengert.grad(while_in_for, wrt=1, mode="forward")(x, z),
                               rtol=1e-12)


def _recursive_sum_sin(p, n):
    if n == 0:
        return np.sum(np.sin(p))
    return _recursive_sum_sin(p, n - 1)


def update_after_call(x):
    y = x * 2.0
    s = _recursive_sum_sin(y, 1)
    y[0] = 3.0
    return s + np.sum(y)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_update_of_an_array_a_callee_keeps(mode):
    """The callee's residuals hold ``y``: its update must copy. (The adjoint's
    update of the seed, a read-only broadcast, raised `assignment destination
    is read-only` when it was made in place.)"""
    x = np.array([0.3, 0.7])
    got = wengert.grad(update_after_call, mode=mode)(x)
    np.testing.assert_allclose(got, 2 * np.cos(2 * x) + np.array([0.0, 2.0]), rtol=1e-12)


# -- the collector paused while residuals accumulate ---------------------------

COLLECTOR_SEEN = []


@wengert.nondifferentiable
def collector_probe(fail):
    """Records whether the cyclic collector runs; raises when told to."""
    COLLECTOR_SEEN.append(gc.isenabled())
    if fail:
        raise RuntimeError("probe told to fail")
    return 0.0


def probed_tower(x, k, fail):
    if k == 0:
        return x + collector_probe(fail)
    return math.sin(probed_tower(x, k - 1, fail)) * x


def test_a_recursive_gradient_runs_with_the_collector_paused():
    COLLECTOR_SEEN.clear()
    assert gc.isenabled()
    g = wengert.grad(probed_tower, mode="reverse")(0.7, 3, False)
    assert COLLECTOR_SEEN and not any(COLLECTOR_SEEN)   # paused in every call
    assert gc.isenabled()                               # and running again after
    assert g == pytest.approx(_central(lambda t: probed_tower(t, 3, False), 0.7), rel=1e-7)
    source = wengert.grad(probed_tower, mode="reverse").source
    assert "with gc_paused():" in source and "collector is paused" in source


def test_the_collector_runs_again_when_the_gradient_raises():
    d = wengert.grad(probed_tower, mode="reverse")
    d(0.7, 2, False)
    with pytest.raises(RuntimeError, match="probe told to fail"):
        d(0.7, 2, True)
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused():
    d = wengert.grad(det)
    a = np.random.RandomState(1).rand(9)
    gc.disable()
    try:
        d(a, 3)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_is_paused_only_where_residuals_accumulate():
    a = np.random.RandomState(2).rand(9)
    d = wengert.grad(det)
    d(a, 3)
    assert "with gc_paused():" in d.source            # recursion
    d = wengert.grad(loop_of_calls, optimize=False, mode="reverse")
    d(0.7, 1.3)
    assert "with gc_paused():" in d.source            # a helper's residuals kept in a loop
    d = wengert.grad(helper, mode="reverse", optimize=False)
    d(0.7, 1.3)
    assert "gc_paused" not in d.source                # nothing kept beyond one call
    for text in _generated("det_minor_fwd") + _generated("det_minor_bwd"):
        assert "gc_paused" not in text                # once, at the outermost call


# --------------------------------------------------------------------------
# lists of ints passed on in a recursion, and per-branch residuals


def test_a_list_of_ints_passed_on_keeps_its_items_kind():
    """``cols[:j] + cols[j + 1:]`` passed to the recursion is a list of ints
    (``SeqOf``), so ``a[row * n + cols[j]]`` is a number and the minor a
    float64 scalar: the adjoint has no ``unbroadcast`` and keeps no running
    total on its tape."""
    from wengert import analysis, api
    a = np.random.RandomState(3).rand(16)
    ints = analysis.SeqOf(analysis.SEQ.shape, analysis.SEQ.dtype, item=analysis.INT)
    kinds = (analysis.kind_of_value(a), analysis.INT, analysis.INT, ints)
    assert api._callee_kind(det_minor, kinds) == analysis.Kind((), "<f8")
    assert api._callee_kind(det, kinds[:2]) == analysis.Kind((), "<f8")
    wengert.grad(det)(a, 4)
    texts = _generated("det_minor_bwd")
    assert texts and not any("unbroadcast(" in t for t in texts), texts


def test_each_branch_keeps_only_what_its_adjoint_reads():
    """The base case's residuals are ``(test, a, index)``, not the loop's
    lists and the columns too: most calls of a recursion end there."""
    from wengert import analysis, api
    a = np.random.RandomState(4).rand(9)
    ints = analysis.SeqOf(analysis.SEQ.shape, analysis.SEQ.dtype, item=analysis.INT)
    kinds = (analysis.kind_of_value(a), analysis.INT, analysis.INT, ints)
    fwd, bwd = api.build_split(det_minor, (0,), kinds, True)
    value, res = fwd(a, 3, 2, [1])
    assert value == a[7] and len(res) == 3 and res[0] is True
    np.testing.assert_array_equal(bwd(res, 2.0), np.where(np.arange(9) == 7, 2.0, 0.0))
    value, res = fwd(a, 3, 0, [0, 1, 2])
    assert res[0] is False and len(res) > 3
    m = a.reshape(3, 3)
    assert value == pytest.approx(np.linalg.det(m), rel=1e-12)
    np.testing.assert_allclose(bwd(res, 1.0), (np.linalg.det(m) * np.linalg.inv(m).T).ravel(),
                               rtol=1e-10)


def _sum_at(x, idx):
    if len(idx) == 0:
        return 0.0
    return x[idx[0]] ** 2 + _sum_at(x, idx[1:])


def _shuffled(x, idx):
    random.shuffle(idx)                        # changes the list in place
    return x[idx[0]]


def _counts(x, idx):
    return x[0] * idx.count(0)


def _passes_on(x, idx):
    return _sum_at(x, idx[1:]) + _shuffled(x, idx)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_recursion_over_an_index_list(mode):
    f = _sum_at
    x = np.array([0.3, -1.2, 0.8, 2.0])

    def value(t):
        return f(t, [3, 0, 2, 0])
    g = wengert.grad(f, mode=mode)(x, [3, 0, 2, 0])
    want = [_central(lambda t, i=i: value(np.where(np.arange(4) == i, t, x)), x[i])
            for i in range(4)]
    np.testing.assert_allclose(g, want, rtol=1e-7, atol=1e-9)


def test_a_list_that_may_be_changed_in_place_keeps_no_items_kind():
    """Given to a method, or to a user function that may change it (its
    ``random.shuffle`` is refused when it is built), a list's items are not
    assumed to stay what they were."""
    from wengert import analysis, api
    assert not api._callee_mutates(_sum_at, 1)
    assert api._callee_mutates(_shuffled, 1)
    assert api._callee_mutates(_counts, 1)                 # a method: not known to read only
    assert api._callee_mutates(_passes_on, 1)             # through _shuffled (refused there)
    assert "idx" in analysis.mutated_names(api.lowered(_counts))


def _weighted(x, ws):
    total = 0.0
    for k in range(len(ws)):
        total = total + x[k] * ws[k]
    return total


def test_an_argument_that_is_a_list_of_ints_is_specialised_for_it():
    """The dispatcher checks that every item is an int (``IntsKey``); a list
    with a float in it, or a long one, gets code of its own."""
    x = np.array([0.5, -1.0, 2.0])
    g = wengert.grad(_weighted)
    np.testing.assert_array_equal(g(x, [3, 1, 2]), [3.0, 1.0, 2.0])
    assert "ws: seq of int" in g.source
    np.testing.assert_array_equal(g(x, [3, 1.5, 2]), [3.0, 1.5, 2.0])
    np.testing.assert_array_equal(g(x, (4, 5, 6)), [4.0, 5.0, 6.0])
    long = list(range(300))
    y = np.linspace(0.0, 1.0, 300)
    np.testing.assert_array_equal(g(y, long), np.arange(300.0))
    np.testing.assert_array_equal(g(x, [3, 1, 2]), [3.0, 1.0, 2.0])
    keys = [key[0][1] for key in g._keys]
    assert sum(isinstance(k, wengert.analysis.IntsKey) for k in keys) == 2, keys  # list, tuple


def det_minor_2(a, n, row, cols):
    """``det_minor`` with a 2 x 2 base case as well (the same products)."""
    if len(cols) == 1:
        return a[row * n + cols[0]]
    if len(cols) == 2:
        top, bottom = row * n, (row + 1) * n
        return a[top + cols[0]] * a[bottom + cols[1]] - a[top + cols[1]] * a[bottom + cols[0]]
    total = 0.0
    sign = 1.0
    for j in range(len(cols)):
        rest = cols[:j] + cols[j + 1:]
        total = total + sign * a[row * n + cols[j]] * det_minor_2(a, n, row + 1, rest)
        sign = -sign
    return total


def test_nested_base_cases_keep_their_own_residuals_and_read_items_again():
    """Branches nested in the last branch keep their own residuals too; a
    base case keeps the indices of the items it read, not the numbers
    (``reverse._reread_items``): its adjoint reads them again."""
    from wengert import analysis, api
    a = np.random.RandomState(5).rand(16)
    ints = analysis.SeqOf(analysis.SEQ.shape, analysis.SEQ.dtype, item=analysis.INT)
    kinds = (analysis.kind_of_value(a), analysis.INT, analysis.INT, ints)
    fwd, bwd = api.build_split(det_minor_2, (0,), kinds, True)
    m = a.reshape(4, 4)
    for row, cols in ((3, [2]), (2, [0, 3]), (0, [0, 1, 2, 3])):
        value, res = fwd(a, 4, row, cols)
        sub = m[row:, cols]
        assert value == pytest.approx(np.linalg.det(sub), rel=1e-12)
        cofactors = np.zeros((4, 4))
        cofactors[row:, cols] = np.linalg.det(sub) * np.linalg.inv(sub).T
        np.testing.assert_allclose(bwd(res, 1.0), cofactors.ravel(), rtol=1e-10, atol=1e-14)
        if len(cols) == 1:
            assert len(res) == 3
        if len(cols) == 2:          # the two tests, a, and four indices
            assert res[:2] == (False, True) and res[2] is a and len(res) == 7
            assert all(type(i) is int for i in res[3:]), res
    for mode in ("reverse", "forward"):
        g = wengert.grad(lambda a: det_minor_2(a, 4, 0, [0, 1, 2, 3]), mode=mode)(a)
        np.testing.assert_allclose(g, (np.linalg.det(m) * np.linalg.inv(m).T).ravel(),
                                   rtol=1e-10)


def legendre(n, x):
    if n == 0:
        return 1.0
    if n == 1:
        return x
    return ((2 * n - 1) * x * legendre(n - 1, x) - (n - 1) * legendre(n - 2, x)) / n


@pytest.mark.parametrize("n", [2, 3, 4, 5, 8])
@pytest.mark.parametrize("mode", ["auto", "reverse", "forward"])
def test_nested_base_cases_keep_what_the_whole_adjoint_reads(mode, n):
    """``f_bwd`` runs the adjoint sweep of every branch: a statement one
    branch's arm leaves dead (``t_bar = -(s_bar * v9)``) still reads ``v9``,
    which the base case's residuals must hold (it was an UnboundLocalError)."""
    x = 0.37
    want = _central(lambda v: legendre(n, v), x)
    got = wengert.grad(legendre, wrt=1, mode=mode)(n, x)
    assert type(got) is float
    assert abs(got - want) < 1e-8
