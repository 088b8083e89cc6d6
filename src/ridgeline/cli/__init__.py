"""The ``ridgeline`` command line: a thin layer over :mod:`ridgeline.api`.

    ridgeline lab        [--host 127.0.0.1] [--port 2718]
    ridgeline hardware   [NAME]
    ridgeline op         gemm | conv2d | attention  (dimensions as flags)
    ridgeline profile    MODEL
    ridgeline sweep      MODEL [--layer NAME] --param P --from A --to B
    ridgeline ridge      MODEL --layer NAME --param P
    ridgeline measure    [--quick] [--threads N] [--cached]

Every subcommand takes ``--json`` (``profile`` and ``sweep`` also ``--csv``). Exit status:
0 ok; 2 bad input, printed as one line ``ridgeline: error: ...``; 1 an internal error, one line
(``RIDGELINE_DEBUG=1`` shows the traceback); 130 interrupted. A Python warning (e.g. from an
importer) is printed as one line ``ridgeline: warning: ...``.

The package by job: :mod:`.parser` (argparse and argument types), :mod:`.commands` (the
handlers), :mod:`.render` (text and CSV), :mod:`.shape` (JSON). Importing any of them loads only
the standard library and :mod:`ridgeline.format`; the handlers import the engine (numpy) from
:mod:`ridgeline.api` when they run and the lab (marimo) only for ``ridgeline lab``, so
``--help`` and a rejected argument never load numpy.
"""

from __future__ import annotations

import os
import sys
import warnings

from .challenging import cmd_challenge
from .commands import cmd_hardware, cmd_op, cmd_profile, cmd_ridge, cmd_sweep
from .lab import cmd_class_report, cmd_export_site, cmd_lab
from .measuring import cmd_measure
from .parser import PROG, UsageError, build_parser

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _one_line(exc: BaseException | Warning | str) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` for the CLI: one line on stderr, not Python's two."""
    print(f"{PROG}: warning: {_one_line(message)}", file=sys.stderr)


def _dispatch(args) -> int:
    """Run the handler the parser named, looked up here (so tests can replace ``cmd_*``)."""
    with warnings.catch_warnings():  # restores the caller's showwarning afterwards
        warnings.showwarning = _warning_line
        return globals()[args.handler](args)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 internal error, 2 bad input)."""
    debug = os.environ.get("RIDGELINE_DEBUG", "") not in ("", "0")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return _dispatch(args)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except (UsageError, ValueError) as exc:  # RidgelineError is a ValueError
        if debug:
            raise
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `ridgeline profile ... | head`
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (silence the flush at exit)
        return EXIT_OK
    except Exception as exc:  # a bug: one line unless asked for the traceback
        if debug:
            raise
        print(f"{PROG}: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(set RIDGELINE_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL


__all__ = ["EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "PROG", "UsageError",
           "build_parser", "cmd_challenge", "cmd_class_report", "cmd_export_site", "cmd_hardware",
           "cmd_lab", "cmd_measure", "cmd_op", "cmd_profile", "cmd_ridge", "cmd_sweep", "main"]
