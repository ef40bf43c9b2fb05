"""Rules on ``person.`` and ``company.``: validation, scoring on plain Segment-like traits
(a title, a size range), precedence, the profile cache, and the read views.

Run on both state stores (memory and a real Redis) like the other engine scenarios.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from typing import Any

import pytest

from leadq import engine
from leadq.compiled import CompiledRules, compile_rules
from leadq.derived import TABLES_DIGEST, derive
from leadq.engine import profile_basis
from leadq.profile import build_profile, person_subject
from leadq.views import account_view, lead_view
from schemas.rules import RulesError, rules_from_data
from tests.unit.test_engine_scenarios import T0, group, identify, run, sig

RULES_DATA: dict[str, Any] = {
    "fit": {
        "rules": [
            {"id": "senior_buyer", "when": {"person.seniority": ["vp", "c_level", "head"]},
             "points": 30},
            {"id": "engineering", "when": {"person.department": ["engineering", "it"]},
             "points": 10},
            {"id": "mid_market", "when": {"company.employees": {"gte": 1000, "lte": 5000}},
             "points": 20},
            {"id": "software", "when": {"company.industry": "software"}, "points": 10},
        ],
        "grades": {"A": 60, "B": 30, "C": 10},
        "disqualifiers": [
            {"id": "student", "reason": "is a student",
             "when": {"person.seniority": ["student", "intern"]}},
            {"id": "embargo", "reason": "is in a region we do not sell to",
             "when": {"person.country": ["KP", "IR"]}},
        ],
    },
    "intent": {"rules": [
        {"id": "demo", "when": {"name": "Demo Requested"}, "points": 50},
        {"id": "pricing", "when": {"type": "page", "properties.path": "/pricing"}, "points": 10},
    ]},
    "stages": {"mql": {"enter": 100, "exit": 60}},
    "personas": [
        {"id": "decision_maker", "when": {"person.seniority": ["c_level", "vp", "owner"]}},
    ],
}  # fmt: skip
RULES: CompiledRules = compile_rules(rules_from_data(RULES_DATA))

pytestmark = pytest.mark.usefixtures("store_kind")

VP_TRAITS: dict[str, Any] = {
    "email": "ada@acme-robotics.com",
    "title": "VP of Engineering",
    "company": {"name": "Acme Robotics", "employee_count": "1,001-5,000"},
}


def with_condition(kind: str, condition: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(RULES_DATA)
    data["fit"]["rules" if kind == "fit" else "disqualifiers"].append(
        {"id": "extra", "when": condition, "points": 1}
        if kind == "fit"
        else {"id": "extra", "reason": "r", "when": condition}
    )
    return data


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ({"person.senority": "vp"}, "unknown field 'person.senority'"),
        ({"person.seniority": "vice_president"}, "'vice_president' is not one of"),
        ({"person.department": {"in": ["engineering", "devops"]}}, "'devops' is not one of"),
        ({"company.industry": {"not_in": ["softwre"]}}, "'softwre' is not one of"),
        ({"company.employees_band": "1000-5000"}, "'1000-5000' is not one of"),
        ({"company.size": {"gte": 10}}, "unknown field 'company.size'"),
        ({"person": "vp"}, "should be written 'person.<key>'"),
    ],
)
def test_rules_reject_unknown_derived_fields_and_values(
    condition: dict[str, Any], problem: str
) -> None:
    with pytest.raises(RulesError) as raised:
        rules_from_data(with_condition("fit", condition))
    assert problem in str(raised.value)


def test_intent_rules_cannot_read_a_person() -> None:
    data = copy.deepcopy(RULES_DATA)
    data["intent"]["rules"].append(
        {"id": "vp_demo", "when": {"name": "Demo", "person.seniority": "vp"}, "points": 5}
    )
    with pytest.raises(RulesError) as raised:
        rules_from_data(data)
    assert "'person.seniority' describes a person, not an event" in str(raised.value)


@pytest.mark.parametrize(
    "condition",
    [
        {"person.seniority": "VP"},  # text comparisons ignore case
        {"person.title": {"regex": "founder"}},
        {"company.employees": {"lt": 10}},
        {"company.employees_band": ["1-10", "11-50"]},
        {"company.domain": {"glob": "*.edu"}},
        {"company.country": "DE", "person.department": {"exists": True}},
    ],
)
def test_rules_accept_derived_fields(condition: dict[str, Any]) -> None:
    rules_from_data(with_condition("disqualifier", condition))


async def test_a_vp_from_a_title_at_a_size_range_becomes_an_mql() -> None:
    """Plain Segment identify traits: no seniority, a size as a range string."""
    world, transitions = await run(
        [
            identify(VP_TRAITS, at=T0, email="ada@acme-robotics.com"),
            sig(kind="page", props={"path": "/pricing"}, at=T0 + 1),
            sig("Demo Requested", at=T0 + 2),
        ],
        RULES,
    )
    [mql] = transitions
    assert (mql.stage_from, mql.stage_to) == ("known", "mql")
    assert mql.fit is not None
    assert mql.fit.score == 60
    assert mql.score == 120
    assert mql.person == {"title": "VP of Engineering", "seniority": "vp",
                          "department": "engineering"}  # fmt: skip
    assert mql.company["employees"] == 1001
    assert mql.company["domain"] == "acme-robotics.com"
    account = await world.account_of(await world.lead("u:pat"))
    assert account is not None
    assert account.members["u:pat"].persona == "decision_maker"


async def test_the_same_person_without_a_title_does_not() -> None:
    traits = {k: v for k, v in VP_TRAITS.items() if k != "title"}
    _, transitions = await run([identify(traits, at=T0), sig("Demo Requested", at=T0 + 2)], RULES)
    assert transitions == []


async def test_an_explicit_seniority_wins_over_the_title() -> None:
    world, _ = await run([identify({**VP_TRAITS, "seniority": "Manager"}, at=T0)], RULES)
    lead = await world.lead("u:pat")
    profile = build_profile(lead, await world.account_of(lead), RULES)
    assert profile.fit_score == 30  # engineering and size, not a senior buyer


async def test_a_student_title_disqualifies() -> None:
    _, transitions = await run(
        [identify({"title": "Computer Science Student"}, at=T0), sig("Demo Requested", at=T0 + 1)],
        RULES,
    )
    [moved] = transitions
    assert moved.stage_to == "disqualified"
    assert moved.fit is not None
    assert moved.fit.disqualifiers == ("is a student",)


async def test_a_new_title_recomputes_the_cached_profile() -> None:
    world, _ = await run(
        [
            identify({"title": "Engineering Intern"}, at=T0),
            identify({"title": "Head of Engineering"}, at=T0 + 1),
        ],
        RULES,
    )
    lead = await world.lead("u:pat")
    assert lead.profile is not None
    assert (lead.profile.fit_score, lead.profile.disqualifiers) == (40, ())
    assert lead.stage == "known"


async def test_group_firmographics_reach_members_profiles() -> None:
    """A group call naming the size and industry changes the members' fit (the
    account's revision tells their cached profiles)."""
    world, _ = await run(
        [
            identify({"title": "CTO"}, at=T0, account_id="acct-acme"),
            group(
                "acct-acme",
                {
                    "employees": "1,001-5,000",
                    "industry": "Computer Software",
                    "website": "https://www.acme.io/about",
                },
                at=T0 + 1,
            ),
            sig(kind="page", props={"path": "/pricing"}, at=T0 + 2, account_id="acct-acme"),
        ],
        RULES,
    )
    lead = await world.lead("u:pat")
    assert lead.profile is not None
    assert lead.profile.fit_score == 70  # c_level, engineering, size, software


def test_rules_not_reading_derived_fields_skip_them() -> None:
    plain = compile_rules(rules_from_data({"stages": {"mql": {"enter": 100, "exit": 60}}}))
    assert (plain.reads_derived, RULES.reads_derived) == (False, True)


async def test_views_show_the_derived_traits_and_their_sources() -> None:
    world, _ = await run(
        [
            identify({**VP_TRAITS, "address": {"country": "Deutschland"}}, at=T0,
                     account_id="acct-acme"),
            group("acct-acme", {"employees": 1200, "industry": "Internet"}, at=T0 + 1),
        ],
        RULES,
    )  # fmt: skip
    lead = await world.lead("u:pat")
    account = await world.account_of(lead)
    assert account is not None
    view = lead_view(lead, account, T0 + 2, RULES)
    assert view.person == {"title": "VP of Engineering", "seniority": "vp",
                           "department": "engineering", "country": "DE"}  # fmt: skip
    assert view.company["employees"] == 1200
    assert view.derived_from["person.seniority"] == "traits.title"
    assert view.derived_from["company.employees"] == "account.employees"
    assert view.derived_from["company.name"] == "traits.company.name"
    accounts = account_view(account, T0 + 2, RULES)
    assert accounts.company == {"id": "acct-acme", "employees": 1200, "employees_max": 1200,
                                "employees_band": "1001-5000", "industry_raw": "Internet",
                                "industry": "internet"}  # fmt: skip


async def test_person_subject_holds_the_views_rules_read() -> None:
    world, _ = await run([identify(VP_TRAITS, at=T0, email="ada@acme-robotics.com")], RULES)
    lead = await world.lead("u:pat")
    account = await world.account_of(lead)
    subject = person_subject(lead, account, RULES.free_mail)
    expected = derive(VP_TRAITS, account_id=account.account_id if account else None,
                      account_domain=account.domain if account else None,
                      email_domain="acme-robotics.com")  # fmt: skip
    assert (subject["person"], subject["company"]) == (expected.person, expected.company)
    assert "person" not in person_subject(lead, account, RULES.free_mail, with_derived=False)


def test_the_tables_digest_is_the_same_in_every_process() -> None:
    """Part of the profile basis stored with each lead: a digest that changed with the
    process's string hashing would recompute every profile after each restart."""
    digests = {
        subprocess.run(
            [sys.executable, "-c", "from leadq.derived import TABLES_DIGEST; print(TABLES_DIGEST)"],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=True,
            text=True,
        ).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert digests == {str(TABLES_DIGEST)}


def test_changed_tables_change_the_profile_basis(monkeypatch: pytest.MonkeyPatch) -> None:
    before = profile_basis(None, RULES)
    monkeypatch.setattr(engine, "TABLES_DIGEST", TABLES_DIGEST + 1)
    assert profile_basis(None, RULES) != before
