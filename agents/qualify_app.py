"""Register the qualifier on a Faust app: batch lanes, timers and the read API.

``normalize`` (inbound topics → signals topic) and ``qualify`` (signals topic → Redis →
routing topic) are batch lanes (``streams.kafka.lanes``): each handles every record of its
topics that one fetch returned, with one round trip per Redis step and one wait for the
broker per batch, instead of paying Faust's per-event path. Faust keeps the consumer
group, offsets, commits, rebalances, the producer, the timers and the web server.
"""

from __future__ import annotations

from collections.abc import Sequence

import faust
from faust.types import Message

from agents.api import register_api
from agents.batches import run_safely
from agents.normalizer import normalize_batch
from agents.qualifier import qualify_batch
from agents.runtime import Runtime
from agents.timers import register_timers
from streams.kafka.lanes import register_lane
from streams.kafka.outlet import Outlet
from streams.kafka.topics import AppTopics


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

    async def normalize(messages: Sequence[Message]) -> None:
        await run_safely(messages, normalize_one, dead_letter, "normalizing", stopping)

    async def qualify(messages: Sequence[Message]) -> None:
        await run_safely(messages, qualify_one, dead_letter, "qualifying", stopping)

    size = runtime.settings.batch_size
    register_lane(app, topics.inbound, normalize, name="normalize", max_batch=size)
    register_lane(app, topics.signals, qualify, name="qualify", max_batch=size)
    register_timers(app, runtime, routing_out)
    register_api(app, runtime)
