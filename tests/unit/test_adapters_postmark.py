"""Postmark webhook records → signals (examples after Postmark's webhook docs)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from leadq.adapters import normalize
from schemas.signal import Signal

EXAMPLES = Path(__file__).parent / "vendor_examples"


def record(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / f"postmark_{name}.json").read_text())
    return loaded


def one_signal(document: object) -> Signal:
    result = normalize(document)
    assert result.rejects == [], result.rejects
    [signal] = result.signals
    return signal


@pytest.mark.parametrize(
    ("name", "expected", "email", "occurred_at"),
    [
        ("delivery", "delivered", "peter.gibbons@initrode.com",
         datetime(2024, 5, 6, 16, 33, 54, 907025, tzinfo=UTC)),
        ("bounce", "bounce", "ghost@initrode.com",
         datetime(2024, 5, 6, 17, 28, 10, 273539, tzinfo=UTC)),
        ("spam_complaint", "spam_report", "bob.slydell@initrode.com",
         datetime(2024, 5, 6, 10, 30, tzinfo=UTC)),
        ("open", "open", "peter.gibbons@initrode.com",
         datetime(2024, 5, 6, 16, 40, 1, 123000, tzinfo=UTC)),
        ("click", "click", "peter.gibbons@initrode.com",
         datetime(2024, 5, 6, 16, 41, 12, 500000, tzinfo=UTC)),
        ("subscription_change", "unsubscribe", "peter.gibbons@initrode.com",
         datetime(2024, 5, 7, 10, 53, 34, 416071, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_record_types_map_to_the_email_vocabulary(
    name: str, expected: str, email: str, occurred_at: datetime
) -> None:
    signal = one_signal(record(name))
    assert (signal.name, signal.source, signal.channel) == (expected, "postmark", "email")
    assert signal.identity.email == email
    assert signal.occurred_at == occurred_at


@pytest.mark.parametrize(("name", "event_id"), [("bounce", "4323372036854775807"),
                                                ("spam_complaint", "692560174")])  # fmt: skip
def test_records_with_an_id_use_it(name: str, event_id: str) -> None:
    assert one_signal(record(name)).event_id == event_id


@pytest.mark.parametrize("name", ["delivery", "open", "click", "subscription_change"])
def test_records_without_an_id_get_a_deterministic_one(name: str) -> None:
    first = one_signal(record(name)).event_id
    again = one_signal(json.loads(json.dumps(record(name)))).event_id
    assert first == again
    assert first.startswith("postmark-")


@pytest.mark.parametrize(
    "change",
    [
        {"OriginalLink": "https://initech.com/pricing"},  # another link of the same message
        {"Recipient": "samir@initrode.com"},  # another recipient of the same message
        {"ReceivedAt": "2024-05-06T16:41:13Z"},  # another time
        {"MessageID": "0f0e0d0c-0000-0000-0000-000000000000"},  # another message
        {"RecordType": "Open"},  # another kind of record
    ],
)
def test_deterministic_ids_differ_when_the_record_does(change: dict[str, object]) -> None:
    original = one_signal(record("click")).event_id
    assert one_signal({**record("click"), **change}).event_id != original


def test_the_id_ignores_time_formatting() -> None:
    utc = {**record("delivery"), "DeliveredAt": "2024-05-06T16:33:54Z"}
    offset = {**record("delivery"), "DeliveredAt": "2024-05-06T12:33:54-04:00"}
    assert one_signal(utc).event_id == one_signal(offset).event_id


def test_click_and_open_properties() -> None:
    click = one_signal(record("click"))
    assert click.properties["url"] == "https://initech.com/demo"
    assert click.properties["message_id"] == "883953f4-6105-42a2-a16a-77a8eac79483"
    assert click.properties["tags"] == ["welcome-email"]
    assert click.properties["metadata"] == {"crm_lead_id": "00Q5e00000AbCdE"}
    assert click.properties["ip"] == "203.0.113.42"
    open_ = one_signal(record("open"))
    assert open_.properties["first_open"] is True
    assert "url" not in open_.properties


def test_postmark_has_no_machine_open_flag_so_opens_are_not_bots() -> None:
    signal = one_signal(record("open"))
    assert (signal.is_bot, signal.bot_reason) == (False, None)


def test_bounce_details() -> None:
    properties = one_signal(record("bounce")).properties
    assert properties["bounce_type"] == "HardBounce"
    assert properties["details"] == "Test bounce details"


@pytest.mark.parametrize("bounce_type", ["Transient", "SoftBounce", "DnsError"])
def test_temporary_bounces_are_deferrals(bounce_type: str) -> None:
    signal = one_signal({**record("bounce"), "Type": bounce_type})
    assert (signal.name, signal.properties["bounce_type"]) == ("deferred", bounce_type)


def test_a_reactivation_is_a_resubscribe() -> None:
    reactivated = {
        **record("subscription_change"),
        "SuppressSending": False,
        "SuppressionReason": None,
        "MessageID": None,
        "Tag": None,
        "Metadata": {},
    }
    signal = one_signal(reactivated)
    assert signal.name == "resubscribe"
    assert "message_id" not in signal.properties


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"RecordType": "Inbound"}, "RecordType: 'Inbound' is not a Postmark record leadq knows"),
        ({"Recipient": None}, "Recipient/Email: required but missing or empty"),
        ({"Recipient": "nobody"}, "Recipient: not an email address"),
        ({"ReceivedAt": None}, "no event time: set one of DeliveredAt, BouncedAt, ReceivedAt"),
        ({"ReceivedAt": "5th of May"}, "ReceivedAt: not an ISO-8601 time"),
        ({"Metadata": "x"}, "Metadata: expected a JSON object"),
    ],
)
def test_rejects_name_the_field(change: dict[str, object], reason: str) -> None:
    [reject] = normalize({**record("open"), **change}, fmt="postmark").rejects
    assert reason in reject.reason


def test_a_subscription_change_needs_suppress_sending() -> None:
    document = record("subscription_change")
    del document["SuppressSending"]
    [reject] = normalize(document).rejects
    assert reject.reason == "SuppressSending: required true or false on SubscriptionChange"
