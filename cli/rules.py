"""``leadq rules``: work with rules files.

``leadq rules check [FILE]`` validates a rules file (default: the one a worker would run)
and prints its version, or every error with its field path (exit 1).
``leadq rules example [NAME]`` prints a file shipped with leadq (default: the example
rules a worker runs when ``LEADQ_RULES_PATH`` is unset), to start your own from:
``leadq rules example > rules.yaml``; ``--list`` names them all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cli.errors import UserError, rules_problem
from schemas.examples import EXAMPLE_RULES, example_files
from schemas.rules import Rules, RulesError, load_rules


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("rules", help="work with rules files")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="validate a rules file; exit 1 and list every error with its field path"
    )
    check.add_argument(
        "file",
        nargs="?",
        help="rules file (.yaml, .yml or .toml); default: the one a worker would run "
        "(LEADQ_RULES_PATH, else the shipped example)",
    )
    check.set_defaults(func=run_check)
    example = actions.add_parser(
        "example", help="print an example file shipped with leadq (default: the example rules)"
    )
    example.add_argument("name", nargs="?", default=EXAMPLE_RULES, help=f"[{EXAMPLE_RULES}]")
    example.add_argument("--list", action="store_true", help="print the shipped files' names")
    example.set_defaults(func=run_example)


def run_check(args: argparse.Namespace) -> int:
    if args.file is None:
        from streams.settings import get_settings

        args.file = str(get_settings().rules_path)
    try:
        rules = load_rules(args.file)
    except RulesError as error:
        print(f"{error.path}: {len(error.problems)} problem(s)", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(
        f"{args.file}: ok — version {rules.version}: {len(rules.fit.rules)} fit rules, "
        f"{len(rules.fit.disqualifiers)} disqualifiers, {len(rules.intent.rules)} intent "
        f"rules, {len(rules.answers)} answers"
    )
    return 0


def run_example(args: argparse.Namespace) -> int:
    shipped = {path.name: path for path in example_files()}
    if args.list:
        print("\n".join(shipped))
        return 0
    path = shipped.get(args.name)
    if path is None:
        raise UserError(f"no shipped file {args.name!r}; shipped: {', '.join(shipped)}")
    sys.stdout.write(path.read_text(encoding="utf-8"))
    return 0


def load_rules_argument(path: str | Path, where: str) -> Rules:
    """The rules file a command was given, or a :class:`UserError` with its first
    problem and ``where`` the path came from (``--rules``, ``LEADQ_RULES_PATH``)."""
    try:
        return load_rules(path)
    except RulesError as error:
        raise UserError(f"{rules_problem(error)} (check {where})") from error
