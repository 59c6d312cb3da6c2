"""Rule cases for the linalg family (see rulecheck/cases.py)."""

import numpy as np

from . import Arg, Case

CASES = []
