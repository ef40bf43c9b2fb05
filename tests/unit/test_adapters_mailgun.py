"""Mailgun webhook bodies → signals (examples after Mailgun's webhook payload docs)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from leadq.adapters import normalize
from leadq.adapters.mailgun import signature_of
from schemas.signal import Signal

EXAMPLES = Path(__file__).parent / "vendor_examples"


def body(name: str) -> Any:
    return json.loads((EXAMPLES / f"mailgun_{name}.json").read_text())


def one_signal(document: object) -> Signal:
    result = normalize(document)
    assert result.rejects == [], result.rejects
    [signal] = result.signals
    return signal


def with_event(event: str, **fields: object) -> dict[str, Any]:
    document: dict[str, Any] = body("delivered")
    document["event-data"] = {**document["event-data"], "event": event, **fields}
    return document


def test_delivered() -> None:
    signal = one_signal(body("delivered"))
    assert (signal.source, signal.channel, signal.name) == ("mailgun", "email", "delivered")
    assert signal.event_id == "CPgfbmQMTCKtHW6uIWtuVe"
    assert signal.occurred_at == datetime(2018, 3, 19, 15, 11, 2, 908181, tzinfo=UTC)
    assert signal.identity.email == "alice@initrode.com"
    assert signal.properties == {
        "message_id": "20130503182626.18666.16540@mg.initech.com",
        "tags": ["my_tag_1", "my_tag_2"],
        "metadata": {"my_var_1": "Mailgun Variable #1", "my-var-2": "awesome"},
    }


def test_an_apple_privacy_open_is_a_bot() -> None:
    signal = one_signal(body("opened_apple_bot"))
    assert signal.name == "open"
    assert (signal.is_bot, signal.bot_reason) == (True, "mailgun_bot:apple")
    assert signal.properties["metadata"] == {"crm_lead_id": "00Q5e00000AbCdE", "sequence_step": 3}


def test_a_human_click_has_its_url_and_an_empty_bot_field_means_human() -> None:
    signal = one_signal(body("clicked"))
    assert signal.name == "click"
    assert signal.properties["url"] == "https://initech.com/demo?utm_source=mailgun"
    assert (signal.is_bot, signal.bot_reason) == (False, None)
    assert signal.identity.email == "peter.gibbons@initrode.com"  # lower-cased


@pytest.mark.parametrize("bot", ["gmail", "generic"])
def test_every_bot_kind_is_named(bot: str) -> None:
    document = body("clicked")
    document["event-data"]["client-info"]["bot"] = bot
    assert one_signal(document).bot_reason == f"mailgun_bot:{bot}"


@pytest.mark.parametrize(
    ("name", "expected"), [("failed_permanent", "bounce"), ("failed_temporary", "deferred")]
)
def test_failures_split_on_severity(name: str, expected: str) -> None:
    signal = one_signal(body(name))
    assert signal.name == expected
    assert signal.properties["severity"] in ("permanent", "temporary")


@pytest.mark.parametrize(
    ("event", "fields", "expected"),
    [
        ("accepted", {}, "processed"),
        ("delivered", {}, "delivered"),
        ("opened", {}, "open"),
        ("clicked", {"url": "https://initech.com"}, "click"),
        ("unsubscribed", {}, "unsubscribe"),
        ("complained", {}, "spam_report"),
        ("rejected", {"reject": {"reason": "suppressed"}}, "dropped"),
        ("failed", {"severity": "permanent"}, "bounce"),
        ("failed", {"severity": "temporary"}, "deferred"),
        ("permanent_fail", {}, "bounce"),
        ("temporary_fail", {}, "deferred"),
    ],
)
def test_event_names_map_to_the_email_vocabulary(
    event: str, fields: dict[str, object], expected: str
) -> None:
    assert one_signal(with_event(event, **fields)).name == expected


def test_millisecond_timestamps_are_understood() -> None:
    signal = one_signal(with_event("delivered", timestamp=1521472262908))
    assert signal.occurred_at == datetime(2018, 3, 19, 15, 11, 2, 908000, tzinfo=UTC)


def test_the_signature_block_is_left_for_the_verifier() -> None:
    document = body("clicked")
    assert signature_of(document) == document["signature"]
    del document["signature"]
    assert signature_of(document) is None
    assert one_signal(document).name == "click"  # not needed to normalize


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"signature": {}}, "event-data: expected a JSON object, got null"),
        (with_event("stored"), "event-data.event: 'stored' is not a Mailgun event"),
        (with_event("delivered", id=""), "event-data.id: required but missing or empty"),
        (with_event("delivered", recipient=None), "event-data.recipient: required"),
        (with_event("delivered", timestamp="later"), "event-data.timestamp: not an ISO-8601"),
        (with_event("delivered", tags="x"), None),  # one tag as a string is fine
        (with_event("delivered", **{"user-variables": [1]}), "event-data.user-variables:"),
    ],
)
def test_rejects_name_the_field(document: dict[str, Any], reason: str | None) -> None:
    result = normalize(document, fmt="mailgun")
    if reason is None:
        assert result.rejects == []
        return
    [reject] = result.rejects
    assert reason in reject.reason


def test_a_bare_event_data_object_is_the_same_event() -> None:
    # mailgun_delivered_bare.json is the event-data object of mailgun_delivered.json, as
    # Mailgun's Events API lists events (no signature envelope).
    enveloped = one_signal(body("delivered"))
    bare = one_signal(body("delivered_bare"))
    assert bare == enveloped
    assert (bare.source, bare.name, bare.identity.email) == (
        "mailgun",
        "delivered",
        "alice@initrode.com",
    )


def test_a_bare_event_with_a_problem_names_the_field() -> None:
    event = {**body("delivered_bare"), "recipient": "alice\u202e@initrode.com"}
    result = normalize(event)
    assert result.signals == []
    assert result.rejects[0].reason.startswith(
        "event-data.recipient: contains an invisible format (bidi or zero-width) character"
    )
