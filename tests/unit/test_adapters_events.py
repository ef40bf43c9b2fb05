"""The canonical inbound event models (``schemas.events``) and their ``to_signal``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from schemas.events import (
    CRM_EVENT_NAMES,
    EMAIL_EVENT_NAMES,
    INBOUND_EVENT,
    CrmEvent,
    EmailEvent,
    ProductEvent,
    WebEvent,
)
from schemas.signal import Identity

EXAMPLES = Path(__file__).parent / "vendor_examples"


def canonical_examples() -> list[dict[str, object]]:
    loaded: list[dict[str, object]] = json.loads((EXAMPLES / "leadq_events.json").read_text())
    return loaded


def test_vocabularies_are_the_documented_ones() -> None:
    assert EMAIL_EVENT_NAMES == (
        "delivered", "open", "click", "bounce", "dropped", "deferred", "processed",
        "unsubscribe", "resubscribe", "spam_report",
    )  # fmt: skip
    assert CRM_EVENT_NAMES == (
        "sales_accepted", "sales_rejected", "opportunity_created", "opportunity_won",
        "opportunity_lost", "disqualified",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("position", "model"), [(0, WebEvent), (1, EmailEvent), (2, ProductEvent), (3, CrmEvent)]
)
def test_the_channel_picks_the_model(position: int, model: type) -> None:
    event = INBOUND_EVENT.validate_python(canonical_examples()[position])
    assert isinstance(event, model)


def test_email_event_to_signal_moves_message_id_and_url_into_properties() -> None:
    event = INBOUND_EVENT.validate_python(canonical_examples()[1])
    signal = event.to_signal()
    assert (signal.channel, signal.type, signal.name, signal.source) == (
        "email", "track", "click", "leadq",
    )  # fmt: skip
    assert signal.properties == {
        "campaign": "q2-nurture",
        "message_id": "msg-42",
        "url": "https://initech.com/demo",
    }
    # +02:00 in the input, UTC in the signal.
    assert signal.occurred_at == datetime(2024, 5, 6, 8, 25, tzinfo=UTC)


def test_crm_event_to_signal_keeps_the_sales_fields() -> None:
    signal = INBOUND_EVENT.validate_python(canonical_examples()[3]).to_signal("leadq")
    assert signal.name == "opportunity_created"
    assert signal.account.domain == "initrode.com"
    assert signal.properties == {
        "owner": "joanna@initech.com",
        "opportunity_id": "0065e00000XyZ",
        "amount": 48000.0,
        "currency": "USD",
    }


def test_web_and_product_events_keep_type_traits_and_bot_flags() -> None:
    event = WebEvent(
        event_id="w1",
        type="identify",
        occurred_at=datetime(2024, 1, 1, tzinfo=UTC),
        identity=Identity(user_id="u1"),
        traits={"title": "CTO"},
        is_bot=True,
        bot_reason="headless_browser",
    )
    signal = event.to_signal("segment")
    assert (signal.channel, signal.type, signal.traits, signal.source) == (
        "web", "identify", {"title": "CTO"}, "segment",
    )  # fmt: skip
    assert (signal.is_bot, signal.bot_reason) == (True, "headless_browser")
    product = ProductEvent(
        event_id="p1", occurred_at=datetime(2024, 1, 1, tzinfo=UTC), identity=Identity(user_id="u1")
    )
    assert product.to_signal().channel == "product"


def test_an_account_only_group_event_needs_no_person() -> None:
    event = INBOUND_EVENT.validate_python(
        {
            "channel": "web",
            "event_id": "g1",
            "type": "group",
            "occurred_at": "2024-01-01T00:00:00Z",
            "account": {"id": "acct_1"},
        }
    )
    assert event.to_signal().account.id == "acct_1"


_VALID_EMAIL = {
    "schema_version": 1,
    "channel": "email",
    "event_id": "e1",
    "name": "open",
    "occurred_at": "2024-01-01T00:00:00Z",
    "identity": {"email": "a@b.com"},
}


@pytest.mark.parametrize(
    ("change", "expected_in_error"),
    [
        ({"name": "opened"}, "email.name"),
        ({"schema_version": 2}, "schema_version"),
        ({"occurred_at": "2024-01-01T00:00:00"}, "timezone"),
        ({"identity": {}}, "no identity"),
        ({"surprise": 1}, "surprise"),
        ({"channel": "fax"}, "channel"),
        ({"event_id": ""}, "event_id"),
    ],
)
def test_invalid_canonical_events_are_refused(
    change: dict[str, object], expected_in_error: str
) -> None:
    with pytest.raises(ValidationError, match=expected_in_error):
        INBOUND_EVENT.validate_python({**_VALID_EMAIL, **change})


def test_crm_names_are_closed() -> None:
    with pytest.raises(ValidationError):
        CrmEvent(
            event_id="c1",
            name="meeting_booked",
            occurred_at=datetime(2024, 1, 1, tzinfo=UTC),
            identity=Identity(email="a@b.com"),
        )


def test_events_are_frozen() -> None:
    event = INBOUND_EVENT.validate_python(_VALID_EMAIL)
    with pytest.raises(ValidationError):
        event.event_id = "other"  # type: ignore[misc]
