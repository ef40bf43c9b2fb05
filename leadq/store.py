"""The one state interface: what the pipeline needs from a store of leads and accounts.

Two implementations: in memory (``leadq.memory``, what ``leadq replay`` runs on) and
Redis (``streams.state``, what the worker runs on). The pipeline (``leadq.qualifier``)
runs the same engine code on both, so the stream and the replay agree.

Contract of every implementation:

- ``read_keys`` returns a record (or ``None``) and a write token for every key asked.
- ``write_keys`` writes each (key, record, token) only if the key still holds what the
  token was read from (compare-and-set, one key at a time); it returns the keys refused.
- ``read_buckets`` returns a consistent snapshot of each bucket asked (the leads,
  accounts and kept transfers named, the watermark), with the bucket's version.
- ``commit`` writes each bucket's changes atomically (states, tombstones, kept
  transfers, due times, outbox entries, watermark) only if the bucket is still at the
  version it was read at (a fenced write: a worker that lost the bucket, or any other
  writer since, makes it refuse); it returns the refused bucket numbers and the outbox
  entries written.
- Outbox entries stay until ``ack``; ``unacked`` lists those a crashed publisher left.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from leadq.bucket import Bucket
from leadq.identity import KeyRecord
from leadq.state import AccountState, LeadState
from schemas.transition import TransitionData


@dataclass(frozen=True, slots=True)
class KeyRead:
    record: KeyRecord | None
    #: What ``write_keys`` compares against (opaque to the pipeline).
    token: object


@dataclass(frozen=True, slots=True)
class KeyWrite:
    key: str
    record: KeyRecord
    token: object


@dataclass
class Wants:
    """What to read of one bucket."""

    leads: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    kept: set[str] = field(default_factory=set)

    def add(self, other: Wants) -> None:
        self.leads |= other.leads
        self.accounts |= other.accounts
        self.kept |= other.kept


@dataclass(frozen=True, slots=True)
class Emitted:
    """A transition and where its outbox entry is, for ``ack``."""

    transition: TransitionData
    bucket: int
    entry_id: str


@dataclass
class Committed:
    refused: set[int] = field(default_factory=set)
    emitted: list[Emitted] = field(default_factory=list)


class StateStore(Protocol):
    @property
    def buckets(self) -> int:
        """How many buckets leads are spread over (``leadq.identity.bucket_of``)."""
        ...

    async def read_keys(self, keys: Collection[str]) -> dict[str, KeyRead]: ...

    async def write_keys(self, writes: Sequence[KeyWrite]) -> set[str]: ...

    async def read_buckets(self, wants: Mapping[int, Wants]) -> dict[int, Bucket]: ...

    async def commit(self, buckets: Sequence[Bucket]) -> Committed: ...

    async def forget_kept(self, kept: Sequence[tuple[int, str]]) -> None:
        """Drop kept transfers once folded where they went."""
        ...

    async def due(
        self, buckets: Collection[int] | None, until_ms: int
    ) -> list[tuple[int, int, str]]:
        """``(due ms, bucket, member)`` due by ``until_ms`` in ``buckets`` (all: ``None``)."""
        ...

    async def ack(self, emitted: Sequence[Emitted]) -> None: ...

    async def unacked(self, older_than_ms: int) -> list[Emitted]: ...


@dataclass(frozen=True, slots=True)
class LeadRecord:
    """A lead as the read API and tests see it: its state and its account's."""

    lead: LeadState
    account: AccountState | None
