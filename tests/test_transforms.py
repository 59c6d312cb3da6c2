"""Derivative operators and higher order: jacfwd, jacrev, hessian, hvp,
grad of grad in every mix of modes, has_aux, containers, check_grad."""

import math

import numpy as np
import pytest

import wengert

MODES = ["reverse", "forward"]


def rosenbrock(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def rosenbrock_hessian(x):
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i + 1, i + 1] += 200
        h[i, i + 1] = h[i + 1, i] = -400 * x[i]
    return h


@pytest.mark.parametrize("n", [2, 5])
def test_hessian_of_rosenbrock_closed_form(n):
    x = np.linspace(-0.8, 1.3, n)
    np.testing.assert_allclose(wengert.hessian(rosenbrock)(x), rosenbrock_hessian(x),
                               rtol=1e-12, atol=1e-9)


def test_hvp_equals_hessian_times_v():
    x = np.array([0.5, 1.2, -0.3, 0.8])
    v = np.array([1.0, 0.0, 2.0, -1.0])
    np.testing.assert_allclose(wengert.hvp(rosenbrock)(x, v), rosenbrock_hessian(x) @ v,
                               rtol=1e-12)


def polar(r):
    return np.sin(r) * r[0] + r ** 2


def test_jacobians_agree_and_match_closed_form():
    x = np.array([0.3, 0.5, -0.2])
    jf, jr = wengert.jacfwd(polar)(x), wengert.jacrev(polar)(x)
    expected = np.diag(x[0] * np.cos(x) + 2 * x)
    expected[:, 0] += np.sin(x)
    np.testing.assert_allclose(jf, expected, rtol=1e-12)
    np.testing.assert_allclose(jr, expected, rtol=1e-12)


def two_outputs_of_two_inputs(x, y):
    return x * y + np.exp(x)


def test_jacobians_with_respect_to_several_inputs():
    x, y = np.array([0.1, 0.2]), np.array([1.0, -1.0])
    jx, jy = wengert.jacfwd(two_outputs_of_two_inputs, wrt=(0, 1))(x, y)
    rx, ry = wengert.jacrev(two_outputs_of_two_inputs, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(jx, np.diag(y + np.exp(x)))
    np.testing.assert_allclose(jy, np.diag(x))
    np.testing.assert_allclose(rx, jx)
    np.testing.assert_allclose(ry, jy)


def poly(x):
    return 3.0 * x ** 4 - 2.0 * x ** 3 + x


@pytest.mark.parametrize("m1", MODES)
@pytest.mark.parametrize("m2", MODES)
@pytest.mark.parametrize("m3", MODES)
def test_third_derivative_of_a_polynomial_in_every_mix_of_modes(m1, m2, m3):
    d3 = wengert.grad(wengert.grad(wengert.grad(poly, mode=m1), mode=m2), mode=m3)
    x = 0.7
    assert d3(x) == pytest.approx(72.0 * x - 12.0, rel=1e-12)


def loop_and_branch(x):
    for i in range(4):
        if x > 1.0:
            x = x * 0.5 + math.sin(x)
        else:
            x = x * x + 0.3
    return x


@pytest.mark.parametrize("m1", MODES)
@pytest.mark.parametrize("m2", MODES)
def test_second_derivative_through_loop_and_branch(m1, m2):
    d2 = wengert.grad(wengert.grad(loop_and_branch, mode=m1), mode=m2)
    g = wengert.grad(loop_and_branch)
    for x in (0.4, 0.9, 1.7):
        eps = 1e-5
        assert d2(x) == pytest.approx((g(x + eps) - g(x - eps)) / (2 * eps), rel=1e-6)


def test_hessian_through_loop_and_branch_matches_finite_differences():
    def f(x):
        s = 0.0
        for i in range(len(x)):
            if x[i] > 0:
                s = s + x[i] ** 3 * x[0]
            else:
                s = s - x[i] * x[i]
        return s
    x = np.array([0.5, -0.4, 1.1])
    h = wengert.hessian(f)(x)
    g = wengert.grad(f)
    eps = 1e-6
    fd = np.array([(g(x + eps * e) - g(x - eps * e)) / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(h, fd, rtol=1e-6, atol=1e-6)


def test_perturbation_confusion():
    def outer(x):
        # d/dx [x * d/dy (x * y)] = d/dx x^2 = 2x; a tool that confuses the two
        # perturbations answers something else
        return x * wengert.grad(lambda y: x * y)(1.0)
    for mode in MODES:
        assert wengert.grad(outer, mode=mode)(3.0) == pytest.approx(6.0)


def loss_and_aux(w, x):
    pred = w * x
    loss = (pred - 1.0) ** 2
    return loss, {"prediction": pred, "note": "aux can be anything"}


@pytest.mark.parametrize("mode", MODES)
def test_has_aux(mode):
    g, aux = wengert.grad(loss_and_aux, has_aux=True, mode=mode)(0.5, 2.0)
    assert g == pytest.approx(2 * (0.5 * 2.0 - 1.0) * 2.0)
    assert aux == {"prediction": 1.0, "note": "aux can be anything"}
    (value, aux2), g2 = wengert.value_and_grad(loss_and_aux, has_aux=True, mode=mode)(0.5, 2.0)
    assert value == pytest.approx(0.0) and aux2["note"] == aux["note"] and g2 == g


def test_vjp_and_jacobians_with_aux():
    out, pullback, aux = wengert.vjp(loss_and_aux, 0.5, 2.0, has_aux=True)
    assert aux["prediction"] == 1.0
    assert pullback(1.0)[0] == pytest.approx(0.0)

    def vec_aux(x):
        return x * x, "tag"
    j, tag = wengert.jacfwd(vec_aux, has_aux=True)(np.array([1.0, 2.0]))
    np.testing.assert_allclose(j, np.diag([2.0, 4.0]))
    assert tag == "tag"
    j, tag = wengert.jacrev(vec_aux, has_aux=True)(np.array([1.0, 2.0]))
    np.testing.assert_allclose(j, np.diag([2.0, 4.0]))


def mlp_loss(params, x):
    h = np.tanh(x * params["w1"] + params["b"][0])
    return np.tanh(h[0] * params["w2"]) + params["b"][1] * h[1]


def test_gradient_of_a_dict_of_parameters_has_the_same_structure():
    params = {"w1": np.array([0.3, -0.2]), "w2": 1.5, "b": [0.1, np.array(0.4)],
              "unused": np.ones(2)}
    x = np.array([1.0, 2.0])
    g = wengert.grad(mlp_loss)(params, x)
    assert set(g) == set(params) and isinstance(g["b"], list)
    np.testing.assert_array_equal(g["unused"], np.zeros(2))
    eps = 1e-6
    for key in ("w1",):
        for i in range(2):
            p, m = {**params, key: params[key].copy()}, {**params, key: params[key].copy()}
            p[key][i] += eps
            m[key][i] -= eps
            fd = (mlp_loss(p, x) - mlp_loss(m, x)) / (2 * eps)
            assert g[key][i] == pytest.approx(fd, rel=1e-6)
    fd = (mlp_loss({**params, "w2": 1.5 + eps}, x) - mlp_loss({**params, "w2": 1.5 - eps}, x)) / (2 * eps)
    assert g["w2"] == pytest.approx(fd, rel=1e-6)


def test_tuple_outputs_through_vjp():
    def pair(x, y):
        return x * y, x + y
    (a, b), pullback = wengert.vjp(pair, 2.0, 3.0)
    assert (a, b) == (6.0, 5.0)
    assert pullback((1.0, 0.0)) == (3.0, 2.0)
    assert pullback((0.0, 1.0)) == (1.0, 1.0)


def test_check_grad_passes_on_correct_derivatives():
    wengert.check_grad(rosenbrock, np.array([0.5, 1.2, -0.3]), order=2)
    wengert.check_grad(polar, np.array([0.3, 0.5, -0.2]))


def test_check_grad_names_the_mode_and_argument_that_disagree():
    @wengert.custom_vjp
    def wrong(x):
        return x * x

    def wrong_fwd(x):
        return x * x, x

    def wrong_bwd(x, g):
        return (3.0 * x * g,)          # should be 2x

    wrong.defvjp(wrong_fwd, wrong_bwd)

    def f(a):
        return wrong(a) + 1.0

    with pytest.raises(AssertionError, match=r"reverse mode, argument `a`"):
        wengert.check_grad(f, 0.7)
    wengert.check_grad(f, 0.7, modes=("forward",))    # forward differentiates x * x


def test_operators_have_source():
    d = wengert.grad(wengert.grad(poly))
    assert d(0.5) == pytest.approx(36 * 0.25 - 12 * 0.5)
    assert "def " in d.source


def rosenbrock_vectorised(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


@pytest.mark.parametrize("mode", MODES)
def test_vectorised_rosenbrock_gradient_and_hessian(mode):
    x = np.linspace(-0.8, 1.3, 6)
    head, tail = x[:-1], x[1:]
    expected = np.zeros_like(x)
    expected[:-1] = -400.0 * (tail - head ** 2) * head - 2.0 * (1.0 - head)
    expected[1:] += 200.0 * (tail - head ** 2)
    np.testing.assert_allclose(wengert.grad(rosenbrock_vectorised, mode=mode)(x), expected,
                               rtol=1e-12)
    np.testing.assert_allclose(wengert.hessian(rosenbrock_vectorised)(x), rosenbrock_hessian(x),
                               rtol=1e-12, atol=1e-9)


def elementwise_with_broadcast(x, y):
    return np.sin(x) * y + np.exp(x / 3.0) + abs(x) * 2.0


def test_jacfwd_is_one_vectorised_pass_for_elementwise_code(monkeypatch):
    from wengert import transforms
    calls = []
    real = transforms._batched_columns

    def spy(*a):
        out = real(*a)
        calls.append(out is not None)
        return out
    monkeypatch.setattr(transforms, "_batched_columns", spy)
    x = np.array([0.3, -0.5, 0.7])
    y = np.array([[1.0, 2.0, 3.0], [0.5, 0.1, -1.0]])     # broadcasts against x
    jac = wengert.jacfwd(elementwise_with_broadcast, wrt=(0, 1))
    jx, jy = jac(x, y)
    assert calls == [True, True], "each input's columns should come from one batched pass"
    rx, ry = wengert.jacrev(elementwise_with_broadcast, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(jx, rx, rtol=1e-12)
    np.testing.assert_allclose(jy, ry, rtol=1e-12)
    assert "def elementwise_with_broadcast_jvp" in jac.source


def test_jacfwd_falls_back_to_one_pass_per_column_for_other_code():
    x = np.array([0.3, -0.5, 0.7])
    j = wengert.jacfwd(polar)(x)                  # indexing: not batchable
    np.testing.assert_allclose(j, wengert.jacrev(polar)(x), rtol=1e-12)
    assert wengert.jacfwd(lambda_free_scalar)(0.5) == pytest.approx(math.cos(0.5) * 0.5
                                                                     + math.sin(0.5))


def lambda_free_scalar(x):
    return math.sin(x) * x


def _cubes(x):
    return np.sum(x ** 3 * np.sin(x))


@pytest.mark.parametrize("outer", ["jacfwd", "jacrev"])
def test_a_forward_mode_gradient_of_an_array_differentiated_again(outer):
    # (differentiated as the adjoint that computes the same numbers)
    x = np.array([0.4, -1.2, 2.0])
    inner = wengert.grad(_cubes, mode="forward")
    got = getattr(wengert, outer)(inner)(x)
    np.testing.assert_allclose(got, wengert.hessian(_cubes)(x), rtol=1e-12)
    fd = np.array([(inner(x + e) - inner(x - e)) / 2e-6 for e in np.eye(3) * 1e-6])
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-8)


def _van_der_pol(y):
    return np.array([y[1], 2.0 * (1 - y[0] ** 2) * y[1] - y[0]])


def _flow_energy(y):
    for _ in range(3):
        y = y + 0.05 * _van_der_pol(y)      # items read at constant indices
    return np.sum(y ** 2)


@pytest.mark.parametrize("outer", ["hessian", "jacrev_of_grad"])
def test_second_order_through_items_read_at_constant_indices(outer):
    # the gradient's items_adjoint(y, (1, 0), ...) is read again as the sum of
    # getitem_adjoint terms, which have rules
    y = np.array([0.5, -0.3])
    g = wengert.grad(_flow_energy)
    h = wengert.hessian(_flow_energy)(y) if outer == "hessian" else wengert.jacrev(g)(y)
    fd = np.array([(g(y + e) - g(y - e)) / 2e-6 for e in np.eye(2) * 1e-6])
    np.testing.assert_allclose(h, fd, rtol=1e-6, atol=1e-8)


def test_jacrev_with_respect_to_a_container_is_refused():
    def f(p, x):
        return np.sum(np.tanh(x * p["a"]))
    with pytest.raises(wengert.UsageError, match="jacrev takes array or scalar inputs"):
        wengert.jacrev(f)({"a": np.array([0.3, 0.7])}, 1.5)


def _cubic_of_a_dict(p):
    return np.sum(p["w"] ** 3) + p["s"] ** 2 * np.sum(p["w"])


def _cubic_of_a_pair(p):
    a, b = p
    return np.sum(a ** 3) * b


def test_check_grad_of_order_2_with_containers():
    """The gradient checked again is a dict or a tuple: its finite
    differences are taken leaf by leaf (an internal TypeError escaped)."""
    wengert.check_grad(_cubic_of_a_dict, {"w": np.array([1.0, 2.0]), "s": 0.7}, order=2)
    wengert.check_grad(_cubic_of_a_pair, (np.array([1.0, 2.0]), 0.5), order=2)
    with pytest.raises(AssertionError, match="disagrees with central finite differences"):
        wengert.check_grad(_cubic_of_a_dict, {"w": np.array([1.0, 2.0]), "s": 0.7}, order=2,
                           eps=1e-2, rtol=1e-12, atol=1e-14)


def _inner_loss(w, X, y):
    r = X @ w - y
    return np.sum(r * r) / len(y)


def _adapted_by_a_named_gradient(w, X, y, lr):
    g_fn = wengert.grad(_inner_loss)      # a derivative bound to a name, then called
    for _ in range(2):
        w = w - lr * g_fn(w, X, y)
    return _inner_loss(w, X, y)


def _named_gradient_passed_on(w, X, y):
    g_fn = wengert.grad(_inner_loss)
    return np.sum(_apply_to(g_fn, w, X, y))


def _apply_to(f, w, X, y):
    return f(w, X, y)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_gradient_bound_to_a_name_inside_and_called(mode):
    rng = np.random.default_rng(2)
    X, y, w = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=3)
    h = 1e-6
    for wrt, x in ((0, w), (3, 0.1)):
        got = wengert.grad(_adapted_by_a_named_gradient, wrt=wrt, mode=mode)(w, X, y, 0.1)
        if wrt == 0:
            want = [(_adapted_by_a_named_gradient(w + h * e, X, y, 0.1) -
                     _adapted_by_a_named_gradient(w - h * e, X, y, 0.1)) / (2 * h)
                    for e in np.eye(3)]
        else:
            want = (_adapted_by_a_named_gradient(w, X, y, 0.1 + h) -
                    _adapted_by_a_named_gradient(w, X, y, 0.1 - h)) / (2 * h)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    with pytest.raises(wengert.UnsupportedSyntaxError, match="a derivative made inside"):
        wengert.grad(_named_gradient_passed_on)(w, X, y)


def _sin_times(t):
    return math.sin(t) * t


def test_jacobians_of_python_floats_are_python_floats():
    """As ``grad(grad(f))`` gives: a Python float's derivative of a Python
    float is a Python float; a NumPy scalar's stays a NumPy scalar."""
    want = 2 * math.cos(0.7) - 0.7 * math.sin(0.7)
    h = wengert.hessian(_sin_times)(0.7)
    assert type(h) is float and h == pytest.approx(want)
    assert type(wengert.jacfwd(_sin_times)(0.7)) is float
    assert type(wengert.jacrev(_sin_times)(0.7)) is float
    assert type(wengert.hessian(lambda t: np.sin(t) * t)(np.float64(0.7))) is np.float64


def _scaled(x, c=2.0, *, d=1.0):
    return d * c * x ** 2


class _WithDefault:
    def __init__(self, w):
        self.w = w

    def f(self, x, c=2.0):
        return c * np.sum(self.w * x)


def test_defaults_left_out_are_held_at_their_values():
    """A parameter with a default that the call leaves out is held at its
    default (the cotangent or tangent went into its slot before)."""
    v, pullback = wengert.vjp(_scaled, 0.7)
    assert v == pytest.approx(0.98) and pullback(3.0) == pytest.approx((3.0 * 2.8,))
    assert wengert.jvp(_scaled, (0.7,), (1.0,)) == pytest.approx((0.98, 2.8))
    assert wengert.hvp(_scaled)(0.7, 1.0) == pytest.approx(4.0)
    m = _WithDefault(np.array([1.0, 2.0]))
    _, pullback = wengert.vjp(m.f, np.ones(2))
    np.testing.assert_allclose(pullback(1.0)[0], [2.0, 4.0])
    _, t = wengert.jvp(m.f, (np.ones(2),), (np.ones(2),))
    assert t == pytest.approx(6.0)


def _kw_only(x, *, k=2.0):
    return k * x ** 2


def test_keyword_only_parameters_and_keywords_in_every_entry_point():
    x = np.array([0.3, 1.2])
    np.testing.assert_allclose(wengert.jacrev(_kw_only)(x), np.diag(4 * x))
    np.testing.assert_allclose(wengert.jacrev(_kw_only)(x, k=3.0), np.diag(6 * x))
    np.testing.assert_allclose(wengert.hvp(lambda v, k=1.0: k * np.sum(v ** 3))(x, np.ones(2),
                                                                              k=2.0), 12 * x)
    with pytest.raises(wengert.UsageError, match="hvp takes the function's arguments"):
        wengert.hvp(lambda v: np.sum(v ** 3))()


def test_a_parameter_named_twice_in_wrt_is_refused():
    f = lambda x, y: x * y                     # noqa: E731
    for wrt in ((0, 0), ("x", "x"), (0, "x"), (1, -1)):
        with pytest.raises(wengert.UsageError, match="twice"):
            wengert.grad(f, wrt=wrt)(1.5, 2.0)
    with pytest.raises(wengert.UsageError, match="twice"):
        wengert.grad(f, wrt=(0, 0), mode="forward")(1.5, 2.0)
