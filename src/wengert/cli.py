"""The command line: ``wengert show FILE.py:FUNC [--mode ...] [--wrt ...]``.

``FILE.py:FUNC`` names a function in a file (``examples/quickstart.py:g``);
``package.module:FUNC`` names one in an importable module. Errors are one
clear message on stderr and a non-zero exit status; ``--debug`` shows the
traceback too.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
import traceback

from .errors import WengertError

MODES = ("reverse", "forward", "wengert", "vjp", "jvp")


class CLIError(Exception):
    pass


def load_function(spec: str):
    """Resolve ``FILE.py:FUNC`` or ``package.module:FUNC`` to a function."""
    if ":" not in spec:
        raise CLIError(f"expected FILE.py:FUNC or module:FUNC, got {spec!r}")
    where, _, name = spec.rpartition(":")
    if where.endswith(".py") or os.sep in where:
        if not os.path.exists(where):
            raise CLIError(f"no such file: {where}")
        modname = "_wengert_cli_" + os.path.splitext(os.path.basename(where))[0]
        sys.path.insert(0, os.path.dirname(os.path.abspath(where)))
        spec_ = importlib.util.spec_from_file_location(modname, where)
        module = importlib.util.module_from_spec(spec_)
        sys.modules[modname] = module
        try:
            spec_.loader.exec_module(module)
        except Exception as exc:       # the user's module failed to import
            raise CLIError(f"importing {where} failed: {type(exc).__name__}: {exc}") from exc
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as exc:
            raise CLIError(f"cannot import module {where!r}: {exc}") from exc
    obj = module
    for part in name.split("."):
        if not hasattr(obj, part):
            raise CLIError(f"{where} has no function {name!r}")
        obj = getattr(obj, part)
    obj = getattr(obj, "__wrapped__", obj)
    if not callable(obj):
        raise CLIError(f"{spec} is not a function")
    return obj


def _wrt(text, func):
    if text is None:
        return 0
    items = [t.strip() for t in text.split(",") if t.strip()]
    parsed = [int(t) if t.lstrip("-").isdigit() else t for t in items]
    return parsed[0] if len(parsed) == 1 else tuple(parsed)


def cmd_show(args) -> int:
    from .api import derivative_source
    func = load_function(args.target)
    text = derivative_source(func, mode=args.mode, wrt=_wrt(args.wrt, func),
                             optimize=not args.no_optimize)
    sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wengert",
                                description="Source-to-source automatic differentiation.")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print generated derivative source")
    show.add_argument("target", help="FILE.py:FUNC or package.module:FUNC")
    show.add_argument("--mode", choices=MODES, default="reverse",
                      help="reverse (gradient), forward (tangent), wengert (the Wengert "
                           "list), vjp (value and adjoint), jvp")
    show.add_argument("--wrt", help="comma-separated parameter names or positions")
    show.add_argument("--no-optimize", action="store_true",
                      help="show the derivative before optimisation")
    show.set_defaults(run=cmd_show)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (CLIError, WengertError) as exc:
        if args.debug:
            traceback.print_exc()
        print(f"wengert: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:           # a bug in wengert: say so plainly
        if args.debug:
            traceback.print_exc()
        print(f"wengert: internal error: {type(exc).__name__}: {exc}\n"
              "(run with --debug for the traceback, and please report it)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
