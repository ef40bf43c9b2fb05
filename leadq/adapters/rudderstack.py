"""RudderStack event-spec messages: the Segment spec, told apart to stamp the source.

RudderStack's SDKs and server add a ``rudderId`` to each message, and their
``context.library.name`` mentions Rudder (``RudderLabs JavaScript SDK``,
``com.rudderstack.android.sdk.core``); either marks a message as RudderStack's.
"""

from __future__ import annotations

from datetime import datetime

from leadq.adapters import segment
from leadq.adapters._common import JsonObject
from schemas.signal import Channel, Signal


def looks_like_rudderstack(message: JsonObject) -> bool:
    """True when the message carries RudderStack's own marks (see the module docstring)."""
    if "rudderId" in message:
        return True
    context = message.get("context")
    library = context.get("library") if isinstance(context, dict) else None
    name = library.get("name") if isinstance(library, dict) else None
    return isinstance(name, str) and "rudder" in name.lower()


def to_signal(
    message: object, channel: Channel | None, received_at: datetime | None = None
) -> Signal:
    """A RudderStack message as a ``Signal`` with ``source="rudderstack"``."""
    return segment.convert(message, channel, "rudderstack", received_at)


def spec_to_signal(
    message: object, channel: Channel | None, received_at: datetime | None = None
) -> Signal:
    """A spec message whose sender is unknown: the source follows its marks."""
    is_rudder = isinstance(message, dict) and looks_like_rudderstack(message)
    source = "rudderstack" if is_rudder else "segment"
    return segment.convert(message, channel, source, received_at)
