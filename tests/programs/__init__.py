"""Whole programs for control flow and program structure.

Every module-level name starting with ``prog_`` in the modules of this
package is a test program. ``tests/test_programs.py`` collects them and
checks, at each of the argument tuples attached with ``@inputs``, that the
reverse-mode gradient equals the forward-mode gradient and both equal central
finite differences, and that ``value_and_grad`` returns the function's value.

By default the gradient is taken with respect to every argument that is a
float or a floating-point array (integers such as trip counts are left
alone); ``@inputs(..., wrt=(0, 2))`` says otherwise.

A program the compiler gets wrong today is marked ``@bug("diagnosis")``: the
test expects it to fail (strict xfail), so it starts failing — and the mark
must be removed — once the bug is fixed. The minimal reproductions of those
bugs, and the diagnoses the marks share, live in ``bugs.py``.
"""

PROGRAM_PREFIX = "prog_"


def inputs(*arg_tuples, wrt=None):
    """Attach example argument tuples (and optionally ``wrt`` positions)."""
    if not arg_tuples or not all(isinstance(a, tuple) for a in arg_tuples):
        raise TypeError("@inputs takes one or more argument tuples")

    def mark(f):
        f.example_inputs = list(arg_tuples)
        f.example_wrt = wrt
        return f
    return mark


def bug(reason=None, *, value=True):
    """Mark a program the compiler gets wrong today (strict xfail).

    ``reason`` (a one-line diagnosis): its gradient is wrong or cannot be
    built. ``value``: whether ``value_and_grad`` fails too — ``True`` (for the
    same reason), ``False`` (it is consistent with ``grad``), or a diagnosis
    of its own when only the value is wrong.
    """
    if reason is None and not isinstance(value, str):
        raise TypeError("@bug needs a diagnosis")

    def mark(f):
        f.known_bug = reason
        f.known_value_bug = reason if value is True else (value or None)
        return f
    return mark
