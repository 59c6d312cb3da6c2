"""Kinds (analysis.infer_kinds): joins of numbers, and the items of lists a
function builds itself."""

import numpy as np

from wengert import analysis, api, ir
from wengert.analysis import FLOAT, INT, NUMBER, Kind
from wengert.specialize import fold_iterations

F8 = Kind((), "<f8")                      # a NumPy float64 scalar
A0 = Kind((), "<f8", array0=True)         # maybe a 0-d ndarray
F4 = Kind((), "<f4")
V3 = Kind((3,), "<f8")


def test_join_table():
    ks = {"int": INT, "float": FLOAT, "number": NUMBER, "f8": F8, "a0": A0, "f4": F4,
          "v3": V3}
    def show(k):
        return "-" if k is None else f"{k}*" if k.array0 else str(k)   # *: maybe 0-d array
    rows = [f"{a:>6}: " + " ".join(show(analysis._join(ka, kb)) for kb in ks.values())
            for a, ka in ks.items()]
    assert "\n".join(rows) == "\n".join([
        "   int: int number number number - - -",
        " float: number float number <f8[] <f8[]* - -",
        "number: number number number number - - -",
        "    f8: number <f8[] number <f8[] <f8[]* - -",
        "    a0: - <f8[]* - <f8[]* <f8[]* - -",
        "    f4: - - - - - <f4[] -",
        "    v3: - - - - - - <f8[3]"])


def returned_kind(f, *args):
    fn = fold_iterations(api.lowered(f), None)       # (as a build reads it)
    kinds = analysis.infer_kinds(fn, {n: analysis.kind_of_value(a)
                                      for n, a in zip(fn.param_names(), args)})
    ret = fn.body[-1]
    assert isinstance(ret, ir.Return)
    return str(analysis.expr_kind(ret.value, kinds))


def sum_of_floats(x):
    return sum([x * j for j in range(3)])


def item_of_appended(x):
    xs = []
    for i in range(2):
        xs.append(np.tanh(x))
    return xs[1]


def loop_over_a_tuple(x):
    t = 0
    for u in (x, 2.0 * x):
        t = t + u
    return t


def item_of_mixed_list(x):
    xs = [x, np.ones(3)]
    return xs[0]


def max_of_float_and_int(x):
    return max(x, 1)


def test_kinds_of_numbers_and_items():
    assert returned_kind(sum_of_floats, 1.5) == "number"       # 0 for an empty list
    assert returned_kind(sum_of_floats, np.ones(3)) == "None"  # 0 or an array
    assert returned_kind(item_of_appended, 1.5) == "number"     # np.tanh: a NumPy float64
    assert returned_kind(item_of_appended, np.ones(2)) == "<f8[2]"
    assert returned_kind(loop_over_a_tuple, 1.5) == "number"
    assert returned_kind(item_of_mixed_list, 1.5) == "None"
    assert returned_kind(max_of_float_and_int, 1.5) == "number"


# --------------------------------------------------------------------------
# issue #8: in-place updates no longer refused for want of a kind

import math  # noqa: E402

import pytest  # noqa: E402

import wengert  # noqa: E402

SCALE = 2.0                               # module data: their kinds specialise
WEIGHTS = np.array([1.0, -2.0, 0.5])      # the code, and guard it


def scaled_twice(x):
    s = x * SCALE
    t = s                   # a second name: fine for a float, refused for an array
    s += SCALE
    return s * t


def dotted_twice(x):
    s = np.dot(WEIGHTS, x)  # a NumPy scalar once WEIGHTS is known to be a vector
    t = s
    s += 1.0
    return s * t


def power(x, n):            # recursive: its result's kind is a fixpoint
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def cube_updated(x):
    y = power(x, 3)
    z = y
    y += x
    return y * z


def even(n, x):             # mutual recursion
    if n == 0:
        return x
    return odd(n - 1, x) * 2.0


def odd(n, x):
    if n == 0:
        return x * x
    return even(n - 1, x) + x


def mutual_updated(x):
    y = even(3, x)
    t = y
    y *= x
    return y + t


def finite_difference(f, x, h=1e-6):
    x = np.asarray(x, dtype=float)
    if x.ndim == 0:
        return (f(float(x) + h) - f(float(x) - h)) / (2 * h)
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f,x", [
    (scaled_twice, 0.7), (dotted_twice, np.array([0.5, 1.0, 1.5])),
    (cube_updated, 0.7), (mutual_updated, 0.7)],
    ids=["float-global", "array-global", "recursive", "mutually-recursive"])
def test_augmented_assignment_once_refused_now_differentiated(f, x, mode):
    g = wengert.grad(f, mode=mode)(x)
    np.testing.assert_allclose(g, finite_difference(f, x), rtol=1e-6, atol=1e-6)


def test_global_kinds_are_in_the_specialisation_and_its_header():
    grad = wengert.grad(dotted_twice)
    grad(np.ones(3))
    assert "specialised for x: <f8[3], WEIGHTS: <f8[3]" in grad.source


def test_a_global_that_changes_kind_gets_new_code():
    global SCALE
    grad = wengert.grad(scaled_twice)
    exact = lambda x, c: 2 * x * c * c + c * c          # noqa: E731
    try:
        assert math.isclose(grad(0.7), exact(0.7, 2.0), rel_tol=1e-12)
        SCALE = 3.0                     # same kind: the same code, reading it live
        assert math.isclose(grad(0.7), exact(0.7, 3.0), rel_tol=1e-12)
        assert len(grad._keys) == 1
        SCALE = np.float32(2.0)         # another kind: guarded, specialised again
        assert math.isclose(grad(0.7), exact(0.7, 2.0), rel_tol=1e-6)
        assert len(grad._keys) == 2
        assert "SCALE: <f4[]" in grad.source
        SCALE = np.array([1.0, 2.0])    # an array: not run with code for a number
        with pytest.raises(wengert.WengertError):
            grad(0.7)
        SCALE = 2.0                     # back: the first specialisation's guard passes
        assert math.isclose(grad(0.7), exact(0.7, 2.0), rel_tol=1e-12)
        assert len(grad._keys) == 2
    finally:
        SCALE = 2.0


def test_the_dispatcher_guards_module_data():
    grad = wengert.grad(dotted_twice)
    grad(np.ones(3))
    grad(np.ones(3))
    assert "__w_scope0_0.get('WEIGHTS')" in grad._dispatch_source


def test_recursive_result_kind_is_a_fixpoint():
    assert returned_kind(cube_updated, 0.7) == "float"
    assert str(api._callee_kind(power, (FLOAT, INT))) == "float"
    assert str(api._callee_kind(power, (V3, INT))) == "None"   # 1.0 or an array
    assert str(api._callee_kind(even, (INT, FLOAT))) == "float"


def aliased_by_a_copy(x):
    y = x * WEIGHTS
    z = y
    y += WEIGHTS            # z changes too: genuinely aliased
    return np.sum(y * z)


def aliased_by_a_slice(x):
    y = x[0:2]
    y += 1.0                # changes x
    return np.sum(x * x)


def aliased_by_a_transpose(x):
    y = x.T
    y *= 2.0
    return np.sum(x * x)


def identity_deep(n, a):
    if n <= 0:
        return a
    return identity_deep(n - 1, a)


def aliased_through_a_call(x):
    y = identity_deep(0, x)
    y += 1.0                # y is x
    return np.sum(x * x)


@pytest.mark.parametrize("f", [aliased_by_a_copy, aliased_by_a_slice,
                               aliased_by_a_transpose, aliased_through_a_call])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_genuinely_aliased_update_is_still_refused(f, mode):
    with pytest.raises(wengert.UnsupportedSyntaxError) as info:
        wengert.grad(f, mode=mode)(np.array([0.5, 1.0, 1.5]))
    assert "augmented assignment" in str(info.value)
