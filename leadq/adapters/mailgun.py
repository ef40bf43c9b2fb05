"""Mailgun events, with or without the webhook envelope, → ``Signal``.

Mailgun documents both shapes: a webhook body ``{"signature": {...}, "event-data":
{...}}`` and the bare event-data object (its Events API items, what a forwarder or a log
export writes). Contract of ``to_signal`` (one body or one bare event; reasons name the
fields as ``event-data.*`` either way):

- ``event_id`` = ``event-data.id``; the time is ``event-data.timestamp`` (float epoch
  seconds; milliseconds and ISO strings are tolerated); the identity is
  ``event-data.recipient``;
- names: accepted → processed, delivered, opened → open, clicked → click,
  unsubscribed → unsubscribe, complained → spam_report, rejected → dropped, failed →
  bounce when ``severity`` is permanent, else deferred (the legacy ``permanent_fail``
  and ``temporary_fail`` names map the same way);
- a non-empty ``client-info.bot`` (``apple``, ``gmail``, ``generic``) marks the event as
  a bot with reason ``mailgun_bot:<value>``;
- properties: ``message_id`` (``message.headers.message-id``), ``url`` (clicks),
  ``tags``, ``metadata`` (``user-variables``), severity and reason on failures.

The ``signature`` block is not verified here (a later concern); ``signature_of`` hands it
to whoever verifies it.
"""

from __future__ import annotations

from typing import Final

from pydantic import JsonValue

from leadq.adapters._common import (
    AdapterError,
    JsonObject,
    as_object,
    email_address,
    email_signal,
    event_time,
    json_object,
    optional_object,
    optional_str,
    put_tags_and_metadata,
    require_email_channel,
    required_str,
    tag_list,
)
from schemas.events import EmailEventName
from schemas.signal import Channel, Signal

_NAMES: Final[dict[str, EmailEventName]] = {
    "accepted": "processed",
    "delivered": "delivered",
    "opened": "open",
    "clicked": "click",
    "unsubscribed": "unsubscribe",
    "complained": "spam_report",
    "rejected": "dropped",
    "permanent_fail": "bounce",
    "temporary_fail": "deferred",
}


#: Keys every Mailgun event object has (``event``, ``id``, ``timestamp``, ``recipient``)
#: and one of the keys only Mailgun's have, which tell a bare event-data object apart.
EVENT_KEYS: Final = frozenset({"event", "id", "timestamp", "recipient"})
MARKS: Final = frozenset({"log-level", "recipient-domain", "envelope", "delivery-status"})


def looks_like_bare_event(item: JsonObject) -> bool:
    """A bare Mailgun event-data object (see ``EVENT_KEYS`` and ``MARKS``)."""
    keys = item.keys()
    return keys >= EVENT_KEYS and not MARKS.isdisjoint(keys)


def signature_of(body: object) -> JsonObject | None:
    """The body's ``signature`` block (timestamp, token, signature), if it has one."""
    signature = body.get("signature") if isinstance(body, dict) else None
    return signature if isinstance(signature, dict) else None


def to_signal(item: object, channel: Channel | None) -> Signal:
    """One Mailgun webhook body as a ``Signal`` with ``source="mailgun"``."""
    require_email_channel("mailgun", channel)
    body = as_object(item, "body")
    enveloped = "event-data" in body or "signature" in body
    data = as_object(body.get("event-data"), "event-data") if enveloped else body
    name = _name(data)
    client = optional_object(data, "client-info", "event-data.client-info")
    bot = optional_str(client, "bot", "event-data.client-info.bot")
    message = optional_object(data, "message", "event-data.message")
    headers = optional_object(message, "headers", "event-data.message.headers")
    recipient = required_str(data, "recipient", "event-data.recipient")
    # Read in the order the inbound email model's fields were, so that the first
    # problem found stays the reason given.
    event_id = required_str(data, "id", "event-data.id")
    occurred_at = event_time(data.get("timestamp"), "event-data.timestamp")
    email = email_address(recipient, "event-data.recipient")
    message_id = optional_str(headers, "message-id", "event-data.message.headers.message-id")
    url = optional_str(data, "url", "event-data.url") if name == "click" else None
    fields: JsonObject = {
        "event_id": event_id,
        "name": name,
        "occurred_at": occurred_at,
        "identity": {"email": email},
        "is_bot": bot is not None,
        "bot_reason": f"mailgun_bot:{bot}" if bot else None,
    }
    return email_signal("mailgun", fields, _properties(data), message_id, url)


def _name(data: JsonObject) -> EmailEventName:
    vendor_name = required_str(data, "event", "event-data.event")
    if vendor_name == "failed":
        severity = optional_str(data, "severity", "event-data.severity")
        return "bounce" if severity == "permanent" else "deferred"
    name = _NAMES.get(vendor_name)
    if name is None:
        raise AdapterError(f"event-data.event: {vendor_name!r} is not a Mailgun event leadq knows")
    return name


def _properties(data: JsonObject) -> dict[str, JsonValue]:
    properties: dict[str, JsonValue] = {}
    for key in ("severity", "reason", "ip"):
        value = optional_str(data, key, f"event-data.{key}")
        if value is not None:
            properties[key] = value
    user_agent = optional_object(data, "client-info", "event-data.client-info").get("user-agent")
    if isinstance(user_agent, str):
        properties["user_agent"] = user_agent
    put_tags_and_metadata(
        properties,
        tag_list(data.get("tags"), "event-data.tags"),
        json_object(data.get("user-variables"), "event-data.user-variables"),
    )
    return properties
