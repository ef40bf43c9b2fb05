"""Assignment CloudEvents for the alert tests, as the router writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.assignment import (
    Assignee,
    AssignmentData,
    AssignmentEvent,
    LeadContext,
    TeamRef,
    to_assignment_event,
)
from schemas.transition import AccountContext, Contributor, Fit

AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def signal(rule_id: str, category: str, weight: float, minutes_before: int) -> Contributor:
    return Contributor(
        rule_id=rule_id,
        event_id=f"ev-{rule_id}",
        category=category,
        points=weight,
        occurred_at=AT - timedelta(minutes=minutes_before),
        weight=weight,
        lead_id="lead-ada",
    )


def assignment(**changes: Any) -> AssignmentEvent:
    """An ``io.leadq.lead.assigned`` event (hand-raise, with account context), with
    ``changes`` applied to its data (``transition_id`` makes the event id unique)."""
    data: dict[str, Any] = {
        "kind": "assigned",
        "lead": LeadContext(
            lead_id="lead-ada",
            email="ada@acme.io",
            name="Ada Lovelace",
            title="VP Engineering",
            company="Acme",
            country="GB",
        ),
        "transition_id": "tr-1",
        "stage": "sql",
        "hand_raise": ("demo-request",),
        "team": TeamRef(id="emea", name="EMEA SDRs"),
        "owner": Assignee(id="rep-grace", name="Grace Hopper", email="grace@seller.io"),
        "rule": "hand-raise-emea",
        "reason": "round robin: weight 2, 3 of 10 today",
        "sla_deadline": AT + timedelta(minutes=5),
        "score": 74.25,
        "fit": Fit(score=42, grade="A"),
        "top_signals": (
            signal("demo-request", "web", 30.0, 1),
            signal("pricing-page", "web", 8.5, 120),
        ),
        "account": AccountContext(
            account_id="acct-acme",
            domain="acme.io",
            stage="mqa",
            intent_score=120.5,
            engaged_people=3,
            personas=("decision_maker", "champion"),
        ),
        "at": AT,
    }
    data.update(changes)
    return to_assignment_event(AssignmentData(**data))


def breach(**changes: Any) -> AssignmentEvent:
    """An ``io.leadq.lead.sla_breached`` event: Grace missed it, Alan has it now."""
    data: dict[str, Any] = {
        "kind": "sla_breached",
        "previous_owner": Assignee(id="rep-grace", name="Grace Hopper"),
        "owner": Assignee(id="rep-alan", name="Alan Turing"),
        "attempt": 1,
    }
    return assignment(**(data | changes))
