"""The pipeline over any ``StateStore``: route signals, apply them, fire timers, read.

``leadq replay`` (in memory), the worker's normalize and qualify steps, its decay timer
and its read API (Redis) all run these two classes, so they run the same engine code on
the same kind of state. Neither does any I/O of its own: every read and write goes
through the store, a batch at a time.

- :class:`Router`: identity resolution for a batch of signals (two or three reads, one
  or two compare-and-set writes), then each signal's home bucket, generation and the
  sources to fold in. A refused write (another router changed a key) re-runs the batch:
  every change to the index is monotone, so re-running is safe.
- :class:`Qualifier`: applies routed items bucket by bucket, in phases: the hand-overs
  a phase needs (moves, merges across buckets) are written first, then one read and
  one fenced write per bucket; a refused write re-reads and recomputes only that
  bucket. Items sent on (a lead that moved) are applied in a later phase.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from leadq.bucket import (
    Bucket,
    Item,
    Redirect,
    Taken,
    apply_item,
    fire_due,
    take,
)
from leadq.compiled import CompiledRules
from leadq.identity import (
    IndexView,
    Resolution,
    home_of,
    needed_keys,
    plan,
    without_sources,
)
from leadq.state import AccountState, LeadState, Tombstone
from leadq.store import Emitted, KeyRead, KeyWrite, LeadRecord, StateStore, Wants
from schemas.routed import RoutedSignal, Source
from schemas.signal import Signal
from schemas.transition import TransitionData

#: A chain of moves and merges longer than this is an error (it cannot form here).
MAX_HOPS = 32


class StoreConflictError(RuntimeError):
    """Writes kept being refused: another writer changes the same state without pause."""


# ------------------------------------------------------------------------ routing
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
                return [
                    routed
                    for signal, resolution in zip(signals, resolutions, strict=True)
                    for routed in _routed(signal, resolution)
                ]
        raise StoreConflictError("identity index writes refused 1000 times in a row")

    async def settle(self, routed: Sequence[RoutedSignal]) -> None:
        """Forget the sources ``routed`` carried, once they are safely on their way to
        the lead's home (produced): the home folds them in when it applies them."""
        done: dict[str, set[Source]] = {}
        for item in routed:
            if item.lead_id is not None and item.sources:
                done.setdefault(item.lead_id, set()).update(item.sources)
        while done:
            reads = await self.store.read_keys(list(done))
            writes = []
            for lead_id, sources in done.items():
                read = reads[lead_id]
                record = read.record
                if record is None or record.parent is not None:
                    continue
                cleared = without_sources(record, tuple(sources))
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


def _routed(signal: Signal, resolution: Resolution) -> list[RoutedSignal]:
    """The routed signal (and an account-only copy for a late group call's account)."""
    # Built without validation: every value is typed here or the validated signal.
    routed = [
        RoutedSignal.model_construct(
            schema_version=2,
            lead_id=resolution.lead_id,
            account_id=resolution.account_id,
            bucket=resolution.bucket,
            gen=resolution.gen,
            sources=resolution.sources,
            domain_account=resolution.domain_account,
            signal=signal,
        )
    ]
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
                signal=signal,
            )
        )
    return routed


# ----------------------------------------------------------------------- qualifying
@dataclass
class Outcome:
    """What a qualifier call did: the outbox entries it wrote and per-status counts."""

    emitted: list[Emitted] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    #: Per bucket, per source partition: the highest offset handled there while its
    #: watermark was held back (an item was sent on to another bucket).
    held: dict[int, dict[str, int]] = field(default_factory=dict)

    @property
    def transitions(self) -> list[TransitionData]:
        return [entry.transition for entry in self.emitted]

    def count(self, statuses: dict[str, int]) -> None:
        for status, count in statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count


@dataclass(eq=False)
class _Pending:
    item: Item
    bucket: int
    position: int


#: A hand-over to do: the source, the place it goes and the routing generation.
_Take = tuple[Source, Source, int]


class Qualifier:
    """Applies routed signals and fires decay timers through a ``StateStore``."""

    def __init__(self, store: StateStore, rules: CompiledRules) -> None:
        self.store = store
        self.rules = rules

    def set_rules(self, rules: CompiledRules) -> None:
        """Use new rules from the next call on (hot reload)."""
        self.rules = rules

    # ---------------------------------------------------------------- apply
    async def apply(self, items: Sequence[Item]) -> Outcome:
        """Apply ``items`` in order per bucket (see the module docstring).

        Each bucket sees its items in batch order; a hand-over waits for the items of
        its source bucket that came before it. Returns the outbox entries written.
        """
        outcome = Outcome()
        takens: dict[Source, Taken | None] = {}
        pending = [_Pending(item, item.routed.bucket, i) for i, item in enumerate(items)]
        for _ in range(MAX_HOPS * max(1, len(items))):
            if not pending:
                break
            now, takes, later = _schedule(pending, takens)
            if takes:
                takens.update(await self._hand_over(takes, outcome))
            redirected = await self._apply_phase(now, takens, outcome)
            pending = sorted(later + redirected, key=lambda p: p.position)
        else:
            raise StoreConflictError(f"{len(pending)} item(s) never found their lead")
        kept = [(s.bucket, t.fold_id) for s, t in takens.items() if t is not None and t.state]
        if kept:
            await self.store.forget_kept(kept)
        if outcome.held:
            await self._release(outcome)
        return outcome

    async def _release(self, outcome: Outcome) -> None:
        """Move watermarks held below items sent on elsewhere past them, now that those
        items are applied where they went (a crash before this re-delivers them: their
        event ids make that harmless)."""
        marks = outcome.held

        def compute(bucket: Bucket) -> None:
            for source, offset in marks[bucket.number].items():
                if offset > bucket.watermark.get(source, -1):
                    bucket.watermark[source] = offset
                    bucket.watermark_changed = True

        await self._transact({number: Wants() for number in marks}, compute, Outcome())

    async def _hand_over(
        self, takes: dict[Source, tuple[Source, int]], outcome: Outcome
    ) -> dict[Source, Taken | None]:
        by_bucket: dict[int, list[Source]] = {}
        for source in takes:
            by_bucket.setdefault(source.bucket, []).append(source)
        wants = {
            number: Wants(
                {s.lead_id for s in sources}, {s.account_id for s in sources if s.account_id}
            )
            for number, sources in by_bucket.items()
        }
        takens: dict[Source, Taken | None] = {}

        def compute(bucket: Bucket) -> None:
            for source in by_bucket[bucket.number]:
                target, gen = takes[source]
                takens[source] = take(bucket, source, target, gen, self.rules)

        await self._transact(wants, compute, outcome)
        return takens

    async def _apply_phase(
        self,
        now: list[_Pending],
        takens: dict[Source, Taken | None],
        outcome: Outcome,
    ) -> list[_Pending]:
        by_bucket: dict[int, list[_Pending]] = {}
        for pending in now:
            by_bucket.setdefault(pending.bucket, []).append(pending)
        wants = {number: _wants(items) for number, items in by_bucket.items()}
        redirected: dict[int, list[_Pending]] = {}

        def compute(bucket: Bucket) -> None:
            found = redirected[bucket.number] = []
            for pending in by_bucket[bucket.number]:
                sent = apply_item(bucket, pending.item, takens, self.rules)
                if isinstance(sent, Redirect):
                    found.append(_Pending(sent.item, sent.bucket, pending.position))

        await self._transact(wants, compute, outcome)
        return [p for items in redirected.values() for p in items]

    async def _transact(
        self,
        wants: dict[int, Wants],
        compute: Callable[[Bucket], None],
        outcome: Outcome,
    ) -> None:
        """Read the buckets, ``compute`` on each, write them back; a bucket whose write
        is refused (it changed since the read) is read and computed again, alone."""
        remaining = dict(wants)
        for _ in range(1000):
            buckets = await self._load(remaining)
            for bucket in buckets.values():
                compute(bucket)
            committed = await self.store.commit([b for b in buckets.values() if b.changed])
            outcome.emitted += committed.emitted
            for number, bucket in buckets.items():
                if number not in committed.refused:
                    outcome.count(bucket.statuses)
                    if bucket.held:
                        marks = outcome.held.setdefault(number, {})
                        for source, offset in bucket.watermark.items():
                            marks[source] = max(offset, marks.get(source, -1))
            remaining = {n: remaining[n] for n in committed.refused}
            if not remaining:
                return
            outcome.count({"refused": len(remaining)})
        raise StoreConflictError(f"writes to bucket(s) {sorted(remaining)} refused 1000 times")

    async def _load(self, wants: dict[int, Wants]) -> dict[int, Bucket]:
        """Read the buckets, again with more where what was read names more (a lead's
        account, a kept transfer), until each snapshot has everything it refers to."""
        wants = {number: _copy(w) for number, w in wants.items()}
        buckets = await self.store.read_buckets(wants)
        for _ in range(MAX_HOPS):
            incomplete = {}
            for number, bucket in buckets.items():
                extra = _missing(bucket)
                if extra.leads or extra.accounts or extra.kept:
                    wants[number].add(extra)
                    incomplete[number] = wants[number]
            if not incomplete:
                return buckets
            buckets.update(await self.store.read_buckets(incomplete))
        raise StoreConflictError("bucket snapshots kept growing")

    # ---------------------------------------------------------------- timers
    async def fire_due(self, until_ms: int, buckets: Iterable[int] | None = None) -> Outcome:
        """Fire every decay-driven transition due by ``until_ms`` (in ``buckets``, or
        all), each at its own due time; returns the outbox entries written."""
        outcome = Outcome()
        due = await self.store.due(None if buckets is None else set(buckets), until_ms)
        by_bucket: dict[int, list[tuple[int, str]]] = {}
        for due_ms, number, member in due:
            by_bucket.setdefault(number, []).append((due_ms, member))
        wants = {
            number: Wants(
                {m[2:] for _, m in entries if m.startswith("L:")},
                {m[2:] for _, m in entries if m.startswith("A:")},
            )
            for number, entries in by_bucket.items()
        }

        def compute(bucket: Bucket) -> None:
            fire_due(bucket, by_bucket[bucket.number], until_ms, self.rules)

        if wants:
            await self._transact(wants, compute, outcome)
        return outcome

    # ----------------------------------------------------------------- reads
    async def lead(self, lead_or_key: str) -> LeadRecord | None:
        """A lead by its id or any identity key, with its account; ``None`` if unknown."""
        found = await _find_lead(self.store, lead_or_key)
        if found is None:
            return None
        lead_id, number, account_id = found
        for _ in range(MAX_HOPS):
            buckets = await self._load({number: Wants({lead_id}, {account_id} - {None})})  # type: ignore[arg-type]
            bucket = buckets[number]
            state = bucket.leads.get(lead_id)
            if isinstance(state, LeadState):
                return LeadRecord(state, bucket.account(state.account_id))
            if not isinstance(state, Tombstone):
                return None
            lead_id, number, account_id = state.lead_id, state.bucket, state.account_id
        return None

    async def account(self, account_id: str) -> AccountState | None:
        from leadq.identity import account_bucket

        number = account_bucket(account_id, self.store.buckets)
        buckets = await self.store.read_buckets({number: Wants(accounts={account_id})})
        return buckets[number].account(account_id)


def _copy(wants: Wants) -> Wants:
    return Wants(set(wants.leads), set(wants.accounts), set(wants.kept))


def _wants(items: list[_Pending]) -> Wants:
    wants = Wants()
    for pending in items:
        routed = pending.item.routed
        if routed.lead_id is not None:
            wants.leads.add(routed.lead_id)
        if routed.account_id is not None:
            wants.accounts.add(routed.account_id)
        for source in routed.sources:
            if source.bucket == pending.bucket:
                wants.leads.add(source.lead_id)
                if source.account_id is not None:
                    wants.accounts.add(source.account_id)
    return wants


def _missing(bucket: Bucket) -> Wants:
    """What ``bucket`` refers to but was not read."""
    extra = Wants()
    for state in bucket.leads.values():
        if (
            isinstance(state, LeadState)
            and state.account_id
            and state.account_id not in bucket.accounts
        ):
            extra.accounts.add(state.account_id)
        elif isinstance(state, Tombstone) and state.kept and state.fold_id not in bucket.kept:
            extra.kept.add(state.fold_id)
    return extra


def _schedule(
    pending: list[_Pending], takens: dict[Source, Taken | None]
) -> tuple[list[_Pending], dict[Source, tuple[Source, int]], list[_Pending]]:
    """Split ``pending`` (in batch order) into (items to apply now, hand-overs to do
    before them, items for a later phase).

    A hand-over from a bucket waits for that bucket's earlier items; an item that waits
    blocks its buckets for the rest of the phase, so each bucket keeps its order. The
    first item never waits: every phase makes progress.
    """
    now: list[_Pending] = []
    takes: dict[Source, tuple[Source, int]] = {}
    later: list[_Pending] = []
    blocked: set[int] = set()
    applying: set[int] = set()
    for entry in pending:
        routed = entry.item.routed
        cross = [s for s in routed.sources if s.bucket != entry.bucket and s not in takens]
        touched = {entry.bucket, *(s.bucket for s in cross)}
        if touched & blocked or any(s.bucket in applying for s in cross if s not in takes):
            later.append(entry)
            blocked |= touched
            continue
        target = Source(
            lead_id=routed.lead_id or "", bucket=entry.bucket, account_id=routed.account_id
        )
        for source in cross:
            takes.setdefault(source, (target, routed.gen))
        now.append(entry)
        applying.add(entry.bucket)
    return now, takes, later


async def _find_lead(store: StateStore, key: str) -> tuple[str, int, str | None] | None:
    """(lead id, home bucket, account) of the lead an identity key names."""
    for _ in range(MAX_HOPS):
        reads = await store.read_keys([key])
        record = reads[key].record
        if record is None:
            return None
        if record.parent is None:
            home = home_of(key, record, store.buckets)
            return key, home.bucket, home.account_id
        key = record.parent
    return None
