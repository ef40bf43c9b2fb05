"""What a lead does: match intent rules on a signal and apply points with caps.

Caps keep the order-independence of decay: per rule and per event-time bucket of
length ``cap.per``, the earliest ``cap.count`` events (by event time, then the digest of
their event id) score. A late event earlier than an awarded one takes its place, and the displaced
award's points are taken back exactly (they are decayed terms like any other).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from leadq.compiled import CompiledIntentRule, CompiledRules
from leadq.decay import Decayed
from leadq.state import AccountState, Award, Contribution, LeadState, event_digest
from schemas.signal import Signal


@dataclass(frozen=True, slots=True)
class Match:
    """An intent rule that matched a signal, before caps."""

    compiled: CompiledIntentRule
    category: str

    @property
    def rule_id(self) -> str:
        return self.compiled.rule.id

    @property
    def points(self) -> float:
        return self.compiled.rule.points


def event_subject(signal: Signal) -> dict[str, Any]:
    """The view intent rules are matched against."""
    return {
        "channel": signal.channel,
        "type": signal.type,
        "name": signal.name,
        "source": signal.source,
        "properties": signal.properties,
        "traits": signal.traits,
        "email": signal.identity.email,
    }


def match_intent(signal: Signal, rules: CompiledRules) -> list[Match]:
    """Every intent rule the signal satisfies; machine activity only where allowed."""
    candidates = rules.intent_for[(signal.channel, signal.type)]
    if not candidates:
        return []
    name, bot = signal.name.casefold(), signal.is_bot
    subject = event_subject(signal)
    return [
        Match(c, c.rule.category or signal.channel)
        for c in candidates
        if (c.names is None or name in c.names)
        and (c.rule.count_bots or not bot)
        and c.matches(subject)
    ]


def add_points(
    terms: dict[str, Decayed], category: str, points: float, at_ms: int, rules: CompiledRules
) -> None:
    """Add ``points`` earned at ``at_ms`` to a category's decayed term (negative: take back)."""
    current = terms.get(category) or Decayed(0.0, at_ms, rules.half_life_ms(category))
    terms[category] = current.add(points, at_ms)


def _cap_decision(lead: LeadState, match: Match, award: Award) -> tuple[bool, Award | None]:
    """Whether ``award`` scores under the rule's cap, and which award it displaces."""
    count, per = match.compiled.cap_count, match.compiled.cap_per_ms
    if count is None or per is None:
        return True, None
    buckets = lead.caps.setdefault(match.rule_id, {})
    awarded = buckets.setdefault(award[0] // per, [])
    if len(awarded) < count:
        bisect.insort(awarded, award)
        return True, None
    if award < awarded[-1]:
        displaced = awarded.pop()
        bisect.insort(awarded, award)
        return True, displaced
    return False, None


def apply_match(
    lead: LeadState,
    account: AccountState | None,
    match: Match,
    signal: Signal,
    rules: CompiledRules,
) -> bool:
    """Score one matched rule on the lead and its account; returns whether it scored."""
    at_ms, event_id = signal.occurred_ms, signal.event_id
    award = (at_ms, event_digest(event_id), match.category)
    scored, displaced = _cap_decision(lead, match, award)
    if not scored:
        return False
    _credit(lead, account, match, award, rules, event_id=event_id)
    if displaced is not None:
        _credit(lead, account, match, displaced, rules, event_id=None)
    return True


def _credit(
    lead: LeadState,
    account: AccountState | None,
    match: Match,
    award: Award,
    rules: CompiledRules,
    *,
    event_id: str | None,
) -> None:
    """Add one award's points and explanation (the event ``event_id``), or take back a
    displaced award's (``event_id`` None)."""
    at_ms, digest, category = award
    points = -match.points if event_id is None else match.points
    add_points(lead.intent, category, points, at_ms, rules)
    if account is not None:
        add_points(account.intent, category, points, at_ms, rules)
    if event_id is not None:
        entry = Contribution(match.rule_id, event_id, category, points, at_ms, lead.lead_id)
        lead.contributions.append(entry)
        if account is not None:
            account.contributions.append(entry)
    else:
        # No longer held by the cap: remembered as seen, so a repetition stays a no-op.
        lead.seen[digest] = at_ms
        forget(lead.contributions, {(match.rule_id, digest)})
        if account is not None:
            forget(account.contributions, {(match.rule_id, digest)})


def forget(contributions: list[Contribution], dropped: set[tuple[str, int]]) -> None:
    """Drop the contributions of (rule id, event id digest) pairs that no longer score."""
    contributions[:] = [
        c for c in contributions if (c.rule_id, event_digest(c.event_id)) not in dropped
    ]


def prune_caps(lead: LeadState, horizon_start_ms: int, rules: CompiledRules) -> None:
    """Drop cap buckets that ended before the late-event horizon: no event can reach them."""
    for rule_id, buckets in lead.caps.items():
        per = rules.intent_by_id[rule_id].cap_per_ms if rule_id in rules.intent_by_id else None
        if per is None:
            continue
        for bucket in [b for b in buckets if (b + 1) * per <= horizon_start_ms]:
            del buckets[bucket]
