"""Register the qualifier on a Faust app: batch lanes, timers and the read API.

``normalize`` (inbound topics → signals topic) and ``qualify`` (signals topic → Redis →
routing topic) are batch lanes (``streams.kafka.lanes``): each handles every record of its
topics that one fetch returned, with one round trip per Redis step and one wait for the
broker per batch, instead of paying Faust's per-event path. Faust keeps the consumer
group, offsets, commits, rebalances, the producer, the timers and the web server.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

import faust
from faust.types import Message

from agents.api import register_api
from agents.batches import Handler, run_safely
from agents.normalizer import normalize_batch
from agents.ops_pages import register_ops_pages
from agents.qualifier import qualify_batch
from agents.runtime import Runtime
from agents.timers import register_timers
from streams.kafka.lanes import register_lane
from streams.kafka.outlet import Outlet
from streams.kafka.topics import AppTopics
from streams.metrics import BATCH_SECONDS, LANE_RECORDS


def register_qualifier(app: faust.App, topics: AppTopics, runtime: Runtime) -> None:
    names = runtime.settings.topics
    signals_out = Outlet(app, names.signals)
    routing_out = Outlet(app, names.routing)
    dead_letter = Outlet(app, names.dead_letter)

    async def normalize_one(messages: Sequence[Message]) -> object:
        return await normalize_batch(messages, runtime, signals_out, dead_letter)

    async def qualify_one(messages: Sequence[Message]) -> object:
        return await qualify_batch(messages, runtime, routing_out, dead_letter)

    def stopping() -> bool:
        return bool(app.should_stop)

    runtime.stopping = stopping

    normalize = _timed_lane("normalize", normalize_one, dead_letter, "normalizing", stopping)
    qualify = _timed_lane("qualify", qualify_one, dead_letter, "qualifying", stopping)
    size = runtime.settings.batch_size
    register_lane(app, topics.inbound, normalize, name="normalize", max_batch=size)
    register_lane(app, topics.signals, qualify, name="qualify", max_batch=size)
    register_timers(app, runtime, routing_out)
    register_api(app, runtime)
    register_ops_pages(app, runtime)


def _timed_lane(
    lane: str, handle: Handler, dead_letter: Outlet, what: str, stopping: Callable[[], bool]
) -> Callable[[Sequence[Message]], Awaitable[None]]:
    """The lane handler: ``run_safely`` plus the batch's duration and size (per batch)."""
    duration = BATCH_SECONDS.labels(lane)
    records = LANE_RECORDS.labels(lane)

    async def run(messages: Sequence[Message]) -> None:
        started = time.perf_counter()
        await run_safely(messages, handle, dead_letter, what, stopping)
        duration.observe(time.perf_counter() - started)
        records.inc(len(messages))

    return run
