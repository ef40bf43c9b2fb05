"""The demo's scenario without servers: time shifting, waves, and what it must cause."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import orjson
import pytest

from cli.demo import render as demo_render
from cli.demo.run import featured
from cli.demo.scenario import DEMO_EVENTS, expect, load_scenario, plan_waves, shift_times
from leadq.compiled import compile_rules
from leadq.state import AccountState, LeadState
from leadq.views import account_view, lead_view
from schemas.rules import load_rules
from schemas.transition import TransitionEvent, to_cloudevent
from streams.settings import Settings

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


@pytest.fixture(scope="module")
def rules_version() -> str:
    return compile_rules(load_rules(Settings().rules_path)).version


def shifted(document: object, seconds: int) -> object:
    return orjson.loads(shift_times(orjson.dumps(document), seconds))


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({"timestamp": "2026-11-24T08:00:00Z"}, {"timestamp": "2026-11-24T08:01:00Z"}),
        (
            {"occurred_at": "2026-11-24T10:00:00+02:00"},
            {"occurred_at": "2026-11-24T10:01:00+02:00"},
        ),
        ([{"timestamp": 1764000000}], [{"timestamp": 1764000060}]),
        ({"sentAt": 1764000000000}, {"sentAt": 1764000060000}),
        ({"timestamp": "1764000000"}, {"timestamp": "1764000060"}),
        (
            {"properties": {"timestamp": "soon", "count": 3}},
            {"properties": {"timestamp": "soon", "count": 3}},
        ),
    ],
)
def test_time_fields_move_by_whole_seconds(before: object, after: object) -> None:
    assert shifted(before, 60) == after


def test_malformed_documents_stay_malformed() -> None:
    assert shift_times(b'{"timestamp": ', 60) == b'{"timestamp": '


def test_the_newest_event_is_moved_to_now() -> None:
    documents = load_scenario(DEMO_EVENTS, NOW_MS)
    newest = max(s.occurred_ms for d in documents for s in d.signals)
    assert NOW_MS - 1000 < newest <= NOW_MS


def test_waves_send_anonymous_visits_first_and_sales_feedback_last() -> None:
    waves = plan_waves(load_scenario(DEMO_EVENTS, NOW_MS))
    assert [w.title for w in waves] == ["anonymous visits", "identified activity", "sales feedback"]
    assert all(d.channel == "crm" for d in waves[-1].documents)
    assert all(not s.identity.email for d in waves[0].documents for s in d.signals)
    assert sum(len(w.documents) for w in waves) == len(load_scenario(DEMO_EVENTS, NOW_MS))


def test_the_scenario_causes_mql_sql_mqa_and_one_dead_letter() -> None:
    rules = compile_rules(load_rules(Settings().rules_path))
    expected = expect(load_scenario(DEMO_EVENTS, NOW_MS), rules)
    assert expected.counts() == {
        ("io.leadq.lead.mql", "u:ada"): 1,
        ("io.leadq.lead.sql", "u:ada"): 1,  # the hand-raise fast lane
        ("io.leadq.account.mqa", "acme.io"): 1,
        ("io.leadq.lead.mql", "e:bob@acme.io"): 1,
        ("io.leadq.lead.mql", "u:carol"): 1,
        ("io.leadq.lead.mql", "e:grace@globex.com"): 1,
        ("io.leadq.lead.sql", "e:grace@globex.com"): 1,  # sales accepted
    }
    [ada_sql] = [t for t in expected.transitions if t.stage_to == "sql" and t.entity_id == "u:ada"]
    assert ada_sql.reason == "hand-raise: demo_request (Requested a demo)"
    assert expected.dead_letters == 1
    assert featured(expected) == ("u:ada", "acme.io")


def test_a_transition_reads_well(rules_version: str) -> None:
    rules = compile_rules(load_rules(Settings().rules_path))
    expected = expect(load_scenario(DEMO_EVENTS, NOW_MS), rules)
    mqa = next(to_cloudevent(t) for t in expected.transitions if t.entity == "account")
    text = demo_render.transition(TransitionEvent.model_validate_json(mqa.model_dump_json()), 7.25)
    assert text.startswith("[  7.2s] io.leadq.account.mqa  account acme.io  at ")
    assert "unengaged → mqa: account score" in text
    assert "demo_request    30.0 of 30 pts  web-ada-7" in text
    assert "(u:ada)" in text


def test_the_console_prints_and_keeps_milestones() -> None:
    out = io.StringIO()
    console = demo_render.Console(out)
    console.say("hello")
    console.mark("done")
    assert out.getvalue() == "hello\n"
    assert demo_render.timings(console.marks).startswith("timings, seconds since the start: done ")


def test_views_show_derived_traits() -> None:
    rules = compile_rules(load_rules(Settings().rules_path))
    lead = LeadState(lead_id="u:ada", email="ada@acme-robotics.com", account_id="acme")
    lead.traits = {"title": ("VP of Engineering", 1), "address": ({"country": "USA"}, 1)}
    account = AccountState(account_id="acme", domain="acme-robotics.com")
    account.traits = {"employees": ("1,001-5,000", 1), "industry": ("Computer Software", 1)}
    text = demo_render.lead_view(lead_view(lead, account, NOW_MS, rules))
    assert "person: title=VP of Engineering, seniority=vp, department=engineering, country=US" in (
        text
    )
    assert "company: employees=1001, industry=software, domain=acme-robotics.com" in text
    text = demo_render.account_view(account_view(account, NOW_MS, rules))
    assert "company: employees=1001, industry=software, domain=acme-robotics.com" in text
