"""``leadq routing check FILE``: validate a routing file; print its version or its errors."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from schemas.routing import RoutingError, load_routing


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("routing", help="work with routing files")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="validate a routing file; exit 1 and list every error with its field path"
    )
    check.add_argument("file", help="routing file (.yaml, .yml or .toml)")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    try:
        config = load_routing(args.file)
    except RoutingError as error:
        print(f"{error.path}: {len(error.problems)} problem(s)", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    reps = sum(len(team.reps) for team in config.teams)
    slas = sum(rule.sla is not None for rule in config.rules)
    print(
        f"{args.file}: ok — version {config.version}: {len(config.teams)} teams, {reps} reps, "
        f"{len(config.rules)} rules ({slas} with an SLA)"
    )
    return 0
