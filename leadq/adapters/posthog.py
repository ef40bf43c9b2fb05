"""PostHog capture events (one event, an array, or ``{"api_key", "batch": [...]}``) → ``Signal``.

The shape posthog-js and the server SDKs send to ``/capture/`` and ``/batch/``:
``{"event", "distinct_id", "properties", "timestamp", "uuid", "$set", "$set_once"}``.
Mapping, following PostHog's own event vocabulary:

| PostHog ``event`` | ``type`` / ``name`` |
|---|---|
| ``$pageview`` | page, named by ``title``, else ``$pathname`` (†) |
| ``$screen`` | screen, named by ``$screen_name`` |
| ``$identify``, ``$set``, ``$set_once`` | identify; traits = ``$set_once``, then ``$set`` |
| ``$groupidentify`` | group of account ``$group_key``, traits ``$group_set``, no person (*) |
| ``$create_alias`` | alias: ``user_id`` = ``alias``, ``previous_id`` = the distinct id |
| anything else | track, named by ``event`` |

(†) ``path``, ``url``, ``referrer`` from ``$pathname``, ``$current_url``, ``$referrer``.
(*) PostHog's SDKs send a made-up distinct id with a group call when none is given.

- id: ``uuid``, else ``posthog-`` + a digest of the event without the batch's
  ``sent_at`` and the project key (a retry gives the same id);
- time: ``timestamp`` (ISO-8601, or epoch seconds/ms), else ``properties.$time``
  (posthog-js: epoch seconds), else ``received_at - offset`` (``offset`` in ms), else the
  batch's ``sent_at``, else ``received_at`` (the gateway's clock, or the Kafka record's
  timestamp); a time without a zone is UTC, as PostHog reads it. PostHog's own server
  also shifts ``timestamp`` by the skew between ``sent_at`` and its clock: the gateway
  does (``skew_corrected``), the adapter does not (a Kafka record may be produced long
  after it was sent, so its timestamp is no arrival clock);
- identity: the distinct id (top level, else ``properties.distinct_id``) is the
  ``user_id``, or the ``anonymous_id`` when PostHog marks the event anonymous
  (``$is_identified: false`` from posthog-js, ``$process_person_profile: false`` from
  the server SDKs); ``$identify`` adds ``$anon_distinct_id`` as the anonymous id; the
  email is ``$set.email`` (top level or in properties), else ``properties.email``;
- account: ``properties.$groups`` (``company``, ``organization`` or ``account``, else
  the first group type); on ``$groupidentify`` the domain of ``$group_set.domain``,
  else of ``$group_set.website``;
- channel: the topic's (web or product); without one, ``$pageview``/``$pageleave`` are
  web and everything else product.
"""

from __future__ import annotations

from datetime import datetime, timedelta
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
    validated_signal,
)
from schemas.signal import Channel, Signal, SignalType

_TYPES: Final[dict[str, SignalType]] = {
    "$pageview": "page",
    "$screen": "screen",
    "$identify": "identify",
    "$set": "identify",
    "$set_once": "identify",
    "$groupidentify": "group",
    "$create_alias": "alias",
}
_WEB_EVENTS: Final = frozenset({"$pageview", "$pageleave"})
_PAGE_FIELDS: Final = (("path", "$pathname"), ("url", "$current_url"), ("referrer", "$referrer"))
#: PostHog bookkeeping that is not a property of the event itself.
_DROPPED: Final = frozenset({"$set", "$set_once", "token", "$token", "distinct_id", "$groups"})
#: Set anew on every send of the same event (and the project key): not part of its id.
CHANGES_ON_RETRY: Final = frozenset({"sent_at", "api_key", "token", "$token"})
#: Keys that make a document a PostHog batch rather than a Segment one.
ENVELOPE_KEYS: Final = frozenset({"api_key", "sent_at"})


def is_envelope(document: object) -> bool:
    """A ``{"batch": [...]}`` body as PostHog's SDKs post it (with ``api_key``)."""
    return (
        isinstance(document, dict)
        and isinstance(document.get("batch"), list)
        and not ENVELOPE_KEYS.isdisjoint(document)
    )


def unbatch(document: object) -> list[object]:
    """The events of a PostHog batch, each with the batch's ``sent_at`` when it has one."""
    envelope = as_object(document, "document")
    batch = envelope.get("batch")
    if not isinstance(batch, list):
        raise AdapterError("batch: expected an array of events")
    sent_at = envelope.get("sent_at")
    if sent_at is None:
        return list(batch)
    return [{"sent_at": sent_at, **e} if isinstance(e, dict) else e for e in batch]


def skew_corrected(event: JsonObject, received_at: datetime) -> JsonObject:
    """``event`` as PostHog's capture server reads a live request: a ``timestamp`` sent with
    ``sent_at`` is shifted by the sender's clock skew (``received_at - sent_at``). The id
    is made explicit first (``uuid``, else the content id), so a retry, with its new
    ``sent_at`` and arrival time, keeps it. For the gateway, whose clock is the arrival."""
    timestamp, sent_at = event.get("timestamp"), event.get("sent_at")
    if not (_is_set(timestamp) and _is_set(sent_at)):
        return event
    skew = received_at - event_time(sent_at, "sent_at")
    shifted = event_time(timestamp, "timestamp") + skew
    uuid = optional_str(event, "uuid") or content_id("posthog", event, CHANGES_ON_RETRY)
    return {**event, "uuid": uuid, "timestamp": shifted.isoformat()}


def to_signal(item: object, channel: Channel | None, received_at: datetime | None = None) -> Signal:
    """One PostHog event as a ``Signal`` with ``source="posthog"``."""
    fields = to_fields(item, channel, received_at)
    return validated_signal({**fields, "is_bot": False, "bot_reason": None, "source": "posthog"})


def to_fields(item: object, channel: Channel | None, received_at: datetime | None) -> JsonObject:
    """The canonical event fields of one PostHog event (see the module contract)."""
    if not isinstance(item, dict):
        raise AdapterError("expected a PostHog event object")
    event: JsonObject = item
    name = optional_str(event, "event")
    if name is None:
        raise AdapterError("event: required, the event's name")
    properties = json_object(event.get("properties"), "properties")
    kind = _TYPES.get(name, "track")
    return {
        "event_id": optional_str(event, "uuid") or content_id("posthog", event, CHANGES_ON_RETRY),
        "channel": activity_channel("PostHog", channel, _default_channel(name)),
        "type": kind,
        "name": _name(kind, name, properties),
        "occurred_at": _time(event, properties, received_at),
        "identity": _identity(kind, event, properties),
        "account": _account(kind, properties),
        "properties": _properties(kind, properties),
        "traits": _traits(kind, event, properties),
    }


def _default_channel(name: str) -> Channel:
    return "web" if name in _WEB_EVENTS else "product"


def _name(kind: SignalType, name: str, properties: dict[str, JsonValue]) -> str:
    if kind == "page":
        return optional_str(properties, "title") or optional_str(properties, "$pathname") or ""
    if kind == "screen":
        return optional_str(properties, "$screen_name") or ""
    return name if kind == "track" else ""


def _time(
    event: JsonObject, properties: dict[str, JsonValue], received_at: datetime | None
) -> datetime:
    if _is_set(event.get("timestamp")):
        return event_time(event["timestamp"], "timestamp")
    if _is_set(properties.get("$time")):
        return event_time(properties["$time"], "properties.$time")
    offset = event.get("offset")
    if received_at is not None and isinstance(offset, int | float) and not isinstance(offset, bool):
        return received_at - timedelta(milliseconds=offset)
    if _is_set(event.get("sent_at")):
        return event_time(event["sent_at"], "sent_at")
    if received_at is None:
        raise AdapterError("no event time: set timestamp, properties.$time or sent_at")
    return received_at


def _is_set(value: object) -> bool:
    return value is not None and value != ""


def _identity(kind: SignalType, event: JsonObject, properties: dict[str, JsonValue]) -> JsonObject:
    if kind == "group":
        return {}
    distinct_id = identifier(event, "distinct_id") or identifier(
        properties, "distinct_id", "properties.distinct_id"
    )
    if distinct_id is None:
        raise AdapterError("distinct_id: required (top level or in properties)")
    identity: JsonObject = {"email": _email(event, properties)}
    if kind == "alias":
        identity["user_id"] = identifier(properties, "alias", "properties.alias") or distinct_id
        identity["previous_id"] = distinct_id
    elif _anonymous(properties):
        identity["anonymous_id"] = distinct_id
    else:
        identity["user_id"] = distinct_id
        if kind == "identify":
            identity["anonymous_id"] = identifier(
                properties, "$anon_distinct_id", "properties.$anon_distinct_id"
            )
    return identity


def _anonymous(properties: dict[str, JsonValue]) -> bool:
    return (
        properties.get("$is_identified") is False
        or properties.get("$process_person_profile") is False
    )


def _email(event: JsonObject, properties: dict[str, JsonValue]) -> str | None:
    candidates = ((event.get("$set"), "$set"), (properties.get("$set"), "properties.$set"))
    for source, field in (*candidates, (properties, "properties")):
        if isinstance(source, dict):
            value = optional_str(source, "email", f"{field}.email")
            if value is not None:
                return email_address(value, f"{field}.email")
    return None


def _account(kind: SignalType, properties: dict[str, JsonValue]) -> JsonObject:
    if kind == "group":
        traits = json_object(properties.get("$group_set"), "properties.$group_set")
        domain = optional_str(traits, "domain", "properties.$group_set.domain") or optional_str(
            traits, "website", "properties.$group_set.website"
        )
        group_key = identifier(properties, "$group_key", "properties.$group_key")
        if group_key is None:
            raise AdapterError("properties.$group_key: required on $groupidentify")
        return {"id": group_key, "domain": domain_of(domain)}
    groups = json_object(properties.get("$groups"), "properties.$groups")
    account_id = group_account_id(groups, "properties.$groups")
    return {} if account_id is None else {"id": account_id}


def _properties(kind: SignalType, properties: dict[str, JsonValue]) -> dict[str, JsonValue]:
    kept = {key: value for key, value in properties.items() if key not in _DROPPED}
    if kind == "page":
        for field, source in _PAGE_FIELDS:
            if field not in kept and properties.get(source) is not None:
                kept[field] = properties[source]
    return kept


def _traits(
    kind: SignalType, event: JsonObject, properties: dict[str, JsonValue]
) -> dict[str, JsonValue]:
    if kind == "group":
        return json_object(properties.get("$group_set"), "properties.$group_set")
    if kind != "identify":
        return {}
    traits: dict[str, JsonValue] = {}
    for field in ("$set_once", "$set"):
        for source in (event.get(field), properties.get(field)):
            if isinstance(source, dict):
                traits.update(source)
    return traits
