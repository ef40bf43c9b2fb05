"""``leadq abm``: run the ABM signals consumer alone (``leadq worker`` also runs it).

Reads the routing and signals topics in its own consumer group and writes ABM
CloudEvents to the ABM topic (docs/consumers.md). Configuration from ``LEADQ_*``
(``LEADQ_ABM__*`` for the surge thresholds). Stops on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "abm", help="run the ABM signals consumer alone (routing + signals → ABM topic)"
    )
    parser.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        help="default: LEADQ_LOG_LEVEL",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import signal

    from agents.abm_consumer import run_abm
    from schemas.rules import RulesError
    from streams.settings import get_settings

    settings = get_settings()
    level = (args.log_level or settings.log_level).upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run_abm(settings, stop)

    try:
        asyncio.run(main())
    except RulesError as error:
        print(f"leadq abm: {error}")
        return 1
    except OSError as error:
        print(f"leadq abm: cannot reach Kafka or Redis: {error}")
        return 1
    return 0
