"""The ``normalize`` step: inbound vendor events → signals routed to their lead's bucket.

For each batch of raw inbound messages: every vendor format is normalized to canonical
signals (``leadq.adapters``); what cannot be accepted goes to the dead-letter topic with
the original bytes, its source coordinates and the reason; identities and accounts are
resolved for the whole batch (``leadq.router.Router``: a few pipelined round trips);
each signal is produced to the signals topic keyed by its bucket, so one worker applies
a bucket's signals in order. Once the broker has them, the index forgets the hand-overs
they carry (the bucket's owner folds them in). A routed signal's record keeps the Kafka
timestamp of the inbound record it came from, so the qualify step can measure the time
from an event's arrival to its transition (``leadq_event_to_transition_seconds``).

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
from leadq.adapters import NormalizeResult, normalize_bytes
from schemas.routed import encode_routed
from schemas.signal import Channel, Signal
from streams.kafka.outlet import Outlet
from streams.metrics import EVENTS_IN

#: How an adapter says it recognised no format (``leadq.adapters.detect``).
UNKNOWN_FORMAT_PREFIX = "unknown event format"


def record_time(message: Message) -> datetime | None:
    """The Kafka record's timestamp (create or log-append time), the event time of an
    item that carries none (a Segment message without any timestamp)."""
    if not message.timestamp or message.timestamp <= 0:
        return None
    return datetime.fromtimestamp(message.timestamp, UTC)


def channels_by_topic(runtime: Runtime) -> dict[str, Channel]:
    names = runtime.settings.topics
    return {names.web: "web", names.email: "email", names.product: "product", names.crm: "crm"}


def reject_category(result: NormalizeResult) -> str:
    """The dead-letter metric category of a message with rejects (``streams.metrics``)."""
    if any(r.index is None for r in result.rejects):
        return "unreadable"
    if all(r.reason.startswith(UNKNOWN_FORMAT_PREFIX) for r in result.rejects):
        return "unknown_format"
    return "invalid_event"


async def normalize_batch(
    messages: Sequence[Message],
    runtime: Runtime,
    signals_out: Outlet,
    dead_letter: Outlet,
) -> dict[str, int]:
    """Normalize, dead-letter and route one batch; returns counts for logs and tests."""
    channels = channels_by_topic(runtime)
    signals: list[Signal] = []
    #: Event id → the inbound record's Kafka timestamp (ms).
    arrived: dict[str, int] = {}
    #: (channel, format) → events, counted once per batch.
    accepted: dict[tuple[str, str], int] = {}
    rejected = 0
    for message in messages:
        result = normalize_bytes(
            message.value or b"",
            channel=channels.get(message.topic),
            received_at=record_time(message),
        )
        stamp = round(message.timestamp * 1000)
        for signal in result.signals:
            arrived[signal.event_id] = stamp
            kind = (signal.channel, signal.source)
            accepted[kind] = accepted.get(kind, 0) + 1
        signals += result.signals
        if result.rejects:  # one dead letter per message, naming every bad item in it
            rejected += 1
            reason = "; ".join(
                (f"item {r.index}: " if r.index is not None else "") + r.reason
                for r in result.rejects
            )
            await dead_letter_safely(dead_letter, message, reason, reject_category(result))
    for (channel, source), count in accepted.items():
        EVENTS_IN.labels(channel, source).inc(count)
    if not signals:
        return {"signals": 0, "rejected": rejected}
    router = runtime.router
    routed = await runtime.until_redis_answers(lambda: router.route(signals), "routing")
    await signals_out.send_all(
        ((item.partition_key.encode(), encode_routed(item), None) for item in routed),
        timestamps_ms=[arrived.get(item.signal.event_id) for item in routed],
    )
    return {"signals": len(routed), "rejected": rejected}
