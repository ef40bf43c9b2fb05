"""Speed-to-lead SLAs on the real broker and Redis.

A missed deadline emits ``sla_breached`` and reassigns to the next rep, up to
``max_reassignments``, then escalates to the team's manager; the clocks are in Redis, so
a router stopped before a deadline and started after it still fires it (once); a CRM
touch on the crm topic before the deadline stops the clock.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents.router import Router
from agents.worker import build_app
from streams.routing.keys import RoutingKeys
from streams.settings import RoutingSettings, Settings
from streams.state.connect import redis_client
from tests.helpers import produce, running_app, wait_for
from tests.integration.routing_support import (
    crm_touch,
    read_assignments,
    routing_file,
    send_transitions,
    transition,
)

pytestmark = pytest.mark.integration
FAST = RoutingSettings(sla_poll_interval_s=0.2)


def sla_settings(settings: Settings, tmp_path: Path, first_touch: str, retries: int) -> Settings:
    path = routing_file(tmp_path, first_touch=first_touch, max_reassignments=retries)
    return settings.with_changes(routing_path=path, routing=FAST.model_dump())


def router_of(app: object) -> Router:
    router: Router = app.leadq_router  # type: ignore[attr-defined]
    return router


async def test_missed_deadlines_reassign_then_escalate_and_survive_a_restart(
    qualifier_settings: Settings, tmp_path: Path
) -> None:
    settings = sla_settings(qualifier_settings, tmp_path, first_touch="2s", retries=1)
    ada = transition("u:ada", account="acme.io")
    async with running_app(build_app(settings, only=["router"])):
        await send_transitions(settings, [ada])
        [assigned] = await read_assignments(settings, 1)
    # Stopped before the deadline: the clock is in Redis and fires after the restart.
    assert assigned.data.sla_deadline is not None
    client = redis_client(settings.redis_url)
    try:
        due = await client.zrange(RoutingKeys().deadlines("inbound"), 0, -1)
    finally:
        await client.aclose()
    assert due == [ada.id.encode()]
    await asyncio.sleep(max(0.0, (assigned.data.sla_deadline - datetime.now(UTC)).total_seconds()))
    async with running_app(build_app(settings, only=["router"])) as app:
        events = await read_assignments(settings, 5, deadline_s=20)
        await asyncio.sleep(1.0)  # nothing more may come
        router = router_of(app)
        assert (router.counters.breached, router.counters.reassigned) == (2, 1)
        assert router.counters.escalated == 1
    assert len(await read_assignments(settings, 5)) == 5
    kinds = [(e.type.rsplit(".", 1)[1], e.data.owner.id, e.data.attempt) for e in events]
    assert kinds == [
        ("assigned", "r1", 0),
        ("sla_breached", "r1", 0),
        ("assigned", "r2", 1),
        ("sla_breached", "r2", 1),
        ("assigned", "boss", 2),
    ]
    reassigned, escalated = events[2].data, events[4].data
    assert reassigned.previous_owner is not None
    assert reassigned.previous_owner.id == "r1"
    assert reassigned.reason.startswith("reassigned after r1 missed the SLA: round robin")
    assert escalated.escalated
    assert escalated.sla_deadline is None
    assert len({e.id for e in events}) == 5


async def test_a_crm_touch_before_the_deadline_stops_the_clock(
    qualifier_settings: Settings, tmp_path: Path
) -> None:
    settings = sla_settings(qualifier_settings, tmp_path, first_touch="3s", retries=1)
    touched = transition("e:ada@acme.io")
    missed = transition("e:bob@acme.io")
    async with running_app(build_app(settings, only=["router"])) as app:
        await send_transitions(settings, [touched, missed])
        await read_assignments(settings, 2)
        touch = crm_touch("ada@acme.io", "crm-1", datetime.now(UTC))
        await produce(settings.kafka_bootstrap, settings.topics.crm, [touch])
        router = router_of(app)

        async def both_handled() -> bool:
            return router.counters.touched_in_time == 1 and router.counters.breached == 1

        await wait_for(both_handled, "one touch in time, one breach", deadline_s=15)
        events = await read_assignments(settings, 4)
        await asyncio.sleep(1.0)
    assert router.counters.touches == 1
    leads = [(e.data.lead.lead_id, e.type.rsplit(".", 1)[1]) for e in events]
    assert sorted(leads) == [
        ("e:ada@acme.io", "assigned"),
        ("e:bob@acme.io", "assigned"),
        ("e:bob@acme.io", "assigned"),
        ("e:bob@acme.io", "sla_breached"),
    ]


async def test_a_lead_routed_again_runs_one_clock_the_newest(
    qualifier_settings: Settings, tmp_path: Path
) -> None:
    settings = sla_settings(qualifier_settings, tmp_path, first_touch="2s", retries=0)
    mql = transition("u:grace")
    sql = transition("u:grace", stage_from="mql", stage_to="sql", trigger_event_id="demo")
    async with running_app(build_app(settings, only=["router"])) as app:
        await send_transitions(settings, [mql, sql])
        router = router_of(app)

        async def escalated() -> bool:
            return router.counters.escalated >= 1

        await wait_for(escalated, "the SQL's clock ran out", deadline_s=15)
        await asyncio.sleep(2.5)  # the MQL's clock would run out by now
        events = await read_assignments(settings, 4)
    assert router.counters.breached == 1
    steps = [(e.data.stage, e.type.rsplit(".", 1)[1], e.data.owner.id) for e in events]
    assert steps == [
        ("mql", "assigned", "r1"),
        ("sql", "assigned", "r1"),
        ("sql", "sla_breached", "r1"),
        ("sql", "assigned", "boss"),
    ]
    assert events[1].data.reason == "owner of lead u:grace (2 today)"
