"""Routing (the normalize step): identity resolution, each signal's home, hand-overs.

``Router.route`` resolves a batch of signals against the identity index (two or three
pipelined reads, one or two compare-and-set writes; a refused write re-runs the batch:
every change to the index is monotone, so re-running is safe) and returns, in order,
the routed signals to produce: each signal keyed by its lead's bucket, preceded by a
*hand-over request* to every former place of its lead that has not been folded into its
home yet (``leadq.bucket_ops`` explains how that keeps each lead's order).
``Router.settle`` forgets former places once their home has folded them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from leadq.compiled import CompiledRules
from leadq.identity import IndexView, Resolution, needed_keys, plan, without_sources
from leadq.store import KeyRead, KeyWrite, StateStore
from schemas.routed import RoutedSignal, Source
from schemas.signal import Signal


class StoreConflictError(RuntimeError):
    """Writes kept being refused: another writer changes the same state without pause."""


class Router:
    """Identity resolution and routing (the normalize step)."""

    def __init__(self, store: StateStore, rules: CompiledRules) -> None:
        self.store = store
        self.rules = rules

    async def route(self, signals: Sequence[Signal]) -> list[RoutedSignal]:
        """Route ``signals`` in order, as if one at a time, and record them in the index."""
        for _ in range(1000):
            reads = await self._read_closure(signals)
            view = IndexView({key: read.record for key, read in reads.items()})
            resolutions = [plan(s, view, self.rules.free_mail, self.store.buckets) for s in signals]
            if await self._write(view, reads):
                requested: set[tuple[Source, Source]] = set()
                return [
                    routed
                    for signal, resolution in zip(signals, resolutions, strict=True)
                    for routed in _routed(signal, resolution, requested)
                ]
        raise StoreConflictError("identity index writes refused 1000 times in a row")

    async def settle(self, settled: dict[str, set[tuple[str, int]]]) -> None:
        """Forget former places (lead id → {(former lead id, bucket)}) that the lead's
        home has folded in: later signals no longer carry them."""
        done = dict(settled)
        while done:
            reads = await self.store.read_keys(list(done))
            writes = []
            for lead_id, places in done.items():
                read = reads[lead_id]
                record = read.record
                if record is None or record.parent is not None:
                    continue
                gone = tuple(s for s in record.pending if (s.lead_id, s.bucket) in places)
                cleared = without_sources(record, gone)
                if cleared != record:
                    writes.append(KeyWrite(lead_id, cleared, read.token))
            refused = await self.store.write_keys(writes) if writes else set()
            done = {lead_id: done[lead_id] for lead_id in refused}

    async def _read_closure(self, signals: Sequence[Signal]) -> dict[str, KeyRead]:
        """Every key the signals name, and every lead those keys point to."""
        reads: dict[str, KeyRead] = {}
        wanted = {key for signal in signals for key in needed_keys(signal)}
        while wanted:
            found = await self.store.read_keys(wanted)
            reads.update(found)
            wanted = {
                read.record.parent
                for read in found.values()
                if read.record is not None
                and read.record.parent is not None
                and read.record.parent not in reads
            }
        return reads

    async def _write(self, view: IndexView, reads: dict[str, KeyRead]) -> bool:
        """Write the batch's index changes: leads first (their facts and pending sources
        must be recorded before keys point at them), then pointers."""
        leads = [k for k, record in view.written.items() if record.is_lead]
        pointers = [k for k, record in view.written.items() if not record.is_lead]
        for keys in (leads, pointers):
            writes = [KeyWrite(k, view.written[k], reads[k].token) for k in keys]
            if writes and await self.store.write_keys(writes):
                return False
        return True


def _routed(
    signal: Signal, resolution: Resolution, requested: set[tuple[Source, Source]]
) -> list[RoutedSignal]:
    """The routed signal, after a hand-over request to each of its lead's former places
    in other buckets (once per batch), and an account-only copy for a late group call's
    account."""
    # Built without validation: every value is typed here or the validated signal.
    home = Source(
        lead_id=resolution.lead_id or "",
        bucket=resolution.bucket,
        account_id=resolution.account_id,
    )
    routed = [
        RoutedSignal.model_construct(
            schema_version=2,
            lead_id=source.lead_id,
            account_id=source.account_id,
            bucket=source.bucket,
            gen=resolution.gen,
            sources=(),
            domain_account=False,
            hand_over_to=home,
            signal=signal,
        )
        for source in _requests(resolution, home, requested)
    ]
    routed.append(
        RoutedSignal.model_construct(
            schema_version=2,
            lead_id=resolution.lead_id,
            account_id=resolution.account_id,
            bucket=resolution.bucket,
            gen=resolution.gen,
            sources=resolution.sources,
            domain_account=resolution.domain_account,
            hand_over_to=None,
            signal=signal,
        )
    )
    if resolution.also_account is not None:
        account_id, bucket = resolution.also_account
        routed.append(
            RoutedSignal.model_construct(
                schema_version=2,
                lead_id=None,
                account_id=account_id,
                bucket=bucket,
                gen=0,
                sources=(),
                domain_account=False,
                hand_over_to=None,
                signal=signal,
            )
        )
    return routed


def _requests(
    resolution: Resolution, home: Source, requested: set[tuple[Source, Source]]
) -> Iterable[Source]:
    """Former places in other buckets not yet asked, in this batch, to hand over to home."""
    for source in resolution.sources:
        if source.bucket != home.bucket and (source, home) not in requested:
            requested.add((source, home))
            yield source
