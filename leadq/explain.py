"""Explanations: which signals got a lead or account where it is, worth how much now."""

from __future__ import annotations

from leadq.compiled import CompiledRules
from leadq.decay import decayed_points
from leadq.state import Contribution
from schemas.transition import Contributor, ms_to_datetime


def weight_at(entry: Contribution, t_ms: int, rules: CompiledRules) -> float:
    """What a contribution is worth at ``t_ms`` after decay."""
    return decayed_points(entry.points, entry.earned_ms, t_ms, rules.half_life_ms(entry.category))


def _ranking(entry: Contribution, t_ms: int, rules: CompiledRules) -> tuple[float, int, str]:
    # Largest absolute worth first; ties broken by newest event, then event id, so the
    # order is total and replay output is byte-identical.
    return (-abs(weight_at(entry, t_ms, rules)), -entry.earned_ms, entry.event_id)


def trim(contributions: list[Contribution], t_ms: int, rules: CompiledRules) -> None:
    """Keep only the ``explain.keep`` contributions worth most at ``t_ms``."""
    keep = rules.rules.explain.keep
    if len(contributions) > keep:
        contributions.sort(key=lambda c: _ranking(c, t_ms, rules))
        del contributions[keep:]


def top_contributors(
    contributions: list[Contribution], t_ms: int, rules: CompiledRules
) -> tuple[Contributor, ...]:
    """The ``explain.top`` contributions worth most at ``t_ms``, with their worth."""
    ranked = sorted(contributions, key=lambda c: _ranking(c, t_ms, rules))
    return tuple(
        Contributor(
            rule_id=c.rule_id,
            event_id=c.event_id,
            category=c.category,
            points=c.points,
            occurred_at=ms_to_datetime(c.earned_ms),
            weight=round(weight_at(c, t_ms, rules), 6),
            lead_id=c.lead_id,
        )
        for c in ranked[: rules.rules.explain.top]
    )
