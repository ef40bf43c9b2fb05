"""PostHog events → leadq canonical web/product events (``schemas.events``). Pure.

The worker has no PostHog adapter, so the gateway translates each captured event into
leadq's own canonical event, which the worker accepts on the web and product topics
(its signals carry ``source: "leadq"``; ``properties.$lib`` still names the SDK).
Mapping, following PostHog's own event vocabulary:

| PostHog ``event`` | canonical ``type`` / ``name`` |
|---|---|
| ``$pageview`` | page, named by ``title``; ``path``, ``url``, ``referrer`` filled (†) |
| ``$screen`` | screen, named by ``$screen_name`` |
| ``$identify``, ``$set`` | identify; traits = ``$set_once`` then ``$set`` |
| ``$groupidentify`` | group of account ``$group_key``, traits ``$group_set``, no person (*) |
| ``$create_alias`` | alias: ``user_id`` = ``alias``, ``previous_id`` = the distinct id |
| anything else | track, named by ``event`` |

(†) from ``$pathname``, ``$current_url`` and ``$referrer``, as a Segment page has them.
(*) PostHog's SDKs send a made-up distinct id with a group call when none is given.

- identity: the distinct id (top level, else ``properties.distinct_id``) is the
  ``user_id``, or the ``anonymous_id`` when PostHog marks the event anonymous
  (``$is_identified: false`` from posthog-js, ``$process_person_profile: false`` from
  the server SDKs); ``$identify`` adds ``$anon_distinct_id`` as the anonymous id; the
  email is ``$set.email`` or ``properties.email``;
- account: ``$groups`` (``company``, ``organization`` or ``account``, else the first);
- id: ``uuid``, else a digest of the event (retries give the same id);
- time: ``timestamp``, else ``$time``, else the batch's ``sent_at``, else the arrival
  time; a time without a zone is UTC, as PostHog reads it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Final

import orjson
from pydantic import JsonValue

from streams.settings import TrackingChannel

JsonObject = dict[str, JsonValue]

_TYPES: Final = {
    "$pageview": "page",
    "$screen": "screen",
    "$identify": "identify",
    "$set": "identify",
    "$groupidentify": "group",
    "$create_alias": "alias",
}
_PAGE_FIELDS: Final = (("path", "$pathname"), ("url", "$current_url"), ("referrer", "$referrer"))
_ACCOUNT_GROUPS: Final = ("company", "organization", "account")
#: PostHog bookkeeping that is not a property of the event itself.
_DROPPED: Final = frozenset({"$set", "$set_once", "token", "$token", "distinct_id", "$groups"})


class MappingError(ValueError):
    """The event cannot be a canonical event; the message is the dead-letter reason."""


def to_canonical(
    event: object, channel: TrackingChannel, sent_at: object, received_at: str
) -> JsonObject:
    """One PostHog event as a canonical event document (see the module docstring)."""
    if not isinstance(event, dict):
        raise MappingError("expected a PostHog event object")
    name = event.get("event")
    if not isinstance(name, str) or not name:
        raise MappingError("event: required, the event's name")
    properties = _object(event.get("properties"), "properties")
    kind = _TYPES.get(name, "track")
    document: JsonObject = {
        "schema_version": 1,
        "channel": channel,
        "event_id": _event_id(event),
        "type": kind,
        "name": _name(kind, name, properties),
        "occurred_at": _time(event, properties, sent_at, received_at),
        "identity": _identity(kind, event, properties),
        "account": _account(kind, properties),
        "properties": _properties(kind, properties),
        "traits": _traits(kind, event, properties),
    }
    return document


def _object(value: object, field: str) -> JsonObject:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(f"{field}: expected an object")
    return value


def _text(value: object) -> str | None:
    """A non-empty id: strings as they are, integers (numeric ids) as text."""
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        return None
    return str(value)


def _event_id(event: JsonObject) -> str:
    uuid = _text(event.get("uuid"))
    if uuid:
        return uuid
    digest = hashlib.sha256(orjson.dumps(event, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"posthog-{digest[:32]}"


def _name(kind: str, name: str, properties: JsonObject) -> str:
    if kind == "page":
        return _text(properties.get("title")) or _text(properties.get("$pathname")) or ""
    if kind == "screen":
        return _text(properties.get("$screen_name")) or ""
    return name if kind == "track" else ""


def _time(event: JsonObject, properties: JsonObject, sent_at: object, received_at: str) -> str:
    for value in (event.get("timestamp"), properties.get("$time"), sent_at):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC).isoformat()
        if isinstance(value, str) and value:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                raise MappingError(f"timestamp: not an ISO-8601 time: {value!r}") from None
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
    return received_at


def _identity(kind: str, event: JsonObject, properties: JsonObject) -> JsonObject:
    if kind == "group":
        return {}
    distinct_id = _text(event.get("distinct_id")) or _text(properties.get("distinct_id"))
    if distinct_id is None:
        raise MappingError("distinct_id: required (top level or in properties)")
    identity: JsonObject = {"email": _email(event, properties)}
    if kind == "alias":
        identity["user_id"] = _text(properties.get("alias")) or distinct_id
        identity["previous_id"] = distinct_id
    elif _anonymous(properties):
        identity["anonymous_id"] = distinct_id
    else:
        identity["user_id"] = distinct_id
        if kind == "identify":
            identity["anonymous_id"] = _text(properties.get("$anon_distinct_id"))
    return {key: value for key, value in identity.items() if value is not None}


def _anonymous(properties: JsonObject) -> bool:
    return (
        properties.get("$is_identified") is False
        or properties.get("$process_person_profile") is False
    )


def _email(event: JsonObject, properties: JsonObject) -> str | None:
    for source in (event.get("$set"), properties.get("$set"), properties):
        if isinstance(source, dict) and isinstance(source.get("email"), str) and source["email"]:
            return str(source["email"])
    return None


def _account(kind: str, properties: JsonObject) -> JsonObject:
    if kind == "group":
        traits = _object(properties.get("$group_set"), "properties.$group_set")
        account: JsonObject = {"id": _text(properties.get("$group_key"))}
        domain = _text(traits.get("domain")) or _text(traits.get("website"))
        if domain:
            account["domain"] = domain.split("://")[-1].split("/")[0]
        return account
    groups = properties.get("$groups")
    if not isinstance(groups, dict) or not groups:
        return {}
    preferred = [groups[name] for name in _ACCOUNT_GROUPS if name in groups]
    chosen = _text((preferred or list(groups.values()))[0])
    return {"id": chosen} if chosen else {}


def _properties(kind: str, properties: JsonObject) -> JsonObject:
    kept = {key: value for key, value in properties.items() if key not in _DROPPED}
    if kind == "page":
        for field, source in _PAGE_FIELDS:
            if field not in kept and properties.get(source) is not None:
                kept[field] = properties[source]
    return kept


def _traits(kind: str, event: JsonObject, properties: JsonObject) -> JsonObject:
    if kind == "group":
        return _object(properties.get("$group_set"), "properties.$group_set")
    if kind != "identify":
        return {}
    traits: JsonObject = {}
    for field in ("$set_once", "$set"):
        for source in (event.get(field), properties.get(field)):
            if isinstance(source, dict):
                traits.update(source)
    return traits
