"""Rule cases for the reductions family (see rulecheck/cases.py)."""

import numpy as np

from . import Arg, Case

CASES = []
