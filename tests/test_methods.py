"""Bound methods and functools.partial: the function's derivative with the
bound arguments held (an instance's attributes are read, never
differentiated), through every entry point."""

import functools

import numpy as np
import pytest

import wengert


class Model:
    def __init__(self, weights, scale=1.0):
        self.weights = weights
        self.scale = scale

    def loss(self, x):
        return self.scale * np.sum(np.tanh(x @ self.weights) ** 2)

    def two(self, x, y):
        return np.sum(x * y * self.weights[:, 0])

    @classmethod
    def cubed(cls, x):
        return x * x * x


def loss_of(model, x):
    return model.scale * np.sum(np.tanh(x @ model.weights) ** 2)


def central(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


W1 = np.array([[0.5, -1.0], [0.25, 2.0], [1.5, 0.1]])
W2 = np.array([[-0.3, 0.7], [1.1, -0.4], [0.2, 0.9]])
X = np.array([0.3, -0.6, 0.8])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_grad_of_a_bound_method_reads_its_own_instance(mode):
    a, b = Model(W1, 2.0), Model(W2, 0.5)
    for m in (a, b, a):                    # one derivative of Model.loss, per instance's data
        g = wengert.grad(m.loss, mode=mode)(X)
        np.testing.assert_allclose(g, central(m.loss, X), rtol=1e-6, atol=1e-9)
    a.weights = W2                         # attributes are read at each call
    np.testing.assert_allclose(wengert.grad(a.loss, mode=mode)(X), central(a.loss, X),
                               rtol=1e-6, atol=1e-9)


def test_every_entry_point_takes_a_bound_method():
    m = Model(W1, 2.0)
    ref = central(m.loss, X)
    value, g = wengert.value_and_grad(m.loss)(X)
    assert value == pytest.approx(m.loss(X)) and np.allclose(g, ref, atol=1e-8)
    out, t = wengert.jvp(m.loss, (X,), (np.ones(3),))
    assert out == pytest.approx(m.loss(X)) and t == pytest.approx(ref.sum(), rel=1e-6)
    out, pullback = wengert.vjp(m.loss, X)
    (g,) = pullback(1.0)
    np.testing.assert_allclose(g, ref, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(wengert.jacfwd(m.loss)(X), ref, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(wengert.jacrev(m.loss)(X), ref, rtol=1e-6, atol=1e-9)
    hessian = wengert.hessian(m.loss)(X)
    expected = np.array([central(lambda x: wengert.grad(m.loss)(x)[i], X) for i in range(3)])
    np.testing.assert_allclose(hessian, expected, rtol=1e-5, atol=1e-7)
    v = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(wengert.hvp(m.loss)(X, v), expected @ v, rtol=1e-5, atol=1e-7)


def test_wrt_counts_the_arguments_after_self():
    m = Model(W1)
    y = np.array([1.0, 2.0, 3.0])
    gx, gy = wengert.grad(m.two, wrt=(0, 1))(X, y)
    np.testing.assert_allclose(gx, y * W1[:, 0])
    np.testing.assert_allclose(gy, X * W1[:, 0])
    np.testing.assert_allclose(wengert.grad(m.two, wrt="y")(X, y), X * W1[:, 0])
    np.testing.assert_allclose(wengert.grad(m.two, wrt=-1)(X, y), X * W1[:, 0])
    with pytest.raises(wengert.UsageError, match="is bound"):
        wengert.grad(m.two, wrt="self")
    with pytest.raises(wengert.UsageError, match="called with 2 arguments after the bound one"):
        wengert.grad(m.two, wrt=2)
    with pytest.raises(wengert.UsageError, match="out of range"):
        wengert.grad(m.two, wrt=-3)


def test_the_method_derivative_shows_its_source_and_differentiates_again():
    m = Model(W1)
    d = wengert.grad(m.loss)
    d(X)
    assert "def loss_grad(self, x)" in d.source or "self.weights" in d.source, d.source
    assert wengert.grad(wengert.grad(Model.cubed))(2.0) == pytest.approx(12.0)
    assert wengert.grad(Model.cubed, mode="forward")(2.0) == pytest.approx(12.0)


def test_partials_bind_leading_and_keyword_arguments():
    m = Model(W1, 2.0)
    ref = central(m.loss, X)
    by_position = functools.partial(loss_of, m)
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(wengert.grad(by_position, mode=mode)(X), ref,
                                   rtol=1e-6, atol=1e-9)
    by_name = functools.partial(loss_of, model=m)
    np.testing.assert_allclose(wengert.grad(by_name, wrt="x")(x=X), ref, rtol=1e-6, atol=1e-9)
    d = wengert.grad(by_position)
    d(X)
    assert "model.weights" in d.source
    (g,) = wengert.vjp(by_position, X)[1](1.0)
    np.testing.assert_allclose(g, ref, rtol=1e-6, atol=1e-9)
    with pytest.raises(wengert.UsageError, match="keyword"):
        wengert.jvp(by_name, (X,), (X,))
    with pytest.raises(wengert.UsageError, match="is bound"):
        wengert.grad(by_name, wrt="model")


# -- calls of methods of an instance: self, an argument, module data -----------

class Layer:
    def __init__(self, weights, bias):
        self.weights = weights
        self.bias = bias

    def __call__(self, x):
        return np.tanh(x @ self.weights + self.bias)

    def forward(self, x):
        return self.activate(x @ self.weights) + self.bias

    def activate(self, z):             # called by forward: resolved after splicing
        return z * self.sigmoid(z)

    @staticmethod
    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    def loss(self, x):
        return np.sum(self.forward(x) ** 2) + self.penalty()

    def penalty(self):
        return 0.1 * np.sum(self.weights ** 2)


class Doubled(Layer):
    def activate(self, z):             # a subclass's own method is the one called
        return 2.0 * np.sin(z)


def energy_of(x, layer):
    return np.sum(layer.forward(x) ** 2)


LAYER = Layer(W1, np.array([0.1, -0.2]))


def energy_of_module_layer(x):
    return np.sum(LAYER.forward(x) * x[:2])


def layer_call_by_name(x, layer):
    return np.sum(layer.__call__(x))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("optimize", [True, False])
def test_a_method_calling_methods_of_self(mode, optimize):
    for layer in (Layer(W1, np.array([0.1, -0.2])), Doubled(W2, np.array([0.3, 0.0]))):
        g = wengert.grad(layer.loss, mode=mode, optimize=optimize)(X)
        np.testing.assert_allclose(g, central(layer.loss, X), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_methods_of_an_argument_follow_its_class(mode):
    d = wengert.grad(energy_of, mode=mode)
    for layer in (Layer(W1, np.array([0.1, -0.2])), Doubled(W1, np.array([0.1, -0.2])),
                  Layer(W2, np.zeros(2))):
        want = central(lambda x: energy_of(x, layer), X)
        np.testing.assert_allclose(d(X, layer), want, rtol=1e-6, atol=1e-9)
    assert "Doubled instance" in d.source or "Layer instance" in d.source
    g = wengert.grad(layer_call_by_name, mode=mode)(X, LAYER)
    np.testing.assert_allclose(g, central(lambda x: layer_call_by_name(x, LAYER), X),
                               rtol=1e-6, atol=1e-9)


def test_a_module_level_instance_is_guarded_by_its_class():
    global LAYER
    d = wengert.grad(energy_of_module_layer)
    saved = LAYER
    try:
        np.testing.assert_allclose(d(X), central(energy_of_module_layer, X),
                                   rtol=1e-6, atol=1e-9)
        LAYER = Doubled(W2, np.array([0.5, 0.5]))     # another class: built again
        np.testing.assert_allclose(d(X), central(energy_of_module_layer, X),
                                   rtol=1e-6, atol=1e-9)
        LAYER.weights = W1                            # its data: read at each call
        np.testing.assert_allclose(d(X), central(energy_of_module_layer, X),
                                   rtol=1e-6, atol=1e-9)
    finally:
        LAYER = saved


def test_methods_that_cannot_be_resolved_are_refused():
    class Odd:
        def __init__(self):
            self.fn = np.sin            # an instance attribute, not a method

        @property
        def scale(self):
            return 2.0

    def through_attribute(x, obj):
        return np.sum(obj.fn(x))

    class Net:
        def __init__(self, layers):
            self.layers = layers

    def on_an_attribute(x, net):       # the items of an attribute's list: known
        return np.sum(net.layers[0].forward(x))

    def through_property(x, obj):
        return np.sum(obj.scale * x)

    # a function held in an instance attribute is called as that function
    np.testing.assert_allclose(wengert.grad(through_attribute)(X, Odd()), np.cos(X))
    np.testing.assert_allclose(wengert.grad(on_an_attribute)(X, Net([LAYER])),
                               central(lambda x: on_an_attribute(x, Net([LAYER])), X),
                               rtol=1e-6, atol=1e-9)
    # (a property's value is read at run time: no derivative flows through it)
    np.testing.assert_allclose(wengert.grad(through_property)(X, Odd()), 2.0 * np.ones(3))
    with pytest.raises(wengert.NoRuleError, match=r"`\[\]` on an instance of .*Net that "
                                                  r"defines no `__getitem__`") as info:
        wengert.grad(on_an_attribute)(X, Net(Net([LAYER])))      # (a Net: not indexable)
    assert "__getitem__" in info.value.hint


class Scaled:
    def __init__(self, w):
        self.w = w

    def __call__(self, x):
        return np.tanh(x * self.w)

    def loss(self, x):
        return np.sum(self(x) ** 2)


def total(x, layer):
    return layer.loss(x) + np.sum(layer(2 * x))


def test_the_example_of_docs_api(capsys):
    g = wengert.grad(total)(np.array([0.1, 0.2]), Scaled(np.array([1.0, -1.0])))
    assert repr(np.round(g, 4)) == "array([ 2.1194, -1.3319])"    # as docs/api.md shows
    layer = Scaled(np.array([1.0, -1.0]))
    np.testing.assert_allclose(g, central(lambda x: total(x, layer), np.array([0.1, 0.2])),
                               rtol=1e-6)


def chain(x, layers):
    for layer in layers:               # every item one class: resolved in the loop
        x = layer.forward(x[:3]) @ np.ones((2, 3))
    return np.sum(x ** 2)


def first_and_last(x, layers):
    return np.sum(layers[0].forward(x)) * np.sum(layers[-1](x))


def by_name(x, layers):
    return np.sum(layers["enc"].forward(x) * layers["dec"].forward(x))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_methods_of_the_items_of_a_container_argument(mode):
    a, b = Layer(W1, np.array([0.1, -0.2])), Layer(W2, np.zeros(2))
    c = Doubled(W2, np.array([0.3, 0.3]))
    d = wengert.grad(chain, mode=mode)
    for layers in ([a, b], (b, a, a), [c, c]):
        want = central(lambda x: chain(x, layers), X)
        np.testing.assert_allclose(d(X, layers), want, rtol=1e-6, atol=1e-9)
    d = wengert.grad(first_and_last, mode=mode)
    for layers in ([a, b], [a, c], [c, a]):        # each item's class is checked
        want = central(lambda x: first_and_last(x, layers), X)
        np.testing.assert_allclose(d(X, layers), want, rtol=1e-6, atol=1e-9)
    layers = {"enc": a, "dec": c}
    np.testing.assert_allclose(wengert.grad(by_name, mode=mode)(X, layers),
                               central(lambda x: by_name(x, layers), X), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_loop_over_objects_of_several_classes_is_written_out(mode):
    layers = [Layer(W1, np.zeros(2)), Doubled(W1, np.zeros(2))]
    np.testing.assert_allclose(wengert.grad(chain, mode=mode)(X, layers),
                               central(lambda x: chain(x, layers), X), rtol=1e-6, atol=1e-9)


class Slotted:
    __slots__ = ("w",)

    def __init__(self, w):
        self.w = w

    def f(self, x, scale=2.0, *, shift=0.5):
        return np.sum(np.sin(x * self.w) * scale + shift)


def with_defaults_and_keywords(x, obj):
    return obj.f(x, 3.0, shift=1.0) + obj.f(x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_slotted_object_and_a_method_with_defaults_and_keywords(mode):
    obj = Slotted(np.array([1.0, 2.0, -0.5]))
    g = wengert.grad(with_defaults_and_keywords, mode=mode)(X, obj)
    np.testing.assert_allclose(g, central(lambda x: with_defaults_and_keywords(x, obj), X),
                               rtol=1e-6, atol=1e-9)


class Base:
    def f(self, x):
        return np.sum(np.sin(x) * self.scale)


class Left(Base):
    def f(self, x):
        return super().f(x) * 2.0 + np.sum(x ** 2)


class Right(Base):
    def f(self, x):
        return super().f(2.0 * x) + 1.0


class Both(Left, Right):              # Left's super() is Right here, then Base
    def f(self, x):
        return super().f(x) + np.sum(np.cos(x))


def calls_f(x, obj):
    return obj.f(x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("cls", [Left, Right, Both])
def test_super_follows_the_method_resolution_order_of_the_object(mode, cls):
    obj = cls()
    obj.scale = 1.5
    g = wengert.grad(calls_f, mode=mode)(X, obj)
    np.testing.assert_allclose(g, central(lambda x: calls_f(x, obj), X), rtol=1e-6, atol=1e-9)


class Scaler:
    def __init__(self, w):
        self.w = w

    def apply(self, x):
        return self.w * x


def builds_an_object_inside(x):
    s = Scaler(x)
    return s.w * 2.0


def test_creating_an_object_inside_is_refused_by_name():
    with pytest.raises(wengert.NoRuleError, match="creating a `Scaler` object inside") as info:
        wengert.grad(builds_an_object_inside, mode="forward")(0.5)
    assert "pass it in as an argument" in info.value.hint


class _Shadowed:
    def __init__(self):
        self.k = 2.0

    def forward(self, x):
        return self.k * x

    def loss(self, x):
        return self.forward(x) ** 2


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_method_the_object_holds_a_function_for_is_that_function(mode):
    # Python calls the instance's own `forward`, not the class's: the
    # derivative was the class's (8.0 where 200.0)
    n = _Shadowed()
    n.forward = lambda x: 10.0 * x
    assert n.loss(1.0) == 100.0
    assert wengert.grad(n.loss, mode=mode)(1.0) == pytest.approx(200.0)
    plain = _Shadowed()
    assert wengert.grad(plain.loss, mode=mode)(1.0) == pytest.approx(8.0)
