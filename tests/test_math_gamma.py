"""``math.gamma`` and ``math.lgamma`` differentiate with digamma, which the
standard library lacks: ``math_rules._polygamma`` computes ``ψ⁽ⁿ⁾(x)`` for
Python floats. Its values against closed forms and SciPy; derivatives of
lgamma to third order in both modes, at positive and negative non-integer x.
(The rules themselves are checked against finite differences with every
other rule, in ``rulecheck/cases.py``; math takes Python floats only, so
there are no array or float32 cases.)"""

import math

import pytest

import wengert
from wengert.rules.math_rules import _polygamma

MODES = ("reverse", "forward")
EULER = 0.5772156649015329
ZETA3 = 1.2020569031595942

CLOSED_FORMS = [
    (0, 1.0, -EULER),
    (0, 0.5, -EULER - 2.0 * math.log(2.0)),
    (0, -0.5, 2.0 - EULER - 2.0 * math.log(2.0)),
    (0, 10.0, sum(1.0 / k for k in range(1, 10)) - EULER),
    (0, 100.0, sum(1.0 / k for k in range(1, 100)) - EULER),
    (1, 1.0, math.pi ** 2 / 6.0),
    (1, 0.5, math.pi ** 2 / 2.0),
    (1, -0.5, math.pi ** 2 / 2.0 + 4.0),
    (1, 1.5, math.pi ** 2 / 2.0 - 4.0),
    (2, 1.0, -2.0 * ZETA3),
    (2, 0.5, -14.0 * ZETA3),
    (3, 1.0, math.pi ** 4 / 15.0),
]


@pytest.mark.parametrize("n, x, expected", CLOSED_FORMS)
def test_polygamma_closed_forms(n, x, expected):
    assert _polygamma(n, x) == pytest.approx(expected, rel=1e-14)


def test_polygamma_agrees_with_scipy():
    sp = pytest.importorskip("scipy.special")
    xs = [0.01, 0.3, 1.4, 2.9, 5.99, 6.0, 7.5, 13.0, 50.0, 1e4,
          -0.1, -0.5, -0.75, -1.3, -2.5, -4.2, -9.75, -101.6]
    for n in range(4):
        for x in xs:
            want = float(sp.polygamma(n, x))
            assert _polygamma(n, x) == pytest.approx(want, rel=1e-13, abs=1e-300), (n, x)


@pytest.mark.parametrize("x", [0.0, -1.0, -7.0, -math.inf])
def test_polygamma_is_nan_at_the_poles(x):
    assert math.isnan(_polygamma(0, x)) and math.isnan(_polygamma(1, x))


def lgamma_(x):
    return math.lgamma(x)


def gamma_(x):
    return math.gamma(x)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("x", [0.3, 2.5, 11.0, -0.5, -2.7])
def test_derivatives_of_lgamma_to_third_order(mode, x):
    d1 = wengert.grad(lgamma_, mode=mode)
    d2 = wengert.grad(d1, mode=mode)
    d3 = wengert.grad(d2, mode=mode)
    assert d1(x) == pytest.approx(_polygamma(0, x), rel=1e-14)
    assert d2(x) == pytest.approx(_polygamma(1, x), rel=1e-14)
    assert d3(x) == pytest.approx(_polygamma(2, x), rel=1e-14)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("x", [0.3, 2.5, -0.5, -2.7])
def test_second_derivative_of_gamma(mode, x):
    psi, psi1 = _polygamma(0, x), _polygamma(1, x)
    d2 = wengert.grad(wengert.grad(gamma_, mode=mode), mode=mode)
    assert d2(x) == pytest.approx(math.gamma(x) * (psi * psi + psi1), rel=1e-13)
