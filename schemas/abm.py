"""Account-based-marketing signals on the ABM topic: CloudEvents 1.0, structured JSON mode.

Contract: the ABM consumer reads the routing topic (account and lead transitions) and the
signals topic (every event, scored with the rules' intent points) and writes one message
per signal to ``leadq.abm`` (``LEADQ_TOPICS__ABM``); Kafka key = ``partitionkey`` = the
account id. Types:

- ``io.leadq.account.mqa``: the account entered MQA, or left it (``mqa.change``);
- ``io.leadq.account.surge``: its intent over a short window reached k × its baseline;
- ``io.leadq.account.persona_engaged``: a buying-committee persona engaged (coverage X of Y);
- ``io.leadq.account.cooling``: the account cooled (left MQA: intent fell below the exit).

``id`` is deterministic (the account, the kind and what caused it: the transition id, the
surge episode number, the persona and its engagement number), so a re-delivery or a
restart re-produces the same id and consumers de-duplicate on it; delivery is at least
once. ``data.account`` carries what an ABM tool needs without another lookup.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from schemas.base import Contract
from schemas.transition import AccountStage, Contributor

AbmKind = Literal["mqa", "surge", "persona_engaged", "cooling"]
ABM_SCHEMA_VERSION = 1
ABM_SOURCE = "/leadq/abm"


class AccountPerson(Contract):
    """A member of the account's buying group, as the engine knows them."""

    lead_id: str
    persona: str
    last_engaged_at: AwareDatetime | None
    #: Engaged within the rules' engaged window (``stages.mqa.engaged_window``).
    engaged: bool


class PersonaCoverage(Contract):
    """Which buying-committee personas (the rules file's ``personas``) are engaged."""

    #: Committee personas engaged now, sorted.
    engaged: tuple[str, ...]
    #: Every committee persona the rules file defines (the default persona is not one).
    committee: tuple[str, ...]
    #: ``len(engaged)`` of ``len(committee)``: "coverage now X of Y".
    covered: int = Field(ge=0)
    of: int = Field(ge=0)


class AbmAccount(Contract):
    """The account context an ABM tool needs: who, how hot, who is engaged, and why."""

    account_id: str
    domain: str | None = None
    #: The account's ``name`` trait (a ``group`` call's), when known.
    name: str | None = None
    stage: AccountStage
    #: Decayed intent at ``as_of`` (all categories).
    intent_score: float
    intent_by_category: dict[str, float] = Field(default_factory=dict)
    engaged_people: int = Field(ge=0)
    #: The engaged people, most recently engaged first, at most 50.
    people: tuple[AccountPerson, ...] = ()
    coverage: PersonaCoverage
    top_signals: tuple[Contributor, ...] = ()
    #: The time the context is read at: the account's newest event time.
    as_of: AwareDatetime


class MqaChange(Contract):
    """An account transition into or out of MQA (from the routing topic)."""

    change: Literal["entered", "left"]
    stage_from: AccountStage
    stage_to: AccountStage
    reason: str
    score: float
    threshold: float | None = None
    #: The transition CloudEvent id on the routing topic.
    transition_id: str


class RuleTotal(Contract):
    rule_id: str
    points: float


class PersonTotal(Contract):
    lead_id: str
    points: float


class Surge(Contract):
    """Intent over the short window against the baseline before it, per day."""

    window_days: int = Field(ge=1)
    baseline_days: int = Field(ge=1)
    #: First and last event-time day (UTC) of the short window; the baseline ends the day
    #: before ``window_start``.
    window_start: date
    window_end: date
    window_intent: float
    baseline_intent: float
    window_per_day: float
    baseline_per_day: float
    #: ``window_per_day / baseline_per_day``; ``None`` when the baseline is zero.
    ratio: float | None
    factor: float
    min_intent: float
    #: The signals behind it: points per intent rule and per person in the short window.
    top_rules: tuple[RuleTotal, ...]
    top_people: tuple[PersonTotal, ...]
    #: 1 for the account's first surge, then 2, 3... (a surge ends when the condition no
    #: longer holds; the next one is a new episode).
    episode: int = Field(ge=1)


class PersonaEngaged(Contract):
    persona: str
    #: The engaged people with this persona.
    people: tuple[str, ...]
    #: 1 the first time this persona engages at the account, 2 when it engages again
    #: after having dropped out of the engaged window, ...
    engagement: int = Field(ge=1)


class AbmData(Contract):
    """The ``data`` of an ABM CloudEvent: the kind's own section plus the account."""

    schema_version: Literal[1] = 1
    kind: AbmKind
    account: AbmAccount
    #: ``mqa`` and ``cooling``: the account transition behind it.
    mqa: MqaChange | None = None
    surge: Surge | None = None
    persona: PersonaEngaged | None = None
    at: AwareDatetime

    @model_validator(mode="after")
    def _section_of_kind(self) -> AbmData:
        section = {
            "mqa": self.mqa,
            "cooling": self.mqa,
            "surge": self.surge,
            "persona_engaged": self.persona,
        }[self.kind]
        if section is None:
            raise ValueError(f"an ABM {self.kind} event needs its section")
        return self


class AbmEvent(Contract):
    """A CloudEvents 1.0 envelope (structured JSON mode) around ``AbmData``."""

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str = ABM_SOURCE
    type: str = Field(pattern=r"^io\.leadq\.account\.(mqa|surge|persona_engaged|cooling)$")
    time: AwareDatetime
    subject: str
    partitionkey: str
    datacontenttype: Literal["application/json"] = "application/json"
    data: AbmData


def abm_cause(data: AbmData) -> str:
    """What makes this signal this one: the transition, the episode, the engagement."""
    if data.mqa is not None:
        return data.mqa.transition_id
    if data.surge is not None:
        return f"episode:{data.surge.episode}"
    assert data.persona is not None  # the validator guarantees one section
    return f"persona:{data.persona.persona}:{data.persona.engagement}"


def abm_id(data: AbmData) -> str:
    """Deterministic id: the same account, kind and cause give the same id."""
    parts = (data.account.account_id, data.kind, abm_cause(data))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def to_abm_event(data: AbmData) -> AbmEvent:
    """Wrap ABM data in its CloudEvents envelope."""
    account_id = data.account.account_id
    return AbmEvent(
        id=abm_id(data),
        type=f"io.leadq.account.{data.kind}",
        time=data.at,
        subject=account_id,
        partitionkey=account_id,
        data=data,
    )
