"""A transition and a pick → the ``io.leadq.lead.assigned`` data (``schemas.assignment``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from leadq.routing.decide import Pick
from leadq.routing.facts import LeadFacts
from schemas.assignment import Assignee, AssignmentData, LeadContext, TeamRef
from schemas.routing import Person, RoutingRule, Team
from schemas.transition import TransitionData


def assignee(person: Person) -> Assignee:
    return Assignee(
        id=person.id, name=person.name, email=person.email, webhook_url=person.webhook_url
    )


def team_ref(team: Team) -> TeamRef:
    return TeamRef(id=team.id, name=team.name, webhook_url=team.webhook_url)


def lead_context(facts: LeadFacts) -> LeadContext:
    return LeadContext(
        lead_id=facts.lead_id,
        email=facts.email,
        name=facts.name,
        title=facts.title,
        company=facts.company,
        country=facts.country,
    )


def first_assignment(
    transition_id: str,
    data: TransitionData,
    facts: LeadFacts,
    team: Team,
    rule: RoutingRule,
    pick: Pick,
    at: datetime,
) -> AssignmentData:
    """Attempt 0 of routing ``data``: the owner, why, and the SLA deadline (if the rule has one)."""
    deadline = at + rule.sla.first_touch if rule.sla is not None else None
    return AssignmentData(
        kind="assigned",
        lead=lead_context(facts),
        transition_id=transition_id,
        stage=data.stage_to,
        hand_raise=data.hand_raise,
        team=team_ref(team),
        owner=assignee(pick.owner),
        rule=rule.name,
        reason=pick.reason,
        sla_deadline=deadline,
        score=data.score,
        fit=data.fit,
        top_signals=data.top_signals,
        account=data.account,
        at=at,
    )


def describe_duration(value: timedelta) -> str:
    """``5m``, ``1h``, ``90s``: how the routing file writes it."""
    seconds = round(value.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
