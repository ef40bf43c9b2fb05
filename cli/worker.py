"""``leadq worker``: run a Faust worker against the configured Kafka and Redis.

All configuration comes from ``LEADQ_*`` environment variables (see
``streams.settings``); the options below override the few that differ per process.
"""

from __future__ import annotations

import argparse
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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agents.worker import run_worker
    from streams.settings import get_settings

    overrides = {"log_level": args.log_level, "web_port": args.web_port}
    settings = get_settings().with_changes(
        **{key: value for key, value in overrides.items() if value is not None}
    )
    return run_worker(settings)
