"""Register the qualifier on a Faust app: agents, timers and the read API.

``normalize`` (inbound topics → signals topic) and ``qualify`` (signals topic → Redis →
routing topic) each take batches of up to ``batch_size`` events, waiting at most
``batch_within_s``, and process each batch with one round trip per Redis step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import faust
from faust.types import EventT, StreamT

from agents.api import register_api
from agents.batches import run_safely
from agents.normalizer import normalize_batch
from agents.qualifier import qualify_batch
from agents.runtime import Runtime
from agents.timers import register_timers
from streams.topics import AppTopics


def register_qualifier(app: faust.App, topics: AppTopics, runtime: Runtime) -> None:
    settings = runtime.settings

    def batches(stream: StreamT[bytes]) -> object:
        # take_events is on faust.Stream but missing from faust's StreamT protocol.
        return cast("faust.Stream[bytes]", stream).take_events(
            settings.batch_size, within=settings.batch_within_s
        )

    async def normalize(stream: StreamT[bytes]) -> None:
        async def handle(events: Sequence[EventT[bytes]]) -> object:
            return await normalize_batch(events, runtime, topics.signals, topics.dead_letter)

        async for events in batches(stream):  # type: ignore[attr-defined]
            await run_safely(events, handle, topics.dead_letter, "normalizing")

    async def qualify(stream: StreamT[bytes]) -> None:
        async def handle(events: Sequence[EventT[bytes]]) -> object:
            return await qualify_batch(events, runtime, topics.routing, topics.dead_letter)

        async for events in batches(stream):  # type: ignore[attr-defined]
            await run_safely(events, handle, topics.dead_letter, "qualifying")

    app.agent(topics.inbound, name="normalize")(normalize)
    app.agent(topics.signals, name="qualify")(qualify)
    register_timers(app, runtime, topics.routing)
    register_api(app, runtime)
