"""Which routing rule a transition matches: the first in file order whose ``when`` holds."""

from __future__ import annotations

from collections.abc import Iterable

from leadq.routing.facts import LeadFacts
from schemas.routing import Range, RoutingConfig, RoutingRule, When
from schemas.transition import TransitionData


def _folded(values: Iterable[str]) -> set[str]:
    return {value.casefold() for value in values}


def _one_of(value: str | None, wanted: tuple[str, ...] | None) -> bool:
    return wanted is None or (value is not None and value.casefold() in _folded(wanted))


def _in_range(value: float | None, wanted: Range | None) -> bool:
    if wanted is None:
        return True
    if value is None:
        return False
    return not (
        (wanted.gte is not None and value < wanted.gte)
        or (wanted.lte is not None and value > wanted.lte)
    )


def _in_regions(
    config: RoutingConfig, country: str | None, regions: tuple[str, ...] | None
) -> bool:
    if regions is None:
        return True
    if country is None:
        return False
    return any(country.casefold() in _folded(config.regions[region]) for region in regions)


def holds(config: RoutingConfig, when: When, data: TransitionData, facts: LeadFacts) -> bool:
    """Whether every condition given in ``when`` holds for this transition and lead."""
    grade = data.fit.grade if data.fit is not None else None
    return (
        (when.stage is None or data.stage_to in when.stage)
        and (when.hand_raise is None or bool(data.hand_raise) == when.hand_raise)
        and (when.fit_grade is None or grade in when.fit_grade)
        and _one_of(facts.persona, when.persona)
        and _one_of(facts.country, when.country)
        and _in_regions(config, facts.country, when.region)
        and _in_range(facts.employees, when.employees)
        and _one_of(facts.industry, when.industry)
    )


def routable(data: TransitionData) -> bool:
    """Only lead transitions are routed (account moves are ABM's)."""
    return data.entity == "lead"


def match_rule(config: RoutingConfig, data: TransitionData, facts: LeadFacts) -> RoutingRule | None:
    """The first rule that matches, or ``None`` (the transition is not routed)."""
    if not routable(data):
        return None
    return next((rule for rule in config.rules if holds(config, rule.when, data, facts)), None)
