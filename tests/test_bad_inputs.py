"""The bad-input corpus (``tests/bad_inputs/``): every entry gets its declared
outcome in both modes, and nothing but a ``WengertError`` ever escapes from
building a derivative."""

import inspect
import re
import warnings

import numpy as np
import pytest

import wengert
from wengert import WengertError

import bad_inputs

CORPUS = bad_inputs.load()


def _params(outcome):
    out = []
    for e in CORPUS:
        if e.outcome != outcome:
            continue
        for mode in e.modes:
            marks = [pytest.mark.xfail(strict=True, reason=e.bug)] if e.bug else []
            out.append(pytest.param(e, mode, id=f"{e.id}-{mode}", marks=marks))
    return out


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 45
    assert len({e.id for e in CORPUS}) == len(CORPUS), "duplicate entry names"


# --------------------------------------------------------------------------
# accepted inputs: the right derivative


def central_difference(f, args, i, h=1e-5):
    """d f / d args[i] by a fourth-order central difference (any shape;
    complex inputs are stepped along the real axis)."""
    a = args[i]

    def at(t, idx=None):
        moved = list(args)
        if idx is None:
            moved[i] = a + t
        else:
            arr = np.array(a, dtype=np.result_type(a, float))
            arr[idx] += t
            moved[i] = arr
        return f(*moved)

    def stencil(idx=None):
        return (-at(2 * h, idx) + 8 * at(h, idx) - 8 * at(-h, idx) + at(-2 * h, idx)) / (12 * h)

    if np.ndim(a) == 0:
        return stencil()
    return np.array([stencil(idx) for idx in np.ndindex(*np.shape(a))]).reshape(np.shape(a))


def _wrt_positions(entry):
    params = list(inspect.signature(entry.func).parameters)
    items = entry.wrt if isinstance(entry.wrt, tuple) else (entry.wrt,)
    pos = [params.index(w) if isinstance(w, str) else w % len(params) for w in items]
    return pos, isinstance(entry.wrt, tuple)


def _close(got, want):
    if isinstance(want, tuple):
        return isinstance(got, tuple) and len(got) == len(want) and \
            all(_close(g, w) for g, w in zip(got, want))
    if isinstance(want, (tuple, list)) or isinstance(got, (tuple, list)):
        return _close(tuple(got), tuple(want))
    return np.shape(got) == np.shape(want) and \
        np.allclose(got, want, rtol=1e-6, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("entry,mode", _params("accept"))
def test_accepted(entry, mode):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = wengert.grad(entry.func, wrt=entry.wrt, mode=mode)(*entry.args)
    if callable(entry.expect):
        assert entry.expect(got), f"{entry.id}: got {got!r}"
    elif entry.expect is not None:
        assert _close(got, entry.expect), f"{entry.id}: got {got!r}, want {entry.expect!r}"
    if entry.fd:
        positions, as_tuple = _wrt_positions(entry)
        grads = got if as_tuple else (got,)
        for g, i in zip(grads, positions):
            fd = central_difference(entry.func, list(entry.args), i)
            assert np.allclose(g, fd, rtol=1e-6, atol=1e-8), \
                f"{entry.id}: d/d{i}: wengert {g!r}, finite differences {fd!r}"


# --------------------------------------------------------------------------
# rejected inputs: the right error, pointing at the right place


def _raise(entry, mode):
    with pytest.raises(WengertError) as info:
        d = wengert.grad(entry.func, wrt=entry.wrt, mode=mode)
        if entry.at_grad:
            pytest.fail("wengert.grad(...) itself should have raised")
        d(*entry.args)
    return info.value


@pytest.mark.parametrize("entry,mode", _params("reject"))
def test_rejected(entry, mode):
    exc = _raise(entry, mode)
    text = str(exc)
    assert type(exc) is entry.error, f"{entry.id}: {type(exc).__name__} instead of " \
                                     f"{entry.error.__name__}:\n{text}"
    if entry.message:
        assert entry.message in text, f"{entry.id}: {entry.message!r} not in:\n{text}"
    if entry.hint:
        assert re.search(r"^help: \S", text, re.M), f"{entry.id}: no help: line in\n{text}"
    if not entry.located:
        return
    filename, line = entry.marker()
    col = r"\d+" if entry.col is None else str(entry.col)
    where = re.search(rf"--> {re.escape(filename)}:{line}:({col})$", text, re.M)
    assert where, f"{entry.id}: expected {filename}:{line}:{entry.col} in\n{text}"
    source = open(filename).read().splitlines()[line - 1]
    assert f"{line} | {source.rstrip()}" in text, f"{entry.id}: source line not quoted:\n{text}"
    caret = re.search(r"^ *\| ( *)\^$", text, re.M)
    assert caret, f"{entry.id}: no caret line in\n{text}"
    assert len(caret.group(1)) == int(where.group(1)), f"{entry.id}: caret not under the column"


def test_match_statement_is_in_the_corpus_where_it_parses():
    import sys
    names = {e.name for e in CORPUS}
    assert ("match_statement" in names) == (sys.version_info >= (3, 10))


# --------------------------------------------------------------------------
# nothing but WengertError escapes


def _only_wengert_errors(call):
    """Run ``call``; an exception other than WengertError is a bug in wengert."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call()
    except WengertError:
        pass


# entries whose known bug lets an exception other than WengertError escape
# (none at present: add an entry's id to the set to mark it)
ESCAPES = {e.id: e.bug for e in CORPUS if e.id in set()}


@pytest.mark.parametrize("entry", [
    pytest.param(e, id=e.id, marks=[pytest.mark.xfail(strict=True, reason=ESCAPES[e.id])]
                 if e.id in ESCAPES else [])
    for e in CORPUS])
def test_only_wengert_errors_escape(entry):
    """Over the whole corpus, building a derivative (the first call of
    ``grad(f)(...)``, ``lower``, ``derivative_source`` in each mode) raises
    nothing but WengertError subclasses."""
    for mode in entry.modes:
        _only_wengert_errors(lambda: wengert.grad(entry.func, wrt=entry.wrt, mode=mode)
                             (*entry.args))
        _only_wengert_errors(lambda: wengert.value_and_grad(entry.func, wrt=entry.wrt,
                                                            mode=mode)(*entry.args))
        _only_wengert_errors(lambda: wengert.derivative_source(entry.func, mode=mode,
                                                               wrt=entry.wrt))
    _only_wengert_errors(lambda: wengert.lower(entry.func))


# --------------------------------------------------------------------------
# API misuse that is not tied to one function


def _square(x):
    return x * x


def test_unknown_mode_is_a_usage_error():
    with pytest.raises(wengert.UsageError, match="sideways"):
        wengert.grad(_square, mode="sideways")(1.5)


def test_jvp_with_mismatched_tangents_is_a_usage_error():
    with pytest.raises(wengert.UsageError):
        wengert.jvp(_square, (1.5,), ())
