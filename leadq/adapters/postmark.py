"""Postmark webhook records (one JSON object with a ``RecordType``) → ``Signal``.

Contract of ``to_signal`` (one record):

- names: Delivery → delivered; Bounce → bounce, or deferred for the temporary types
  (Transient, SoftBounce, DnsError); SpamComplaint → spam_report; Open → open;
  Click → click; SubscriptionChange → unsubscribe when ``SuppressSending`` is true,
  resubscribe when false;
- identity: ``Recipient`` (Delivery, Open, Click, SubscriptionChange) or ``Email``
  (Bounce, SpamComplaint); time: ``DeliveredAt``, ``BouncedAt``, ``ReceivedAt`` or
  ``ChangedAt``;
- ``event_id``: the record's ``ID`` (bounces and complaints have one); otherwise a
  deterministic id hashed from MessageID, RecordType, recipient, time and, for clicks,
  the link: the same record always gets the same id, retries included;
- properties: ``message_id``, ``url`` (``OriginalLink``), ``tags`` (``Tag``),
  ``metadata`` (``Metadata``) and the bounce or suppression details.

Postmark's payloads carry no machine-open flag (Apple Mail Privacy Protection opens look
like human ones), so Postmark opens are never marked as bots here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from pydantic import JsonValue

from leadq.adapters._common import (
    AdapterError,
    JsonObject,
    as_object,
    email_address,
    email_signal,
    first_time,
    json_object,
    optional_object,
    optional_str,
    put_tags_and_metadata,
    renamed_fields,
    require_email_channel,
    required_str,
    stable_id,
    tag_list,
)
from schemas.events import EmailEventName
from schemas.signal import Channel, Signal

_NAMES: Final[dict[str, EmailEventName]] = {
    "Delivery": "delivered",
    "Bounce": "bounce",
    "SpamComplaint": "spam_report",
    "Open": "open",
    "Click": "click",
}
#: Bounce types that mean "try again later", not "this address does not work".
_TEMPORARY_BOUNCES: Final = frozenset({"Transient", "SoftBounce", "DnsError"})
_TIME_KEYS = ("DeliveredAt", "BouncedAt", "ReceivedAt", "ChangedAt")
#: Optional Postmark fields copied into properties, under leadq's name.
_COPIED: Final = {
    "Type": "bounce_type",
    "Description": "reason",
    "Details": "details",
    "SuppressionReason": "suppression_reason",
    "Origin": "origin",
    "FirstOpen": "first_open",
    "Platform": "platform",
    "UserAgent": "user_agent",
    "MessageStream": "message_stream",
}


def to_signal(item: object, channel: Channel | None) -> Signal:
    """One Postmark webhook record as a ``Signal`` with ``source="postmark"``."""
    require_email_channel("postmark", channel)
    record = as_object(item, "record")
    name = _name(record)
    recipient = _recipient(record)
    occurred_at = first_time(record, _TIME_KEYS)
    url = optional_str(record, "OriginalLink") if name == "click" else None
    # Read in the order the inbound email model's fields were, so that the first
    # problem found stays the reason given.
    fields: JsonObject = {
        "event_id": _event_id(record, recipient, occurred_at, url),
        "name": name,
        "occurred_at": occurred_at,
        "identity": {"email": recipient},
    }
    message_id = optional_str(record, "MessageID")
    return email_signal("postmark", fields, _properties(record), message_id, url)


def _name(record: JsonObject) -> EmailEventName:
    record_type = required_str(record, "RecordType")
    if record_type == "SubscriptionChange":
        suppress = record.get("SuppressSending")
        if not isinstance(suppress, bool):
            raise AdapterError("SuppressSending: required true or false on SubscriptionChange")
        return "unsubscribe" if suppress else "resubscribe"
    name = _NAMES.get(record_type)
    if name is None:
        raise AdapterError(f"RecordType: {record_type!r} is not a Postmark record leadq knows")
    if name == "bounce" and optional_str(record, "Type") in _TEMPORARY_BOUNCES:
        return "deferred"
    return name


def _recipient(record: JsonObject) -> str:
    key = "Recipient" if record.get("Recipient") else "Email"
    address = email_address(optional_str(record, key), key)
    if address is None:
        raise AdapterError("Recipient/Email: required but missing or empty")
    return address


def _event_id(record: JsonObject, recipient: str, occurred_at: datetime, url: str | None) -> str:
    """The record's own ``ID``, else a deterministic hash (see the module contract)."""
    record_id = optional_str(record, "ID")
    if record_id is not None:
        return record_id
    parts = (
        optional_str(record, "MessageID") or "",
        required_str(record, "RecordType"),
        recipient.lower(),
        occurred_at.isoformat(),
        url or "",
    )
    return stable_id("postmark", *parts)


def _properties(record: JsonObject) -> dict[str, JsonValue]:
    properties = renamed_fields(record, _COPIED)
    ip = optional_object(record, "Geo").get("IP")
    if isinstance(ip, str):
        properties["ip"] = ip
    put_tags_and_metadata(
        properties,
        tag_list(record.get("Tag"), "Tag"),
        json_object(record.get("Metadata"), "Metadata"),
    )
    return properties
