"""Build explained ``TransitionData`` records from engine state.

``build_transition`` is the one place raw numbers become the wire record (rounding
included); the engine and the Lua fast path's decoder both go through it, so their
outputs are comparable field by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadq.compiled import CompiledRules
from leadq.decay import Decayed, total_at
from leadq.derived import Derived
from leadq.explain import RawContributor, contributor, top_contributors
from leadq.profile import derived_traits
from leadq.profile_model import Profile
from leadq.state import AccountState, Contribution, LeadState
from schemas.transition import AccountContext, Fit, TransitionData, ms_to_datetime

DEFAULT_ENGAGED_WINDOW_MS = 30 * 86_400_000


def category_terms(terms: dict[str, Decayed], categories: tuple[str, ...] = ()) -> list[Decayed]:
    """The terms of ``categories`` (all if empty), in sorted category order.

    Sorted so the sum's floating-point rounding does not depend on the order the
    categories were first scored in.
    """
    return [terms[c] for c in sorted(terms) if not categories or c in categories]


def intent_total(terms: dict[str, Decayed], at_ms: int, categories: tuple[str, ...] = ()) -> float:
    """Sum of the decayed intent terms at ``at_ms`` (only ``categories`` if given)."""
    return total_at(category_terms(terms, categories), at_ms)


def intent_by_category(terms: dict[str, Decayed], at_ms: int) -> dict[str, float]:
    return {category: terms[category].value_at(at_ms) for category in sorted(terms)}


def engaged_members(account: AccountState, at_ms: int, window_ms: int) -> list[str]:
    """Members with a scoring intent event within ``window_ms`` before ``at_ms``."""
    return sorted(
        lead_id
        for lead_id, member in account.members.items()
        if member.last_engaged_ms is not None and member.last_engaged_ms >= at_ms - window_ms
    )


def engaged_window_ms(rules: CompiledRules) -> int:
    mqa = rules.rules.stages.mqa
    return round(mqa.engaged_window.total_seconds() * 1000) if mqa else DEFAULT_ENGAGED_WINDOW_MS


#: (account id, domain, stage, intent score, engaged people, personas), unrounded.
RawAccountContext = tuple[str, str | None, str, float, int, list[str]]


def account_context(account: AccountState, at_ms: int, rules: CompiledRules) -> RawAccountContext:
    engaged = engaged_members(account, at_ms, engaged_window_ms(rules))
    return (
        account.account_id,
        account.domain,
        account.stage,
        intent_total(account.intent, at_ms),
        len(engaged),
        sorted({account.members[m].persona for m in engaged}),
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
    #: The hand-raise rules behind a fast-lane move (``stages.hand_raise``), else empty.
    hand_raise: tuple[str, ...] = ()


def build_transition(
    entity: str,
    entity_id: str,
    move: Move,
    profile: Profile | None,
    intent_score: float,
    by_category: dict[str, float],
    top: list[RawContributor],
    context: RawAccountContext | None,
    rules_version: str,
    derived: Derived | None = None,
) -> TransitionData:
    """The wire record of a transition from raw (unrounded) numbers (``derived``: the
    lead's person and company views, for lead transitions)."""
    data: dict[str, Any] = {
        "entity": entity,
        "entity_id": entity_id,
        "track": move.track,
        "stage_from": move.stage_from,
        "stage_to": move.stage_to,
        "reason": move.reason,
        "score": round(move.score, 6),
        "threshold": move.threshold,
        "intent_score": round(intent_score, 6),
        "intent_by_category": {c: round(v, 6) for c, v in by_category.items()},
        "top_signals": tuple(contributor(c) for c in top),
        "trigger_event_id": move.trigger_event_id,
        "hand_raise": move.hand_raise,
        "rules_version": rules_version,
        "at": ms_to_datetime(move.at_ms),
    }
    if profile is not None:
        data["fit"] = Fit(
            score=profile.fit_score,
            grade=profile.grade,
            disqualifiers=tuple(reason for _, reason in profile.disqualifiers),
        )
        data["answers"] = profile.answers
        data["answers_score"] = profile.answers_score
    if derived is not None:
        data["person"], data["company"] = derived.person, derived.company
    if context is not None:
        account_id, domain, stage, score, engaged, personas = context
        data["account"] = AccountContext(
            account_id=account_id,
            domain=domain,
            stage=stage,
            intent_score=round(score, 6),
            engaged_people=engaged,
            personas=tuple(personas),
        )
    return TransitionData.model_validate(data)


def _explained(
    entity: str,
    entity_id: str,
    move: Move,
    profile: Profile | None,
    intent: dict[str, Decayed],
    contributions: list[Contribution],
    account: AccountState | None,
    rules: CompiledRules,
    derived: Derived | None = None,
) -> TransitionData:
    """A move explained with the entity's scores and signals as of the move's time."""
    at_ms = move.at_ms
    return build_transition(
        entity, entity_id, move, profile,
        intent_total(intent, at_ms), intent_by_category(intent, at_ms),
        top_contributors(contributions, at_ms, rules),
        account_context(account, at_ms, rules) if account else None,
        rules.version, derived,
    )  # fmt: skip


def lead_transition(
    move: Move,
    lead: LeadState,
    account: AccountState | None,
    profile: Profile,
    rules: CompiledRules,
) -> TransitionData:
    derived = derived_traits(lead, account, rules.free_mail)
    return _explained("lead", lead.lead_id, move, profile, lead.intent, lead.contributions,
                      account, rules, derived)  # fmt: skip


def account_transition(move: Move, account: AccountState, rules: CompiledRules) -> TransitionData:
    return _explained("account", account.account_id, move, None, account.intent,
                      account.contributions, account, rules)  # fmt: skip
