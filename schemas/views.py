"""Responses of the worker's read API (``GET /leads/{id}``, ``GET /accounts/{id}``).

Scores are read at ``as_of`` (the request time): decayed, exact, and never stored back.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field, JsonValue

from schemas.base import Contract
from schemas.transition import AccountStage, Contributor, Fit, LifecycleStage, ProductStage


class EngagedPerson(Contract):
    lead_id: str
    persona: str
    last_engaged_at: AwareDatetime | None
    engaged: bool


class LeadView(Contract):
    schema_version: Literal[1] = 1
    lead_id: str
    as_of: AwareDatetime
    stage: LifecycleStage
    stage_since: AwareDatetime | None
    product_stage: ProductStage
    email: str | None
    account_id: str | None
    fit: Fit
    answers: dict[str, JsonValue]
    answers_score: float
    intent_score: float
    intent_by_category: dict[str, float]
    #: fit + answers + intent: what the MQL thresholds compare.
    mql_score: float
    top_signals: tuple[Contributor, ...]
    last_event_at: AwareDatetime | None
    #: When decay alone will next move the lead (leave MQL or PQL), if it will.
    next_decay_transition_at: AwareDatetime | None
    traits: dict[str, JsonValue]
    #: The derived views rules read as ``person.<field>`` and ``company.<field>``
    #: (``schemas.traits``), and where each value was read (``"person.seniority":
    #: "traits.title"``).
    person: dict[str, JsonValue] = Field(default_factory=dict)
    company: dict[str, JsonValue] = Field(default_factory=dict)
    derived_from: dict[str, str] = Field(default_factory=dict)
    rules_version: str


class AccountView(Contract):
    schema_version: Literal[1] = 1
    account_id: str
    as_of: AwareDatetime
    domain: str | None
    #: Every id that names this account: its own id (a company domain when one is known
    #: for it, else a group id) and the group ids (``groupId``) linked to its domain.
    ids: tuple[str, ...] = ()
    #: The company domains it is known by (leads whose email is there belong to it).
    domains: tuple[str, ...] = ()
    stage: AccountStage
    stage_since: AwareDatetime | None
    intent_score: float
    intent_by_category: dict[str, float]
    engaged_people: int
    personas: tuple[str, ...]
    people: tuple[EngagedPerson, ...]
    top_signals: tuple[Contributor, ...]
    last_event_at: AwareDatetime | None
    next_decay_transition_at: AwareDatetime | None
    traits: dict[str, JsonValue]
    #: The account's own firmographics as rules read them (``company.<field>``).
    company: dict[str, JsonValue] = Field(default_factory=dict)
    rules_version: str
