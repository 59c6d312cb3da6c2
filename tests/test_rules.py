"""Every registered derivative rule, in both modes, against finite differences."""

import numpy as np
import pytest

from wengert import runtime
from wengert.rules import registry
from rulecheck import check_case
from rulecheck.cases import ALL

F64 = [pytest.param(c, id=c.id) for c in ALL]
F32 = [pytest.param(c, id=c.id) for c in ALL if c.float32]


@pytest.mark.parametrize("case", F64)
def test_rule_float64(case):
    check_case(case, np.float64)


@pytest.mark.parametrize("case", F32)
def test_rule_float32(case):
    check_case(case, np.float32)


# Rules exercised only through generated code (covered by higher-order tests).
RUNTIME = {runtime.unbroadcast, runtime.broadcast_like, runtime.getitem_adjoint,
           runtime.check_scalar, runtime.accumulate, runtime.list_append,
           runtime.fill_like, runtime.seq_adjoint, runtime.list_pop, runtime.unpop,
           runtime.seq_repeat, runtime.seq_repeat_left, runtime.unrepeat,
           runtime.scatter_into, runtime.copy_of, runtime.as_scalar, runtime.as_array,
           runtime.iterated, runtime.iterated_tangent, runtime.iterated_adjoint,
           runtime.last_writes, runtime.copied_dict, runtime.sorted_like,
           runtime.unsorted, runtime.as_items, runtime.scatter_tangent, runtime.stored,
           runtime.adjoint_as, runtime.splice, runtime.splice_adjoint,
           runtime.splice_part, runtime.dict_union, runtime.dict_union_left,
           runtime.dict_union_right}   # (splices, unions: test_trial14_regressions.py)
# Rules whose finite differences need steps of their own (test_regressions.py):
# a cast to float32 rounds what float64 steps of 1e-6 would see.
ELSEWHERE = {np.float32}


def test_every_rule_has_a_case():
    registry.load_optional(everything=True)      # (SciPy's families too)
    covered = set()
    for c in ALL:
        covered.update(id(k) for k in c.covers)
    missing = sorted({r.name for fn, r in registry.RULES.items()
                      if not r.nondiff and fn not in RUNTIME and fn not in ELSEWHERE
                      and id(fn) not in covered
                      # rules that tests and examples register for themselves
                      and _ours(r)})
    assert not missing, f"rules without a test case: {missing}"


def _ours(r):
    """A rule wengert itself defines (not one a test registered)."""
    return r._source is None or r._source.__module__.startswith("wengert.")
