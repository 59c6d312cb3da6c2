"""A namedtuple's fields read by name (``p.g``) where its class is known, as
``p[0]`` reads them, under a guard on the class; and assignment into an array
a helper returned where every return of the helper is an array it made."""

import collections
import math
import typing

import numpy as np
import pytest

import wengert
from wengert.errors import NoRuleError, UnsupportedSyntaxError

from test_nondiff_audit import central_difference

MODES = [(mode, opt) for mode in ("reverse", "forward") for opt in (True, False)]

Params = collections.namedtuple("Params", ["g", "L"])
Swapped = collections.namedtuple("Swapped", ["L", "g"])     # the same fields, other order


class Typed(typing.NamedTuple):
    g: float
    L: float


class Shadowed(Params):
    @property
    def L(self):           # not the field: p.L is not p[1]
        return 100.0


Net = collections.namedtuple("Net", "W b")
DATA = Params(2.0, 3.0)


def pendulum(theta0, p):
    th, om = theta0, 0.0
    for _ in range(20):
        om = om - 0.01 * p.g / p.L * math.sin(th)
        th = th + 0.01 * om
    return th


def _helper(p, x):
    return p.g * x ** 2 + np.sin(p.L)


def through_helper(x, p):
    return _helper(p, x) * 2.0


def over_a_list(x, ps):
    s = 0.0
    for q in ps:
        s = s + q.g * x / q.L
    return s + ps[0].L


def over_a_dict(x, d):
    s = 0.0
    for k, v in d.items():
        s = s + v.L * x
    return s + d["a"].g ** 2


def module_data(x):
    return x * DATA.g + DATA.L * x ** 2


def layer(net, x):
    return np.sum(np.tanh(x @ net.W + net.b))


def _by_fields(f, cls):
    """``f(x, p)`` as a function of ``x`` and ``p``'s fields (for differences)."""
    return lambda x, *fields: f(x, cls(*fields))


@pytest.mark.parametrize("mode, opt", MODES)
@pytest.mark.parametrize("f", [pendulum, through_helper])
def test_fields_of_an_argument(f, mode, opt):
    for cls in (Params, Typed):
        p = cls(9.81, 1.2)
        gx, gp = wengert.grad(f, wrt=(0, 1), mode=mode, optimize=opt)(0.4, p)
        assert type(gp) is cls and all(type(v) is float for v in gp)
        flat, args = _by_fields(f, cls), (0.4, 9.81, 1.2)
        assert gx == pytest.approx(central_difference(flat, args, 0), rel=1e-6)
        assert gp == pytest.approx([central_difference(flat, args, i) for i in (1, 2)],
                                   rel=1e-5)


@pytest.mark.parametrize("mode, opt", MODES)
def test_fields_of_items_of_a_list_and_a_dict(mode, opt):
    ps = [Params(9.81, 1.2), Params(1.0, 2.0)]
    gx, gps = wengert.grad(over_a_list, wrt=(0, 1), mode=mode, optimize=opt)(0.4, ps)
    assert type(gps) is list and all(type(q) is Params for q in gps)
    assert gx == pytest.approx(9.81 / 1.2 + 1.0 / 2.0)
    assert gps[0] == pytest.approx((0.4 / 1.2, -9.81 * 0.4 / 1.2 ** 2 + 1.0))
    d = {"a": Params(9.81, 1.2), "b": Params(1.0, 2.0)}
    gx, gd = wengert.grad(over_a_dict, wrt=(0, 1), mode=mode, optimize=opt)(0.4, d)
    assert gx == pytest.approx(3.2) and type(gd["a"]) is Params
    assert gd["a"] == pytest.approx((2 * 9.81, 0.4)) and gd["b"] == pytest.approx((0.0, 0.4))


@pytest.mark.parametrize("mode, opt", MODES)
def test_fields_of_arrays_and_of_module_data(mode, opt):
    net = Net(np.array([[0.5, -0.2], [0.1, 0.3]]), np.array([0.1, -0.1]))
    x = np.array([[1.0, 2.0]])
    g = wengert.grad(layer, mode=mode, optimize=opt)(net, x)
    assert type(g) is Net
    np.testing.assert_allclose(g.W, central_difference(lambda W, b: layer(Net(W, b), x),
                                                       net, 0), rtol=1e-6)
    np.testing.assert_allclose(g.b, central_difference(lambda W, b: layer(Net(W, b), x),
                                                       net, 1), rtol=1e-6)
    assert wengert.grad(module_data, mode=mode, optimize=opt)(0.5) == pytest.approx(5.0)


@pytest.mark.parametrize("mode, opt", MODES)
def test_another_class_gets_code_of_its_own(mode, opt):
    global DATA
    g = wengert.grad(pendulum, wrt=1, mode=mode, optimize=opt)
    first = g(0.4, Params(9.81, 1.2))
    other = g(0.4, Swapped(1.2, 9.81))       # L first: index 0, not 1
    assert type(other) is Swapped and (other.g, other.L) == pytest.approx(first)
    assert g(0.4, Params(9.81, 1.2)) == pytest.approx(first)
    with pytest.raises(NoRuleError, match="the attribute `.L`"):
        g(0.4, Shadowed(9.81, 1.2))          # a property of that name: not its field
    d = wengert.grad(module_data, mode=mode, optimize=opt)
    try:
        assert d(0.5) == pytest.approx(5.0)
        DATA = Swapped(3.0, 2.0)              # the same values, the other order
        assert d(0.5) == pytest.approx(5.0)
        DATA = Swapped(5.0, 2.0)
        assert d(0.5) == pytest.approx(7.0)
    finally:
        DATA = Params(2.0, 3.0)


def _scaled_energy(x, p):
    return np.sum(np.sin(x) * x) * p.g / p.L


def test_hessian_jacobians_and_vjp_with_a_namedtuple_held():
    x, p = np.array([0.3, 0.4]), Params(9.8, 1.2)
    H = wengert.hessian(_scaled_energy)(x, p)
    expected = np.diag(2 * np.cos(x) - x * np.sin(x)) * 9.8 / 1.2
    np.testing.assert_allclose(H, expected, rtol=1e-10)
    grad = (np.sin(x) + x * np.cos(x)) * 9.8 / 1.2
    np.testing.assert_allclose(wengert.jacfwd(_scaled_energy)(x, p), grad)
    np.testing.assert_allclose(wengert.jacrev(_scaled_energy)(x, p), grad)
    _, pullback = wengert.vjp(_scaled_energy, x, p)
    gx, gp = pullback(1.0)
    assert type(gp) is Params and gp.g == pytest.approx(_scaled_energy(x, p) / 9.8)


def _from_a_list_built_here(p, x):
    q = [p, p][0]
    return q.g * x


def _built_here(x):
    p = Params(x, 2.0)
    return p.g * p.L


@pytest.mark.parametrize("mode, opt", MODES)
def test_namedtuples_whose_class_is_not_known_stay_refused(mode, opt):
    with pytest.raises(NoRuleError, match="the attribute `.g`") as info:
        wengert.grad(_from_a_list_built_here, mode=mode, optimize=opt)(Params(1.0, 2.0), 0.5)
    assert "namedtuple" in info.value.hint
    with pytest.raises(NoRuleError, match="creating a `Params` object inside"):
        wengert.grad(_built_here, mode=mode, optimize=opt)(0.5)


# -- assignment into an array a helper returned ------------------------------

W = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
X = np.array([0.0, 1.0, 0.5, 0.2, 0.9])


def smooth(u):
    out = np.zeros(u.shape[0])
    out[1:-1] = 0.25 * u[:-2] + 0.5 * u[1:-1] + 0.25 * u[2:]
    return out


def copied(u):
    v = u.copy()
    v[0] = 0.0
    return v


def either(u):                      # both branches return fresh arrays
    return smooth(u) if u[1] > 0 else 2.0 * copied(u)


def accumulated(u):
    acc = np.zeros(u.shape)
    for i in range(3):
        acc = acc + u * i
    return acc


def smoothed_three_times(u0):
    u = u0.copy()
    for _ in range(3):
        u = smooth(u)
        u[0] = u[1]                 # a boundary condition on the new array
    return np.sum(u ** 2)


def _bc_after(helper):
    def f(x):
        u = helper(x)
        u[0] = u[1]
        u += 1.0
        return np.sum(u ** 2) + np.sum(x * u)
    return f


@pytest.mark.parametrize("mode, opt", MODES)
def test_assigning_into_what_a_helper_made(mode, opt):
    for helper in (smooth, copied, either, accumulated):
        f = _bc_after(helper)
        x = X.copy()
        g = wengert.grad(f, mode=mode, optimize=opt)(x)
        np.testing.assert_allclose(g, central_difference(f, (X,), 0), rtol=1e-6, atol=1e-8)
        np.testing.assert_array_equal(x, X)             # the input is left as it was


@pytest.mark.parametrize("mode, opt", MODES)
def test_the_boundary_condition_pattern(mode, opt):
    g = wengert.grad(smoothed_three_times, mode=mode, optimize=opt)(X)
    np.testing.assert_allclose(g, central_difference(smoothed_three_times, (X,), 0),
                               rtol=1e-6, atol=1e-8)


def tail(u):
    return u[1:]


def reshaped(u):
    return u.reshape(-1)


def itself_or_new(u, c=True):
    return u if c else np.zeros(3)


def module_array(u):
    return W


def in_a_list(u):
    return [2.0 * u]


def through_tail(u):
    return tail(u)


def as_array(u):
    return np.asarray(u)


def recursive(u, n=2):
    if n == 0:
        return u
    return recursive(u, n - 1)


@pytest.mark.parametrize("helper", [tail, reshaped, itself_or_new, module_array, in_a_list,
                                    through_tail, as_array, recursive])
def test_a_helper_that_may_return_its_argument_stays_refused(helper):
    def f(x):
        u = helper(x)
        u[0] = 0.0
        return np.sum(u)
    for mode, opt in MODES:
        with pytest.raises(UnsupportedSyntaxError, match=r"assignment into `u\[...\]`"):
            wengert.grad(f, mode=mode, optimize=opt)(X)
