"""The qualifier end to end through a running worker: vendor events in, transitions out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from agents.worker import build_app
from schemas.transition import TransitionEvent
from streams.kafka.dead_letter import REASON_HEADER
from streams.settings import Settings
from tests.helpers import SCENARIO_RULES, produce, read_until, running_app

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


def segment(kind: str, message_id: str, minutes: int, **fields: object) -> bytes:
    at = (T0 + timedelta(minutes=minutes)).isoformat()
    return orjson.dumps(
        {"type": kind, "messageId": message_id, "timestamp": at, "userId": "ann", **fields}
    )


def sendgrid(event_id: str, minutes: int) -> bytes:
    at = int((T0 + timedelta(minutes=minutes)).timestamp())
    return orjson.dumps(
        [
            {
                "email": "ann@acme.com",
                "timestamp": at,
                "event": "click",
                "sg_event_id": event_id,
                "sg_message_id": "msg-1",
                "url": "https://acme.example/x",
            }
        ]
    )


async def test_events_become_explained_transitions(leadq_settings: Settings) -> None:
    settings = leadq_settings.with_changes(rules_path=SCENARIO_RULES)
    web = [
        segment("identify", "m0", 0, traits={"email": "ann@acme.com", "seniority": "vp"}),
        segment(
            "group", "m1", 1, groupId="acme", traits={"industry": "software", "employees": 1200}
        ),
        *[segment("page", f"p{i}", 2 + i, properties={"path": "/pricing"}) for i in range(2)],
        segment("track", "w1", 5, event="Webinar Attended"),
        segment("page", "c1", 6, properties={"path": "/customers/bigco"}),
        segment("track", "d1", 7, event="Demo Requested"),
    ]
    async with running_app(build_app(settings)) as app:
        # The consumer got the configured fetch wait, not Faust's hard-coded 1500 ms.
        consumer = app.consumer._thread._consumer  # type: ignore[attr-defined]
        assert consumer._fetch_max_wait_ms == settings.consumer_fetch_max_wait_ms
        await produce(settings.kafka_bootstrap, settings.topics.web, web, key=b"ann")
        await produce(settings.kafka_bootstrap, settings.topics.email, [sendgrid("sg1", 8)])
        records = await read_until(
            settings.kafka_bootstrap,
            [settings.topics.routing],
            lambda rs: (
                {TransitionEvent.model_validate_json(r.value or b"").type for r in rs}
                >= {"io.leadq.lead.mql", "io.leadq.lead.sql"}
            ),
        )
    events = [TransitionEvent.model_validate_json(r.value or b"") for r in records]
    mql = next(e for e in events if e.type == "io.leadq.lead.mql")
    assert records[0].key == b"u:ann"
    assert mql.subject == mql.partitionkey == "u:ann"
    assert mql.data.trigger_event_id == "d1"
    assert mql.data.fit is not None
    assert mql.data.fit.grade == "A"
    assert mql.data.top_signals[0].rule_id == "demo_request"
    assert mql.data.account is not None
    assert mql.data.account.account_id == "acme"


async def test_bad_input_is_dead_lettered_and_the_rest_goes_on(leadq_settings: Settings) -> None:
    settings = leadq_settings.with_changes(rules_path=SCENARIO_RULES)
    bad = [b"{not json", b"[1, 2]", b'{"type": "track"}', b'{"hello": "world"}']
    async with running_app(build_app(settings)):
        sent = await produce(settings.kafka_bootstrap, settings.topics.web, bad, key=b"k")
        await produce(
            settings.kafka_bootstrap,
            settings.topics.web,
            [segment("track", "ok1", 0, event="Demo Requested")],
        )
        dead = await read_until(
            settings.kafka_bootstrap, [settings.topics.dead_letter], lambda rs: len(rs) >= len(bad)
        )
    assert sorted(r.value or b"" for r in dead) == sorted(bad)
    reasons = {dict(r.headers)[REASON_HEADER].decode() for r in dead}
    assert all(reason for reason in reasons)
    sources = {
        (
            dict(r.headers)["leadq.source.topic"].decode(),
            int(dict(r.headers)["leadq.source.offset"]),
        )
        for r in dead
    }
    assert sources == {(topic, offset) for topic, _, offset in sent}
