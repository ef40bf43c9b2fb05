"""Build the leadq Faust app with its agents, and run it as a worker process.

Contract: :func:`build_app` is the single place that decides which agents a worker runs;
:func:`run_worker` blocks until SIGTERM/SIGINT, stops the app cleanly (in-flight batches
finish and are committed; a batch waiting on a server that is down is given up, left
unacknowledged and read again by the partition's next owner) and returns the exit code.
Whatever is down, the process is gone within ``STOP_DEADLINE_S`` of the signal: a
watchdog ends it if a clean stop hangs (nothing is lost: unacknowledged input is
re-delivered, and every step is idempotent).
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

import faust

from agents.consumers import QUALIFIER, check_only, register_consumers
from agents.qualify_app import register_qualifier
from agents.runtime import Runtime
from streams.kafka.app import create_app
from streams.kafka.topics import declare_topics
from streams.logs import setup_logging
from streams.settings import Settings


def build_app(settings: Settings, only: Sequence[str] | None = None) -> faust.App:
    """The leadq app with every lane, timer and view registered, and the consumers
    (``agents.consumers``); ``only``: just the named parts (``qualifier``, ``router``...).

    Raises ``ConsumerConfigError`` for an unknown part or a named consumer that cannot
    run, and the routing file's ``RoutingError`` when it is invalid."""
    if only is not None:
        check_only(only)
    app = create_app(settings)
    topics = declare_topics(app, settings)
    runtime = Runtime(settings)
    if only is None or QUALIFIER in only:
        register_qualifier(app, topics, runtime)
    else:
        # Consumers read with groups of their own (streams.kafka.group_consumer); Faust's
        # consumer would have no topic to subscribe to, which it refuses.
        app.boot_strategy = app.BootStrategy(app, enable_kafka_consumer=False)
    register_consumers(app, runtime, None if only is None else [n for n in only if n != QUALIFIER])
    app.task(_freeze_startup_objects)
    return app


async def _freeze_startup_objects() -> None:
    """Leave what start-up built (modules, the app, its services) out of every later
    garbage collection: full collections otherwise re-scan it while batches churn."""
    gc.collect()
    gc.freeze()


#: Seconds from SIGTERM/SIGINT to the process being gone, whatever is down.
STOP_DEADLINE_S = 12.0
log = logging.getLogger("leadq.worker")


class Worker(faust.Worker):
    """Faust's worker, with a deadline on stopping (see the module docstring), and no
    terminal spinner (its control characters would mangle log lines)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spinner = None

    def _schedule_shutdown(self, received: signal.Signals) -> None:
        if not self._signal_stop_time:
            _start_stop_watchdog(STOP_DEADLINE_S)
        super()._schedule_shutdown(received)


def _start_stop_watchdog(deadline_s: float) -> None:
    def watch() -> None:
        threading.Event().wait(deadline_s)
        log.error("a clean stop took over %.0fs (a server is down?): exiting now", deadline_s)
        logging.shutdown()
        os._exit(1)

    threading.Thread(target=watch, name="leadq-stop-watchdog", daemon=True).start()


def run_worker(settings: Settings, only: Sequence[str] | None = None) -> int:
    """Run a Faust worker in this process until it is told to stop (``only``: see
    :func:`build_app`)."""
    return run_app(build_app(settings, only), settings)


def run_app(app: faust.App, settings: Settings) -> int:
    """Run ``app`` (from :func:`build_app`) as a Faust worker until it is told to stop."""
    if settings.uvloop:
        import mode.loop

        # Measured ~20% more events/s than asyncio's own loop (docs/development.md).
        mode.loop.use("uvloop")
    # Text: Faust's own lines, unchanged (tools read them, e.g. its partition tables).
    # JSON: leadq's handler instead, and no start-up banner (it is not a log line).
    json_lines = settings.log_format == "json"
    if json_lines:
        setup_logging(settings.log_level, "json", stream=sys.stdout)
    worker = Worker(
        app,
        loglevel=settings.log_level.upper(),
        redirect_stdouts=False,
        override_logging=not json_lines,
        quiet=json_lines,
    )
    try:
        worker.execute_from_commandline()
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0
