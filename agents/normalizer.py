"""The ``normalize`` agent: inbound vendor events → signals routed to their lead.

For each batch of raw inbound messages: every vendor format is normalized to canonical
signals (``schemas.adapters``); what cannot be accepted goes to the dead-letter topic
with the original bytes, its source coordinates and the reason; identities are resolved
in one Redis round trip; each signal is produced to the signals topic keyed by its lead.

Guarantees: at least once in (the batch is acked after every output is confirmed), at
least once out (a re-delivered message yields the same routed signals, which the
qualifier de-duplicates by event id).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any

from faust.types import EventT, TopicT

from agents.batches import dead_letter_safely
from agents.runtime import Runtime
from schemas.adapters import normalize_bytes
from schemas.signal import Channel, Signal


def channels_by_topic(runtime: Runtime) -> dict[str, Channel]:
    names = runtime.settings.topics
    return {names.web: "web", names.email: "email", names.product: "product", names.crm: "crm"}


async def normalize_batch(
    events: Sequence[EventT[bytes]],
    runtime: Runtime,
    signals_topic: TopicT,
    dead_letter: TopicT,
) -> dict[str, int]:
    """Normalize, dead-letter and route one batch; returns counts for logs and tests."""
    channels = channels_by_topic(runtime)
    pending: list[Awaitable[Any]] = []
    signals: list[Signal] = []
    rejected = 0
    for event in events:
        message = event.message
        result = normalize_bytes(message.value or b"", channel=channels.get(message.topic))
        signals += result.signals
        if result.rejects:  # one dead letter per message, naming every bad item in it
            rejected += 1
            reason = "; ".join(
                (f"item {r.index}: " if r.index is not None else "") + r.reason
                for r in result.rejects
            )
            await dead_letter_safely(dead_letter, event, reason)
    routed = (
        await runtime.until_redis_answers(
            lambda: runtime.store.resolve(signals), "identity resolution"
        )
        if signals
        else []
    )
    for item in routed:
        pending.append(
            await signals_topic.send(
                key=item.partition_key.encode(), value=item.model_dump_json().encode(), force=True
            )
        )
    await asyncio.gather(*pending)
    return {"signals": len(routed), "rejected": rejected}
