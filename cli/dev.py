"""``leadq dev up``: run the embedded dev cluster (Kafka-protocol broker + Redis).

Prints two shell-ready lines, ``LEADQ_KAFKA_BOOTSTRAP=...`` and ``LEADQ_REDIS_URL=...``,
then serves until Ctrl-C or SIGTERM and stops both servers. Export those two variables
and every worker, CLI command and test uses this cluster instead of starting its own.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("dev", help="local development servers")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = actions.add_parser("up", help="run a broker and Redis on free loopback ports until Ctrl-C")
    up.set_defaults(func=run_up)


def run_up(args: argparse.Namespace) -> int:
    from streams.devcluster import ClusterStartError, DevCluster
    from streams.settings import get_settings

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        with DevCluster(get_settings().topic_partitions()) as cluster:
            print(f"LEADQ_KAFKA_BOOTSTRAP={cluster.bootstrap}")
            print(f"LEADQ_REDIS_URL={cluster.redis_url}", flush=True)
            print("dev cluster up; Ctrl-C stops it", file=sys.stderr)
            while not stop.wait(0.5):
                if not (cluster.broker.running() and cluster.redis.running()):
                    print("a dev server exited unexpectedly; stopping", file=sys.stderr)
                    return 1
            print("stopping dev cluster", file=sys.stderr)
    except ClusterStartError as error:
        print(f"leadq dev up: {error}", file=sys.stderr)
        return 1
    return 0
