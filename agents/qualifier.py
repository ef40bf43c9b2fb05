"""The ``qualify`` agent: routed signals → Redis state (Lua) → transitions on the routing topic.

For each batch from the signals topic: one Redis round trip reads the batch's leads and
accounts, one applies every signal (apply.lua, atomic per lead, idempotent per source
partition offset and per event id); the transitions it returns are published as
CloudEvents and then acknowledged in the outbox.

Guarantees: at least once in; idempotent state (a re-delivered batch changes nothing);
at least once out with deterministic transition ids; a message that is not a valid
routed signal goes to the dead-letter topic and the rest of the batch goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any

from faust.types import EventT, TopicT
from pydantic import TypeAdapter, ValidationError

from agents.publish import publish
from agents.runtime import Runtime
from schemas.routed import RoutedSignal
from streams.dead_letter import send_dead_letter

ROUTED = TypeAdapter(RoutedSignal)


async def qualify_batch(
    events: Sequence[EventT[bytes]],
    runtime: Runtime,
    routing: TopicT,
    dead_letter: TopicT,
) -> dict[str, int]:
    """Apply one batch and publish what it caused; returns status counts."""
    batch: list[tuple[RoutedSignal, str, int | None]] = []
    rejected: list[Awaitable[Any]] = []
    for event in events:
        message = event.message
        try:
            routed = ROUTED.validate_json(message.value or b"")
        except ValidationError as error:
            reason = f"not a routed signal: {error.errors()[0]['msg']}"
            rejected.append(await send_dead_letter(dead_letter, event, reason))
            continue
        batch.append((routed, f"{message.topic}/{message.partition}", message.offset))
    store = runtime.store
    result = await runtime.until_redis_answers(lambda: store.apply(batch), "apply")
    await publish(routing, result.emitted)
    await runtime.until_redis_answers(lambda: store.ack(result.emitted), "outbox ack")
    await asyncio.gather(*rejected)
    return result.statuses | {"transitions": len(result.emitted), "rejected": len(rejected)}
