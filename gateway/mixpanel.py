"""Mixpanel's ingestion API: ``POST /track`` and ``POST /import``.

Contract:

- bodies as Mixpanel takes them: a JSON event or array of events, newline-delimited
  JSON, or the form field ``data`` holding either (mixpanel-python posts
  ``data=<json>``; the older JavaScript library base64-encodes it); at most
  ``webhook_max_bytes`` (1 MiB), else 413;
- the project token decides the channel and must be one of ``LEADQ_INGEST__WRITE_KEYS``:
  ``/import`` reads it as the Basic auth user name (Mixpanel's project-token auth), else
  and for ``/track`` from the first event's ``properties.token``; unknown or missing →
  401;
- each event is judged with the worker's Mixpanel adapter and produced as one record
  keyed by its person, without its ``token``, with ``$insert_id`` and ``time`` made
  explicit (``leadq.adapters.mixpanel.stamped``); events the worker would refuse go to
  the dead-letter topic (without the token) and are listed in the answer; 200 with
  ``"status": 1`` (what mixpanel-python checks) once the broker has them all.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from urllib.parse import parse_qs

import orjson
from aiohttp import web

from gateway.auth import basic_credentials, channel_of_key
from gateway.body import parse_json, read_body
from gateway.context import CTX
from gateway.items import Batch, judge
from gateway.responses import HttpError, json_response
from leadq.adapters import mixpanel

PATHS = ("/track", "/import")


async def ingest(request: web.Request) -> web.Response:
    """``POST /track`` or ``/import`` (see the module contract)."""
    ctx = request.app[CTX]
    raw = _json_text(request, await read_body(request, ctx.settings.webhook_max_bytes))
    events = _events(raw)
    channel = channel_of_key(ctx.settings.write_keys, _token(request, events))
    batch = Batch(ctx.channel_topic(channel), ctx.topics.dead_letter, request.path)
    received_at = datetime.fromisoformat(batch.received_at)
    for index, event in enumerate(events):
        complete = mixpanel.stamped(event, received_at)
        verdict = judge(complete, "mixpanel", channel)
        if verdict.reason is None:
            batch.accept(verdict.key, orjson.dumps(complete))
        else:
            batch.reject(index, verdict.reason, orjson.dumps(_without_token(event)))
    await ctx.producer.send_all(batch.records)
    return json_response(batch.answer())


def _json_text(request: web.Request, raw: bytes) -> bytes:
    """The JSON of the body: the form field ``data`` (plain or base64) when form-encoded."""
    if request.content_type != "application/x-www-form-urlencoded":
        return raw
    data = parse_qs(raw.decode("utf-8", "replace")).get("data")
    if not data:
        raise HttpError(400, "invalid_payload", "a form body must carry the events in data=")
    text = data[0].strip()
    if text[:1] in ("[", "{"):
        return text.encode()
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise HttpError(400, "invalid_payload", "data= is neither JSON nor base64") from None


def _events(raw: bytes) -> list[object]:
    """One event, an array, or newline-delimited JSON."""
    lines = [line for line in raw.splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].lstrip().startswith(b"{"):
        return [parse_json(line) for line in lines]
    body = parse_json(raw)
    return body if isinstance(body, list) else [body]


def _token(request: web.Request, events: list[object]) -> str | None:
    basic = basic_credentials(request.headers.get("Authorization"))
    if basic is not None and request.path == "/import" and basic[0]:
        return basic[0]
    first = events[0] if events else None
    properties = first.get("properties") if isinstance(first, dict) else None
    token = properties.get("token") if isinstance(properties, dict) else None
    return token if isinstance(token, str) else None


def _without_token(event: object) -> object:
    """``event`` without ``properties.token`` (a copy): credentials never reach a topic."""
    if not isinstance(event, dict) or not isinstance(event.get("properties"), dict):
        return event
    properties = {k: v for k, v in event["properties"].items() if k != "token"}
    return {**event, "properties": properties}
