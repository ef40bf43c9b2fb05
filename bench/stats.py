"""Small statistics for the benchmark: percentiles, medians, rates, ratios.

Pure functions, no clock and no I/O, so the harness's arithmetic is unit-tested apart
from any timing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q ≤ 100): the smallest value with at
    least q% of the values at or below it. p100 is the maximum; an empty input is NaN."""
    if not 0.0 < q <= 100.0:
        raise ValueError(f"percentile must be in (0, 100], got {q}")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = math.ceil(q / 100.0 * len(ordered))
    return ordered[max(rank, 1) - 1]


def median(values: Iterable[float]) -> float:
    """The middle value (mean of the two middle ones for an even count); NaN when empty.
    NaN inputs (a scenario that did not finish) are left out."""
    finite = sorted(v for v in values if not math.isnan(v))
    if not finite:
        return math.nan
    middle = len(finite) // 2
    if len(finite) % 2:
        return finite[middle]
    return (finite[middle - 1] + finite[middle]) / 2.0


def rate(count: int, seconds: float) -> float:
    """``count`` per second over ``seconds``; NaN when the interval is not positive."""
    return count / seconds if seconds > 0 else math.nan


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when either is NaN or the denominator is 0."""
    if math.isnan(numerator) or math.isnan(denominator) or denominator == 0:
        return math.nan
    return numerator / denominator


@dataclass(frozen=True)
class LatencySummary:
    """p50, p99 and max of a set of latencies (ms), with the sample count."""

    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, latencies_ms: Sequence[float]) -> LatencySummary:
        return cls(
            count=len(latencies_ms),
            p50_ms=percentile(latencies_ms, 50),
            p99_ms=percentile(latencies_ms, 99),
            max_ms=percentile(latencies_ms, 100),
        )
