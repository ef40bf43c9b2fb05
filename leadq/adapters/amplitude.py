"""Amplitude HTTP API v2 events (``{"api_key": ..., "events": [...]}``) → ``Signal``.

Contract of ``to_signal`` (one event of the ``events`` array):

- id: ``insert_id`` (Amplitude's own de-duplication key), else ``amplitude-`` + a digest
  of the event (a retry gives the same id);
- time: ``time``, epoch **milliseconds** as Amplitude defines it (ISO strings are
  tolerated), else ``received_at`` (the gateway's clock or the Kafka record's
  timestamp), as Amplitude uses its upload time;
- identity: ``user_id`` → ``user_id``, ``device_id`` → ``anonymous_id`` (Amplitude
  requires one of them); the email from ``user_properties.email`` (also inside
  ``$set``/``$setOnce``), else ``event_properties.email``;
- type: ``$identify`` → identify with traits from ``user_properties`` (``$setOnce``,
  then ``$set``, then plain keys); ``$groupidentify`` → group of the first group in
  ``groups`` with traits from ``group_properties``; ``[Amplitude] Page Viewed`` (the
  Browser SDK's page view) → page named by ``[Amplitude] Page Title``, with ``path``,
  ``url`` and ``referrer`` from its ``[Amplitude] Page Path``/``URL``/``Referrer``;
  anything else → track named by ``event_type``;
- account: ``groups`` (``company``, ``organization`` or ``account``, else the first
  group type; an array value gives its first id); on ``$groupidentify`` the domain of
  ``group_properties.domain``, else ``website``;
- properties: ``event_properties`` plus the device fields leadq keeps (``platform``,
  ``os_name``, ``country``, ``ip``, ``app_version``, ``session_id``); person traits
  sent with an ordinary event (``user_properties``) become traits too;
- channel: the topic's (web or product); without one, page views are web and everything
  else product.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from pydantic import JsonValue

from leadq.adapters._common import (
    AdapterError,
    JsonObject,
    activity_channel,
    as_object,
    content_id,
    domain_of,
    email_address,
    event_time,
    group_account_id,
    identifier,
    json_object,
    optional_str,
    renamed_fields,
    validated_signal,
)
from schemas.signal import Channel, Signal, SignalType

PAGE_VIEWED: Final = "[Amplitude] Page Viewed"
_PAGE_FIELDS: Final = {
    "[Amplitude] Page Path": "path",
    "[Amplitude] Page URL": "url",
    "[Amplitude] Page Referrer": "referrer",
}
_TYPES: Final[dict[str, SignalType]] = {
    "$identify": "identify",
    "$groupidentify": "group",
    PAGE_VIEWED: "page",
}
_DEVICE_FIELDS: Final = {
    key: key for key in ("platform", "os_name", "country", "ip", "app_version", "session_id")
}
_OPERATIONS: Final = ("$setOnce", "$set")


def is_envelope(document: object) -> bool:
    """An HTTP API v2 body: ``events`` (an array) beside ``api_key``."""
    return isinstance(document, dict) and "events" in document and "api_key" in document


def events_of(document: object) -> list[object]:
    """The ``events`` array of an HTTP API v2 body."""
    events = as_object(document, "document").get("events")
    if not isinstance(events, list):
        raise AdapterError("events: expected an array of events")
    return events


def to_signal(item: object, channel: Channel | None, received_at: datetime | None = None) -> Signal:
    """One Amplitude event as a ``Signal`` with ``source="amplitude"``."""
    event = as_object(item, "event")
    event_type = optional_str(event, "event_type")
    if event_type is None:
        raise AdapterError("event_type: required, the event's name")
    kind = _TYPES.get(event_type, "track")
    event_properties = json_object(event.get("event_properties"), "event_properties")
    user_properties = json_object(event.get("user_properties"), "user_properties")
    default: Channel = "web" if kind == "page" else "product"
    fields: JsonObject = {
        "event_id": event_id(event),
        "channel": activity_channel("Amplitude", channel, default),
        "type": kind,
        "name": _name(kind, event_type, event_properties),
        "occurred_at": _time(event, received_at),
        "identity": _identity(kind, event, user_properties, event_properties),
        "account": _account(kind, event),
        "properties": _properties(kind, event, event_properties),
        "traits": _traits(kind, event, user_properties),
        "is_bot": False,
        "bot_reason": None,
        "source": "amplitude",
    }
    return validated_signal(fields)


_NO_KEYS: Final = frozenset({"api_key"})


def event_id(event: JsonObject) -> str:
    """``insert_id``, else the event's content id (``amplitude-…``, without ``api_key``)."""
    return optional_str(event, "insert_id") or content_id("amplitude", event, _NO_KEYS)


def stamped(event: JsonObject, received_at: datetime) -> JsonObject:
    """``event`` with its id and time explicit, as Amplitude's server would make them
    (the upload time for an event without ``time``): what the gateway produces, so the
    record means the same whenever it is read. The id is taken before the time is set."""
    completed = {**event, "insert_id": event_id(event)}
    if completed.get("time") in (None, ""):
        completed["time"] = int(received_at.timestamp() * 1000)
    return completed


def _name(kind: SignalType, event_type: str, properties: dict[str, JsonValue]) -> str:
    if kind == "page":
        return optional_str(properties, "[Amplitude] Page Title") or ""
    return event_type if kind == "track" else ""


def _time(event: JsonObject, received_at: datetime | None) -> datetime:
    value = event.get("time")
    if value is None or value == "":
        if received_at is None:
            raise AdapterError("no event time: set time (epoch milliseconds)")
        return received_at
    if isinstance(value, int | float) and not isinstance(value, bool):
        return event_time(value / 1000, "time")  # always milliseconds in Amplitude
    return event_time(value, "time")


def _identity(
    kind: SignalType,
    event: JsonObject,
    user_properties: dict[str, JsonValue],
    event_properties: dict[str, JsonValue],
) -> JsonObject:
    user_id = identifier(event, "user_id")
    device_id = identifier(event, "device_id")
    if user_id is None and device_id is None and kind != "group":
        raise AdapterError("no identity: set user_id or device_id")
    return {
        "user_id": user_id,
        "anonymous_id": device_id,
        "email": _email(user_properties, event_properties),
    }


def _email(
    user_properties: dict[str, JsonValue], event_properties: dict[str, JsonValue]
) -> str | None:
    candidates: list[tuple[object, str]] = [
        (user_properties.get(op), f"user_properties.{op}") for op in reversed(_OPERATIONS)
    ]
    candidates += [(user_properties, "user_properties"), (event_properties, "event_properties")]
    for source, field in candidates:
        if isinstance(source, dict):
            value = optional_str(source, "email", f"{field}.email")
            if value is not None:
                return email_address(value, f"{field}.email")
    return None


def _account(kind: SignalType, event: JsonObject) -> JsonObject:
    account_id = group_account_id(json_object(event.get("groups"), "groups"), "groups")
    if account_id is None:
        if kind == "group":
            raise AdapterError("groups: required on $groupidentify")
        return {}
    account: JsonObject = {"id": account_id}
    if kind == "group":
        traits = _flattened(json_object(event.get("group_properties"), "group_properties"))
        website = optional_str(traits, "domain", "group_properties.domain") or optional_str(
            traits, "website", "group_properties.website"
        )
        account["domain"] = domain_of(website)
    return account


def _properties(
    kind: SignalType, event: JsonObject, event_properties: dict[str, JsonValue]
) -> dict[str, JsonValue]:
    properties = {**renamed_fields(event, _DEVICE_FIELDS), **event_properties}
    if kind == "page":
        properties.update(renamed_fields(event_properties, _PAGE_FIELDS))
    return properties


def _traits(
    kind: SignalType, event: JsonObject, user_properties: dict[str, JsonValue]
) -> dict[str, JsonValue]:
    if kind == "group":
        return _flattened(json_object(event.get("group_properties"), "group_properties"))
    return _flattened(user_properties)


def _flattened(properties: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """Plain keys, then ``$setOnce``, then ``$set`` (the later wins); other operations
    (``$add``, ``$unset``...) describe changes, not values, and are left out."""
    traits = {key: value for key, value in properties.items() if not key.startswith("$")}
    for operation in _OPERATIONS:
        values = properties.get(operation)
        if isinstance(values, dict):
            traits.update(values)
    return traits
