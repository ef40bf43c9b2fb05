"""The ``normalize`` step: inbound vendor events → signals routed to their lead's bucket.

For each batch of raw inbound messages: every vendor format is normalized to canonical
signals (``leadq.adapters``); what cannot be accepted goes to the dead-letter topic with
the original bytes, its source coordinates and the reason; identities and accounts are
resolved for the whole batch (``leadq.router.Router``: a few pipelined round trips);
each signal is produced to the signals topic keyed by its bucket, so one worker applies
a bucket's signals in order. Once the broker has them, the index forgets the hand-overs
they carry (the bucket's owner folds them in).

Guarantees: at least once in (the batch is acked after every output is confirmed), at
least once out (a re-delivered message yields the same routed signals, which the
qualifier de-duplicates by event id).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from faust.types import Message

from agents.batches import dead_letter_safely
from agents.runtime import Runtime
from leadq.adapters import normalize_bytes
from schemas.routed import encode_routed
from schemas.signal import Channel, Signal
from streams.kafka.outlet import Outlet


def record_time(message: Message) -> datetime | None:
    """The Kafka record's timestamp (create or log-append time), the event time of an
    item that carries none (a Segment message without any timestamp)."""
    if not message.timestamp or message.timestamp <= 0:
        return None
    return datetime.fromtimestamp(message.timestamp, UTC)


def channels_by_topic(runtime: Runtime) -> dict[str, Channel]:
    names = runtime.settings.topics
    return {names.web: "web", names.email: "email", names.product: "product", names.crm: "crm"}


async def normalize_batch(
    messages: Sequence[Message],
    runtime: Runtime,
    signals_out: Outlet,
    dead_letter: Outlet,
) -> dict[str, int]:
    """Normalize, dead-letter and route one batch; returns counts for logs and tests."""
    channels = channels_by_topic(runtime)
    signals: list[Signal] = []
    rejected = 0
    for message in messages:
        result = normalize_bytes(
            message.value or b"",
            channel=channels.get(message.topic),
            received_at=record_time(message),
        )
        signals += result.signals
        if result.rejects:  # one dead letter per message, naming every bad item in it
            rejected += 1
            reason = "; ".join(
                (f"item {r.index}: " if r.index is not None else "") + r.reason
                for r in result.rejects
            )
            await dead_letter_safely(dead_letter, message, reason)
    if not signals:
        return {"signals": 0, "rejected": rejected}
    router = runtime.router
    routed = await runtime.until_redis_answers(lambda: router.route(signals), "routing")
    await signals_out.send_all(
        (item.partition_key.encode(), encode_routed(item), None) for item in routed
    )
    return {"signals": len(routed), "rejected": rejected}
