"""``leadq abm``: run the ABM signals consumer alone (``leadq worker`` also runs it).

Reads the routing and signals topics in its own consumer group and writes ABM
CloudEvents to the ABM topic (docs/consumers.md). Configuration from ``LEADQ_*``
(``LEADQ_ABM__*`` for the surge thresholds). Stops on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

#: How long ``leadq abm`` waits for the broker at start before it gives up.
STARTUP_TIMEOUT_S = 10.0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "abm", help="run the ABM signals consumer alone (routing + signals → ABM topic)"
    )
    parser.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        help="default: LEADQ_LOG_LEVEL",
    )
    parser.add_argument(
        "--startup-timeout",
        type=float,
        default=STARTUP_TIMEOUT_S,
        help=f"seconds to wait for the broker at start (default {STARTUP_TIMEOUT_S:g})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import signal

    from aiokafka.errors import KafkaError
    from pydantic import ValidationError

    from agents.abm_consumer import run_abm
    from schemas.rules import RulesError
    from streams.kafka.admin import wait_for_kafka
    from streams.settings import get_settings

    try:
        settings = get_settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        print(f"leadq abm: invalid LEADQ_* settings: {problems}", file=sys.stderr)
        return 1
    level = (args.log_level or settings.log_level).upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def main() -> None:
        # Probes TCP first: a broker that is down gives one line, not aiokafka's errors.
        await wait_for_kafka(settings.kafka_bootstrap, args.startup_timeout)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run_abm(settings, stop)

    try:
        asyncio.run(main())
    except RulesError as error:
        print(f"leadq abm: {error}", file=sys.stderr)
        return 1
    except (KafkaError, OSError, TimeoutError) as error:
        print(
            f"leadq abm: cannot reach Kafka at {settings.kafka_bootstrap}: {error}", file=sys.stderr
        )
        return 1
    return 0
