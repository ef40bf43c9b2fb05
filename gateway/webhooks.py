"""ESP event webhooks: SendGrid, Mailgun, Postmark → the email topic, verified first.

Contract, for each endpoint: a request that fails verification (missing or forged
signature, wrong key or credentials, a stale Mailgun timestamp or a replayed token)
gets 401/403 and nothing is produced; a verifier that is not configured refuses its
vendor (403). A verified body is judged with the worker's adapter: good events go to
the email topic, bad ones to the dead-letter topic, and 200 answers once the broker
has them all. Each vendor retries any other answer (Mailgun: all but 200 and 406), so
a 401 caused by a misconfigured key is recovered by the vendor's retries once fixed.

Records: a SendGrid array becomes one record per recipient holding that recipient's
events in order (the worker's link-scanner rule looks at one record's clicks of one
recipient and message, so they must stay together), keyed ``e:<email>``; a Mailgun or
Postmark body is one event and is produced as the raw bytes it arrived as.
"""

from __future__ import annotations

import time

import orjson
from aiohttp import web

from gateway.auth import require_basic
from gateway.body import parse_json, read_body
from gateway.context import CTX, Context
from gateway.items import Batch, judge
from gateway.responses import HttpError, json_response
from gateway.signatures import (
    SENDGRID_SIGNATURE_HEADER,
    SENDGRID_TIMESTAMP_HEADER,
    MailgunSignature,
)


def _not_configured(vendor: str, variable: str) -> HttpError:
    return HttpError(
        403, "not_configured", f"this gateway accepts no {vendor} webhooks: {variable} is not set"
    )


def _email_batch(ctx: Context, endpoint: str) -> Batch:
    return Batch(ctx.topics.email, ctx.topics.dead_letter, endpoint)


async def sendgrid(request: web.Request) -> web.Response:
    """``POST /webhooks/sendgrid``: a Signed Event Webhook array."""
    ctx = request.app[CTX]
    if ctx.sendgrid is None:
        raise _not_configured("SendGrid", "LEADQ_INGEST__SENDGRID_PUBLIC_KEY")
    signature = request.headers.get(SENDGRID_SIGNATURE_HEADER)
    timestamp = request.headers.get(SENDGRID_TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise HttpError(401, "unauthorized", f"missing {SENDGRID_SIGNATURE_HEADER} or -Timestamp")
    raw = await read_body(request, ctx.settings.webhook_max_bytes)
    if not ctx.sendgrid.valid(signature, timestamp, raw):
        raise HttpError(401, "invalid_signature", "the SendGrid signature does not match the body")
    events = parse_json(raw)
    if not isinstance(events, list):
        raise HttpError(400, "invalid_payload", "a SendGrid webhook body is a JSON array of events")
    batch = _email_batch(ctx, request.path)
    by_key: dict[bytes | None, list[object]] = {}
    for index, event in enumerate(events):
        verdict = judge(event, "sendgrid", "email")
        if verdict.reason is None:
            by_key.setdefault(verdict.key, []).append(event)
        else:
            batch.reject(index, verdict.reason, orjson.dumps(event))
    for key, group in by_key.items():
        batch.accept(key, orjson.dumps(group), items=len(group))
    await ctx.producer.send_all(batch.records)
    return json_response(batch.answer())


async def mailgun(request: web.Request) -> web.Response:
    """``POST /webhooks/mailgun``: one JSON event with its ``signature`` block."""
    ctx = request.app[CTX]
    if ctx.settings.mailgun_signing_key is None or ctx.tokens is None:
        raise _not_configured("Mailgun", "LEADQ_INGEST__MAILGUN_SIGNING_KEY")
    raw = await read_body(request, ctx.settings.webhook_max_bytes)
    body = parse_json(raw)
    block = body.get("signature") if isinstance(body, dict) else None
    if not isinstance(block, dict):
        raise HttpError(401, "unauthorized", "the body has no Mailgun signature block")
    try:
        signed = MailgunSignature.of(block)
    except ValueError:
        raise HttpError(
            401, "unauthorized", "the signature block lacks timestamp, token or signature"
        ) from None
    if not signed.valid(ctx.settings.mailgun_signing_key.get_secret_value().encode()):
        raise HttpError(401, "invalid_signature", "the Mailgun signature does not match")
    _require_fresh(signed.timestamp, ctx.settings.mailgun_max_age_s)
    if await ctx.tokens.used(signed.token):
        raise HttpError(403, "replayed_token", "this Mailgun token was already used")
    batch = _email_batch(ctx, request.path)
    _add_single(batch, body, raw, "mailgun")
    await ctx.producer.send_all(batch.records)
    await ctx.tokens.remember(signed.token)
    return json_response(batch.answer())


def _require_fresh(timestamp: str, max_age_s: int) -> None:
    """403 unless ``timestamp`` (epoch seconds) is within ``max_age_s`` of now."""
    try:
        age = time.time() - float(timestamp)
    except ValueError:
        raise HttpError(401, "unauthorized", "the signature timestamp is not a number") from None
    if abs(age) > max_age_s:
        raise HttpError(
            403, "stale_timestamp", f"the signature is {age:.0f} s old (at most {max_age_s} s)"
        )


async def postmark(request: web.Request) -> web.Response:
    """``POST /webhooks/postmark``: one JSON record, sent with HTTP basic auth."""
    ctx = request.app[CTX]
    expected = ctx.settings.postmark_basic_auth
    if expected is None:
        raise _not_configured("Postmark", "LEADQ_INGEST__POSTMARK_BASIC_AUTH")
    require_basic(request.headers.get("Authorization"), expected)
    raw = await read_body(request, ctx.settings.webhook_max_bytes)
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise HttpError(400, "invalid_payload", "a Postmark webhook body is one JSON object")
    batch = _email_batch(ctx, request.path)
    _add_single(batch, body, raw, "postmark")
    await ctx.producer.send_all(batch.records)
    return json_response(batch.answer())


def _add_single(batch: Batch, body: object, raw: bytes, fmt: str) -> None:
    """A one-event body, produced as the bytes it arrived as (or dead-lettered)."""
    verdict = judge(body, fmt, "email")
    if verdict.reason is None:
        batch.accept(verdict.key, raw)
    else:
        batch.reject(0, verdict.reason, raw)
