"""A derivative calls the functions, classes and methods a function names as
the objects they were when it was built, and reads closure variables as
they were: each is guarded by identity, so a name rebound later (a helper
redefined in a notebook, ``ACT = np.sin``, a method patched on the class,
``nonlocal T; T = T * 0.5``) gets code built for what it is now, never the
old derivative."""

import numpy as np
import pytest

import wengert

X = np.array([0.3, 1.2])

ACT = np.tanh


def through_alias(x):
    return np.sum(ACT(x))


def features(x):
    return np.tanh(x)


def through_helper(x):
    return np.sum(features(x) ** 2)


class Model:
    def act(self, z):
        return np.tanh(z)

    def loss(self, x):
        return np.sum(self.act(x))


class Child(Model):
    pass


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_module_level_alias_rebound(monkeypatch, mode):
    d = wengert.grad(through_alias, mode=mode)
    np.testing.assert_allclose(d(X), 1 - np.tanh(X) ** 2)
    monkeypatch.setitem(globals(), "ACT", np.sin)
    np.testing.assert_allclose(d(X), np.cos(X))
    np.testing.assert_allclose(wengert.grad(through_alias, mode=mode)(X), np.cos(X))
    assert "ACT" in d._dispatch_source         # checked by the dispatcher, inline


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_helper_redefined(monkeypatch, mode):
    d = wengert.grad(through_helper, mode=mode)
    np.testing.assert_allclose(d(X), 2 * np.tanh(X) * (1 - np.tanh(X) ** 2))

    def features(x):                           # the cell run again, changed
        return np.sin(x)
    monkeypatch.setitem(globals(), "features", features)
    np.testing.assert_allclose(d(X), 2 * np.sin(X) * np.cos(X))
    np.testing.assert_allclose(wengert.grad(through_helper, mode=mode)(X),
                               2 * np.sin(X) * np.cos(X))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_method_patched_on_the_class(monkeypatch, mode):
    m, c = Model(), Child()
    d = wengert.grad(Model.loss, wrt=1, mode=mode)
    np.testing.assert_allclose(d(m, X), 1 - np.tanh(X) ** 2)
    np.testing.assert_allclose(d(c, X), 1 - np.tanh(X) ** 2)
    monkeypatch.setattr(Child, "act", lambda self, z: np.sin(z), raising=False)
    np.testing.assert_allclose(d(c, X), np.cos(X))       # an override added later
    np.testing.assert_allclose(d(m, X), 1 - np.tanh(X) ** 2)
    monkeypatch.setattr(Model, "act", lambda self, z: z ** 3)
    np.testing.assert_allclose(d(m, X), 3 * X ** 2)
    np.testing.assert_allclose(wengert.grad(m.loss, mode=mode)(X), 3 * X ** 2)


def make_loss():
    temperature = 1.0

    def loss(w):
        return np.sum(w ** 2) / temperature

    def anneal(factor):
        nonlocal temperature
        temperature = temperature * factor
    return loss, anneal


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_closure_variable_rebound(mode):
    loss, anneal = make_loss()
    d = wengert.grad(loss, mode=mode)
    w = np.array([1.0, 2.0])
    np.testing.assert_allclose(d(w), 2 * w)
    anneal(0.25)
    np.testing.assert_allclose(d(w), 2 * w / 0.25)
    np.testing.assert_allclose(wengert.grad(loss, mode=mode)(w), 2 * w / 0.25)


def test_unchanged_names_keep_one_specialisation():
    d = wengert.grad(through_helper)
    for _ in range(3):
        d(X)
    assert len(d._keys) == 1


HELPERS = '''
import numpy as np

def g(x):
    return np.sum(x ** 2)
'''


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_helper_module_attribute_rebound(tmp_path, monkeypatch, mode):
    (tmp_path / f"rebind_helpers_{mode}.py").write_text(HELPERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib
    helpers = importlib.import_module(f"rebind_helpers_{mode}")
    namespace = {"helpers": helpers, "np": np}
    (tmp_path / f"rebind_user_{mode}.py").write_text(
        "import numpy as np\n\ndef f(x):\n    return helpers.g(x) + np.sum(x)\n")
    user = importlib.import_module(f"rebind_user_{mode}")
    user.helpers = namespace["helpers"]
    d = wengert.grad(user.f, mode=mode)
    np.testing.assert_allclose(d(X), 2 * X + 1)
    monkeypatch.setattr(helpers, "g", lambda x: np.sum(x ** 3))
    np.testing.assert_allclose(d(X), 3 * X ** 2 + 1)


class Base:
    def val(self, x):
        return np.sum(x ** 2)

    @staticmethod
    def k(x):
        return np.sum(2 * x)


class Derived(Base):
    def val(self, x):
        return super().val(x) + Base.val(self, x) + Base.k(x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_methods_reached_through_the_class_or_super_patched(monkeypatch, mode):
    d = wengert.grad(Derived.val, wrt=1, mode=mode)
    o = Derived()
    np.testing.assert_allclose(d(o, X), 4 * X + 2)
    monkeypatch.setattr(Base, "val", lambda self, x: np.sum(x ** 3))
    np.testing.assert_allclose(d(o, X), 6 * X ** 2 + 2)
    monkeypatch.setattr(Base, "k", staticmethod(lambda x: np.sum(np.sin(x))))
    np.testing.assert_allclose(d(o, X), 6 * X ** 2 + np.cos(X))


def test_a_closure_rebound_every_call_keeps_one_specialisation():
    loss, anneal = make_loss()
    d = wengert.grad(loss)
    w = np.array([1.0, 2.0])
    for _ in range(20):
        anneal(0.9)
        d(w)
    assert len(d._keys) == 1          # (the ones built for old values are dropped)
    np.testing.assert_allclose(d(w), 2 * w / 0.9 ** 20)
