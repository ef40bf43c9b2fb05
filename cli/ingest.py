"""``leadq ingest``: the HTTP ingest gateway (see ``gateway``), until SIGTERM or Ctrl-C.

Configuration comes from ``LEADQ_*`` variables (``LEADQ_INGEST__*`` for the gateway,
``LEADQ_KAFKA_BOOTSTRAP``, ``LEADQ_REDIS_URL`` for Mailgun's replay tokens); ``--port``
and ``--host`` override ``LEADQ_INGEST__PORT`` / ``__HOST``. Prints one line when it
listens (never a secret); exits 1 with a message when the broker cannot be reached or
the topics are missing, or a configured key is unusable; 0 after a clean stop.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``ingest`` sub-command to the ``leadq`` parser."""
    parser = subparsers.add_parser(
        "ingest", help="run the HTTP ingest gateway (Segment, RudderStack, PostHog, ESP webhooks)"
    )
    parser.add_argument("--port", type=int, help="default: LEADQ_INGEST__PORT (8088)")
    parser.add_argument("--host", help="default: LEADQ_INGEST__HOST (127.0.0.1)")
    levels = ["debug", "info", "warning", "error"]
    parser.add_argument("--log-level", choices=levels, help="default: LEADQ_LOG_LEVEL")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until stopped; the exit code says whether it could start."""
    from gateway.server import GatewayStartError, serve
    from gateway.signatures import SendGridKeyError
    from streams.logs import setup_logging
    from streams.settings import get_settings

    settings = get_settings()
    ingest = settings.ingest.model_copy(
        update={k: v for k, v in (("port", args.port), ("host", args.host)) if v is not None}
    )
    settings = settings.with_changes(
        ingest=ingest, **({"log_level": args.log_level} if args.log_level else {})
    )
    setup_logging(settings.log_level, settings.log_format)
    # aiokafka logs every refused connection while the broker is down; the gateway's
    # own 503 warnings say it once per request.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        _run(serve(settings), settings.uvloop)
    except (GatewayStartError, SendGridKeyError, OSError) as error:
        print(f"leadq ingest: {error}", file=sys.stderr)
        return 1
    return 0


def _run(main: Any, use_uvloop: bool) -> None:
    if use_uvloop:
        import uvloop

        uvloop.run(main)
    else:
        asyncio.run(main)
