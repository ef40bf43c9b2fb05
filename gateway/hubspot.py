"""``POST /webhooks/hubspot``: HubSpot contact property changes → crm outcomes.

Contract:

- verified first, as HubSpot's v3 guide says: ``X-HubSpot-Signature-v3`` must be the
  HMAC of method + URI + body + ``X-HubSpot-Request-Timestamp`` with the app's client
  secret (``LEADQ_INGEST__HUBSPOT_CLIENT_SECRET``), and the timestamp (epoch ms) within
  ``hubspot_max_age_s`` (5 minutes) of now; a missing header, a forged signature or a
  stale timestamp → 401 and nothing is produced; no secret configured → 403. The URI
  is ``hubspot_webhook_url`` when set, else the request's own URL;
- the body is HubSpot's JSON array of events. Each is mapped by the table in
  ``hubspot_events`` (``leadq.adapters.hubspot``): an outcome becomes a canonical crm
  event on the crm topic, an ``email`` change a web identify linking the contact to its
  email on the web topic, both keyed by the contact (``a:hubspot:<id>``) or its email;
  events the table does not map are acknowledged and not produced (HubSpot sends every
  change of a subscribed property); a malformed event goes to the dead-letter topic with
  its reason;
- 200 once the broker has every record; HubSpot retries anything else (with the same
  ``eventId``, which the worker de-duplicates).
"""

from __future__ import annotations

import time

import orjson
from aiohttp import web

from gateway.body import parse_json, read_body
from gateway.context import CTX, Context
from gateway.items import Batch, judge
from gateway.responses import Accepted, HttpError, json_response
from gateway.signatures import HUBSPOT_SIGNATURE_HEADER, HUBSPOT_TIMESTAMP_HEADER, hubspot_valid
from leadq.adapters import AdapterError
from leadq.adapters.hubspot import HubSpotEventTable, folded, to_document
from schemas.signal import Channel


async def webhook(request: web.Request) -> web.Response:
    """HubSpot's webhook request (see the module contract)."""
    ctx = request.app[CTX]
    secret = ctx.settings.hubspot_client_secret
    if secret is None:
        raise HttpError(
            403,
            "not_configured",
            "this gateway accepts no HubSpot webhooks: LEADQ_INGEST__HUBSPOT_CLIENT_SECRET"
            " is not set",
        )
    signature = request.headers.get(HUBSPOT_SIGNATURE_HEADER)
    timestamp = request.headers.get(HUBSPOT_TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise HttpError(
            401, "unauthorized", f"missing {HUBSPOT_SIGNATURE_HEADER} or {HUBSPOT_TIMESTAMP_HEADER}"
        )
    _require_fresh(timestamp, ctx.settings.hubspot_max_age_s)
    raw = await read_body(request, ctx.settings.webhook_max_bytes)
    uri = ctx.settings.hubspot_webhook_url or _own_url(request)
    key = secret.get_secret_value().encode()
    if not hubspot_valid(key, signature, request.method, uri, raw, timestamp):
        raise HttpError(401, "invalid_signature", "the HubSpot signature does not match")
    events = parse_json(raw)
    if not isinstance(events, list):
        raise HttpError(400, "invalid_payload", "a HubSpot webhook body is a JSON array of events")
    crm, web_batch = _batches(ctx, request.path)
    table = folded(ctx.settings.hubspot_events)  # a few entries: cheaper than caching
    for index, event in enumerate(events):
        _add(crm, web_batch, index, event, table)
    await ctx.producer.send_all(crm.records + web_batch.records)
    rejected = sorted(crm.rejected + web_batch.rejected, key=lambda item: item.index)
    return json_response(Accepted(accepted=crm.accepted + web_batch.accepted, rejected=rejected))


def _require_fresh(timestamp: str, max_age_s: int) -> None:
    """401 unless ``timestamp`` (epoch milliseconds) is within ``max_age_s`` of now."""
    try:
        age_s = time.time() - int(timestamp) / 1000
    except ValueError:
        raise HttpError(401, "unauthorized", "the request timestamp is not a number") from None
    if abs(age_s) > max_age_s:
        raise HttpError(
            401, "stale_timestamp", f"the signature is {age_s:.0f} s old (at most {max_age_s} s)"
        )


def _own_url(request: web.Request) -> str:
    """The URL the sender called: scheme (a proxy's X-Forwarded-Proto), Host, path, query."""
    scheme = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
    return f"{scheme}://{request.host}{request.path_qs}"


def _batches(ctx: Context, endpoint: str) -> tuple[Batch, Batch]:
    dead_letter = ctx.topics.dead_letter
    return Batch(ctx.topics.crm, dead_letter, endpoint), Batch(
        ctx.topics.web, dead_letter, endpoint
    )


def _add(crm: Batch, web_batch: Batch, index: int, event: object, table: HubSpotEventTable) -> None:
    """Map one event and add it to its topic's batch, or dead-letter what HubSpot sent."""
    try:
        document = to_document(event, table)
    except AdapterError as error:
        crm.reject(index, str(error), orjson.dumps(event))
        return
    if document is None:
        return
    channel: Channel = "crm" if document["channel"] == "crm" else "web"
    batch = crm if channel == "crm" else web_batch
    verdict = judge(document, "leadq", channel)
    if verdict.reason is None:
        batch.accept(verdict.key, orjson.dumps(document))
    else:
        batch.reject(index, verdict.reason, orjson.dumps(event))
