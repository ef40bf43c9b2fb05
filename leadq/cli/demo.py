"""``leadq demo``: run sample events through a real worker, broker and Redis.

Uses the servers named by ``LEADQ_KAFKA_BOOTSTRAP`` and ``LEADQ_REDIS_URL`` when both are
set, else starts the embedded dev cluster. Prints one JSON line per output record on
stdout; exits 0 when every sample produced its output in time, 1 otherwise.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="run sample events end to end and print the output")
    parser.add_argument("--events", type=Path, help="JSON lines of sample events")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for all outputs"
    )
    parser.set_defaults(func=run)


def _exit_on_sigterm(signum: int, frame: object) -> NoReturn:
    # Raise SystemExit so the context managers stop the worker and the servers.
    sys.exit(128 + signum)


def run(args: argparse.Namespace) -> int:
    from streams.demo import SAMPLE_EVENTS, DemoError, run_demo
    from streams.devcluster import ClusterStartError
    from streams.settings import get_settings

    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        return run_demo(get_settings(), args.events or SAMPLE_EVENTS, args.timeout)
    except (DemoError, ClusterStartError) as error:
        print(f"leadq demo failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # The worker and the servers were stopped on the way out.
        print("leadq demo: interrupted", file=sys.stderr)
        return 130
