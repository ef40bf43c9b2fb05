"""leadq's own canonical inbound events (``schemas.events``) → ``Signal``.

Contract of ``to_signal``: the item must validate as an ``InboundEvent`` (strictly:
unknown fields are rejected, since this is our own contract), and when the caller knows
the channel (the topic it came from) the event's ``channel`` must match it.
"""

from __future__ import annotations

from leadq.adapters._common import AdapterError
from schemas.events import INBOUND_EVENT
from schemas.signal import Channel, Signal


def to_signal(item: object, channel: Channel | None) -> Signal:
    """A canonical event as a ``Signal`` with ``source="leadq"``.

    Raises ``pydantic.ValidationError`` for an invalid event and ``AdapterError`` for a
    channel mismatch.
    """
    event = INBOUND_EVENT.validate_python(item)
    if channel is not None and event.channel != channel:
        raise AdapterError(
            f"channel: the event says {event.channel!r} but it arrived on {channel!r}"
        )
    return event.to_signal("leadq")
