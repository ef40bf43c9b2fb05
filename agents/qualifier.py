"""The ``qualify`` step: routed signals → the engine → Redis → transitions on the routing topic.

For each batch from the signals topic: the pipeline (``leadq.qualifier.Qualifier``) reads
the state each bucket needs (one round trip), runs the engine, and writes each bucket
back with one fenced atomic script (state, outbox, due times, watermark); the
transitions it wrote to the outbox are published as CloudEvents and then acknowledged.

Guarantees: at least once in; idempotent state (a re-delivered batch changes nothing:
per-bucket watermarks and event-id de-duplication); at least once out with
deterministic transition ids; a message that is not a valid routed signal goes to the
dead-letter topic and the rest of the batch goes on.
"""

from __future__ import annotations

from collections.abc import Sequence

from faust.types import Message
from pydantic import ValidationError

from agents.batches import dead_letter_safely
from agents.publish import publish, record_outcome, record_published
from agents.runtime import Runtime
from leadq.bucket import Item
from schemas.routed import decode_routed
from streams.kafka.outlet import Outlet


async def qualify_batch(
    messages: Sequence[Message],
    runtime: Runtime,
    routing: Outlet,
    dead_letter: Outlet,
) -> dict[str, int]:
    """Apply one batch and publish what it caused; returns status counts."""
    items: list[Item] = []
    #: Each item's record timestamp: its inbound event's arrival (``agents.normalizer``).
    stamps: list[float] = []
    rejected = 0
    for message in messages:
        try:
            routed = decode_routed(message.value or b"")
        except ValidationError as error:
            reason = f"not a routed signal: {error.errors()[0]['msg']}"
            await dead_letter_safely(dead_letter, message, reason, "not_routed_signal")
            rejected += 1
            continue
        items.append(Item(routed, f"{message.topic}/{message.partition}", message.offset))
        stamps.append(message.timestamp)
    qualifier, store = runtime.qualifier, runtime.store
    outcome = await runtime.until_redis_answers(lambda: qualifier.apply(items), "apply")
    record_outcome(outcome)
    await publish(routing, outcome.emitted)
    if outcome.emitted:
        arrived = {
            item.routed.signal.event_id: round(stamp * 1000)
            for item, stamp in zip(items, stamps, strict=True)
        }
        record_published(outcome.emitted, arrived)
    await runtime.until_redis_answers(lambda: store.ack(outcome.emitted), "outbox ack")
    return outcome.statuses | {"transitions": len(outcome.emitted), "rejected": rejected}
