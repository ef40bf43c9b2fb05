"""Bad input goes to the dead-letter topic, whole and explained, and nothing else is lost.

Every rejected message lands on the dead-letter topic with its original key and value
bytes, a ``leadq.reason`` header naming the problem, and ``leadq.source.topic`` /
``.partition`` / ``.offset`` headers saying where it came from. Good events sent in the
same batch, right after the bad ones, still produce their transitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import orjson
import pytest

from agents.worker import build_app
from leadq.compiled import compile_rules
from leadq.state import event_digest
from schemas.rules import load_rules
from schemas.signal import Signal
from schemas.transition import TransitionEvent
from streams.kafka.dead_letter import REASON_HEADER
from streams.kafka.topic_reader import Record
from streams.settings import Settings
from tests.helpers import SCENARIO_RULES, produce, produce_records, read_until, running_app
from tests.integration.scenario import (
    Inbound,
    applied,
    canonical,
    feed_in_event_order,
    open_store,
    recent_start,
    segment,
    sendgrid_event,
    transition_events,
)

pytestmark = pytest.mark.integration


def warm_up() -> list[Inbound]:
    """u:ok at 90 points (fit 20 + intent 70): one demo request away from MQL and SQL."""
    at = iter(recent_start() + timedelta(minutes=n) for n in range(10))
    traits = {"email": "ok@initech.com", "seniority": "vp"}
    calls = [
        segment("identify", "ok-0", next(at), user_id="ok", traits=traits),
        *[segment("page", f"ok-{n}", next(at), user_id="ok", properties={"path": path})
          for n, path in enumerate(["/pricing", "/pricing/x", "/customers/a", "/customers/b",
                                    "/customers/c"], start=1)],
        segment("track", "ok-6", next(at), user_id="ok", event="Webinar Attended"),
    ]  # fmt: skip
    return [Inbound("web", "ok", call) for call in calls]


def dead_letter_sources(record: Record) -> tuple[str, int, int]:
    headers = record.headers
    return (
        headers["leadq.source.topic"].decode(),
        int(headers["leadq.source.partition"]),
        int(headers["leadq.source.offset"]),
    )


async def test_bad_inputs_are_dead_lettered_and_the_good_ones_in_their_batch_go_on(
    qualifier_settings: Settings,
) -> None:
    settings = qualifier_settings.with_changes(rules_path=SCENARIO_RULES)
    topics = settings.topics
    rules = compile_rules(load_rules(settings.rules_path))
    now = recent_start(hours_ago=0.5)
    the_demo = segment("track", "ok-demo", now, user_id="ok", event="Demo Requested")
    epoch_12 = segment("track", "old-1", now, user_id="old-timer", event="Webinar Attended")
    epoch_12["timestamp"] = 12  # a number: epoch seconds, 1970-01-01T00:00:12Z — valid
    # (raw bytes, the reason's telltale); all on one web partition, then the demo.
    bad_web: list[tuple[bytes, str]] = [
        (b"{not json", "document is not JSON"),
        (b"\xff\xfe not utf-8", "not UTF-8"),
        (orjson.dumps(segment("track", "b-1", now, event="Signed Up") | {"userId": {}}),
         "userId: expected a string, got an object"),
        (b'{"hello": "world"}', "unknown event format"),
        (orjson.dumps(segment("track", "b-2", now, event="Demo Requested")),
         "no identity"),
        (orjson.dumps(canonical("web", "Demo Requested", "b-3", now)),
         "event has no identity"),
        (orjson.dumps(canonical("crm", "sales_accepted", "b-4", now, email="x@acme.com")),
         "arrived on 'web'"),
    ]  # fmt: skip
    web_batch = [(topics.web, b"ok", raw) for raw, _ in bad_web]
    web_batch += [(topics.web, b"ok", orjson.dumps(call)) for call in (epoch_12, the_demo)]
    # One SendGrid POST: a good click and an event without an email address.
    sendgrid_post = orjson.dumps([
        sendgrid_event("click", "sg-ok", "ok@initech.com", now, url="https://x.example"),
        sendgrid_event("click", "sg-bad", "", now),
    ])  # fmt: skip
    bad_crm = orjson.dumps(canonical("crm", "sales_maybe", "c-1", now, email="ok@initech.com"))
    good_crm = orjson.dumps(canonical("crm", "sales_accepted", "c-2", now, email="eve@x.io"))
    bad_routed = b'{"lead_id": 5, "signal": "nope"}'

    async with running_app(build_app(settings)), open_store(settings, rules) as store:
        await feed_in_event_order(settings, store, warm_up())
        injected = Signal(
            event_id="inj-1",
            channel="web",
            occurred_at=now,
            name="Webinar Attended",
            identity={"user_id": "inj"},
        )
        (routed,) = await store.resolve([injected])
        sent = await produce_records(
            settings.kafka_bootstrap,
            [
                *web_batch,
                (topics.email, b"ok", sendgrid_post),
                (topics.crm, b"ok", bad_crm),
                (topics.crm, b"ok", good_crm),
                (topics.signals, b"u:inj", bad_routed),
                (topics.signals, b"u:inj", routed.model_dump_json().encode()),
            ],
        )
        dead = await read_until(
            settings.kafka_bootstrap, [topics.dead_letter], lambda rs: len(rs) >= 10
        )
        routing = await read_until(
            settings.kafka_bootstrap,
            [topics.routing],
            lambda rs: (
                {(e.subject, e.type) for e in transition_events(rs)}
                >= {("u:ok", "io.leadq.lead.sql"), ("e:eve@x.io", "io.leadq.lead.sql")}
            ),
        )
        good = [
            Signal(event_id=e, channel="web", occurred_at=now, identity=identity)
            for e, identity in [
                ("sg-ok", {"email": "ok@initech.com"}),
                ("old-1", {"user_id": "old-timer"}),
                ("inj-1", {"user_id": "inj"}),
            ]
        ]
        assert await applied(store, good)
        old_timer = await store.lead("u:old-timer")

    by_source = {dead_letter_sources(r): r for r in dead}
    assert len(by_source) == len(dead)  # one record per bad message
    rejected = [(i, raw, telltale) for i, (raw, telltale) in enumerate(bad_web)]
    rejected += [
        (len(web_batch), sendgrid_post, "item 1: email: required but missing or empty"),
        (len(web_batch) + 1, bad_crm, "name: Input should be"),
        (len(web_batch) + 3, bad_routed, "not a routed signal"),
    ]
    for index, raw, telltale in rejected:
        record = by_source.pop(sent[index])
        assert record.value == raw
        assert record.key == (b"u:inj" if index == len(web_batch) + 3 else b"ok")
        assert telltale in record.headers[REASON_HEADER].decode()
    assert not by_source, {k: v.headers[REASON_HEADER] for k, v in by_source.items()}

    mql_sql = [e for e in transition_events(routing) if e.subject == "u:ok"]
    assert [(e.type, e.data.trigger_event_id) for e in mql_sql] == [
        ("io.leadq.lead.mql", "ok-demo"),
        ("io.leadq.lead.sql", "ok-demo"),
    ]
    assert old_timer is not None
    assert old_timer.seen == {event_digest("old-1"): 12_000}


async def test_a_payload_over_1_mib_is_dead_lettered_and_its_batch_goes_on(
    qualifier_settings: Settings,
) -> None:
    settings = qualifier_settings
    now = recent_start(hours_ago=0.5)
    huge = canonical("crm", "sales_accepted", "huge-1", now, email="big@x.io")
    huge["properties"] = {"notes": "x" * (1200 * 1024)}
    huge_bytes = orjson.dumps(huge)
    good = orjson.dumps(canonical("crm", "sales_accepted", "after-huge", now, email="ok@x.io"))
    assert len(huge_bytes) > 1024 * 1024
    async with running_app(build_app(settings)):
        # The broker takes it (a producer needs a higher max_request_size to send it).
        (huge_source, good_source) = await produce(
            settings.kafka_bootstrap,
            settings.topics.crm,
            [huge_bytes, good],
            key=b"k",
            max_request_size=4 * 1024 * 1024,
        )
        assert huge_source[1] == good_source[1]  # one partition: one batch
        dead, routing = await read_dead_letter_and_routing(settings, deadline_s=10)
    (record,) = dead
    assert record.value == huge_bytes
    assert "over the limit" in record.headers[REASON_HEADER].decode()
    assert dead_letter_sources(record) == huge_source
    assert [e.subject for e in routing] == ["e:ok@x.io"]


async def read_dead_letter_and_routing(
    settings: Settings, deadline_s: float
) -> tuple[list[Record], list[TransitionEvent]]:
    topics = [settings.topics.dead_letter, settings.topics.routing]

    def done(records: Sequence[Record]) -> bool:
        return {r.topic for r in records} == set(topics)

    records = await read_until(settings.kafka_bootstrap, topics, done, deadline_s=deadline_s)
    dead = [r for r in records if r.topic == settings.topics.dead_letter]
    routing = [r for r in records if r.topic == settings.topics.routing]
    return dead, transition_events(routing)


async def test_a_dead_letter_too_large_for_the_producer_goes_truncated(
    qualifier_settings: Settings,
) -> None:
    settings = qualifier_settings.with_changes(producer_max_request_bytes=256 * 1024)
    junk = b"{" + b"x" * (400 * 1024)  # not JSON, and larger than this worker may produce
    now = recent_start(hours_ago=0.5)
    good = orjson.dumps(canonical("crm", "sales_accepted", "after-junk", now, email="ok@y.io"))
    async with running_app(build_app(settings)):
        (junk_source, _) = await produce(
            settings.kafka_bootstrap,
            settings.topics.crm,
            [junk, good],
            key=b"k",
            max_request_size=4 * 1024 * 1024,
        )
        dead, routing = await read_dead_letter_and_routing(settings, deadline_s=20)
    (record,) = dead
    headers = {key: value.decode() for key, value in record.headers.items()}
    assert record.value == junk[: 64 * 1024]
    assert headers["leadq.truncated"] == "true"
    assert headers["leadq.original_size"] == str(len(junk))
    assert "not JSON" in headers[REASON_HEADER]
    assert dead_letter_sources(record) == junk_source
    assert [e.subject for e in routing] == ["e:ok@y.io"]
