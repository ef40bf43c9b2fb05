"""The engine's scenario tests run on both state stores, through the same pipeline.

``new_world(rules)`` returns a :class:`World`: the replay's pipeline (``Replayer``) on
an in-memory store or on the session's real Redis (keys under a prefix of its own, so
several worlds of one test never see each other), as the ``store_kind`` fixture
(``tests/conftest.py``) chose. Tests drive it like ``leadq replay`` (``process`` one
signal at a time, ``advance`` the clock) and read what it holds.
"""

from __future__ import annotations

import uuid
from typing import Any

from leadq.compiled import CompiledRules
from leadq.identity import KeyRecord
from leadq.memory import MemoryStore
from leadq.replay import Replayer
from leadq.state import AccountState, LeadState
from leadq.store import StateStore
from schemas.signal import Signal
from schemas.transition import TransitionData
from streams.state.codec import decode_account, decode_lead, decode_record
from streams.state.connect import redis_client
from streams.state.keys import Keys
from streams.state.scripts import Client
from streams.state.store import RedisStore

#: Which store ``new_world`` uses: ``"memory"``, or the URL of a real Redis.
_STORE: dict[str, str | None] = {"redis_url": None}
_CLIENTS: list[Client] = []


def use_memory() -> None:
    _STORE["redis_url"] = None


def use_redis(url: str) -> None:
    _STORE["redis_url"] = url


async def close_clients() -> None:
    while _CLIENTS:
        await _CLIENTS.pop().aclose()


class World:
    """A pipeline over one store, driven signal by signal, and what it holds."""

    def __init__(self, rules: CompiledRules, store: StateStore) -> None:
        self.rules = rules
        self.store = store
        self.replayer = Replayer(rules, store)

    async def process(self, signal: Signal) -> list[TransitionData]:
        return await self.replayer.process(signal)

    async def advance(self, until_ms: int) -> list[TransitionData]:
        return await self.replayer.advance(until_ms)

    async def lead(self, lead_id: str) -> LeadState:
        found = await self.replayer.qualifier.lead(lead_id)
        assert found is not None, f"no lead {lead_id!r}"
        return found.lead

    async def account(self, account_id: str) -> AccountState:
        found = await self.replayer.qualifier.account(account_id)
        assert found is not None, f"no account {account_id!r}"
        return found

    async def account_of(self, lead: LeadState) -> AccountState | None:
        return await self.account(lead.account_id) if lead.account_id else None

    async def index(self, key: str) -> str | None:
        """The lead an identity key belongs to now (``None``: unknown)."""
        for _ in range(64):
            record = (await self.store.read_keys([key]))[key].record
            if record is None:
                return None
            if record.parent is None:
                return key
            key = record.parent
        raise AssertionError("index cycle")

    async def leads(self) -> dict[str, LeadState]:
        """Every live lead."""
        if isinstance(self.store, MemoryStore):
            return {lead.lead_id: lead for lead in self.store.leads()}
        leads = {}
        for key, raw in await _scan(self.store, ":lead:"):
            state = decode_lead(key, raw)
            if isinstance(state, LeadState):  # a lead's other keys hold tombstones
                leads[key] = state
        return leads

    async def accounts(self) -> dict[str, AccountState]:
        if isinstance(self.store, MemoryStore):
            return {account.account_id: account for account in self.store.accounts()}
        found = await _scan(self.store, ":acct:")
        return {account_id: decode_account(account_id, raw) for account_id, raw in found}

    async def records(self) -> dict[str, KeyRecord]:
        """The whole identity index."""
        if isinstance(self.store, MemoryStore):
            return dict(self.store.index)
        assert isinstance(self.store, RedisStore)
        found = await _scan(self.store, ":k:")
        return {key: decode_record(raw) for key, raw in found}


async def _scan(store: Any, infix: str) -> list[tuple[str, bytes]]:
    """(id, value) of every key of the store with ``infix`` (an id may occur in several
    buckets: a lead's tombstones)."""
    prefix = store.keys.prefix
    found: list[tuple[str, bytes]] = []
    async for key in store.client.scan_iter(match=f"{prefix}:*{infix}*", count=1000):
        raw = await store.client.get(key)
        if raw is not None:
            found.append((key.decode().split(infix, 1)[1], raw))
    return found


def new_world(rules: CompiledRules) -> World:
    """A world on the store the running test asked for (see the module docstring)."""
    url = _STORE["redis_url"]
    if url is None:
        return World(rules, MemoryStore())
    client = redis_client(url)
    _CLIENTS.append(client)
    return World(rules, RedisStore(client, Keys(prefix=f"t{uuid.uuid4().hex[:12]}")))
