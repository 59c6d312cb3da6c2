"""The attributes a function reads of an instance argument (``self.W``) are
specialised like arguments: the dispatcher checks their kinds, the code is
built for them, and other kinds get code of their own."""

import numpy as np
import pytest

import wengert
from wengert import analysis

from test_methods import central


class Net:
    def __init__(self, W, b, w2, scale):
        self.W, self.b, self.w2, self.scale = W, b, w2, scale

    def forward(self, x):
        h = np.tanh(x @ self.W + self.b)
        return h @ self.w2

    def loss(self, x, y):
        r = self.forward(x) - y
        return self.scale * np.mean(r ** 2)


def loss_of(x, y, W, b, w2, scale):
    h = np.tanh(x @ W + b)
    r = h @ w2 - y
    return scale * np.mean(r ** 2)


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    return (Net(rng.normal(size=(5, 4)), rng.normal(size=4), rng.normal(size=4), 0.5),
            rng.normal(size=(6, 5)), rng.normal(size=6))


@pytest.mark.parametrize("mode", ["auto", "reverse", "forward"])
def test_specialised_for_the_attributes_read(data, mode):
    net, x, y = data
    g = wengert.grad(net.loss, mode=mode)
    got = g(x, y)
    np.testing.assert_allclose(got, central(lambda x: net.loss(x, y), x), rtol=1e-6, atol=1e-9)
    header = g.source.splitlines()[1]
    assert "self: Net instance (W: <f8[5,4], b: <f8[4], scale: float, w2: <f8[4])" in header
    # the shapes are known: no run-time reconciliation of shapes is left
    assert "unbroadcast" not in g.source


def test_the_same_code_as_for_arguments(data):
    net, x, y = data
    g = wengert.grad(net.loss, mode="reverse")
    h = wengert.grad(loss_of, mode="reverse")
    np.testing.assert_allclose(g(x, y), h(x, y, net.W, net.b, net.w2, net.scale), rtol=1e-12)
    body = [line.split("#")[0].strip() for line in g.source.splitlines()[3:]]
    assert not any("unbroadcast" in line or "as_array" in line for line in body)


@pytest.mark.parametrize("change", ["float b", "float32 b", "other shapes", "int scale"])
def test_other_attribute_kinds_get_their_own_code(data, change):
    net, x, y = data

    def loss(net, x, y):          # a new function: a derivative of its own
        return net.loss(x, y)
    g = wengert.grad(loss, wrt=1)
    np.testing.assert_allclose(g(net, x, y), central(lambda x: net.loss(x, y), x),
                               rtol=1e-6, atol=1e-9)
    other = Net(net.W, net.b, net.w2, net.scale)
    if change == "float b":
        other.b = 0.25
    elif change == "float32 b":
        other.b = net.b.astype(np.float32)
    elif change == "other shapes":
        other.W, other.b, other.w2 = net.W[:, :2], net.b[:2], net.w2[:2]
    else:
        other.scale = 2
    for _ in range(2):            # the second call takes the dispatcher's fast path
        got = g(other, x, y)
        np.testing.assert_allclose(got, central(lambda x: other.loss(x, y), x),
                                   rtol=1e-5, atol=1e-8)
    assert len(g._keys) == 2
    # and the first instance still gets its own code
    np.testing.assert_allclose(g(net, x, y), central(lambda x: net.loss(x, y), x),
                               rtol=1e-6, atol=1e-9)


def test_a_missing_attribute_raises_as_python_does(data):
    net, x, y = data
    g = wengert.grad(Net.loss, wrt=1)
    g(net, x, y)
    other = Net(net.W, net.b, net.w2, net.scale)
    del other.b
    with pytest.raises(AttributeError, match="'b'"):
        g(other, x, y)


class Stepper:
    def __init__(self, n, k):
        self.n, self.k = n, k

    def f(self, x):
        s = 0.0
        for i in range(self.n):
            s = s + np.sin(self.k * x * i)
        return s


def test_an_int_attribute_is_not_frozen():
    s = Stepper(4, 0.3)
    g = wengert.grad(s.f)

    def expected(n):
        return sum(np.cos(0.3 * 0.7 * i) * 0.3 * i for i in range(n))
    assert g(0.7) == pytest.approx(expected(4), rel=1e-12)
    s.n = 6                        # an int of another value: the same code, read live
    assert g(0.7) == pytest.approx(expected(6), rel=1e-12)


class WithProperty:
    def __init__(self):
        self._w = np.ones(3)
        self.c = 1.5

    @property
    def w(self):
        return self._w * 2

    def f(self, x):
        return np.sum(self.w * x) * self.c


def test_a_property_is_read_live_not_specialised():
    p = WithProperty()
    g = wengert.grad(p.f)
    np.testing.assert_allclose(g(np.ones(3)), [3.0, 3.0, 3.0])
    assert "(c: float)" in g.source.splitlines()[1]
    p._w = np.arange(3.0)
    np.testing.assert_allclose(g(np.ones(3)), [0.0, 3.0, 6.0])


class Recursive:
    def __init__(self, a):
        self.a = a

    def f(self, x, n):
        if n == 0:
            return np.sum(x * x)
        return self.f(np.sin(self.a * x), n - 1)


def test_not_specialised_when_the_object_is_passed_on():
    # (a recursive method: resolved again where the last splice stops)
    r = Recursive(np.array([0.5, 2.0]))
    x = np.array([0.3, -0.2])
    g = wengert.grad(r.f)
    np.testing.assert_allclose(g(x, 3), central(lambda x: r.f(x, 3), x), rtol=1e-6)
    assert "Recursive instance," in g.source.splitlines()[1]   # no attributes' kinds


def test_instance_attributes_reads():
    from wengert.api import lowered
    assert analysis.instance_attributes(lowered(WithProperty.f), "self") == ("c", "w")
    assert analysis.instance_attributes(lowered(Recursive.f), "self") == ()


# --------------------------------------------------------------------------
# functions held in attributes: self.act(x)


def relu(z):
    return np.maximum(z, 0.0)


class Dense:
    def __init__(self, W, act):
        self.W, self.act = W, act

    def __call__(self, x):
        return self.act(x @ self.W)

    def through_a_name(self, x):
        f = self.act
        return np.sum(f(x @ self.W) ** 2)


def dense_loss(layer, x):
    return np.sum(layer(x) ** 2)


def named_loss(layer, x):
    return layer.through_a_name(x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f", [dense_loss, named_loss])
@pytest.mark.parametrize("act", [np.tanh, relu, lambda z: z ** 3 - z], ids=["ufunc", "def",
                                                                            "lambda"])
def test_a_function_held_in_an_attribute_is_called_as_that_function(mode, f, act):
    rng = np.random.default_rng(7)
    layer = Dense(rng.normal(size=(3, 4)), act)
    x = rng.normal(size=3)
    g = wengert.grad(f, wrt=1, mode=mode)
    np.testing.assert_allclose(g(layer, x), central(lambda t: f(layer, t), x),
                               rtol=1e-6, atol=1e-9)
    assert "act: the function" in g.source.splitlines()[1]


def test_another_function_in_the_attribute_gets_code_of_its_own():
    rng = np.random.default_rng(8)
    layer = Dense(rng.normal(size=(3, 2)), np.tanh)
    x = rng.normal(size=3)
    g = wengert.grad(dense_loss, wrt=1)
    first = g(layer, x)
    np.testing.assert_allclose(first, central(lambda t: dense_loss(layer, t), x), rtol=1e-6)
    layer.act = np.sin                    # the dispatcher checks it by identity
    np.testing.assert_allclose(g(layer, x), central(lambda t: dense_loss(layer, t), x),
                               rtol=1e-6)
    assert "act: the function sin" in g.source.splitlines()[1]
    assert not np.allclose(g(layer, x), first)
    layer.act = np.tanh
    np.testing.assert_allclose(g(layer, x), first)
    assert len(g._keys) == 2


class Softplus:                            # a callable object: not a function
    def __call__(self, z):
        return np.log1p(np.exp(z))


class Holder:
    def __init__(self, act):
        self.act = act

    def loss(self, x):
        return np.sum(self.act(x))


def test_an_object_or_a_function_in_the_same_attribute():
    """Which attributes hold functions or objects is part of what the
    attributes read are found for (a callable object in ``act``: its class's
    ``__call__``; ``np.tanh`` there, next: that function)."""
    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(wengert.grad(Holder(Softplus()).loss)(x),
                               1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(wengert.grad(Holder(np.tanh).loss)(x), 1 - np.tanh(x) ** 2)


class Field:
    def __init__(self, A, act):
        self.A, self.act = A, act

    def F(self, x):
        return self.act(self.A @ x)

    def E(self, x):
        return np.sum(self.act(self.A @ x) ** 2)


def _jacobian(f, x, h=1e-6):
    return np.stack([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(x.size)], axis=-1)


def test_every_entry_point_specialises_the_attributes_read():
    """jacfwd, jacrev, hessian, hvp, jvp and vjp build for each call's
    arguments: the instance's attributes (a function in ``act`` too) are
    known to them as to a derivative's dispatcher."""
    rng = np.random.default_rng(14)
    field = Field(rng.normal(size=(3, 3)), np.tanh)
    x, v = rng.normal(size=3), np.array([0.3, -1.0, 0.5])
    J = _jacobian(field.F, x)
    H = _jacobian(wengert.grad(field.E), x)
    np.testing.assert_allclose(wengert.jacfwd(field.F)(x), J, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(wengert.jacrev(field.F)(x), J, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(wengert.hessian(field.E)(x), H, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(wengert.hvp(field.E)(x, v), H @ v, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(wengert.jvp(field.F, (x,), (v,))[1], J @ v, rtol=1e-6)
    out, pullback = wengert.vjp(field.F, x)
    np.testing.assert_allclose(pullback(v)[0], v @ J, rtol=1e-6)


def field_of(x, field):
    return field.act(field.A @ x)


def test_jvp_and_vjp_refuse_an_object_among_their_primals():
    field = Field(np.eye(2), np.tanh)
    x = np.array([0.1, 0.2])
    for call in (lambda: wengert.vjp(field_of, x, field),
                 lambda: wengert.jvp(field_of, (x, field), (x, x))):
        with pytest.raises(wengert.UsageError, match="primal 1 is a `Field` object") as info:
            call()
        assert "hold it fixed" in info.value.hint
    np.testing.assert_allclose(wengert.jacfwd(field_of)(x, field), np.diag(1 - np.tanh(x) ** 2))
