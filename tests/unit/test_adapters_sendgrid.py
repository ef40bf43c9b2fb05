"""SendGrid Event Webhook arrays → signals (examples after SendGrid's Event Webhook docs)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from leadq.adapters import normalize
from schemas.signal import Signal

EXAMPLES = Path(__file__).parent / "vendor_examples"


def events() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads((EXAMPLES / "sendgrid_events.json").read_text())
    return loaded


def signals_by_id() -> dict[str, Signal]:
    result = normalize(events())
    assert result.rejects == []
    return {signal.event_id: signal for signal in result.signals}


@pytest.mark.parametrize(
    ("sg_event_id", "name"),
    [
        ("rbtnWrG1DVDGGGFHFyun0A==", "processed"),
        ("t7LEShmowp86DTdUW8M-GQ==", "deferred"),
        ("rWVYmVk90MjZJ9iohOBa3w==", "delivered"),
        ("FOTFFO0ecsBE-zxFXfs6WA==", "open"),
        ("ahSCB7xYcXFb-hEaawsPRw==", "open"),
        ("kCAi1KttyQdEKHhdC-nuEA==", "click"),
        ("6g4ZI7SA-xmRDv57GoPIPw==", "bounce"),
        ("b0rx6LdwVGiRc2LbEdwhGw==", "bounce"),
        ("zmzJhfJgAfUSOW80yEbPyw==", "dropped"),
        ("37nvH5QBz858KGVYCM4uOA==", "spam_report"),
        ("zz_BjPgU_5pS-J8vlfB1sg==", "unsubscribe"),
        ("ft3GsZV6Nl2n4gTG0r1Eag==", "unsubscribe"),
        ("PxTwMCLtK0iEUfBz3CNmaw==", "resubscribe"),
    ],
)
def test_event_names_map_to_the_email_vocabulary(sg_event_id: str, name: str) -> None:
    signal = signals_by_id()[sg_event_id]
    assert (signal.name, signal.channel, signal.type, signal.source) == (
        name, "email", "track", "sendgrid",
    )  # fmt: skip


def test_every_event_of_the_array_is_kept_in_order() -> None:
    result = normalize(events())
    assert [signal.event_id for signal in result.signals] == [e["sg_event_id"] for e in events()]


def test_time_email_and_message_id() -> None:
    signal = signals_by_id()["rWVYmVk90MjZJ9iohOBa3w=="]
    assert signal.occurred_at == datetime(2024, 5, 6, 11, 0, 2, tzinfo=UTC)
    assert signal.identity.email == "peter.gibbons@initrode.com"
    assert signal.properties["message_id"] == (
        "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000"
    )
    assert signal.properties["tags"] == ["nurture"]


def test_machine_opens_are_bots_and_human_opens_are_not() -> None:
    by_id = signals_by_id()
    machine, human = by_id["FOTFFO0ecsBE-zxFXfs6WA=="], by_id["ahSCB7xYcXFb-hEaawsPRw=="]
    assert (machine.is_bot, machine.bot_reason) == (True, "sendgrid_machine_open")
    assert (human.is_bot, human.bot_reason) == (False, None)


def test_custom_args_and_category_list_go_to_properties() -> None:
    signal = signals_by_id()["ahSCB7xYcXFb-hEaawsPRw=="]
    assert signal.properties["metadata"] == {
        "campaign_ref": "q2-nurture-3",
        "crm_lead_id": "00Q5e00000AbCdE",
    }
    assert signal.properties["tags"] == ["nurture", "q2-launch"]
    assert signal.properties["user_agent"].startswith("Mozilla/4.0")  # type: ignore[union-attr]


def test_legacy_nested_unique_args_are_metadata_too() -> None:
    event = {**events()[2], "unique_args": {"lead": "L-1"}}
    [signal] = normalize([event]).signals
    assert signal.properties["metadata"] == {"lead": "L-1"}


def test_clicks_carry_the_url() -> None:
    signal = signals_by_id()["kCAi1KttyQdEKHhdC-nuEA=="]
    assert signal.properties["url"] == "https://initech.com/demo?utm_source=sendgrid"


@pytest.mark.parametrize(
    ("sg_event_id", "bounce_type", "classification"),
    [
        ("6g4ZI7SA-xmRDv57GoPIPw==", "bounce", "Invalid Address"),
        ("b0rx6LdwVGiRc2LbEdwhGw==", "blocked", "Mailbox Unavailable"),
    ],
)
def test_bounces_keep_their_type(sg_event_id: str, bounce_type: str, classification: str) -> None:
    properties = signals_by_id()[sg_event_id].properties
    assert properties["bounce_type"] == bounce_type
    assert properties["bounce_classification"] == classification


def test_a_blocked_event_is_a_bounce_of_type_blocked() -> None:
    event = {**events()[6], "event": "blocked"}
    del event["type"]
    [signal] = normalize([event]).signals
    assert (signal.name, signal.properties["bounce_type"]) == ("bounce", "blocked")


def test_group_unsubscribes_carry_the_asm_group() -> None:
    signal = signals_by_id()["ft3GsZV6Nl2n4gTG0r1Eag=="]
    assert signal.properties["asm_group_id"] == 10
    assert "url" not in signal.properties  # the unsubscribe page is not a clicked link


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        (1714993202, datetime(2024, 5, 6, 11, 0, 2, tzinfo=UTC)),
        (1714993202250, datetime(2024, 5, 6, 11, 0, 2, 250000, tzinfo=UTC)),
        ("2024-05-06T11:00:02Z", datetime(2024, 5, 6, 11, 0, 2, tzinfo=UTC)),
    ],
)
def test_timestamps_in_seconds_milliseconds_or_iso(timestamp: object, expected: datetime) -> None:
    [signal] = normalize([{**events()[2], "timestamp": timestamp}]).signals
    assert signal.occurred_at == expected


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"event": "group_resubscribe_pending"}, "event: 'group_resubscribe_pending' is not a"),
        ({"sg_event_id": None}, "sg_event_id: required but missing or empty"),
        ({"email": "not-an-address"}, "email: not an email address: 'not-an-address'"),
        ({"timestamp": None}, "timestamp: expected a time, got null"),
        ({"category": {"a": 1}}, "category: expected a string or an array of strings"),
    ],
)
def test_one_bad_event_is_rejected_and_the_others_kept(
    change: dict[str, object], reason: str
) -> None:
    document = events()
    document[3] = {**document[3], **change}
    result = normalize(document, fmt="sendgrid")
    assert len(result.signals) == len(document) - 1
    [reject] = result.rejects
    assert reject.index == 3
    assert reason in reject.reason
    assert reject.raw == document[3]


def test_a_single_event_object_is_accepted_too() -> None:
    [signal] = normalize(events()[0]).signals
    assert signal.name == "processed"
