"""Batch replay: run signals through the engine in event-time order.

Contract: signals are sorted by (occurred_at, event_id) — exactly the order an in-order
stream sees — and applied one by one to a fresh ``World``; decay-driven transitions are
fired in time order as a timer would, up to ``until_ms`` (default: the last event's
time). The same input always gives the same transitions in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from leadq.compiled import CompiledRules
from leadq.world import World
from schemas.signal import Signal
from schemas.transition import TransitionData


@dataclass(frozen=True)
class ReplayResult:
    transitions: list[TransitionData]
    world: World
    until_ms: int | None


def event_order(signal: Signal) -> tuple[int, str]:
    return (signal.occurred_ms, signal.event_id)


def replay(
    signals: Iterable[Signal], rules: CompiledRules, until_ms: int | None = None
) -> ReplayResult:
    """Replay ``signals`` (any order) and return every transition, in order."""
    ordered = sorted(signals, key=event_order)
    world = World(rules)
    transitions: list[TransitionData] = []
    for signal in ordered:
        transitions += world.process(signal)
    end = until_ms if until_ms is not None else (ordered[-1].occurred_ms if ordered else None)
    if end is not None:
        transitions += world.advance(end)
    return ReplayResult(transitions, world, end)
