"""Routing decisions on the assignments topic: CloudEvents 1.0, structured JSON mode.

Contract: the router consumes stage transitions from the routing topic and writes one
message per decision to ``leadq.assignments`` (``LEADQ_TOPICS__ASSIGNMENTS``); Kafka key =
``partitionkey`` = the lead id. Types:

- ``io.leadq.lead.assigned``: a lead was given an owner (first assignment, or a
  reassignment after a missed SLA: ``attempt`` > 0);
- ``io.leadq.lead.sla_breached``: nobody touched the lead before ``sla_deadline``; the
  same message names the owner who missed it; a reassignment (or an escalation to the
  team's manager, ``escalated``) follows as its own ``assigned`` event.

``id`` is deterministic (the triggering transition id, the decision kind and the attempt),
so consumers (SDR alerts, CRM sync) de-duplicate on it; delivery is at least once.
``data`` carries everything an alert needs without another lookup: who, company, stage,
why (fit grade, score, top signals, account context), the owner, the team and the SLA.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import AwareDatetime, Field

from schemas.base import Contract
from schemas.transition import AccountContext, Contributor, Fit, Stage

AssignmentKind = Literal["assigned", "sla_breached"]
ASSIGNMENT_SCHEMA_VERSION = 1
ASSIGNMENT_SOURCE = "/leadq/router"


class Assignee(Contract):
    """A rep (or a team's manager on escalation) as the routing file names them."""

    id: str
    name: str | None = None
    email: str | None = None
    #: Slack-compatible incoming-webhook URL for this person, if the routing file has one.
    webhook_url: str | None = None


class TeamRef(Contract):
    id: str
    name: str | None = None
    #: The team's Slack-compatible incoming-webhook URL, if the routing file has one.
    webhook_url: str | None = None


class LeadContext(Contract):
    """Who the lead is, as far as the transition and its traits say (may be sparse)."""

    lead_id: str
    email: str | None = None
    name: str | None = None
    title: str | None = None
    company: str | None = None
    country: str | None = None


class AssignmentData(Contract):
    """The ``data`` of an assignment or SLA-breach CloudEvent."""

    schema_version: Literal[1] = 1
    kind: AssignmentKind
    lead: LeadContext
    #: The transition CloudEvent id that started this routing.
    transition_id: str
    stage: Stage
    #: Hand-raise rule names when the transition was a hand-raise (see TransitionData).
    hand_raise: tuple[str, ...] = ()
    team: TeamRef
    owner: Assignee
    #: The previous owner on a reassignment or breach, else ``None``.
    previous_owner: Assignee | None = None
    #: The routing rule that matched (its name in the routing file).
    rule: str
    #: Why this owner, in one human sentence ("account owner of acct-42", "round robin:
    #: weight 2, 3 of 10 today", "fallback: nobody available", "escalated to manager").
    reason: str
    #: 0 for the first assignment, then 1, 2... for each reassignment after a breach.
    attempt: int = 0
    escalated: bool = False
    #: When the owner must have touched the lead; ``None`` when the rule has no SLA.
    sla_deadline: AwareDatetime | None = None
    #: From the transition: why the lead is here.
    score: float
    fit: Fit | None = None
    top_signals: tuple[Contributor, ...] = ()
    account: AccountContext | None = None
    at: AwareDatetime


class AssignmentEvent(Contract):
    """A CloudEvents 1.0 envelope (structured JSON mode) around ``AssignmentData``."""

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str = ASSIGNMENT_SOURCE
    type: str = Field(pattern=r"^io\.leadq\.lead\.(assigned|sla_breached)$")
    time: AwareDatetime
    subject: str
    partitionkey: str
    datacontenttype: Literal["application/json"] = "application/json"
    data: AssignmentData


def assignment_id(data: AssignmentData) -> str:
    """Deterministic id: the same transition, decision kind and attempt give the same id."""
    parts = (data.transition_id, data.kind, str(data.attempt))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def to_assignment_event(data: AssignmentData) -> AssignmentEvent:
    """Wrap assignment data in its CloudEvents envelope."""
    return AssignmentEvent(
        id=assignment_id(data),
        type=f"io.leadq.lead.{data.kind}",
        time=data.at,
        subject=data.lead.lead_id,
        partitionkey=data.lead.lead_id,
        data=data,
    )
