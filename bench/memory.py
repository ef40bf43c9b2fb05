"""Redis memory per lead and per account, from ``INFO memory`` and ``MEMORY USAGE``.

- ``bytes_per_lead``: growth of ``used_memory`` while the pipeline ran the workload,
  divided by the live leads it created: everything a lead costs (its blob, its identity
  index records, its due-time entry, its share of the account blobs, of tombstones
  left by moves and merges and of the outbox streams' leftovers).
- ``MEMORY USAGE`` (exact, ``SAMPLES 0``) of up to ``SAMPLE`` of those leads' blobs and
  of the accounts they created; the identity index records per lead (all of them, with
  their key overhead; ``index_per_lead``). ``lead_keys_set`` is kept at 0: a lead's
  other identity keys are no longer listed anywhere (each key points at its lead).
- ``bytes_per_known_lead``: growth of ``used_memory`` per cloned known lead
  (``bench.known_leads``), measured by the caller.

Leads created by the run are told from clones by their ids: clones carry ``~``.
"""

from __future__ import annotations

from redis.asyncio import Redis

from bench.cluster import raw
from bench.results import Memory
from bench.stats import percentile
from leadq.state import LeadState
from streams.state.codec import decode_lead
from streams.state.keys import Keys

SAMPLE = 1000


async def used_memory(redis_url: str) -> int:
    client = Redis.from_url(redis_url, socket_timeout=30.0)
    try:
        info = await client.info("memory")
        return int(info["used_memory"])
    finally:
        await client.aclose()


async def _keys(client: Redis, pattern: str) -> list[str]:
    return [k.decode() async for k in client.scan_iter(match=pattern, count=5000) if b"~" not in k]


async def measure(redis_url: str, used_before: int, known: int) -> Memory:
    """Memory figures of the leads and accounts created since ``used_before`` was read,
    on a Redis that held ``known`` cloned leads before."""
    keys = Keys()
    client = Redis.from_url(redis_url, socket_timeout=60.0)
    try:
        used_after = int((await client.info("memory"))["used_memory"])
        lead_keys = await _keys(client, f"{keys.prefix}:{{b*}}:lead:*")
        live: list[str] = []
        for start in range(0, len(lead_keys), 1000):
            chunk = lead_keys[start : start + 1000]
            for key, blob in zip(chunk, await client.mget(chunk), strict=True):
                data = raw(blob)
                if data and isinstance(decode_lead(key.split(":lead:", 1)[1], data), LeadState):
                    live.append(key)
        account_keys = await _keys(client, f"{keys.prefix}:{{b*}}:acct:*")
        index_keys = await _keys(client, f"{keys.prefix}:{{i*}}:k:*")
        memory = Memory(leads=len(live), accounts=len(account_keys))
        if live:
            memory.bytes_per_lead = (used_after - used_before) / len(live)
            sizes = [await _usage(client, k) for k in live[:SAMPLE]]
            memory.lead_blob = sum(sizes) / len(sizes)
            memory.lead_blob_p99 = percentile(sizes, 99)
            memory.lead_keys_set = 0.0
            sample = index_keys[:SAMPLE]
            per_key = sum([await _usage(client, k) for k in sample]) / max(1, len(sample))
            memory.index_per_lead = per_key * len(index_keys) / len(live)
        if account_keys:
            accounts = [await _usage(client, k) for k in account_keys[:SAMPLE]]
            memory.account_blob = sum(accounts) / len(accounts)
        memory.used_memory_mb = used_after / 1e6
        return memory
    finally:
        await client.aclose()


async def _usage(client: Redis, key: str) -> int:
    value = await client.memory_usage(key, samples=0)
    return int(value or 0)
