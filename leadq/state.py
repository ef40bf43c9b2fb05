"""Per-lead and per-account state the engine reads and writes.

Plain mutable dataclasses with ``clone()``: engine entry points clone before changing, so
callers' states are never mutated (``apply`` is a pure function of its arguments).
Times are integer epoch milliseconds, event time.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from leadq.decay import Decayed
from leadq.profile_model import Profile

#: (event time ms, event id, decay category): one event that scored under a capped rule.
#: Ordered by time then id, which decides which events of a full bucket score.
Award = tuple[int, str, str]


@dataclass(slots=True)
class Contribution:
    """Points one event earned under one rule, kept for explanations."""

    rule_id: str
    event_id: str
    category: str
    points: float
    earned_ms: int
    lead_id: str


@dataclass(slots=True)
class Member:
    """A person in an account's buying group."""

    persona: str
    #: Event time of their newest scoring (non-bot, positive) intent event, if any.
    last_engaged_ms: int | None = None


@dataclass(slots=True)
class LeadState:
    lead_id: str
    stage: str = "known"
    stage_since_ms: int | None = None
    #: ``crm`` when a CRM event disqualified the lead (sticky), ``rules`` when a
    #: disqualifier matched (lifted when the traits no longer match).
    disqualified_by: str | None = None
    product_stage: str = "none"
    latest_ms: int | None = None
    email: str | None = None
    account_id: str | None = None
    intent: dict[str, Decayed] = field(default_factory=dict)
    #: rule id → bucket number → awarded events, earliest first.
    caps: dict[str, dict[int, list[Award]]] = field(default_factory=dict)
    contributions: list[Contribution] = field(default_factory=list)
    #: trait name → (value, event time it was set at); newer event time wins.
    traits: dict[str, tuple[Any, int]] = field(default_factory=dict)
    #: event id → event time, for de-duplication within the dedupe window.
    seen: dict[str, int] = field(default_factory=dict)
    last_engaged_ms: int | None = None
    #: Set when sales recycled the lead: it must cool below the MQL exit before it can
    #: become an MQL again.
    cooldown: bool = False
    #: The profile as of the lead's last applied event: decay-driven moves and due times
    #: use it, so they depend only on the lead's own history.
    profile: Profile | None = None

    def clone(self) -> LeadState:
        return copy.deepcopy(self)

    def trait_values(self) -> dict[str, Any]:
        return {name: value for name, (value, _) in self.traits.items()}


@dataclass(slots=True)
class AccountState:
    account_id: str
    domain: str | None = None
    stage: str = "unengaged"
    stage_since_ms: int | None = None
    latest_ms: int | None = None
    intent: dict[str, Decayed] = field(default_factory=dict)
    contributions: list[Contribution] = field(default_factory=list)
    traits: dict[str, tuple[Any, int]] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)

    def clone(self) -> AccountState:
        return copy.deepcopy(self)

    def trait_values(self) -> dict[str, Any]:
        return {name: value for name, (value, _) in self.traits.items()}


def later(current: int | None, at_ms: int) -> int:
    """The later of an optional time and a time (``None`` means never; 0 is a time)."""
    return at_ms if current is None else max(current, at_ms)


def merge_traits(traits: dict[str, tuple[Any, int]], new: dict[str, Any], at_ms: int) -> None:
    """Set each new trait unless a newer event already set it (order-independent).

    ``None`` carries no information and is skipped (it cannot be stored in Redis's
    MessagePack tables, and skipping keeps both paths equal).
    """
    for name, value in new.items():
        if value is None:
            continue
        current = traits.get(name)
        if current is None or at_ms >= current[1]:
            traits[name] = (value, at_ms)
