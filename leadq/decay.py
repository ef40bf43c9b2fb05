"""Exact event-time exponential decay.

A decayed score is the pair (S, T): value S at time T (epoch ms). Read at time t it is
S·2^(−(t−T)/h). Adding p points at t ≥ T gives (S·2^(−(t−T)/h) + p, t); at t < T (a late
event) it gives (S + p·2^(−(T−t)/h), T). Both are exact, so the final value does not
depend on arrival order (up to float rounding), which makes replays and batch
recomputation agree with the stream.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Decayed:
    """Value ``value`` as of ``at_ms``, halving every ``half_life_ms``."""

    value: float
    at_ms: int
    half_life_ms: int

    def value_at(self, t_ms: int) -> float:
        """The value read at ``t_ms`` (earlier times read it grown back); pure."""
        return self.value * math.pow(2.0, -(t_ms - self.at_ms) / self.half_life_ms)

    def add(self, points: float, t_ms: int) -> Decayed:
        """The score after ``points`` earned at ``t_ms``, in or out of order."""
        if t_ms >= self.at_ms:
            return Decayed(self.value_at(t_ms) + points, t_ms, self.half_life_ms)
        late = points * math.pow(2.0, -(self.at_ms - t_ms) / self.half_life_ms)
        return Decayed(self.value + late, self.at_ms, self.half_life_ms)


def decayed_points(points: float, earned_ms: int, t_ms: int, half_life_ms: int) -> float:
    """What ``points`` earned at ``earned_ms`` are worth at ``t_ms``."""
    return points * math.pow(2.0, -(t_ms - earned_ms) / half_life_ms)


def total_at(terms: Sequence[Decayed], t_ms: int, base: float = 0.0) -> float:
    """``base`` plus every term read at ``t_ms``, added left to right.

    A plain loop, not ``sum()``: Python 3.12's ``sum`` compensates rounding, and the Lua
    fast path must be able to reproduce the same floating-point result exactly.
    """
    total = 0.0
    for term in terms:
        total += term.value_at(t_ms)
    return base + total


def falls_below_at(
    terms: Sequence[Decayed], base: float, threshold: float, after_ms: int
) -> int | None:
    """The first whole millisecond t > ``after_ms`` with base + Σ terms(t) < threshold.

    ``None`` if that never happens (the score settles at ``base`` ≥ threshold). With all
    terms non-negative the total only falls, so a bisection finds the exact millisecond;
    with negative terms the total can rise again, so candidate points are first scanned
    on a grid of a quarter of the shortest half-life. Deterministic, O(log range) reads.
    """
    low = after_ms + 1
    if total_at(terms, low, base) < threshold:
        return low
    positive = [t for t in terms if t.value > 0]
    if base >= threshold or not positive:
        return None
    high = _upper_bound(positive, threshold - base)
    # In exact arithmetic the total is below the threshold at ``high``; in floating point a
    # total within an ulp of it can round back up (a base a hair under the threshold):
    # look further, where the terms have decayed enough for the sum to round below.
    for _ in range(64):
        if total_at(terms, high, base) < threshold:
            break
        high += high - after_ms
    else:
        return None
    if any(t.value < 0 for t in terms):
        step = max(1, min(t.half_life_ms for t in terms) // 4)
        while low + step < high and total_at(terms, low + step, base) >= threshold:
            low += step
        high = min(high, low + step)
    return _bisect(terms, base, threshold, low, high)


def _upper_bound(positive: Sequence[Decayed], margin: float) -> int:
    """A time by which the positive terms alone sum below ``margin`` (> 0)."""
    share = margin / len(positive)
    return max(_below_share_at(t, share) for t in positive)


def _below_share_at(term: Decayed, share: float) -> int:
    """A time from which ``term`` stays below ``share`` (> 0)."""
    if term.value <= share:
        return term.at_ms + 1
    # log(x)/log(2), not log2: the Lua fast path has only the natural log.
    return (
        term.at_ms
        + math.ceil(term.half_life_ms * (math.log(term.value / share) / math.log(2.0)))
        + 1
    )


def _bisect(terms: Sequence[Decayed], base: float, threshold: float, low: int, high: int) -> int:
    """Smallest t in (low, high] with total < threshold, given total(low) ≥ threshold."""
    while high - low > 1:
        middle = (low + high) // 2
        if total_at(terms, middle, base) < threshold:
            high = middle
        else:
            low = middle
    return high
