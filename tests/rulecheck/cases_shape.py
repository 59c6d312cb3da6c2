"""Rule cases for the shape family (see rulecheck/cases.py)."""

import numpy as np

from . import Arg, Case

CASES = []
