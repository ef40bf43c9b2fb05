"""The gateway's OpenAPI 3.1 document, served at ``GET /openapi.json``.

Written out rather than derived from handlers: every endpoint reads raw bytes (vendor
signatures cover them, bodies may be gzip), so request bodies are described here in
the vendors' terms, and the response bodies come from the pydantic models themselves.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from pydantic.json_schema import models_json_schema

from gateway.responses import Accepted, ErrorBody, Health
from schemas.ops import Readiness

JsonDict = dict[str, Any]
_REF = "#/components/schemas/{model}"

_ERRORS = {
    "400": "malformed JSON or payload; nothing produced",
    "401": "missing or wrong credentials or signature (HubSpot: or stale); nothing produced",
    "403": "refused: stale timestamp, replayed token, or vendor not configured",
    "413": "body or one item over its limit; nothing produced",
    "503": "broker (or token store) unavailable: retry after Retry-After seconds",
}


def _schemas() -> JsonDict:
    _, top = models_json_schema(
        [(model, "serialization") for model in (Accepted, ErrorBody, Health, Readiness)],
        ref_template=_REF,
    )
    schemas: JsonDict = top["$defs"]
    return schemas


def _json(schema: JsonDict, description: str) -> JsonDict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ingest(summary: str, body: str, security: list[JsonDict], tag: str) -> JsonDict:
    error = {"$ref": _REF.format(model="ErrorBody")}
    responses: JsonDict = {
        "200": _json({"$ref": _REF.format(model="Accepted")}, "every record acknowledged")
    }
    responses.update({code: _json(error, text) for code, text in _ERRORS.items()})
    return {
        "post": {
            "summary": summary,
            "tags": [tag],
            "security": security,
            "requestBody": {
                "required": True,
                "description": body,
                "content": {"application/json": {"schema": {"type": ["object", "array"]}}},
            },
            "responses": responses,
        }
    }


def _paths() -> JsonDict:
    # A key inside the JSON body has no OpenAPI security scheme: {} marks the operation
    # as callable without a header, and the description says where the key goes.
    tracking: list[JsonDict] = [{"basicAuth": []}, {}]
    paths: JsonDict = {}
    for call in ("track", "page", "screen", "identify", "group", "alias", "batch"):
        limit = "500 KB" if call == "batch" else "32 KB"
        paths[f"/v1/{call}"] = _ingest(
            f"Segment / RudderStack {call}",
            f"a Segment spec {call} message (batch: {{batch: [...]}}), at most {limit}; "
            "gzip allowed; 32 KB per message. Write key: Basic auth user name (empty "
            "password) or writeKey in the body",
            tracking,
            "tracking",
        )
    for path in ("/batch/", "/capture/", "/e/", "/i/v0/e/"):
        paths[path] = _ingest(
            "PostHog capture",
            "a PostHog event, an array of events or {api_key, batch: [...]}; the project "
            "key is api_key in the body or the events' properties.token",
            [{}],
            "tracking",
        )
    paths["/2/httpapi"] = _ingest(
        "Amplitude HTTP API v2",
        "{api_key, events: [...]}; the api_key is one of the write keys, at most 1 MiB",
        [{}],
        "tracking",
    )
    for path in ("/track", "/import"):
        paths[path] = _ingest(
            f"Mixpanel {path[1:]}",
            "a Mixpanel event, an array, ndjson, or form data=<json or base64>; the project "
            "token (properties.token, or for /import the Basic auth user) is a write key",
            [{"basicAuth": []}, {}] if path == "/import" else [{}],
            "tracking",
        )
    paths["/webhooks/sendgrid"] = _ingest(
        "SendGrid Signed Event Webhook",
        "SendGrid's array of events, signed (ECDSA P-256) over timestamp + body",
        [{"sendgridSignature": []}],
        "webhooks",
    )
    paths["/webhooks/mailgun"] = _ingest(
        "Mailgun webhook",
        "{signature: {timestamp, token, signature}, event-data: {...}}; the signature "
        "is HMAC-SHA256 of timestamp + token with the webhook signing key",
        [{}],
        "webhooks",
    )
    paths["/webhooks/postmark"] = _ingest(
        "Postmark webhook", "one Postmark webhook record", [{"basicAuth": []}], "webhooks"
    )
    paths["/webhooks/hubspot"] = _ingest(
        "HubSpot webhook (contact property changes)",
        "HubSpot's array of webhook events; X-HubSpot-Signature-v3 is the base64 "
        "HMAC-SHA256 of method + URI + body + X-HubSpot-Request-Timestamp with the app's "
        "client secret, the timestamp at most 5 minutes old",
        [{"hubspotSignature": []}],
        "webhooks",
    )
    health = {"$ref": _REF.format(model="Health")}
    paths["/health"] = {
        "get": {
            "summary": "whether the broker is reachable",
            "tags": ["operations"],
            "responses": {"200": _json(health, "reachable"), "503": _json(health, "unreachable")},
        }
    }
    readiness = {"$ref": _REF.format(model="Readiness")}
    paths["/ready"] = {
        "get": {
            "summary": "whether this replica can deliver (the broker answers)",
            "tags": ["operations"],
            "responses": {"200": _json(readiness, "ready"), "503": _json(readiness, "not ready")},
        }
    }
    paths["/metrics"] = {
        "get": {
            "summary": "Prometheus metrics (text format)",
            "tags": ["operations"],
            "responses": {"200": {"description": "Prometheus text exposition format"}},
        }
    }
    paths["/openapi.json"] = {
        "get": {
            "summary": "this document",
            "tags": ["operations"],
            "responses": {"200": {"description": "the OpenAPI document"}},
        }
    }
    return paths


def _security_schemes() -> JsonDict:
    return {
        "basicAuth": {"type": "http", "scheme": "basic"},
        "sendgridSignature": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Twilio-Email-Event-Webhook-Signature",
            "description": "with X-Twilio-Email-Event-Webhook-Timestamp",
        },
        "hubspotSignature": {
            "type": "apiKey",
            "in": "header",
            "name": "X-HubSpot-Signature-v3",
            "description": "with X-HubSpot-Request-Timestamp",
        },
    }


def document() -> JsonDict:
    """The whole OpenAPI document (built once per process by the app)."""
    try:
        version = metadata.version("leadq")
    except metadata.PackageNotFoundError:
        version = "0"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "leadq ingest gateway",
            "version": version,
            "description": "Accepts tracking SDKs' and ESP webhooks' requests as they send "
            "them and produces them to leadq's inbound topics. 2xx means the broker "
            "acknowledged every record.",
        },
        "paths": _paths(),
        "components": {"schemas": _schemas(), "securitySchemes": _security_schemes()},
    }
