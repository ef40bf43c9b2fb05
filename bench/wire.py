"""Wire formats of the synthetic workload: Segment, SendGrid and leadq CRM messages.

Contract: every builder returns a JSON-ready ``dict`` (a SendGrid webhook body is a
``list``) shaped as the vendor sends it and as ``leadq.adapters`` accepts it; ids come
from ``Ids`` (the seed plus a counter), times from the caller (epoch ms), never a clock.
``corrupt`` turns a serialized message into one the adapters must reject.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Final

import orjson

#: The site and product the simulated buyers look at (RFC 2606 reserved domain).
SITE: Final = "https://www.example.com"
_LIBRARY_WEB: Final = {"name": "analytics.js", "version": "2.11.1"}
_LIBRARY_SERVER: Final = {"name": "analytics-node", "version": "2.1.0"}
_USER_AGENTS: Final = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.4",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148",
)
_DAY_MS: Final = 86_400_000
_day_prefixes: dict[int, str] = {}

Message = dict[str, object]
MALFORMED_KINDS: Final = ("not_json", "wrong_type", "unknown_format", "no_identity")


def iso(at_ms: int) -> str:
    """``at_ms`` as ISO-8601 UTC with milliseconds (``2026-01-05T09:30:00.250Z``), fast."""
    day, rest = divmod(at_ms, _DAY_MS)
    prefix = _day_prefixes.get(day)
    if prefix is None:
        prefix = datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%dT")
        _day_prefixes[day] = prefix
    seconds, millis = divmod(rest, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{prefix}{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


class Ids:
    """Deterministic ids: ``<kind><seed>-<counter>``; the counter is shared by all kinds."""

    __slots__ = ("counter", "seed")

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.counter = 0

    def next(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}{self.seed}-{self.counter}"


def segment(
    ids: Ids, kind: str, at_ms: int, user_id: str | None, anonymous_id: str | None, **fields: object
) -> Message:
    """A Segment spec message (``page``/``track``/``identify``/``group``) from a browser.

    ``fields`` are the call's own fields (``name``, ``event``, ``properties``,
    ``traits``, ``groupId``); ``context`` may be passed to replace the browser context.
    """
    message: Message = {"type": kind, "messageId": ids.next("ajs-"), "timestamp": iso(at_ms)}
    if user_id is not None:
        message["userId"] = user_id
    if anonymous_id is not None:
        message["anonymousId"] = anonymous_id
    message["context"] = {"library": _LIBRARY_WEB, "locale": "en-US"}
    message.update(fields)
    return message


def page(
    ids: Ids, at_ms: int, user_id: str | None, anonymous_id: str | None, path: str, title: str
) -> Message:
    """A page view; the path is in ``properties.path``, where the rules look."""
    properties = {"path": path, "url": SITE + path, "title": title, "referrer": ""}
    return segment(ids, "page", at_ms, user_id, anonymous_id, name=title, properties=properties)


def server_track(
    ids: Ids, at_ms: int, user_id: str, event: str, group_id: str | None, properties: Message
) -> Message:
    """A product ``track`` call from the backend library (user id and group id only)."""
    context: Message = {"library": _LIBRARY_SERVER}
    if group_id is not None:
        context["groupId"] = group_id
    message: Message = {
        "type": "track",
        "messageId": ids.next("node-"),
        "timestamp": iso(at_ms),
        "userId": user_id,
        "event": event,
        "properties": properties,
        "context": context,
    }
    return message


def sendgrid_event(
    ids: Ids, at_s: int, email: str, event: str, message_id: str, **fields: object
) -> Message:
    """One SendGrid Event Webhook item (``timestamp`` in epoch seconds)."""
    item: Message = {
        "email": email,
        "timestamp": at_s,
        "event": event,
        "sg_event_id": ids.next("sg-"),
        "sg_message_id": message_id,
        "category": ["nurture"],
    }
    item.update(fields)
    return item


def user_agent(rng: random.Random) -> str:
    return rng.choice(_USER_AGENTS)


def crm_event(
    ids: Ids, at_ms: int, name: str, email: str, domain: str | None, **fields: object
) -> Message:
    """A leadq canonical CRM event (sales feedback), as a CRM sync would send it."""
    event: Message = {
        "schema_version": 1,
        "channel": "crm",
        "event_id": ids.next("crm-"),
        "name": name,
        "occurred_at": iso(at_ms),
        "identity": {"email": email},
    }
    if domain is not None:
        event["account"] = {"id": domain, "domain": domain}
    event.update(fields)
    return event


def corrupt(value: bytes, kind: str) -> bytes:
    """``value`` (a valid message) made into one of ``MALFORMED_KINDS``.

    not_json truncates it; wrong_type puts a boolean or text where a time or amount
    goes; unknown_format sends a shape no adapter detects; no_identity drops every
    identity field. The first SendGrid item is the one spoiled in an array.
    """
    if kind == "not_json":
        return value[: max(1, len(value) // 2)]
    document = orjson.loads(value)
    item = document[0] if isinstance(document, list) else document
    if kind == "wrong_type":
        _wrong_type(item)
    elif kind == "no_identity":
        for field in ("userId", "anonymousId", "email", "identity", "groupId"):
            item.pop(field, None)
        item.get("traits", {}).pop("email", None)
    else:
        return orjson.dumps({"kind": "pageview", "visitor": "v-1", "ts": item.get("timestamp")})
    return orjson.dumps(document)


def _wrong_type(item: dict[str, object]) -> None:
    if "schema_version" in item:
        item["amount"] = "a lot"
    elif "sg_event_id" in item:
        item["timestamp"] = "yesterday"
    else:
        item["timestamp"] = True
