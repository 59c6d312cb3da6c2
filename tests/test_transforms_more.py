"""jacfwd through values whose shape is unknown when the code is built, and
``.specialize`` of derivatives of bound methods and partials."""

import functools

import numpy as np
import pytest

import wengert


def central_jacobian(fn, args, wrt, h=1e-6):
    """``J[out_index + in_index]`` by central differences, in float64."""
    args = [np.asarray(a, dtype=np.float64) for a in args]
    x = args[wrt]
    cols = []
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        plus, minus = list(args), list(args)
        plus[wrt], minus[wrt] = x + e, x - e
        cols.append((np.asarray(fn(*plus)) - np.asarray(fn(*minus))) / (2 * h))
    return np.moveaxis(np.array(cols), 0, -1).reshape(np.shape(cols[0]) + x.shape)


# np.concatenate, np.stack and np.array give values of a shape the build does
# not know: jacfwd's one batched pass broadcast its batch axis against theirs


def exp_concatenated(u, lam):
    up = np.concatenate([np.zeros(1, dtype=u.dtype), u])
    return lam * np.exp(up)


def scaled_stack(u, lam):
    return lam * np.stack([u, 2 * u])


def stack_of_pieces(u, lam):
    return np.stack([lam * u, np.sin(lam) * u])


def array_of_pieces(u, lam):
    return np.array([lam, lam * lam, np.sin(lam)])


def concatenate_of_pieces(u, lam):
    return np.concatenate([np.zeros(1, dtype=u.dtype), lam * u, [np.cos(lam)]])


SCALAR_WRT = [exp_concatenated, scaled_stack, stack_of_pieces, array_of_pieces,
              concatenate_of_pieces]
LAMS = {"float": lambda dt: 1.5, "numpy scalar": lambda dt: dt(1.5),
        "0-d array": lambda dt: np.array(1.5, dtype=dt)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("lam", LAMS, ids=list(LAMS))
@pytest.mark.parametrize("fn", SCALAR_WRT, ids=lambda f: f.__name__)
def test_jacfwd_wrt_a_scalar_of_an_output_of_unknown_shape(fn, lam, dtype):
    u = np.array([0.1, 0.2, 0.3], dtype=dtype)
    args = (u, LAMS[lam](dtype))
    forward = wengert.jacfwd(fn, wrt=1)(*args)
    reverse = wengert.jacrev(fn, wrt=1)(*args)
    assert forward.shape == reverse.shape == np.shape(fn(*args))
    assert forward.dtype == reverse.dtype
    tol = 1e-9 if dtype is np.float64 else 1e-5
    np.testing.assert_allclose(forward, reverse, rtol=tol, atol=tol)
    np.testing.assert_allclose(forward, central_jacobian(fn, args, 1), rtol=1e-5, atol=1e-6)


def scaled_by_concatenated_rows(x, a):
    b = np.concatenate([a, a])               # (4, 4): of a rank above x's
    return x * np.exp(b)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_jacfwd_wrt_an_array_of_an_output_of_unknown_higher_rank(dtype):
    x = np.array([0.1, 0.2, 0.3, 0.4], dtype=dtype)
    a = np.linspace(-0.5, 0.5, 8, dtype=dtype).reshape(2, 4)
    forward = wengert.jacfwd(scaled_by_concatenated_rows)(x, a)
    reverse = wengert.jacrev(scaled_by_concatenated_rows)(x, a)
    assert forward.shape == (4, 4, 4) and forward.dtype == reverse.dtype == dtype
    np.testing.assert_allclose(forward, reverse, rtol=1e-6)
    np.testing.assert_allclose(forward, central_jacobian(scaled_by_concatenated_rows, (x, a), 0),
                               rtol=1e-5, atol=1e-6)


# .specialize of a derivative of a bound method: the instance comes first


class Scaled:
    def __init__(self, w):
        self.w = w

    def scaled(self, x, y):
        return self.w * x * y

    def cubed(self, x):
        return self.w * x ** 3


def scaled(a, x, y):
    return a * x * y


def test_specialize_of_a_bound_method_puts_the_instance_first():
    g = wengert.grad(Scaled(2.0).scaled)
    source = g.specialize(1.5, 2.0)
    assert source.splitlines()[1] == \
        "# specialised for self: Scaled instance (w: float), x: float, y: float"
    assert g.source == source
    built = len(g._keys)
    assert g(1.5, 2.0) == 4.0 and len(g._keys) == built      # found, not built again


def test_specialize_of_value_and_grad_of_a_bound_method():
    v = wengert.value_and_grad(Scaled(2.0).scaled, wrt=1)
    assert "x: float, y: float" in v.specialize(1.5, 2.0).splitlines()[1]
    assert v(1.5, 2.0) == (6.0, 3.0)


def test_specialize_of_a_plain_function_is_unchanged():
    source = wengert.grad(scaled).specialize(3.0, 1.5, 2.0)
    assert source.splitlines()[1] == "# specialised for a: float, x: float, y: float"


def test_specialize_of_a_derivative_of_a_derivative_of_a_bound_method():
    g2 = wengert.grad(wengert.grad(Scaled(2.0).cubed))
    assert g2.specialize(1.5).splitlines()[1] == \
        "# specialised for self: Scaled instance, x: float"
    assert g2(1.5) == pytest.approx(2.0 * 6 * 1.5)


def test_specialize_of_a_partial_puts_its_arguments_first():
    g = wengert.grad(functools.partial(scaled, 3.0), wrt=1)
    assert g.specialize(1.5, y=2.0).splitlines()[1] == \
        "# specialised for a: float, x: float, y: float"
    assert g(1.5, y=2.0) == 4.5


@pytest.mark.parametrize("outer", ["jacfwd", "jacrev", "grad", "hessian"])
def test_an_operator_of_a_jacobian_is_refused_with_what_to_use(outer):
    # jacfwd(jacrev(f)) said "functions with *args or **kwargs cannot be
    # differentiated", pointing into wengert's own transforms.py
    def f(x):
        return np.sum(np.sin(x) ** 2)
    with pytest.raises(wengert.UsageError, match=r"of a function made by wengert.jacrev") as info:
        getattr(wengert, outer)(wengert.jacrev(f))
    assert "wengert.hessian(f)" in str(info.value)
