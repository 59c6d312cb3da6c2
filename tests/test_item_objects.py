"""Objects held in a container: a list or dict argument of layers, or one an
instance holds (``self.layers``). Each item's class and the functions it
holds in attributes (``self.act = np.tanh``) key the specialisation; a loop
over items that are not alike (different classes, different functions) is
written out item by item, so that every call is resolved at build time."""

import types

import numpy as np
import pytest

import wengert
from wengert import inline

from test_methods import central


def relu(z):
    return np.maximum(z, 0.0)


class Dense:
    def __init__(self, W, b, act):
        self.W, self.b, self.act = W, b, act

    def __call__(self, x):
        return self.act(x @ self.W + self.b)


class Scale:
    def __init__(self, s):
        self.s = s

    def __call__(self, x):
        return self.s * x


class MLP:
    def __init__(self, layers, head):
        self.layers = layers
        self.blocks = {"head": head}

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = np.tanh(layer(x))
        x = self.layers[-1](x)
        return self.blocks["head"](x)

    def loss(self, x, y):
        return np.mean((self.forward(x) - y) ** 2)


def through(layers, x):
    for layer in layers:
        x = layer(x)
    return np.sum(x ** 2)


def numbered(layers, x):
    total = 0.0
    for i, layer in enumerate(layers):
        x = layer(x)
        total = total + (i + 1) * np.mean(x)
    return total + np.sum(x ** 2)


def at_keys(layers, x):
    h = layers[0](x)
    return np.sum(layers[1](h) ** 2) + np.sum(layers[-1].act(h))


def over_values(blocks, x):
    for b in blocks.values():
        x = b(x)
    return np.sum(x ** 2)


def over_items(blocks, x):
    total = 0.0
    for name, b in blocks.items():
        x = b(x)
        total = total + np.sum(x) * len(name)
    return total


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def dense(rng, n, m, act, shift=0.0):
    return Dense(rng.normal(size=(n, m)), rng.normal(size=m) + shift, act)


def check(f, args, mode, position=1):
    g = wengert.grad(f, wrt=position, mode=mode)(*args)
    x = args[position]

    def at(v):
        a = list(args)
        a[position] = v
        return f(*a)
    want = central(at, x)
    assert np.abs(want).max() > 1e-3            # (a gradient that is not all zeros)
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-8)
    return g


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_items_holding_one_function_in_a_loop(rng, mode):
    layers = [dense(rng, 3, 4, np.tanh), dense(rng, 4, 4, np.tanh)]
    check(through, (layers, rng.normal(size=(5, 3))), mode)
    d = wengert.grad(through, wrt=1, mode="reverse")
    d(layers, rng.normal(size=(5, 3)))
    assert "for " in d.source                    # alike items: the loop stays a loop
    assert "act: the function tanh" in d.source.splitlines()[1]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_items_holding_different_functions_at_constant_keys(rng, mode):
    layers = [dense(rng, 3, 4, np.tanh), dense(rng, 4, 4, relu, shift=2.0)]
    check(at_keys, (layers, rng.normal(size=(5, 3))), mode)


@pytest.mark.parametrize("f", [through, numbered])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_loop_over_unlike_items_is_written_out(rng, f, mode):
    layers = [dense(rng, 3, 4, np.tanh), Scale(0.5), dense(rng, 4, 2, relu, shift=3.0)]
    check(f, (layers, rng.normal(size=(5, 3))), mode)
    d = wengert.grad(f, wrt=1)
    d(layers, rng.normal(size=(5, 3)))
    code = "\n".join(line for line in d.source.splitlines() if not line.lstrip().startswith("#"))
    assert "for " not in code and "layers[2]" in code


@pytest.mark.parametrize("f", [over_values, over_items])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_loop_over_a_dict_of_unlike_objects(rng, f, mode):
    blocks = {"enc": dense(rng, 3, 4, np.sin), "s": Scale(2.0), "dec": dense(rng, 4, 2, np.tanh)}
    check(f, (blocks, rng.normal(size=(5, 3))), mode)


def test_the_dispatcher_checks_each_item(rng):
    """Another function in an item, another class, another length: other
    code, each checked against central differences."""
    layers = [dense(rng, 3, 4, np.tanh), dense(rng, 4, 4, np.tanh)]
    x = rng.normal(size=(5, 3))
    # a derivative of its own: other tests in the process share wengert.grad(through)'s
    fresh = types.FunctionType(through.__code__, through.__globals__)
    d = wengert.grad(fresh, wrt=1)

    def agrees():
        np.testing.assert_allclose(d(layers, x), central(lambda v: through(layers, v), x),
                                   rtol=1e-6, atol=1e-8)
    agrees()
    layers[1].act = np.sin          # unlike now: written out
    agrees()
    layers.append(Scale(-2.0))
    agrees()
    layers[2] = dense(rng, 4, 4, np.cos)
    agrees()
    assert len(d._keys) == 4


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_model_holding_its_layers(rng, mode):
    m = MLP([dense(rng, 3, 4, np.tanh), Scale(0.7), dense(rng, 4, 4, np.sin)],
            dense(rng, 4, 2, np.tanh))
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    check(MLP.loss, (m, x, y), mode)
    check(lambda model, v: model.loss(v, y), (m, x), mode)
    d = wengert.grad(MLP.loss, wrt=1, mode=mode)
    d(m, x, y)
    m.blocks["head"] = dense(rng, 4, 2, np.cos)     # the dispatcher sees it
    m.layers[0].act = relu
    np.testing.assert_allclose(d(m, x, y), central(lambda v: m.loss(v, y), x),
                               rtol=1e-6, atol=1e-8)


def test_jacobians_of_a_model_holding_its_layers(rng):
    m = MLP([dense(rng, 3, 4, np.tanh), Scale(0.7), dense(rng, 4, 4, np.sin)],
            dense(rng, 4, 2, np.tanh))
    x = rng.normal(size=(2, 3))
    J = wengert.jacrev(MLP.forward, wrt=1)(m, x)
    np.testing.assert_allclose(J, wengert.jacfwd(MLP.forward, wrt=1)(m, x), rtol=1e-10)
    e = np.zeros_like(x)
    e[1, 2] = 1e-6
    np.testing.assert_allclose(J[:, :, 1, 2], (m.forward(x + e) - m.forward(x - e)) / 2e-6,
                               rtol=1e-5, atol=1e-8)


def test_too_many_unlike_items_are_refused_not_guessed(rng):
    layers = [Scale(1.0 + 0.01 * i) if i % 2 else dense(rng, 3, 3, np.tanh)
              for i in range(inline.MAX_UNROLLED + 2)]
    with pytest.raises(wengert.WengertError, match="class is not known"):
        wengert.grad(through, wrt=1)(layers, rng.normal(size=(2, 3)))


def test_a_loop_that_may_break_is_not_written_out(rng):
    def until(layers, x):
        for layer in layers:
            x = layer(x)
            if np.sum(x) > 1e6:
                break
        return np.sum(x ** 2)
    layers = [dense(rng, 3, 3, np.tanh), Scale(0.5)]
    with pytest.raises(wengert.WengertError, match="class is not known"):
        wengert.grad(until, wrt=1)(layers, rng.normal(size=(2, 3)))


class Spring:
    def __init__(self, k):
        self.k = k

    def energy(self, x):
        return 0.5 * self.k * np.sum(x ** 2) + np.sum(np.sin(x))


def total(x, springs):
    e = 0.0
    for s in springs:
        e = e + s.energy(x)
    return e


def relax(x, springs):
    g = wengert.grad(total)
    for _ in range(3):
        x = x - 0.1 * g(x, springs)
    return np.sum(x ** 2)


def test_second_order_through_a_list_of_objects():
    x, springs = np.array([1.0, 2.0]), [Spring(2.0), Spring(3.0)]
    want = np.diag(5.0 - 2 * np.sin(x))
    np.testing.assert_allclose(wengert.hessian(total)(x, springs), want, rtol=1e-12)
    np.testing.assert_allclose(wengert.hvp(total)(x, springs, np.ones(2)), want @ np.ones(2),
                               rtol=1e-12)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_gradient_of_a_list_of_objects_called_inside(mode):
    x, springs = np.array([0.3, -0.4]), [Spring(2.0), Spring(3.0)]
    got = wengert.grad(relax, mode=mode)(x, springs)
    np.testing.assert_allclose(got, central(lambda v: relax(v, springs), x), rtol=1e-6,
                               atol=1e-9)


def test_an_object_built_inside_is_named_in_both_modes():
    def built_inside(x, k):
        s = Spring(k)
        return s.energy(x)
    for mode in ("reverse", "forward"):
        with pytest.raises(wengert.NoRuleError, match="creating a `Spring` object inside"):
            wengert.grad(built_inside, mode=mode)(np.ones(2), 2.0)


def test_grad_with_respect_to_a_list_of_objects_says_so(rng):
    with pytest.raises(wengert.UsageError, match="holds `Dense` objects"):
        wengert.grad(through)([dense(rng, 2, 2, np.tanh)], np.ones((1, 2)))


def test_many_kinds_of_models_each_get_code():
    """More models than the dispatcher checks inline: each still gets code
    of its own (the items' classes are how their methods are found)."""
    x = np.array([0.3, -0.2])
    acts = [np.sin, np.cos, np.tanh, np.exp, np.arctan, np.sinh, np.expm1, np.log1p, np.arcsinh,
            np.cbrt]
    d = wengert.grad(through, wrt=1)
    for a in acts:
        layers = [Dense(np.eye(2) * 0.5, np.zeros(2), a)]
        np.testing.assert_allclose(d(layers, x), central(lambda v: through(layers, v), x),
                                   rtol=1e-6, atol=1e-9)


class Block:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, x):
        h = x
        for layer in self.layers:
            h = layer(h)
        return x + h


class Stack:
    def __init__(self, blocks):
        self.blocks = blocks

    def loss(self, x):
        for b in self.blocks:
            x = b(x)
        return np.sum(x ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_blocks_holding_their_own_layers(rng, mode):
    """An item holding a list of objects (a block's ``self.layers``): those
    items' classes and functions are known too, and checked at each call."""
    m = Stack([Block([dense(rng, 3, 3, np.tanh), Scale(0.5)]),
               Block([dense(rng, 3, 3, np.sin), dense(rng, 3, 3, np.tanh)])])
    x = rng.normal(size=(2, 3))
    d = wengert.grad(Stack.loss, wrt=1, mode=mode)
    np.testing.assert_allclose(d(m, x), central(m.loss, x), rtol=1e-6, atol=1e-8)
    m.blocks[1].layers[0].act = np.cos
    np.testing.assert_allclose(d(m, x), central(m.loss, x), rtol=1e-6, atol=1e-8)
    m.blocks[0].layers.append(Scale(2.0))
    np.testing.assert_allclose(d(m, x), central(m.loss, x), rtol=1e-6, atol=1e-8)
    blocks = m.blocks                          # a list of blocks passed in

    def through_blocks(bs, v):
        for b in bs:
            v = b(v)
        return np.sum(v ** 2)
    np.testing.assert_allclose(wengert.grad(through_blocks, wrt=1, mode=mode)(blocks, x),
                               central(m.loss, x), rtol=1e-6, atol=1e-8)


class SlicedStack(Stack):
    def loss(self, x):
        for b in self.blocks[:-1]:
            x = b(x)
        return np.sum(self.blocks[-1](x) ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_slice_of_blocks_then_the_last_block(rng, mode):
    m = SlicedStack([Block([dense(rng, 3, 3, np.tanh), Scale(0.5)]),
                     Block([dense(rng, 3, 3, np.sin)]),
                     Block([dense(rng, 3, 3, np.tanh), dense(rng, 3, 3, np.cos)])])
    x = rng.normal(size=(2, 3))
    np.testing.assert_allclose(wengert.grad(SlicedStack.loss, wrt=1, mode=mode)(m, x),
                               central(m.loss, x), rtol=1e-6, atol=1e-8)


class Sin:
    def __call__(self, x):
        return np.sin(x)


def reads_its_carry(layers, x):
    for layer in layers:
        x = layer(x) + x * x        # the body reads x itself: each copy its own x
    return np.sum(x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_written_out_copies_read_each_its_own_value(mode):
    """The copies of a loop written out are in SSA form: the adjoint of the
    first copy's ``x * x`` reads that copy's ``x``, not the last one's."""
    layers = [Scale(2.0), Sin(), Scale(0.5)]
    x = np.array([0.3, -0.4, 0.6])
    np.testing.assert_allclose(wengert.grad(reads_its_carry, wrt=1, mode=mode)(layers, x),
                               central(lambda v: reads_its_carry(layers, v), x), rtol=1e-6)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_unlike_layers_written_out_inside_a_loop_over_like_blocks(mode):
    """A loop over like blocks stays a loop; each block's unlike layers are
    written out inside it, and the adjoint's replay of the loop body computes
    every copy again (they are carries no more)."""
    m = Stack([Block([Scale(2.0), Sin()]), Block([Scale(0.5), Sin()])])
    x = np.array([0.3, -0.4, 0.6])
    np.testing.assert_allclose(wengert.grad(Stack.loss, wrt=1, mode=mode)(m, x),
                               central(m.loss, x), rtol=1e-6, atol=1e-9)
    v, g = wengert.value_and_grad(Stack.loss, wrt=1)(m, x)
    assert v == pytest.approx(m.loss(x))
    np.testing.assert_allclose(g, central(m.loss, x), rtol=1e-6, atol=1e-9)


def test_a_list_of_functions_is_refused_with_our_error():
    def chain_of(fs, x):
        for g in fs:
            x = g(x)
        return np.sum(x)
    with pytest.raises(wengert.WengertError):
        wengert.grad(chain_of, wrt=1)([np.sin, np.tanh], np.ones(2))


class _Net:
    def __init__(self, layers):
        self.layers = layers

    def loss(self, x):
        for layer in self.layers:
            x = layer(x)
        return np.sum(x)


@pytest.mark.parametrize("unlike", (False, True))
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_layers_of_a_model_without_the_optimiser(rng, mode, unlike):
    # optimize=False calls each layer's derivative instead of splicing it in:
    # the functions a layer holds (`self.act`) were not known there (refused),
    # and layers written out one by one read names never assigned
    # (UnboundLocalError)
    layers = [dense(rng, 3, 4, np.tanh), Scale(0.5) if unlike else dense(rng, 4, 4, np.tanh),
              dense(rng, 4, 2, np.tanh)]
    net, x = _Net(layers), rng.normal(size=(5, 3))
    want = wengert.grad(net.loss, mode=mode)(x)
    got = wengert.grad(net.loss, mode=mode, optimize=False)(x)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(want, central(net.loss, x), rtol=1e-6, atol=1e-8)
