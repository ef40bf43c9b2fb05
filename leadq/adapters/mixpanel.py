"""Mixpanel events as ``/import`` and ``/track`` take them → ``Signal``.

Contract of ``to_signal`` (one ``{"event", "properties"}`` object; a document is one event
or an array of them):

- id: ``properties.$insert_id`` (Mixpanel's de-duplication key), else ``mixpanel-`` + a
  digest of the event without the project ``token`` (a retry gives the same id);
- time: ``properties.time``, epoch seconds or milliseconds (both are documented; any
  number above 1e11 is milliseconds), else ``received_at`` (the gateway's clock or the
  Kafka record's timestamp), as ``/track`` uses its arrival time;
- identity (Simplified ID Merge): ``$user_id`` → ``user_id``, ``$device_id`` →
  ``anonymous_id``; without them ``distinct_id`` is the ``user_id``, or the
  ``anonymous_id`` when it starts with ``$device:``; the email is ``$email``, else
  ``email``; ``$identify`` links ``$identified_id`` (user) and ``$anon_id`` (anonymous);
  ``$create_alias`` links ``alias`` (the new id) to ``distinct_id`` (as
  ``previous_id``);
- type: ``$identify`` → identify, ``$create_alias`` → alias, ``$mp_web_page_view``
  (autocapture's page view) → page named by ``current_page_title`` with ``path``,
  ``url`` from ``current_url_path``, ``current_url``; anything else → track named by
  ``event``;
- account: ``$groups`` (``company``, ``organization`` or ``account``, else the first
  group key), else a ``company_id`` property (Mixpanel's usual group key name);
- properties: everything but Mixpanel's bookkeeping (``token``, ``time``,
  ``distinct_id``, ``$insert_id``, ids and ``$groups``);
- channel: the topic's (web or product); without one, page views are web and
  everything else product.
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

PAGE_VIEW: Final = "$mp_web_page_view"
_TYPES: Final[dict[str, SignalType]] = {
    "$identify": "identify",
    "$create_alias": "alias",
    PAGE_VIEW: "page",
}
_PAGE_FIELDS: Final = {"current_url_path": "path", "current_url": "url"}
_ANONYMOUS_PREFIX: Final = "$device:"
#: Mixpanel bookkeeping that is not a property of the event itself.
_DROPPED: Final = frozenset(
    {"token", "time", "distinct_id", "$insert_id", "$user_id", "$device_id", "$groups"}
)
_NO_KEYS: Final = frozenset({"token"})
#: The keys of a Mixpanel event object, all that ``detect`` lets through.
EVENT_KEYS: Final = frozenset({"event", "properties"})
#: Properties only Mixpanel's SDKs and APIs set (PostHog's are ``$lib``, ``uuid``...).
MARKS: Final = frozenset({"time", "$insert_id", "mp_lib", "token", "$device_id", "$user_id"})


def looks_like_mixpanel(item: JsonObject) -> bool:
    """Only ``event`` and ``properties`` at the top, and Mixpanel's own properties."""
    properties = item.get("properties")
    return (
        item.keys() <= EVENT_KEYS
        and "event" in item
        and isinstance(properties, dict)
        and "$lib" not in properties
        and not MARKS.isdisjoint(properties)
    )


def to_signal(item: object, channel: Channel | None, received_at: datetime | None = None) -> Signal:
    """One Mixpanel event as a ``Signal`` with ``source="mixpanel"``."""
    event = as_object(item, "event")
    name = optional_str(event, "event")
    if name is None:
        raise AdapterError("event: required, the event's name")
    properties = json_object(event.get("properties"), "properties")
    kind = _TYPES.get(name, "track")
    time = properties.get("time")
    if time is None or time == "":
        if received_at is None:
            raise AdapterError("no event time: set properties.time")
        occurred_at = received_at
    else:
        occurred_at = event_time(time, "properties.time")
    fields: JsonObject = {
        "event_id": _event_id(event, properties),
        "channel": activity_channel("Mixpanel", channel, "web" if kind == "page" else "product"),
        "type": kind,
        "name": _name(kind, name, properties),
        "occurred_at": occurred_at,
        "identity": _identity(kind, properties),
        "account": _account(properties),
        "properties": _properties(kind, properties),
        "traits": {},
        "is_bot": False,
        "bot_reason": None,
        "source": "mixpanel",
    }
    return validated_signal(fields)


def _event_id(event: JsonObject, properties: dict[str, JsonValue]) -> str:
    given = optional_str(properties, "$insert_id", "properties.$insert_id")
    content = {**event, "properties": _without_token(properties)}
    return given or content_id("mixpanel", content, _NO_KEYS)


def _without_token(properties: dict[str, JsonValue]) -> dict[str, JsonValue]:
    return {key: value for key, value in properties.items() if key != "token"}


def stamped(item: object, received_at: datetime) -> object:
    """``item`` as the gateway produces it: without the project ``token`` (a credential
    never reaches a topic), with ``$insert_id`` and ``time`` explicit (the arrival time,
    as ``/track`` uses, for an event without one; the id is taken before). Anything that
    is not an event with a properties object is returned as it is, for the adapter to
    explain."""
    if not isinstance(item, dict) or not isinstance(item.get("properties"), dict):
        return item
    event: JsonObject = item
    properties = _without_token(json_object(event["properties"], "properties"))
    completed = {**properties, "$insert_id": _event_id(event, properties)}
    if completed.get("time") in (None, ""):
        completed["time"] = int(received_at.timestamp() * 1000)
    return {**event, "properties": completed}


def _name(kind: SignalType, name: str, properties: dict[str, JsonValue]) -> str:
    if kind == "page":
        return optional_str(properties, "current_page_title", "properties.current_page_title") or ""
    return name if kind == "track" else ""


def _identity(kind: SignalType, properties: dict[str, JsonValue]) -> JsonObject:
    def read(key: str) -> str | None:
        return identifier(properties, key, f"properties.{key}")

    email = optional_str(properties, "$email", "properties.$email") or optional_str(
        properties, "email", "properties.email"
    )
    identity: JsonObject = {"email": email_address(email, "properties.email")}
    distinct_id = read("distinct_id")
    if kind == "identify":
        identity["user_id"] = read("$identified_id") or distinct_id
        identity["anonymous_id"] = read("$anon_id")
    elif kind == "alias":
        identity["user_id"] = read("alias")
        identity["previous_id"] = distinct_id
        if identity["user_id"] is None or distinct_id is None:
            raise AdapterError("$create_alias: needs properties.alias and properties.distinct_id")
    else:
        identity["user_id"] = read("$user_id")
        identity["anonymous_id"] = read("$device_id")
        if distinct_id is not None and identity["user_id"] is None:
            anonymous = distinct_id.startswith(_ANONYMOUS_PREFIX)
            key = "anonymous_id" if anonymous else "user_id"
            identity[key] = identity.get(key) or distinct_id.removeprefix(_ANONYMOUS_PREFIX)
    if not (identity.get("user_id") or identity.get("anonymous_id") or identity["email"]):
        raise AdapterError("no identity: set properties.distinct_id, $user_id or $device_id")
    return identity


def _account(properties: dict[str, JsonValue]) -> JsonObject:
    groups = json_object(properties.get("$groups"), "properties.$groups")
    account_id = group_account_id(groups, "properties.$groups")
    if account_id is not None:
        return {"id": account_id}
    company_id = identifier(properties, "company_id", "properties.company_id")
    return {"id": company_id} if company_id else {}


def _properties(kind: SignalType, properties: dict[str, JsonValue]) -> dict[str, JsonValue]:
    kept = {key: value for key, value in properties.items() if key not in _DROPPED}
    if kind == "page":
        kept.update(renamed_fields(properties, _PAGE_FIELDS))
    return kept
