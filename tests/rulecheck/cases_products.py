"""Rule cases for the products family (see rulecheck/cases.py)."""

import numpy as np

from . import Arg, Case

CASES = []
