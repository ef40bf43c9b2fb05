"""Merges racing with in-flight events of the absorbed lead never lose or split them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from leadq.compiled import compile_rules
from leadq.qualifier import Outcome, Qualifier
from schemas.routed import RoutedSignal
from schemas.rules import load_rules
from schemas.signal import Signal
from streams.state.connect import redis_client
from streams.state.keys import Keys
from tests.integration.scenario import StorePipeline

pytestmark = pytest.mark.integration
RULES = compile_rules(load_rules("tests/rules/scenarios.yaml"))
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


def _identify(event_id: str, **identity: str) -> Signal:
    return Signal(
        event_id=event_id, channel="web", type="identify", occurred_at=T0, identity=identity
    )


async def test_an_identify_applied_before_the_visitors_view_waits_for_it(
    store: StorePipeline,
) -> None:
    """The normalizer routed a view to a:v1, then the identify that stitches a:v1 into
    u:42 (a hand-over request to a:v1's bucket, after the view, and the identify to
    u:42's). u:42's partition is consumed first: the identify waits (parked) until a:v1's
    partition has applied the view and handed a:v1 over; then it applies, in order."""
    (view,) = await store.resolve([_page("view-1", anonymous_id="v1")])
    hand_over, stitch = await store.resolve([_identify("id-1", user_id="42", anonymous_id="v1")])
    assert hand_over.hand_over_to is not None
    assert (hand_over.lead_id, hand_over.bucket) == ("a:v1", view.bucket)
    assert (stitch.lead_id, [s.lead_id for s in stitch.sources]) == ("u:42", ["a:v1"])

    waited = await store.apply([(stitch, "signals/1", 0)])
    assert waited.statuses == {"parked": 1}
    assert await store.lead("u:42") is None
    done = await store.apply([(view, "signals/0", 0), (hand_over, "signals/0", 1)])
    assert done.statuses == {"applied": 2, "handed_over": 1, "folded": 1}
    survivor = await store.lead("u:42")
    assert survivor is not None
    assert survivor.has_seen("view-1")
    assert survivor.has_seen("id-1")
    assert survivor.intent["web"].value == pytest.approx(15.0)
    assert await store.live_leads() == {"u:42"}
    assert (await store.lead("a:v1")) == survivor  # the old key finds the survivor


async def test_a_view_routed_to_the_old_lead_after_its_hand_over_follows_it(
    store: StorePipeline,
) -> None:
    """A view resolved to a:v2 by another normalizer before the identify's routing, but
    produced after its hand-over request: it finds a:v2's tombstone and is applied to
    u:43, once, even when the identify is delivered again."""
    first = await store.resolve([_page("view-1", anonymous_id="v2")])
    await store.apply_all(first, "signals/1", 0)
    (late,) = await store.resolve([_page("view-2", anonymous_id="v2")])
    stitching = await store.resolve([_identify("id-2", user_id="43", anonymous_id="v2")])
    await store.apply_all(stitching, "signals/0", 0)
    result = await store.apply([(late, "signals/1", 1)])
    assert result.statuses == {"redirected": 1, "applied": 1}
    survivor = await store.lead("u:43")
    assert survivor is not None
    assert survivor.has_seen("view-1")
    assert survivor.has_seen("view-2")
    assert survivor.intent["web"].value == pytest.approx(30.0)
    # The identify and its hand-over request delivered again change nothing.
    again = [RoutedSignal.model_validate(r.model_dump()) for r in stitching]
    await store.apply_all(again, "signals/0", 0)
    await store.apply_all(again, "signals/9", 0)  # even from elsewhere (no watermark)
    survivor_after = await store.lead("u:43")
    assert survivor_after is not None
    assert survivor_after.intent["web"].value == pytest.approx(30.0)


async def test_a_signal_follows_a_chain_of_merges(store: StorePipeline) -> None:
    # a:v3 views pricing; the view of a second page is routed to a:v3 but not yet applied.
    await store.apply_all(await store.resolve([_page("view-1", anonymous_id="v3")]), "s/1", 0)
    (late,) = await store.resolve([_page("view-2", anonymous_id="v3")])
    # The visitor gives an email (a:v3 → e:…), later a user id (e:… → u:44): two renames.
    for number, identity in enumerate(
        [
            {"anonymous_id": "v3", "email": "kim@initech.example"},
            {"user_id": "44", "email": "kim@initech.example"},
        ]
    ):
        stitching = await store.resolve([_identify(f"id-3{number}", **identity)])
        await store.apply_all(stitching, "signals/0", 10 * number)
    # The late view, still addressed to a:v3, lands on u:44 through both tombstones.
    result = await store.apply([(late, "s/1", 1)])
    assert result.statuses == {"redirected": 2, "applied": 1}
    survivor = await store.lead("u:44")
    assert survivor is not None
    assert survivor.has_seen("view-1")
    assert survivor.has_seen("view-2")
    assert survivor.intent["web"].value == pytest.approx(30.0)


async def test_parked_items_are_released_by_the_timer_after_a_crash(
    store: StorePipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker that makes the last hand-over releases what waits for it at once; if it
    dies in between, the owner's timer (``release_parked``) does it."""
    (view,) = await store.resolve([_page("view-1", anonymous_id="v5")])
    hand_over, stitch = await store.resolve([_identify("id-5", user_id="45", anonymous_id="v5")])
    await store.apply([(stitch, "signals/1", 0)])

    async def crash_before_the_follow_up(self: Qualifier, outcome: Outcome) -> None:
        return None

    with monkeypatch.context() as patched:
        patched.setattr(Qualifier, "_follow_up", crash_before_the_follow_up)
        await store.apply([(view, "signals/0", 0), (hand_over, "signals/0", 1)])
    assert await store.lead("u:45") is None
    released = await store.qualifier.release_parked(range(store.keys.buckets))
    assert released.statuses == {"folded": 1, "applied": 1}
    survivor = await store.lead("u:45")
    assert survivor is not None
    assert survivor.has_seen("view-1")
    assert survivor.has_seen("id-5")
