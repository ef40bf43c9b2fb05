"""Explanations: which signals got a lead or account where it is, worth how much now."""

from __future__ import annotations

from leadq.compiled import CompiledRules
from leadq.decay import decayed_points
from leadq.state import Contribution
from schemas.transition import Contributor, ms_to_datetime


def weight_at(entry: Contribution, t_ms: int, rules: CompiledRules) -> float:
    """What a contribution is worth at ``t_ms`` after decay."""
    return decayed_points(entry.points, entry.earned_ms, t_ms, rules.half_life_ms(entry.category))


def _ranking(entry: Contribution, t_ms: int, rules: CompiledRules) -> tuple[float, int, str, str]:
    # Largest absolute worth first; ties broken by newest event, event id, rule id, so
    # the order is total and replay output is byte-identical.
    return (-abs(weight_at(entry, t_ms, rules)), -entry.earned_ms, entry.event_id, entry.rule_id)


def trim(contributions: list[Contribution], t_ms: int, rules: CompiledRules) -> None:
    """Keep only the ``explain.keep`` contributions worth most at ``t_ms``."""
    keep = rules.rules.explain.keep
    if len(contributions) > keep:
        contributions.sort(key=lambda c: _ranking(c, t_ms, rules))
        del contributions[keep:]


#: (rule id, event id, category, points, earned ms, decayed weight, lead id)
RawContributor = tuple[str, str, str, float, int, float, str]


def top_contributors(
    contributions: list[Contribution], t_ms: int, rules: CompiledRules
) -> list[RawContributor]:
    """The ``explain.top`` contributions worth most at ``t_ms``, with their worth."""
    ranked = sorted(contributions, key=lambda c: _ranking(c, t_ms, rules))
    return [
        (
            c.rule_id,
            c.event_id,
            c.category,
            c.points,
            c.earned_ms,
            weight_at(c, t_ms, rules),
            c.lead_id,
        )
        for c in ranked[: rules.rules.explain.top]
    ]


def contributor(raw: RawContributor) -> Contributor:
    """The wire form of a contribution; weights are rounded to 6 decimals."""
    rule_id, event_id, category, points, earned_ms, weight, lead_id = raw
    return Contributor(
        rule_id=rule_id,
        event_id=event_id,
        category=category,
        points=points,
        occurred_at=ms_to_datetime(earned_ms),
        weight=round(weight, 6),
        lead_id=lead_id,
    )
