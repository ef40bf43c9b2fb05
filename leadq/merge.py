"""Merging two leads that turned out to be one person (identity stitching).

Decayed terms add exactly, capped awards are re-capped (earliest win, displaced points
taken back), traits keep the newest value per name, and the lifecycle stage is the more
advanced of the two. The absorbed lead must already have left its account; the
survivor's account gains what the absorbed lead brings. The merged lead is then judged
by the signal that revealed the match, like any other.
"""

from __future__ import annotations

from dataclasses import replace

from leadq.compiled import CompiledRules
from leadq.explain import trim
from leadq.intent import add_points, forget
from leadq.membership import shift_terms
from leadq.state import AccountState, Award, LeadState, later, newer

_STAGE_RANK = {"known": 0, "recycled": 1, "mql": 2, "sql": 3}


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
    """``survivor`` with ``absorbed`` folded in (a new lead); ``account``, the survivor's,
    gains the absorbed lead's intent and explanations (mutated in place)."""
    lead = survivor.clone()
    brought = [replace(c, lead_id=lead.lead_id) for c in absorbed.contributions]
    shift_terms(lead.intent, absorbed.intent, 1.0)
    lead.contributions += [c for c in brought if c not in lead.contributions]
    if account is not None:
        shift_terms(account.intent, absorbed.intent, 1.0)
        account.contributions += [c for c in brought if c not in account.contributions]
    dropped: set[tuple[str, int]] = set()
    for rule_id, (at_ms, digest, category) in _recap(lead, absorbed, rules):
        points = rules.intent_by_id[rule_id].rule.points
        add_points(lead.intent, category, -points, at_ms, rules)
        if account is not None:
            add_points(account.intent, category, -points, at_ms, rules)
        dropped.add((rule_id, digest))
        lead.seen[digest] = at_ms  # no longer held by the cap (see leadq.intent)
    forget(lead.contributions, dropped)
    if account is not None:
        forget(account.contributions, dropped)
    _merge_facts(lead, absorbed)
    member = account.members.get(lead.lead_id) if account is not None else None
    if member is not None and lead.last_engaged_ms is not None:
        # The person engaged as the absorbed lead too: that counts for the buying group.
        member.last_engaged_ms = later(member.last_engaged_ms, lead.last_engaged_ms)
    trim(lead.contributions, later(lead.latest_ms, 0), rules)
    return lead


def _merge_facts(lead: LeadState, absorbed: LeadState) -> None:
    for name, (value, at_ms) in absorbed.traits.items():
        if name not in lead.traits or newer((value, at_ms), lead.traits[name]):
            lead.traits[name] = (value, at_ms)
    lead.seen.update(absorbed.seen)
    lead.recent.update(absorbed.recent)
    lead.latest_ms = _max(lead.latest_ms, absorbed.latest_ms)
    lead.last_engaged_ms = _max(lead.last_engaged_ms, absorbed.last_engaged_ms)
    if absorbed.email_ms is not None:
        lead.set_email(absorbed.email, absorbed.email_ms)
    lead.folded = [*lead.folded, *(f for f in absorbed.folded if f not in lead.folded)]
    if _STAGE_RANK.get(absorbed.stage, -1) > _STAGE_RANK.get(lead.stage, -1):
        lead.stage, lead.stage_since_ms = absorbed.stage, absorbed.stage_since_ms
    if "crm" in (lead.disqualified_by, absorbed.disqualified_by):
        lead.stage, lead.disqualified_by = "disqualified", "crm"
    if absorbed.product_stage == "pql":
        lead.product_stage = "pql"
    lead.cooldown = lead.cooldown or absorbed.cooldown
    lead.profile = lead.profile or absorbed.profile
    lead.profile_basis = 0  # its facts changed: the profile is computed again


def _max(a: int | None, b: int | None) -> int | None:
    values = [v for v in (a, b) if v is not None]
    return max(values) if values else None
