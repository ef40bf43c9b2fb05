"""The account context of an ABM signal, and buying-committee persona coverage.

Read from the engine's own state through its read side (``leadq.views.account_view``)
at the account's newest event time (event time, like every engine decision, so the same
state gives the same context); from a transition's ``AccountContext`` when the state is
not there (yet).
"""

from __future__ import annotations

from datetime import UTC, datetime

from leadq.compiled import CompiledRules
from leadq.state import AccountState
from leadq.views import account_view
from schemas.abm import AbmAccount, AccountPerson, PersonaCoverage
from schemas.transition import AccountContext, Contributor, TransitionData
from schemas.views import EngagedPerson

#: Most people an ABM signal lists (``engaged_people`` still counts them all).
PEOPLE_LIMIT = 50
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def committee(rules: CompiledRules) -> tuple[str, ...]:
    """The buying-committee personas: those the rules file defines (not the default)."""
    return tuple(sorted({persona.id for persona in rules.rules.personas}))


def coverage(engaged: set[str] | tuple[str, ...], rules: CompiledRules) -> PersonaCoverage:
    """Which committee personas are among ``engaged``: "coverage X of Y"."""
    members = committee(rules)
    covered = tuple(sorted(set(engaged) & set(members)))
    return PersonaCoverage(
        engaged=covered, committee=members, covered=len(covered), of=len(members)
    )


def context_from_state(account: AccountState, rules: CompiledRules) -> AbmAccount:
    """The account as the engine holds it, read at its newest event time."""
    at_ms = account.latest_ms if account.latest_ms is not None else 0
    view = account_view(account, at_ms, rules)
    name = view.traits.get("name")
    return AbmAccount(
        account_id=view.account_id,
        domain=view.domain,
        name=name if isinstance(name, str) else None,
        stage=view.stage,
        intent_score=view.intent_score,
        intent_by_category=view.intent_by_category,
        engaged_people=view.engaged_people,
        people=tuple(
            AccountPerson(
                lead_id=person.lead_id,
                persona=person.persona,
                last_engaged_at=person.last_engaged_at,
                engaged=person.engaged,
            )
            for person in _most_recent_engaged(view.people)
        ),
        coverage=coverage(view.personas, rules),
        top_signals=view.top_signals,
        as_of=view.as_of,
    )


def _most_recent_engaged(people: tuple[EngagedPerson, ...]) -> list[EngagedPerson]:
    """The engaged people, most recently engaged first (ties by id), at most
    ``PEOPLE_LIMIT``: a large account's signal stays small."""
    engaged = [p for p in people if p.engaged]
    engaged.sort(key=lambda p: p.lead_id)
    engaged.sort(key=lambda p: p.last_engaged_at or _NEVER, reverse=True)
    return engaged[:PEOPLE_LIMIT]


def context_from_transition(data: TransitionData, rules: CompiledRules) -> AbmAccount | None:
    """The account context a transition carries (``None`` for a lead without one)."""
    context: AccountContext | None = data.account
    if context is None:
        return None
    signals: tuple[Contributor, ...] = data.top_signals if data.entity == "account" else ()
    return AbmAccount(
        account_id=context.account_id,
        domain=context.domain,
        stage=context.stage,
        intent_score=context.intent_score,
        intent_by_category=data.intent_by_category if data.entity == "account" else {},
        engaged_people=context.engaged_people,
        coverage=coverage(context.personas, rules),
        top_signals=signals,
        as_of=data.at,
    )
