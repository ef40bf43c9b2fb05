"""Account membership: keeps account intent equal to the sum of its members' intent.

A lead joining an account brings its decayed intent terms and explanations; leaving
takes them away (exactly: decayed terms subtract like they add). Both are idempotent.
"""

from __future__ import annotations

from leadq.compiled import CompiledRules
from leadq.decay import Decayed
from leadq.state import AccountState, LeadState, Member, later


def shift_terms(terms: dict[str, Decayed], others: dict[str, Decayed], sign: float) -> None:
    """Add (sign 1) or subtract (sign −1) ``others`` to ``terms``, exactly."""
    for category, other in others.items():
        mine = terms.get(category)
        if mine is None:
            terms[category] = Decayed(sign * other.value, other.at_ms, other.half_life_ms)
            continue
        at_ms = max(mine.at_ms, other.at_ms)
        value = mine.value_at(at_ms) + sign * other.value_at(at_ms)
        terms[category] = Decayed(value, at_ms, mine.half_life_ms)


def join_account(lead: LeadState, account: AccountState, rules: CompiledRules) -> None:
    """Make ``lead`` a member of ``account`` (in place); no-op if it already is."""
    if lead.lead_id in account.members:
        return
    shift_terms(account.intent, lead.intent, 1.0)
    account.contributions += [c for c in lead.contributions if c not in account.contributions]
    persona = lead.profile.persona if lead.profile else rules.rules.default_persona
    account.members[lead.lead_id] = Member(persona=persona, last_engaged_ms=lead.last_engaged_ms)
    if lead.latest_ms is not None:
        account.latest_ms = later(account.latest_ms, lead.latest_ms)
    lead.account_id = account.account_id


def leave_account(lead: LeadState, account: AccountState) -> None:
    """Remove ``lead`` from ``account`` (in place); no-op if it is not a member."""
    if account.members.pop(lead.lead_id, None) is None:
        return
    shift_terms(account.intent, lead.intent, -1.0)
    account.contributions = [c for c in account.contributions if c.lead_id != lead.lead_id]
