"""Conversion by score band, fit grade, persona and intent rule.

Each lead routed in the period counts once, at its first routing there (score, grade and
persona at that moment; under every intent rule among its top signals then), and is
followed to the end of the data: its first sales verdict after the routing, whether it
got an opportunity, whether it was won and for how much. A row with routed leads and no
acceptance or opportunity is a rule, band or persona whose leads never convert.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from leadq.review.history import History, LeadHistory, Routing
from leadq.review.period import Period, rate, sales_verdict
from schemas.review import Conversion, ConversionRow

GRADES = "ABCDF"


@dataclass(frozen=True, slots=True)
class _Result:
    routing: Routing
    accepted: bool
    rejected: bool
    opportunity: bool
    won: bool
    won_amount: float


def _result(lead: LeadHistory, period: Period) -> _Result | None:
    routing = next((r for r in lead.routings if period.holds(r.at_ms)), None)
    if routing is None:
        return None
    verdict = sales_verdict(lead, period, after_ms=routing.at_ms)
    later = [o for o in lead.outcomes if o.at_ms >= routing.at_ms]
    wins = [o for o in later if o.name == "opportunity_won"]
    return _Result(
        routing=routing,
        accepted=verdict is not None and verdict.name == "sales_accepted",
        rejected=verdict is not None and verdict.name == "sales_rejected",
        opportunity=any(o.name == "opportunity_created" for o in later) or bool(wins),
        won=bool(wins),
        won_amount=sum(o.amount or 0.0 for o in wins),
    )


def _row(key: str, results: list[_Result]) -> ConversionRow:
    accepted = sum(r.accepted for r in results)
    rejected = sum(r.rejected for r in results)
    return ConversionRow(
        key=key,
        routed=len(results),
        sales_accepted=accepted,
        sales_rejected=rejected,
        sal_rate=rate(accepted, accepted + rejected),
        opportunities=sum(r.opportunity for r in results),
        won=sum(r.won for r in results),
        won_amount=sum(r.won_amount for r in results),
    )


def _rows(
    results: list[_Result], keys: Callable[[_Result], Iterable[str]], order: Callable[[str], Any]
) -> tuple[ConversionRow, ...]:
    grouped: dict[str, list[_Result]] = {}
    for result in results:
        for key in keys(result):
            grouped.setdefault(key, []).append(result)
    return tuple(_row(key, grouped[key]) for key in sorted(grouped, key=order))


def band_of(score: float, width: float) -> str:
    low = math.floor(score / width) * width
    return f"{low:g}-{low + width:g}"


def conversion_of(history: History, period: Period, band_width: float = 20.0) -> Conversion:
    results = [r for lead in history.leads.values() if (r := _result(lead, period))]
    return Conversion(
        by_score_band=_rows(
            results,
            lambda r: [band_of(r.routing.score, band_width)],
            lambda key: float(key.rpartition("-")[0]),
        ),
        band_width=band_width,
        by_fit_grade=_rows(results, lambda r: [r.routing.grade], GRADES.index),
        by_persona=_rows(results, lambda r: [r.routing.persona], str),
        by_intent_rule=_rows(results, lambda r: r.routing.intent_rules, str),
    )
