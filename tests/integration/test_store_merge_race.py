"""Merges racing with in-flight events of the absorbed lead never lose or split them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from leadq.compiled import compile_rules
from schemas.routed import RoutedSignal
from schemas.rules import load_rules
from schemas.signal import Signal
from streams.state.connect import redis_client
from streams.state.keys import Keys
from tests.integration.scenario import StorePipeline

pytestmark = pytest.mark.integration
RULES = compile_rules(load_rules("rules/example.yaml"))
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[StorePipeline]:
    client = redis_client(redis_url)
    yield StorePipeline(client, RULES, Keys(prefix=f"race-{uuid.uuid4().hex}"))
    await client.aclose()


def _page(event_id: str, **identity: str) -> Signal:
    return Signal(
        event_id=event_id,
        channel="web",
        type="page",
        occurred_at=T0,
        identity=identity,
        properties={"path": "/pricing"},
    )


async def test_events_in_flight_for_a_merged_lead_reach_the_survivor(
    store: StorePipeline,
) -> None:
    # The anonymous visitor's page view is resolved (routed to a:v1) but not yet applied...
    (in_flight,) = await store.resolve([_page("view-1", anonymous_id="v1")])
    assert in_flight.lead_id == "a:v1"
    # ...when an identify stitches a:v1 into u:42 and is applied first.
    identify = Signal(
        event_id="id-1",
        channel="web",
        type="identify",
        occurred_at=T0,
        identity={"user_id": "42", "anonymous_id": "v1"},
    )
    (stitch,) = await store.resolve([identify])
    assert (stitch.lead_id, [s.lead_id for s in stitch.sources]) == ("u:42", ["a:v1"])
    await store.apply([(stitch, "signals/0", 0)])
    # The late view still lands on u:42, and no separate a:v1 lead appears.
    result = await store.apply([(in_flight, "signals/1", 0)])
    assert result.statuses == {"redirected": 1, "applied": 1}
    survivor = await store.lead("u:42")
    assert survivor is not None
    assert survivor.has_seen("view-1")
    assert survivor.intent["web"].value == pytest.approx(15.0)
    assert (await store.lead("a:v1")) == survivor  # the old key finds the survivor
    assert await store.live_leads() == {"u:42"}


async def test_a_tombstone_refuses_an_apply_that_raced_past_the_read(
    store: StorePipeline,
) -> None:
    (first,) = await store.resolve([_page("view-1", anonymous_id="v2")])
    await store.apply([(first, "signals/1", 0)])
    (second,) = await store.resolve([_page("view-2", anonymous_id="v2")])
    # The merge swaps a:v2's blob for a tombstone pointing at u:43...
    identify = Signal(
        event_id="id-2",
        channel="web",
        type="identify",
        occurred_at=T0,
        identity={"user_id": "43", "anonymous_id": "v2"},
    )
    (stitch,) = await store.resolve([identify])
    await store.apply([(stitch, "signals/0", 0)])
    # ...so the next view for a:v2 is redirected, and both views count once on u:43.
    result = await store.apply([(second, "signals/1", 1)])
    assert result.statuses == {"redirected": 1, "applied": 1}
    survivor = await store.lead("u:43")
    assert survivor is not None
    assert survivor.has_seen("view-1")
    assert survivor.has_seen("view-2")
    assert survivor.intent["web"].value == pytest.approx(30.0)
    # Applying the merge again (a re-delivered identify) changes nothing.
    again = RoutedSignal.model_validate(stitch.model_dump())
    await store.apply([(again, "signals/0", 0)])
    survivor_after = await store.lead("u:43")
    assert survivor_after is not None
    assert survivor_after.intent["web"].value == pytest.approx(30.0)


async def test_a_signal_follows_a_chain_of_merges(store: StorePipeline) -> None:
    # a:v3 views pricing; the view of a second page is routed to a:v3 but not yet applied.
    (first,) = await store.resolve([_page("view-1", anonymous_id="v3")])
    await store.apply([(first, "signals/1", 0)])
    (late,) = await store.resolve([_page("view-2", anonymous_id="v3")])
    # The visitor gives an email (a:v3 → e:…), later a user id (e:… → u:44): two renames.
    for number, identity in enumerate(
        [
            {"anonymous_id": "v3", "email": "kim@initech.example"},
            {"user_id": "44", "email": "kim@initech.example"},
        ]
    ):
        identify = Signal(
            event_id=f"id-3{number}",
            channel="web",
            type="identify",
            occurred_at=T0,
            identity=identity,
        )
        (stitch,) = await store.resolve([identify])
        await store.apply([(stitch, "signals/0", number)])
    # The late view, still addressed to a:v3, lands on u:44 through both tombstones.
    result = await store.apply([(late, "signals/1", 1)])
    assert result.statuses == {"redirected": 2, "applied": 1}
    survivor = await store.lead("u:44")
    assert survivor is not None
    assert survivor.has_seen("view-1")
    assert survivor.has_seen("view-2")
    assert survivor.intent["web"].value == pytest.approx(30.0)
