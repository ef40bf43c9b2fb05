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

from collections.abc import Sequence

from faust.types import Message
from pydantic import ValidationError

from agents.batches import dead_letter_safely
from agents.publish import publish
from agents.runtime import Runtime
from schemas.routed import RoutedSignal, decode_routed
from streams.kafka.outlet import Outlet


async def qualify_batch(
    messages: Sequence[Message],
    runtime: Runtime,
    routing: Outlet,
    dead_letter: Outlet,
) -> dict[str, int]:
    """Apply one batch and publish what it caused; returns status counts."""
    batch: list[tuple[RoutedSignal, str, int | None]] = []
    rejected = 0
    for message in messages:
        try:
            routed = decode_routed(message.value or b"")
        except ValidationError as error:
            reason = f"not a routed signal: {error.errors()[0]['msg']}"
            await dead_letter_safely(dead_letter, message, reason)
            rejected += 1
            continue
        batch.append((routed, f"{message.topic}/{message.partition}", message.offset))
    store = runtime.store
    result = await runtime.until_redis_answers(lambda: store.apply(batch), "apply")
    await publish(routing, result.emitted)
    await runtime.until_redis_answers(lambda: store.ack(result.emitted), "outbox ack")
    return result.statuses | {"transitions": len(result.emitted), "rejected": rejected}
