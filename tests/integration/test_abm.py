"""The ABM consumer on the real broker and Redis: transitions and scored signals in, ABM
CloudEvents out; re-delivery, a restart that re-reads everything and a crash between
publishing and remembering never give a signal twice under another id, nor count an
event twice into a surge.

Scenario at acme.io, day D = today (event time): a baseline of two webinars (20 points)
on D-20; five pricing-page views by Ann on D-1 (capped at 2 a day: 30 points); six
webinars by Bob on D (60 points). Window (7 days) 90 points = 12.9 a day against a
baseline of 20/28 = 0.71 a day: a surge (k = 3, minimum 40). Then MQA entered (with two
personas engaged), later left (cooling).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from agents.abm_consumer import AbmConsumer
from leadq.abm.points import AccountPoints, account_points
from leadq.abm.surge import day_of
from leadq.compiled import CompiledRules
from leadq.identity import account_bucket
from schemas.abm import AbmEvent
from schemas.routed import RoutedSignal, encode_routed
from schemas.signal import Account, Identity, Signal
from schemas.transition import AccountContext, TransitionData, to_cloudevent
from streams.abm.store import AbmStore, Marking
from streams.devcluster import ClusterStartError
from streams.rediscluster import LocalRedisCluster
from streams.settings import Settings
from tests.helpers import SCENARIO_RULES, Outgoing, produce_records, read_until, wait_for

pytestmark = pytest.mark.integration
ACCOUNT = "acme.io"
NOW = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture
def abm_settings(qualifier_settings: Settings) -> Settings:
    # The frozen scenario rules: the figures below are their points.
    return qualifier_settings.with_changes(
        rules_path=SCENARIO_RULES,
        abm={"surge_factor": 3.0, "surge_window_days": 7, "baseline_window_days": 28,
             "surge_min_intent": 40.0},
    )  # fmt: skip


def routed(event_id: str, lead: str, at: datetime, **fields: object) -> RoutedSignal:
    signal = Signal.model_validate(
        {"event_id": event_id, "channel": "web", "occurred_at": at,
         "identity": Identity(user_id=lead), "account": Account(id=ACCOUNT), **fields}
    )  # fmt: skip
    return RoutedSignal(
        lead_id=f"u:{lead}", account_id=ACCOUNT, bucket=account_bucket(ACCOUNT), signal=signal
    )


def activity() -> list[RoutedSignal]:
    webinar = {"type": "track", "name": "Webinar Attended"}
    pricing = {"type": "page", "properties": {"path": "/pricing"}}
    day = timedelta(days=1)
    return [
        *(routed(f"base-{n}", "ann", NOW - 20 * day + n * timedelta(minutes=1), **webinar)
          for n in range(2)),
        *(routed(f"price-{n}", "ann", NOW - day + n * timedelta(minutes=1), **pricing)
          for n in range(5)),
        *(routed(f"web-{n}", "bob", NOW + n * timedelta(minutes=1), **webinar) for n in range(6)),
    ]  # fmt: skip


def account_move(stage_from: str, stage_to: str, at: datetime, personas: Sequence[str]) -> bytes:
    data = TransitionData(
        entity="account", entity_id=ACCOUNT, track="account", stage_from=stage_from,
        stage_to=stage_to, reason=f"{stage_from} to {stage_to}", score=160.0, threshold=150.0,
        intent_score=160.0, intent_by_category={"web": 160.0}, top_signals=(),
        trigger_event_id=None, rules_version="test", at=at,
        account=AccountContext(account_id=ACCOUNT, domain=ACCOUNT, stage=stage_to,
                               intent_score=160.0, engaged_people=len(personas),
                               personas=tuple(personas)),
    )  # fmt: skip
    return to_cloudevent(data).model_dump_json().encode()


def records(settings: Settings, *, cooling: bool = False) -> list[Outgoing]:
    topics = settings.topics
    signals = [(topics.signals, r.partition_key.encode(), encode_routed(r)) for r in activity()]
    moves = [account_move("unengaged", "mqa", NOW, ["decision_maker", "technical_evaluator"])]
    if cooling:
        moves.append(account_move("mqa", "cooling", NOW + timedelta(hours=1), ["decision_maker"]))
    return [*signals, *((topics.routing, ACCOUNT.encode(), m) for m in moves)]


@contextlib.asynccontextmanager
async def running_abm(settings: Settings) -> AsyncIterator[AbmConsumer]:
    consumer = AbmConsumer(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop.is_set))
    try:
        yield consumer
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def until_handled(consumer: AbmConsumer, count: int) -> None:
    async def done() -> bool:
        return consumer.records_handled >= count

    await wait_for(done, f"ABM consumer handled {count} records")


async def abm_events(settings: Settings, count: int) -> list[AbmEvent]:
    found = await read_until(
        settings.kafka_bootstrap, [settings.topics.abm], lambda rs: len(rs) >= count
    )
    return [AbmEvent.model_validate_json(r.value or b"") for r in found]


async def settle(settings: Settings, count: int) -> list[AbmEvent]:
    """Every ABM event once ``count`` have arrived and a short while brought no more."""
    await abm_events(settings, count)
    await asyncio.sleep(1.5)  # nothing to poll for: the assertion is that none come
    return await abm_events(settings, count)


def summary(events: Sequence[AbmEvent]) -> set[tuple[str, str]]:
    def what(e: AbmEvent) -> str:
        data = e.data
        if data.persona is not None:
            return data.persona.persona
        if data.mqa is not None:
            return data.mqa.change
        return f"episode {data.surge.episode}" if data.surge else ""

    return {(e.type, what(e)) for e in events}


FIRST = {
    ("io.leadq.account.surge", "episode 1"),
    ("io.leadq.account.persona_engaged", "decision_maker"),
    ("io.leadq.account.persona_engaged", "technical_evaluator"),
    ("io.leadq.account.mqa", "entered"),
}
LATER = {("io.leadq.account.mqa", "left"), ("io.leadq.account.cooling", "left")}


async def test_signals_out_once_across_redelivery_and_restart(abm_settings: Settings) -> None:
    settings = abm_settings
    first = records(settings)
    async with running_abm(settings) as consumer:
        await produce_records(settings.kafka_bootstrap, first)
        events = await abm_events(settings, len(FIRST))
        assert summary(events) == FIRST
        # Re-delivery: every record again, plus the account leaving MQA.
        again = records(settings, cooling=True)
        await produce_records(settings.kafka_bootstrap, again)
        await until_handled(consumer, len(first) + len(again))
        events = await settle(settings, len(FIRST) + len(LATER))
    assert summary(events) == FIRST | LATER
    assert len(events) == len(FIRST | LATER)

    surge = next(e.data for e in events if e.data.surge is not None)
    assert surge.surge is not None
    # 60 (Bob) + 30 (Ann's pricing views, capped at 2 a day) in the window; 20 before.
    assert (surge.surge.window_intent, surge.surge.baseline_intent) == (90.0, 20.0)
    assert [(r.rule_id, r.points) for r in surge.surge.top_rules] == [
        ("webinar", 60.0), ("pricing_page", 30.0)]  # fmt: skip
    assert {(p.lead_id, p.points) for p in surge.surge.top_people} == {("u:bob", 60.0),
                                                                       ("u:ann", 30.0)}  # fmt: skip
    persona = next(e.data for e in events if e.data.persona is not None)
    assert (persona.account.coverage.covered, persona.account.coverage.of) == (2, 3)
    assert all(e.partitionkey == e.subject == ACCOUNT for e in events)

    # A restart that lost every commit (a new consumer group re-reads both topics).
    restarted = settings.with_changes(abm={**settings.abm.model_dump(), "group_id": "abm-2"})
    async with running_abm(restarted) as consumer:
        await until_handled(consumer, len(first) + len(again))
        assert await settle(settings, len(events)) == events
        # Each event counted once, whatever the deliveries: 20 / 30 (capped) / 60.
        stored = await consumer.step.store.read(ACCOUNT)
    today = day_of(int(NOW.timestamp() * 1000))
    assert stored.day_totals == {today - 20: 20.0, today - 1: 30.0, today: 60.0}
    assert stored.newest_day == today


async def test_a_crash_before_remembering_republishes_the_same_ids(
    abm_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = abm_settings
    real_mark = AbmStore.mark
    failures = {"left": 1}

    async def mark_after_an_outage(self: AbmStore, marks: Sequence[Marking]) -> list[bool]:
        if marks and failures["left"]:
            failures["left"] -= 1
            raise RedisConnectionError("Redis went away after the signals were published")
        return await real_mark(self, marks)

    monkeypatch.setattr(AbmStore, "mark", mark_after_an_outage)
    sent = records(settings)
    async with running_abm(settings) as consumer:
        await produce_records(settings.kafka_bootstrap, sent)
        await until_handled(consumer, len(sent))
        events = await settle(settings, len(FIRST))
    assert failures["left"] == 0
    assert summary(events) == FIRST
    by_id: dict[str, set[str]] = {}
    for event in events:
        by_id.setdefault(event.id, set()).add(event.type)
    assert len(by_id) == len(FIRST)  # re-published, but under the same ids
    assert len(events) > len(by_id)


async def test_bad_records_are_dead_lettered_and_the_rest_handled(abm_settings: Settings) -> None:
    settings = abm_settings
    topics = settings.topics
    sent = [(topics.routing, b"x", b"not a cloudevent"), *records(settings)]
    async with running_abm(settings):
        await produce_records(settings.kafka_bootstrap, sent)
        dead = await read_until(
            settings.kafka_bootstrap, [topics.dead_letter], lambda rs: len(rs) > 0
        )
        events = await abm_events(settings, len(FIRST))
    assert dead[0].value == b"not a cloudevent"
    assert dead[0].headers["leadq.reason"].startswith(b"abm: invalid")
    assert summary(events) == FIRST


async def test_a_record_that_trips_a_bug_is_dead_lettered_alone(
    abm_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = abm_settings
    topics = settings.topics

    def points_or_bug(routed: RoutedSignal, rules: CompiledRules) -> list[AccountPoints]:
        if routed.signal.event_id == "boom":
            raise ValueError("a bug this event trips")
        return account_points(routed, rules)

    monkeypatch.setattr("agents.abm.account_points", points_or_bug)
    boom = routed("boom", "bob", NOW, type="track", name="Webinar Attended")
    sent = [(topics.signals, boom.partition_key.encode(), encode_routed(boom)), *records(settings)]
    async with running_abm(settings):
        await produce_records(settings.kafka_bootstrap, sent)
        dead = await read_until(
            settings.kafka_bootstrap, [topics.dead_letter], lambda rs: len(rs) > 0
        )
        events = await abm_events(settings, len(FIRST))
    assert dead[0].value == encode_routed(boom)
    assert dead[0].headers["leadq.reason"] == b"abm: error: ValueError: a bug this event trips"
    assert summary(events) == FIRST


async def test_the_abm_consumer_runs_unchanged_on_a_redis_cluster(
    leadq_settings: Settings,
) -> None:
    try:
        cluster = LocalRedisCluster().start()
    except ClusterStartError as exc:
        pytest.fail(f"cannot start a Redis Cluster: {exc}", pytrace=False)
    try:
        settings = leadq_settings.with_changes(
            redis_url=cluster.url, rules_path=SCENARIO_RULES, abm={"surge_min_intent": 40.0}
        )
        sent = records(settings, cooling=True) * 2  # and every record re-delivered
        async with running_abm(settings) as consumer:
            await produce_records(settings.kafka_bootstrap, sent)
            await until_handled(consumer, len(sent))
            events = await settle(settings, len(FIRST | LATER))
            stored = await consumer.step.store.read(ACCOUNT)
    finally:
        cluster.stop()
    assert summary(events) == FIRST | LATER
    assert len(events) == len(FIRST | LATER)
    today = day_of(int(NOW.timestamp() * 1000))
    assert stored.day_totals == {today - 20: 20.0, today - 1: 30.0, today: 60.0}
