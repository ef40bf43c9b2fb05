"""Known leads for the scale runs: real state made by leadq's pipeline, cloned in bulk.

:func:`build_template` runs a workload through the worker's own pipeline on Redis in
this process (``Router`` and ``Qualifier`` over ``RedisStore``: index writes, bucket
reads, the engine, fenced commits, outbox ack; only Kafka and Faust are left out),
which also times that path, and then snapshots every live lead: its state blob, its
identity index records, its account and decay due time, with the accounts' blobs.

:func:`populate` writes ``known`` leads into a Redis as copies of those: generation
``g`` of the template gets ids with the suffix ``~g`` (leads, accounts, identity keys),
lands in the buckets its new ids hash to, and is indexed as the router indexes a lead
(its id's record with its account facts, its other keys pointing at it), with its
due-time entry. The blobs keep their original content (ids inside them are not
rewritten), which changes nothing for memory or speed: the measured workload never
touches a clone, and their due times lie in the future (see ``bench.cluster.BENCH_START``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from bench.cluster import raw
from bench.reference import signals_of
from bench.workload import Record
from leadq.bucket import Item
from leadq.compiled import CompiledRules
from leadq.identity import AccountFacts, Fact, KeyRecord, bucket_of
from leadq.qualifier import Qualifier
from leadq.router import Router
from leadq.state import LeadState
from streams.state.codec import decode_lead, decode_record, encode_record
from streams.state.keys import Keys
from streams.state.store import RedisStore

BATCH = 500
#: Leads per pipelined round trip while populating.
CHUNK = 1000


@dataclass(frozen=True)
class TemplateLead:
    lead_id: str
    account_id: str | None
    blob: bytes
    #: The lead's index record (its facts) and its other identity keys.
    record: KeyRecord
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
    """Apply ``records`` with the pipeline on an empty Redis and snapshot the leads."""
    signals, _ = signals_of(records)
    client = Redis.from_url(redis_url, socket_timeout=30.0)
    try:
        store = RedisStore(client)
        router, qualifier = Router(store, rules), Qualifier(store, rules)
        started = time.perf_counter()
        for start in range(0, len(signals), BATCH):
            routed = await router.route(signals[start : start + BATCH])
            items = [Item(r, "bench-template/0", start + i) for i, r in enumerate(routed)]
            outcome = await qualifier.apply(items)
            await store.ack(outcome.emitted)
        elapsed = time.perf_counter() - started
        template = await _snapshot(client, store.keys)
        template.store_signals_per_s = len(signals) / elapsed if elapsed > 0 else 0.0
        return template
    finally:
        await client.aclose()


async def _scan(client: Redis, pattern: str, infix: str) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    async for key in client.scan_iter(match=pattern, count=1000):
        value = raw(await client.get(key))
        if value is not None:
            found[key.decode().split(infix, 1)[1]] = value
    return found


async def _snapshot(client: Redis, keys: Keys) -> Template:
    due: dict[str, float] = {}
    for bucket in keys.all_buckets():
        entries: Any = await client.zrange(keys.due(bucket), 0, -1, withscores=True)
        for member, score in entries:
            due[member.decode()] = float(score)
    records = {
        key: decode_record(value)
        for key, value in (await _scan(client, f"{keys.prefix}:{{i*}}:k:*", ":k:")).items()
    }
    others: dict[str, list[str]] = {}
    for key, record in records.items():
        if record.parent is not None:
            others.setdefault(_root(records, key), []).append(key)
    template = Template()
    accounts = await _scan(client, f"{keys.prefix}:{{b*}}:acct:*", ":acct:")
    for account_id, blob in accounts.items():
        template.accounts[account_id] = (blob, due.get(f"A:{account_id}"))
    for lead_id, blob in (await _scan(client, f"{keys.prefix}:{{b*}}:lead:*", ":lead:")).items():
        state = decode_lead(lead_id, blob)
        if not isinstance(state, LeadState) or lead_id not in records:
            continue
        template.leads.append(
            TemplateLead(
                lead_id,
                state.account_id,
                blob,
                records[lead_id],
                tuple(sorted(others.get(lead_id, []))),
                due.get(f"L:{lead_id}"),
            )
        )
    template.leads.sort(key=lambda lead: lead.lead_id)
    return template


def _root(records: dict[str, KeyRecord], key: str) -> str:
    record = records[key]
    while record.parent is not None and record.parent in records:
        key, record = record.parent, records[record.parent]
    return key


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


def _renamed(fact: Fact | None, suffix: str) -> Fact | None:
    return replace(fact, value=fact.value + suffix) if fact is not None else None


def _write_lead(pipe: Pipeline, keys: Keys, lead: TemplateLead, suffix: str) -> None:
    lead_id = lead.lead_id + suffix
    account_id = lead.account_id + suffix if lead.account_id else None
    bucket = bucket_of(lead_id, account_id, keys.buckets)
    facts = lead.record.facts
    record = replace(
        lead.record,
        facts=AccountFacts(
            _renamed(facts.group, suffix),
            _renamed(facts.domain, suffix),
            tuple((g + suffix, _renamed(f, suffix) or f) for g, f in facts.links),
        ),
        pending=(),
    )
    pipe.set(keys.lead(bucket, lead_id), lead.blob)
    pipe.set(keys.identity(lead_id), encode_record(record))
    pointer = encode_record(KeyRecord(parent=lead_id))
    for key in lead.identity_keys:
        pipe.set(keys.identity(key + suffix), pointer)
    if lead.due is not None:
        pipe.zadd(keys.due(bucket), {f"L:{lead_id}": lead.due})


def _write_account(
    pipe: Pipeline, keys: Keys, account_id: str, blob: bytes, due: float | None
) -> None:
    bucket = bucket_of("", account_id, keys.buckets)
    pipe.set(keys.account(bucket, account_id), blob)
    if due is not None:
        pipe.zadd(keys.due(bucket), {f"A:{account_id}": due})
