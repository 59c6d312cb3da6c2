"""Complex values meeting what is differentiated are refused (``wengert.complexes``):
the rules are those of real functions, and a complex adjoint cast to a float
gradient would drop its imaginary part."""

import numpy as np
import pytest

import wengert
from wengert.errors import UnsupportedSyntaxError, UsageError

Z = np.exp(1j * np.array([0.5, 1.0, 2.0]))


def modulus(a):
    return np.sum(np.abs(Z * a + 1.0))


def of_an_argument(a, z):
    return np.sum(np.abs(z * a - 0.5) ** 2)


def scalar(a, c):
    return abs(c * a)


def real_parts_first(a):
    return np.sum(np.abs(Z) * a + Z.real * a + np.imag(Z) * a * a)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_complex_value_that_varies_is_refused(mode):
    for f, args in ((modulus, (0.7,)), (of_an_argument, (0.7, Z)), (scalar, (0.7, 1 + 2j))):
        with pytest.raises(UnsupportedSyntaxError,
                           match="a complex value that varies with what is being differentiated"):
            wengert.grad(f, mode=mode)(*args)
    with pytest.raises(UsageError, match="complex"):
        wengert.grad(lambda z: np.sum(np.abs(z)), mode=mode)(Z)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_complex_data_made_real_first_is_fine(mode):
    g = wengert.grad(real_parts_first, mode=mode)(0.7)
    expected = np.sum(np.abs(Z)) + np.sum(Z.real) + 2 * 0.7 * np.sum(Z.imag)
    assert g == pytest.approx(expected)
