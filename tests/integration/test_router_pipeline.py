"""The router inside a full worker: facts from the worker's own state, touches by email.

A buyer's vendor events go through the worker (qualifier and router in one process).
The rule that routes her needs facts the transition does not carry — her account's
country and size (from a Segment group call) and her persona — which the router reads
from the lead's state (the read API's code path). Her CRM acceptance names only her
email: the router resolves it through the identity index to her lead and stops the SLA
clock, while the acceptance itself makes her an SQL that stays with her owner.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from agents.router import Router
from agents.worker import build_app
from leadq.compiled import compile_rules
from schemas.rules import load_rules
from streams.settings import RoutingSettings, Settings
from tests.helpers import running_app, wait_for
from tests.integration.routing_support import ALWAYS, read_assignments
from tests.integration.scenario import (
    Inbound,
    canonical,
    feed_in_event_order,
    open_store,
    recent_start,
    segment,
)

pytestmark = pytest.mark.integration


def emea_routing(directory: Path) -> Path:
    team = {"working_hours": ALWAYS, "manager": {"id": "boss"}, "fallback": {"rep": "x1"}}
    data = {
        "regions": {"emea": ["DE", "FR"]},
        "teams": [
            {"id": "emea", "reps": [{"id": "e1"}, {"id": "e2"}], **team,
             "fallback": {"rep": "e1"}},
            {"id": "inbound", "reps": [{"id": "x1"}], **team},
        ],
        "rules": [
            {"name": "emea-deciders", "team": "emea",
             "when": {"region": ["emea"], "employees": {"gte": 1000},
                      "persona": ["decision_maker"], "industry": ["software"]},
             "sla": {"first_touch": "3s", "max_reassignments": 1}},
            {"name": "rest", "team": "inbound", "sla": {"first_touch": "3s"}},
        ],
    }  # fmt: skip
    path = directory / "routing.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def journey() -> tuple[list[Inbound], Inbound]:
    start = recent_start(hours_ago=1)
    at = iter(start + timedelta(minutes=3 * n) for n in range(6))
    ann = "ann"
    product_at = start + timedelta(minutes=30)
    events = [
        Inbound("web", ann, segment("identify", "rp-01", next(at), user_id=ann, traits={
            "email": "Ann@Acme.com", "seniority": "vp", "title": "VP Engineering"})),
        Inbound("web", ann, segment("group", "rp-02", next(at), user_id=ann, groupId="acme",
            traits={"industry": "software", "employees": 1200, "country": "DE"})),
        Inbound("web", ann, segment("page", "rp-03", next(at), user_id=ann,
            properties={"path": "/pricing"})),
        Inbound("web", ann, segment("track", "rp-04", next(at), user_id=ann,
            event="Webinar Attended")),
        # Product use in one second (as in test_end_to_end): MQL, then PQL.
        *[
            Inbound("product", ann, segment("track", f"rp-{n:02d}", product_at, user_id=ann,
                event="Feature Used" if n > 10 else "Signed Up", properties={"n": n}))
            for n in range(10, 15)
        ],
    ]  # fmt: skip
    crm = Inbound(
        "crm",
        ann,
        canonical(
            "crm", "sales_accepted", "rp-99", start + timedelta(minutes=40), email="ann@acme.com"
        ),
    )
    return events, crm


async def test_facts_come_from_the_workers_state_and_a_touch_by_email_stops_the_clock(
    qualifier_settings: Settings, tmp_path: Path
) -> None:
    settings = qualifier_settings.with_changes(
        routing_path=emea_routing(tmp_path),
        routing=RoutingSettings(sla_poll_interval_s=0.2).model_dump(),
    )
    rules = compile_rules(load_rules(settings.rules_path))
    events, crm = journey()
    app = build_app(settings)
    async with running_app(app), open_store(settings, rules) as store:
        router: Router = app.leadq_router  # type: ignore[attr-defined]
        await feed_in_event_order(settings, store, events)
        mql, pql = await read_assignments(settings, 2)
        await feed_in_event_order(settings, store, [crm])
        *_, sql = await read_assignments(settings, 3)

        async def touch_recorded() -> bool:
            return router.counters.touches == 1 and router.counters.breached == 0

        await wait_for(touch_recorded, "the touch recorded")
        assert sql.data.sla_deadline is not None
        await asyncio.sleep(3.5)  # past the SQL's deadline: the touch closed its clock
        assert router.counters.touched_in_time == 1
        assert router.counters.breached == 0
    assert (mql.data.stage, mql.data.team.id, mql.data.rule, mql.data.owner.id) == (
        "mql",
        "emea",
        "emea-deciders",
        "e1",
    )
    assert mql.data.lead.country == "DE"
    assert mql.data.lead.company is None  # the group call named no company name
    assert (pql.data.stage, pql.data.owner.id) == ("pql", "e1")
    assert (sql.data.stage, sql.data.owner.id, sql.data.reason) == (
        "sql",
        "e1",
        "owner of lead u:ann (3 today)",
    )
