"""Optimiser passes that reverse mode runs on the primal before it
differentiates: common subexpressions and fused sigmoids. Each is checked
against central differences (in both modes and without optimisation) and on
the generated source, for the rewrite it should make."""

import re

import numpy as np
import pytest

import wengert
from wengert import ir, optimize, runtime


def _central_difference(f, args, i, step=1e-6):
    x = np.asarray(args[i], dtype=float)
    g = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        hi, lo = x.copy(), x.copy()
        hi[idx] += step
        lo[idx] -= step
        at = lambda v: f(*args[:i], v if x.shape else float(v), *args[i + 1:])   # noqa: E731
        g[idx] = (at(hi) - at(lo)) / (2 * step)
    return g


def _check(f, args, wrt):
    expected = [_central_difference(f, args, i) for i in wrt]
    for mode in ("reverse", "forward"):
        for opt in (True, False):
            grads = wengert.grad(f, wrt=wrt, mode=mode, optimize=opt)(*args)
            for g, e in zip(grads, expected):
                np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7,
                                           err_msg=f"{mode}, optimize={opt}")


def _ops(fn, which):
    return [s for s in ir.walk(fn.body) if isinstance(s, ir.Assign)
            and isinstance(s.value, ir.Op) and s.value.fn is which]


# -- sigmoids ---------------------------------------------------------------------


def gates(w, x):
    total = 0.0
    h = x[0]
    for t in range(1, x.shape[0]):
        a = 1.0 / (1.0 + np.exp(-(h * w[0] + x[t])))
        b = 1 / (np.exp(-(h * w[1])) + 1)
        h = a * np.tanh(h) + b
        total = total + np.sum(h)
    return total


def test_sigmoids_match_finite_differences():
    rng = np.random.RandomState(0)
    _check(gates, (rng.rand(2, 3) - 0.5, rng.rand(4, 3)), (0, 1))


def test_a_sigmoid_keeps_only_its_result():
    """Both spellings are fused: the adjoint reads s * (1.0 - s), and the
    kept tape holds each sigmoid's result, not np.exp(-z) as well."""
    rng = np.random.RandomState(0)
    g = wengert.grad(gates, wrt=(0,))
    g(rng.rand(2, 3), rng.rand(4, 3))
    kept = next(line for line in g.source.splitlines() if "kept.append((" in line)
    assert kept.count(",") == 2, g.source             # a, b and np.tanh(h)
    assert len(re.findall(r"(\w+) \* \(1\.0 - \1\)", g.source)) == 2, g.source
    assert g.source.count("np.exp(") == 2, g.source    # only in the primal sweep
    assert "sigmoid(" not in g.source                  # spelled out again


def test_fuse_sigmoids_rewrites_the_wengert_list():
    fn = optimize.fuse_sigmoids(wengert.lower(gates))
    assert len(_ops(fn, runtime.sigmoid)) == 2
    assert not _ops(fn, np.exp)


def exp_read_twice(x):
    e = np.exp(-x)
    return np.sum(1.0 / (1.0 + e) + e)


def minus_two_over(x):
    return np.sum(2.0 / (1.0 + np.exp(-x)) + 1.0 / (2.0 + np.exp(-x)))


@pytest.mark.parametrize("f", [exp_read_twice, minus_two_over])
def test_near_sigmoids_are_left_alone(f):
    """An exponential read elsewhere, or other constants: not a sigmoid."""
    assert not _ops(optimize.fuse_sigmoids(wengert.lower(f)), runtime.sigmoid)
    _check(f, (np.array([0.3, -1.2, 2.0]),), (0,))


def test_a_python_float_sigmoid():
    def f(x):
        return 1.0 / (1.0 + np.exp(-x)) * x
    _check(f, (0.7,), (0,))


# -- common subexpressions -----------------------------------------------------


def rows_twice(w, state):
    h = state.copy()
    total = 0.0
    for i in range(h.shape[0]):
        a = np.tanh(h[i] * w)
        b = np.sin(h[i] * w)
        h[i] = a * b
        c = h[i] * w              # h[i] was written: not a + b's h[i] * w
        total = total + np.sum(a + b + c)
    return total


def test_common_subexpressions_match_finite_differences():
    rng = np.random.RandomState(1)
    _check(rows_twice, (rng.rand(3), rng.rand(4, 3)), (0, 1))


def test_a_repeated_product_is_computed_once():
    rng = np.random.RandomState(1)
    g = wengert.grad(rows_twice, wrt=(0,))
    g(rng.rand(3), rng.rand(4, 3))
    primal = g.source.split("# adjoint sweep")[0]
    assert primal.count(" * w") == 1, g.source          # h[i] * w, for np.tanh and np.sin
    assert primal.count("h_1[i]") == 2, g.source        # read again after h[i] = ...


def test_cse_keeps_a_value_a_loop_changes():
    """An expression before a loop is not reused inside it, nor after it
    when the loop writes what it reads."""
    def f(x, y):
        a = x * y
        for _ in range(3):
            x = x * y + 1.0
            b = x * y
        c = x * y
        return a + b + c
    import operator
    fn = wengert.lower(f)
    assert len(_ops(optimize.common_subexpressions(fn), operator.mul)) == \
        len(_ops(fn, operator.mul))
    _check(f, (0.5, 1.5), (0, 1))


def test_cse_reuses_in_straight_line_code_and_stops_at_writes():
    def f(x, y):
        a = np.sin(x * y)
        b = np.sin(x * y)
        x = x + 1.0
        c = np.sin(x * y)
        return a * b + c
    fn = optimize.copy_propagation(optimize.common_subexpressions(wengert.lower(f)))
    assert len(_ops(fn, np.sin)) == 2, str(fn)
    _check(f, (0.5, 1.5), (0, 1))


def test_cse_forgets_at_a_mutation():
    """A method call may change a list in place: ``xs[-1]`` is read again."""
    def f(x):
        xs = [x * 2.0]
        a = xs[-1] * x
        xs.append(x * 3.0)
        b = xs[-1] * x
        return a + b
    fn = optimize.copy_propagation(optimize.common_subexpressions(wengert.lower(f)))
    import operator
    assert len(_ops(fn, operator.getitem)) == 2, str(fn)
    _check(f, (0.5,), (0,))


# -- updates in place ----------------------------------------------------------

from wengert.runtime import setitem  # noqa: E402  (a value: a copy with one entry set)


def view_read_after(x):
    z = np.zeros(3)
    z1 = setitem(z, 0, x[0] * 2.0)
    r = z1[1:]                            # a view of z1, read after z1's update
    z2 = setitem(z1, 1, x[1] * x[2])
    return np.sum(r * x[1:]) + np.sum(z2 * x)


def copy_before_a_loop(x):
    z = np.zeros(3)
    before = z
    for i in range(3):
        z = setitem(z, i, x[i] * (i + 1.0))
    return np.sum(z * x) + np.sum(before * x)


def old_value_in_the_loop(x):
    z = np.zeros(3)
    total = 0.0
    for i in range(3):
        old = z
        z = setitem(z, i, x[i])
        total = total + np.sum(old * x)
    return total


def same_base_each_iteration(x):
    z = np.zeros(3)
    total = 0.0
    for i in range(3):
        y = setitem(z, i, x[i])           # z itself is read again next iteration
        total = total + np.sum(y * x)
    return total


def fresh_each_time(x):
    """(conservative: z goes on a tape, and sharing is decided for the whole
    function, so the tape counts as sharing z's memory before the update)"""
    total = 0.0
    for i in range(3):
        z = np.zeros(3)
        z = setitem(z, i, x[i] * x[i])
        total = total + np.sum(z * x)
    return total


@pytest.mark.parametrize("f, updates", [(view_read_after, 1), (copy_before_a_loop, 0),
                                        (old_value_in_the_loop, 0), (same_base_each_iteration, 0),
                                        (fresh_each_time, 0)])
def test_an_update_is_in_place_only_when_no_one_reads_the_old_value(f, updates):
    primal = _checked_primal_sweep(f)
    assert primal.count("setitem_into(") == updates, primal


def _checked_primal_sweep(f):
    """The primal sweep of ``grad(f)``, once its gradient matched central
    differences (both modes, optimised or not) at one point."""
    x = np.array([0.3, 1.2, -0.7])
    _check(f, (x,), (0,))
    g = wengert.grad(f)
    g(x)
    return g.source.split("# adjoint sweep")[0]


def test_adjoint_rows_are_updated_in_place():
    """The adjoint of a state updated row by row (lstm's hidden and cell)
    updates one buffer instead of copying it once per row and iteration."""
    rng = np.random.RandomState(1)
    g = wengert.grad(rows_twice, wrt=(0,))
    g(rng.rand(3), rng.rand(4, 3))
    adjoint = g.source.split("# adjoint sweep")[1]
    assert "setitem_into(" in adjoint and "setitem(" not in adjoint, g.source


def test_generated_updates_in_place_are_values_when_differentiated_again():
    """Second order: the lowering reads setitem_into as setitem."""
    x = np.array([0.3, 1.2, -0.7])
    h = wengert.hessian(fresh_each_time)(x)
    step = 1e-5
    cols = [(wengert.grad(fresh_each_time)(x + e) - wengert.grad(fresh_each_time)(x - e))
            / (2 * step) for e in np.eye(3) * step]
    np.testing.assert_allclose(h, np.array(cols).T, rtol=1e-5, atol=1e-6)


# -- rows stored and read again ------------------------------------------------


def row_read_back(x):
    z = np.zeros((2, 3))
    z1 = setitem(z, 0, x * 2.0)
    r = z1[0] * x                         # the row just written: x * 2.0
    z2 = setitem(z1, 0, r)                # written again: the first write is dead
    return np.sum(z2 * x)


def scalar_into_a_row(x):
    z = np.zeros((2, 3))
    z1 = setitem(z, 0, x[0])              # broadcast: z1[0] is not x[0]
    r = z1[0] * x
    z2 = setitem(z1, 0, x[1] * x)
    return np.sum(r) + np.sum(z2 * x)


def row_read_twice(x):
    z = np.zeros((2, 3))
    z1 = setitem(z, 1, x * 2.0)
    r = z1[1] * x
    s = z1 * x                            # the whole of z1: it must exist
    z2 = setitem(z1, 1, r)
    return np.sum(z2 * x) + np.sum(s)


@pytest.mark.parametrize("f, writes", [(row_read_back, 1), (scalar_into_a_row, 2),
                                       (row_read_twice, 2)])
def test_a_row_written_is_read_back_as_the_value_written(f, writes):
    primal = _checked_primal_sweep(f)
    assert primal.count("setitem") == writes, primal


def test_a_state_adjoint_updated_row_by_row_is_not_stored_twice():
    """rows_twice's adjoint adds into row i, reads it back and overwrites it:
    one update of the buffer, and the row read is the sum itself."""
    rng = np.random.RandomState(1)
    g = wengert.grad(rows_twice, wrt=(0,))
    g(rng.rand(3), rng.rand(4, 3))
    adjoint = g.source.split("# adjoint sweep")[1]
    assert adjoint.count("setitem_into(") == 1 and "_bar[i] + " in adjoint, g.source


# -- products of tiles -----------------------------------------------------------


def gate_rows(p, x):
    n = x.shape[0]
    total = 0.0
    for t in range(3):
        w, b = p[0], p[1]
        x = np.tanh(x * w[:n] + b[:n]) + np.sin(x[::-1] * w[n:] + b[n:])
        total = total + np.sum(x * x)
    return total


def gate_rows_scaled(p, s):
    n = 3
    w, b = p[0], p[1]
    y = np.tanh(s * w[:n] + b[:n]) + np.sin(s * w[n:] + b[n:])   # s a number: broadcast
    return np.sum(y * y)


def test_products_of_tiles_are_one_product():
    rng = np.random.RandomState(2)
    args = (rng.rand(2, 6) - 0.5, rng.rand(3))
    _check(gate_rows, args, (0, 1))
    g = wengert.grad(gate_rows, wrt=(0,))
    g(*args)
    assert re.search(r"w_\w*bar = \w+_bar \* np\.concatenate\(\(", g.source), g.source


def test_products_of_tiles_with_a_broadcast_factor_are_left_alone():
    args = (np.random.RandomState(3).rand(2, 6) - 0.5, 0.7)
    _check(gate_rows_scaled, args, (0, 1))
    g = wengert.grad(gate_rows_scaled, wrt=(0,))
    g(*args)
    assert "* np.concatenate((" not in g.source, g.source
