"""``leadq rules check FILE``: validate a rules file and print its version or its errors."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from schemas.rules import RulesError, load_rules


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("rules", help="work with rules files")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="validate a rules file; exit 1 and list every error with its field path"
    )
    check.add_argument("file", help="rules file (.yaml, .yml or .toml)")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
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
