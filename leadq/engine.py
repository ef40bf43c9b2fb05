"""The engine's core: ``apply(lead, account, signal, rules) -> Outcome``.

Pure: no I/O, no clock (time comes from the event), inputs are never mutated. Given the
lead's and its account's state, one signal yields their new states and the explained
transitions it causes. Contract:

- A repeated ``event_id`` within the dedupe window changes nothing (``duplicate``).
  What is remembered for that costs bytes per event for months, so only events whose
  repetition could change something are kept that long (one that scored under a rule
  without a cap, or was not awarded under a cap, or was displaced from one, and CRM
  verdicts); an event awarded under its caps is remembered by its awards; any other
  event (it changes nothing when applied again) for a day (``leadq.state.RECENT_MS``).
- Decay-driven moves due at or before the event's time fire first, at their own times,
  exactly as the stream's timer would have fired them.
- An event older than the late-event horizon (90 days by default) behind the lead's
  newest event is recorded but not scored (``too_late``). A late event within it adds
  its decayed points; stages are judged at the lead's newest event time, so it never
  creates a transition in the past.
- Within the horizon the resulting scores, traits, caps and memberships do not depend
  on the order events arrive in (stages do: they are judged on arrival).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Literal

from leadq.compiled import CompiledRules
from leadq.derived import TABLES_DIGEST
from leadq.explain import trim
from leadq.identity import signal_account
from leadq.intent import Match, apply_match, match_intent, prune_caps
from leadq.profile import build_profile
from leadq.profile_model import Profile
from leadq.stages import (
    account_due,
    cool_down,
    evaluate_account,
    evaluate_lead,
    fire_account_decay,
    fire_lead_decay,
    lead_due,
)
from leadq.state import (
    RECENT_MS,
    AccountState,
    LeadState,
    Member,
    event_digest,
    later,
    merge_traits,
)
from leadq.transitions import Move, account_transition, lead_transition
from schemas.signal import Signal
from schemas.transition import TransitionData

Status = Literal["applied", "duplicate", "too_late", "account_only"]


@dataclass(frozen=True, slots=True)
class Outcome:
    lead: LeadState | None
    account: AccountState | None
    transitions: tuple[TransitionData, ...]
    status: Status


def apply(
    lead: LeadState | None,
    account: AccountState | None,
    signal: Signal,
    rules: CompiledRules,
    lead_id: str | None = None,
) -> Outcome:
    """Apply one signal to a lead (``None``: a new lead called ``lead_id``) and its account.

    ``account`` must be the state of the account the lead belongs to after this signal
    (see ``leadq.identity.account_key``), or ``None`` for a lead without one.
    """
    return apply_in_place(
        lead.clone() if lead is not None else None,
        account.clone() if account is not None else None,
        signal,
        rules,
        lead_id,
    )


def apply_in_place(
    lead: LeadState | None,
    account: AccountState | None,
    signal: Signal,
    rules: CompiledRules,
    lead_id: str | None = None,
) -> Outcome:
    """``apply`` for a caller that owns the states (``World``): they are updated in place
    and returned in the outcome, saving two deep copies per event."""
    if lead is None and lead_id is None:
        return _apply_account_only(account, signal, rules)
    lead = lead if lead is not None else LeadState(lead_id=lead_id or "")
    at_ms = signal.occurred_ms
    digest = event_digest(signal.event_id)
    matches = match_intent(signal, rules)
    if digest in lead.seen or digest in lead.recent or _awarded(lead, matches, at_ms, digest):
        return Outcome(lead, account, (), "duplicate")
    transitions = list(fire_due(lead, account, at_ms, rules))
    if lead.latest_ms is not None and at_ms < lead.latest_ms - rules.late_horizon_ms:
        # Not scored, and applying it again would not be either: nothing to remember.
        return Outcome(lead, account, tuple(transitions), "too_late")
    cool_down(lead, later(lead.latest_ms, at_ms), rules)
    brings_facts = _absorb_facts(lead, account, signal, rules)
    hand_raises, engaged = _score_intent(lead, account, signal, matches, rules)
    lasting = signal.channel == "crm" or (
        bool(matches) and not _awarded(lead, matches, at_ms, digest, every=True)
    )
    _remember(lead, digest, at_ms, rules, lasting=lasting)
    profile = _refresh(lead, account, at_ms if engaged else None, rules, brings_facts)
    moves = evaluate_lead(lead, profile, signal, hand_raises, engaged, rules)
    transitions += [lead_transition(m, lead, account, profile, rules) for m in moves]
    if account is not None:
        moves = evaluate_account(account, rules, signal.event_id)
        transitions += [account_transition(m, account, rules) for m in moves]
    return Outcome(lead, account, tuple(transitions), "applied")


def fire_due(
    lead: LeadState, account: AccountState | None, until_ms: int, rules: CompiledRules
) -> list[TransitionData]:
    """Fire (in place) every decay-driven move of the lead and account due by ``until_ms``,
    in time order (the account first on a tie), so each explanation sees the other's
    stage as it was at that moment."""
    transitions: list[TransitionData] = []
    profile = lead.profile or build_profile(lead, account, rules)
    while True:
        lead_at = lead_due(lead, profile, rules)
        account_at = account_due(account, rules) if account is not None else None
        if (
            account is not None
            and account_at is not None
            and account_at <= until_ms
            and (lead_at is None or account_at <= lead_at)
        ):
            transitions += fire_account(account, account_at, rules)
        elif lead_at is not None and lead_at <= until_ms:
            transitions += fire_lead(lead, account, lead_at, rules)
        else:
            return transitions


def fire_lead(
    lead: LeadState, account: AccountState | None, until_ms: int, rules: CompiledRules
) -> list[TransitionData]:
    """Fire (in place) the lead's decay-driven moves due by ``until_ms``; the account
    only informs the profile and the explanation."""
    profile = lead.profile or build_profile(lead, account, rules)
    moves = fire_lead_decay(lead, profile, until_ms, rules)
    return [lead_transition(m, lead, account, profile, rules) for m in moves]


def fire_account(
    account: AccountState, until_ms: int, rules: CompiledRules
) -> list[TransitionData]:
    """Fire (in place) the account's decay-driven cooling if due by ``until_ms``."""
    moves: list[Move] = fire_account_decay(account, until_ms, rules)
    return [account_transition(m, account, rules) for m in moves]


def _apply_account_only(
    account: AccountState | None, signal: Signal, rules: CompiledRules
) -> Outcome:
    """A ``group`` call naming only an account: record its firmographics."""
    if account is None:
        return Outcome(None, None, (), "account_only")
    _account_facts(account, signal, rules)
    return Outcome(None, account, (), "account_only")


def _account_facts(account: AccountState, signal: Signal, rules: CompiledRules) -> None:
    """Firmographics and the domain a ``group`` call (or ``context.groupId``) gives about
    the account it names (a late group call naming a former account of the lead tells
    nothing about the current one; the router sends it to the named account too)."""
    group = signal.account.id
    if group is None or (
        group != account.account_id
        and group not in account.ids
        and signal_account(signal, rules.free_mail) != account.account_id
    ):
        return
    if group != account.account_id and group not in account.ids:
        account.ids = sorted({*account.ids, group})
    at_ms = signal.occurred_ms
    # The revision tells leads' cached profiles that what they read changed: only a
    # changed value counts (a newer event repeating a value changes no profile).
    if signal.type == "group" and merge_traits(account.traits, signal.traits, at_ms):
        account.rev += 1
    domain = account.domain
    account.set_domain(signal.account.domain, at_ms)
    if account.domain != domain:
        account.rev += 1


def _awarded(
    lead: LeadState, matches: list[Match], at_ms: int, digest: int, *, every: bool = False
) -> bool:
    """Whether a capped rule awarded this event (``every``: each matched rule did)."""
    held = (
        m.compiled.cap_per_ms is not None
        and any(
            award[1] == digest
            for award in lead.caps.get(m.rule_id, {}).get(at_ms // m.compiled.cap_per_ms, [])
        )
        for m in matches
    )
    return all(held) if every else any(held)


def _remember(
    lead: LeadState, digest: int, at_ms: int, rules: CompiledRules, *, lasting: bool
) -> None:
    """Record the event for de-duplication (for the dedupe window when ``lasting``, else
    for a day) and forget what fell out of either window."""
    (lead.seen if lasting else lead.recent)[digest] = at_ms
    newest = later(lead.latest_ms, at_ms)
    for window, name in ((rules.dedupe_window_ms, "seen"), (RECENT_MS, "recent")):
        held: dict[int, int] = getattr(lead, name)
        oldest = newest - window
        if held and min(held.values()) < oldest:
            setattr(lead, name, {e: t for e, t in held.items() if t >= oldest})


def _absorb_facts(
    lead: LeadState, account: AccountState | None, signal: Signal, rules: CompiledRules
) -> bool:
    """Identity, traits, answers and event times carried by the signal; returns whether
    a value the lead's profile reads changed (its traits, answers or email)."""
    at_ms = signal.occurred_ms
    email = lead.email
    lead.set_email(signal.identity.email, at_ms)
    changed = lead.email != email
    answer_fields = rules.answer_fields
    answers = (
        {k: v for k, v in signal.properties.items() if k in answer_fields} if answer_fields else {}
    )
    if account is not None:
        _account_facts(account, signal, rules)
    if signal.type != "group" and merge_traits(lead.traits, signal.traits, at_ms):
        changed = True
    if answers and merge_traits(lead.traits, answers, at_ms):
        changed = True
    lead.latest_ms = later(lead.latest_ms, at_ms)
    if account is not None:
        lead.account_id = account.account_id
        account.latest_ms = later(account.latest_ms, at_ms)
        account.members.setdefault(lead.lead_id, Member(persona=rules.rules.default_persona))
    return changed


def _score_intent(
    lead: LeadState,
    account: AccountState | None,
    signal: Signal,
    matches: list[Match],
    rules: CompiledRules,
) -> tuple[set[str], bool]:
    """Score every matching intent rule; returns (matched rule ids, engaged?)."""
    for match in matches:
        apply_match(lead, account, match, signal, rules)
    # Engagement counts matching events before caps, so it does not depend on which
    # events of a capped bucket happened to score first.
    engaged = not signal.is_bot and any(m.points > 0 for m in matches)
    return {m.rule_id for m in matches}, engaged


def profile_basis(account: AccountState | None, rules: CompiledRules) -> int:
    """What a lead's profile depends on besides its own facts: its account (id and facts
    revision), the rules, and the tables derived traits are read with (an upgrade that
    changes how a title is classified computes stored profiles again)."""
    owner = f"{account.account_id}:{account.rev}" if account is not None else ""
    return zlib.crc32(f"{owner}|{rules.version}|{TABLES_DIGEST}".encode()) or 1


def _refresh(
    lead: LeadState,
    account: AccountState | None,
    engaged_ms: int | None,
    rules: CompiledRules,
    brings_facts: bool,
) -> Profile:
    """Recompute the profile if its inputs may have changed (else reuse it), record
    engagement and persona, trim explanations and caps."""
    basis = profile_basis(account, rules)
    if lead.profile is None or brings_facts or lead.profile_basis != basis:
        lead.profile, lead.profile_basis = build_profile(lead, account, rules), basis
    profile = lead.profile
    newest = later(lead.latest_ms, 0)
    if engaged_ms is not None:
        lead.last_engaged_ms = later(lead.last_engaged_ms, engaged_ms)
    trim(lead.contributions, newest, rules)
    prune_caps(lead, newest - rules.late_horizon_ms, rules)
    if account is not None:
        member = account.members[lead.lead_id]
        member.persona = profile.persona
        if engaged_ms is not None:
            member.last_engaged_ms = later(member.last_engaged_ms, engaged_ms)
        trim(account.contributions, later(account.latest_ms, newest), rules)
    return profile
