"""Helpers every vendor adapter shares: reading loosely typed JSON, event times, ids.

Every helper either returns a value of the promised type or raises ``AdapterError``
whose message names the offending field (``"event-data.timestamp: ..."``), because that
message is the reason a human reads on the dead-letter topic.
"""

from __future__ import annotations

import hashlib
import math
import re
import types
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final, cast
from urllib.parse import urlsplit

import orjson
from pydantic import JsonValue

from schemas.identifiers import clean_email, clean_identifier
from schemas.signal import Account, Channel, Signal

JsonObject = dict[str, object]

#: Epoch numbers above this are milliseconds: 1e11 seconds is the year 5138, while 1e11
#: milliseconds is March 1973, so no real event time is ambiguous.
MILLISECONDS_ABOVE = 1e11
_LATEST_EPOCH_SECONDS = 253402300799  # 9999-12-31T23:59:59Z, datetime's own limit
_NUMERIC = re.compile(r"^[+-]?\d+(\.\d*)?$")
# bool before number: a JSON true is a Python int too.
_JSON_KINDS: tuple[tuple[type | types.UnionType, str], ...] = (
    (bool, "a boolean"),
    (int | float, "a number"),
    (list, "an array"),
    (dict, "an object"),
)


class AdapterError(ValueError):
    """An item cannot be understood; ``str(error)`` is the human reason, naming the field."""


def as_object(value: object, field: str) -> JsonObject:
    """``value`` as a JSON object, or an error naming ``field``."""
    if not isinstance(value, dict):
        raise AdapterError(f"{field}: expected a JSON object, got {kind_of(value)}")
    return cast(JsonObject, value)


def optional_object(obj: Mapping[str, object], key: str, field: str | None = None) -> JsonObject:
    """``obj[key]`` as an object; a missing or null key gives ``{}``."""
    value = obj.get(key)
    return {} if value is None else as_object(value, field or key)


def optional_str(obj: Mapping[str, object], key: str, field: str | None = None) -> str | None:
    """``obj[key]`` as a non-empty string, or None when missing, null or empty.

    Integers are accepted and converted, because some SDKs send numeric user ids.
    """
    value = obj.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise AdapterError(f"{field or key}: expected a string, got {kind_of(value)}")


def required_str(obj: Mapping[str, object], key: str, field: str | None = None) -> str:
    """``obj[key]`` as a non-empty string, or an error saying it is missing."""
    value = optional_str(obj, key, field)
    if value is None:
        raise AdapterError(f"{field or key}: required but missing or empty")
    return value


def json_object(value: object, field: str) -> dict[str, JsonValue]:
    """A JSON object to copy into ``properties``/``traits``; null gives ``{}``.

    Only the outer shape is checked here: the ``Signal`` validates the values.
    """
    return {} if value is None else cast(dict[str, JsonValue], dict(as_object(value, field)))


def renamed_fields(obj: Mapping[str, object], names: Mapping[str, str]) -> dict[str, JsonValue]:
    """The set (non-null) fields of ``obj`` named in ``names``, under their new names.

    Values are copied as they are: the ``Signal`` validates them as JSON.
    """
    return {
        target: cast(JsonValue, obj[key])
        for key, target in names.items()
        if obj.get(key) is not None
    }


def email_address(value: str | None, field: str) -> str | None:
    """An email address cleaned by ``Identity.email``'s own rule (``clean_email``: NFKC,
    lower-cased, no control or bidi characters), or None; the error names ``field``."""
    if value is None:
        return None
    try:
        return clean_email(value)
    except ValueError as error:
        raise AdapterError(f"{field}: {error}") from None


def identifier(obj: Mapping[str, object], key: str, field: str | None = None) -> str | None:
    """``obj[key]`` as an id (``optional_str``) cleaned by ``Identity``'s rule
    (``clean_identifier``), so the reason for a bad one names the vendor's field."""
    value = optional_str(obj, key, field)
    if value is None:
        return None
    try:
        return clean_identifier(value)
    except ValueError as error:
        raise AdapterError(f"{field or key}: {error}") from None


#: Group types that name the company, preferred in this order over any other type.
ACCOUNT_GROUP_TYPES: Final = ("company", "organization", "account")


def group_account_id(groups: Mapping[str, object], field: str) -> str | None:
    """The account id in a vendor's groups object (group type → id, or a list of ids):
    the ``company``, ``organization`` or ``account`` group, else the first group type;
    of a list, the first id. ``field`` names the object in reasons."""
    preferred = [name for name in ACCOUNT_GROUP_TYPES if name in groups] or list(groups)
    if not preferred:
        return None
    group_type = preferred[0]
    value = groups[group_type]
    holder = {group_type: value[0] if isinstance(value, list) and value else value}
    return identifier(holder, group_type, f"{field}.{group_type}")


def domain_of(value: str | None) -> str | None:
    """The host of a website or domain value, lower-cased, without scheme, credentials,
    port, path or trailing dot: ``https://www.Acme.com:443/about`` → ``www.acme.com``
    (``Account.domain`` then drops the ``www.``)."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if "://" not in text:
        text = "//" + text.lstrip("/")
    try:
        host = urlsplit(text).hostname
    except ValueError:  # an unbalanced IPv6 bracket: not a website
        return None
    return host.rstrip(".") or None if host else None


def event_time(value: object, field: str) -> datetime:
    """An event time from epoch seconds, epoch milliseconds or an ISO-8601 string.

    Numbers (and numeric strings) above ``MILLISECONDS_ABOVE`` are milliseconds. A
    naive ISO string is taken as UTC. The result is timezone-aware, in UTC.
    """
    if isinstance(value, str):
        text = value.strip()
        if not _NUMERIC.match(text):
            return _iso_time(text, field)
        value = float(text)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AdapterError(f"{field}: expected a time, got {kind_of(value)}")
    return _epoch_time(float(value), field)


def _epoch_time(number: float, field: str) -> datetime:
    seconds = number / 1000 if number > MILLISECONDS_ABOVE else number
    if not math.isfinite(seconds) or not 0 <= seconds <= _LATEST_EPOCH_SECONDS:
        raise AdapterError(f"{field}: epoch time {number!r} is out of range")
    return datetime.fromtimestamp(seconds, UTC)


def _iso_time(text: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise AdapterError(f"{field}: not an ISO-8601 time or epoch number: {text!r}") from None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def first_time(obj: Mapping[str, object], keys: tuple[str, ...], prefix: str = "") -> datetime:
    """The event time from the first of ``keys`` that is set, or an error naming them all."""
    for key in keys:
        value = obj.get(key)
        if value is not None and value != "":
            return event_time(value, prefix + key)
    raise AdapterError(f"no event time: set one of {', '.join(prefix + key for key in keys)}")


def stable_id(prefix: str, *parts: str) -> str:
    """A deterministic event id for vendors without one: same parts, same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{prefix}-{digest[:32]}"


def content_id(prefix: str, item: Mapping[str, object], without: frozenset[str]) -> str:
    """The event id of an item its sender gave none: ``prefix-`` and the first 32 hex
    digits of the SHA-256 of its JSON with sorted keys, leaving out ``without`` (fields a
    sender sets anew each time it sends the same event), so a retry stays a duplicate."""
    content = {key: value for key, value in item.items() if key not in without}
    digest = hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"{prefix}-{digest[:32]}"


def activity_channel(vendor: str, hint: Channel | None, default: Channel) -> Channel:
    """The channel of a web or product event: the caller's (the topic's) when it is web or
    product, ``default`` without one; any other channel is a routing mistake."""
    if hint in ("web", "product"):
        return hint
    if hint is not None:
        raise AdapterError(f"{vendor} events belong on the web or product channel, not {hint!r}")
    return default


def require_email_channel(vendor: str, channel: Channel | None) -> None:
    """ESP webhooks only ever describe email; anything else is a routing mistake."""
    if channel not in (None, "email"):
        raise AdapterError(f"{vendor} events belong on the email channel, not {channel!r}")


def kind_of(value: object) -> str:
    """A short JSON-ish description of a value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"a string {value[:40]!r}"
    for python_type, name in _JSON_KINDS:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def put_tags_and_metadata(
    properties: dict[str, JsonValue], tags: list[JsonValue], metadata: dict[str, JsonValue]
) -> None:
    """Vendor tags/categories and custom metadata under the property names every vendor
    shares (``tags``, ``metadata``), omitted when empty."""
    if tags:
        properties["tags"] = tags
    if metadata:
        properties["metadata"] = metadata


def tag_list(value: object, field: str) -> list[JsonValue]:
    """Vendor tags or categories (one string or an array of strings) as a list."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise AdapterError(f"{field}: expected a string or an array of strings, got {kind_of(value)}")


#: The account of an email event (the inbound email model's default): shared, since a
#: frozen model can be.
NO_ACCOUNT: Final = Account()

#: Validates a vendor adapter's fields as a ``Signal`` in one pydantic call: the model's
#: own validator, which ``Signal.model_validate`` wraps in ~0.5 µs of Python per call.
_validate_signal: Final = Signal.__pydantic_validator__.validate_python


def validated_signal(fields: JsonObject) -> Signal:
    """``fields`` validated as a ``Signal`` (raises ``pydantic.ValidationError``).

    Vendor adapters build the signal's fields themselves and validate them once, rather
    than through an inbound event model and then again as a ``Signal``: for what an
    adapter produces the two give the same signal and the same errors. Both models
    check the same ``event_id``, ``occurred_at``, identity and ``properties``/``traits``
    rules; the inbound models' extra rules (a closed email vocabulary, an identity) are
    ones the adapters enforce before they get here, with their own reasons.
    """
    signal: Signal = _validate_signal(fields)
    return signal


def email_signal(
    source: str,
    fields: JsonObject,
    properties: dict[str, JsonValue],
    message_id: str | None,
    url: str | None,
) -> Signal:
    """What ``EmailEvent(**fields, message_id=..., url=..., properties=...).to_signal(source)``
    gives, validated once: ``message_id`` and ``url`` join ``properties`` when set."""
    # ``EmailEvent.to_signal`` passes these fields, so the signal's fields set matches.
    merged = dict(properties)
    if message_id is not None:
        merged["message_id"] = message_id
    if url is not None:
        merged["url"] = url
    base = {"channel": "email", "account": NO_ACCOUNT, "is_bot": False, "bot_reason": None}
    return validated_signal({**base, **fields, "properties": merged, "source": source})
