"""Known leads for the scale runs: real state made by leadq's store, cloned in bulk.

:func:`build_template` runs a workload through ``QualifierStore`` in this process (the
worker's own code path for Redis: resolve.lua, the Python preparation, apply.lua, outbox
ack; only Kafka and Faust are left out), which also times that path, and then snapshots
every lead: its state blob, identity keys, account and decay due time, with the
accounts' blobs.

:func:`populate` writes ``known`` leads into a Redis as copies of those: generation
``g`` of the template gets ids with the suffix ``~g`` (leads, accounts, identity keys),
lands in the buckets its new ids hash to, and is indexed exactly as resolve.lua indexes a
lead (identity index, its other identity keys, lead → account) with its due-time entry. The
blobs keep their original content (ids inside them are not rewritten), which changes
nothing for memory or speed: the measured workload never touches a clone, and their
due times lie in the future (see ``bench.cluster.BENCH_START``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgpack
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from bench.cluster import raw, text
from bench.reference import signals_of
from bench.workload import Record
from leadq.compiled import CompiledRules
from streams.codec import unpack
from streams.keys import Keys
from streams.store import QualifierStore

BATCH = 500
#: Leads per pipelined round trip while populating.
CHUNK = 1000


@dataclass(frozen=True)
class TemplateLead:
    lead_id: str
    account_id: str | None
    blob: bytes
    identity_keys: tuple[str, ...]
    due: float | None


@dataclass
class Template:
    leads: list[TemplateLead] = field(default_factory=list)
    #: account id → (blob, due time or None)
    accounts: dict[str, tuple[bytes, float | None]] = field(default_factory=dict)
    #: Signals per second of the store path while the template was built.
    store_signals_per_s: float = 0.0


async def build_template(
    redis_url: str, records: Sequence[Record], rules: CompiledRules
) -> Template:
    """Apply ``records`` with the store on an empty Redis and snapshot the leads."""
    signals, _ = signals_of(records)
    client = Redis.from_url(redis_url, socket_timeout=30.0)
    try:
        store = QualifierStore(client, rules)
        started = time.perf_counter()
        for start in range(0, len(signals), BATCH):
            routed = await store.resolve(signals[start : start + BATCH])
            batch = [(r, "bench-template/0", start + i) for i, r in enumerate(routed)]
            result = await store.apply(batch)
            await store.ack(result.emitted)
        elapsed = time.perf_counter() - started
        template = await _snapshot(client, store.keys)
        template.store_signals_per_s = len(signals) / elapsed if elapsed > 0 else 0.0
        return template
    finally:
        await client.aclose()


async def _snapshot(client: Redis, keys: Keys) -> Template:
    pairs = await client.hgetall(keys.lead_accounts())
    owners = {str(text(k)): str(text(v)) for k, v in pairs.items()}
    packed = await client.hgetall(keys.lead_keys())
    others = {str(text(k)): [str(m) for m in unpack(raw(v) or b"\x90")] for k, v in packed.items()}
    due: dict[str, float] = {}
    for bucket in keys.all_buckets():
        entries: Any = await client.zrange(keys.due(bucket), 0, -1, withscores=True)
        for member, score in entries:
            due[str(text(member))] = float(score)
    template = Template()
    async for raw_key in client.scan_iter(match=f"{keys.prefix}:{{b*}}:acct:*", count=1000):
        key = raw_key.decode()
        account_id = key.split(":acct:", 1)[1]
        blob = raw(await client.get(key))
        if account_id and blob is not None:
            template.accounts[account_id] = (blob, due.get(f"A:{account_id}"))
    async for raw_key in client.scan_iter(match=f"{keys.prefix}:{{b*}}:lead:*", count=1000):
        key = raw_key.decode()
        lead_id = key.split(":lead:", 1)[1]
        blob = raw(await client.get(key))
        if key.endswith(":merged") or blob is None or "mg" in unpack(blob):
            continue
        template.leads.append(
            TemplateLead(
                lead_id,
                owners.get(lead_id),
                blob,
                tuple(sorted({lead_id, *others.get(lead_id, [])})),
                due.get(f"L:{lead_id}"),
            )
        )
    template.leads.sort(key=lambda lead: lead.lead_id)
    return template


async def populate(redis_url: str, template: Template, known: int) -> float:
    """Write ``known`` cloned leads (and their accounts) to Redis; returns the seconds
    it took."""
    if not template.leads:
        raise ValueError("the template has no leads")
    keys = Keys()
    client = Redis.from_url(redis_url, socket_timeout=60.0)
    started = time.perf_counter()
    try:
        written = 0
        generation = 0
        while written < known:
            leads = template.leads[: known - written]
            suffix = f"~{generation}"
            for start in range(0, len(leads), CHUNK):
                chunk = leads[start : start + CHUNK]
                async with client.pipeline(transaction=False) as pipe:
                    for lead in chunk:
                        _write_lead(pipe, keys, lead, suffix)
                    await pipe.execute()
            accounts = {lead.account_id for lead in leads if lead.account_id}
            async with client.pipeline(transaction=False) as pipe:
                for account_id in accounts:
                    if account_id in template.accounts:
                        blob, due = template.accounts[account_id]
                        _write_account(pipe, keys, account_id + suffix, blob, due)
                await pipe.execute()
            written += len(leads)
            generation += 1
    finally:
        await client.aclose()
    return time.perf_counter() - started


def _write_lead(pipe: Pipeline, keys: Keys, lead: TemplateLead, suffix: str) -> None:
    lead_id = lead.lead_id + suffix
    account_id = lead.account_id + suffix if lead.account_id else None
    bucket = keys.bucket(lead_id, account_id)
    identities = [key + suffix for key in lead.identity_keys] or [lead_id]
    pipe.set(keys.lead(bucket, lead_id), lead.blob)
    pipe.hset(keys.identities(), mapping={k: "" if k == lead_id else lead_id for k in identities})
    others = [key for key in identities if key != lead_id]
    if others:
        pipe.hset(keys.lead_keys(), lead_id, msgpack.packb(others))
    if account_id is not None:
        pipe.hset(keys.lead_accounts(), lead_id, account_id)
    if lead.due is not None:
        pipe.zadd(keys.due(bucket), {f"L:{lead_id}": lead.due})


def _write_account(
    pipe: Pipeline, keys: Keys, account_id: str, blob: bytes, due: float | None
) -> None:
    bucket = keys.bucket("", account_id)
    pipe.set(keys.account(bucket, account_id), blob)
    if due is not None:
        pipe.zadd(keys.due(bucket), {f"A:{account_id}": due})
