"""The optional scipy.special rule family.

Its rules are checked numerically with every other rule (``rulecheck/
cases_linalg.py`` adds their cases when SciPy is installed); this file checks
what is particular to an optional family: it imports without SciPy, and the
unsupported keywords fail when the derivative is built.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import wengert

try:
    import scipy.special as sp
except ImportError:
    sp = None

NO_SCIPY = "SciPy is not installed (the scipy.special rules are optional)"


def test_imports_and_registers_nothing_without_scipy():
    # (scipy.special's rules and scipy.linalg's: both optional)
    code = textwrap.dedent("""
        import sys
        sys.modules["scipy"] = None           # any `import scipy...` now fails
        sys.modules["scipy.special"] = None
        sys.modules["scipy.linalg"] = None
        import wengert
        from wengert.rules import registry, scipy_linalg, scipy_special
        assert scipy_special.sp is None and scipy_linalg.sl is None
        names = [r.name for r in registry.RULES.values()]
        assert not any("scipy" in n or n in ("np.expit", "np.psi") or
                       "solve_triangular" in n or "cho_" in n for n in names), names
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_scipy_is_imported_only_by_code_that_uses_it(tmp_path):
    """``import wengert`` leaves SciPy alone (it would double the import's
    time); its rules register once the user's code imports it."""
    code = textwrap.dedent("""
        import sys
        import wengert
        from wengert.rules import registry
        assert "scipy" not in sys.modules, "import wengert imported scipy"
        import scipy.special as sp
        import numpy as np
        def f(x):
            return np.sum(sp.expit(x))
        g = wengert.grad(f)(np.array([0.0, 1.0]))
        e = sp.expit(np.array([0.0, 1.0]))
        assert np.allclose(g, e * (1 - e)), g
        print("ok")
    """)
    (tmp_path / "uses_scipy.py").write_text(code)
    out = subprocess.run([sys.executable, str(tmp_path / "uses_scipy.py")], capture_output=True,
                         text=True)
    if "No module named 'scipy'" in out.stderr:
        pytest.skip(NO_SCIPY)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def _logsumexp_with_b(x):
    return sp.logsumexp(x, b=x)


def _digamma_sum(x):
    return sp.digamma(x[0]) + sp.gammaln(x[1])


def test_logsumexp_b_is_rejected_when_the_derivative_is_built():
    pytest.importorskip("scipy.special", reason=NO_SCIPY)
    with pytest.raises(wengert.NoRuleError, match="b="):
        wengert.grad(_logsumexp_with_b)(np.ones(3))


def test_digamma_and_gammaln_gradients_keep_float32():
    pytest.importorskip("scipy.special", reason=NO_SCIPY)
    x = np.array([1.5, 2.5], dtype=np.float32)
    for mode in ("reverse", "forward"):
        d = wengert.grad(_digamma_sum, mode=mode)(x)
        assert d.dtype == np.float32
        np.testing.assert_allclose(d, [sp.polygamma(1, 1.5), sp.digamma(2.5)], rtol=1e-5)
