"""The review's per-lead history: merged leads fold into one, peaks are exact, CRM
events are counted once, and CRM-made moves are not routings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadq.compiled import compile_rules
from leadq.review.history import History, collect
from schemas.events import INBOUND_EVENT
from schemas.rules import rules_from_data
from schemas.signal import Signal

T = datetime(2026, 2, 2, 9, tzinfo=UTC)
RULES = compile_rules(
    rules_from_data(
        {
            "intent": {
                "half_lives": {"default": "3650d"},
                "rules": [{"id": "visit", "when": {"type": "page"}, "points": 10}],
            },
            "stages": {"mql": {"enter": 45, "exit": 20}},
        }
    )
)


def _signal(event_id: str, minutes: int, identity: dict[str, str], **fields: Any) -> Signal:
    channel = fields.pop("channel", "web")
    event = {
        "schema_version": 1, "channel": channel, "event_id": event_id,
        "occurred_at": (T + timedelta(minutes=minutes)).isoformat(), "identity": identity,
        **fields,
    }  # fmt: skip
    return INBOUND_EVENT.validate_python(event).to_signal()


def _history(signals: list[Signal]) -> History:
    return asyncio.run(collect(signals, RULES))


def test_an_anonymous_visitor_who_identifies_is_one_lead() -> None:
    anonymous = {"anonymous_id": "anon-1"}
    known = {"anonymous_id": "anon-1", "email": "zoe@acme.com"}
    signals = [
        *(_signal(f"a{i}", i, anonymous, type="page") for i in range(3)),  # 30, anonymous
        _signal("id", 10, known, type="identify"),
        *(_signal(f"k{i}", 20 + i, {"email": "zoe@acme.com"}, type="page") for i in range(2)),
        _signal("r1", 60, {"email": "zoe@acme.com"}, channel="crm", name="sales_rejected",
                reason="not now"),
        _signal("r1", 60, {"email": "zoe@acme.com"}, channel="crm", name="sales_rejected",
                reason="not now"),  # a CRM retry: counted once
    ]  # fmt: skip
    history = _history(signals)
    assert list(history.leads) == ["e:zoe@acme.com"]
    lead = history.leads["e:zoe@acme.com"]
    assert lead.first_ms == int(T.timestamp() * 1000)  # the anonymous visit
    # 5 page views minutes apart (a ten-year half-life: a hair under 50).
    assert [score for _, score in lead.peaks][-1] == pytest.approx(50.0, abs=1e-3)
    assert [r.stage for r in lead.routings] == ["mql"]
    assert [(o.name, o.reason.code) for o in lead.outcomes] == [("sales_rejected", "timing")]
    assert lead.outcomes[0].peak_before == lead.peaks[-1][1]
    assert [to for _, to in lead.moves] == ["mql", "recycled"]


def test_sales_acceptance_is_not_a_routing() -> None:
    email = {"email": "yan@beta.com"}
    history = _history(
        [
            _signal("p1", 0, email, type="page"),
            _signal("ok", 5, email, channel="crm", name="sales_accepted"),
        ]
    )
    lead = history.leads["e:yan@beta.com"]
    assert [to for _, to in lead.moves] == ["sql"]
    assert lead.routings == []
    assert lead.outcomes[0].peak_before == 10.0
