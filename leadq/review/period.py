"""The report's period and the small statistics every part of the report shares."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from leadq.review.history import SALES_VERDICTS, CrmOutcome, LeadHistory, Routing
from schemas.review import Durations

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
#: Periods up to this long chart reasons per ISO week, longer ones per month.
WEEKLY_UP_TO_MS = 100 * DAY_MS


@dataclass(frozen=True, slots=True)
class Period:
    """Event times ``from_ms ≤ t < until_ms``; ``None`` leaves that side open."""

    from_ms: int | None = None
    until_ms: int | None = None

    def holds(self, at_ms: int) -> bool:
        after = self.from_ms is None or at_ms >= self.from_ms
        return after and (self.until_ms is None or at_ms < self.until_ms)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def durations(hours: Sequence[float]) -> Durations:
    """Median and 90th percentile (nearest rank: the smallest value with at least 90% of
    the values at or below it), in hours rounded to 0.01."""
    if not hours:
        return Durations(count=0, median_hours=None, p90_hours=None)
    ordered = sorted(hours)
    p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]
    return Durations(
        count=len(ordered),
        median_hours=round(statistics.median(ordered), 2),
        p90_hours=round(p90, 2),
    )


def sales_verdict(
    lead: LeadHistory, period: Period, after_ms: int | None = None
) -> CrmOutcome | None:
    """The lead's first sales verdict (accepted or rejected): in ``period``, or, with
    ``after_ms``, the first at or after that time wherever it falls."""
    for outcome in lead.outcomes:
        if outcome.name not in SALES_VERDICTS:
            continue
        if (after_ms is None and period.holds(outcome.at_ms)) or (
            after_ms is not None and outcome.at_ms >= after_ms
        ):
            return outcome
    return None


def routing_before(lead: LeadHistory, at_ms: int) -> Routing | None:
    """The latest hand-off to sales at or before ``at_ms`` (what sales answered)."""
    found = [r for r in lead.routings if r.at_ms <= at_ms]
    return found[-1] if found else None


def time_label(at_ms: int, weekly: bool) -> str:
    moment = datetime.fromtimestamp(at_ms / 1000, tz=UTC)
    if weekly:
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{moment.year}-{moment.month:02d}"
