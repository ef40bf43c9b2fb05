"""Speed-to-lead SLAs: what happens when an owner's time to first touch runs out.

An open *case* follows one routed transition: its current assignment, its deadline and
the reps it was given to. At the deadline (wall clock), if no CRM touch of the lead was
seen between the transition and the deadline, the case emits ``sla_breached`` (naming
the owner who missed it), then either reassigns to the next rep (round robin without
the reps who already missed it; a new deadline) while fewer than ``max_reassignments``
reassignments were made, or escalates to the team's manager and closes. A touch closes
the case silently. Pure: the caller reads the touch, the team snapshot and the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field

from leadq.routing.assign import assignee, describe_duration
from leadq.routing.decide import Pick, TeamSnapshot, decide
from schemas.assignment import AssignmentData
from schemas.base import Contract
from schemas.routing import RoutingConfig, Team


class SlaCase(Contract):
    """An open SLA clock, as stored (JSON) in the team's routing state."""

    case_id: str
    team: str
    #: The rule's SLA as it was when the lead was routed (a reload does not move clocks).
    first_touch_ms: int = Field(gt=0)
    max_reassignments: int = Field(ge=0)
    #: A CRM touch at or after this time (the transition's) and by the deadline counts.
    since_ms: int
    deadline_ms: int
    #: Ids of everyone the lead was given to so far, first first.
    tried: tuple[str, ...]
    assignment: AssignmentData

    @property
    def lead_id(self) -> str:
        return self.assignment.lead.lead_id


@dataclass(frozen=True, slots=True)
class SlaOutcome:
    #: In order: the breach, then the reassignment or escalation.
    events: tuple[AssignmentData, ...] = ()
    #: The case to keep (a reassignment's new clock), or ``None``: closed.
    case: SlaCase | None = None
    #: The pick behind a reassignment (its counts and credit to store), if any.
    pick: Pick | None = None


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def open_case(
    assignment: AssignmentData,
    team: Team,
    since_ms: int,
    first_touch: timedelta,
    max_reassignments: int,
) -> SlaCase | None:
    """The case of a fresh assignment, or ``None`` when it has no deadline."""
    if assignment.sla_deadline is None:
        return None
    return SlaCase(
        case_id=assignment.transition_id,
        team=team.id,
        first_touch_ms=round(first_touch.total_seconds() * 1000),
        max_reassignments=max_reassignments,
        since_ms=since_ms,
        deadline_ms=ms(assignment.sla_deadline),
        tried=(assignment.owner.id,),
        assignment=assignment,
    )


def _breach(case: SlaCase, now: datetime) -> AssignmentData:
    missed = case.assignment
    window = describe_duration(timedelta(milliseconds=case.first_touch_ms))
    reason = f"SLA missed: {missed.owner.id} did not touch the lead within {window}"
    return missed.model_copy(update={"kind": "sla_breached", "reason": reason, "at": now})


def _escalation(case: SlaCase, team: Team, now: datetime) -> AssignmentData:
    missed = case.assignment
    manager = team.manager if team.manager is not None else None
    owner = assignee(manager) if manager is not None else missed.owner
    count = missed.attempt + 1
    reason = f"escalated to the team's manager after {count} missed SLA(s)"
    return missed.model_copy(
        update={
            "kind": "assigned",
            "owner": owner,
            "previous_owner": missed.owner,
            "attempt": count,
            "escalated": True,
            "reason": reason,
            "sla_deadline": None,
            "at": now,
        }
    )


def on_deadline(
    config: RoutingConfig, case: SlaCase, snapshot: TeamSnapshot, now: datetime, touched: bool
) -> SlaOutcome:
    """What a case's deadline does at ``now``; ``touched``: a CRM touch was seen in time."""
    if touched:
        return SlaOutcome()
    breach = _breach(case, now)
    team = next((t for t in config.teams if t.id == case.team), None)
    if team is None:  # the team left the routing file: report the breach, nothing more
        return SlaOutcome(events=(breach,))
    missed = case.assignment
    if missed.attempt >= case.max_reassignments:
        return SlaOutcome(events=(breach, _escalation(case, team, now)))
    account = missed.account.account_id if missed.account is not None else None
    pick = decide(team, snapshot, case.lead_id, account, now, exclude=frozenset(case.tried))
    if pick.how == "manager":
        return SlaOutcome(events=(breach, _escalation(case, team, now)))
    deadline = now + timedelta(milliseconds=case.first_touch_ms)
    again = missed.model_copy(
        update={
            "owner": assignee(pick.owner),
            "previous_owner": missed.owner,
            "attempt": missed.attempt + 1,
            "reason": f"reassigned after {missed.owner.id} missed the SLA: {pick.reason}",
            "sla_deadline": deadline,
            "at": now,
        }
    )
    next_case = case.model_copy(
        update={
            "deadline_ms": ms(deadline),
            "tried": (*case.tried, pick.owner.id),
            "assignment": again,
        }
    )
    return SlaOutcome(events=(breach, again), case=next_case, pick=pick)
