"""A batch gives what its signals give one at a time (batch resolve, one apply.lua call per
bucket, moves and merges in phases)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

import streams.store as store_module
from leadq.compiled import compile_rules
from schemas.rules import load_rules
from schemas.signal import Signal
from schemas.transition import TransitionData
from streams.keys import Keys
from streams.store import QualifierStore

pytestmark = pytest.mark.integration
RULES = compile_rules(load_rules("rules/example.yaml"))
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)

MakeStore = Callable[[int], QualifierStore]


@pytest.fixture
async def make_store(redis_url: str) -> AsyncIterator[MakeStore]:
    client = Redis.from_url(redis_url)

    def make(buckets: int) -> QualifierStore:
        return QualifierStore(
            client, RULES, Keys(prefix=f"batch-{uuid.uuid4().hex}", buckets=buckets)
        )

    yield make
    await client.aclose()


def _signal(number: int, identity: dict[str, str], **fields: Any) -> Signal:
    fields.setdefault("channel", "web")
    if "type" not in fields and "name" not in fields:
        fields.update(type="page", properties={"path": "/pricing"})
    return Signal(
        event_id=f"ev-{number}",
        occurred_at=T0 + timedelta(minutes=number),
        identity=identity,
        **fields,
    )


async def _one_by_one(store: QualifierStore, signals: list[Signal]) -> list[TransitionData]:
    transitions: list[TransitionData] = []
    for offset, signal in enumerate(signals):
        (routed,) = await store.resolve([signal])
        result = await store.apply([(routed, "signals/0", offset)])
        transitions += [e.transition for e in result.emitted]
    return transitions


async def _batched(store: QualifierStore, signals: list[Signal]) -> list[TransitionData]:
    routed = await store.resolve(signals)
    result = await store.apply([(r, "signals/0", offset) for offset, r in enumerate(routed)])
    return [e.transition for e in result.emitted]


def _key(t: TransitionData) -> tuple[Any, ...]:
    return (t.at, t.entity, t.entity_id, t.track, t.stage_to)


async def _assert_same(
    make_store: MakeStore, signals: list[Signal], leads: list[str], buckets: int = 128
) -> None:
    alone, batch = make_store(buckets), make_store(buckets)
    expected = await _one_by_one(alone, signals)
    actual = await _batched(batch, signals)
    assert sorted(actual, key=_key) == sorted(expected, key=_key)
    for lead_or_key in leads:
        location = await alone.lead_location(lead_or_key)
        assert location is not None, lead_or_key
        assert await batch.lead_location(lead_or_key) == location
        lead = await alone.read_lead(*location)
        assert lead is not None
        assert await batch.read_lead(*location) == lead
        if location[1] is not None:
            assert await batch.read_account(location[1]) == await alone.read_account(location[1])


async def test_batch_resolve_sees_earlier_signals_of_the_batch(make_store: MakeStore) -> None:
    store = make_store(128)
    signals = [
        _signal(1, {"anonymous_id": "v1"}),
        _signal(2, {"anonymous_id": "v1"}),  # the same new person, again
        _signal(3, {"user_id": "42", "anonymous_id": "v1"}, type="identify"),
        _signal(4, {"anonymous_id": "v1"}),  # now known as u:42
        _signal(5, {"email": "kim@initech.com"}),
    ]
    batch = await store.resolve(signals)
    alone = make_store(128)
    one_by_one = [(await alone.resolve([s]))[0] for s in signals]
    assert batch == one_by_one
    assert [(r.lead_id, r.new_lead) for r in batch] == [
        ("a:v1", True),
        ("a:v1", False),
        ("u:42", False),
        ("u:42", False),
        ("e:kim@initech.com", True),
    ]
    assert batch[2].absorbed == (("a:v1", None),)
    assert batch[4].account_id == "initech.com"
    assert await store.lead_location("a:v1") == ("u:42", None)


async def test_runs_sharing_a_bucket_apply_as_one_by_one(make_store: MakeStore) -> None:
    # Two colleagues interleaved: four runs of one account, so of one bucket (and with one
    # bucket, every run of the batch shares a single apply.lua call).
    people = [{"email": "ann@acme.com"}, {"email": "bob@acme.com"}]
    signals = [_signal(n, people[n % 3 == 0]) for n in range(1, 13)]
    signals.append(_signal(13, people[0], name="Demo Requested"))
    for buckets in (128, 1):
        await _assert_same(make_store, signals, ["e:ann@acme.com", "e:bob@acme.com"], buckets)


async def test_moves_and_merges_in_a_batch_apply_as_one_by_one(make_store: MakeStore) -> None:
    signals = [
        _signal(1, {"anonymous_id": "v7"}),
        _signal(2, {"email": "cy@globex.com"}),
        _signal(3, {"anonymous_id": "v7"}),
        _signal(4, {"email": "dee@gmail.com"}),
        # stitches a:v7 into e:dee (a merge) while cy's and dee's events go on around it
        _signal(5, {"email": "dee@gmail.com", "anonymous_id": "v7"}, type="identify"),
        _signal(6, {"email": "cy@globex.com"}),
        # moves dee into an account, then more of everyone
        _signal(7, {"email": "dee@gmail.com"}, type="group", account={"id": "hooli"}),
        _signal(8, {"anonymous_id": "v7"}),
        _signal(9, {"email": "cy@globex.com"}, name="Demo Requested"),
        _signal(10, {"email": "dee@gmail.com"}, name="Webinar Attended"),
    ]
    await _assert_same(make_store, signals, ["e:dee@gmail.com", "e:cy@globex.com", "a:v7"])


async def test_a_bucket_with_many_events_gets_several_calls_in_order(
    make_store: MakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "APPLY_CHUNK", 3)
    people = [{"email": "ann@acme.com"}, {"email": "bob@acme.com"}, {"email": "eve@acme.com"}]
    signals = [_signal(n, people[n % 3]) for n in range(1, 16)]
    signals.append(_signal(16, people[1], name="Demo Requested"))
    await _assert_same(make_store, signals, ["e:ann@acme.com", "e:bob@acme.com"], buckets=1)


async def test_a_batch_of_many_moves_fits_a_small_connection_pool(redis_url: str) -> None:
    """Regression (found by the benchmark with 2,000-signal batches): a phase's moves ran
    all at once, each holding a connection for its WATCH transaction, and exhausted
    redis-py's pool ("Too many connections", retried forever). They are bounded now."""
    client = Redis.from_url(redis_url, max_connections=store_module.RESTRUCTURE_CONCURRENCY + 2)
    try:
        store = QualifierStore(client, RULES, Keys(prefix=f"batch-{uuid.uuid4().hex}"))
        people = [{"email": f"p{n}@gmail.com"} for n in range(60)]
        first = [_signal(n, person) for n, person in enumerate(people)]
        await store.apply(
            [(r, "signals/0", offset) for offset, r in enumerate(await store.resolve(first))]
        )
        # Each person joins an account: 60 moves in one phase.
        groups = [
            _signal(100 + n, person, type="group", account={"id": f"co{n}"})
            for n, person in enumerate(people)
        ]
        routed = await store.resolve(groups)
        await store.apply([(r, "signals/0", 100 + offset) for offset, r in enumerate(routed)])
        for n in range(60):
            assert await store.lead_location(f"e:p{n}@gmail.com") == (
                f"e:p{n}@gmail.com",
                f"co{n}",
            )
    finally:
        await client.aclose()


async def test_a_redelivered_batch_then_new_events_apply_as_one_by_one(
    make_store: MakeStore,
) -> None:
    """After a rebalance a batch comes again with new events behind it: the replayed ones
    change nothing and the new ones apply as if delivered once. (A run's events after the
    first leave their profile out, it is the run's previous one; the two-worker benchmark
    once crashed apply.lua with a nil profile on such a run, and apply.lua now takes a
    skipped event's profile too. This test did not reproduce that crash.)"""
    visitors = [{"anonymous_id": f"v{n}"} for n in range(3)]
    first = [_signal(n, visitors[n % 3]) for n in range(9)]
    # v0 identifies: a:v0 is folded into u:x
    first.append(_signal(9, {"user_id": "x", "anonymous_id": "v0"}, type="identify"))
    later = [
        _signal(100 + n, {"user_id": "x"} if n % 3 == 0 else visitors[n % 3]) for n in range(6)
    ]
    alone, batch = make_store(128), make_store(128)
    expected = await _one_by_one(alone, first + later)

    async def deliver(store: QualifierStore, count: int) -> list[TransitionData]:
        """The first ``count`` signals at their source offsets 0, 1, ..."""
        signals = (first + later)[:count]
        routed = await store.resolve(signals)
        result = await store.apply([(r, "signals/0", n) for n, r in enumerate(routed)])
        return [e.transition for e in result.emitted]

    actual = await deliver(batch, len(first))
    actual += await deliver(batch, len(first) + len(later))  # re-delivered, then new ones
    assert sorted(actual, key=_key) == sorted(expected, key=_key)
    for key in ("u:x", "a:v1", "a:v2"):
        location = await alone.lead_location(key)
        assert location is not None
        assert await batch.read_lead(*location) == await alone.read_lead(*location)
