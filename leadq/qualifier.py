"""Qualifying (the qualify step, the decay timer, the read API) over any ``StateStore``.

``Qualifier.apply`` applies routed items bucket by bucket, in phases: one read of the
buckets a phase needs (and of the former places its items wait for), the engine in
memory (``leadq.bucket_ops``), one fenced write per bucket; a refused write re-reads and
recomputes only that bucket. Items sent on (a lead that moved) are applied in a later
phase. After the phases: items parked at the places hand-overs went to are released
(``release``), handed-over states already folded are dropped, the index forgets the
former places folded in, and watermarks held below sent-on items move on.

``leadq replay`` (in memory) and the worker (Redis) run this same code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from leadq.bucket import Bucket, Item, Redirect
from leadq.bucket_ops import HandedOver, SourceStates, apply_item, release
from leadq.bucket_timers import fire_due
from leadq.compiled import CompiledRules
from leadq.identity import account_bucket, home_of, pin
from leadq.phases import Pending, copy_wants, missing, schedule, waited_for, wants_of
from leadq.router import Router, StoreConflictError
from leadq.state import AccountState, LeadState, Tombstone
from leadq.store import Emitted, KeyWrite, LeadRecord, StateStore, Wants
from schemas.routed import Source
from schemas.transition import TransitionData

#: A chain of moves and merges longer than this is an error (it cannot form here).
MAX_HOPS = 32
#: Rounds of a write refused because another writer changed the bucket meanwhile.
MAX_REFUSALS = 1000


@dataclass
class Outcome:
    """What a qualifier call did: the outbox entries it wrote and per-status counts."""

    emitted: list[Emitted] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    #: Per bucket, per source partition: the highest offset handled there while its
    #: watermark was held back (an item was sent on to another bucket).
    held: dict[int, dict[str, int]] = field(default_factory=dict)
    #: Hand-overs made: (target lead id, target bucket), to release what waits there.
    handed_to: set[tuple[str, int]] = field(default_factory=set)
    #: Lead id → former places (lead id, bucket) folded in.
    settled: dict[str, set[tuple[str, int]]] = field(default_factory=dict)
    #: Staged leads (lead id → email) whose index keys must never expire.
    staged: dict[str, str | None] = field(default_factory=dict)
    #: Per bucket written in this call: the leads with parked items after the write.
    parked: dict[int, set[str]] = field(default_factory=dict)

    @property
    def transitions(self) -> list[TransitionData]:
        return [entry.transition for entry in self.emitted]

    def count(self, statuses: dict[str, int]) -> None:
        for status, count in statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count

    def record(self, bucket: Bucket) -> None:
        """Take in what a committed bucket did."""
        self.count(bucket.statuses)
        self.handed_to |= {(lead, number) for _, lead, number in bucket.handed_over}
        for lead_id, places in bucket.settled.items():
            self.settled.setdefault(lead_id, set()).update(places)
        self.staged.update(bucket.staged)
        self.parked[bucket.number] = set(bucket.parked_leads)
        if bucket.held:
            marks = self.held.setdefault(bucket.number, {})
            for source, offset in bucket.watermark.items():
                marks[source] = max(offset, marks.get(source, -1))


Compute = Callable[[Bucket, SourceStates], None]


class Qualifier:
    """Applies routed signals and fires decay timers through a ``StateStore``."""

    def __init__(self, store: StateStore, rules: CompiledRules, *, emit: bool = True) -> None:
        self.store = store
        self.rules = rules
        #: Write transitions to the outbox (to be published); ``False`` for a backfill of
        #: history, whose stage changes nobody should act on now (counted, not written).
        self.emit = emit
        self._router = Router(store, rules)
        #: Leads whose index keys this process pinned (a cache: pinning is idempotent).
        self._pinned: set[str] = set()

    def set_rules(self, rules: CompiledRules) -> None:
        """Use new rules from the next call on (hot reload)."""
        self.rules = rules

    # ---------------------------------------------------------------- apply
    async def apply(self, items: Sequence[Item]) -> Outcome:
        """Apply ``items``: each bucket sees its items in batch order; an item waiting for
        a hand-over requested earlier in the batch waits for the next phase."""
        outcome = Outcome()
        pending = [Pending(item, item.routed.bucket, i) for i, item in enumerate(items)]
        for _ in range(MAX_HOPS * max(1, len(items))):
            if not pending:
                break
            now, later = schedule(pending)
            redirected = await self._apply_phase(now, outcome)
            pending = sorted(later + redirected, key=lambda p: p.position)
        else:
            raise StoreConflictError(f"{len(pending)} item(s) never found their lead")
        await self._follow_up(outcome)
        return outcome

    async def _apply_phase(self, now: list[Pending], outcome: Outcome) -> list[Pending]:
        by_bucket: dict[int, list[Pending]] = {}
        for pending in now:
            by_bucket.setdefault(pending.bucket, []).append(pending)
        wants = {number: wants_of(items) for number, items in by_bucket.items()}
        waits = {
            number: {s for p in items for s in p.item.routed.sources if s.bucket != number}
            for number, items in by_bucket.items()
        }
        redirected: dict[int, list[Pending]] = {}

        def compute(bucket: Bucket, sources: SourceStates) -> None:
            found = redirected[bucket.number] = []
            for pending in by_bucket[bucket.number]:
                sent = apply_item(bucket, pending.item, sources, self.rules)
                if isinstance(sent, Redirect):
                    found.append(Pending(sent.item, sent.bucket, pending.position))

        await self._transact(wants, compute, outcome, waits)
        return [p for items in redirected.values() for p in items]

    async def _follow_up(self, outcome: Outcome) -> None:
        """Release what waited for the hand-overs made, then tidy up (see module doc)."""
        # A place this call wrote last knows whether anything waits there; others are read.
        targets = {
            (lead, number)
            for lead, number in outcome.handed_to
            if number not in outcome.parked or lead in outcome.parked[number]
        }
        if targets:
            await self.release(targets, outcome)
        if outcome.settled:
            await self._router.settle(outcome.settled)
        staged = {k: v for k, v in outcome.staged.items() if k not in self._pinned}
        if staged:
            await self._pin(staged)
        if outcome.held:
            await self._release_watermarks(outcome)

    async def release(self, leads: Iterable[tuple[str, int]], outcome: Outcome) -> None:
        """Apply the parked items of ``(lead id, bucket)`` whose hand-overs all arrived."""
        by_bucket: dict[int, set[str]] = {}
        for lead_id, number in leads:
            by_bucket.setdefault(number, set()).add(lead_id)
        wants = {number: Wants(set(lead_ids)) for number, lead_ids in by_bucket.items()}

        def compute(bucket: Bucket, sources: SourceStates) -> None:
            for lead_id in sorted(by_bucket[bucket.number]):
                release(bucket, lead_id, sources, self.rules)

        await self._transact(wants, compute, outcome)

    async def release_parked(self, buckets: Iterable[int]) -> Outcome:
        """Release what waits in ``buckets`` (the timer's safety net: a release normally
        follows the hand-over at once)."""
        outcome = Outcome()
        found = await self.store.read_buckets({number: Wants() for number in buckets})
        leads = [(lead_id, n) for n, bucket in found.items() for lead_id in bucket.parked_leads]
        if leads:
            await self.release(leads, outcome)
            await self._follow_up(outcome)
        return outcome

    async def _pin(self, staged: dict[str, str | None]) -> None:
        """Make a staged lead's id and email keys never expire (staged leads are kept)."""
        keys = set(staged) | {f"e:{email}" for email in staged.values() if email}
        while keys:
            reads = await self.store.read_keys(keys)
            writes = [
                KeyWrite(key, pin(read.record), read.token)
                for key, read in reads.items()
                if read.record is not None and not read.record.pinned
            ]
            keys = await self.store.write_keys(writes) if writes else set()
        if len(self._pinned) > 1_000_000:
            self._pinned.clear()
        self._pinned |= set(staged)

    async def _release_watermarks(self, outcome: Outcome) -> None:
        """Move watermarks held below items sent on elsewhere past them, now that those
        items are applied where they went (a crash before this re-delivers them: their
        event ids make that harmless)."""
        marks = outcome.held

        def compute(bucket: Bucket, sources: SourceStates) -> None:
            for source, offset in marks[bucket.number].items():
                if offset > bucket.watermark.get(source, -1):
                    bucket.watermark[source] = offset
                    bucket.watermark_changed = True

        await self._transact({number: Wants() for number in marks}, compute, Outcome())

    async def _transact(
        self,
        wants: dict[int, Wants],
        compute: Compute,
        outcome: Outcome,
        waits: dict[int, set[Source]] | None = None,
    ) -> None:
        """Read the buckets (and the former places their items wait for: ``waits`` and
        those of parked items), ``compute`` on each, write them back; a bucket whose
        write is refused (it changed since the read) is read and computed again, alone."""
        remaining = dict(wants)
        for _ in range(MAX_REFUSALS):
            buckets = await self._load(remaining)
            wanted = {s for n in buckets for s in (waits or {}).get(n, ())}
            sources = await self._source_states(buckets.values(), wanted)
            for bucket in buckets.values():
                compute(bucket, sources)
                if not self.emit and bucket.outbox:
                    bucket.count("unpublished", len(bucket.outbox))
                    bucket.outbox.clear()
            committed = await self.store.commit([b for b in buckets.values() if b.changed])
            outcome.emitted += committed.emitted
            for number, bucket in buckets.items():
                if number not in committed.refused:
                    outcome.record(bucket)
            remaining = {n: remaining[n] for n in committed.refused}
            if not remaining:
                kept = [c for b in buckets.values() for c in b.consumed]
                if kept:
                    await self.store.forget_kept(kept)
                return
            outcome.count({"refused": len(remaining)})
        raise StoreConflictError(f"writes to bucket(s) {sorted(remaining)} refused repeatedly")

    async def _load(self, wants: dict[int, Wants]) -> dict[int, Bucket]:
        """Read the buckets, again with more where what was read names more (a lead's
        account, a kept hand-over), until each snapshot has everything it refers to."""
        wants = {number: copy_wants(w) for number, w in wants.items()}
        buckets = await self.store.read_buckets(wants)
        for _ in range(MAX_HOPS):
            incomplete = {}
            for number, bucket in buckets.items():
                extra = missing(bucket)
                if extra.leads or extra.accounts or extra.kept:
                    wants[number].add(extra)
                    incomplete[number] = wants[number]
            if not incomplete:
                return buckets
            buckets.update(await self.store.read_buckets(incomplete))
        raise StoreConflictError("bucket snapshots kept growing")

    async def _source_states(self, buckets: Iterable[Bucket], wanted: set[Source]) -> SourceStates:
        """What the former places (in other buckets) of the items at hand are now."""
        wanted = set(wanted)
        for bucket in buckets:
            wanted.update(waited_for(bucket))
        if not wanted:
            return {}
        by_bucket: dict[int, Wants] = {}
        for source in wanted:
            by_bucket.setdefault(source.bucket, Wants()).leads.add(source.lead_id)
        read = await self._load(by_bucket)
        states: dict[Source, HandedOver | None] = {}
        for source in wanted:
            place = read[source.bucket]
            found = place.leads.get(source.lead_id)
            if isinstance(found, Tombstone):
                kept = place.kept.get(found.fold_id) if found.kept else None
                states[source] = HandedOver(found, kept, source.bucket)
            else:
                states[source] = None
        return states

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

        def compute(bucket: Bucket, sources: SourceStates) -> None:
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
            accounts = {account_id} if account_id else set()
            bucket = (await self._load({number: Wants({lead_id}, accounts)}))[number]
            state = bucket.leads.get(lead_id)
            if isinstance(state, LeadState):
                return LeadRecord(state, bucket.account(state.account_id))
            if not isinstance(state, Tombstone):
                return None
            lead_id, number, account_id = state.lead_id, state.bucket, state.account_id
        return None

    async def account(self, account_id: str) -> AccountState | None:
        number = account_bucket(account_id, self.store.buckets)
        buckets = await self.store.read_buckets({number: Wants(accounts={account_id})})
        return buckets[number].account(account_id)


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
