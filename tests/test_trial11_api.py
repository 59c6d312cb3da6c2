"""Trial 11 of the API: a derivative as a method decorator, calls that do not
fit, object arrays with a non-scalar output, functions redefined after their
derivative was made, and integer (index) arguments held by jvp and check_grad."""

import numpy as np
import pytest

import wengert


# -- a Derivative in a class body binds like a method ------------------------

class Scaled:
    def __init__(self, w):
        self.w = w

    @wengert.grad
    def loss(self, x):
        return self.w * x ** 2

    @wengert.grad(wrt=1)
    def second(self, x, y):
        return self.w * x * y ** 2

    @wengert.value_and_grad
    def both(self, x):
        return self.w * x ** 2

    @wengert.grad
    @wengert.grad
    def cubed(self, x):
        return self.w * x ** 3


def test_grad_decorating_a_method_differentiates_after_self():
    m = Scaled(3.0)
    assert m.loss(2.0) == 12.0                      # d/dx 3 x^2
    assert wengert.grad(m.loss)(2.0) == 6.0         # its derivative, bound: d/dx 6 x
    assert m.second(2.0, 5.0) == 60.0               # wrt=1 counts after self: y
    assert m.both(1.0) == (3.0, 6.0)
    assert m.cubed(2.0) == 36.0                     # d2/dx2 3 x^3
    assert Scaled(5.0).loss(1.0) == 10.0            # one derivative, every instance
    assert "with respect to x" in m.loss.source


def test_grad_decorating_a_method_through_the_class_is_the_functions():
    with pytest.raises(wengert.UsageError, match="with respect to `self`"):
        Scaled.loss(Scaled(3.0), 2.0)               # wrt=0 of loss(self, x): self


def test_a_parameter_named_self_in_a_bad_call_is_a_usage_error():
    def f(self, x):
        return self * x
    assert wengert.grad(f)(2.0, 3.0) == 3.0
    for call in (lambda: wengert.grad(f)(x=2.0), lambda: wengert.grad(f)(self=2.0),
                 lambda: wengert.grad(f)(2.0)):
        with pytest.raises(wengert.UsageError, match="missing a required argument"):
            call()


# -- an object array whose output is not a scalar ----------------------------

def test_object_array_with_a_non_scalar_output_is_a_usage_error():
    def f(x, y):
        return x * x * y
    for x in (np.array([1.0], dtype=object), np.array([1.0, 2.0], dtype=object)):
        with pytest.raises(wengert.UsageError, match="scalar output") as info:
            wengert.grad(f)(x, 3.0)
        assert info.value.__cause__ is None and info.value.__suppress_context__


def test_object_array_with_a_scalar_output_still_differentiates():
    def f(x, y):
        return np.sum(x * x * y)
    g = wengert.grad(f)(np.array([1.0, 2.0], dtype=object), 3.0)
    assert list(g) == [6.0, 12.0]


# -- a function redefined after its derivative was made ----------------------
# A Derivative keeps the code and defaults its function had when it was made
# (checking them at every call would cost a quarter of a small gradient's
# call); wengert.grad(f) again makes one of the function as it is now, and
# nothing built from the old definition is reused.

def test_grad_again_after_replaced_defaults():
    def f(x, w=np.array([1.0, 2.0])):
        return np.sum(w * x)
    x = np.array([1.0, 1.0])
    np.testing.assert_array_equal(wengert.grad(f)(x), [1.0, 2.0])
    f.__defaults__ = (np.array([5.0, 5.0]),)
    np.testing.assert_array_equal(wengert.grad(f)(x), [5.0, 5.0])
    f.__defaults__ = (np.array([5.0, 5.0, 5.0]),)      # another shape: built for it
    np.testing.assert_array_equal(wengert.grad(f)(np.ones(3)), [5.0, 5.0, 5.0])


def test_grad_again_after_replaced_keyword_defaults():
    def k(x, *, c=3.0):
        return c * x * x
    assert wengert.grad(k)(1.0) == 6.0
    k.__kwdefaults__ = {"c": 5.0}
    assert wengert.grad(k)(1.0) == 10.0
    assert wengert.value_and_grad(k)(1.0) == (5.0, 10.0)


def test_grad_again_after_replaced_code():
    def cc(x):
        return x * x
    assert (wengert.grad(cc)(3.0), wengert.grad(wengert.grad(cc))(3.0)) == (6.0, 2.0)
    cc.__code__ = (lambda x: x * x * x).__code__
    assert (wengert.grad(cc)(3.0), wengert.grad(wengert.grad(cc))(3.0)) == (27.0, 18.0)


def test_grad_again_after_replaced_code_of_a_callee():
    def helper(x):
        return x * x

    def outer(x):
        return helper(x) + x
    assert wengert.grad(outer, optimize=False)(3.0) == 7.0
    helper.__code__ = (lambda x: x * x * x).__code__
    assert wengert.grad(helper)(3.0) == 27.0
    assert wengert.grad(outer, optimize=False)(3.0) == 28.0


def test_an_unchanged_function_keeps_its_derivative():
    def f(x):
        return x * x
    g = wengert.grad(f)
    g(2.0)

    def other(x):
        return x
    other.__defaults__ = (1.0,)
    assert wengert.grad(f) is g and g(2.0) == 4.0


# -- integer arguments that are not differentiated stay integers -------------

def xent(W, X, y):
    logits = X @ W
    lse = np.log(np.sum(np.exp(logits), axis=1))
    return np.mean(lse - logits[np.arange(len(y)), y])


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(3, 4)), rng.normal(size=(5, 3)), np.array([0, 3, 1, 1, 2])


def test_check_grad_holds_integer_labels():
    W, X, y = _data()
    wengert.check_grad(xent, W, X, y, wrt=0)
    wengert.check_grad(xent, W, X, y)                 # (y, an index, not differentiated)


def test_jvp_holds_an_integer_argument_with_a_zero_tangent():
    W, X, y = _data()
    V = np.random.default_rng(1).normal(size=W.shape)
    out, t = wengert.jvp(xent, (W, X, y), (V, np.zeros_like(X), np.zeros(5)))
    assert out == pytest.approx(xent(W, X, y))
    assert t == pytest.approx(np.sum(wengert.grad(xent)(W, X, y) * V))


def test_jvp_still_differentiates_an_integer_argument_with_a_tangent():
    def f(x):
        return x * x
    assert wengert.jvp(f, (3,), (1.0,)) == (9, 6.0)
    out, t = wengert.jvp(f, (np.array([1, 2]),), (np.ones(2),))
    np.testing.assert_array_equal(t, [2.0, 4.0])


def test_vjp_holds_an_integer_array():
    # the labels were made floats and used as indices: IndexError
    W, X, y = _data()
    out, pullback = wengert.vjp(xent, W, X, y)
    gW, gX, gy = pullback(1.0)
    assert out == pytest.approx(xent(W, X, y))
    np.testing.assert_allclose(gW, wengert.grad(xent)(W, X, y))
    np.testing.assert_allclose(gX, wengert.grad(xent, wrt=1)(W, X, y))
    assert gy.shape == y.shape and not gy.any()
