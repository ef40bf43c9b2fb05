"""Publishing transitions to the routing topic (CloudEvents, keyed by partition key).

Delivery: at least once. The caller acknowledges the outbox entries only after every
send below has been confirmed by the broker; a crash in between leaves them in the
outbox for the sweeper, and consumers de-duplicate on the CloudEvent ``id``.

:func:`record_published` counts (``leadq_transitions_total`` by type) and logs each
transition a worker published first, at info, with ids, stages and the reason only
(email addresses hashed, ``streams.logs``); :func:`record_outcome` counts what a
qualifier call did (``leadq_signals_total``, ``leadq_refused_writes_total``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence

from leadq.qualifier import Outcome
from leadq.store import Emitted
from schemas.transition import CLOUDEVENTS_JSON, to_cloudevent, transition_id
from streams.kafka.outlet import Outlet, OutRecord
from streams.logs import redact, safe_id
from streams.metrics import EVENT_TO_TRANSITION_SECONDS, REFUSED_WRITES, SIGNALS, TRANSITIONS

log = logging.getLogger("leadq.transitions")
#: Outcome counts that are not about signals (see ``record_outcome``).
_NOT_SIGNAL_STATUSES = frozenset({"refused", "unpublished", "transitions", "rejected"})

#: Structured content mode as the CloudEvents Kafka binding defines it: the whole event in
#: the value and this one header. No ``ce_*`` headers: the binding reserves them for
#: binary mode, and SDKs that see one (the Python SDK's ``from_binary`` detection, say)
#: read the record as binary and miss the envelope in the value.
STRUCTURED_HEADERS = [("content-type", CLOUDEVENTS_JSON.encode())]


async def publish(routing: Outlet, emitted: Sequence[Emitted]) -> None:
    """Send every transition and wait until the broker has them all."""
    await routing.send_all(_records(emitted))


def _records(emitted: Sequence[Emitted]) -> Iterator[OutRecord]:
    for item in emitted:
        event = to_cloudevent(item.transition)
        yield event.partitionkey.encode(), event.model_dump_json().encode(), STRUCTURED_HEADERS


def record_outcome(outcome: Outcome) -> None:
    """Count a qualifier call's outcome (once per call, not per signal)."""
    for status, count in outcome.statuses.items():
        if status == "refused":
            REFUSED_WRITES.inc(count)
        elif status not in _NOT_SIGNAL_STATUSES:
            SIGNALS.labels(status).inc(count)


def record_published(
    emitted: Sequence[Emitted], arrived_ms: Mapping[str, int] | None = None
) -> None:
    """Count and log transitions just confirmed on the routing topic.

    ``arrived_ms`` maps trigger event ids to their inbound Kafka timestamps: each
    transition whose trigger is there is observed in ``leadq_event_to_transition_seconds``.
    """
    if not emitted:
        return
    now_ms = time.time() * 1000
    by_type: dict[str, int] = {}
    for item in emitted:
        data = item.transition
        event_type = f"io.leadq.{data.entity}.{data.stage_to}"
        by_type[event_type] = by_type.get(event_type, 0) + 1
        trigger = data.trigger_event_id
        if arrived_ms is not None and trigger is not None and trigger in arrived_ms:
            EVENT_TO_TRANSITION_SECONDS.observe(max(0.0, now_ms - arrived_ms[trigger]) / 1000)
        _log_transition(item, event_type)
    for event_type, count in by_type.items():
        TRANSITIONS.labels(event_type).inc(count)


def _log_transition(item: Emitted, event_type: str) -> None:
    data = item.transition
    entity = safe_id(data.entity_id)
    log.info(
        "transition %s %s: %s -> %s",
        event_type,
        entity,
        data.stage_from,
        data.stage_to,
        extra={
            "event": "transition",
            "id": transition_id(data),
            "type": event_type,
            "entity": data.entity,
            "entity_id": entity,
            "stage_from": data.stage_from,
            "stage_to": data.stage_to,
            "reason": redact(data.reason),
            "trigger_event_id": safe_id(data.trigger_event_id),
            "rules_version": data.rules_version,
        },
    )
