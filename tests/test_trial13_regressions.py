"""What the thirteenth session's new-user trials found (scientific computing
and users coming from PyTorch/JAX/autograd): each fixed, pinned here."""

import itertools
import math

import numpy as np
import pytest

import wengert
from wengert import adjoint, tangent
from wengert.runtime import unbroadcast
from finite import central_difference


MODES = [dict(mode="reverse"), dict(mode="forward"), dict(mode="reverse", optimize=False),
         dict(mode="forward", optimize=False)]
IDS = ["reverse", "forward", "reverse-noopt", "forward-noopt"]


# --------------------------------------------------------------------------
# a value stored into an integer or boolean array is truncated: no derivative

def into_int_array(x):
    k = np.zeros(3, dtype=int)
    k[0] = x
    return k[0] * 1.0 + x * x


def into_int_slice(x):
    bins = np.zeros(4, dtype=np.int64)
    bins[1:3] = x * 10
    return np.sum(bins) * 0.5 + np.sum(x)


def added_into_int_array(x):
    k = np.arange(3)
    k[2] += x
    return np.sum(k * 2.0) + x


def cloud_in_cell(pos):
    h = 0.25
    cell = np.zeros(3, dtype=int)
    cell[:] = pos / h
    frac = pos / h - cell
    return np.sum(frac ** 2 * np.array([1.0, -2.0, 3.0]))


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_integer_arrays_hold_no_derivative(kw):
    assert wengert.grad(into_int_array, **kw)(2.7) == pytest.approx(5.4)
    assert np.allclose(wengert.grad(into_int_slice, **kw)(np.array([0.33, 0.47])), 1.0)
    assert wengert.grad(added_into_int_array, **kw)(0.6) == pytest.approx(1.0)
    pos = np.array([0.3, 0.62, 0.81])
    want = central_difference(cloud_in_cell, pos)
    assert np.allclose(wengert.grad(cloud_in_cell, **kw)(pos), want, rtol=1e-6)


def test_integer_arrays_jvp_and_vjp():
    assert wengert.jvp(into_int_array, (2.7,), (1.0,))[1] == pytest.approx(5.4)
    assert wengert.vjp(into_int_array, 2.7)[1](1.0)[0] == pytest.approx(5.4)


def float_buffer(x):
    u = np.zeros(3)
    u[1:] = x[:2] * 2.0
    u[0] = x[2]
    return np.sum(u * u)


def test_float_buffers_keep_their_derivative_and_no_dtype_test():
    x = np.array([1.0, 2.0, 3.0])
    for mode in ("reverse", "forward"):
        g = wengert.grad(float_buffer, mode=mode)
        assert np.allclose(g(x), [8.0, 16.0, 6.0])
        assert "stored(" not in g.source          # known float64: no test at run time


# --------------------------------------------------------------------------
# obj[x] calls the object's own __getitem__; other differentiated indices refused

class Table:
    """Linear interpolation in a uniform table, indexed by a float position."""

    def __init__(self, vals):
        self.vals = vals

    def __getitem__(self, x):
        i = int(x)
        t = x - i
        return (1 - t) * self.vals[i] + t * self.vals[i + 1]


TABLE = Table(np.array([0.0, 1.0, 4.0, 9.0]))


def table_at(x, tab):
    return tab[x] * x


def module_table_at(x):
    return TABLE[x]


@pytest.mark.parametrize("kw", MODES[:2], ids=IDS[:2])
def test_own_getitem_is_differentiated(kw):
    want = central_difference(lambda x: table_at(x, TABLE), 1.3)
    assert wengert.grad(table_at, **kw)(1.3, TABLE) == pytest.approx(want, rel=1e-6)
    assert wengert.grad(module_table_at, **kw)(1.3) == pytest.approx(3.0)


def float_index(x, a):
    return a[x]


def r_of(x):
    return np.sum(np.r_[x, 2.0 * x] ** 2)


def c_of(x):
    return np.sum(np.c_[x, x * x])


def r_of_constants(x):
    return np.sum(np.r_[1.0, 2.0] * x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_differentiated_indices_refused(mode):
    with pytest.raises(wengert.NoRuleError, match="an index has no derivative"):
        wengert.grad(float_index, mode=mode)(1.0, np.arange(3.0))
    for f in (r_of, c_of):
        with pytest.raises(wengert.NoRuleError, match=r"np\.[rc]_\[\.\.\.\]") as info:
            wengert.grad(f, mode=mode)(np.array([1.0, 2.0]))
        assert "np.concatenate" in str(info.value)
    assert wengert.grad(r_of_constants, mode=mode)(0.5) == pytest.approx(3.0)


# --------------------------------------------------------------------------
# a loop over an object of one's own iterates it as Python does (__iter__)

class Coeffs:
    def __init__(self, c):
        self.c = list(c)

    def __iter__(self):
        return iter(self.c)

    def __len__(self):
        return len(self.c)


class Shells:
    """Iterates from the outside in; indexing counts from the inside."""

    def __init__(self, r):
        self.r = list(r)

    def __getitem__(self, i):
        return self.r[i]

    def __len__(self):
        return len(self.r)

    def __iter__(self):
        return iter(reversed(self.r))


def horner(x, coeffs):
    y = 0.0
    for c in coeffs:
        y = y * x + c
    return y


@pytest.mark.parametrize("kw", MODES[:2], ids=IDS[:2])
def test_loop_over_own_object_follows_its_iter(kw):
    for obj in (Coeffs([1.0, 2.0, 3.0]), Shells([1.0, 2.0, 3.0])):
        value, g = wengert.value_and_grad(horner, **kw)(0.5, obj)
        assert value == pytest.approx(horner(0.5, obj))
        assert g == pytest.approx(central_difference(lambda x: horner(x, obj), 0.5), rel=1e-6)


@pytest.mark.parametrize("make", [lambda: (c for c in [1.0, 2.0]), lambda: map(float, [1, 2]),
                                  lambda: itertools.chain([1.0], [2.0]), lambda: {1.0}],
                         ids=["generator", "map", "chain", "set"])
def test_iterators_and_sets_as_arguments_refused(make):
    with pytest.raises(wengert.UsageError, match="pass a list"):
        wengert.grad(horner)(0.5, make())
    with pytest.raises(wengert.UsageError, match="pass a list"):
        wengert.jacfwd(horner)(0.5, make())
    for call in (lambda: wengert.jvp(horner, (0.5, make()), (1.0, None)),    # (every primal
                 lambda: wengert.vjp(horner, 0.5, make())):                   # differentiated)
        with pytest.raises(wengert.UsageError):
            call()


# --------------------------------------------------------------------------
# vjp holds a Python int (a step count) as it is

def steps(y0, k, n):
    y = y0
    for _ in range(n):
        y = y - 0.1 * k * y ** 3
    return y * y


def test_vjp_holds_python_ints():
    value, pullback = wengert.vjp(steps, 1.0, 0.5, 4)
    assert value == pytest.approx(steps(1.0, 0.5, 4))
    dy0, dk, dn = pullback(1.0)
    assert dy0 == pytest.approx(central_difference(lambda y: steps(y, 0.5, 4), 1.0), rel=1e-6)
    assert dk == pytest.approx(central_difference(lambda k: steps(1.0, k, 4), 0.5), rel=1e-6)
    assert dn == 0.0


# --------------------------------------------------------------------------
# crashes

def broadcast_then_index(x):
    return np.sum(x[None]) + x[0]


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_adjoint_into_a_read_only_broadcast(kw):
    assert np.allclose(wengert.grad(broadcast_then_index, **kw)(np.array([1.0, 2.0, 3.0])),
                       [2.0, 1.0, 1.0])


POLY = np.poly1d([1.0, -2.0, 3.0])


def call_poly1d(x):
    return POLY(x)


def test_library_callable_objects_refused_by_name():
    with pytest.raises(wengert.NoRuleError, match=r"calling `POLY`, a numpy\.poly1d object"):
        wengert.grad(call_poly1d)(0.5)


# --------------------------------------------------------------------------
# np.append (in a loop: `np` was taken for a list being appended to)

def grown(y0):
    ys = np.array([y0])
    y = y0
    for _ in range(3):
        y = 0.9 * y
        ys = np.append(ys, y)
    return np.sum(ys ** 2)


def appended_rows(a, b):
    return np.sum(np.append(a, b, axis=0) ** 2 * np.arange(1.0, 10.0).reshape(3, 3))


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_np_append(kw):
    assert wengert.grad(grown, **kw)(1.0) == pytest.approx(central_difference(grown, 1.0),
                                                           rel=1e-6)
    a, b = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]), np.array([[0.3, 0.2, -0.4]])
    ga, gb = wengert.grad(appended_rows, wrt=(0, 1), **kw)(a, b)
    assert np.allclose(ga, central_difference(lambda u: appended_rows(u, b), a), rtol=1e-6)
    assert np.allclose(gb, central_difference(lambda u: appended_rows(a, u), b), rtol=1e-6)


# --------------------------------------------------------------------------
# messages

def bump(t):
    return t * t if t > 0 else 0.0


BUMP = np.vectorize(bump)


def vectorized(x):
    return np.sum(BUMP(x))


class Linear:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return x @ self.W


class Net:
    def __init__(self, W1, W2):
        self.fc1, self.fc2 = Linear(W1), Linear(W2)

    def loss(self, x):
        return np.sum(self.fc2(np.tanh(self.fc1(x))) ** 2)


def test_messages_name_what_the_user_wrote():
    with pytest.raises(wengert.NoRuleError, match=r"`np\.vectorize\(bump\)`"):
        wengert.grad(vectorized)(np.array([0.5, -1.0]))


@pytest.mark.parametrize("kw", MODES[:2], ids=IDS[:2])
def test_objects_held_in_attributes(kw):
    """``self.fc1(x)``, ``self.prior.log_prob(w)``: an object an argument holds
    in an attribute is called as its class says (as an item of a list is)."""
    W1, W2 = np.array([[1.0, 0.5], [-0.3, 0.8]]), np.array([[0.2, -1.0], [0.7, 0.4]])
    net, x = Net(W1, W2), np.array([0.3, -0.7])
    assert np.allclose(wengert.grad(net.loss, **kw)(x),
                       central_difference(lambda t: net.loss(t), x), rtol=1e-6)
    g = wengert.grad(Net.loss, wrt=1, **kw)
    net.fc1 = OptionalAct(W1, np.sin)              # another class there: code of its own
    assert np.allclose(g(net, x), central_difference(lambda t: net.loss(t), x), rtol=1e-6)
    net.fc1.act = None                              # and another function in it
    assert np.allclose(g(net, x), central_difference(lambda t: net.loss(t), x), rtol=1e-6)
    assert len(g._keys) == 3                        # (one per class and function held)


# --------------------------------------------------------------------------
# np.array / np.asarray with copy= (and dtype= beside it)

def array_copy_none(x):
    return np.sum(np.array(x, copy=None) ** 2)


def array_dtype_and_copy(x):
    y = np.asarray(x, dtype=np.float64, copy=True)
    y[0] = 5.0
    return np.sum(y * x)


def array_copy_none_written(x):
    y = np.array(x, copy=None)      # x itself: writing into it is refused
    y[0] = 5.0
    return np.sum(y * x)


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_np_array_copy_keyword(kw):
    x = np.array([1.0, 2.0])
    assert np.allclose(wengert.grad(array_copy_none, **kw)(x), 2 * x)
    assert np.allclose(wengert.grad(array_dtype_and_copy, **kw)(x), [5.0, 4.0])
    with pytest.raises(wengert.UnsupportedSyntaxError, match="may be"):
        wengert.grad(array_copy_none_written, **kw)(x)


# --------------------------------------------------------------------------
# a nested def calling another nested def (one reading no variables of the outer)

def nested_helpers(w, X, y):
    def act(z):
        return np.tanh(z)

    def predict(v):
        return act(X @ v)

    scale = lambda t: 2.0 * act(t)      # noqa: E731
    return np.mean((predict(w) - y) ** 2) + np.sum(scale(w))


def nested_helper_reading_outer(w, X):
    k = 3.0

    def act(z):
        return np.tanh(k * z)

    def predict(v):
        return act(X @ v)
    return np.sum(predict(w))


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_nested_def_calling_nested_def(kw):
    X, y = np.array([[1.0, 0.5], [-0.3, 2.0], [0.7, 0.1]]), np.array([0.2, -0.1, 0.4])
    w = np.array([0.3, -0.6])
    got = wengert.grad(nested_helpers, **kw)(w, X, y)
    assert np.allclose(got, central_difference(lambda v: nested_helpers(v, X, y), w), rtol=1e-6)
    with pytest.raises(wengert.UnsupportedSyntaxError, match="reads variables of the function"):
        wengert.grad(nested_helper_reading_outer, **kw)(w, X)


# --------------------------------------------------------------------------
# None where a function may be: `if w is None` decided where the code is built

def optional_function(x, w=None):
    if w is None:
        return np.sum(x ** 2)
    return np.sum(w(x))


class OptionalAct:
    def __init__(self, W, act=None):
        self.W, self.act = W, act

    def __call__(self, x):
        y = x @ self.W
        if self.act is None:
            return y
        return self.act(y)


def through_layers(layers, x):
    for layer in layers:
        x = layer(x)
    return np.sum(x ** 2)


def one_layer(layer, x):
    return np.sum(layer(x) ** 2)


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_none_where_a_function_may_be(kw):
    x = np.array([0.3, -0.7])
    g = wengert.grad(optional_function, **kw)
    assert np.allclose(g(x), 2 * x)
    assert np.allclose(g(x, np.tanh), 1 - np.tanh(x) ** 2)
    W = np.array([[1.0, 0.5], [-0.3, 0.8]])
    layers = [OptionalAct(W, np.tanh), OptionalAct(W)]
    g = wengert.grad(through_layers, wrt=1, **kw)
    if not kw.get("optimize", True):        # (the methods not spliced in: refused as before)
        with pytest.raises(wengert.NoRuleError, match=r"\.act\(\)"):
            g(layers, x)
        return
    for act in (None, np.sin, None):
        layers[1].act = act
        want = central_difference(lambda t: through_layers(layers, t), x)
        assert np.allclose(g(layers, x), want, rtol=1e-6)
    assert np.allclose(wengert.grad(one_layer, wrt=1, **kw)(OptionalAct(W), x),
                       central_difference(lambda t: one_layer(OptionalAct(W), t), x))


# --------------------------------------------------------------------------
# .real / np.real of real values; buffers swapped in a loop named as such

def real_parts(x):
    return np.sum(x.real ** 2 + x.imag * x + np.real(x))


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_real_of_real_values(kw):
    x = np.array([1.0, 2.0])
    assert np.allclose(wengert.grad(real_parts, **kw)(x), 2 * x + 1)


def swap_buffers(x, a):
    A = x.copy()
    B = np.zeros_like(x)
    for _ in range(5):
        B[:] = a * A + np.roll(A, 1)
        A, B = B, A
    return np.sum(A * np.arange(len(x)))


def test_buffers_swapped_in_a_loop_are_named_as_such():
    with pytest.raises(wengert.UnsupportedSyntaxError,
                       match="names are exchanged from one iteration to the next") as info:
        wengert.grad(swap_buffers)(np.array([1.0, 2.0, 3.0]), 0.5)
    assert "np.zeros(...)` inside the loop" in str(info.value)


# --------------------------------------------------------------------------
# check_grad, show, lower and derivative_source take bound methods

class Quadratic:
    def __init__(self):
        self.w = np.array([1.0, 2.0])

    def loss(self, x):
        return np.sum(self.w * x ** 2)


def test_tools_take_bound_methods(capsys):
    m, x = Quadratic(), np.array([0.5, -1.0])
    wengert.check_grad(m.loss, x)                         # (raises if it disagrees)
    assert "def loss(self, x)" in str(wengert.lower(m.loss))
    text = wengert.derivative_source(m.loss)
    assert "with respect to x" in text
    wengert.show(m.loss, args=(x,))
    assert "with respect to x" in capsys.readouterr().out


# --------------------------------------------------------------------------
# a value read in a loop before it is assigned there (the previous iteration's)

def previous_iteration(x):
    for i in range(3):
        if i > 0:
            s = s + prev * x      # noqa: F821 -- prev and s: from the previous iteration
        else:
            s = x
        prev = s
    return s


def read_before_assigned(x):
    for i in range(2):
        if i == 1:
            y = p * x             # noqa: F821
        p = x * x
    return y


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_values_from_the_previous_iteration(kw):
    for f in (previous_iteration, read_before_assigned):
        assert wengert.grad(f, **kw)(0.9) == pytest.approx(central_difference(f, 0.9),
                                                           rel=1e-6)


# --------------------------------------------------------------------------
# += on a list (extend), *= (repeat) and |= on a dict change the object in place

def aliased_extend(x):
    xs = [x]
    ys = xs
    xs += [x * x]
    return sum(ys)


def held_extend(x):
    inner = [x]
    outer = [inner]
    inner += [x * x]
    return sum(outer[0])


def aliased_update(x):
    d = {"a": x}
    e = d
    e |= {"b": x * x}
    return sum(d.values())


def given_extend(xs, x):
    xs += [x]
    return sum(xs) * x


def own_extend(x):
    xs = [x]
    xs += [x * x]
    xs *= 2
    return sum(xs)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_in_place_sequence_updates(mode):
    for f in (aliased_extend, held_extend):
        with pytest.raises(wengert.UnsupportedSyntaxError, match=r"\+= \.\.\.` while"):
            wengert.grad(f, mode=mode)(0.7)
    if hasattr(dict, "__ior__"):
        with pytest.raises(wengert.UnsupportedSyntaxError, match=r"\|= \.\.\.` while"):
            wengert.grad(aliased_update, mode=mode)(0.7)
    with pytest.raises(wengert.UnsupportedSyntaxError, match="from outside the function"):
        wengert.grad(given_extend, wrt=1, mode=mode)([1.0, 2.0], 0.7)
    assert wengert.grad(own_extend, mode=mode)(0.7) == pytest.approx(2 * (1 + 2 * 0.7))


# --------------------------------------------------------------------------
# xs.extend(...) in a loop or a branch (the loop did not carry xs); a dict
# given a key after it was read whole (reverse mode: the adjoints' keys differ)

def extended_in_a_loop(x):
    xs = []
    for _ in range(3):
        xs.extend([x, x * x])
    return sum(xs)


def extended_in_a_branch(x):
    xs = [x]
    if x > 0:
        xs.extend((x, 2.0))
    return sum(xs) * x


def grown_dict(x):
    d = {"a": x}
    r1 = sum(d.values())
    d["b"] = x * x
    return r1 * sum(d.values())


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_extend_and_growing_dicts(kw):
    for f in (extended_in_a_loop, extended_in_a_branch, grown_dict):
        assert wengert.grad(f, **kw)(0.7) == pytest.approx(central_difference(f, 0.7),
                                                           rel=1e-6)


def reversed_list(x):
    ys = list(reversed([x, 2.0 * x, x * x]))
    return ys[0] * 3.0 + ys[2]


def reversed_rows(a):
    rows = tuple(reversed(a))
    return np.sum(rows[0] * 2.0 + rows[1])


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_list_of_reversed(kw):
    assert wengert.grad(reversed_list, **kw)(0.7) == pytest.approx(3 * 2 * 0.7 + 1)
    want = np.zeros((3, 2))
    want[2], want[1] = 2.0, 1.0
    assert np.allclose(wengert.grad(reversed_rows, **kw)(np.arange(6.0).reshape(3, 2)), want)


# --------------------------------------------------------------------------
# second derivatives over forward-mode gradients; take_along_axis's default axis

def first_close(theta, xs):
    for x in xs:
        val = -(x - theta) ** 2
        if val > -1e-3:
            return val
    return 0.0


def sorted_weighted(x, mu):
    return np.sum(np.sort(x - mu) * np.arange(1.0, 4.0))


def picked(lp, labels):
    return np.sum(np.take_along_axis(lp, labels[:, None]) ** 2)


@pytest.mark.parametrize("outer", ["reverse", "forward"])
def test_derivatives_of_forward_gradients(outer):
    inner = wengert.grad(first_close, mode="forward")
    assert wengert.grad(inner, mode=outer)(0.7, [0.1, 0.7, 1.5]) == pytest.approx(-2.0)
    assert wengert.grad(inner, mode=outer)(0.7, [0.1, 0.5, 1.5]) == 0.0
    g = wengert.grad(sorted_weighted, wrt=1, mode="forward")
    assert np.allclose(wengert.grad(g, wrt=0, mode=outer)(np.array([0.3, -1.0, 2.0]), 0.5),
                       0.0)


@pytest.mark.skipif(np.lib.NumpyVersion(np.__version__) < "2.3.0",
                    reason="np.take_along_axis has a default axis from NumPy 2.3 on")
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_take_along_axis_default_axis(mode):
    lp = np.array([[0.3, -0.2, 0.5], [1.0, 0.1, -0.4]])
    labels = np.array([2, 0])
    want = np.zeros_like(lp)
    want[0, 2], want[1, 0] = 2 * 0.5, 2 * 1.0
    assert np.allclose(wengert.grad(picked, mode=mode)(lp, labels), want)


# --------------------------------------------------------------------------
# an object two attributes deep: its operators refused, never taken for numbers

class ShiftSin:
    def __init__(self, k):
        self.k = k

    def __add__(self, other):
        return self.k * math.sin(other)


class InnerHolder:
    def __init__(self, s):
        self.s = s


class OuterHolder:
    def __init__(self, s):
        self.a = InnerHolder(s)
        self.items = [InnerHolder(s)]

    def through_attribute(self, x):
        return self.a.s + x

    def through_item(self, x):
        return self.items[0].s + x


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("method", ["through_attribute", "through_item"])
def test_objects_two_attributes_deep(mode, method):
    g = wengert.grad(getattr(OuterHolder, method), wrt=1, mode=mode)
    assert g(OuterHolder(2.0), 0.7) == 1.0                 # a number there: as before
    with pytest.raises(wengert.NoRuleError, match=r"`\+` on an object held in an attribute"):
        g(OuterHolder(ShiftSin(3.0)), 0.7)                  # an object next: not taken for one


# --------------------------------------------------------------------------
# a module-level object: what it holds (a list of layers, a function) known too

class Scaling:
    def __init__(self, k):
        self.k = k

    def __call__(self, x):
        return self.k * x


class Squaring:
    def __call__(self, x):
        return x * x


class Chain:
    def __init__(self, layers, fn=None):
        self.layers, self.fn = layers, fn

    def loss(self, x):
        h = x
        for layer in self.layers:
            h = layer(h)
        return h * h if self.fn is None else self.fn(h)


CHAIN = Chain([Scaling(2.0), Scaling(3.0)])


def via_module_object(x):
    return CHAIN.loss(x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_module_level_object_holding_layers(mode):
    g = wengert.grad(via_module_object, mode=mode)
    try:
        for change in ("none", "k", "shorter", "class", "function"):
            if change == "k":
                CHAIN.layers[1].k = 5.0
            elif change == "shorter":
                CHAIN.layers = [Scaling(2.0)]
            elif change == "class":
                CHAIN.layers = [Scaling(2.0), Squaring()]
            elif change == "function":
                CHAIN.fn = np.sin
            assert g(0.5) == pytest.approx(central_difference(via_module_object, 0.5),
                                           rel=1e-6), change
    finally:
        CHAIN.layers, CHAIN.fn = [Scaling(2.0), Scaling(3.0)], None


# --------------------------------------------------------------------------
# more messages in the user's words

def starred_display(x):
    ys = [*[x, x], x]
    return sum(ys)


def item_of_an_item(x):
    d = {"p": {"w": 1.0}}
    d["p"]["w"] = x
    return d["p"]["w"] * 2.0


class WithClassMethod:
    k = 2.0

    @classmethod
    def scale(cls, x):
        return cls.k * x

    def loss(self, x):
        return np.sum(self.scale(x) ** 2)


def test_messages_for_starred_items_nested_items_and_class_methods():
    with pytest.raises(wengert.UnsupportedSyntaxError, match="a starred item"):
        wengert.grad(starred_display)(0.5)
    with pytest.raises(wengert.UnsupportedSyntaxError, match="an item of an item") as info:
        wengert.grad(item_of_an_item)(0.5)
    assert "put it back" in str(info.value)
    with pytest.raises(wengert.NoRuleError, match=r"`\.scale\(\.\.\.\)`, a class method"):
        wengert.grad(WithClassMethod().loss)(np.ones(2))


# --------------------------------------------------------------------------
# super().method(x) whose method calls a function the object holds

class BaseAct:
    def __init__(self):
        self.act = np.tanh

    def predict(self, w):
        return self.act(w)

    def loss(self, w):
        return np.sum(self.predict(w))


class SubAct(BaseAct):
    def predict(self, w):
        return super().predict(w) * 2.0


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_super_method_calling_a_held_function(mode):
    w = np.array([0.1, 0.2])
    assert np.allclose(wengert.grad(SubAct().loss, mode=mode)(w), 2 * (1 - np.tanh(w) ** 2))


# --------------------------------------------------------------------------
# a rule registered for a library object's method (stats.norm.logpdf) is used

def logpdf_rule(x, loc=0.0, scale=1.0):
    tangent(-(x - loc) / scale ** 2 * x_dot + (x - loc) / scale ** 2 * loc_dot)  # noqa: F821
    adjoint(x=unbroadcast(-(x - loc) / scale ** 2 * g, x),                      # noqa: F821
            loc=unbroadcast((x - loc) / scale ** 2 * g, loc))                   # noqa: F821


def normal_log_likelihood(mu, x):
    return np.sum(scipy_stats.norm.logpdf(x, loc=mu))    # noqa: F821 (imported by the test)


def test_defrule_for_a_library_objects_method():
    stats = pytest.importorskip("scipy.stats")
    globals()["scipy_stats"] = stats
    wengert.defrule(stats.norm.logpdf)(logpdf_rule)
    x = np.array([0.1, 0.2, 1.0])
    for mode in ("reverse", "forward"):
        assert wengert.grad(normal_log_likelihood, mode=mode)(0.3, x) == \
            pytest.approx(np.sum(x - 0.3))


# --------------------------------------------------------------------------
# NumPy's opt-out (__array_ufunc__ = None) keeps the class's operators; a
# module-level list of objects has its items' classes; an object's array
# returned as a gradient is copied

class OptedOut:
    __array_ufunc__ = None

    def __init__(self, a):
        self.a = a

    def __mul__(self, x):
        return self.a * x

    def __rmul__(self, x):
        return 3.0 * self.a * x


def sin_of_product(x, o):
    return np.sum(np.sin(o * x))


class TimesSin:
    def __init__(self, c):
        self.c = c

    def __mul__(self, x):
        return np.sin(x) * self.c


OBJS = [TimesSin(2.0)]


def module_list_item_times(x):
    return np.sum(OBJS[0] * x)


class Weighted:
    def __init__(self, W):
        self.W = W

    def loss(self, x):
        return np.sum(x * self.W)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_objects_operators_and_owned_gradients(mode):
    x = np.array([0.3, -0.5, 0.8])
    assert np.allclose(wengert.grad(sin_of_product, mode=mode)(x, OptedOut(1.3)),
                       1.3 * np.cos(1.3 * x))
    try:
        assert np.allclose(wengert.grad(module_list_item_times, mode=mode)(x), 2 * np.cos(x))
        OBJS[0] = TimesSin(5.0)                     # (another item: checked at each call)
        assert np.allclose(wengert.grad(module_list_item_times, mode=mode)(x), 5 * np.cos(x))
    finally:
        OBJS[0] = TimesSin(2.0)
    m = Weighted(np.array([1.0, 2.0, 3.0]))
    g = wengert.grad(m.loss, mode=mode)(x)
    assert np.allclose(g, m.W) and not np.shares_memory(g, m.W)


# --------------------------------------------------------------------------
# a 0-d array written into and read as a number; writable gradients of
# np.pad/np.transpose; generators seeded from integer expressions

def zero_d_buffer(u):
    a = np.array(0.0)
    a[...] = u[0]
    return float(a) * 2.0


def padded(x):
    return np.sum(np.pad(x, 1) * 2.0)


def transposed(x):
    return np.sum(np.transpose(x))


def seeded_from_expression(u, seed, s=7):
    rng = np.random.default_rng(seed * 3 + s)
    return np.sum(u * rng.standard_normal(4))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_zero_d_buffers_pads_and_seeds(mode):
    assert np.allclose(wengert.grad(zero_d_buffer, mode=mode)(np.array([1.5, 2.0])), [2.0, 0.0])
    for f, want in ((padded, 2.0), (transposed, 1.0)):
        g = wengert.grad(f, mode=mode)(np.ones((3, 4)))
        g *= 0.5                                     # (its own, writable array)
        assert np.allclose(g, want / 2)
    u = np.arange(4.0)
    noise = np.random.default_rng(5 * 3 + 7).standard_normal(4)
    assert np.allclose(wengert.jacfwd(seeded_from_expression)(u, 5), noise)
    assert np.allclose(wengert.vjp(seeded_from_expression, u, 5)[1](1.0)[0], noise)


# --------------------------------------------------------------------------
# a list changed through an item of another list, or an attribute of an object

def through_an_item(x):
    outer = [[x]]
    inner = outer[0]
    inner.append(x ** 3)
    return outer[0][-1]


def through_a_dict_value(x):
    d = {"a": [x]}
    lst = d["a"]
    lst.append(x * x)
    return sum(d["a"])


class Buffer:
    def __init__(self):
        self.buf = [np.zeros(3)]

    def loss(self, x):
        xs = self.buf
        xs.append(x ** 2)
        return np.sum(self.buf[-1])


def an_item_read_only(x):
    outer = [[x, 2.0 * x]]
    inner = outer[0]
    return inner[0] * inner[1]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_lists_changed_through_another_name(mode):
    for f in (through_an_item, through_a_dict_value):
        with pytest.raises(wengert.UnsupportedSyntaxError, match="holds that list as an item"):
            wengert.grad(f, mode=mode)(0.7)
    with pytest.raises(wengert.UnsupportedSyntaxError, match="changes `self.buf`"):
        wengert.grad(Buffer().loss, mode=mode)(np.array([0.3, -0.5, 0.8]))
    assert wengert.grad(an_item_read_only, mode=mode)(0.7) == pytest.approx(4 * 0.7)


# --------------------------------------------------------------------------
# a method replaced on one instance: that instance gets code of its own

class Energy:
    def __init__(self, k):
        self.k = k

    def energy(self, x):
        return self.k * np.sum(x ** 2)


def energy_of(x, m):
    return m.energy(x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_method_replaced_on_one_instance(mode):
    x = np.array([0.3, -0.5, 0.8])
    plain, over = Energy(1.0), Energy(1.0)
    over.energy = lambda t: np.sum(t ** 3)
    g = wengert.grad(energy_of, mode=mode)
    assert np.allclose(g(x, plain), 2 * x)
    assert np.allclose(g(x, over), 3 * x ** 2)
    assert np.allclose(g(x, plain), 2 * x)


# --------------------------------------------------------------------------
# NumPy functions that are not ufuncs (np.sum, np.mean) as values

def aggregated(w, agg):
    return agg(w ** 2)


class MeanHolder:
    def __init__(self):
        self.f = np.mean

    def loss(self, w):
        return self.f(w ** 2)


def bound_locally(w):
    agg = np.sum
    return agg(w * 3.0)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_numpy_functions_as_values(mode):
    w = np.array([1.0, 2.0])
    assert np.allclose(wengert.grad(aggregated, mode=mode)(w, np.sum), 2 * w)
    assert np.allclose(wengert.grad(aggregated, mode=mode)(w, np.mean), w)
    assert np.allclose(wengert.grad(MeanHolder().loss, mode=mode)(w), w)
    assert np.allclose(wengert.grad(bound_locally, mode=mode)(w), 3.0)


def rows_scaled_in_place(u):
    v = u.copy()
    for row in v:
        row *= 2.0
    return np.sum(v ** 2)


def test_a_loop_over_an_array_is_named_by_it():
    with pytest.raises(wengert.UnsupportedSyntaxError, match="shares its memory with `v`"):
        wengert.grad(rows_scaled_in_place)(np.ones((3, 3)))


def flattened_in_fortran_order(u):
    return np.sum(u.flatten("F") * np.arange(6.0))


def test_method_refusals_name_the_method_written():
    with pytest.raises(wengert.NoRuleError,
                       match=r"`\.flatten\(\)` called with 1 positional arguments; its rule takes 0"):
        wengert.grad(flattened_in_fortran_order)(np.ones((2, 3)))
    with pytest.raises(wengert.UsageError, match="it is None"):
        wengert.grad(optional_function, wrt="w")(np.ones(2))


def test_show_specialises_an_objects_attributes(capsys):
    wengert.show(MeanHolder().loss, args=(np.array([1.0, 2.0]),))
    out = capsys.readouterr().out
    assert "self: MeanHolder instance (f: the function mean)" in out
    assert "def loss_grad(self, w" in out


# --------------------------------------------------------------------------
# a module-level object's own layers called from a lambda (self.fc1(x) on module data)

MODEL = Net(np.array([[1.0, 0.5], [-0.3, 0.8]]), np.array([[0.2, -1.0], [0.7, 0.4]]))


def test_module_level_model_called_inside():
    x = np.array([0.3, -0.7])
    f = lambda t: MODEL.loss(t) * 2.0         # noqa: E731
    for mode in ("reverse", "forward"):
        assert np.allclose(wengert.grad(f, mode=mode)(x),
                           central_difference(lambda t: MODEL.loss(t) * 2.0, x), rtol=1e-6)


# --------------------------------------------------------------------------
# objects unpacked from a list argument or chosen by a conditional expression

def unpacked_object(x, objs):
    a, = objs
    return np.sum(a * x)


def chosen_object(x, a, b):
    o = a if x[0] > 0 else b
    return np.sum(o * x)


def object_or_number(x, a):
    o = a if x[0] > 0 else 2.0
    return np.sum(o * x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_objects_unpacked_or_chosen(mode):
    x = np.array([0.5, 1.0])
    assert np.allclose(wengert.grad(unpacked_object, mode=mode)(x, [TimesSin(2.0)]),
                       2 * np.cos(x))
    assert np.allclose(wengert.grad(chosen_object, mode=mode)(x, TimesSin(2.0), TimesSin(2.0)),
                       2 * np.cos(x))
    with pytest.raises(wengert.NoRuleError, match="`o`, an object of your own class on one path") \
            as info:
        wengert.grad(object_or_number, mode=mode)(x, TimesSin(2.0))
    assert "test_trial13_regressions.py:" in str(info.value)          # (where it is)


def got_from_a_dict(x, d):
    return np.sum(d.get("k") * x)


def from_a_nested_list(x, objs):
    return np.sum(objs[0][0] * x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_objects_got_or_nested(mode):
    x = np.array([0.5, 1.0])
    assert np.allclose(wengert.grad(got_from_a_dict, mode=mode)(x, {"k": TimesSin(2.0)}),
                       2 * np.cos(x))
    assert np.allclose(wengert.grad(from_a_nested_list, mode=mode)(x, [[TimesSin(2.0)]]),
                       2 * np.cos(x))
