"""HubSpot webhook events → crm outcomes (the mapping table) and the v3 signature.

hubspot_webhook.json is the webhook payload example of HubSpot's webhooks docs
(https://developers.hubspot.com/docs/api/webhooks), verbatim: a lifecycle stage change
to ``subscriber`` and a contact creation, its type in ``eventType``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from gateway.signatures import hubspot_request_uri, hubspot_signature, hubspot_valid
from leadq.adapters import AdapterError, normalize
from leadq.adapters.hubspot import DEFAULT_HUBSPOT_EVENTS, folded, to_document
from streams.settings import IngestSettings

EXAMPLES = Path(__file__).parent / "vendor_examples"
TABLE = folded(DEFAULT_HUBSPOT_EVENTS)


def change(name: str, value: str, **fields: object) -> dict[str, Any]:
    return {"objectId": 1246965, "propertyName": name, "propertyValue": value,
            "changeSource": "CRM_UI", "eventId": 3816279340, "subscriptionId": 25,
            "portalId": 33, "appId": 1160452, "occurredAt": 1462216307945,
            "subscriptionType": "contact.propertyChange", "attemptNumber": 0, **fields}  # fmt: skip


def test_the_documented_example_has_no_outcome() -> None:
    events = json.loads((EXAMPLES / "hubspot_webhook.json").read_text())
    assert [to_document(event, TABLE) for event in events] == [None, None]


@pytest.mark.parametrize(
    ("name", "value", "event", "reason"),
    [
        ("lifecyclestage", "salesqualifiedlead", "sales_accepted", None),
        ("lifecyclestage", "opportunity", "opportunity_created", None),
        ("lifecyclestage", "customer", "opportunity_won", None),
        ("hs_lead_status", "UNQUALIFIED", "sales_rejected", "unqualified"),
        ("hs_lead_status", "BAD_TIMING", "sales_rejected", "bad_timing"),
        ("hs_lead_status", "CONNECTED", "sales_accepted", None),
        ("hs_lead_status", "IN_PROGRESS", "sales_accepted", None),
        ("hs_lead_status", "OPEN_DEAL", "opportunity_created", None),
    ],
)
def test_the_default_table(name: str, value: str, event: str, reason: str | None) -> None:
    document = to_document(change(name, value), TABLE)
    assert document is not None
    [signal] = normalize(document, "leadq", "crm").signals
    assert (signal.channel, signal.name, signal.properties.get("reason")) == ("crm", event, reason)
    assert signal.event_id == "hubspot-3816279340"
    assert signal.identity.anonymous_id == "hubspot:1246965"
    assert signal.occurred_ms == 1462216307945
    assert signal.properties["hubspot_property"] == name
    assert signal.properties["hubspot_value"] == value


def test_unmapped_values_other_objects_and_the_generic_format() -> None:
    assert to_document(change("lifecyclestage", "lead"), TABLE) is None
    assert to_document(change("firstname", "Ada"), TABLE) is None
    deal = change("lifecyclestage", "customer", subscriptionType="deal.propertyChange")
    assert to_document(deal, TABLE) is None
    generic = change("lifecyclestage", "customer", subscriptionType="object.propertyChange",
                     objectTypeId="0-1")  # fmt: skip
    assert to_document(generic, TABLE) is not None
    company = {**generic, "objectTypeId": "0-2"}
    assert to_document(company, TABLE) is None


def test_an_email_change_links_the_contact_to_its_lead() -> None:
    document = to_document(change("email", "Ada@Acme.io"), TABLE)
    assert document is not None
    [signal] = normalize(document, "leadq", "web").signals
    assert (signal.type, signal.identity.email, signal.identity.anonymous_id) == (
        "identify",
        "ada@acme.io",
        "hubspot:1246965",
    )


def test_a_malformed_event_says_why() -> None:
    with pytest.raises(AdapterError, match="eventId: required"):
        to_document(change("lifecyclestage", "customer", eventId=None), TABLE)
    with pytest.raises(AdapterError, match="occurredAt: expected a time"):
        to_document(change("lifecyclestage", "customer", occurredAt=None), TABLE)


def test_the_table_is_configurable_with_shorthand_and_checked() -> None:
    settings = IngestSettings(hubspot_events={"lifecyclestage": {
        "marketingqualifiedlead": "sales_accepted",
        "other": {"event": "disqualified", "reason": "not a fit"}}})  # fmt: skip
    table = folded(settings.hubspot_events)
    other = to_document(change("lifecyclestage", "Other"), table)
    assert other is not None
    assert (other["name"], other["reason"]) == ("disqualified", "not a fit")
    assert to_document(change("lifecyclestage", "customer"), table) is None  # replaced
    # Values as HubSpot shows them (upper-case lead statuses) match whatever the case.
    statuses = folded(IngestSettings(hubspot_events={"hs_lead_status": {
        "NEW": "sales_accepted"}}).hubspot_events)  # fmt: skip
    assert to_document(change("hs_lead_status", "new"), statuses) is not None
    with pytest.raises(ValidationError, match="sales_accepted"):
        IngestSettings(hubspot_events={"lifecyclestage": {"customer": "touched"}})


def test_the_secret_is_never_shown() -> None:
    settings = IngestSettings(hubspot_client_secret="s3cret-value")
    assert "s3cret-value" not in repr(settings)
    assert "s3cret-value" not in str(settings.model_dump())


def test_the_v3_signature_as_the_guide_computes_it() -> None:
    secret, body, timestamp = b"client-secret", b'[{"eventId":1}]', "1700000000000"
    uri = "https://leadq.example.com/webhooks/hubspot?portal=33"
    expected = base64.b64encode(
        hmac.new(
            secret, b"POST" + uri.encode() + body + timestamp.encode(), hashlib.sha256
        ).digest()
    ).decode()
    assert hubspot_signature(secret, "POST", uri, body, timestamp) == expected
    assert hubspot_valid(secret, expected, "POST", uri, body, timestamp)
    assert not hubspot_valid(secret, expected, "POST", uri, body + b" ", timestamp)
    assert not hubspot_valid(b"other", expected, "POST", uri, body, timestamp)
    assert not hubspot_valid(secret, expected, "POST", uri, body, "1700000000001")


def test_the_uri_is_decoded_as_hubspot_lists() -> None:
    encoded = "https://x.io/webhooks/hubspot?email=ada%40acme.io&q=%28a%29%2A%2C%3B%21%24%27%3A"
    assert hubspot_request_uri(encoded) == (
        "https://x.io/webhooks/hubspot?email=ada@acme.io&q=(a)*,;!$':"
    )
    assert hubspot_request_uri("https://x.io/a%20b%2f") == "https://x.io/a%20b/"
