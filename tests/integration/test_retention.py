"""Cold leads expire; staged leads never do (real Redis).

A lead never staged, its account and its identity keys live ``cold`` seconds after their
last write (every write renews it); a staged lead's state, its id and email keys and its
decay timer entry have no time to live; a hand-over's tombstone lives ``handover``
seconds. A cold lead that expired starts again from nothing on its next event.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from leadq.compiled import compile_rules
from leadq.identity import bucket_of
from schemas.rules import load_rules
from schemas.signal import Signal
from streams.state.connect import redis_client
from streams.state.keys import Keys
from streams.state.store import Retention
from tests.integration.scenario import StorePipeline

pytestmark = pytest.mark.integration
RULES = compile_rules(load_rules("tests/rules/scenarios.yaml"))
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
COLD_S = 3000


def _signal(event_id: str, minutes: int, **fields: object) -> Signal:
    fields.setdefault("name", "Webinar Attended")
    return Signal(
        event_id=event_id,
        channel="web",
        occurred_at=T0 + timedelta(minutes=minutes),
        **fields,
    )


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[StorePipeline]:
    client = redis_client(redis_url)
    keys = Keys(prefix=f"ret-{uuid.uuid4().hex[:8]}")
    yield StorePipeline(client, RULES, keys, Retention(cold_s=COLD_S, handover_s=600))
    await client.aclose()


async def _ttl(store: StorePipeline, key: str) -> int:
    return int(await store.client.ttl(key))


async def test_cold_leads_have_a_time_to_live_and_staged_leads_none(store: StorePipeline) -> None:
    keys = store.keys
    cold = [_signal("c-1", 0, identity={"user_id": "cold", "email": "cold@acme.com"})]
    hot = [
        _signal(f"h-{n}", n, identity={"user_id": "hot", "email": "hot@globex.com"})
        for n in range(12)  # twelve webinars: an MQL
    ]
    await store.apply_all(await store.resolve(cold + hot), "signals/0", 0)
    lead = await store.lead("u:hot")
    assert lead is not None
    assert lead.stage == "mql"

    cold_bucket, hot_bucket = bucket_of("u:cold", "acme.com"), bucket_of("u:hot", "globex.com")
    for key in (
        keys.lead(cold_bucket, "u:cold"),
        keys.account(cold_bucket, "acme.com"),
        keys.account(hot_bucket, "globex.com"),  # an account never engaged
        keys.identity("u:cold"),
        keys.identity("e:cold@acme.com"),
    ):
        assert 0 < await _ttl(store, key) <= COLD_S, key
    for key in (keys.lead(hot_bucket, "u:hot"), keys.identity("u:hot")):
        assert await _ttl(store, key) == -1, key  # -1: no time to live
    assert await _ttl(store, keys.identity("e:hot@globex.com")) == -1
    assert await store.client.zscore(keys.due(hot_bucket), "L:u:hot") is not None


async def test_a_tombstone_lives_as_long_as_a_hand_over_may_be_in_flight(
    store: StorePipeline,
) -> None:
    visit = _signal("v-1", 0, type="page", name="", identity={"anonymous_id": "x"})
    identify = _signal(
        "i-1", 1, type="identify", name="", identity={"user_id": "y", "anonymous_id": "x"}
    )
    await store.apply_all(await store.resolve([visit, identify]), "signals/0", 0)
    tombstone = store.keys.lead(bucket_of("a:x", None), "a:x")
    assert 0 < await _ttl(store, tombstone) <= 600


async def test_an_expired_cold_lead_starts_again_from_nothing(redis_url: str) -> None:
    client = redis_client(redis_url)
    keys = Keys(prefix=f"exp-{uuid.uuid4().hex[:8]}")
    store = StorePipeline(client, RULES, keys, Retention(cold_s=2, handover_s=1))
    try:
        first = [_signal("e-1", 0, identity={"user_id": "gone"})]
        await store.apply_all(await store.resolve(first), "signals/0", 0)
        assert await store.lead("u:gone") is not None
        give_up = time.monotonic() + 10
        state_key = keys.lead(bucket_of("u:gone", None), "u:gone")
        while await client.exists(state_key, keys.identity("u:gone")):  # Redis expires both
            assert time.monotonic() < give_up, "the cold lead did not expire"
        assert await store.lead("u:gone") is None
        # The next event comes to a worker keeping leads longer (a 1-second life could
        # end before this test reads the new lead back on a busy machine).
        store = StorePipeline(client, RULES, keys, Retention(cold_s=COLD_S, handover_s=1))
        again = [_signal("e-2", 60, identity={"user_id": "gone"})]
        await store.apply_all(await store.resolve(again), "signals/0", 1)
        lead = await store.lead("u:gone")
        assert lead is not None
        assert lead.has_seen("e-2")
        assert not lead.has_seen("e-1")
        assert lead.intent["web"].value == pytest.approx(10.0)
    finally:
        await client.aclose()
