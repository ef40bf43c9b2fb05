"""Segment's and RudderStack's HTTP Tracking API: ``POST /v1/{track,page,...,batch}``.

Contract, as Segment's own servers behave where the issue is silent:

- the write key is the Basic auth user name (password ignored) or ``writeKey`` in the
  body; it decides the channel (web or product); unknown or missing → 401;
- a single call's body is at most ``max_message_bytes`` (32 KB) and its type is the
  path's; a batch is at most ``max_batch_bytes`` (500 KB) and each of its messages at
  most 32 KB, else 413 for the whole request (Segment answers 400; the SDKs give up on
  either) — nothing produced;
- a batch envelope's ``context``, ``integrations`` and ``sentAt`` apply to each message;
  ``writeKey`` is removed everywhere (it never reaches a topic); each message gets
  ``receivedAt`` (the gateway's clock) and, when it has none, a ``messageId`` derived
  from its content without what changes on a retry (``leadq.adapters.segment.message_id``:
  ``sentAt``, ``receivedAt``, ``writeKey`` left out), so a retried request gives the same
  ids;
- each message becomes one record, keyed by its person (see ``gateway.items``); messages
  the worker would refuse go to the dead-letter topic and the 200 body lists them.
"""

from __future__ import annotations

from typing import Final

import orjson
from aiohttp import web

from gateway.auth import basic_credentials, channel_of_key
from gateway.body import parse_json, read_body, too_large
from gateway.context import CTX
from gateway.items import Batch
from gateway.responses import HttpError, json_response
from leadq.adapters.segment import message_id, unbatch

CALLS: Final = ("track", "page", "screen", "identify", "group", "alias")


async def handle(request: web.Request) -> web.Response:
    """Any ``/v1/<call>`` or ``/v1/batch`` request (the route's ``call`` says which)."""
    ctx = request.app[CTX]
    call = request.match_info["call"]
    basic = basic_credentials(request.headers.get("Authorization"))
    if basic is not None:
        channel_of_key(ctx.settings.write_keys, basic[0])  # 401 before reading the body
    limit = ctx.settings.max_batch_bytes if call == "batch" else ctx.settings.max_message_bytes
    body = parse_json(await read_body(request, limit))
    if not isinstance(body, dict):
        raise HttpError(400, "invalid_payload", "the body must be a JSON object")
    key = basic[0] if basic is not None else _string(body.get("writeKey"))
    channel = channel_of_key(ctx.settings.write_keys, key)
    messages = _messages(body, call)
    batch = Batch(ctx.channel_topic(channel), ctx.topics.dead_letter, request.path)
    limit = ctx.settings.max_message_bytes
    for index, message in enumerate(messages):
        prepared = _prepared(message, batch.received_at)
        value = orjson.dumps(prepared)
        if len(value) > limit:
            raise too_large(f"{len(value)} bytes", limit, f"message {index}")
        batch.add(index, prepared, "auto", channel, value, explain_as="segment")
    await ctx.producer.send_all(batch.records)
    return json_response(batch.answer())


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _messages(body: dict[str, object], call: str) -> list[object]:
    """The request's messages, envelope fields applied (a single call: the body)."""
    if call != "batch":
        return [{**body, "type": call}]
    if not isinstance(body.get("batch"), list):
        raise HttpError(400, "invalid_payload", "batch: expected an array of messages")
    return unbatch({k: v for k, v in body.items() if k != "writeKey"})


def _prepared(message: object, received_at: str) -> object:
    """``message`` as the gateway produces it (see the module contract). The message is
    this request's own parsed object, so it is completed in place."""
    if not isinstance(message, dict):
        return message  # the adapter explains what is wrong with it
    message.pop("writeKey", None)
    if not message.get("messageId"):
        # The worker's own rule (what changes on a retry, like sentAt, is left out), so
        # an SDK's retry of this request gives the same ids.
        message["messageId"] = message_id(message)
    message["receivedAt"] = received_at
    return message
