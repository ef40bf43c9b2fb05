"""Per-lead and per-account state the engine reads and writes.

Plain mutable dataclasses with ``clone()``: engine entry points clone before changing, so
callers' states are never mutated (``apply`` is a pure function of its arguments).
Times are integer epoch milliseconds, event time.

Every fact that several events can set is kept with the event time it was set at, and
the newest wins (ties broken by the value, never by arrival), so a state is a function
of the set of events applied to it, not of their order.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from typing import Any

from leadq.decay import Decayed
from leadq.profile_model import Profile

#: (event time ms, event id digest, decay category): one event that scored under a capped
#: rule. Ordered by time then digest, which decides which events of a full bucket score.
Award = tuple[int, int, str]


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
    #: Home generation (``leadq.identity``) its account was last set at: a signal routed
    #: under an older generation never moves it back.
    gen: int = 0
    stage: str = "known"
    stage_since_ms: int | None = None
    #: ``crm`` when a CRM event disqualified the lead (sticky), ``rules`` when a
    #: disqualifier matched (lifted when the traits no longer match).
    disqualified_by: str | None = None
    product_stage: str = "none"
    latest_ms: int | None = None
    email: str | None = None
    #: Event time the email was set at (the newest wins).
    email_ms: int | None = None
    account_id: str | None = None
    intent: dict[str, Decayed] = field(default_factory=dict)
    #: rule id → bucket number → awarded events, earliest first.
    caps: dict[str, dict[int, list[Award]]] = field(default_factory=dict)
    contributions: list[Contribution] = field(default_factory=list)
    #: trait name → (value, event time it was set at); newer event time wins.
    traits: dict[str, tuple[Any, int]] = field(default_factory=dict)
    #: event id digest (``event_digest``) → event time, for de-duplication within the
    #: dedupe window; 8 bytes per event instead of the id. Only events whose repetition
    #: could change something (see ``leadq.engine``); ``recent`` holds the others for a
    #: day, and cap awards name the events they hold.
    seen: dict[int, int] = field(default_factory=dict)
    recent: dict[int, int] = field(default_factory=dict)
    last_engaged_ms: int | None = None
    #: Set when sales recycled the lead: it must cool below the MQL exit before it can
    #: become an MQL again.
    cooldown: bool = False
    #: The profile as of the lead's last applied event: decay-driven moves and due times
    #: use it, so they depend only on the lead's own history.
    profile: Profile | None = None
    #: What the profile was computed from (``leadq.engine.profile_basis``: the account
    #: and its facts revision, the rules): it is computed again when that changes or an
    #: event brings facts, and otherwise reused.
    profile_basis: int = 0
    #: Digests of the ids of the state transfers folded into this lead (``leadq.bucket``),
    #: newest last: a transfer applied again (a crash before its source was cleaned up)
    #: is skipped.
    folded: list[int] = field(default_factory=list)

    def clone(self) -> LeadState:
        return copy.deepcopy(self)

    def trait_values(self) -> dict[str, Any]:
        return {name: value for name, (value, _) in self.traits.items()}

    def has_seen(self, event_id: str) -> bool:
        """Whether an event with this id was applied (and is still remembered: a day for
        events that change nothing when repeated, the dedupe window for the others)."""
        digest = event_digest(event_id)
        if digest in self.seen or digest in self.recent:
            return True
        return any(
            award[1] == digest
            for buckets in self.caps.values()
            for awards in buckets.values()
            for award in awards
        )

    def set_email(self, email: str | None, at_ms: int) -> None:
        """Take ``email`` unless a newer event set another (ties: the larger address)."""
        if email and newer((email, at_ms), (self.email, self.email_ms)):
            self.email, self.email_ms = email, at_ms


@dataclass(frozen=True, slots=True)
class Tombstone:
    """What is left where a lead's state was before it moved (account change) or merged.

    Signals still addressed to the old place follow it to ``lead_id`` in ``bucket``; a
    signal routed to the same lead under a newer generation than ``gen`` means the lead
    came back here, and the tombstone no longer applies. ``fold_id`` names the transfer;
    while ``kept``, the state that left is also kept beside it until the new place has
    folded it in (a crash in between loses nothing).
    """

    lead_id: str
    bucket: int
    account_id: str | None
    gen: int
    fold_id: str
    kept: bool


@dataclass(slots=True)
class AccountState:
    account_id: str
    domain: str | None = None
    #: Event time the domain was set at (the newest group call naming one wins).
    domain_ms: int | None = None
    #: Group ids (``groupId``) that name this account besides its own id, sorted: the
    #: groups whose company domain the account is keyed by.
    ids: list[str] = field(default_factory=list)
    #: Bumped whenever its firmographics or domain may have changed (members' profiles,
    #: which read them, are then computed again).
    rev: int = 0
    stage: str = "unengaged"
    stage_since_ms: int | None = None
    latest_ms: int | None = None
    intent: dict[str, Decayed] = field(default_factory=dict)
    contributions: list[Contribution] = field(default_factory=list)
    traits: dict[str, tuple[Any, int]] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)

    def clone(self) -> AccountState:
        return copy.deepcopy(self)

    def set_domain(self, domain: str | None, at_ms: int) -> None:
        """Take ``domain`` unless a newer event named another (see :func:`newer`)."""
        if domain and newer((domain, at_ms), (self.domain, self.domain_ms)):
            self.domain, self.domain_ms = domain, at_ms

    def trait_values(self) -> dict[str, Any]:
        return {name: value for name, (value, _) in self.traits.items()}


def later(current: int | None, at_ms: int) -> int:
    """The later of an optional time and a time (``None`` means never; 0 is a time)."""
    return at_ms if current is None else max(current, at_ms)


#: How long an event whose repetition changes nothing is remembered (for a re-delivery
#: to be reported as a duplicate, and tests to tell it was applied).
RECENT_MS = 86_400_000


def event_digest(event_id: str) -> int:
    """A 64-bit digest of an event id: what de-duplication stores."""
    return int.from_bytes(hashlib.blake2b(event_id.encode(), digest_size=8).digest(), "big")


def newer(candidate: tuple[Any, int], current: tuple[Any, int | None]) -> bool:
    """Whether ``(value, at_ms)`` wins over ``current``: the newer event time, and on a
    tie the larger value (by its ``repr``), so the winner never depends on arrival order."""
    value, at_ms = candidate
    held, held_ms = current
    if held_ms is None or at_ms != held_ms:
        return held_ms is None or at_ms > held_ms
    return value != held and repr(value) > repr(held)


def merge_traits(traits: dict[str, tuple[Any, int]], new: dict[str, Any], at_ms: int) -> bool:
    """Set each new trait unless a newer event already set it (order-independent, see
    :func:`newer`). ``None`` carries no information and is skipped. Returns whether a
    trait's value changed (not only the time it was last seen)."""
    changed = False
    for name, value in new.items():
        if value is None:
            continue
        current = traits.get(name)
        if current is None or newer((value, at_ms), current):
            changed = changed or current is None or current[0] != value
            traits[name] = (value, at_ms)
    return changed
