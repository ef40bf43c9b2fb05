"""Redis memory per lead and per account, from ``INFO memory`` and ``MEMORY USAGE``.

- ``bytes_per_lead``: growth of ``used_memory`` while the pipeline ran the workload,
  divided by the live leads it created: everything a lead costs (its blob, identity
  index entries and key set, lead → account entry, due-time entry, its share of the
  account blobs and of the outbox streams' leftovers).
- ``MEMORY USAGE`` (exact, ``SAMPLES 0``) of up to ``SAMPLE`` of those leads' blobs and
  of the accounts they created; per lead (known leads included): the hash of leads'
  other identity keys (``lead_keys_set``), and the identity index and lead → account
  hashes together.
- ``bytes_per_known_lead``: growth of ``used_memory`` per cloned known lead
  (``bench.known_leads``), measured by the caller.

Leads created by the run are told from clones by their ids: clones carry ``~``.
"""

from __future__ import annotations

from redis.asyncio import Redis

from bench.cluster import raw
from bench.results import Memory
from bench.stats import percentile
from streams.codec import unpack
from streams.keys import Keys

SAMPLE = 1000


async def used_memory(redis_url: str) -> int:
    client = Redis.from_url(redis_url, socket_timeout=30.0)
    try:
        info = await client.info("memory")
        return int(info["used_memory"])
    finally:
        await client.aclose()


async def measure(redis_url: str, used_before: int, known: int) -> Memory:
    """Memory figures of the leads and accounts created since ``used_before`` was read,
    on a Redis that held ``known`` cloned leads before."""
    keys = Keys()
    client = Redis.from_url(redis_url, socket_timeout=60.0)
    try:
        used_after = int((await client.info("memory"))["used_memory"])
        lead_keys = [
            k.decode()
            async for k in client.scan_iter(match=f"{keys.prefix}:{{b*}}:lead:*", count=5000)
            if b"~" not in k and not k.endswith(b":merged")
        ]
        live: list[str] = []
        for start in range(0, len(lead_keys), 1000):
            chunk = lead_keys[start : start + 1000]
            blobs = await client.mget(chunk)
            for key, blob in zip(chunk, blobs, strict=True):
                data = raw(blob)
                if data and "mg" not in unpack(data):
                    live.append(key)
        account_keys = [
            k.decode()
            async for k in client.scan_iter(match=f"{keys.prefix}:{{b*}}:acct:*", count=5000)
            if b"~" not in k
        ]
        memory = Memory(leads=len(live), accounts=len(account_keys))
        if live:
            memory.bytes_per_lead = (used_after - used_before) / len(live)
            sizes = [await _usage(client, k) for k in live[:SAMPLE]]
            memory.lead_blob = sum(sizes) / len(sizes)
            memory.lead_blob_p99 = percentile(sizes, 99)
            memory.lead_keys_set = await _usage(client, keys.lead_keys()) / (known + len(live))
        if account_keys:
            accounts = [await _usage(client, k) for k in account_keys[:SAMPLE]]
            memory.account_blob = sum(accounts) / len(accounts)
        index = await _usage(client, keys.identities()) + await _usage(client, keys.lead_accounts())
        memory.index_per_lead = index / max(1, known + len(live))
        memory.used_memory_mb = used_after / 1e6
        return memory
    finally:
        await client.aclose()


async def _usage(client: Redis, key: str) -> int:
    value = await client.memory_usage(key, samples=0)
    return int(value or 0)
