"""Stage transitions on the routing topic: CloudEvents 1.0, structured JSON mode.

Contract: one message per transition; Kafka key = ``partitionkey`` = the lead id (the
account id for account transitions). ``id`` is deterministic — the same transition
computed twice (a replay, a worker restart) has the same id — so consumers de-duplicate
on it; delivery is at least once. ``data`` explains the decision without any other
system: stages, scores, the top contributing signals with their decayed weights, the
triggering event and the rules version.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, Field, JsonValue

from schemas.base import Contract

Entity = Literal["lead", "account"]
#: ``lifecycle``: known → mql → sql, recycled, disqualified; ``product``: none → pql →
#: pql_lapsed; ``account``: unengaged → mqa → cooling.
Track = Literal["lifecycle", "product", "account"]
LifecycleStage = Literal["known", "mql", "sql", "recycled", "disqualified"]
ProductStage = Literal["none", "pql", "pql_lapsed"]
AccountStage = Literal["unengaged", "mqa", "cooling"]
Stage = LifecycleStage | ProductStage | AccountStage

TRANSITION_SCHEMA_VERSION = 1
CLOUDEVENT_SOURCE = "/leadq/qualifier"
#: The ``$id`` of ``schemas/json/transition-data.schema.json`` (the schema of ``data``
#: alone) and every transition's CloudEvents ``dataschema``. A URN, not a URL: nothing
#: has to be served for a consumer to match it; the version moves with
#: ``TRANSITION_SCHEMA_VERSION``.
TRANSITION_DATA_SCHEMA_ID = f"urn:leadq:schema:transition-data:v{TRANSITION_SCHEMA_VERSION}"
#: The Kafka ``content-type`` header of a structured-mode CloudEvent (Kafka binding 1.0).
CLOUDEVENTS_JSON = "application/cloudevents+json"


class Contributor(Contract):
    """One scored signal and what it is worth at the transition's time."""

    rule_id: str
    event_id: str
    category: str
    points: float
    occurred_at: AwareDatetime
    weight: float
    #: The person whose event it was (account transitions list several people).
    lead_id: str


class Fit(Contract):
    score: float
    grade: Literal["A", "B", "C", "D", "F"]
    #: Named reasons of hard disqualifiers that currently match.
    disqualifiers: tuple[str, ...] = ()


class AccountContext(Contract):
    account_id: str
    domain: str | None = None
    stage: AccountStage
    intent_score: float
    engaged_people: int
    personas: tuple[str, ...]


class TransitionData(Contract):
    """The ``data`` of a transition CloudEvent."""

    schema_version: Literal[1] = 1
    entity: Entity
    entity_id: str
    track: Track
    stage_from: Stage
    stage_to: Stage
    #: Why, in one human sentence.
    reason: str
    #: The score the stage rule compared, at ``at`` (fit + answers + intent for MQL).
    score: float
    threshold: float | None = None
    fit: Fit | None = None
    answers: dict[str, JsonValue] = Field(default_factory=dict)
    answers_score: float = 0.0
    intent_score: float
    intent_by_category: dict[str, float]
    #: The signals worth most at ``at``, ranked by the absolute value of their decayed
    #: weight (an unsubscribe at −10 outranks a blog view at +2), then newest first.
    top_signals: tuple[Contributor, ...]
    #: The event that caused it; ``None`` for decay-driven transitions.
    trigger_event_id: str | None
    account: AccountContext | None = None
    #: Names of the hand-raise rules (``stages.hand_raise``) whose event made this move
    #: at once, whatever the score; empty for score- and decay-driven moves. Routing
    #: treats a non-empty value as a hand-raise (its own, usually shorter, SLA).
    hand_raise: tuple[str, ...] = ()
    #: Lead transitions: who the person is and what their company is, as rules read
    #: them (``person.<field>``, ``company.<field>``: title-derived seniority and
    #: department, normalised firmographics; ``schemas.traits``).
    person: dict[str, JsonValue] = Field(default_factory=dict)
    company: dict[str, JsonValue] = Field(default_factory=dict)
    rules_version: str
    at: AwareDatetime


class TransitionEvent(Contract):
    """A CloudEvents 1.0 envelope (structured JSON mode) around ``TransitionData``."""

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str = CLOUDEVENT_SOURCE
    type: str = Field(pattern=r"^io\.leadq\.(lead|account)\.[a-z_]+$")
    time: AwareDatetime
    subject: str
    partitionkey: str
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str = TRANSITION_DATA_SCHEMA_ID
    data: TransitionData


def transition_id(data: TransitionData) -> str:
    """Deterministic id: the same entity, move, time and trigger give the same id."""
    parts = (
        data.entity,
        data.entity_id,
        data.track,
        data.stage_from,
        data.stage_to,
        data.at.isoformat(),
        data.trigger_event_id or "decay",
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def to_cloudevent(data: TransitionData) -> TransitionEvent:
    """Wrap transition data in its CloudEvents envelope."""
    return TransitionEvent(
        id=transition_id(data),
        type=f"io.leadq.{data.entity}.{data.stage_to}",
        time=data.at,
        subject=data.entity_id,
        partitionkey=data.entity_id,
        data=data,
    )


def ms_to_datetime(epoch_ms: int) -> datetime:
    """Engine time (epoch ms) as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
