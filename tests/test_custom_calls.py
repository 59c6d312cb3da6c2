"""Calls of functions with user-defined rules (custom_vjp, custom_jvp, defrule):
keyword arguments and defaults are bound by the function's signature before a
rule sees them, and a tuple output may be unpacked. Every derivative is checked
against central finite differences, in reverse and forward mode, with jvp and
vjp, on a Python float and on a float64 array (and one float32 case)."""

import numpy as np
import pytest

import wengert
from wengert import adjoint, tangent

H, RTOL, ATOL = 1e-6, 1e-6, 1e-8


# -- finite differences --------------------------------------------------------

def fd_grad(f, args, wrt):
    """Central differences of the scalar ``f(*args)`` w.r.t. ``args[wrt]``."""
    args = list(args)
    x = args[wrt]

    def at(v):
        a = list(args)
        a[wrt] = v
        return float(f(*a))

    if isinstance(x, float):
        return (at(x + H) - at(x - H)) / (2 * H)
    x = np.asarray(x, np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += H
        xm[i] -= H
        g[i] = (at(xp) - at(xm)) / (2 * H)
    return g


def assert_close(got, want, rtol=RTOL, atol=ATOL):
    got = np.asarray(got, dtype=np.float64)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def direction(x):
    if isinstance(x, float):
        return 0.7
    return np.linspace(0.5, -0.3, np.size(x)).reshape(np.shape(x))


def check_all(f, args, wrts=None):
    """grad in both modes for each argument in ``wrts`` (all by default),
    then jvp and vjp, each against finite differences."""
    wrts = range(len(args)) if wrts is None else wrts
    refs = {i: fd_grad(f, args, i) for i in range(len(args))}
    for wrt in wrts:
        for mode in ("reverse", "forward"):
            assert_close(wengert.grad(f, wrt=wrt, mode=mode)(*args), refs[wrt])
    tangents = tuple(direction(a) for a in args)
    value, t = wengert.jvp(f, tuple(args), tangents)
    assert value == pytest.approx(f(*args), rel=1e-12)
    assert_close(t, sum(np.sum(refs[i] * tangents[i]) for i in range(len(args))))
    value, pullback = wengert.vjp(f, *args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    cts = pullback(1.0)
    assert len(cts) == len(args)
    for i, ct in enumerate(cts):
        assert_close(ct, refs[i])


XS = [0.8, np.array([0.3, -1.2, 2.0])]
XS_IDS = ["float", "array"]


# -- 1. keyword arguments --------------------------------------------------------

@wengert.custom_vjp
def scaled(x, s):
    return x * s


def scaled_fwd(x, s):
    return x * s, (x, s)


def scaled_bwd(res, g):
    x, s = res
    return g * s, np.sum(g * x)


scaled.defvjp(scaled_fwd, scaled_bwd)


@wengert.custom_jvp
def scaled_j(x, s):
    return x * s


def scaled_j_rule(primals, tangents):
    (x, s), (tx, ts) = primals, tangents
    return x * s, tx * s + x * ts


scaled_j.defjvp(scaled_j_rule)


def kw_vjp(x, s):
    return np.sum(scaled(x, s=s) ** 2)


def kw_vjp_all(x, s):
    return np.sum(scaled(s=s, x=x) ** 2)


def kw_jvp(x, s):
    return np.sum(scaled_j(x, s=s) ** 2)


def kw_jvp_all(x, s):
    return np.sum(scaled_j(s=s, x=x) ** 2)


@pytest.mark.parametrize("x", XS, ids=XS_IDS)
@pytest.mark.parametrize("f", [kw_vjp, kw_vjp_all, kw_jvp, kw_jvp_all])
def test_keyword_arguments(f, x):
    check_all(f, (x, 1.7))


def test_keyword_argument_exact_value():
    # the user's report: d/ds sum(x * s) = sum(x) = 3.0, not 0.0
    x = np.array([1.0, 2.0])
    for mode in ("reverse", "forward"):
        d = wengert.grad(lambda x, s: np.sum(scaled(x, s=s)), wrt=1, mode=mode)
        assert d(x, 3.0) == pytest.approx(3.0)
        d = wengert.grad(lambda x, s: np.sum(scaled_j(x=x, s=s)), wrt=0, mode=mode)
        np.testing.assert_allclose(d(x, 3.0), [3.0, 3.0])


def test_keyword_argument_wrt_by_name():
    x = np.array([0.3, -1.2, 2.0])
    for f in (kw_vjp, kw_jvp_all):
        for mode in ("reverse", "forward"):
            assert_close(wengert.grad(f, wrt="s", mode=mode)(x, 1.7), fd_grad(f, (x, 1.7), 1))


def test_keyword_argument_source_calls_rules_by_position():
    d = wengert.grad(kw_vjp, wrt=1, mode="reverse")
    d(np.array([1.0, 2.0]), 3.0)
    assert "scaled_fwd(x, s)" in d.source and "zeros_like(s)" not in d.source


def softplus_b(x, beta=2.0):
    return np.log1p(np.exp(beta * x)) / beta


@wengert.defrule(softplus_b)
def _(x, beta):
    tangent(x_dot / (1.0 + np.exp(-beta * x)))  # noqa: F821
    adjoint(x=g / (1.0 + np.exp(-beta * x)))  # noqa: F821


def defrule_kw(x):
    return np.sum(softplus_b(beta=3.0, x=x) ** 2)


def defrule_default(x):
    return np.sum(softplus_b(x) ** 2)


@pytest.mark.parametrize("x", XS, ids=XS_IDS)
@pytest.mark.parametrize("f", [defrule_kw, defrule_default])
def test_defrule_keywords_and_defaults(f, x):
    check_all(f, (x,))


# -- 3. defaults -------------------------------------------------------------------

@wengert.custom_vjp
def scaled_d(x, s=3.0):
    return x * s


scaled_d.defvjp(lambda x, s=3.0: (x * s, (x, s)),
                lambda r, g: (g * r[1], np.sum(g * r[0])))


@wengert.custom_jvp
def scaled_dj(x, s=3.0):
    return x * s


def scaled_dj_rule(p, t):
    # (p[1], t[1]: an IndexError if the default were not passed to the rule)
    return p[0] * p[1], t[0] * p[1] + p[0] * t[1]


scaled_dj.defjvp(scaled_dj_rule)

SEEN = []


@wengert.custom_jvp
def recorded(x, s=3.0):
    return x * s


def recorded_rule(p, t):
    SEEN.append((len(p), len(t)))      # (forward mode calls it as it is)
    return p[0] * p[1], t[0] * p[1] + p[0] * t[1]


recorded.defjvp(recorded_rule)


@wengert.custom_vjp
def weighted(x, s=2.0, w=np.array([1.0, -2.0, 0.5])):
    return x * s * w


weighted.defvjp(lambda x, s, w: (x * s * w, (x, s, w)),
                lambda r, g: (g * r[1] * r[2], np.sum(g * r[0] * r[2]), g * r[0] * r[1]))


def default_vjp(x):
    return np.sum(scaled_d(x) ** 2)


def default_jvp(x):
    return np.sum(scaled_dj(x) ** 2)


def default_vjp_given(x, s):
    return np.sum(scaled_d(x, s) ** 2)


def default_jvp_kw(x, s):
    return np.sum(scaled_dj(x, s=s) ** 2)


def default_array(x):
    return np.sum(np.sin(weighted(x)))


@pytest.mark.parametrize("x", XS, ids=XS_IDS)
@pytest.mark.parametrize("f", [default_vjp, default_jvp])
def test_defaults(f, x):
    check_all(f, (x,))


@pytest.mark.parametrize("x", XS, ids=XS_IDS)
@pytest.mark.parametrize("f", [default_vjp_given, default_jvp_kw])
def test_defaults_overridden(f, x):
    check_all(f, (x, 1.3))


def test_array_default():
    check_all(default_array, (np.array([0.3, -1.2, 2.0]),))


def test_custom_jvp_rule_gets_every_primal():
    x = np.array([1.0, 2.0])
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(wengert.grad(default_jvp, mode=mode)(x), 18 * x)
    SEEN.clear()
    d = wengert.grad(lambda x: np.sum(recorded(x) ** 2), mode="forward")
    np.testing.assert_allclose(d(x), 18 * x)
    assert SEEN and all(seen == (2, 2) for seen in SEEN)


def test_float32_keywords_and_defaults():
    x = np.array([0.3, -1.2, 2.0], dtype=np.float32)

    def f(x, s):
        return np.sum(scaled(s=s, x=x) ** 2) + np.sum(scaled_dj(x) * x)

    x64 = x.astype(np.float64)
    for wrt in (0, 1):
        want = fd_grad(f, (x64, 1.5), wrt)
        for mode in ("reverse", "forward"):
            got = wengert.grad(f, wrt=wrt, mode=mode)(x, 1.5)
            if wrt == 0:
                assert got.dtype == np.float32
            assert_close(got, want, rtol=1e-5, atol=1e-5)


# -- 2. tuple outputs unpacked ----------------------------------------------------

@wengert.custom_vjp
def sincos(x):
    return np.sin(x), np.cos(x)


def sincos_bwd(x, g):
    gs, gc = g
    return (gs * np.cos(x) - gc * np.sin(x),)


sincos.defvjp(lambda x: ((np.sin(x), np.cos(x)), x), sincos_bwd)


@wengert.custom_vjp
def sincos_rec(x):
    return np.sin(x), np.cos(x)


COTANGENTS = []


def sincos_rec_bwd(x, g):
    COTANGENTS.append(g)          # (reverse mode calls it as it is)
    gs, gc = g
    return (gs * np.cos(x) - gc * np.sin(x),)


sincos_rec.defvjp(lambda x: ((np.sin(x), np.cos(x)), x), sincos_rec_bwd)


@wengert.custom_jvp
def sincos_j(x):
    return np.sin(x), np.cos(x)


sincos_j.defjvp(lambda p, t: ((np.sin(p[0]), np.cos(p[0])),
                              (np.cos(p[0]) * t[0], -np.sin(p[0]) * t[0])))


def unpack_vjp(x):
    s, c = sincos(x)
    return np.sum(s * 2.0 + c ** 3)


def unpack_jvp(x):
    s, c = sincos_j(x)
    return np.sum(s * 2.0 + c ** 3)


def unpack_vjp_s_only(x):
    s, c = sincos(x)
    return np.sum(s * np.exp(x))


def unpack_jvp_c_only(x):
    s, c = sincos_j(x)
    return np.sum(c ** 2 * np.exp(x))


def unpack_in_loop(x):
    acc = x
    for _ in range(3):
        s, c = sincos(acc)
        acc = s + 0.5 * c
    return np.sum(acc * acc)


def unpack_jvp_in_loop(x):
    acc = x
    for _ in range(3):
        s, c = sincos_j(acc)
        acc = s + 0.5 * c
    return np.sum(acc * acc)


def indexed_jvp(x):
    out = sincos_j(x)
    return np.sum(out[0] * 2.0 + out[1] ** 3)


@pytest.mark.parametrize("x", XS, ids=XS_IDS)
@pytest.mark.parametrize("f", [unpack_vjp, unpack_jvp, unpack_vjp_s_only, unpack_jvp_c_only,
                               unpack_in_loop, unpack_jvp_in_loop, indexed_jvp])
def test_tuple_output_unpacked(f, x):
    check_all(f, (x,))


def rec_s_only(x):
    s, c = sincos_rec(x)
    return np.sum(s * np.exp(x))


@pytest.mark.parametrize("x", XS, ids=XS_IDS)
def test_unpacked_zero_part_is_real_zeros(x):
    COTANGENTS.clear()
    got = wengert.grad(rec_s_only, mode="reverse")(x)
    assert_close(got, fd_grad(rec_s_only, (x,), 0))
    (gs, gc), = COTANGENTS
    assert np.shape(gs) == np.shape(x) and np.shape(gc) == np.shape(x)
    assert isinstance(gc, (float, np.floating, np.ndarray))     # a value, not a symbol
    assert np.all(np.asarray(gc, dtype=np.float64) == 0.0)


def test_unpacked_hessian():
    def f(x):
        s, c = sincos(x)
        return s * c + c

    def fj(x):
        s, c = sincos_j(x)
        return s * c + c

    for fn in (f, fj):
        want = fd_grad(lambda y: wengert.grad(fn)(y), (0.4,), 0)
        assert wengert.hessian(fn)(0.4) == pytest.approx(want, rel=1e-6)


@wengert.custom_vjp
def moments(x, p=2.0):
    return np.sum(x), np.sum(x ** p)


moments.defvjp(lambda x, p=2.0: ((np.sum(x), np.sum(x ** p)), (x, p)),
               lambda r, g: (g[0] + g[1] * r[1] * r[0] ** (r[1] - 1),
                             np.sum(g[1] * r[0] ** r[1] * np.log(r[0]))))


def unpack_with_keyword(x, p):
    m1, m2 = moments(p=p, x=x)
    return m1 * m2


def test_unpacked_with_keywords():
    check_all(unpack_with_keyword, (np.array([0.3, 1.2, 2.0]), 2.5))


# -- refusals ----------------------------------------------------------------------

@wengert.custom_vjp
def kw_only(x, *, s=2.0):
    return x * s


kw_only.defvjp(lambda x, *, s=2.0: (x * s, s), lambda s, g: (g * s,))


@wengert.custom_vjp
def split_kw_only(x, *, s=2.0):
    return x * s, x + s


split_kw_only.defvjp(lambda x, *, s=2.0: ((x * s, x + s), s),
                     lambda s, g: (g[0] * s + g[1],))


@wengert.custom_jvp
def kw_only_j(x, *, s=2.0):
    return x * s


kw_only_j.defjvp(lambda p, t: (p[0] * 2.0, t[0] * 2.0))


def _where(fn, text):
    """``file:line:col`` of ``text`` in the source of ``fn``."""
    import inspect
    lines, first = inspect.getsourcelines(fn)
    for i, line in enumerate(lines):
        if text in line:
            return f"test_custom_calls.py:{first + i}:{line.index(text)}"
    raise AssertionError(text)


def kw_only_constant(x):
    return np.sum(kw_only(x, s=3.0) ** 2) + np.sum(kw_only(x) * x)


def kw_only_unpacked(x):
    a, b = split_kw_only(x, s=1.5)
    c, d = split_kw_only(x)
    return np.sum(a * b + c * d)


def kw_only_j_default(x):
    return np.sum(kw_only_j(x) ** 2)


@pytest.mark.parametrize("x", XS, ids=XS_IDS)
@pytest.mark.parametrize("f", [kw_only_constant, kw_only_unpacked, kw_only_j_default])
def test_keyword_only_constant(f, x):
    # a keyword-only argument that is not differentiated: passed to fwd as a
    # keyword (its default filled in), or left to the custom_jvp rule's default
    check_all(f, (x,))


def kw_only_active(x, s):
    return np.sum(kw_only(x, s=s))


def kw_only_j_passed(x):
    return np.sum(kw_only_j(x, s=3.0))


def bad_keyword(x):
    return np.sum(scaled(x, s=1.0, t=3.0))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_keyword_only_custom_jvp_argument_is_refused(mode):
    with pytest.raises(wengert.UnsupportedSyntaxError) as info:
        wengert.grad(kw_only_j_passed, mode=mode)(np.array([1.0, 2.0]))
    msg = str(info.value)
    assert "keyword-only parameter `s`" in msg and "custom_jvp function `kw_only_j`" in msg
    assert _where(kw_only_j_passed, "kw_only_j(x, s=3.0)") in msg


def test_differentiated_keyword_only_custom_vjp_argument_is_refused():
    # bwd has no cotangent for it: refused rather than a zero derivative
    x = np.array([1.0, 2.0])
    with pytest.raises(wengert.NonDifferentiableError) as info:
        wengert.grad(kw_only_active, wrt=1, mode="reverse")(x, 3.0)
    msg = str(info.value)
    assert "keyword-only argument `s`" in msg and "`kw_only`" in msg
    assert _where(kw_only_active, "kw_only(x, s=s)") in msg
    # forward mode differentiates the function itself: the derivative is there
    assert wengert.grad(kw_only_active, wrt=1, mode="forward")(x, 3.0) == pytest.approx(3.0)
    # and with respect to x alone, reverse mode is fine
    np.testing.assert_allclose(wengert.grad(kw_only_active, wrt=0)(x, 3.0), [3.0, 3.0])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_unknown_keyword_is_refused(mode):
    with pytest.raises(wengert.UsageError) as info:
        wengert.grad(bad_keyword, mode=mode)(np.array([1.0, 2.0]))
    msg = str(info.value)
    assert "bad call to `scaled`" in msg and "'t'" in msg
    assert _where(bad_keyword, "scaled(x, s=1.0") in msg
