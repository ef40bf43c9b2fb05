"""Link-scanner click bursts: marked within one delivered batch, never across batches."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadq.adapters import normalize
from leadq.adapters.bots import SCANNER_BURST_REASON, mark_scanner_bursts
from schemas.signal import Identity, Signal

EXAMPLES = Path(__file__).parent / "vendor_examples"
T0 = datetime(2024, 5, 6, 11, 5, 2, tzinfo=UTC)


def click(
    event_id: str,
    offset_ms: int,
    email: str = "lumbergh@initrode.com",
    message_id: str | None = "m1",
    name: str = "click",
) -> Signal:
    properties = {} if message_id is None else {"message_id": message_id}
    return Signal(
        event_id=event_id,
        channel="email",
        name=name,
        occurred_at=T0 + timedelta(milliseconds=offset_ms),
        identity=Identity(email=email),
        properties=properties,
        source="test",
    )


def bot_ids(signals: list[Signal]) -> set[str]:
    return {signal.event_id for signal in signals if signal.is_bot}


@pytest.mark.parametrize(
    ("signals", "expected_bots"),
    [
        pytest.param([click("a", 0), click("b", 0)], {"a", "b"}, id="same-second"),
        pytest.param([click("a", 0), click("b", 999)], {"a", "b"}, id="under-a-second"),
        pytest.param([click("a", 0), click("b", 1000)], set(), id="a-second-apart"),
        pytest.param(
            [click("a", 900), click("b", 1100)], {"a", "b"}, id="across-a-second-boundary"
        ),
        pytest.param([click("a", 0)], set(), id="single-click"),
        pytest.param(
            [click("a", 0), click("b", 0, email="nina@initrode.com")], set(), id="two-people"
        ),
        pytest.param([click("a", 0), click("b", 0, message_id="m2")], set(), id="two-messages"),
        pytest.param(
            [click("a", 0, message_id=None), click("b", 0, message_id=None)],
            set(),
            id="no-message-id",
        ),
        pytest.param([click("a", 0), click("b", 0, name="open")], set(), id="open-not-click"),
        pytest.param(
            [click("c", 5000), click("a", 0), click("b", 300)], {"a", "b"}, id="unordered"
        ),
    ],
)
def test_burst_rule(signals: list[Signal], expected_bots: set[str]) -> None:
    marked = mark_scanner_bursts(signals)
    assert bot_ids(marked) == expected_bots
    assert [signal.event_id for signal in marked] == [signal.event_id for signal in signals]
    assert all(signal.bot_reason == SCANNER_BURST_REASON for signal in marked if signal.is_bot)


def test_an_existing_bot_reason_is_kept() -> None:
    first = click("a", 0).model_copy(update={"is_bot": True, "bot_reason": "mailgun_bot:generic"})
    marked = mark_scanner_bursts([first, click("b", 0)])
    assert [signal.bot_reason for signal in marked] == ["mailgun_bot:generic", SCANNER_BURST_REASON]


def test_a_sendgrid_batch_marks_the_scanner_but_not_the_later_human_click() -> None:
    document = json.loads((EXAMPLES / "sendgrid_scanner_burst.json").read_text())
    result = normalize(document)
    assert result.rejects == []
    assert bot_ids(result.signals) == {"burst-click-1", "burst-click-2", "burst-click-3"}


def test_clicks_in_separate_documents_are_not_a_burst() -> None:
    document = json.loads((EXAMPLES / "sendgrid_scanner_burst.json").read_text())
    one_at_a_time = [normalize(item).signals[0] for item in document]
    assert bot_ids(one_at_a_time) == set()


def test_a_segment_batch_is_one_delivery_too() -> None:
    def segment_click(message_id: str) -> dict[str, object]:
        return {
            "type": "track",
            "event": "click",
            "userId": "u1",
            "messageId": message_id,
            "timestamp": "2024-05-06T11:05:02.100Z",
            "properties": {"message_id": "newsletter-7"},
        }

    result = normalize({"batch": [segment_click("s1"), segment_click("s2")]})
    assert bot_ids(result.signals) == {"s1", "s2"}
