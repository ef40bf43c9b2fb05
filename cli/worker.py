"""``leadq worker``: run a Faust worker against the configured Kafka and Redis.

All configuration comes from ``LEADQ_*`` environment variables (see
``streams.settings``); the options below override the few that differ per process.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "worker", help="run a stream worker (Kafka + Redis from LEADQ_* env vars)"
    )
    parser.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        help="default: LEADQ_LOG_LEVEL",
    )
    parser.add_argument("--web-port", type=int, help="default: LEADQ_WEB_PORT")
    parser.add_argument(
        "--only",
        metavar="PARTS",
        help="run only these comma-separated parts: qualifier, router (default: the "
        "qualifier and every consumer that is configured)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agents.consumers import ConsumerConfigError
    from agents.worker import run_worker
    from schemas.routing import RoutingError
    from streams.settings import get_settings

    overrides = {"log_level": args.log_level, "web_port": args.web_port}
    settings = get_settings().with_changes(
        **{key: value for key, value in overrides.items() if value is not None}
    )
    only = [part.strip() for part in args.only.split(",") if part.strip()] if args.only else None
    try:
        return run_worker(settings, only)
    except ConsumerConfigError as error:
        print(f"leadq worker: {error}", file=sys.stderr)
    except RoutingError as error:
        print(f"leadq worker: {error}", file=sys.stderr)
    return 2
