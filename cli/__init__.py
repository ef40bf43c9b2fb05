"""The ``leadq`` command line.

Each sub-command lives in its own module exposing ``register(subparsers)``; the module
sets ``func`` on its parser, which receives the parsed ``argparse.Namespace`` and returns
the process exit code. Commands that need servers import ``streams``/``agents`` lazily,
inside their ``func``, so the pure commands (``normalize``, ``replay``, ``rules``) start
fast and work without Kafka or Redis.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Sub-command modules, in the order ``leadq --help`` lists them.
COMMAND_MODULES = (
    "normalize",
    "replay",
    "backfill",
    "rules",
    "dev",
    "demo",
    "worker",
    "abm",
    "ingest",
    "produce",
    "tail",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadq", description="Streaming lead qualifier: score, stage and route B2B leads."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``leadq`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    exit_code: int = args.func(args)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
