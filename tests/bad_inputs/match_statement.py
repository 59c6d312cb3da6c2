"""``match`` (Python >= 3.10 only: imported conditionally by the package)."""

from wengert import UnsupportedSyntaxError

from . import rejects


@rejects(UnsupportedSyntaxError, 1.5, col=4, message="match")
def match_statement(x):
    match x > 0:  # <-- here
        case True:
            return x * x
        case _:
            return -x


@rejects(UnsupportedSyntaxError, 1.5, col=4, at=match_statement, message="match",
         note="reached through a helper: the error still points at the match")
def match_in_helper(x):
    return match_statement(x) + 1.0
