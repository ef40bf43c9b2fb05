"""Backfill: past events into the live state, through the same pipeline as the stream.

Contract: ``backfill`` routes and applies ``signals`` in event-time order (ties by event
id), in batches, with the worker's own ``Router`` and ``Qualifier`` on the given store;
before each batch, decay-driven transitions due by the batch's first event time are
fired, and at the end those due by ``until_ms`` (default: the last event's time). The
result is the state ``leadq replay`` computes for the same events, merged into what the
store already holds.

- Idempotent: every event is de-duplicated by its id, so running it again (or on
  overlapping files) changes nothing.
- Safe beside running workers: every write is fenced by the bucket's version, so a
  backfill and a worker writing the same bucket never overwrite each other; to them a
  backfilled event is a late event (older than the horizon behind a lead's newest
  event, it is recorded but not scored).
- Transitions are computed, not published by default (``emit``): stage changes in
  history are not something to route or alert on now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from leadq.bucket import Item
from leadq.compiled import CompiledRules
from leadq.qualifier import Outcome, Qualifier
from leadq.replay import event_order
from leadq.router import Router
from leadq.store import StateStore
from schemas.signal import Signal


@dataclass
class BackfillResult:
    signals: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    outcome: Outcome = field(default_factory=Outcome)


async def backfill(
    store: StateStore,
    signals: Iterable[Signal],
    rules: CompiledRules,
    *,
    until_ms: int | None = None,
    batch: int = 500,
    emit: bool = False,
    progress: Callable[[int], None] = lambda done: None,
) -> BackfillResult:
    """Apply ``signals`` to ``store`` (see the module docstring)."""
    ordered = sorted(signals, key=event_order)
    router, qualifier = Router(store, rules), Qualifier(store, rules, emit=emit)
    result = BackfillResult()
    for start in range(0, len(ordered), batch):
        chunk = ordered[start : start + batch]
        _fold(result, await qualifier.fire_due(chunk[0].occurred_ms))
        routed = await router.route(chunk)
        _fold(result, await qualifier.apply([Item(r) for r in routed]))
        result.signals += len(chunk)
        progress(result.signals)
    end = until_ms if until_ms is not None else (ordered[-1].occurred_ms if ordered else None)
    if end is not None:
        _fold(result, await qualifier.fire_due(end))
    return result


def _fold(result: BackfillResult, outcome: Outcome) -> None:
    result.outcome.emitted += outcome.emitted
    for status, count in outcome.statuses.items():
        result.statuses[status] = result.statuses.get(status, 0) + count
