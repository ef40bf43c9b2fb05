"""Segment spec messages (track, page, screen, identify, group, alias) → ``Signal``.

RudderStack speaks the same spec, so this module serves both; ``rudderstack`` only
decides which name to stamp as the source. Contract of ``convert``:

- ``event_id`` = ``messageId``; a message without one (Segment's own HTTP API examples
  have none) gets ``message_id``: a digest of its canonical JSON without the fields
  that change when the same message is sent again (``CHANGES_ON_RETRY``), so a retry
  stays a duplicate;
- the event time (``event_time_of``) is ``timestamp``; else ``originalTimestamp``, else
  ``sentAt``, corrected for the device's clock skew by Segment's own formula
  (``receivedAt - (sentAt - originalTimestamp)``) when ``sentAt`` and ``receivedAt``
  are both present; else ``receivedAt``; else the caller's ``received_at`` (the Kafka
  record's timestamp in the stream);
- identity from ``userId``/``anonymousId``, the email from ``traits.email`` (identify
  only; group traits describe the company), ``context.traits.email`` or
  ``properties.email``; ``previousId`` on alias;
- account: ``groupId`` plus the domain from the group traits' ``website``/``domain`` on
  group calls, else ``context.groupId``;
- channel: the caller's hint (the topic: web or product) wins; without one, screen
  calls are product and everything else web.

Unknown vendor fields are ignored; what cannot be understood raises ``AdapterError``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Final, cast

from pydantic import JsonValue

from leadq.adapters._common import (
    NO_ACCOUNT,
    AdapterError,
    JsonObject,
    as_object,
    content_id,
    domain_of,
    email_address,
    event_time,
    identifier,
    json_object,
    optional_object,
    optional_str,
    required_str,
    validated_signal,
)
from schemas.signal import Account, Channel, Signal, SignalType

SPEC_TYPES: Final = frozenset({"track", "page", "screen", "identify", "group", "alias"})
#: Fields a sender sets anew each time it sends the same message (the send time, the
#: arrival time, the credential), left out of ``content_id``.
CHANGES_ON_RETRY: Final = frozenset({"sentAt", "receivedAt", "writeKey", "messageId"})
_DEVICE_TIMES: Final = ("originalTimestamp", "sentAt")
_TIME_KEYS: Final = ("timestamp", *_DEVICE_TIMES, "receivedAt")


def unbatch(document: object) -> list[object]:
    """The messages of an HTTP ``batch`` envelope, with the envelope's shared fields.

    The HTTP API lets a batch carry ``context``, ``integrations`` and ``sentAt`` once for
    all its messages; a message's own values win.
    """
    envelope = as_object(document, "document")
    batch = batch_of(envelope)
    shared: JsonObject = {
        key: envelope[key] for key in ("sentAt", "integrations") if key in envelope
    }
    context = envelope.get("context")
    return list(_with_shared(batch, shared, context))


def batch_of(document: object) -> list[object]:
    """The envelope's ``batch`` array as sent."""
    batch = as_object(document, "document").get("batch")
    if not isinstance(batch, list):
        raise AdapterError("batch: expected an array of messages")
    return batch


def _with_shared(batch: list[object], shared: JsonObject, context: object) -> Iterator[object]:
    for message in batch:
        if not isinstance(message, dict) or not (shared or isinstance(context, dict)):
            yield message
            continue
        merged: JsonObject = {**shared, **message}
        if isinstance(context, dict):
            merged["context"] = {**context, **optional_object(message, "context")}
        yield merged


def to_signal(
    message: object, channel: Channel | None, received_at: datetime | None = None
) -> Signal:
    """A Segment message as a ``Signal`` with ``source="segment"``."""
    return convert(message, channel, "segment", received_at)


def message_id(message: Mapping[str, object]) -> str:
    """The message's ``messageId``, else its ``content_id`` without ``CHANGES_ON_RETRY``."""
    return optional_str(message, "messageId") or content_id("sha256", message, CHANGES_ON_RETRY)


def event_time_of(msg: Mapping[str, object], received_at: datetime | None = None) -> datetime:
    """When the message happened, by the module contract's order of fallbacks."""
    if _is_set(msg.get("timestamp")):
        return event_time(msg["timestamp"], "timestamp")
    received = _is_set(msg.get("receivedAt"))
    for key in _DEVICE_TIMES:
        if _is_set(msg.get(key)):
            device_time = event_time(msg[key], key)
            if not (received and _is_set(msg.get("sentAt"))):
                return device_time
            skew = event_time(msg["receivedAt"], "receivedAt") - event_time(msg["sentAt"], "sentAt")
            return device_time + skew
    if received:
        return event_time(msg["receivedAt"], "receivedAt")
    if received_at is not None:
        return received_at
    raise AdapterError(f"no event time: set one of {', '.join(_TIME_KEYS)}")


def _is_set(value: object) -> bool:
    return value is not None and value != ""


def convert(
    message: object, channel: Channel | None, source: str, received_at: datetime | None = None
) -> Signal:
    """One spec message as a ``Signal`` stamped with ``source``; see the module contract."""
    msg = as_object(message, "message")
    kind = _call_type(msg)
    context = optional_object(msg, "context")
    # identify/group carry their own traits; other calls repeat the user's in context.
    own_traits = kind in ("identify", "group")
    traits = json_object(
        msg.get("traits") if own_traits else context.get("traits"),
        "traits" if own_traits else "context.traits",
    )
    properties = json_object(msg.get("properties"), "properties")
    signal_channel = _channel(kind, channel, source)
    # The fields in the order the checks ran before (the first problem found is the
    # reason given); one validation as a Signal, which enforces everything the web or
    # product event model did (see ``validated_signal``).
    event_id = message_id(msg)
    name = _name(kind, msg, properties)
    occurred_at = event_time_of(msg, received_at)
    identity = _identity(kind, msg, context, properties)
    account = _account(kind, msg, context)
    return validated_signal(
        {
            "event_id": event_id,
            "channel": signal_channel,
            "type": kind,
            "name": name,
            "occurred_at": occurred_at,
            "identity": identity,
            "account": account,
            "properties": _page_properties(properties, context) if kind == "page" else properties,
            "traits": traits,
            "is_bot": False,
            "bot_reason": None,
            "source": source,
        }
    )


def _call_type(msg: JsonObject) -> SignalType:
    kind = msg.get("type")
    if kind not in SPEC_TYPES:
        expected = ", ".join(sorted(SPEC_TYPES))
        raise AdapterError(f"type: expected one of {expected}, got {kind!r}")
    return cast(SignalType, kind)


def _channel(kind: SignalType, hint: Channel | None, source: str) -> Channel:
    if hint in ("web", "product"):
        return hint
    if hint is not None:
        raise AdapterError(f"{source} messages belong on the web or product channel, not {hint!r}")
    return "product" if kind == "screen" else "web"


def _name(kind: SignalType, msg: JsonObject, properties: dict[str, JsonValue]) -> str:
    if kind == "track":
        return required_str(msg, "event")
    if kind in ("page", "screen"):
        fallback = properties.get("name")
        return optional_str(msg, "name") or (fallback if isinstance(fallback, str) else "")
    return ""


def _identity(
    kind: SignalType, msg: JsonObject, context: JsonObject, properties: dict[str, JsonValue]
) -> JsonObject:
    identity: JsonObject = {
        "user_id": identifier(msg, "userId"),
        "anonymous_id": identifier(msg, "anonymousId"),
        "email": _email(kind, msg, context, properties),
        "previous_id": _previous_id(msg) if kind == "alias" else None,
    }
    # ``Identity.is_empty``: the email is already checked to be a non-empty address.
    empty = not (identity["user_id"] or identity["email"] or identity["anonymous_id"])
    if empty and kind != "group":
        raise AdapterError("no identity: set userId, anonymousId or an email trait")
    return identity


def _previous_id(msg: JsonObject) -> str:
    previous = identifier(msg, "previousId")
    if previous is None:
        raise AdapterError("previousId: required but missing or empty")
    return previous


def _email(
    kind: SignalType, msg: JsonObject, context: JsonObject, properties: dict[str, JsonValue]
) -> str | None:
    candidates: list[tuple[Mapping[str, object], str]] = [
        (optional_object(context, "traits", "context.traits"), "context.traits.email"),
        (properties, "properties.email"),
    ]
    if kind == "identify":
        candidates.insert(0, (optional_object(msg, "traits"), "traits.email"))
    for source, field in candidates:
        value = optional_str(source, "email", field)
        if value is not None:
            return email_address(value, field)
    return None


def _account(kind: SignalType, msg: JsonObject, context: JsonObject) -> Account | JsonObject:
    if kind != "group":
        account_id = identifier(context, "groupId", "context.groupId")
        # No account is the common case: the shared empty account saves a model build.
        return NO_ACCOUNT if account_id is None else {"id": account_id}
    traits = optional_object(msg, "traits")
    website = optional_str(traits, "website", "traits.website")
    domain = optional_str(traits, "domain", "traits.domain")
    group_id = identifier(msg, "groupId")
    if group_id is None:
        raise AdapterError("groupId: required but missing or empty")
    return {"id": group_id, "domain": domain_of(domain or website)}


def _page_properties(properties: dict[str, JsonValue], context: JsonObject) -> dict[str, JsonValue]:
    """Page properties, completed from ``context.page`` (path, url, title, referrer...)."""
    page = json_object(context.get("page"), "context.page")
    return {**page, **properties} if page else properties
