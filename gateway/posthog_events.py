"""PostHog events → leadq canonical web/product events (``schemas.events``). Pure.

The mapping itself is the worker's PostHog adapter (``leadq.adapters.posthog``: fields
read, ids, times, identity, groups); the gateway writes its result as a canonical event,
which the worker accepts on the web and product topics as it is (its signals carry
``source: "leadq"``; ``properties.$lib`` still names the SDK). The gateway's clock is
the arrival time: the event time of an event that carries none, and, as on PostHog's
own server, the clock a ``timestamp`` sent with ``sent_at`` is corrected against.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import JsonValue

from leadq.adapters import posthog
from leadq.adapters._common import AdapterError
from streams.settings import TrackingChannel

JsonObject = dict[str, JsonValue]

#: The event cannot be a canonical event; the message is the dead-letter reason.
MappingError = AdapterError


def to_canonical(
    event: object, channel: TrackingChannel, sent_at: object, received_at: str
) -> JsonObject:
    """One PostHog event (of a batch sent at ``sent_at``) as a canonical event document."""
    received = datetime.fromisoformat(received_at)
    if isinstance(event, dict):
        if sent_at is not None and "sent_at" not in event:
            event = {**event, "sent_at": sent_at}
        event = posthog.skew_corrected(event, received)
    signal = posthog.to_signal(event, channel, received)
    document: JsonObject = signal.model_dump(mode="json", exclude={"source"})
    return document
