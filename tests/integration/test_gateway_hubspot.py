"""``POST /webhooks/hubspot`` on a real gateway and broker: HubSpot's v3-signed requests
become crm events (and contact links); forged, stale or unsigned requests are refused
with 401 and produce nothing.

Signatures are computed here as HubSpot's request validation guide describes them
(base64 HMAC-SHA256 of method + URI + body + timestamp with the client secret), not with
the gateway's own function.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from agents.worker import build_app
from gateway.server import running_gateway
from leadq.adapters import normalize_bytes
from leadq.compiled import compile_rules
from leadq.state import LeadState
from schemas.rules import load_rules
from streams.settings import Settings
from tests.helpers import produce, running_app, wait_for
from tests.integration.gateway_support import gateway_settings, on, post, produced, url
from tests.integration.scenario import open_store

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[1] / "unit" / "vendor_examples"
SECRET = "7c3b1a52-0d4e-4e5b-9b8f-2f1e6d5c4b3a"
PATH = "/webhooks/hubspot"


def change(event_id: int, contact: int, name: str, value: str) -> dict[str, Any]:
    return {"objectId": contact, "propertyName": name, "propertyValue": value,
            "changeSource": "CRM_UI", "eventId": event_id, "subscriptionId": 25,
            "portalId": 33, "appId": 1160452, "occurredAt": 1796000000000,
            "subscriptionType": "contact.propertyChange", "attemptNumber": 0}  # fmt: skip


def signed(body: bytes, uri: str, secret: str = SECRET, at_ms: int | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() * 1000) if at_ms is None else at_ms)
    message = b"POST" + uri.encode() + body + timestamp.encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return {
        "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
        "X-HubSpot-Request-Timestamp": timestamp,
        "X-HubSpot-Signature-Version": "v3",
    }


def body_of(events: list[object]) -> bytes:
    return json.dumps(events, indent=2).encode()  # HubSpot's bytes, whatever their layout


async def test_signed_changes_become_crm_events_and_links(leadq_settings: Settings) -> None:
    settings = gateway_settings(leadq_settings, hubspot_client_secret=SECRET)
    documented = json.loads((EXAMPLES / "hubspot_webhook.json").read_text())  # no outcome
    malformed = {**change(9, 501, "lifecyclestage", "customer"), "eventId": None}
    events: list[object] = [
        *documented,
        change(1, 501, "lifecyclestage", "customer"),
        change(2, 502, "hs_lead_status", "UNQUALIFIED"),
        change(3, 501, "email", "Ada@Acme.io"),
        malformed,
    ]
    body = body_of(events)
    topics = settings.topics
    async with running_gateway(settings):
        answer = await post(settings, PATH, body, signed(body, url(settings, PATH)))
        records = await produced(settings, [topics.crm, topics.web, topics.dead_letter])
    assert answer.status == 200
    assert (answer.body["accepted"], answer.body["rejected"]) == (
        3,
        [{"index": 5, "reason": "eventId: required but missing or empty"}],
    )
    crm = on(records, topics.crm)
    assert sorted(record.key or b"" for record in crm) == [b"a:hubspot:501", b"a:hubspot:502"]
    outcomes = {}
    for record in crm:
        [signal] = normalize_bytes(record.value or b"", channel="crm").signals
        outcomes[signal.identity.anonymous_id] = (signal.name, signal.properties.get("reason"))
    assert outcomes == {
        "hubspot:501": ("opportunity_won", None),
        "hubspot:502": ("sales_rejected", "unqualified"),
    }
    (link,) = on(records, topics.web)
    assert link.key == b"e:ada@acme.io"
    [identify] = normalize_bytes(link.value or b"", channel="web").signals
    assert (identify.type, identify.identity.anonymous_id) == ("identify", "hubspot:501")
    (dead,) = on(records, topics.dead_letter)
    assert orjson.loads(dead.value or b"") == malformed  # as HubSpot sent it


async def test_the_configured_public_url_is_what_the_signature_covers(
    leadq_settings: Settings,
) -> None:
    public = "https://leadq.example.com/webhooks/hubspot"
    settings = gateway_settings(
        leadq_settings, hubspot_client_secret=SECRET, hubspot_webhook_url=public
    )
    body = body_of([change(1, 7, "lifecyclestage", "opportunity")])
    async with running_gateway(settings):
        as_configured = await post(settings, PATH, body, signed(body, public))
        as_called = await post(settings, PATH, body, signed(body, url(settings, PATH)))
    assert (as_configured.status, as_configured.body["accepted"]) == (200, 1)
    assert (as_called.status, as_called.body["code"]) == (401, "invalid_signature")


def _refusals(settings: Settings) -> list[tuple[str, bytes, dict[str, str], str]]:
    body = body_of([change(1, 501, "lifecyclestage", "customer")])
    own = url(settings, PATH)
    six_minutes_ago = int(time.time() * 1000) - 6 * 60 * 1000
    in_ten_minutes = int(time.time() * 1000) + 10 * 60 * 1000
    return [
        ("wrong secret", body, signed(body, own, secret="another-secret"), "invalid_signature"),
        ("body changed", body, signed(body + b" ", own), "invalid_signature"),
        ("stale", body, signed(body, own, at_ms=six_minutes_ago), "stale_timestamp"),
        ("future", body, signed(body, own, at_ms=in_ten_minutes), "stale_timestamp"),
        ("unsigned", body, {}, "unauthorized"),
    ]


async def test_forged_stale_and_unsigned_requests_are_refused(leadq_settings: Settings) -> None:
    settings = gateway_settings(leadq_settings, hubspot_client_secret=SECRET)
    topics = settings.topics
    async with running_gateway(settings):
        answers = {
            name: await post(settings, PATH, body, headers)
            for name, body, headers, _ in _refusals(settings)
        }
        records = await produced(settings, [topics.crm, topics.web, topics.dead_letter])
    expected = {name: (401, code) for name, _, _, code in _refusals(settings)}
    assert {name: (a.status, a.body["code"]) for name, a in answers.items()} == expected
    assert records == []


async def test_without_a_secret_hubspot_is_refused(leadq_settings: Settings) -> None:
    settings = gateway_settings(leadq_settings)
    body = body_of([change(1, 501, "lifecyclestage", "customer")])
    async with running_gateway(settings):
        answer = await post(settings, PATH, body, signed(body, url(settings, PATH)))
    assert (answer.status, answer.body["code"]) == (403, "not_configured")
    assert "LEADQ_INGEST__HUBSPOT_CLIENT_SECRET" in answer.body["message"]


async def test_a_hubspot_outcome_reaches_the_lead_its_email_built(
    qualifier_settings: Settings,
) -> None:
    # The lead exists by its email (a Segment identify); HubSpot then links its contact to
    # that email and marks it a customer. Through the real gateway and worker, the crm
    # event lands on that same lead, whatever order the two topics are read in.
    settings = gateway_settings(qualifier_settings, hubspot_client_secret=SECRET)
    rules = compile_rules(load_rules(settings.rules_path))
    now_ms = int(time.time() * 1000)
    identify = {"type": "identify", "userId": "ada", "messageId": "seg-1",
                "timestamp": now_ms - 60_000, "traits": {"email": "ada@acme.io"}}  # fmt: skip
    link = {**change(11, 501, "email", "ada@acme.io"), "occurredAt": now_ms - 30_000}
    won = {**change(12, 501, "lifecyclestage", "customer"), "occurredAt": now_ms - 20_000}
    body = body_of([link, won])
    async with (
        running_app(build_app(settings)),
        open_store(settings, rules) as store,
        running_gateway(settings),
    ):
        await produce(settings.kafka_bootstrap, settings.topics.web, [orjson.dumps(identify)])
        await wait_for(lambda: store.lead("u:ada"), "the lead from Segment")
        answer = await post(settings, PATH, body, signed(body, url(settings, PATH)))
        assert (answer.status, answer.body["accepted"]) == (200, 2)

        async def outcome_applied() -> LeadState | None:
            lead = await store.lead("u:ada")
            return lead if lead is not None and lead.has_seen("hubspot-12") else None

        lead = await wait_for(outcome_applied, "the HubSpot outcome on the lead")
        contact_root = await store.root("a:hubspot:501")
    assert contact_root == "u:ada"
    assert lead is not None
    assert lead.email == "ada@acme.io"
