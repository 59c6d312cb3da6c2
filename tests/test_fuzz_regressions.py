"""Minimal programs for the bugs the fuzzer and the bad-input corpus found.

Each test states the right behaviour. A bug still present is marked
``xfail(strict=True)`` with its diagnosis, so the test starts failing -- and
must be unmarked -- once the bug is fixed; when that bug is a fuzzer feature,
also remove the feature from ``fuzz.gen.KNOWN_BROKEN`` so CI generates it
again. Tests without the mark are bugs found here and fixed since: they stay
as regression tests, with the diagnosis in ``FIXED_*`` for the record.
"""

import math
import textwrap
import warnings

import numpy as np
import pytest

import wengert
from fuzz import check


def module(src: str):
    """Write ``src`` to a real file and import it (wengert reads source)."""
    header = "import math\nimport operator\n\nimport numpy as np\n\n\n"
    return check.load(header + textwrap.dedent(src), "regression")


def central(f, x, h=1e-5):
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


def both_modes(f, *args, **kw):
    return {mode: wengert.value_and_grad(f, mode=mode, **kw)(*args)
            for mode in ("reverse", "forward")}


def assert_value_and_grad(f, x, **kw):
    """value == f(x) and gradient == central difference, in both modes."""
    for mode, (value, g) in both_modes(f, x, **kw).items():
        assert value == pytest.approx(f(x), rel=1e-12), f"{mode}: value"
        assert g == pytest.approx(central(f, x), rel=1e-6), f"{mode}: gradient"


def xfail(reason):
    return pytest.mark.xfail(strict=True, reason=reason)


# ===========================================================================
# 1. break / continue / return inside a loop or a nested if
# (fuzz feature "loop_jumps")

FIXED_JUMPS = (
    "frontend/jumps.py: _JumpEliminator.block computes guard_for(s) AFTER self.stmt(s) "
    "has already replaced the jumps inside s by flag assignments, so _contains finds no "
    "jump and the statements after it are never put under `if not flag`: they run anyway. "
    "Values and gradients are both wrong")


def test_continue_skips_rest_of_body():
    m = module("""
        def f(x):
            for i in range(3):
                if i == 1:
                    continue
                x = x * 2.0
            return x
    """)
    assert m.f(1.5) == 6.0
    assert_value_and_grad(m.f, 1.5)          # wengert: value 12.0, gradient 8.0


def test_break_skips_rest_of_body():
    m = module("""
        def f(x):
            for i in range(3):
                if i == 1:
                    break
                x = x * 2.0
            return x
    """)
    assert_value_and_grad(m.f, 1.5)          # wengert: value 6.0 (not 3.0), gradient 4.0


def test_return_inside_loop():
    m = module("""
        def f(x):
            for i in range(3):
                if i == 1:
                    return x
                x = x * 2.0
            return x * 10.0
    """)
    assert_value_and_grad(m.f, 1.5)          # wengert: value 60.0 (not 3.0)


def test_return_inside_nested_if():
    m = module("""
        def f(x):
            y = x
            if x > 0:
                y = x * 3.0
                if x > 1:
                    return y
            return y * y
    """)
    assert_value_and_grad(m.f, 1.5)          # wengert: value 20.25 (not 4.5)


# ===========================================================================
# 2. a name first bound inside a loop body (fuzz feature "loop_locals")

FIXED_LOOP_LOCAL = (
    "lower._carried treats every name assigned in a loop body as loop-carried and "
    "_enter_loop makes it live on entry (scope.env[name] = name) even when it has no value "
    "before the loop; reverse mode then pushes it on the tape (tape.append(y)) and a nested "
    "loop copies it in (v_1 = v) before it was ever assigned: UnboundLocalError")


def test_variable_first_bound_in_loop_body():
    m = module("""
        def f(x):
            s = 0.0
            for i in range(3):
                y = x * i
                s = s + y * y
            return s
    """)
    value, g = wengert.value_and_grad(m.f, optimize=False)(1.5)
    assert (value, g) == (pytest.approx(11.25), pytest.approx(15.0))


def test_variable_first_bound_in_nested_loop():
    m = module("""
        def f(x):
            s = x
            for i in range(2):
                for j in range(2):
                    v = x * 2.0
                s = s * v
            return s
    """)
    assert_value_and_grad(m.f, 1.5)


def test_nested_sequence_loop():
    m = module("""
        def f(x, a):
            s = x
            for i in range(2):
                for r in a:
                    s = s * r
            return s
    """)
    a = np.array([1.0, 2.0, 3.0])
    assert wengert.grad(m.f)(1.5, a) == pytest.approx(36.0)


def test_lambda_defined_in_loop_body():
    m = module("""
        def f(x):
            for i in range(2):
                g = lambda t: t * 3.0
                x = g(x)
            return x
    """)
    assert wengert.grad(m.f, optimize=False)(1.5) == pytest.approx(9.0)


def test_lambda_after_loop_jump():
    m = module("""
        def f(x):
            for i in range(2):
                if i == 1:
                    break
                g = lambda t: t * 2.0
            return x * x

        def g(x):
            for i in range(2):
                for j in range(1):
                    if j > 5:
                        continue
                    h = lambda t: 0.9
            return x * x
    """)
    assert wengert.grad(m.g)(1.5) == pytest.approx(3.0)
    for mode in ("reverse", "forward"):
        assert wengert.grad(m.f, mode=mode, optimize=False)(1.5) == pytest.approx(3.0)
        assert wengert.grad(m.g, mode=mode, optimize=False)(1.5) == pytest.approx(3.0)


# ===========================================================================
# 3. iterating over a sequence that the loop body rebinds

def test_sequence_rebound_in_loop_body():
    m = module("""
        def f(x):
            for r in x:
                x = x * r
            return x[0] + x[1] + x[2]
    """)
    x = np.array([1.0, 2.0, 3.0])
    assert m.f(x.copy()) == 36.0
    for mode in ("reverse", "forward"):
        value, g = wengert.value_and_grad(m.f, mode=mode)(x.copy())
        assert value == pytest.approx(36.0)


# ===========================================================================
# 4. a local copy of module-level data (fuzz feature "global_copies")

FIXED_GLOBAL_COPY = (
    "optimize.coalesce_copies merged `c = K` into the name K because K (a global read "
    "live, not a parameter) looked like a local whose life ends there: it dropped the copy "
    "and renamed K to c in the (empty) prefix, so the generated code read an undefined `c`: "
    "NameError in both modes")


def test_local_copy_of_global_data():
    m = module("""
        K = 2.0
        W = np.array([0.5, -1.0, 2.0])

        def f(x):
            c = K
            return x * c

        def g(x):
            c = W
            return x[0] * c[0] + x[1] * c[1]
    """)
    for mode in ("reverse", "forward"):
        assert wengert.grad(m.f, mode=mode)(1.5) == pytest.approx(2.0)
        assert wengert.grad(m.g, mode=mode)(np.ones(3)) == pytest.approx([0.5, -1.0, 0.0])


# ===========================================================================
# 5. conditional expression inside a loop (fuzz feature "loop_ifexp")

def test_conditional_expression_in_loop_reverse():
    m = module("""
        def f(x):
            for i in range(2):
                x = x * x + (x if i > 5 else 0.75)
            return x
    """)
    assert wengert.grad(m.f, mode="forward")(0.3) == pytest.approx(1.008)
    assert wengert.grad(m.f)(0.3) == pytest.approx(1.008)


# ===========================================================================
# 6. forward mode: a branch that assigns the result of a call with constant arguments
# (fuzz feature "constant_calls")



def test_forward_branch_with_constant_call():
    m = module("""
        K = 2.0

        def h(p):
            return K

        def f(x):
            if x > 10.0:
                w = h(0.75)
            else:
                w = x
            return w
    """)
    assert wengert.grad(m.f)(20.0) == 0.0
    assert wengert.grad(m.f, mode="forward")(20.0) == 0.0


def test_forward_conditional_expression_with_constant_call():
    m = module("""
        K = 2.0

        def h(p):
            return K

        def f(x):
            w = h(0.75) if x > 10.0 else x
            return w
    """)
    assert wengert.grad(m.f)(20.0) == 0.0
    assert wengert.grad(m.f, mode="forward")(20.0) == 0.0      # wengert: 1.0


# ===========================================================================
# 6b. found by the long runs (tests/fuzz/run.py) after the first fixes

FIXED_BRANCH_THEN_STATEMENT = (
    "reverse mode, silent wrong gradient: for `if c: pass / else: x = x * 2.0` followed by "
    "`x = x - y` in a loop, the adjoint of `x = x - y` was emitted twice -- folded into both "
    "arms of the If's adjoint and again after it with the already-updated x_1_bar -- so dy "
    "was -3.0 instead of -1.0 (also with optimize=False; forward mode was right)")


def test_branch_then_statement_in_loop_reverse():
    m = module("""
        def f(x, y):
            for i in range(1):
                if x > 10.0:
                    pass
                else:
                    x = x * 2.0
                x = x - y
            return x
    """)
    assert wengert.grad(m.f, wrt=1, mode="forward")(0.5, 0.3) == pytest.approx(-1.0)
    assert wengert.grad(m.f, wrt=1)(0.5, 0.3) == pytest.approx(-1.0)      # wengert: -3.0


def test_inlined_helper_returning_a_global():
    m = module("""
        ONE3 = np.ones(3)
        ONE23 = np.ones((2, 3))

        def h1(p0):
            return ONE23

        def h2(p0, p1):
            return h1(p1) * ONE3

        def f(x):
            return h2(ONE23, 1.0)[1][1] * x
    """)
    for mode in ("reverse", "forward"):
        assert wengert.grad(m.f, mode=mode)(1.5) == pytest.approx(1.0)


def test_negated_fmax_reverse():
    m = module("""
        def f(z):
            return -np.fmax(z, 0.5)
    """)
    assert wengert.grad(m.f)(0.7) == -1.0


# ===========================================================================
# 7. odd arguments and results

def test_forward_grad_of_tuple_argument():
    m = module("""
        def f(t):
            return t[0] * t[1]
    """)
    assert tuple(wengert.grad(m.f)((1.5, 2.0))) == (2.0, 1.5)
    assert tuple(wengert.grad(m.f, mode="forward")((1.5, 2.0))) == (2.0, 1.5)


def test_forward_grad_of_nested_and_dict_arguments_is_shaped_like_them():
    m = module("""
        def f(p):
            w, b = p
            return np.sum(w * w) * b

        def g(d):
            return d["a"] * d["b"]
    """)
    p = (np.array([1.0, 2.0]), 3.0)
    for fn, arg in ((m.f, p), (m.f, list(p)), (m.g, {"a": 1.5, "b": 2.0})):
        back = wengert.grad(fn)(arg)
        fwd = wengert.grad(fn, mode="forward")(arg)
        assert type(fwd) is type(arg)
        for k in (arg if isinstance(arg, dict) else range(len(arg))):
            np.testing.assert_allclose(fwd[k], back[k])


def test_grad_of_function_returning_none():
    m = module("""
        def f(x):
            y = x * x
    """)
    with pytest.raises(wengert.UsageError):
        wengert.grad(m.f)(1.5)


def test_grad_of_tuple_output_message():
    m = module("""
        def f(x):
            return x, x * 2.0
    """)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SyntaxWarning)
        with pytest.raises(wengert.UsageError, match=r"shape \(2,\)"):
            wengert.grad(m.f)(1.5)


def test_forward_grad_of_boolean_output_is_a_float():
    m = module("""
        def f(x):
            return x > 0
    """)
    g = wengert.grad(m.f, mode="forward")(1.5)
    assert g == 0.0 and np.asarray(g).dtype.kind == "f"
    for x in (np.float64(1.5), np.array(1.5)):          # specialised: kind |b1
        g = wengert.grad(m.f, mode="forward")(x)
        assert g == 0.0 and np.asarray(g).dtype.kind == "f"


def test_augmented_assignment_through_an_alias():
    # NumPy's `b += 1.0` updates the array that `a` also names; wengert computes
    # new arrays, so it refuses the update where another name (or the caller) shares it
    m = module("""
        def f(a):
            b = a
            b += 1.0
            return a[0] * 2.0
    """)
    assert m.f(np.array([1.0, 2.0])) == 4.0
    with pytest.raises(wengert.UnsupportedSyntaxError, match="augmented assignment") as info:
        wengert.value_and_grad(m.f)(np.array([1.0, 2.0]))
    assert "b += 1.0" in str(info.value)



def test_augmented_assignment_to_a_sum_of_array_rows():
    # `sum(row)` of an array row is a NumPy scalar: its kind was unknown, so
    # `y *= ...` on a y that also has another name was refused as a possible
    # array (fuzz, with loop_lambdas back in the sample)
    m = module("""
        def f(x, y):
            for r in x:
                y = 0.5 * y + np.cosh(np.tanh(sum(r))) ** 0.5
            if x[0, 0] > -0.75:
                y *= np.tanh(np.sin(-y))
            else:
                v, y = y, 1.0
            return np.sum(x) * y
    """)
    x = np.ones((2, 3))
    for mode, (value, g) in both_modes(m.f, x, 2.0, wrt=1).items():
        assert value == pytest.approx(m.f(x, 2.0)), mode
        assert g == pytest.approx(central(lambda y: m.f(x, y), 2.0), rel=1e-6), mode


def test_zero_trip_while_in_a_branch_after_an_early_return():
    # the None placeholder a one-sided if gives `v_2` made it look defined twice,
    # so the early return's merge copied `v_3 = v_2`, unbound when the while
    # loop ran zero times (UnboundLocalError with optimize=False; fuzz)
    m = module("""
        def f(x, y):
            if x > 5.0:
                return x
            if y > 0.5:
                y = 0.5 * y
            else:
                k = 0
                while k < 3 and y > 1.0:
                    k = k + 1
                    v = x * 2.0
            return x * y
    """)
    for mode in ("reverse", "forward"):
        for optimize in (True, False):
            d = wengert.value_and_grad(m.f, wrt=(0, 1), mode=mode, optimize=optimize)
            assert d(1.5, 0.2) == (pytest.approx(0.3), (0.2, 1.5))

# ===========================================================================
# 8. numbers at the edge

def test_math_sqrt_at_zero():
    m = module("""
        def f(x):
            return math.sqrt(x)
    """)
    with np.errstate(all="ignore"):
        assert wengert.grad(m.f)(0.0) == math.inf


def test_power_at_zero():
    m = module("""
        def f(x):
            return x ** 0.5
    """)
    with np.errstate(all="ignore"):
        assert wengert.grad(m.f)(0.0) == math.inf


MATH_AT_SINGULAR_POINTS = [          # (math expression, NumPy counterpart, x)
    ("math.asin(x)", "np.arcsin(x)", 1.0), ("math.acos(x)", "np.arccos(x)", 1.0),
    ("math.acosh(x)", "np.arccosh(x)", 1.0), ("math.pow(x, 0.5)", "np.power(x, 0.5)", 0.0),
    ("math.hypot(x, 0.0)", "np.hypot(x, 0.0)", 0.0),
    ("math.atan2(x, 0.0)", "np.arctan2(x, 0.0)", 0.0), ("x ** -1.5", "x ** -1.5", 2.0),
    ("math.sqrt(x * x)", "np.sqrt(x * x)", 0.0), ("math.sqrt(x)", "np.sqrt(x)", -0.0)]


@pytest.mark.parametrize("expr,numpy_expr,x", MATH_AT_SINGULAR_POINTS)
def test_math_derivatives_at_singular_points_are_numpys(expr, numpy_expr, x):
    # Python floats raise ZeroDivisionError (or ValueError) where NumPy gives
    # inf or nan: a derivative of math code gives what the NumPy code gives
    m = module(f"""
        def f(x):
            return {expr}

        def g(x):
            return {numpy_expr}
    """)
    with np.errstate(all="ignore"):
        want = wengert.grad(m.g)(np.float64(x))
        for mode in ("reverse", "forward"):
            got = wengert.grad(m.f, mode=mode)(x)
            assert type(got) is float, mode
            assert got == want or (math.isnan(got) and math.isnan(want)), (mode, got, want)


@pytest.mark.parametrize("expr", ["x ** 0.5", "math.sqrt(x)", "math.pow(x, 0.5)"])
def test_guarded_derivatives_differentiate_again(expr):
    # the guard's NumPy branch (not taken) is differentiated too: it needs rules
    m = module(f"""
        def f(x):
            return {expr}
    """)
    for outer in ("reverse", "forward"):
        for inner in ("reverse", "forward"):
            got = wengert.grad(wengert.grad(m.f, mode=inner), mode=outer)(2.0)
            assert got == pytest.approx(-0.25 * 2.0 ** -1.5), (outer, inner)


FIXED_RECURSION_DEPTH = (
    "a recursive callee's derivative cost about two stack frames per level (the _ForwardRef "
    "trampoline): at depth 450 both modes raised RecursionError, while the function itself "
    "runs at depth 900")


def test_recursion_depth():
    m = module("""
        def drift(x, n):
            if n == 0:
                return x
            return drift(x * 1.001, n - 1)

        def f(x, n):
            return drift(x, n)
    """)
    assert m.f(1.5, 900) == pytest.approx(1.5 * 1.001 ** 900)
    for mode in ("reverse", "forward"):
        assert wengert.grad(m.f, mode=mode)(1.5, 450) == pytest.approx(1.001 ** 450)


# ===========================================================================
# 9. messages and the API surface

def test_eval_is_refused():
    m = module("""
        def f(x):
            return eval("x * x")
    """)
    with pytest.raises(wengert.UnsupportedSyntaxError):
        wengert.grad(m.f)(1.5)


def test_async_function_error_has_a_location():
    m = module("""
        async def f(x):
            return x * x
    """)
    with pytest.raises(wengert.UnsupportedSyntaxError, match=r"\.py:\d+:\d+"):
        wengert.grad(m.f)(1.5)


def test_functools_wraps_error_is_not_about_lambdas():
    m = module("""
        import functools

        def deco(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                return fn(*args, **kwargs)
            return wrapper

        @deco
        def f(x):
            return x * x
    """)
    with pytest.raises(wengert.UnsupportedSyntaxError, match=r"\*args") as info:
        wengert.grad(m.f)(1.5)
    assert "lambda" not in str(info.value)
    assert "f.__wrapped__" in str(info.value)
    assert wengert.grad(m.f.__wrapped__)(1.5) == 3.0


def test_derivative_source_of_a_ufunc():
    with pytest.raises(wengert.WengertError):
        wengert.derivative_source(np.sin)


def test_no_rule_error_names_the_callable_once():
    m = module("""
        first = operator.itemgetter(0)

        def f(x):
            return first([x, x])
    """)
    with pytest.raises(wengert.NoRuleError) as info:
        wengert.grad(m.f)(1.5)
    assert "operator.operator." not in str(info.value)


def test_wrt_usage_error_has_help():
    m = module("""
        def f(x):
            return x * x
    """)
    with pytest.raises(wengert.UsageError, match="(?m)^help: "):
        wengert.grad(m.f, wrt="y")


def test_wrong_number_of_arguments_is_a_usage_error():
    m = module("""
        def f(x):
            return x * x
    """)
    with pytest.raises(wengert.UsageError, match="f"):
        wengert.grad(m.f)(1.0, 2.0)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_arguments_that_do_not_fit_are_a_usage_error_after_specialising(mode):
    # the dispatcher binds arguments itself once it has specialisations
    m = module("""
        def f(x, y=2.0, *, z=1.0):
            return x * y * z
    """)
    d = wengert.grad(m.f, mode=mode)
    assert d(1.5) == d(1.5, 2.0, z=1.0) == 2.0
    for args, kwargs in (((1.5, 2.0, 3.0), {}), ((), {"y": 3.0}), ((), {})):
        with pytest.raises(wengert.UsageError, match=r"(?m)^f\(\): .*\nhelp: .*f\(x, y=2.0"):
            d(*args, **kwargs)
    assert d(1.5, z=3.0) == 6.0


# ===========================================================================
# 10. second order (grad of grad)

def test_second_order_reads_global_data():
    m = module("""
        K = 2.0

        def f(x):
            return x * x * K
    """)
    for mode in ("reverse", "forward"):
        assert wengert.grad(wengert.grad(m.f), mode=mode)(0.7) == pytest.approx(4.0)
        assert wengert.grad(wengert.grad(m.f, mode=mode))(0.7) == pytest.approx(4.0)
    m.K = 3.0                       # module data is read when the derivative runs
    assert wengert.grad(wengert.grad(m.f))(0.7) == pytest.approx(6.0)


def test_second_order_through_sum_of_array():
    m = module("""
        def f(x, a):
            return sum(a * x * x)
    """)
    a = np.array([0.5, 1.0, 2.0])
    for mode in ("reverse", "forward"):
        assert wengert.grad(wengert.grad(m.f), mode=mode)(0.7, a) == pytest.approx(7.0)


def test_second_order_through_recursive_helper():
    m = module("""
        def h(p, n):
            if n <= 0:
                return p
            return h(p * 1.5, n - 1)

        def f(x):
            return h(x, 2) * x
    """)
    for outer in ("reverse", "forward"):
        for inner in ("reverse", "forward"):
            gg = wengert.grad(wengert.grad(m.f, mode=inner), mode=outer)
            assert gg(0.7) == pytest.approx(2 * 2.25), (outer, inner)


def test_second_order_loop_in_untaken_branch():
    m = module("""
        def f(x):
            if x > 0.0:
                for i in range(2):
                    x = x * x
            return x
    """)
    for outer in ("reverse", "forward"):
        for inner in ("reverse", "forward"):
            gg = wengert.grad(wengert.grad(m.f, mode=inner), mode=outer)
            assert gg(-0.7) == 0.0 and gg(0.7) == pytest.approx(12 * 0.7 ** 2)


FIXED_SECOND_ORDER_CONSTANT_HELPER = (
    "forward-over-reverse through a helper with two active arguments and a constant result: "
    "the first derivative unpacked `c1, c2 = h_grad(...)`, its tangent was a symbolic zero "
    "materialised as the float 0.0, and `c1_dot, c2_dot = r_dot2` failed: TypeError")


def test_second_order_forward_through_constant_helper():
    m = module("""
        def h(p0, p1):
            return 0.5

        def f(x):
            v = h(x * 2.0, x)
            return math.sin(x) + v
    """)
    g2 = wengert.grad(wengert.grad(m.f), mode="forward")(0.7)
    assert g2 == pytest.approx(-math.sin(0.7))


FIXED_SECOND_ORDER_LIST_ZERO = (
    "reverse-over-reverse of a comprehension's list whose first derivative replays it from "
    "a tape: in the second-order adjoint of the first derivative's pop loop "
    "(`tape_7, v23 = list_pop(tape_6); items_1_10 = v23`), the adjoint of the overwritten "
    "items_1_10 was reset to zeros_like(items_1_10), the list's value after the loop (the "
    "empty first tape entry), not at the start of the iteration, because a carried value "
    "not read in the body was not taped: the list adjoint was too short and "
    "`items_1_7_bar[-1]` raised IndexError. A carried active value of a list's or an "
    "unknown kind is now taped and restored")


def test_second_order_comprehension_in_loop_with_early_return_minimal():
    m = module("""
        def f(x, z):
            for i in range(1):
                if x <= z:
                    v = sum([x for j in range(2)])
                    if i >= 1:
                        return v
            return x * z
    """)
    assert wengert.grad(wengert.grad(m.f))(0.5, 1.0) == 0.0


def test_second_order_comprehension_in_loop_with_return():
    m = module("""
        def f(x, y, z):
            for i7 in range(1):
                if y > -0.5:
                    z = z + np.log(np.exp(np.sin(y))) * np.expm1(np.cos(y))
                else:
                    pass
                if x <= z + z:
                    y = 0.5 * y + math.hypot(np.radians(x), 1.0 + (2.0 + z) * (2.0 + z))
                    v10 = sum([np.positive(z) for j9 in range(2)])
                    if i7 >= 1:
                        return np.degrees(z - (v10 + x)) + v10 + x + y
            return np.arcsin(0.9 * np.sin(np.fmax(0.25 - x, x / -0.75))) - x + y - z
    """)
    args = (1.0385687424179277, -1.2597870989346738, 0.9882825358096885)
    d1 = wengert.grad(m.f)
    want = central(lambda t: d1(t, *args[1:]), args[0])
    assert wengert.grad(d1)(*args) == pytest.approx(want, rel=1e-6)


def _scale_in_place(v, s=1.0):
    s *= np.tanh(1.5)          # s is a NumPy scalar here: immutable, so rebinding is right
    return v * s


def _calls_scale_in_place(x, y):
    return _scale_in_place(x, s=y[0][0]).sum()


def test_augmented_assignment_to_a_numpy_scalar_is_accepted():
    """An inlined helper may update its scalar parameter in place."""
    x, y = np.arange(3.0) + 1, np.full((1, 3), 2.0)
    gx, gy = wengert.grad(_calls_scale_in_place, wrt=(0, 1))(x, y)
    t = math.tanh(1.5)
    np.testing.assert_allclose(gx, np.full(3, 2.0 * t))
    np.testing.assert_allclose(gy, [[6.0 * t, 0.0, 0.0]])


def _scale_with_branch(v, s=0.5):
    if v[0] > 0.0:             # a branch: built as a derivative of its own, not inlined
        s *= np.tanh(1.5)
    return v * s


def test_augmented_assignment_to_a_numpy_scalar_parameter_of_a_helper():
    """Python 3.9 fuzz, seed 21930: ``y[0][0]`` is a NumPy scalar (immutable), so
    ``s *= c`` in a helper that is not inlined rebinds ``s`` and must be accepted."""
    def f(x, y):
        return _scale_with_branch(x, s=y[0][0]).sum()
    x, y = np.arange(3.0) + 1, np.full((1, 3), 2.0)
    gx, gy = wengert.grad(f, wrt=(0, 1))(x, y)
    t = math.tanh(1.5)
    np.testing.assert_allclose(gx, np.full(3, 2.0 * t))
    np.testing.assert_allclose(gy, [[6.0 * t, 0.0, 0.0]])


def test_numpy_scalar_and_0d_array_are_specialised_apart():
    """A NumPy scalar may be updated in place (it is rebound); a 0-d ndarray may not
    (NumPy would change the caller's array). The same derivative called with one and
    then the other must not reuse the first specialisation."""
    def f(x, s):
        s *= 2.0
        return x * s
    g = wengert.grad(f)
    assert g(1.5, np.float64(0.5)) == 1.0
    with pytest.raises(wengert.UnsupportedSyntaxError, match="augmented assignment"):
        g(1.5, np.array(0.5))
    assert g(1.5, np.float64(0.25)) == 0.5


def test_augmented_assignment_to_an_aliased_local_0d_array_is_refused():
    # NumPy: `b += x` changes `a` too, so f(x) = (2 + x) * x; computing a new
    # `b` would give the derivative of 2 * x instead
    def f(x):
        a = np.array(2.0)
        b = a
        b += x
        return a * x
    with pytest.raises(wengert.UnsupportedSyntaxError, match="augmented assignment"):
        wengert.grad(f)(1.5)


def test_augmented_assignment_to_an_input_array_is_still_refused():
    def f(x):
        x += 1.0
        return (x * x).sum()
    with pytest.raises(wengert.UnsupportedSyntaxError):
        wengert.grad(f)(np.ones(3))


# ---------------------------------------------------------------------------
# augmented assignments to numbers whose kind was unknown (falsely refused as
# possibly shared arrays); fuzz seeds 500057 and 500062, second order

def test_augmented_assignment_to_a_join_of_an_int_and_a_float():
    # `s` is an int on one path and a float on the other: a NUMBER, never an array
    def f(x):
        s = 0
        if x > 0.0:
            s = x * 2.0
        t = s
        s += x
        return s * t + x
    assert_value_and_grad(f, 0.7)
    assert_value_and_grad(f, -0.7)


def test_augmented_assignment_to_a_conditional_int_or_float():
    def f(x):
        s = 1 if x > 0.0 else x
        t = s
        s *= x
        return s * t
    assert_value_and_grad(f, 0.7)
    assert_value_and_grad(f, -0.7)


def test_augmented_assignment_to_a_max_of_a_float_and_an_int():
    # max(x, 1) is one of its arguments (an int here), not the float a
    # broadcast of their kinds claimed: a NUMBER
    def f(x):
        m = max(x, 1)
        n = m
        m *= x
        return m * n
    assert_value_and_grad(f, 1.5)


def test_augmented_assignment_to_a_sum_of_a_generator_of_floats():
    # seed 500057: `sum(...)` of a comprehension's list of floats was unknown
    def f(x):
        v4 = sum(np.tanh(x) for j in range(3))
        v7 = np.log(1.0 + x * x)
        for i in range(2):
            v7 *= np.tanh(v4)
            x = 0.5 * x + v7
        z = v7
        return x + z
    assert_value_and_grad(f, 0.7)


def test_augmented_assignment_to_an_item_of_a_list_of_floats():
    # seed 500062: `xs[0]` of a list the function appends floats to was unknown
    def f(x):
        xs = []
        for i in range(2):
            xs.append(x)
            x -= 0.5 * x
        v = xs[0] / 2.0
        v, x = x, v
        x *= np.tanh(v)
        return x
    assert_value_and_grad(f, 0.7)


def test_augmented_assignment_to_a_loop_variable_over_a_list_of_floats():
    def f(x):
        total = 0
        for u in [x, 2.0 * x]:
            t = u
            u += x
            total = total + t * u
        return total
    assert_value_and_grad(f, 0.7)


def test_augmented_assignment_to_an_aliased_int_or_0d_array_is_refused():
    # an int joined with a 0-d array is not a number: `b += x` may change `a`
    def f(x):
        a = np.array(2.0) if x > 0.0 else 1
        b = a
        b += x
        return a * x
    with pytest.raises(wengert.UnsupportedSyntaxError, match="augmented assignment"):
        wengert.grad(f)(1.5)


def test_augmented_assignment_to_an_aliased_0d_array_from_a_list_is_refused():
    def f(x):
        xs = [np.array(2.0), x]
        b = xs[0]
        c = b
        c += x
        return b * x
    with pytest.raises(wengert.UnsupportedSyntaxError, match="augmented assignment"):
        wengert.grad(f)(1.5)


def test_exec_string_source_is_never_read_from_a_foreign_linecache_entry():
    """Python 3.13 under xdist: another test left lines in linecache under
    ``<string>``; a function built by exec() must still be refused as having no
    source, not parsed from those lines ("no lambda with parameters ...")."""
    import linecache
    saved = linecache.cache.get("<string>")
    linecache.cache["<string>"] = (6, None, ["y = 1\n"], "<string>")
    try:
        namespace = {}
        exec("def f(x):\n    return x * x\n", namespace)
        with pytest.raises(wengert.SourceUnavailableError, match="could not get source code"):
            wengert.grad(namespace["f"])(2.0)
    finally:
        if saved is None:
            linecache.cache.pop("<string>", None)
        else:
            linecache.cache["<string>"] = saved


FIXED_PENDING_KIND = (
    "api._callee_kind remembered the kind a recursive helper was given while another call's "
    "kind was being inferred; a helper that never returns without recursing answers "
    "analysis.PENDING there (left to the call that recursed into it), and that answer was "
    "remembered: the next query read PENDING (shape (-3,)) as the helper's kind, and "
    "grad refused the function as having a non-scalar output (fuzz seed 111048)")


def test_kind_of_a_recursive_helper_inferred_inside_another_is_not_left_pending():
    m = module("""
        ONE13 = np.ones((1, 3))

        def h1(p0, n):
            return p0
            return h1(p0, n)

        def f(x):
            v5 = sum((ONE13 * x[0] for j4 in range(1)))
            return sum(h1(v5, 2))[0]
    """)
    x = np.array([-0.3, 0.2, 0.4])
    for optimize in (True, False):
        for mode in ("reverse", "forward"):
            g = wengert.grad(m.f, mode=mode, optimize=optimize)(x)
            assert g == pytest.approx([1.0, 0.0, 0.0]), (mode, optimize)


FIXED_LEN_KIND = (
    "analysis.expr_kind gave len(...) no kind, so `for u in reversed(xs)` over a list of "
    "floats (lowered to xs[len(xs) - 1 - i]) had items of unknown kind, and `u *= v` was "
    "refused as a possible in-place update of an array (fuzz seeds 90962, 90261)")


def test_augmented_assignment_to_the_items_of_a_reversed_list_of_floats():
    m = module("""
        def f(x):
            xs = []
            for i in range(3):
                xs.append(1.5 * i)
            total = 0.0
            for u in reversed(xs):
                u *= np.tanh(x)
                total = total + u
            return total + x * len(xs)
    """)
    assert_value_and_grad(m.f, 0.3)
