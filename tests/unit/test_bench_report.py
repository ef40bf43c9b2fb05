"""The benchmark's output: the JSON line's keys and values, the targets, the table."""

from __future__ import annotations

import math
from collections import Counter

import orjson

from bench.report import REQUIRED_KEYS, TARGETS, figures, json_line, table
from bench.results import (
    EngineFigures,
    LatencyPhase,
    Memory,
    RunResults,
    ScalePoint,
    Throughput,
)
from bench.stats import LatencySummary


def _run(name: str, events: int, seconds: float, error: str | None = None) -> Throughput:
    return Throughput(name, events, seconds, cpu_us={"worker": 500.0}, error=error)


def complete() -> RunResults:
    results = RunResults(mode="quick", events=1000, signals=1200, partitions=4, seed=7)
    results.known_small = 10
    results.raw = [_run("a", 10_000, 0.1)]
    results.noop = [_run("b", 1000, 0.1)]
    results.naive = [_run("c", 1000, 0.25)]
    results.leadq = [_run("d", 1000, 0.5), _run("d", 1000, 1.0), _run("d", 1000, 0.4)]
    results.leadq2 = [_run("d2", 1000, 0.25, error="TimeoutError: slow\nlog tail")]
    results.scale = [ScalePoint(100, _run("d large", 1000, 0.6))]
    results.latency = [
        LatencyPhase(1000.0, 100, 999.0, LatencySummary.of([5.0, 7.0]), 0.1),
        LatencyPhase(5000.0, 500, 4990.0, LatencySummary.of([10.0, 20.0, 30.0]), 0.2),
    ]
    results.memory = Memory(leads=10, accounts=2, bytes_per_lead=900.0, account_blob=700.0)
    results.engine = EngineFigures(engine_signals=8000.0)
    results.leadq[0].worker_errors = Counter({"qualifying failed → KeyError": 2})
    return results


def test_the_json_line_has_every_required_key_and_the_medians() -> None:
    values = orjson.loads(json_line(figures(complete())))
    assert set(REQUIRED_KEYS) <= set(values)
    assert values["rate_raw"] == 100_000.0
    assert values["rate_faust_noop"] == 10_000.0
    assert values["rate_naive"] == 4000.0
    assert values["rate_leadq"] == 2000.0  # median of 2000, 1000, 2500
    assert values["ratio_d_b"] == 0.2
    assert values["ratio_d_c"] == 0.5
    assert values["ratio_d_a"] == 0.02
    assert values["p50_ms"] == 20.0  # the 5k/s phase
    assert values["p99_ms"] == 30.0
    assert values["max_ms"] == 30.0
    assert values["latency_workers"] == 1
    assert values["bytes_per_lead"] == 900.0
    assert values["scale_cost_ratio"] == round(2000.0 / (1000 / 0.6), 4)
    assert values["worker_errors"] == {"d": {"qualifying failed → KeyError": 2}}


def test_a_failed_or_missing_scenario_is_null_and_listed_as_an_error() -> None:
    values = orjson.loads(json_line(figures(complete())))
    assert values["rate_leadq_2workers"] is None
    assert values["ratio_2w_1w"] is None
    assert values["errors"] == ["d2: TimeoutError: slow"]


def test_an_empty_run_still_prints_every_required_key_as_null() -> None:
    empty = RunResults(mode="quick", events=0, signals=0, partitions=4, seed=7)
    values = orjson.loads(json_line(figures(empty)))
    assert all(values[key] is None for key in REQUIRED_KEYS)
    assert values["latency"] == []


def test_the_json_line_is_one_line_and_rounds_floats() -> None:
    line = json_line({"x": 1 / 3, "y": math.nan, "z": [math.inf, 2], "w": {"v": 0.123456}})
    assert "\n" not in line
    assert orjson.loads(line) == {"x": 0.3333, "y": None, "z": [None, 2], "w": {"v": 0.1235}}


def test_targets_judge_the_figures() -> None:
    values = figures(complete())
    verdicts = {(t.name, t.kind): t.met(float(values[t.key])) for t in TARGETS}  # type: ignore[arg-type]
    assert verdicts[("d ≥ 1.0 × b", "required")] is False
    assert verdicts[("p99 ≤ 100 ms at 5k/s", "target")] is True
    assert verdicts[("Redis ≤ 1 KB per lead", "target")] is True
    assert verdicts[("2 workers ≥ 1.6 × 1", "target")] is None  # no figure


def test_the_table_names_every_scenario_and_target() -> None:
    results = complete()
    text = table(results, figures(results))
    for fragment in ("(a) raw", "(b) Faust", "(c) Faust", "(d) leadq, 1 worker", "2 workers"):
        assert fragment in text
    assert "MISSED" in text
    assert "KeyError" in text
    assert all(target.name in text for target in TARGETS)
    assert "routing topic (1 worker)" in text
    results.latency_workers = 2
    assert "routing topic (2 workers)" in table(results, figures(results))
