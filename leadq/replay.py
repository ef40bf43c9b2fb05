"""Batch replay: run signals through the pipeline, in memory, in event-time order.

Contract: signals are sorted by (occurred_at, event_id) — exactly the order an in-order
stream sees — and each is routed and applied on its own, through the same ``Router``
and ``Qualifier`` the worker runs on Redis; decay-driven transitions due before each
signal are fired first, in time order, as the worker's timer would have fired them, and
at the end up to ``until_ms`` (default: the last event's time). The same input always
gives the same transitions in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from leadq.bucket import Item
from leadq.compiled import CompiledRules
from leadq.memory import MemoryStore
from leadq.qualifier import Qualifier
from leadq.router import Router
from leadq.store import StateStore
from schemas.signal import Signal
from schemas.transition import TransitionData


@dataclass
class ReplayResult:
    transitions: list[TransitionData]
    store: MemoryStore
    until_ms: int | None
    rules: CompiledRules
    counts: dict[str, int] = field(default_factory=dict)


def event_order(signal: Signal) -> tuple[int, str]:
    return (signal.occurred_ms, signal.event_id)


class Replayer:
    """One in-memory pipeline; ``process`` one signal at a time, ``advance`` the clock."""

    def __init__(self, rules: CompiledRules, store: StateStore | None = None) -> None:
        self.rules = rules
        self.store: StateStore = store or MemoryStore()
        self.router = Router(self.store, rules)
        self.qualifier = Qualifier(self.store, rules)
        self.counts: dict[str, int] = {}

    async def process(self, signal: Signal) -> list[TransitionData]:
        """Apply one signal; returns the transitions it caused (after any due ones)."""
        transitions = await self.advance(signal.occurred_ms)
        routed = await self.router.route([signal])
        outcome = await self.qualifier.apply([Item(r) for r in routed])
        for status, count in outcome.statuses.items():
            self.counts[status] = self.counts.get(status, 0) + count
        return transitions + outcome.transitions

    async def advance(self, until_ms: int) -> list[TransitionData]:
        """Fire every decay-driven transition due at or before ``until_ms``, in time order."""
        return (await self.qualifier.fire_due(until_ms)).transitions


async def replay(
    signals: Iterable[Signal], rules: CompiledRules, until_ms: int | None = None
) -> ReplayResult:
    """Replay ``signals`` (any order) and return every transition, in order."""
    ordered = sorted(signals, key=event_order)
    store = MemoryStore()
    replayer = Replayer(rules, store)
    transitions: list[TransitionData] = []
    for signal in ordered:
        transitions += await replayer.process(signal)
    end = until_ms if until_ms is not None else (ordered[-1].occurred_ms if ordered else None)
    if end is not None:
        transitions += await replayer.advance(end)
    return ReplayResult(transitions, store, end, rules, replayer.counts)
