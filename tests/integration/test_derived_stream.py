"""Rules on derived traits in the stream: plain Segment data (a job title, a company size
as a range string, group firmographics) qualifies people through the worker exactly as
``leadq replay`` qualifies them, transitions and their person/company views included.

Acme Robotics: Ada (title "VP of Engineering", company size "1,001-5,000" in her
identify traits) reads pricing and requests a demo: MQL. Initech (a group call with
``employees: "10k+"`` and ``industry: "Computer Software"``): its CTO, known only by a
title, becomes an MQL on a demo request. A "Computer Science Student" who requests a
demo is disqualified, never promoted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from agents.worker import build_app
from leadq.compiled import compile_rules
from schemas.rules import load_rules
from streams.settings import Settings
from tests.helpers import read_until, running_app
from tests.integration.scenario import (
    Inbound,
    distinct,
    expected_events,
    feed_in_event_order,
    has_ids,
    open_store,
    recent_start,
    replay_of,
    segment,
    transition_events,
)
from tests.unit.test_derived_rules import RULES_DATA

pytestmark = pytest.mark.integration


def derived_story(start: datetime) -> list[Inbound]:
    at = iter(start + timedelta(minutes=2 * n) for n in range(100))
    ada, cto, stu = "ada", "cto-initech", "stu"
    return [
        Inbound("web", ada, segment("identify", "ada-id", next(at), user_id=ada, traits={
            "email": "ada@acme-robotics.com", "title": "VP of Engineering",
            "company": {"name": "Acme Robotics", "employee_count": "1,001-5,000"}})),
        Inbound("web", cto, segment("group", "cto-grp", next(at), user_id=cto,
            groupId="acct-initech", traits={"name": "Initech", "employees": "1,001-5,000",
            "industry": "Computer Software", "website": "https://www.initech.example/"})),
        Inbound("web", cto, segment("identify", "cto-id", next(at), user_id=cto,
            traits={"title": "CTO"}, context={"groupId": "acct-initech"})),
        Inbound("web", ada, segment("page", "ada-p1", next(at), user_id=ada,
            properties={"path": "/pricing"})),
        Inbound("web", stu, segment("identify", "stu-id", next(at), user_id=stu,
            traits={"email": "stu@gmail.com", "title": "Computer Science Student"})),
        Inbound("web", ada, segment("track", "ada-demo", next(at), user_id=ada,
            event="Demo Requested")),
        Inbound("web", cto, segment("track", "cto-demo", next(at), user_id=cto,
            event="Demo Requested", context={"groupId": "acct-initech"})),
        Inbound("web", stu, segment("track", "stu-demo", next(at), user_id=stu,
            event="Demo Requested")),
    ]  # fmt: skip


async def test_derived_trait_rules_qualify_the_same_in_stream_and_replay(
    qualifier_settings: Settings, tmp_path: Path
) -> None:
    rules_path = tmp_path / "derived-rules.yaml"
    rules_path.write_text(yaml.safe_dump(RULES_DATA))
    settings = qualifier_settings.with_changes(rules_path=rules_path)
    rules = compile_rules(load_rules(rules_path))
    messages = derived_story(recent_start())

    replayed = expected_events(await replay_of(messages, rules))
    moves = sorted((e.subject, e.data.stage_to) for e in replayed.values())
    assert moves == [("u:ada", "mql"), ("u:cto-initech", "mql"), ("u:stu", "disqualified")]
    by_lead = {e.subject: e.data for e in replayed.values()}
    assert by_lead["u:ada"].person["seniority"] == "vp"
    assert by_lead["u:ada"].company["employees"] == 1001
    assert by_lead["u:cto-initech"].person == {
        "title": "CTO",
        "seniority": "c_level",
        "department": "engineering",
    }
    assert by_lead["u:cto-initech"].company["industry"] == "software"
    assert by_lead["u:cto-initech"].company["domain"] == "initech.example"
    assert by_lead["u:stu"].fit is not None
    assert by_lead["u:stu"].fit.disqualifiers == ("is a student",)

    async with running_app(build_app(settings)), open_store(settings, rules) as store:
        await feed_in_event_order(settings, store, messages)
        records = await read_until(
            settings.kafka_bootstrap, [settings.topics.routing], has_ids(replayed)
        )
    streamed = distinct(transition_events(records))
    assert streamed.keys() == replayed.keys()
    for event_id, event in replayed.items():
        assert streamed[event_id] == event
