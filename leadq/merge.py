"""Merging two leads that turned out to be one person (identity stitching).

Decayed terms add exactly, capped awards are re-capped (earliest win, displaced points
taken back), traits keep the newest value per name, and the lifecycle stage is the more
advanced of the two. The merged lead is then judged by the signal that revealed the
match, like any other.
"""

from __future__ import annotations

from leadq.compiled import CompiledRules
from leadq.decay import Decayed
from leadq.explain import trim
from leadq.intent import add_points
from leadq.state import AccountState, Award, LeadState

_STAGE_RANK = {"known": 0, "recycled": 1, "mql": 2, "sql": 3}


def _combine(terms: dict[str, Decayed], others: dict[str, Decayed]) -> None:
    for category, other in others.items():
        mine = terms.get(category)
        if mine is None:
            terms[category] = other
            continue
        at_ms = max(mine.at_ms, other.at_ms)
        terms[category] = Decayed(
            mine.value_at(at_ms) + other.value_at(at_ms), at_ms, mine.half_life_ms
        )


def _recap(lead: LeadState, absorbed: LeadState, rules: CompiledRules) -> list[tuple[str, Award]]:
    """Union the cap buckets; returns the (rule id, award) pairs that no longer score."""
    displaced: list[tuple[str, Award]] = []
    for rule_id, buckets in absorbed.caps.items():
        compiled = rules.intent_by_id.get(rule_id)
        mine = lead.caps.setdefault(rule_id, {})
        for bucket, awards in buckets.items():
            merged = sorted(set(mine.get(bucket, [])) | set(awards))
            limit = compiled.cap_count if compiled and compiled.cap_count else len(merged)
            mine[bucket] = merged[:limit]
            displaced += [(rule_id, award) for award in merged[limit:]]
    return displaced


def merge_leads(
    survivor: LeadState,
    absorbed: LeadState,
    account: AccountState | None,
    rules: CompiledRules,
) -> LeadState:
    """``survivor`` with ``absorbed`` folded in; ``account`` (the survivor's) gains the
    absorbed lead's intent when that lead was not already counted in it. Mutates
    ``account`` in place; returns a new lead."""
    lead = survivor.clone()
    _combine(lead.intent, absorbed.intent)
    if account is not None and absorbed.account_id != account.account_id:
        _combine(account.intent, absorbed.intent)
        account.contributions += absorbed.contributions
    for rule_id, (at_ms, event_id, category) in _recap(lead, absorbed, rules):
        points = rules.intent_by_id[rule_id].rule.points
        add_points(lead.intent, category, -points, at_ms, rules)
        if account is not None:
            add_points(account.intent, category, -points, at_ms, rules)
        lead.contributions = [c for c in lead.contributions if c.event_id != event_id]
    lead.contributions += [c for c in absorbed.contributions if c not in lead.contributions]
    for name, (value, at_ms) in absorbed.traits.items():
        if name not in lead.traits or at_ms > lead.traits[name][1]:
            lead.traits[name] = (value, at_ms)
    lead.seen.update(absorbed.seen)
    lead.latest_ms = _max(lead.latest_ms, absorbed.latest_ms)
    lead.last_engaged_ms = _max(lead.last_engaged_ms, absorbed.last_engaged_ms)
    lead.email = lead.email or absorbed.email
    lead.account_id = lead.account_id or absorbed.account_id
    if _STAGE_RANK.get(absorbed.stage, -1) > _STAGE_RANK.get(lead.stage, -1):
        lead.stage, lead.stage_since_ms = absorbed.stage, absorbed.stage_since_ms
    if "crm" in (lead.disqualified_by, absorbed.disqualified_by):
        lead.stage, lead.disqualified_by = "disqualified", "crm"
    if absorbed.product_stage == "pql":
        lead.product_stage = "pql"
    trim(lead.contributions, lead.latest_ms or 0, rules)
    return lead


def _max(a: int | None, b: int | None) -> int | None:
    values = [v for v in (a, b) if v is not None]
    return max(values) if values else None
