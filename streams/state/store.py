"""``RedisStore``: the ``leadq.store.StateStore`` on Redis or Redis Cluster.

Guarantees (see ``leadq.store`` for the contract):
- One pipelined round trip per step and batch: index reads, index writes, bucket reads
  (one MGET per bucket: a consistent snapshot), bucket commits (one ``commit.lua`` call
  per bucket, refused if the bucket's version moved since the read: fenced).
- A bucket's state, tombstones, kept hand-overs, due times, outbox entries and
  watermark change together or not at all.
- Cold leads expire: a lead never staged (``known``, no product stage) and an account
  never engaged are written with a time to live (``Retention.cold_s``), renewed by every
  write; staged leads and engaged accounts never expire. Tombstones and kept hand-overs
  expire after ``Retention.handover_s``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadq.bucket import Bucket
from leadq.state import AccountState, LeadState, Tombstone
from leadq.store import Committed, Emitted, KeyRead, KeyWrite, Wants
from schemas.transition import TransitionData
from streams.state.codec import (
    decode_account,
    decode_items,
    decode_kept,
    decode_lead,
    decode_record,
    encode_account,
    encode_items,
    encode_kept,
    encode_lead,
    encode_record,
    encode_tombstone,
    pack,
    unpack,
)
from streams.state.keys import Keys
from streams.state.scripts import Client, Script, raise_errors, run_all, run_commands

DAY_S = 86_400
#: Due entries read per bucket and timer round (the next round takes the rest).
DUE_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Retention:
    """How long unstaged state lives without a write, in seconds (0: forever)."""

    cold_s: int = 180 * DAY_S
    handover_s: int = 7 * DAY_S


def _bytes(value: object) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    raise TypeError(f"expected bytes from Redis, got {type(value).__name__}: use a client "
                    "without decode_responses")  # fmt: skip


class RedisStore:
    """leadq's state in Redis (see the module docstring). One per process."""

    def __init__(
        self, client: Client, keys: Keys | None = None, retention: Retention | None = None
    ) -> None:
        self.client = client
        self.keys = keys or Keys()
        self.retention = retention or Retention()
        self._cas = Script("cas")
        self._commit = Script("commit")

    @property
    def buckets(self) -> int:
        return self.keys.buckets

    async def _run(self, commands: Sequence[Sequence[Any]]) -> list[Any]:
        """Commands in one round trip; the first error (e.g. Redis down) is raised."""
        replies = await run_commands(self.client, commands)
        raise_errors(replies)
        return replies

    # ----------------------------------------------------------------- index
    async def read_keys(self, keys: Collection[str]) -> dict[str, KeyRead]:
        ordered = list(keys)
        replies = await self._run([("GET", self.keys.identity(key)) for key in ordered])
        found = {}
        for key, reply in zip(ordered, replies, strict=True):
            raw = _bytes(reply)
            found[key] = KeyRead(decode_record(raw) if raw else None, raw or b"")
        return found

    async def write_keys(self, writes: Sequence[KeyWrite]) -> set[str]:
        cold = str(self.retention.cold_s)
        calls = [
            (
                [self.keys.identity(w.key)],
                [w.token, encode_record(w.record), "0" if w.record.pinned else cold],
            )
            for w in writes
        ]
        replies = await run_all(self.client, self._cas, calls)
        return {w.key for w, written in zip(writes, replies, strict=True) if not written}

    # --------------------------------------------------------------- buckets
    async def read_buckets(self, wants: Mapping[int, Wants]) -> dict[int, Bucket]:
        plans = {number: _Plan(self.keys, number, want) for number, want in wants.items()}
        replies = await self._run([("MGET", *plan.keys) for plan in plans.values()])
        return {
            number: plan.bucket([_bytes(v) for v in reply])
            for (number, plan), reply in zip(plans.items(), replies, strict=True)
        }

    async def commit(self, buckets: Sequence[Bucket]) -> Committed:
        calls = [self._commit_call(bucket) for bucket in buckets]
        replies = await run_all(self.client, self._commit, calls)
        committed = Committed()
        for bucket, reply in zip(buckets, replies, strict=True):
            if reply is None:
                committed.refused.add(bucket.number)
                continue
            committed.emitted += [
                Emitted(transition, bucket.number, entry_id.decode())
                for transition, entry_id in zip(bucket.outbox, reply, strict=True)
            ]
        return committed

    def _commit_call(self, bucket: Bucket) -> tuple[list[str], list[Any]]:
        keys, number = self.keys, bucket.number
        blobs: list[tuple[str, bytes, int]] = []
        for lead_id in sorted(bucket.changed_leads):
            blobs.append((keys.lead(number, lead_id), *self._lead_value(bucket.leads.get(lead_id))))
        for account_id in sorted(bucket.changed_accounts):
            account = bucket.accounts.get(account_id)
            if account is not None:
                blobs.append((keys.account(number, account_id), *self._account_value(account)))
        for fold_id in sorted(bucket.changed_kept):
            kept = bucket.kept.get(fold_id)
            value = encode_kept(kept) if kept is not None else b""
            blobs.append((keys.kept(number, fold_id), value, self.retention.handover_s))
        for lead_id in sorted(bucket.changed_parked):
            waiting = bucket.parked.get(lead_id)
            value = encode_items(waiting) if waiting else b""
            blobs.append((keys.parked(number, lead_id), value, 0))
        if bucket.changed_parked:
            index = pack(sorted(bucket.parked_leads)) if bucket.parked_leads else b""
            blobs.append((keys.parked_leads(number), index, 0))
        set_due = [(m, due) for m, due in bucket.due.items() if due is not None]
        removed = [m for m, due in bucket.due.items() if due is None]
        args: list[Any] = [
            str(bucket.version),
            pack(bucket.watermark_to_write()) if bucket.watermark_changed else b"",
            len(blobs),
            *(value for _, value, _ in blobs),
            *(str(ttl) for _, _, ttl in blobs),
            len(set_due),
            *(part for member, due in set_due for part in (member, due)),
            len(removed),
            *removed,
            len(bucket.outbox),
            *(t.model_dump_json().encode() for t in bucket.outbox),
        ]
        script_keys = [
            keys.version(number),
            keys.watermark(number),
            keys.due(number),
            keys.outbox(number),
            *(key for key, _, _ in blobs),
        ]
        return script_keys, args

    def _lead_value(self, state: LeadState | Tombstone | None) -> tuple[bytes, int]:
        if state is None:
            return b"", 0
        if isinstance(state, Tombstone):
            return encode_tombstone(state), self.retention.handover_s
        staged = state.stage != "known" or state.product_stage != "none"
        return encode_lead(state), 0 if staged else self.retention.cold_s

    def _account_value(self, account: AccountState) -> tuple[bytes, int]:
        engaged = account.stage != "unengaged"
        return encode_account(account), 0 if engaged else self.retention.cold_s

    async def forget_kept(self, kept: Sequence[tuple[int, str]]) -> None:
        await self._run([("DEL", self.keys.kept(number, fold_id)) for number, fold_id in kept])

    async def due(
        self, buckets: Collection[int] | None, until_ms: int
    ) -> list[tuple[int, int, str]]:
        numbers = sorted(self.keys.all_buckets() if buckets is None else buckets)
        window = ("-inf", until_ms, "WITHSCORES", "LIMIT", 0, DUE_LIMIT)
        replies = await self._run([("ZRANGEBYSCORE", self.keys.due(n), *window) for n in numbers])
        return sorted(
            (int(float(score)), number, member.decode())
            for number, reply in zip(numbers, replies, strict=True)
            for member, score in _pairs(reply)
        )

    # ----------------------------------------------------------------- outbox
    async def ack(self, emitted: Sequence[Emitted]) -> None:
        if emitted:
            await self._run(
                [("XDEL", self.keys.outbox(item.bucket), item.entry_id) for item in emitted]
            )

    async def outbox_depth(self, buckets: Collection[int]) -> int:
        """Entries in the outboxes of ``buckets`` (written, not yet acknowledged)."""
        replies = await self._run([("XLEN", self.keys.outbox(n)) for n in buckets])
        return sum(int(reply) for reply in replies)

    async def unacked(self, older_than_ms: int) -> list[Emitted]:
        """Outbox entries written before ``older_than_ms`` (Redis time), never acked."""
        numbers = list(self.keys.all_buckets())
        replies = await self._run(
            [
                ("XRANGE", self.keys.outbox(n), "-", f"{older_than_ms}", "COUNT", 1000)
                for n in numbers
            ]
        )
        return [
            Emitted(TransitionData.model_validate_json(fields[b"r"]), number, entry_id.decode())
            for number, entries in zip(numbers, replies, strict=True)
            for entry_id, fields in entries
        ]


class _Plan:
    """The keys one bucket read asks for, and how to turn the reply into a ``Bucket``."""

    def __init__(self, keys: Keys, number: int, want: Wants) -> None:
        self.number = number
        self.leads = sorted(want.leads)
        self.accounts = sorted(want.accounts)
        self.kept = sorted(want.kept)
        self.keys = [
            keys.version(number),
            keys.watermark(number),
            keys.parked_leads(number),
            *(keys.lead(number, lead_id) for lead_id in self.leads),
            *(keys.parked(number, lead_id) for lead_id in self.leads),
            *(keys.account(number, account_id) for account_id in self.accounts),
            *(keys.kept(number, fold_id) for fold_id in self.kept),
        ]

    def bucket(self, values: list[bytes | None]) -> Bucket:
        version, watermark, parked_index, *rest = values
        sizes = (len(self.leads), len(self.leads), len(self.accounts), len(self.kept))
        leads, parked, accounts, kept = _split(rest, sizes)
        return Bucket(
            self.number,
            int(version or 0),
            leads={
                lead_id: decode_lead(lead_id, raw) if raw else None
                for lead_id, raw in zip(self.leads, leads, strict=True)
            },
            accounts={
                account_id: decode_account(account_id, raw) if raw else None
                for account_id, raw in zip(self.accounts, accounts, strict=True)
            },
            kept={
                fold_id: decode_kept(raw) if raw else None
                for fold_id, raw in zip(self.kept, kept, strict=True)
            },
            parked={
                lead_id: decode_items(raw)
                for lead_id, raw in zip(self.leads, parked, strict=True)
                if raw
            },
            parked_leads=set(unpack(parked_index)) if parked_index else set(),
            watermark={k: int(v) for k, v in (unpack(watermark) if watermark else {}).items()},
        )


def _pairs(reply: list[Any]) -> list[tuple[bytes, Any]]:
    """(member, score) pairs of a ZRANGE... WITHSCORES reply, flat or already paired."""
    if reply and isinstance(reply[0], list | tuple):
        return [(member, score) for member, score in reply]
    return list(zip(reply[::2], reply[1::2], strict=True))


def _split(values: list[bytes | None], sizes: tuple[int, ...]) -> list[list[bytes | None]]:
    parts, start = [], 0
    for size in sizes:
        parts.append(values[start : start + size])
        start += size
    return parts
