"""The ``leadq`` command line.

Each sub-command lives in its own module exposing ``register(subparsers)``; the module
sets ``func`` on its parser, which receives the parsed ``argparse.Namespace`` and returns
the process exit code. Commands that need servers import ``streams``/``agents`` lazily,
inside their ``func``, so the pure commands (``normalize``, ``replay``, ``rules``) start
fast and work without Kafka or Redis.

A user mistake (a missing file, a bad setting, an invalid rules file, a server that does
not answer) ends the command with one line on stderr naming what to change and exit code
1, never a traceback (``cli.errors``); ``leadq --debug COMMAND ...`` (or ``--debug``
anywhere among a command's options) shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from cli.errors import describe, one_line

#: Sub-command modules, in the order ``leadq --help`` lists them.
COMMAND_MODULES = (
    "normalize",
    "replay",
    "report",
    "backfill",
    "rules",
    "routing",
    "dev",
    "demo",
    "worker",
    "abm",
    "ingest",
    "produce",
    "tail",
)


#: Exit code of a command that met a user mistake (argparse's own usage errors exit 2).
EXIT_MISTAKE = 1
#: Exit code after Ctrl-C, as shells report a process ended by SIGINT.
EXIT_INTERRUPTED = 130


def leadq_version() -> str:
    """The installed distribution's version (``unknown`` when run from a bare checkout)."""
    try:
        return version("leadq")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadq", description="Streaming lead qualifier: score, stage and route B2B leads."
    )
    parser.add_argument("--version", action="version", version=f"leadq {leadq_version()}")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an error (any position)"
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"cli.{name}")
        module.register(subparsers)
    _accept_debug_everywhere(subparsers)
    return parser


def _accept_debug_everywhere(subparsers: argparse._SubParsersAction[Any]) -> None:
    """``--debug`` after the command name too (``leadq replay --debug ...``)."""
    for child in subparsers.choices.values():
        child.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
        for action in child._actions:
            if isinstance(action, argparse._SubParsersAction):
                _accept_debug_everywhere(action)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``leadq`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        exit_code: int = args.func(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:
        if args.debug:
            raise
        print(f"leadq {args.command}: {_line_for(error)}", file=sys.stderr)
        return EXIT_MISTAKE
    return exit_code


def _line_for(error: Exception) -> str:
    known = describe(error)
    if known is not None:
        return known
    text = one_line(str(error)) or "(no message)"
    return f"{type(error).__name__}: {text} (run again with --debug for the traceback)"


if __name__ == "__main__":
    sys.exit(main())
