"""Build explained ``TransitionData`` records from engine state."""

from __future__ import annotations

from dataclasses import dataclass

from leadq.compiled import CompiledRules
from leadq.decay import Decayed
from leadq.explain import top_contributors
from leadq.profile import Profile
from leadq.state import AccountState, LeadState
from schemas.transition import AccountContext, Fit, TransitionData, ms_to_datetime


def intent_total(terms: dict[str, Decayed], at_ms: int, categories: tuple[str, ...] = ()) -> float:
    """Sum of the decayed intent terms at ``at_ms`` (only ``categories`` if given)."""
    return sum(
        term.value_at(at_ms)
        for category, term in terms.items()
        if not categories or category in categories
    )


def intent_by_category(terms: dict[str, Decayed], at_ms: int) -> dict[str, float]:
    return {category: round(terms[category].value_at(at_ms), 6) for category in sorted(terms)}


def engaged_members(account: AccountState, at_ms: int, window_ms: int) -> list[str]:
    """Members with a scoring intent event within ``window_ms`` before ``at_ms``."""
    return sorted(
        lead_id
        for lead_id, member in account.members.items()
        if member.last_engaged_ms is not None and member.last_engaged_ms >= at_ms - window_ms
    )


def account_context(account: AccountState, at_ms: int, rules: CompiledRules) -> AccountContext:
    mqa = rules.rules.stages.mqa
    window = mqa.engaged_window.total_seconds() * 1000 if mqa else 30 * 86_400_000
    engaged = engaged_members(account, at_ms, round(window))
    return AccountContext(
        account_id=account.account_id,
        domain=account.domain,
        stage=account.stage,
        intent_score=round(intent_total(account.intent, at_ms), 6),
        engaged_people=len(engaged),
        personas=tuple(sorted({account.members[m].persona for m in engaged})),
    )


@dataclass(frozen=True, slots=True)
class Move:
    """A stage change decided by the stage rules, before it is explained."""

    track: str
    stage_from: str
    stage_to: str
    at_ms: int
    reason: str
    score: float
    threshold: float | None
    trigger_event_id: str | None


def lead_transition(
    move: Move,
    lead: LeadState,
    account: AccountState | None,
    profile: Profile,
    rules: CompiledRules,
) -> TransitionData:
    return TransitionData(
        entity="lead",
        entity_id=lead.lead_id,
        track=move.track,
        stage_from=move.stage_from,
        stage_to=move.stage_to,
        reason=move.reason,
        score=round(move.score, 6),
        threshold=move.threshold,
        fit=Fit(
            score=profile.fit_score,
            grade=profile.grade,
            disqualifiers=tuple(reason for _, reason in profile.disqualifiers),
        ),
        answers=profile.answers,
        answers_score=profile.answers_score,
        intent_score=round(intent_total(lead.intent, move.at_ms), 6),
        intent_by_category=intent_by_category(lead.intent, move.at_ms),
        top_signals=top_contributors(lead.contributions, move.at_ms, rules),
        trigger_event_id=move.trigger_event_id,
        account=account_context(account, move.at_ms, rules) if account else None,
        rules_version=rules.version,
        at=ms_to_datetime(move.at_ms),
    )


def account_transition(move: Move, account: AccountState, rules: CompiledRules) -> TransitionData:
    return TransitionData(
        entity="account",
        entity_id=account.account_id,
        track="account",
        stage_from=move.stage_from,
        stage_to=move.stage_to,
        reason=move.reason,
        score=round(move.score, 6),
        threshold=move.threshold,
        intent_score=round(intent_total(account.intent, move.at_ms), 6),
        intent_by_category=intent_by_category(account.intent, move.at_ms),
        top_signals=top_contributors(account.contributions, move.at_ms, rules),
        trigger_event_id=move.trigger_event_id,
        account=account_context(account, move.at_ms, rules),
        rules_version=rules.version,
        at=ms_to_datetime(move.at_ms),
    )
