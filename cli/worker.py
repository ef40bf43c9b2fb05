"""``leadq worker``: run a Faust worker against the configured Kafka and Redis.

All configuration comes from ``LEADQ_*`` environment variables (see
``streams.settings``); the options below override the few that differ per process.
Before the worker starts, the rules file is loaded, the web port and data directory are
checked, and Kafka and Redis are given ``LEADQ_STARTUP_TIMEOUT_S`` to answer: a mistake
there ends the command with one line naming the setting to change (exit 1).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any

from cli.errors import UserError
from cli.rules import load_rules_argument

if TYPE_CHECKING:
    from streams.settings import Settings


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
        help="run only these comma-separated parts: qualifier, router, alerts, abm (default: the "
        "qualifier and every consumer that is configured)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agents.consumers import ConsumerConfigError
    from agents.worker import build_app, run_app
    from schemas.routing import RoutingError
    from streams.settings import get_settings

    overrides = {"log_level": args.log_level, "web_port": args.web_port}
    settings = get_settings().with_changes(
        **{key: value for key, value in overrides.items() if value is not None}
    )
    only = [part.strip() for part in args.only.split(",") if part.strip()] if args.only else None
    load_rules_argument(settings.rules_path, "LEADQ_RULES_PATH")
    try:
        # Configuration mistakes first (unknown part, router without a routing file, a
        # bad routing file): building the app needs no server.
        app = build_app(settings, only)
    except (ConsumerConfigError, RoutingError) as error:
        print(f"leadq worker: {error}", file=sys.stderr)
        return 2
    check_before_start(settings, web_port_option="--web-port" if args.web_port else None)
    return run_app(app, settings)


def check_before_start(settings: Settings, web_port_option: str | None = None) -> None:
    """Raise :class:`UserError` for the first thing that would stop the worker."""
    from streams.preflight import port_problem

    load_rules_argument(settings.rules_path, "LEADQ_RULES_PATH")
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(
            f"cannot create {settings.data_dir} ({error.strerror}); set LEADQ_DATA_DIR"
        ) from error
    port_setting = web_port_option or "LEADQ_WEB_PORT (or --web-port)"
    problem = port_problem(settings.web_host, settings.web_port, f"{port_setting}/LEADQ_WEB_HOST")
    problem = problem or asyncio.run(servers_problem(settings))
    if problem:
        raise UserError(problem)


async def servers_problem(settings: Settings) -> str | None:
    """Kafka's problem, else Redis's, each given ``startup_timeout_s`` to answer."""
    from streams.preflight import kafka_problem, redis_problem

    deadline = settings.startup_timeout_s
    return await kafka_problem(settings, deadline) or await redis_problem(settings, deadline)
