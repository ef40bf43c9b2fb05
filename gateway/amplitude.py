"""Amplitude's HTTP API v2: ``POST /2/httpapi`` (``{"api_key", "events": [...]}``).

Contract:

- the project's ``api_key`` in the body must be one of ``LEADQ_INGEST__WRITE_KEYS``,
  which decides the channel (web or product); unknown or missing → 401;
- at most ``webhook_max_bytes`` (1 MiB, Amplitude's own limit) per request, else 413;
- each event is judged with the worker's Amplitude adapter and produced as one record
  keyed by its person, its ``insert_id`` and ``time`` made explicit
  (``leadq.adapters.amplitude.stamped``: the content id, the gateway's clock for an
  event without a time); events the worker would refuse go to the dead-letter topic as
  sent and are listed in the answer; 200 once the broker has them all, with the fields
  Amplitude's SDKs read (``code``, ``events_ingested``, ``payload_size_bytes``,
  ``server_upload_time``) beside the gateway's own. The ``api_key`` never reaches a
  topic (it is outside the events).
"""

from __future__ import annotations

from datetime import datetime

import orjson
from aiohttp import web

from gateway.auth import channel_of_key
from gateway.body import parse_json, read_body
from gateway.context import CTX
from gateway.items import Batch, judge
from gateway.responses import AmplitudeAccepted, HttpError, json_response
from leadq.adapters import amplitude

PATH = "/2/httpapi"


async def httpapi(request: web.Request) -> web.Response:
    """``POST /2/httpapi`` (see the module contract)."""
    ctx = request.app[CTX]
    raw = await read_body(request, ctx.settings.webhook_max_bytes)
    body = parse_json(raw)
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise HttpError(400, "invalid_payload", 'expected {"api_key": ..., "events": [...]}')
    key = body.get("api_key")
    channel = channel_of_key(ctx.settings.write_keys, key if isinstance(key, str) else None)
    batch = Batch(ctx.channel_topic(channel), ctx.topics.dead_letter, request.path)
    received_at = datetime.fromisoformat(batch.received_at)
    for index, event in enumerate(body["events"]):
        if not isinstance(event, dict):
            batch.reject(index, "event: expected a JSON object", orjson.dumps(event))
            continue
        complete = amplitude.stamped(event, received_at)
        verdict = judge(complete, "amplitude", channel)
        if verdict.reason is None:
            batch.accept(verdict.key, orjson.dumps(complete))
        else:
            batch.reject(index, verdict.reason, orjson.dumps(event))
    await ctx.producer.send_all(batch.records)
    answer = batch.answer()
    return json_response(
        AmplitudeAccepted(
            accepted=answer.accepted,
            rejected=answer.rejected,
            events_ingested=answer.accepted,
            payload_size_bytes=len(raw),
            server_upload_time=int(received_at.timestamp() * 1000),
        )
    )
