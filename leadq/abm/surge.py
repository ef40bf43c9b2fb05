"""Surge: an account's intent over a short window against its own baseline, per day.

Days are event-time UTC days numbered from the epoch (``day_of``). The short window is
the ``window_days`` days ending at ``end_day`` (inclusive); the baseline is the
``baseline_days`` days before it. Both sums are divided by their length, so a 7-day
window compares with a 28-day baseline per day. An account surges when the window
reaches ``min_intent`` points and its daily rate is at least ``factor`` × the baseline's
(a zero baseline then counts as surging: new activity at a level that matters).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

DAY_MS = 86_400_000
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class SurgeThresholds:
    factor: float
    window_days: int
    baseline_days: int
    min_intent: float

    @property
    def span_days(self) -> int:
        """Days of history a measurement reads (window and baseline)."""
        return self.window_days + self.baseline_days


@dataclass(frozen=True, slots=True)
class SurgeMeasure:
    #: First and last day of the short window.
    start_day: int
    end_day: int
    window_intent: float
    baseline_intent: float
    window_per_day: float
    baseline_per_day: float
    #: ``None`` when the baseline is zero.
    ratio: float | None
    surging: bool

    @property
    def window_start(self) -> date:
        return date_of(self.start_day)

    @property
    def window_end(self) -> date:
        return date_of(self.end_day)


def day_of(epoch_ms: int) -> int:
    """The UTC day number of an event time (days since 1970-01-01)."""
    return epoch_ms // DAY_MS


def date_of(day: int) -> date:
    return _EPOCH + timedelta(days=day)


def window_days(end_day: int, thresholds: SurgeThresholds) -> range:
    """The day numbers of the short window ending at ``end_day``."""
    return range(end_day - thresholds.window_days + 1, end_day + 1)


def measure_surge(
    totals: Mapping[int, float], end_day: int, thresholds: SurgeThresholds
) -> SurgeMeasure:
    """Window and baseline sums of the daily ``totals`` as of ``end_day``, and the verdict."""
    window_start = end_day - thresholds.window_days + 1
    baseline_start = window_start - thresholds.baseline_days
    window = sum(v for d, v in totals.items() if window_start <= d <= end_day)
    baseline = sum(v for d, v in totals.items() if baseline_start <= d < window_start)
    window_rate = window / thresholds.window_days
    baseline_rate = baseline / thresholds.baseline_days
    ratio = window_rate / baseline_rate if baseline_rate > 0 else None
    # A negative baseline (more unsubscribes than visits) is no lower bar than zero.
    bar = thresholds.factor * max(baseline_rate, 0.0)
    surging = window >= thresholds.min_intent and window_rate >= bar
    return SurgeMeasure(
        start_day=window_start,
        end_day=end_day,
        window_intent=window,
        baseline_intent=baseline,
        window_per_day=window_rate,
        baseline_per_day=baseline_rate,
        ratio=ratio,
        surging=surging and window > 0,
    )
