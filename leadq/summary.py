"""A readable summary of a replay: stage counts and final scores as of its end time."""

from __future__ import annotations

from collections import Counter

from leadq.profile import build_profile
from leadq.replay import ReplayResult
from leadq.transitions import engaged_members, engaged_window_ms, intent_total
from schemas.transition import ms_to_datetime


def _counts(title: str, counter: Counter[str]) -> list[str]:
    body = [f"  {name:<24}{count:>8}" for name, count in sorted(counter.items())]
    return [title, *(body or ["  (none)"])]


def render_summary(result: ReplayResult) -> str:
    """The summary as text lines; scores are read at the replay's end time."""
    store, at_ms = result.store, result.until_ms or 0
    rules = result.rules
    leads = sorted(store.leads(), key=lambda lead: lead.lead_id)
    accounts = sorted(store.accounts(), key=lambda account: account.account_id)
    lines = [
        f"rules version {rules.version}; scores as of "
        f"{ms_to_datetime(at_ms).isoformat() if result.until_ms else '-'}"
    ]
    lines += _counts("events:", Counter(result.counts))
    lines += _counts(
        "transitions:", Counter(f"{t.entity}.{t.stage_to}" for t in result.transitions)
    )
    lines += _counts("leads by stage:", Counter(lead.stage for lead in leads))
    lines += _counts("accounts by stage:", Counter(a.stage for a in accounts))
    lines.append(
        f"{'lead':<36}{'stage':<14}{'grade':<6}{'fit':>7}{'answers':>9}{'intent':>9}{'total':>9}"
    )
    rows = []
    by_id = {account.account_id: account for account in accounts}
    for lead in leads:
        account = by_id.get(lead.account_id) if lead.account_id else None
        profile = build_profile(lead, account, rules)
        intent = intent_total(lead.intent, at_ms)
        rows.append((-(profile.base_score + intent), lead.lead_id, lead.stage, profile, intent))
    for negative_total, lead_id, stage, profile, intent in sorted(rows):
        lines.append(
            f"{lead_id:<36}{stage:<14}{profile.grade:<6}{profile.fit_score:>7.1f}"
            f"{profile.answers_score:>9.1f}{intent:>9.1f}{-negative_total:>9.1f}"
        )
    lines.append(f"{'account':<36}{'stage':<14}{'engaged':>8}{'intent':>9}")
    window = engaged_window_ms(rules)
    for account in accounts:
        engaged = len(engaged_members(account, at_ms, window))
        lines.append(
            f"{account.account_id:<36}{account.stage:<14}{engaged:>8}"
            f"{intent_total(account.intent, at_ms):>9.1f}"
        )
    return "\n".join(lines)
