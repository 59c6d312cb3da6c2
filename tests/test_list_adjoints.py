"""Adjoints of lists, tuples and dicts add item by item, never by ``+``.

A list taken out of a container (``rows.pop()``, ``d["p"]``) and used twice
has two adjoint terms, each a list: joined by ``+`` they would make one
longer list and drop a derivative silently. The same holds inside generated
gradient code (tapes of lists, a stack popped in a loop) when it is itself
differentiated: second and third derivatives through them.
"""

import math

import numpy as np
import pytest

import wengert

MODES = ("reverse", "forward")


def central(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


def popped_row_used_twice(x):
    rows = [[x, 2.0], [3.0, x]]
    r = rows.pop()
    pair = [r, r]
    return pair[0][1] * rows[0][0]            # x * x


def popped_tuple_used_twice(x):
    rows = [(x, 2.0), (3.0, x)]
    r = rows.pop()
    pair = [r, r]
    return pair[0][1] * rows[0][0]


def popped_dict_used_twice(x):
    ds = [{"a": x}, {"a": 2 * x}]
    d = ds.pop()
    pair = [d, d]
    return pair[0]["a"] * pair[1]["a"]        # 4 x**2


def dict_held_list_used_twice(x):
    d = {"p": [x, 2 * x]}
    r = d["p"]
    a = [r, r]
    return a[0][1] * a[1][0]                  # 2 x**2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, exact", [
    (popped_row_used_twice, lambda x: 2 * x),
    (popped_tuple_used_twice, lambda x: 2 * x),
    (popped_dict_used_twice, lambda x: 8 * x),
    (dict_held_list_used_twice, lambda x: 4 * x),
])
def test_a_container_read_twice_adds_its_adjoints(f, exact, mode):
    x = 0.7
    assert wengert.grad(f, mode=mode)(x) == pytest.approx(exact(x), rel=1e-12)
    assert central(f, x) == pytest.approx(exact(x), rel=1e-7)


def stack_popped_in_a_loop(k):
    st = [k, 2 * k, 3 * k]
    t = 0.0
    for i in range(3):
        v = st.pop()
        t = t * k + v
    return t                                  # 3k^3 + 2k^2 + k


def pairs_on_a_stack(k):
    st = []
    x = 1.0
    for i in range(3):
        st.append((x, k * x))
        x = x * k
    s = 0.0
    for i in range(3):
        a, b = st.pop()
        s = s * 0.5 + a * b
    return s


def rpn(x):
    prog = ["x", "x", "*", "c", "+", "x", "sin", "*"]   # (x*x + 2) * sin(x)
    st = []
    for tok in prog:
        if tok == "x":
            st.append(x)
        elif tok == "c":
            st.append(2.0)
        elif tok == "sin":
            a = st.pop()
            st.append(math.sin(a))
        else:
            b = st.pop()
            a = st.pop()
            st.append(a * b if tok == "*" else a + b)
    return st.pop()


def history(k):
    hist = []
    x = 1.0
    for i in range(4):
        hist.append(x)
        x = x * k + 0.1 * i
    s = 0.0
    for i in range(4):
        s = s + hist.pop() * (i + 1)
    return s * x


@pytest.mark.parametrize("inner", MODES)
@pytest.mark.parametrize("outer", MODES)
@pytest.mark.parametrize("f", [stack_popped_in_a_loop, pairs_on_a_stack, rpn, history])
def test_second_derivatives_through_popped_stacks(f, inner, outer):
    k = 1.3
    g = wengert.grad(f, mode=inner)
    expected = wengert.hessian(f)(k)
    assert central(g, k) == pytest.approx(expected, rel=1e-6)
    assert wengert.grad(g, mode=outer)(k) == pytest.approx(expected, rel=1e-10)


def test_rpn_second_derivative_is_the_exact_one():
    x = 0.7
    exact = 2 * math.sin(x) + 4 * x * math.cos(x) - (x * x + 2) * math.sin(x)
    rr = wengert.grad(wengert.grad(rpn, mode="reverse"), mode="reverse")
    assert rr(x) == pytest.approx(exact, rel=1e-12)


def cube_by_a_loop(k):
    x = 1.0
    for _ in range(3):
        x = x * k
    return x


def affine_loop(k):
    x = 1.0
    for _ in range(4):
        x = x * k + 0.5 * k
    return x


@pytest.mark.parametrize("last", MODES)
def test_third_derivative_all_reverse_through_a_loop(last):
    d3 = wengert.grad(wengert.grad(wengert.grad(cube_by_a_loop, mode="reverse"),
                                   mode="reverse"), mode=last)
    assert d3(2.0) == pytest.approx(6.0, rel=1e-12)
    d3 = wengert.grad(wengert.grad(wengert.grad(affine_loop, mode="reverse"),
                                   mode="reverse"), mode=last)
    d2 = wengert.grad(wengert.grad(affine_loop, mode="reverse"), mode="reverse")
    assert d3(1.5) == pytest.approx(central(d2, 1.5), rel=1e-6)


def energy(w):
    stack = [w[0], w[1] * w[0], w[2]]
    e = 0.0
    for i in range(3):
        e = e * w[1] + stack.pop()
    return e


def test_gradient_of_a_gradient_norm_through_a_stack():
    g_energy = wengert.grad(energy)

    def penalty(w):
        g = g_energy(w)
        return np.sum(g ** 2)

    w = np.array([0.5, 1.2, -0.7])
    got = wengert.grad(penalty)(w)
    expected = 2 * wengert.hessian(energy)(w) @ g_energy(w)
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    np.testing.assert_allclose(got, [-2.304, 19.008, -2.304], rtol=1e-9)
