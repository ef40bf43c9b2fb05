"""The benchmark's arithmetic: percentiles, medians, rates, ratios (no timing here)."""

from __future__ import annotations

import math

import pytest

from bench.stats import LatencySummary, median, percentile, rate, ratio


def test_nearest_rank_percentiles_of_one_to_a_hundred() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # any order
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile(values, 1) == 1.0


def test_percentile_of_a_few_values_takes_the_smallest_value_at_or_above_the_rank() -> None:
    assert percentile([10.0, 20.0, 30.0], 50) == 20.0
    assert percentile([10.0, 20.0, 30.0], 99) == 30.0
    assert percentile([7.0], 50) == 7.0
    assert percentile([5.0, 1.0], 50) == 1.0


def test_percentile_of_nothing_is_nan_and_out_of_range_q_is_refused() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match="percentile"):
        percentile([1.0], 0)
    with pytest.raises(ValueError, match="percentile"):
        percentile([1.0], 101)


def test_median_skips_nan_and_averages_the_middle_pair() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert median([math.nan, 5.0]) == 5.0
    assert math.isnan(median([]))
    assert math.isnan(median([math.nan]))


def test_rate_and_ratio_are_nan_when_undefined() -> None:
    assert rate(1000, 2.0) == 500.0
    assert math.isnan(rate(1000, 0.0))
    assert ratio(3.0, 2.0) == 1.5
    assert math.isnan(ratio(1.0, 0.0))
    assert math.isnan(ratio(math.nan, 1.0))
    assert math.isnan(ratio(1.0, math.nan))


def test_latency_summary() -> None:
    summary = LatencySummary.of([float(v) for v in range(1, 201)])
    assert (summary.count, summary.p50_ms, summary.p99_ms, summary.max_ms) == (
        200,
        100.0,
        198.0,
        200.0,
    )
    empty = LatencySummary.of([])
    assert empty.count == 0
    assert math.isnan(empty.p99_ms)
