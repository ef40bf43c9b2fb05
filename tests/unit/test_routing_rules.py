"""Rule order and conditions; the assignment and SLA data a decision produces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadq.routing.assign import first_assignment
from leadq.routing.decide import TeamSnapshot, decide
from leadq.routing.facts import LeadFacts
from leadq.routing.match import match_rule
from leadq.routing.sla import SlaCase, on_deadline, open_case
from schemas.routing import RoutingConfig, routing_from_data
from schemas.transition import AccountContext, Fit, TransitionData, transition_id
from tests.unit.routing_support import ALWAYS

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def config() -> RoutingConfig:
    team = {
        "reps": [{"id": "r1"}, {"id": "r2"}, {"id": "r3"}],
        "working_hours": ALWAYS,
        "fallback": {"rep": "r1"},
        "manager": {"id": "boss", "name": "Boss"},
    }
    return routing_from_data(
        {
            "regions": {"emea": ["DE", "FR"]},
            "teams": [{"id": "ent", **team}, {"id": "emea", **team}, {"id": "inbound", **team}],
            "rules": [
                {
                    "name": "big-hand-raise",
                    "team": "ent",
                    "when": {"hand_raise": True, "employees": {"gte": 1000}},
                },
                {
                    "name": "emea",
                    "team": "emea",
                    "when": {"region": ["emea"], "stage": ["mql", "sql"]},
                },
                {
                    "name": "a-grade-deciders",
                    "team": "ent",
                    "when": {
                        "fit_grade": ["A"],
                        "persona": ["decision_maker"],
                        "industry": ["Software"],
                    },
                },
                {
                    "name": "mql",
                    "team": "inbound",
                    "when": {"stage": ["mql", "sql"]},
                    "sla": {"first_touch": "5m", "max_reassignments": 1},
                },
            ],
        }
    )


def transition(**changes: Any) -> TransitionData:
    data: dict[str, Any] = {
        "entity": "lead",
        "entity_id": "u:ada",
        "track": "lifecycle",
        "stage_from": "known",
        "stage_to": "mql",
        "reason": "r",
        "score": 120.0,
        "intent_score": 80.0,
        "intent_by_category": {"web": 80.0},
        "top_signals": (),
        "trigger_event_id": "e1",
        "rules_version": "v",
        "at": NOW - timedelta(seconds=3),
        "fit": Fit(score=40.0, grade="B"),
        "account": AccountContext(
            account_id="acme.io",
            stage="unengaged",
            intent_score=80.0,
            engaged_people=1,
            personas=("decision_maker",),
        ),
    }
    data.update(changes)
    return TransitionData(**data)


@pytest.mark.parametrize(
    ("changes", "facts", "expected"),
    [
        ({"hand_raise": ("demo_request",)}, {"employees": 5000, "country": "DE"}, "big-hand-raise"),
        ({}, {"employees": 5000, "country": "de"}, "emea"),  # case does not matter
        ({"hand_raise": ("demo_request",)}, {"employees": 999, "country": "DE"}, "emea"),
        (
            {"fit": Fit(score=50, grade="A")},
            {"persona": "decision_maker", "industry": "software"},
            "a-grade-deciders",
        ),
        ({"fit": Fit(score=50, grade="A")}, {"persona": "user", "industry": "software"}, "mql"),
        ({}, {}, "mql"),  # unknown facts never match a condition on them
        ({"stage_to": "recycled", "stage_from": "mql"}, {"country": "DE"}, None),
        (
            {
                "entity": "account",
                "track": "account",
                "stage_from": "unengaged",
                "stage_to": "mqa",
                "account": None,
            },
            {},
            None,
        ),
    ],
)
def test_the_first_rule_that_holds_routes(
    changes: dict[str, Any], facts: dict[str, Any], expected: str | None
) -> None:
    rule = match_rule(config(), transition(**changes), LeadFacts("u:ada", **facts))
    assert (rule.name if rule else None) == expected


def first(config: RoutingConfig) -> tuple[SlaCase, TransitionData]:
    data = transition()
    rule = config.rules[-1]
    team = config.team(rule.team)
    pick = decide(team, TeamSnapshot(), "u:ada", "acme.io", NOW)
    facts = LeadFacts("u:ada", email="ada@acme.io", company="Acme", country="US")
    assigned = first_assignment(transition_id(data), data, facts, team, rule, pick, NOW)
    assert rule.sla is not None
    case = open_case(assigned, team, 0, rule.sla.first_touch, rule.sla.max_reassignments)
    assert case is not None
    return case, data


def test_an_assignment_says_who_why_and_by_when() -> None:
    case, data = first(config())
    assigned = case.assignment
    assert (assigned.kind, assigned.owner.id, assigned.team.id, assigned.rule) == (
        "assigned",
        "r1",
        "inbound",
        "mql",
    )
    assert assigned.reason == "round robin: weight 1, 1 today"
    assert assigned.sla_deadline == NOW + timedelta(minutes=5)
    assert assigned.transition_id == transition_id(data)
    assert (assigned.lead.company, assigned.fit, assigned.account) == (
        "Acme",
        data.fit,
        data.account,
    )
    assert case.deadline_ms == int((NOW + timedelta(minutes=5)).timestamp() * 1000)


def test_a_breach_reassigns_to_the_next_rep_then_escalates_to_the_manager() -> None:
    routing = config()
    case, _ = first(routing)
    late = NOW + timedelta(minutes=5)
    one = on_deadline(routing, case, TeamSnapshot(lead_owner="r1"), late, touched=False)
    breach, again = one.events
    assert (breach.kind, breach.owner.id, breach.attempt) == ("sla_breached", "r1", 0)
    assert breach.reason == "SLA missed: r1 did not touch the lead within 5m"
    assert (again.kind, again.owner.id, again.previous_owner, again.attempt) == (
        "assigned",
        "r2",
        breach.owner,
        1,
    )
    assert again.sla_deadline == late + timedelta(minutes=5)
    assert one.case is not None
    assert one.case.tried == ("r1", "r2")
    later = late + timedelta(minutes=5)
    two = on_deadline(routing, one.case, TeamSnapshot(lead_owner="r2"), later, touched=False)
    breach2, escalated = two.events
    assert (breach2.owner.id, breach2.attempt) == ("r2", 1)
    assert (escalated.owner.id, escalated.escalated, escalated.attempt) == ("boss", True, 2)
    assert escalated.sla_deadline is None
    assert two.case is None


def test_a_touch_in_time_closes_the_case_silently() -> None:
    routing = config()
    case, _ = first(routing)
    outcome = on_deadline(routing, case, TeamSnapshot(), NOW + timedelta(minutes=5), touched=True)
    assert (outcome.events, outcome.case) == ((), None)


def test_zero_reassignments_escalates_at_the_first_breach() -> None:
    routing = config()
    case, _ = first(routing)
    strict = case.model_copy(update={"max_reassignments": 0})
    outcome = on_deadline(routing, strict, TeamSnapshot(), NOW, touched=False)
    assert [event.owner.id for event in outcome.events] == ["r1", "boss"]
