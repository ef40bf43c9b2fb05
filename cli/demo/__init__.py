"""``leadq demo``: the whole loop, from vendor events to routed transitions and the read API.

Uses the servers named by ``LEADQ_KAFKA_BOOTSTRAP`` and ``LEADQ_REDIS_URL`` when both are
set, else starts the embedded dev cluster; starts a worker, produces a small realistic
scenario, prints every transition and dead letter as it arrives, queries the read API,
and stops everything (see ``cli.demo.run``). Exits 0 when everything the batch reference
(``leadq replay``) expects arrived in time, 1 otherwise.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn


def register(subparsers: Any) -> None:
    """Add the ``demo`` sub-command to the ``leadq`` parser."""
    parser = subparsers.add_parser(
        "demo", help="run a scenario through a real broker, Redis and worker; print the loop"
    )
    parser.add_argument(
        "--events", type=Path, help="scenario: event documents (default cli/demo/events.jsonl)"
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for every output"
    )
    parser.add_argument(
        "--json", action="store_true", help="also print the raw CloudEvents and API answers"
    )
    parser.set_defaults(func=run)


def _exit_on_sigterm(signum: int, frame: object) -> NoReturn:
    # Raise SystemExit so the context managers stop the worker and the servers.
    sys.exit(128 + signum)


def run(args: argparse.Namespace) -> int:
    """Run the demo; the exit code says whether it completed."""
    from cli.demo.render import Console
    from cli.demo.run import DemoError, run_demo
    from cli.demo.scenario import DEMO_EVENTS
    from streams.devcluster import ClusterStartError
    from streams.settings import get_settings

    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    console = Console(sys.stdout, show_json=args.json)
    try:
        return run_demo(get_settings(), args.events or DEMO_EVENTS, args.timeout, console)
    except (DemoError, ClusterStartError) as error:
        print(f"leadq demo failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # The worker and the servers were stopped on the way out.
        print("leadq demo: interrupted", file=sys.stderr)
        return 130
