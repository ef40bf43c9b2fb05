"""The in-memory ``StateStore``: what ``leadq replay`` and the engine's tests run on.

One process, one writer: reads hand out the stored objects themselves (no copies; the
engine changes them in place), and writes are never refused. Due times sit in a heap
across all buckets, so ``due`` returns them in time order as a timer would fire them.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from leadq.bucket import Bucket, Item, Kept
from leadq.identity import DEFAULT_BUCKETS, KeyRecord
from leadq.state import AccountState, LeadState, Tombstone
from leadq.store import Committed, Emitted, KeyRead, KeyWrite, Wants


@dataclass
class _Slot:
    """One bucket's stored content."""

    version: int = 0
    leads: dict[str, LeadState | Tombstone] = field(default_factory=dict)
    accounts: dict[str, AccountState] = field(default_factory=dict)
    kept: dict[str, Kept] = field(default_factory=dict)
    parked: dict[str, list[Item]] = field(default_factory=dict)
    watermark: dict[str, int] = field(default_factory=dict)
    due: dict[str, int] = field(default_factory=dict)


class MemoryStore:
    """Leads, accounts and the identity index in dictionaries (see the module docstring)."""

    def __init__(self, buckets: int = DEFAULT_BUCKETS) -> None:
        self._buckets = buckets
        self.index: dict[str, KeyRecord] = {}
        self._slots: dict[int, _Slot] = {}
        self._heap: list[tuple[int, int, str]] = []
        self._entries = itertools.count(1)

    @property
    def buckets(self) -> int:
        return self._buckets

    def _slot(self, number: int) -> _Slot:
        slot = self._slots.get(number)
        if slot is None:
            slot = self._slots[number] = _Slot()
        return slot

    # ----------------------------------------------------------------- index
    async def read_keys(self, keys: Collection[str]) -> dict[str, KeyRead]:
        found = {}
        for key in keys:
            record = self.index.get(key)
            found[key] = KeyRead(record, record)
        return found

    async def write_keys(self, writes: Sequence[KeyWrite]) -> set[str]:
        for write in writes:
            self.index[write.key] = write.record
        return set()

    # --------------------------------------------------------------- buckets
    async def read_buckets(self, wants: Mapping[int, Wants]) -> dict[int, Bucket]:
        found = {}
        for number, want in wants.items():
            slot = self._slot(number)
            found[number] = Bucket(
                number,
                slot.version,
                leads={lead_id: slot.leads.get(lead_id) for lead_id in want.leads},
                accounts={a: slot.accounts.get(a) for a in want.accounts},
                kept={fold_id: slot.kept.get(fold_id) for fold_id in want.kept},
                parked={
                    lead: list(slot.parked[lead]) for lead in want.leads if lead in slot.parked
                },
                parked_leads=set(slot.parked),
                watermark=dict(slot.watermark),
            )
        return found

    async def commit(self, buckets: Sequence[Bucket]) -> Committed:
        committed = Committed()
        for bucket in buckets:
            slot = self._slot(bucket.number)
            slot.version += 1
            for lead_id in bucket.changed_leads:
                state = bucket.leads.get(lead_id)
                if state is None:
                    slot.leads.pop(lead_id, None)
                else:
                    slot.leads[lead_id] = state
            for account_id in bucket.changed_accounts:
                account = bucket.accounts.get(account_id)
                if account is not None:
                    slot.accounts[account_id] = account
            for fold_id in bucket.changed_kept:
                kept = bucket.kept.get(fold_id)
                if kept is not None:
                    slot.kept[fold_id] = kept
            for lead_id in bucket.changed_parked:
                waiting = bucket.parked.get(lead_id)
                if waiting:
                    slot.parked[lead_id] = list(waiting)
                else:
                    slot.parked.pop(lead_id, None)
            slot.watermark = bucket.watermark_to_write()
            for member, due_ms in bucket.due.items():
                self._file(bucket.number, slot, member, due_ms)
            committed.emitted += [
                Emitted(transition, bucket.number, str(next(self._entries)))
                for transition in bucket.outbox
            ]
        return committed

    def _file(self, number: int, slot: _Slot, member: str, due_ms: int | None) -> None:
        if due_ms is None:
            slot.due.pop(member, None)
        elif slot.due.get(member) != due_ms:
            slot.due[member] = due_ms
            heapq.heappush(self._heap, (due_ms, number, member))

    async def forget_kept(self, kept: Sequence[tuple[int, str]]) -> None:
        for number, fold_id in kept:
            self._slot(number).kept.pop(fold_id, None)

    async def due(
        self, buckets: Collection[int] | None, until_ms: int
    ) -> list[tuple[int, int, str]]:
        """Due entries by ``until_ms``, in time order (stale heap entries are skipped)."""
        found: list[tuple[int, int, str]] = []
        held: list[tuple[int, int, str]] = []
        while self._heap and self._heap[0][0] <= until_ms:
            entry = heapq.heappop(self._heap)
            due_ms, number, member = entry
            if self._slot(number).due.get(member) != due_ms:
                continue  # refiled or cleared since
            if buckets is not None and number not in buckets:
                held.append(entry)
                continue
            found.append(entry)
        for entry in held + found:  # still due until fired and refiled
            heapq.heappush(self._heap, entry)
        return found

    # ----------------------------------------------------------------- outbox
    async def ack(self, emitted: Sequence[Emitted]) -> None:
        """Nothing to do: entries are handed out once, on commit."""

    async def unacked(self, older_than_ms: int) -> list[Emitted]:
        return []

    # ---------------------------------------------------- inspection (replay, tests)
    def leads(self) -> Iterator[LeadState]:
        """Every live lead."""
        for slot in self._slots.values():
            yield from (s for s in slot.leads.values() if isinstance(s, LeadState))

    def accounts(self) -> Iterator[AccountState]:
        for slot in self._slots.values():
            yield from slot.accounts.values()

    def find_lead(self, lead_id: str) -> LeadState | None:
        """A live lead by id (any bucket)."""
        for slot in self._slots.values():
            state = slot.leads.get(lead_id)
            if isinstance(state, LeadState):
                return state
        return None

    def find_account(self, account_id: str) -> AccountState | None:
        for slot in self._slots.values():
            if account_id in slot.accounts:
                return slot.accounts[account_id]
        return None
