"""The MQL entry threshold the outcomes support, and its trade-off curve.

Method (exact, one replay): a lead's MQL score does not depend on its stage, so under a
threshold T it becomes an MQL the first time its eligible score reaches T: at the first
event where its running peak (``LeadHistory.peaks``) is ≥ T. Scores only rise at events,
so the peak read after each event is exact. A lead with a sales verdict in the period
is *captured* at T if its peak before the verdict was ≥ T (it would have been routed
before sales ruled on it). For each candidate T — each captured lead's peak rounded
down to 0.1 (a value one can write in the rules file; rounding down keeps that lead),
plus the current ``enter`` — the curve gives the MQLs (leads first crossing T in the
period), and the accepted and rejected leads captured. The suggestion is the threshold
with the most accepted leads at a SAL rate ≥ the target; among equals the highest (as
many accepted, fewer rejected and fewer MQLs). What it cannot know: how sales would
have judged leads it never saw, and hand-raises (they need an MQL first, so they follow
the threshold too).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from leadq.review.history import History, LeadHistory
from leadq.review.period import Period, rate, sales_verdict
from schemas.review import ThresholdPoint, ThresholdSuggestion

DEFAULT_TARGET_SAL_RATE = 0.6


@dataclass(frozen=True, slots=True)
class _Lead:
    #: (time, peak) steps: increasing times and increasing peaks.
    times: list[int]
    scores: list[float]
    #: ``True`` accepted, ``False`` rejected, ``None`` no verdict in the period.
    accepted: bool | None
    peak_before_verdict: float | None

    def first_crossing(self, threshold: float) -> int | None:
        at = bisect.bisect_left(self.scores, threshold)
        return self.times[at] if at < len(self.scores) else None


def _lead(history: LeadHistory, period: Period) -> _Lead:
    verdict = sales_verdict(history, period)
    return _Lead(
        times=[at for at, _ in history.peaks],
        scores=[score for _, score in history.peaks],
        accepted=None if verdict is None else verdict.name == "sales_accepted",
        peak_before_verdict=None if verdict is None else verdict.peak_before,
    )


def _point(threshold: float, leads: list[_Lead], period: Period) -> ThresholdPoint:
    mqls = 0
    accepted = rejected = 0
    for lead in leads:
        crossed = lead.first_crossing(threshold)
        mqls += crossed is not None and period.holds(crossed)
        if lead.accepted is None or lead.peak_before_verdict is None:
            continue
        if lead.peak_before_verdict >= threshold:
            accepted += lead.accepted
            rejected += not lead.accepted
    return ThresholdPoint(
        threshold=threshold,
        mqls=mqls,
        sales_accepted=accepted,
        sales_rejected=rejected,
        sal_rate=rate(accepted, accepted + rejected),
    )


def round_down(score: float) -> float:
    """``score`` rounded down to 0.1, never above it (a lead at 99.97 is kept by 99.9)."""
    threshold = math.floor(score * 10) / 10
    return threshold if threshold <= score else round(threshold - 0.1, 1)


def suggest_threshold(
    history: History, period: Period, target_sal_rate: float = DEFAULT_TARGET_SAL_RATE
) -> ThresholdSuggestion:
    leads = [_lead(lead, period) for lead in history.leads.values()]
    current = history.rules.rules.stages.mql.enter
    candidates = {current} | {
        round_down(lead.peak_before_verdict)
        for lead in leads
        if lead.accepted is not None and lead.peak_before_verdict is not None
    }
    curve = tuple(_point(t, leads, period) for t in sorted(candidates))
    meeting = [
        p
        for p in curve
        if p.sales_accepted and p.sal_rate is not None and p.sal_rate >= target_sal_rate
    ]
    best = max(meeting, key=lambda p: (p.sales_accepted, p.threshold), default=None)
    return ThresholdSuggestion(
        target_sal_rate=target_sal_rate,
        current_threshold=current,
        current=next(p for p in curve if p.threshold == current),
        suggested=best,
        curve=curve,
    )
