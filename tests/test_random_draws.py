"""Random draws and ``next(it)`` in differentiated code (``wengert.draws``).

Reverse mode runs parts of a loop body again in its adjoint sweep; a draw run
again gives another number, so the draws are kept on the loop's tape. An API
that runs the function once per element refuses a generator from outside.
"""

import random

import numpy as np
import pytest

import wengert
from wengert.errors import UnsupportedSyntaxError, UsageError

from test_nondiff_audit import central_difference

try:
    import scipy.stats as st
except ImportError:                       # (SciPy is optional)
    st = None

MODES = [dict(mode="reverse"), dict(mode="forward"), dict(mode="reverse", optimize=False),
         dict(mode="forward", optimize=False)]


def langevin(x, seed):
    rng = np.random.default_rng(seed)
    for _ in range(5):
        x = x * (1.0 + 0.3 * rng.standard_normal())
    return x ** 2


def picked(x, seed):                      # a drawn index
    rng = np.random.default_rng(seed)
    s = 0.0
    for _ in range(4):
        i = rng.integers(0, len(x))
        s = s * 0.5 + x[i] ** 2
    return s


def accept_reject(x, seed):               # a draw deciding a branch
    rng = np.random.default_rng(seed)
    for _ in range(6):
        u = rng.random()
        if u < 0.5:
            x = x * 1.5
        else:
            x = x * x
    return x


def stop_at_random(x, seed):              # a draw in a while loop's test, a break
    rng = np.random.default_rng(seed)
    while rng.random() < 0.8:
        x = x * 1.1 + 0.1 * x * x
        if rng.random() > 0.95:
            break
    return x


def global_seeded(x):                     # NumPy's global generator, seeded here
    np.random.seed(7)
    for _ in range(3):
        x = np.sin(x) * np.random.random(x.shape) + x
    return np.sum(x)


def python_random(x):                     # Python's random module
    random.seed(1)
    for _ in range(4):
        x = x * (1 + 0.1 * random.gauss(0, 1))
    return x * x


def noise_list(x, seed):                  # draws in a comprehension, then a loop over them
    rng = np.random.default_rng(seed)
    noise = [rng.normal(size=x.shape) for _ in range(3)]
    for n in noise:
        x = np.tanh(x + 0.1 * n)
    return np.sum(x * x)


def scaled(x, it):                        # next() on an iterator passed in
    for _ in range(3):
        x = x * next(it)
    return x


X = np.array([0.3, -0.2, 0.9])
CASES = [(langevin, 0.8, (3,)), (picked, np.array([0.5, -1.0, 1.5, 2.0]), (4,)),
         (accept_reject, 0.7, (5,)), (stop_at_random, 0.7, (2,)), (global_seeded, X, ()),
         (python_random, 0.7, ()), (noise_list, X, (5,))]


@pytest.mark.parametrize("kw", MODES, ids=lambda kw: "-".join(map(str, kw.values())))
@pytest.mark.parametrize("f, x, rest", CASES, ids=[c[0].__name__ for c in CASES])
def test_draws_are_the_primal_ones(f, x, rest, kw):
    g = wengert.grad(f, **kw)(x, *rest)
    np.testing.assert_allclose(g, central_difference(lambda v: f(v, *rest), [x], 0),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_next_on_an_iterator_passed_in(mode):
    # (replayed, the adjoint sweep would have called next() three more times)
    g = wengert.grad(scaled, mode=mode)(0.7, iter([1.1, 0.9, 1.3, 5.0, 6.0, 7.0]))
    assert g == pytest.approx(1.1 * 0.9 * 1.3)


def test_the_reverse_sweep_keeps_the_draw_on_the_tape():
    d = wengert.grad(langevin, mode="reverse")
    d(0.8, 3)
    assert d.source.count("standard_normal") == 1, d.source


def in_a_branch(x, seed):                 # a draw in a branch: a tape of its own
    rng = np.random.default_rng(seed)
    for _ in range(6):
        if x > 0.5:
            x = x * (1 + 0.1 * rng.standard_normal())
            if x > 0.9:
                x = x - 0.05 * rng.random()
        else:
            x = x * x + 0.1 * rng.random()
    return x


@pytest.mark.parametrize("kw", MODES, ids=lambda kw: "-".join(map(str, kw.values())))
@pytest.mark.parametrize("x", [0.7, 0.95, 0.3])
def test_a_draw_in_a_branch_of_a_loop(x, kw):
    g = wengert.grad(in_a_branch, **kw)(x, 4)
    assert g == pytest.approx(central_difference(lambda v: in_a_branch(v, 4), [x], 0), rel=1e-6)


def in_an_inner_while(x, seed):
    rng = np.random.default_rng(seed)
    for _ in range(3):
        k = 0
        while k < 3:
            x = x * (1 + 0.1 * rng.standard_normal())
            k += 1
    return x * x


def test_a_draw_in_an_inner_while_loop_is_refused_in_reverse_mode():
    with pytest.raises(UnsupportedSyntaxError) as e:
        wengert.grad(in_an_inner_while, mode="reverse")(0.7, 4)
    text = str(e.value)
    assert "`rng.standard_normal(...)` inside an inner loop" in text
    assert "test_random_draws.py:" in text and "us = rng.random(n)" in text
    g = wengert.grad(in_an_inner_while, mode="forward")(0.7, 4)
    assert g == pytest.approx(central_difference(lambda v: in_an_inner_while(v, 4), [0.7], 0),
                              rel=1e-6)


def noisy(x, rng):
    return np.sin(x) * rng.normal(size=x.shape)


def noisy_sum(x, rng):
    return np.sum(noisy(x, rng))


def test_one_run_per_element_refuses_a_generator_from_outside():
    for api, f in ((lambda f: wengert.grad(f, mode="forward"), noisy_sum),
                   (wengert.jacfwd, noisy), (wengert.jacrev, noisy),
                   (wengert.hessian, noisy_sum)):
        with pytest.raises(UsageError, match="would draw other random numbers in each run"):
            api(f)(X, np.random.default_rng(0))
    # reverse mode runs the function once: the draws are the primal's
    g = wengert.grad(noisy_sum)(X, np.random.default_rng(0))
    np.testing.assert_allclose(g, np.cos(X) * np.random.default_rng(0).normal(size=3))


def gauss_from_module(a):
    return np.sin(a * random.gauss(0, 1))


def seeded_or_not(w, seed=None):          # seed=None: seeded from the operating system
    rng = np.random.default_rng(seed)
    return np.sum(w) * rng.normal()


def bit_generator(w, seed=1):
    rng = np.random.Generator(np.random.PCG64(seed))
    return np.sum(np.sin(w * rng.normal(size=3)))


def test_apis_that_run_the_function_again_refuse_a_generator_from_outside():
    # jacrev runs the function, then its gradient; vjp's pullback runs it again
    for call in (lambda: wengert.jacrev(gauss_from_module)(0.5),
                 lambda: wengert.vjp(gauss_from_module, 0.5),
                 lambda: wengert.jacfwd(seeded_or_not)(np.ones(3)),
                 lambda: wengert.jacfwd(seeded_or_not)(np.ones(3), None)):
        with pytest.raises(UsageError, match="would draw other random numbers"):
            call()
    # an integer seed, through a bit generator too: the same numbers every run
    w = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(wengert.jacfwd(seeded_or_not)(np.ones(3), 4),
                               wengert.grad(seeded_or_not)(np.ones(3), 4))
    np.testing.assert_allclose(wengert.jacfwd(bit_generator)(w),
                               central_difference(bit_generator, [w], 0), rtol=1e-6)


def lognormal_price(s0, sigma, seed=0):
    rng = np.random.default_rng(seed)
    st = rng.lognormal(mean=np.log(s0) - 0.5 * sigma ** 2, sigma=sigma, size=100)
    return np.mean(np.maximum(st - 100.0, 0.0))


def test_a_draw_with_differentiated_parameters_says_to_reparameterise():
    from wengert.errors import NoRuleError
    with pytest.raises(NoRuleError) as e:
        wengert.grad(lognormal_price)(100.0, 0.2)
    assert "`rng.lognormal(...)` draws random numbers" in str(e.value)
    assert "mu + sigma * rng.standard_normal(n)" in str(e.value)


def test_check_grad_refuses_its_seed_keyword_for_the_function_s_own():
    with pytest.raises(UsageError, match="has a parameter `seed` of its own"):
        wengert.check_grad(seeded_or_not, np.ones(3), seed=3)
    wengert.check_grad(seeded_or_not, np.ones(3), 3)           # the function's seed: fine
    wengert.check_grad(seeded_or_not, np.ones(3), 3, seed=5)   # both: fine


def scipy_draws(w):
    return np.sum(w * st.norm.rvs(size=3))


def scipy_seeded_draws(w, seed):
    return np.sum(w * st.norm.rvs(size=3, random_state=seed))


@pytest.mark.skipif(st is None, reason="SciPy is not installed (an optional dependency)")
def test_scipy_stats_draws_need_a_seed_for_one_run_per_element():
    with pytest.raises(UsageError, match="`rvs\\(...\\)` would draw other random numbers"):
        wengert.jacfwd(scipy_draws)(np.ones(3))
    g = wengert.jacfwd(scipy_seeded_draws)(np.ones(3), 3)
    np.testing.assert_allclose(g, wengert.grad(scipy_seeded_draws)(np.ones(3), 3))


def two_draws_in_a_branch(x, seed):      # a draw unpacked into two names, in a branch
    rng = np.random.default_rng(seed)
    for _ in range(5):
        if x > 0.5:
            a, b = rng.random(2)
            x = x * (1 + 0.1 * a) - 0.05 * b
        else:
            x = x * x + 0.3
    return x


@pytest.mark.parametrize("kw", MODES, ids=lambda kw: "-".join(map(str, kw.values())))
def test_a_draw_unpacked_in_a_branch(kw):
    g = wengert.grad(two_draws_in_a_branch, **kw)(0.8, 2)
    assert g == pytest.approx(central_difference(lambda v: two_draws_in_a_branch(v, 2), [0.8], 0),
                              rel=1e-6)
