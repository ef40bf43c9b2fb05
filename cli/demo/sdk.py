"""The demo's web events, sent as a website's backend would: Segment's own Python SDK
(``segment-analytics-python``) pointed at a running ``leadq ingest`` gateway.

Contract of :func:`send_with_segment_sdk`: each Segment spec message becomes the SDK
call of its ``type`` with the message's own ids, times, traits, properties and context
(the SDK adds its ``context.library``), and the function returns once the SDK's
``flush()`` did, with the errors the SDK reported (none when every batch got a 2xx).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

#: The calls the SDK has, keyed by the spec ``type``; each takes these message fields.
_FIELDS: dict[str, tuple[str, ...]] = {
    "track": ("userId", "event", "properties", "anonymousId"),
    "page": ("userId", "category", "name", "properties", "anonymousId"),
    "screen": ("userId", "category", "name", "properties", "anonymousId"),
    "identify": ("userId", "traits", "anonymousId"),
    "group": ("userId", "groupId", "traits", "anonymousId"),
    "alias": ("previousId", "userId"),
}
_ARGUMENT = {
    "userId": "user_id",
    "anonymousId": "anonymous_id",
    "groupId": "group_id",
    "previousId": "previous_id",
}


def sendable(message: object) -> bool:
    """Whether ``message`` is a spec message the SDK can send as it is."""
    return isinstance(message, dict) and message.get("type") in _FIELDS


def send_with_segment_sdk(
    host: str, write_key: str, messages: Sequence[Mapping[str, Any]]
) -> list[Exception]:
    """Send ``messages`` through the SDK (gzip on) and flush; the SDK's errors.
    RuntimeError when the SDK is not installed (it is a dev dependency: ``./dev demo``)."""
    try:
        from segment.analytics import Client
    except ImportError as error:
        raise RuntimeError(
            "the demo sends web events with segment-analytics-python: pip install -e '.[dev]'"
        ) from error

    errors: list[Exception] = []
    client = Client(write_key, host=host, gzip=True, on_error=lambda error, _: errors.append(error))
    for message in messages:
        kind = message["type"]
        arguments = {_ARGUMENT.get(f, f): message[f] for f in _FIELDS[kind] if f in message}
        getattr(client, kind)(**arguments, **_common(message))
    client.flush()
    client.shutdown()
    return errors


def _common(message: Mapping[str, Any]) -> dict[str, Any]:
    common: dict[str, Any] = {"message_id": message.get("messageId")}
    if message.get("context"):
        common["context"] = dict(message["context"])
    if message.get("integrations"):
        common["integrations"] = message["integrations"]
    if isinstance(message.get("timestamp"), str):
        common["timestamp"] = datetime.fromisoformat(message["timestamp"].replace("Z", "+00:00"))
    return common
