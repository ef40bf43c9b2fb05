"""The engine's scores do not depend on arrival order (caps and negative points included)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leadq.compiled import CompiledRules, compile_rules
from leadq.engine import apply
from leadq.state import AccountState, LeadState
from leadq.transitions import intent_total
from schemas.rules import load_rules
from schemas.signal import Signal

RULES: CompiledRules = compile_rules(load_rules("tests/rules/scenarios.yaml"))
START = datetime(2026, 11, 1, tzinfo=UTC)
KINDS = {
    "pricing": {"channel": "web", "type": "page", "properties": {"path": "/pricing"}},
    "blog": {"channel": "web", "type": "page", "properties": {"path": "/blog/a"}},
    "demo": {"channel": "web", "name": "Demo Requested"},
    "open": {"channel": "email", "name": "open"},
    "bot_open": {"channel": "email", "name": "open", "is_bot": True},
    "unsubscribe": {"channel": "email", "name": "unsubscribe"},
    "feature": {"channel": "product", "name": "Feature Used"},
}
event_specs = st.lists(
    st.tuples(st.sampled_from(sorted(KINDS)), st.integers(0, 6 * 24 * 60)),
    min_size=1,
    max_size=25,
)


def _signals(specs: list[tuple[str, int]]) -> list[Signal]:
    return [
        Signal(
            event_id=f"ev-{number:03d}",
            occurred_at=START + timedelta(minutes=minute),
            identity={"email": "pat@acme.com"},
            **KINDS[kind],  # type: ignore[arg-type]
        )
        for number, (kind, minute) in enumerate(specs)
    ]


def _run(signals: list[Signal]) -> tuple[LeadState, AccountState]:
    lead: LeadState | None = None
    account = AccountState(account_id="acme.com", domain="acme.com")
    for signal in signals:
        outcome = apply(lead, account, signal, RULES, lead_id="e:pat@acme.com")
        lead, account = outcome.lead, outcome.account  # type: ignore[assignment]
    assert lead is not None
    return lead, account


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


@given(event_specs, st.randoms(use_true_random=False))
@settings(max_examples=150, deadline=None)
def test_permuted_events_give_the_same_scores(
    specs: list[tuple[str, int]], rnd: random.Random
) -> None:
    signals = _signals(specs)
    shuffled = list(signals)
    rnd.shuffle(shuffled)
    (lead_a, account_a), (lead_b, account_b) = _run(signals), _run(shuffled)
    read_at = max(s.occurred_ms for s in signals) + 3_600_000
    assert lead_a.latest_ms == lead_b.latest_ms
    assert set(lead_a.intent) == set(lead_b.intent)
    for category in lead_a.intent:
        assert _close(
            lead_a.intent[category].value_at(read_at), lead_b.intent[category].value_at(read_at)
        ), category
    assert _close(intent_total(account_a.intent, read_at), intent_total(account_b.intent, read_at))
    assert lead_a.caps == lead_b.caps  # the same events scored under every cap
    assert lead_a.last_engaged_ms == lead_b.last_engaged_ms
