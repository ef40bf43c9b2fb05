"""One buyer end to end: vendor events on every inbound topic → CloudEvents → Redis.

Segment identify/group/page/track on the web topic, Segment track calls on the product
topic, a SendGrid webhook array (a machine open and a click) on the email topic and a
leadq canonical CRM verdict on the crm topic become, through a running worker, MQL, PQL
and SQL transitions on the routing topic (CloudEvents 1.0, keyed by lead, with their
explanation) and the lead's and account's state in Redis.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event

from agents.worker import build_app
from leadq.compiled import compile_rules
from schemas.rules import load_rules
from schemas.transition import (
    CLOUDEVENT_SOURCE,
    TRANSITION_DATA_SCHEMA_ID,
    TransitionData,
    TransitionEvent,
)
from streams.kafka.topic_reader import Record
from streams.settings import Settings
from tests.helpers import SCENARIO_RULES, read_until, running_app
from tests.integration.scenario import (
    Inbound,
    canonical,
    distinct,
    expected_events,
    feed_in_event_order,
    has_ids,
    open_store,
    recent_start,
    replay_of,
    segment,
    sendgrid_event,
)

pytestmark = pytest.mark.integration


def buyer_journey() -> list[Inbound]:
    start = recent_start(hours_ago=1)
    at = iter(start + timedelta(minutes=3 * n) for n in range(7))
    ann = "ann"
    product_at = start + timedelta(minutes=30)
    crm_at = start + timedelta(minutes=40)
    return [
        Inbound("web", ann, segment("identify", "e2e-01", next(at), user_id=ann, traits={
            "email": "Ann@Acme.com", "seniority": "vp", "title": "VP Engineering"})),
        Inbound("web", ann, segment("group", "e2e-02", next(at), user_id=ann, groupId="acme",
            traits={"industry": "software", "employees": 1200, "website": "acme.com"})),
        Inbound("web", ann, segment("page", "e2e-03", next(at), user_id=ann,
            properties={"path": "/pricing"}, context={"page": {"title": "Pricing"}})),
        Inbound("web", ann, segment("page", "e2e-04", next(at), user_id=ann,
            properties={"path": "/customers/globex"})),
        Inbound("web", ann, segment("track", "e2e-05", next(at), user_id=ann,
            event="Webinar Attended")),
        Inbound("email", ann, [
            sendgrid_event("open", "e2e-06", "ann@acme.com", next(at), sg_machine_open=True),
            sendgrid_event("click", "e2e-07", "ann@acme.com", next(at),
                url="https://acme.example/roi"),
        ]),
        # A burst of product use in one second: 20 + 4 x 5 points reach PQL's 40 exactly.
        *[
            Inbound("product", ann, segment("track", f"e2e-{n:02d}", product_at, user_id=ann,
                event="Feature Used" if n > 8 else "Signed Up", properties={"n": n}))
            for n in range(8, 13)
        ],
        Inbound("crm", ann, canonical("crm", "sales_accepted", "e2e-13", crm_at,
            email="ann@acme.com") | {"owner": "rep-42", "opportunity_id": "opp-1"}),
    ]  # fmt: skip


async def test_vendor_events_become_cloudevents_and_redis_state(
    qualifier_settings: Settings,
) -> None:
    settings = qualifier_settings.with_changes(rules_path=SCENARIO_RULES)
    rules = compile_rules(load_rules(settings.rules_path))
    messages = buyer_journey()
    wanted = expected_events(await replay_of(messages, rules))
    async with running_app(build_app(settings)), open_store(settings, rules) as store:
        await feed_in_event_order(settings, store, messages)
        records = await read_until(
            settings.kafka_bootstrap, [settings.topics.routing], has_ids(wanted)
        )
        lead = await store.lead("u:ann")
        account = await store.account("acme.com")

    # CloudEvents 1.0, structured mode, keyed by lead, with deterministic ids.
    events = {}
    for record in records:
        event = TransitionEvent.model_validate_json(record.value or b"")
        assert record.key == event.partitionkey.encode() == b"u:ann"
        # Structured mode as the Kafka binding says: one content-type header, no ce_*.
        assert record.headers == {"content-type": b"application/cloudevents+json"}
        assert (event.specversion, event.source) == ("1.0", CLOUDEVENT_SOURCE)
        assert event.dataschema == TRANSITION_DATA_SCHEMA_ID
        assert read_by_cloudevents_sdk(record) == event
        events[event.type] = event
    assert distinct(events.values()) == wanted
    assert list(events) == ["io.leadq.lead.mql", "io.leadq.lead.pql", "io.leadq.lead.sql"]

    mql, pql, sql = events.values()
    assert mql.data.trigger_event_id == "e2e-09"  # the first feature use crossed 100
    assert mql.data.fit is not None
    assert mql.data.fit.grade == "A"
    assert mql.data.account is not None
    # The group "acme" gave its website: the account is keyed by that domain.
    assert mql.data.account.account_id == "acme.com"
    top = [(s.rule_id, s.event_id) for s in mql.data.top_signals]
    assert top[:2] == [("product_signup", "e2e-08"), ("pricing_page", "e2e-03")]
    assert (pql.data.track, pql.data.trigger_event_id) == ("product", "e2e-12")
    assert (sql.data.reason, sql.data.trigger_event_id) == ("crm: sales_accepted", "e2e-13")

    assert lead is not None
    assert account is not None
    assert (lead.stage, lead.product_stage) == ("sql", "pql")
    assert (lead.email, lead.account_id) == ("ann@acme.com", "acme.com")
    assert account.ids == ["acme"]
    assert lead.trait_values()["title"] == "VP Engineering"
    assert all(lead.has_seen(f"e2e-{n:02d}") for n in range(1, 14))
    scored = {(c.rule_id, c.event_id) for c in lead.contributions}
    assert ("email_click", "e2e-07") in scored
    assert not any(event_id == "e2e-06" for _, event_id in scored)  # a machine open
    assert account.traits["industry"][0] == "software"
    assert set(account.members) == {"u:ann"}


def read_by_cloudevents_sdk(record: Record) -> TransitionEvent:
    """``record`` as the CloudEvents SDK reads it with automatic mode detection (binary
    when any ``ce_*`` header is present, else structured), back in our model."""
    sdk_event = from_kafka_event(KafkaMessage(record.headers, record.key, record.value or b""))
    attributes = sdk_event.get_attributes()
    # The SDK adds the Kafka key as the partitionkey extension: it must be ours.
    assert record.key is not None
    assert attributes["partitionkey"] == record.key.decode()
    data = TransitionData.model_validate(sdk_event.get_data())
    return TransitionEvent.model_validate({**attributes, "data": data})
