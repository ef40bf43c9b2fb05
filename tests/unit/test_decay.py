"""Exact event-time decay: properties the architecture promises."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from leadq.decay import Decayed, falls_below_at, total_at

HOUR = 3_600_000
events = st.lists(
    st.tuples(st.integers(0, 60 * 24 * HOUR), st.floats(-20, 50, allow_nan=False)),
    min_size=1,
    max_size=30,
)


def _accumulate(pairs: list[tuple[int, float]], half_life: int) -> Decayed:
    score = Decayed(0.0, pairs[0][0], half_life)
    for at_ms, points in pairs:
        score = score.add(points, at_ms)
    return score


def _close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, scale)


@given(events, st.randoms(use_true_random=False))
def test_any_arrival_order_gives_the_same_score(
    pairs: list[tuple[int, float]], rnd: random.Random
) -> None:
    half_life = 7 * 24 * HOUR
    in_order = _accumulate(sorted(pairs), half_life)
    shuffled = list(pairs)
    rnd.shuffle(shuffled)
    other = _accumulate(shuffled, half_life)
    read_at = max(t for t, _ in pairs) + 5 * HOUR
    scale = sum(abs(p) for _, p in pairs)
    assert _close(in_order.value_at(read_at), other.value_at(read_at), scale)


@given(st.floats(0.001, 1e6), st.integers(1, 10**10), st.integers(0, 10**12))
def test_one_half_life_halves(value: float, half_life: int, at_ms: int) -> None:
    score = Decayed(value, at_ms, half_life)
    assert math.isclose(score.value_at(at_ms + half_life), value / 2, rel_tol=1e-12)
    assert math.isclose(score.value_at(at_ms + 2 * half_life), value / 4, rel_tol=1e-12)


def test_reading_never_mutates() -> None:
    score = Decayed(10.0, 1_000, HOUR)
    before = (score.value, score.at_ms, score.half_life_ms)
    score.value_at(5 * HOUR)
    score.value_at(0)
    assert (score.value, score.at_ms, score.half_life_ms) == before


@pytest.mark.parametrize(
    ("value", "base", "threshold", "half_life"),
    [(100.0, 0.0, 60.0, HOUR), (40.0, 40.0, 60.0, 14 * 24 * HOUR), (1e6, 0.0, 1.0, 1000)],
)
def test_crossing_time_matches_the_closed_form(
    value: float, base: float, threshold: float, half_life: int
) -> None:
    term = Decayed(value, 0, half_life)
    due = falls_below_at([term], base, threshold, 0)
    assert due is not None
    exact = half_life * math.log2(value / (threshold - base))
    assert due == math.floor(exact) + 1  # first whole ms strictly below the threshold
    assert total_at([term], due, base) < threshold <= total_at([term], due - 1, base)


@given(
    st.lists(
        st.tuples(
            st.floats(-30, 120, allow_nan=False),
            st.integers(0, 5 * HOUR),
            st.sampled_from([HOUR, 3 * HOUR, 24 * HOUR]),
        ),
        min_size=1,
        max_size=4,
    ),
    st.floats(0, 30),
    st.floats(5, 80),
)
@settings(max_examples=200)
@example(raw=[(1.0, 0, HOUR)], base=29.999999999999996, threshold=30.0)  # sum rounds up
def test_crossing_time_is_the_first_millisecond_below(
    raw: list[tuple[float, int, int]], base: float, threshold: float
) -> None:
    terms = [Decayed(v, t, h) for v, t, h in raw]
    start = max(t for _, t, _ in raw)
    due = falls_below_at(terms, base, threshold, start)
    if due is None:
        # Never below: the score settles at the base, and is not below now.
        assert base >= threshold or total_at(terms, start + 1, base) >= threshold
        return
    assert due > start
    assert total_at(terms, due, base) < threshold
    if due > start + 1:
        assert total_at(terms, due - 1, base) >= threshold
    if all(t.value >= 0 for t in terms):  # monotone: nothing earlier may be below
        step = max(1, (due - start) // 200)
        assert all(total_at(terms, t, base) >= threshold for t in range(start + 1, due, step))


def test_no_crossing_when_the_base_alone_holds_the_stage() -> None:
    assert falls_below_at([Decayed(50.0, 0, HOUR)], 70.0, 60.0, 0) is None
