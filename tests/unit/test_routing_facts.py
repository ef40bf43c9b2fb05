"""A lead's routing facts, read wherever the vendors put them."""

from __future__ import annotations

from leadq.routing.facts import LeadFacts, lead_facts
from leadq.state import AccountState, LeadState, Member
from leadq.store import LeadRecord


def test_unknown_lead_has_no_facts() -> None:
    assert lead_facts("u:x", None) == LeadFacts("u:x")


def test_facts_prefer_the_leads_country_and_the_accounts_firmographics() -> None:
    lead = LeadState("u:ada", email="ada@acme.io", account_id="acme")
    lead.traits = {
        "name": ("Ada", 1),
        "title": ("VP Engineering", 1),
        "address": ({"country": "FR"}, 1),  # Segment's spec nests it
        "company": ({"name": "Acme (per Ada)", "employee_count": 40}, 1),
        "industry": ("consulting", 1),
    }
    account = AccountState("acme")
    account.traits = {
        "name": ("Acme", 1),
        "employees": ("1,200", 1),
        "industry": ("software", 1),
        "country": ("DE", 1),
    }
    account.members = {"u:ada": Member(persona="decision_maker")}
    facts = lead_facts("u:ada", LeadRecord(lead, account))
    assert facts == LeadFacts(
        lead_id="u:ada",
        email="ada@acme.io",
        name="Ada",
        title="VP Engineering",
        company="Acme",
        country="FR",
        industry="software",
        employees=1200.0,
        persona="decision_maker",
    )


def test_facts_fall_back_to_the_other_side() -> None:
    lead = LeadState("u:bob")
    lead.traits = {"company": ({"name": "Bobco", "employee_count": 12}, 1)}
    account = AccountState("bobco")
    account.traits = {"address": ({"country": "US"}, 1)}
    facts = lead_facts("u:bob", LeadRecord(lead, account))
    assert (facts.company, facts.employees, facts.country, facts.persona) == (
        "Bobco",
        12.0,
        "US",
        None,
    )
    alone = lead_facts("u:bob", LeadRecord(lead, None))
    assert (alone.country, alone.employees) == (None, 12.0)
    lead.traits = {"name": ("Bob", 1), "company": ("Bobco Inc.", 1)}
    named = lead_facts("u:bob", LeadRecord(lead, None))
    assert (named.name, named.company) == ("Bob", "Bobco Inc.")


def test_company_size_ranges_route_by_their_lowest_count_as_the_rules_read_them() -> None:
    lead = LeadState(lead_id="u:cy")
    account = AccountState(account_id="cy.io")
    for size, expected in [("1,001-5,000", 1001.0), ("500+", 500.0), ("n/a", None)]:
        account.traits = {"employees": (size, 1)}
        assert lead_facts("u:cy", LeadRecord(lead, account)).employees == expected
