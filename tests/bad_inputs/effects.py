"""Side effects: print is kept, other discarded calls and mutations are refused."""

import math

import numpy as np

from wengert import NoRuleError, UnsupportedSyntaxError

from . import accepts, rejects


class Box:
    value = 0.0


@accepts(1.5, expect=3.0, note="print is allowed and kept in the generated code")
def print_is_kept(x):
    print("x is", x)
    return x * x


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="discarded")
def discarded_call(x):
    math.sin(x)  # <-- here
    return x * x


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="discarded")
def discarded_numpy_call(x):
    np.exp(x)  # <-- here
    return x


@rejects(UnsupportedSyntaxError, 1.5, col=4, message=".sort")
def list_method_as_statement(x):
    xs = [x, 2.0 * x]
    xs.sort()  # <-- here
    return xs[0]


@accepts(1.5, expect=3.0 + 2.0 * 1.5)
def list_extend_is_supported(x):
    xs = [x]
    xs.extend([2.0 * x, x * x])
    return xs[0] + xs[1] + xs[2]


@accepts(1.5, expect=2.0 * 1.5 + 1.0)
def list_append_is_supported(x):
    xs = [x]
    xs.append(x * x)
    return xs[0] + xs[1]


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="attribute")
def attribute_assignment(x):
    b = Box()
    b.value = x  # <-- here
    return x


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="attribute")
def attribute_augmented_assignment(x):
    b = Box()
    b.value += x  # <-- here
    return x


@rejects(UnsupportedSyntaxError, np.array([1.0, 2.0, 3.0]), col=4)
def mutate_input_array(x):
    x[0] = 1.0  # <-- here
    return np.sin(x)[1]


@rejects(UnsupportedSyntaxError, np.array([1.0, 2.0, 3.0]), col=4)
def mutate_input_array_augmented(x):
    x[1] += 1.0  # <-- here
    return x[1] * x[1]


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="exec")
def exec_call(x):
    exec("y = x")  # <-- here
    return x


@rejects(UnsupportedSyntaxError, 1.5, col=11, message="eval")
def eval_call(x):
    return eval("x * x")  # <-- here


# -- updates of an array that has another name or a view -------------------------
# NumPy changes the array for every name and view; wengert computes new arrays,
# so the other name would keep the old values: refused (silently wrong before).

@rejects(UnsupportedSyntaxError, np.array([0.3, 0.7, 1.1]), col=4, message="`b`")
def update_array_with_another_name(x):
    z = x * 1.0
    b = z
    z[1] = x[0] * 5.0  # <-- here
    return np.sum(b * b)


@rejects(UnsupportedSyntaxError, np.array([0.3, 0.7, 1.1]), col=4, message="`r`")
def update_array_with_a_slice_view(x):
    z = x * 1.0
    r = z[1:]
    z[1] = x[0] * 5.0  # <-- here
    return np.sum(r * r)


@rejects(UnsupportedSyntaxError, np.array([0.3, 0.7, 1.1]), col=8, message="`r`")
def update_array_with_a_reshaped_view_in_a_loop(x):
    z = x * 1.0
    r = z.reshape(3, 1)
    for i in range(3):
        z[i] = x[i] * 2.0  # <-- here
    return np.sum(r * r)


@accepts(np.array([0.3, 0.7, 1.1]), note="an element read before the update is a copy")
def update_after_reading_an_element(x):
    z = x * 1.0
    old = z[1]
    z[1] = x[0] * 5.0
    return old * np.sum(z)


@accepts(np.array([0.3, 0.7, 1.1]), note="a copy made before the update keeps the old values")
def update_after_a_copy(x):
    z = x * 1.0
    r = z[1:].copy()
    z[1] = x[0] * 5.0
    return np.sum(r * r) + np.sum(z)


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="`a`")
def append_to_a_list_with_another_name(x):
    a = [x]
    b = a
    b.append(x * x)  # <-- here
    return sum(a)


@accepts(1.5, note="an item read before an append is not changed by it")
def append_after_reading_an_item(x):
    xs = [x]
    for i in range(3):
        last = xs[-1]
        xs.append(last * x)
        x = last + x
    return sum(xs) + x


# -- calls that change an object in place ------------------------------------------
# Assigned to a name nobody reads, the call was dead code: deleted with its
# effect, the value and the derivative were those of the unchanged object.

@rejects(UnsupportedSyntaxError, np.array([1.0, 2.0]), col=8, message="np.fill_diagonal")
def numpy_function_writing_into_an_argument(x):
    M = np.outer(x, x)
    _ = np.fill_diagonal(M, 0.0)  # <-- here
    return np.sum(M)


@rejects(UnsupportedSyntaxError, np.array([1.0, 2.0]), col=8, message="out=y")
def numpy_out_keyword(x):
    y = x * 1.0
    z = np.exp(y, out=y)  # <-- here
    return np.sum(y)


@rejects(UnsupportedSyntaxError, np.array([1.0, 2.0]), col=8, message="np.add.at")
def ufunc_at(x):
    y = np.zeros(3)
    _ = np.add.at(y, np.array([1, 1]), x)  # <-- here
    return np.sum(y ** 2)


@rejects(UnsupportedSyntaxError, 1.5, col=8, message="xs.sort")
def list_method_assigned(x):
    xs = [3.0 * x, x]
    _ = xs.sort()  # <-- here
    return xs[0]


@rejects(NoRuleError, 1.5, {"a": 1.0}, col=8, message=".update()")
def dict_argument_updated(x, d):
    _ = d.update({"a": x})  # <-- here
    return d["a"]


class Counter:
    def __init__(self, w):
        self.w = w

    def update(self, x):
        return self.w * x


@accepts(1.5, Counter(2.0), expect=4.0 * 1.5,
         note="a method of the user's own class called update is the class's function")
def user_method_named_update(x, counter):
    v = counter.update(x)
    return v * x
