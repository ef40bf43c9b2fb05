"""PostHog's capture API: ``POST /batch/``, ``/capture/``, ``/e/``, ``/i/v0/e/``.

Contract, as PostHog's capture server behaves where the issue is silent:

- the project API key is ``api_key`` (or ``token``) in the body, else the first event's
  ``properties.token``; it must be one of ``LEADQ_INGEST__WRITE_KEYS``, which decides
  the channel (web or product); unknown or missing → 401;
- bodies: one event, an array of events, or ``{"batch": [...]}``; gzip either declared
  (``Content-Encoding``) or announced the posthog-js way (``?compression=gzip-js``);
  posthog-js's legacy form encoding (``data=<base64 JSON>``) too. ``lz64`` → 400;
- at most ``posthog_max_body_bytes`` per request and ``posthog_max_event_bytes`` per
  event, else 413 for the whole request, nothing produced;
- each event is translated to a canonical event (``gateway.posthog_events``) and
  becomes one record keyed by its person; events that cannot be go to the dead-letter
  topic as PostHog sent them; 200 ``{"status": 1, ...}`` once the broker has them all.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qs

import orjson
from aiohttp import web

from gateway.auth import channel_of_key
from gateway.body import gunzip, parse_json, read_body, too_large
from gateway.context import CTX
from gateway.items import Batch, judge
from gateway.posthog_events import MappingError, to_canonical
from gateway.responses import HttpError, json_response
from streams.settings import TrackingChannel

PATHS = ("/batch/", "/capture/", "/e/", "/i/v0/e/")
_KEY_FIELDS = frozenset({"api_key", "token", "$token"})


async def capture(request: web.Request) -> web.Response:
    """Any PostHog capture path (see the module contract)."""
    ctx = request.app[CTX]
    limit = ctx.settings.posthog_max_body_bytes
    raw = _decoded(request, await read_body(request, limit), limit)
    body = parse_json(raw)
    events = _events(body)
    channel = channel_of_key(ctx.settings.write_keys, _token(body, events))
    sent_at = body.get("sent_at") if isinstance(body, dict) else None
    batch = Batch(ctx.channel_topic(channel), ctx.topics.dead_letter, request.path)
    for index, event in enumerate(events):
        _add(batch, index, event, channel, sent_at, ctx.settings.posthog_max_event_bytes)
    await ctx.producer.send_all(batch.records)
    return json_response(batch.answer())


def _decoded(request: web.Request, raw: bytes, limit: int) -> bytes:
    """The JSON text of the body, undoing posthog-js's own encodings."""
    compression = request.query.get("compression", "")
    if request.content_type == "application/x-www-form-urlencoded":
        raw = _form_data(raw)
    if compression in ("gzip", "gzip-js"):
        return gunzip(raw, limit)
    if compression and compression != "none":
        raise HttpError(
            400,
            "unsupported_compression",
            f"compression {compression!r} is not supported: use gzip-js",
        )
    return raw


def _form_data(raw: bytes) -> bytes:
    """posthog-js's legacy ``data=<base64 JSON>`` form body (else the body itself)."""
    fields = parse_qs(raw.decode("latin-1"))
    data = fields.get("data")
    if not data:
        return raw  # mislabelled JSON (curl's default content type): read it as sent
    try:
        return base64.b64decode(data[0])
    except (binascii.Error, ValueError):
        return data[0].encode("latin-1")  # some clients send the JSON itself


def _events(body: object) -> list[object]:
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and "batch" in body:
        batch = body["batch"]
        if not isinstance(batch, list):
            raise HttpError(400, "invalid_payload", "batch: expected an array of events")
        return batch
    if isinstance(body, dict):
        return [body]
    raise HttpError(400, "invalid_payload", "expected an event, an array of events or a batch")


def _token(body: object, events: list[object]) -> str | None:
    sources = [body] if isinstance(body, dict) else []
    if events and isinstance(events[0], dict):
        first = events[0]
        properties = first.get("properties")
        sources += [first, properties] if isinstance(properties, dict) else [first]
    for source in sources:
        for field in ("api_key", "token", "$token"):  # PostHog's own order
            value = source.get(field)
            if isinstance(value, str) and value:
                return value
    return None


def _add(
    batch: Batch, index: int, event: object, channel: TrackingChannel, sent_at: object, limit: int
) -> None:
    """Translate, judge and add one event (dead letters keep what PostHog sent)."""
    event = _without_keys(event)
    original = orjson.dumps(event)
    if len(original) > limit:
        raise too_large(f"{len(original)} bytes", limit, f"event {index}")
    try:
        document = to_canonical(event, channel, sent_at, batch.received_at)
    except MappingError as error:
        batch.reject(index, str(error), original)
        return
    verdict = judge(document, "leadq", channel)
    if verdict.reason is None:
        batch.accept(verdict.key, orjson.dumps(document))
    else:
        batch.reject(index, verdict.reason, original)


def _without_keys(event: object) -> object:
    """``event`` without the project key (a copy): keys never reach a topic."""
    if not isinstance(event, dict):
        return event
    kept = {k: v for k, v in event.items() if k not in _KEY_FIELDS}
    properties = kept.get("properties")
    if isinstance(properties, dict):
        kept["properties"] = {k: v for k, v in properties.items() if k not in _KEY_FIELDS}
    return kept
