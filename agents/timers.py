"""Timers of a worker: decay-driven transitions, the outbox sweeper, rules reload.

- ``fire_due`` (every second): transitions that decay alone causes (MQL → recycled,
  PQL lapsed, account cooling) at the computed time, from the Redis due-time sets. Any
  worker may run it: the script re-checks each due time atomically, so concurrent runs
  never emit a transition twice.
- ``sweep_outbox`` (every 10 s): re-publishes transitions whose publisher died before
  acknowledging them (at least once; same ids).
- ``reload_rules`` (every 5 s): picks up a changed rules file without a restart.
"""

from __future__ import annotations

import logging
import time

import faust

from agents.publish import publish
from agents.runtime import Runtime
from streams.kafka.outlet import Outlet

log = logging.getLogger("leadq.worker")

#: An outbox entry older than this is presumed abandoned by its publisher.
ABANDONED_AFTER_MS = 30_000


def now_ms() -> int:
    return int(time.time() * 1000)


def register_timers(app: faust.App, runtime: Runtime, routing: Outlet) -> None:
    async def fire_due() -> None:
        store = runtime.store
        result = await runtime.until_redis_answers(lambda: store.fire_due(now_ms()), "timer")
        if result.emitted:
            await publish(routing, result.emitted)
            await runtime.until_redis_answers(lambda: store.ack(result.emitted), "outbox ack")

    async def sweep_outbox() -> None:
        store = runtime.store
        found = await runtime.until_redis_answers(
            lambda: store.unacked(now_ms() - ABANDONED_AFTER_MS), "outbox sweep"
        )
        if found:
            log.warning("re-publishing %d abandoned transition(s)", len(found))
            await publish(routing, found)
            await runtime.until_redis_answers(lambda: store.ack(found), "outbox ack")

    async def reload_rules() -> None:
        runtime.reload_rules()

    app.timer(interval=1.0, name="leadq.fire_due")(fire_due)
    app.timer(interval=10.0, name="leadq.sweep_outbox")(sweep_outbox)
    app.timer(interval=5.0, name="leadq.reload_rules")(reload_rules)
