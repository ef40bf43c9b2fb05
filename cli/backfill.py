"""``leadq backfill --rules FILE EVENTS...``: past events into the live Redis state.

Reads events like ``leadq replay`` (any accepted format; ``CHANNEL=FILE`` for files whose
format does not name their topic), and applies them in event-time order to the Redis
named by ``LEADQ_REDIS_URL`` with the worker's own pipeline (``leadq.backfill``): a team
starts with months of decayed intent instead of zero. Idempotent (events are
de-duplicated by id), and safe beside running workers (writes are fenced per bucket).
Transitions found in history are counted, not published, unless ``--emit`` is given
(they then reach the routing topic through the workers' outbox sweeper).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from cli.replay import FORMATS, parse_until, read_signals
from cli.rules import load_rules_argument


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "backfill", help="apply past events to the live Redis state (idempotent)"
    )
    parser.add_argument("--rules", required=True, help="rules file (.yaml or .toml)")
    parser.add_argument("events", nargs="+", metavar="[CHANNEL=]FILE", help="event files")
    parser.add_argument("--format", choices=FORMATS, default="auto", help="input format")
    parser.add_argument("--channel", choices=("web", "email", "product", "crm"))
    parser.add_argument(
        "--until", help="also fire decay-driven transitions due by then (ISO-8601 or 'now')"
    )
    parser.add_argument("--batch", type=int, default=500, help="events per batch (500)")
    parser.add_argument(
        "--emit", action="store_true", help="publish the transitions found (default: count)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from redis.exceptions import RedisError

    from leadq.backfill import backfill
    from leadq.compiled import compile_rules
    from streams.settings import get_settings
    from streams.state.connect import redacted_url, redis_client
    from streams.state.store import RedisStore, Retention

    rules = compile_rules(load_rules_argument(args.rules, "--rules"))
    until_ms = parse_until(args.until)
    signals, rejected = read_signals(args.events, args.format, args.channel)
    settings = get_settings()

    async def main() -> Any:
        client = redis_client(settings.redis_url)
        retention = Retention(cold_s=round(settings.cold_lead_ttl_days * 86_400))
        try:
            store = RedisStore(client, retention=retention)
            return await backfill(
                store, signals, rules, until_ms=until_ms, batch=args.batch, emit=args.emit
            )
        finally:
            await client.aclose()

    try:
        result = asyncio.run(main())
    except (RedisError, OSError) as error:
        print(
            f"leadq backfill: Redis at {redacted_url(settings.redis_url)} unreachable ({error}); "
            "set LEADQ_REDIS_URL",
            file=sys.stderr,
        )
        return 1
    counts = ", ".join(f"{k} {v}" for k, v in sorted(result.statuses.items()))
    print(f"backfilled {result.signals} signal(s): {counts or 'nothing to do'}")
    if rejected:
        print(f"{rejected} input item(s) rejected", file=sys.stderr)
    return 0
