"""Prepare signals for apply.lua: everything that needs the rules' conditions.

The Lua fast path does the arithmetic; matching rules, fit, answers and personas need
Python (globs, regexes, traits). For each signal this computes the script's event map
from a *working copy* of the lead's and account's facts, updated exactly as the script
will update them, so later signals of the same batch see earlier ones' traits.
"""

from __future__ import annotations

from typing import Any

from leadq.compiled import CompiledRules
from leadq.intent import match_intent
from leadq.profile import build_profile, grade_at_least, person_subject
from leadq.profile_model import Profile
from leadq.state import AccountState, LeadState, later, merge_traits
from schemas.signal import Signal
from streams.codec import profile_to_wire


def _crm_commands(signal: Signal, rules: CompiledRules) -> list[str]:
    """The CRM commands a signal's name maps to, in the order the engine tries them."""
    if signal.channel != "crm":
        return []
    sql = rules.rules.stages.sql
    lists = (("dq", sql.disqualify_on_crm), ("recycle", sql.recycle_on_crm), ("accept", sql.on_crm))
    return [command for command, names in lists if signal.name in names]


def _status(
    lead: LeadState,
    offsets: dict[str, int],
    signal: Signal,
    source: str,
    offset: int | None,
    rules: CompiledRules,
) -> str:
    """What apply.lua will do with the signal (mirrors its checks, in its order)."""
    if offset is not None and source in offsets and offset <= offsets[source]:
        return "replayed"
    if offset is not None:
        offsets[source] = offset
    if signal.event_id in lead.seen:
        return "duplicate"
    lead.seen[signal.event_id] = signal.occurred_ms
    if lead.latest_ms is not None and signal.occurred_ms < lead.latest_ms - rules.late_horizon_ms:
        return "too_late"
    return "applied"


def _absorb(
    lead: LeadState, account: AccountState | None, signal: Signal, rules: CompiledRules
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Merge the signal's facts into the working copies; returns (lead, account) traits."""
    at_ms = signal.occurred_ms
    answer_fields = {a.field for a in rules.rules.answers}
    group = signal.type == "group" and account is not None
    lead_traits = {} if group else dict(signal.traits)
    lead_traits.update({k: v for k, v in signal.properties.items() if k in answer_fields})
    account_traits = dict(signal.traits) if group else {}
    lead.email = signal.identity.email or lead.email
    merge_traits(lead.traits, lead_traits, at_ms)
    if group and account is not None:
        merge_traits(account.traits, account_traits, at_ms)
        account.domain = account.domain or signal.account.domain
    lead.latest_ms = later(lead.latest_ms, at_ms)
    return lead_traits, account_traits


#: Per batch: lead id → (the person subject a profile was built from, it, on the wire).
ProfileCache = dict[str, tuple[dict[str, Any], Profile, dict[str, Any]]]


def _profile(
    lead: LeadState,
    account: AccountState | None,
    rules: CompiledRules,
    cache: ProfileCache | None,
) -> tuple[Profile, dict[str, Any]]:
    """``build_profile`` and its wire form, reused while the lead's subject is unchanged.

    A profile is a function of the person subject alone (the answers are lead traits,
    which the subject holds), and most signals change no trait, so within a batch a
    lead's later signals mostly reuse the first one's profile.
    """
    subject = person_subject(lead, account, rules.free_mail)
    cached = cache.get(lead.lead_id) if cache is not None else None
    if cached is not None and cached[0] == subject:
        return cached[1], cached[2]
    profile = build_profile(lead, account, rules)
    wire = profile_to_wire(profile)
    if cache is not None:
        cache[lead.lead_id] = (subject, profile, wire)
    return profile, wire


def prepare_event(
    lead: LeadState,
    account: AccountState | None,
    offsets: dict[str, int],
    signal: Signal,
    source: str,
    offset: int | None,
    rules: CompiledRules,
    profiles: ProfileCache | None = None,
) -> dict[str, Any]:
    """The apply.lua event map for ``signal``; updates the working copies in place.
    ``profiles`` (one dict per batch and rules) lets a lead's signals share a profile."""
    event: dict[str, Any] = {
        "id": signal.event_id,
        "t": signal.occurred_ms,
        "src": source,
        "name": signal.name,
    }
    if offset is not None:
        event["off"] = offset
    if _status(lead, offsets, signal, source, offset, rules) != "applied":
        return event  # the script will skip it before reading anything else
    lead_traits, account_traits = _absorb(lead, account, signal, rules)
    matches = match_intent(signal, rules)
    profile, profile_wire = _profile(lead, account, rules, profiles)
    stages = rules.rules.stages
    event.update(
        em=signal.identity.email,
        grp=signal.type == "group",
        ltr=lead_traits,
        atr=account_traits,
        adom=signal.account.domain,
        m=[
            _match(
                m.compiled.rule.id,
                m.category,
                m.points,
                m.compiled.cap_count,
                m.compiled.cap_per_ms,
            )
            for m in matches
        ],
        hr=sorted({m.rule_id for m in matches} & set(stages.sql.on_rules)),
        crm=_crm_commands(signal, rules),
        eng=not signal.is_bot and any(m.points > 0 for m in matches),
        gok=grade_at_least(profile.grade, stages.mql.min_grade),
        amq=all(a in profile.answers for a in stages.mql.requires_answers),
        asq=all(a in profile.answers for a in stages.sql.requires_answers),
        dqn=[f"{d} ({reason})" for d, reason in profile.disqualifiers],
        pf=profile_wire,
    )
    return _slim(event)


def _slim(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` without what apply.lua reads as absent anyway (None, False, empty
    lists and maps): every field costs the script its unpacking."""
    return {
        k: v
        for k, v in event.items()
        if v is not None and v is not False and not (isinstance(v, list | dict) and not v)
    }


def prepare_account_only(account: AccountState, signal: Signal) -> dict[str, Any]:
    """The event map of a ``group`` call naming only an account."""
    merge_traits(account.traits, dict(signal.traits), signal.occurred_ms)
    account.domain = account.domain or signal.account.domain
    event = {
        "id": signal.event_id,
        "t": signal.occurred_ms,
        "atr": dict(signal.traits),
        "adom": signal.account.domain,
    }
    return {k: v for k, v in event.items() if v is not None}


def _match(
    rule_id: str, category: str, points: float, count: int | None, per_ms: int | None
) -> dict[str, Any]:
    match: dict[str, Any] = {"r": rule_id, "c": category, "p": points}
    if count is not None and per_ms is not None:
        match.update(n=count, w=per_ms)
    return match
