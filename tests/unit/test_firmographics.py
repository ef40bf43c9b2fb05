"""Firmographics in one vocabulary, and the ``person``/``company`` views read from
wherever vendors put them (Segment spec identify and group examples, CRM fields)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from leadq.adapters import normalize
from leadq.derived import derive
from leadq.firmographics import (
    country_code,
    domain_value,
    employee_band,
    employee_range,
    industry_value,
)

EXAMPLES = Path(__file__).parent / "vendor_examples"


def traits_of(name: str) -> dict[str, Any]:
    result = normalize(json.loads((EXAMPLES / name).read_text()))
    [signal] = result.signals
    return dict(signal.traits)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (329, (329, 329)),  # Segment group spec: "employees": 329
        (420.0, (420, 420)),
        ("1200", (1200, 1200)),
        ("1,200", (1200, 1200)),
        ("1.200", (1200, 1200)),
        ("1,001-5,000", (1001, 5000)),
        ("1001 to 5000", (1001, 5000)),
        ("51–200", (51, 200)),  # en dash, as LinkedIn prints it
        ("11-50 employees", (11, 50)),
        ("500+", (500, None)),
        ("10,001+", (10001, None)),
        ("10k+", (10000, None)),
        ("2.5k", (2500, 2500)),
        ("more than 1000", (1000, None)),
        ("<50", (1, 50)),
        ("Self-employed", (1, 1)),
        ("G", (1001, 5000)),  # LinkedIn staff-count code
        ("SIZE_201_TO_500", (201, 500)),
        ("5000-1000", None),
        ("lots", None),
        ("", None),
        (0, None),
        (True, None),
        (None, None),
        ({"min": 1}, None),
    ],
)
def test_employee_range(value: object, expected: tuple[int, int | None] | None) -> None:
    assert employee_range(value) == expected


@pytest.mark.parametrize(
    ("lowest", "band"),
    [(1, "1-10"), (10, "1-10"), (11, "11-50"), (1000, "501-1000"), (1001, "1001-5000"),
     (10001, "10001+"), (250000, "10001+")],
)  # fmt: skip
def test_employee_band(lowest: int, band: str) -> None:
    assert employee_band(lowest) == band


@pytest.mark.parametrize(
    ("value", "industry"),
    [
        ("Technology", "it_services"),  # Segment group spec example
        ("Computer Software", "software"),  # LinkedIn
        ("COMPUTER_SOFTWARE", "software"),  # HubSpot enumeration
        ("Software & SaaS", "software"),
        ("Information Technology and Services", "it_services"),
        ("Internet", "internet"),
        ("Financial Services", "financial_services"),
        ("Banking", "financial_services"),
        ("Insurance", "insurance"),
        ("Hospital & Health Care", "healthcare"),
        ("Pharmaceuticals", "life_sciences"),
        ("Higher Education", "education"),
        ("Retail", "retail"),
        ("Management Consulting", "professional_services"),
        ("Marketing and Advertising", "marketing_advertising"),
        ("Telecommunications", "telecommunications"),
        ("Oil & Energy", "energy"),
        ("Real Estate", "real_estate"),
        ("Government Administration", "government"),
        ("Nonprofit Organization Management", "nonprofit"),
        ("Automotive", "automotive"),
        ("Logistics and Supply Chain", "transportation"),
        ("Xyzzy", None),
        (42, None),
    ],
)
def test_industry(value: object, industry: str | None) -> None:
    assert industry_value(value) == industry


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("USA", "US"),  # Segment identify spec example: address.country
        ("United States", "US"),
        ("U.S.A.", "US"),
        ("us", "US"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("England", "GB"),
        ("Deutschland", "DE"),
        ("DEU", "DE"),
        ("de", "DE"),
        ("España", "ES"),
        ("Österreich", "AT"),
        ("Türkiye", "TR"),
        ("NZ", "NZ"),
        ("NA", None),  # "not available" far more often than Namibia
        ("Atlantis", None),
        ("", None),
        (1, None),
    ],
)
def test_country(value: object, code: str | None) -> None:
    assert country_code(value) == code


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("https://www.Initrode.com/about", "initrode.com"),  # the group example's website
        ("acme-robotics.com", "acme-robotics.com"),
        ("http://acme.com:8080/path?q=1#top", "acme.com"),
        ("WWW.ACME.COM.", "acme.com"),
        ("//cdn.acme.io/x", "cdn.acme.io"),
        ("info@acme.com", "acme.com"),
        ("https://user:pw@acme.com", "acme.com"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("acme", None),
        ("192.168.0.1", None),
        ("not a domain", None),
        ("", None),
        (None, None),
    ],
)
def test_domain(value: object, domain: str | None) -> None:
    assert domain_value(value) == domain


def test_segment_identify_example_gives_person_and_company() -> None:
    """Segment's identify: ``title`` and the ``company`` object."""
    derived = derive(traits_of("segment_identify.json"), email_domain="initrode.com")
    assert derived.person == {
        "title": "VP Engineering",
        "seniority": "vp",
        "department": "engineering",
    }
    assert derived.company == {
        "name": "Initrode",
        "employees": 420,
        "employees_max": 420,
        "employees_band": "201-500",
        "domain": "initrode.com",
    }
    assert derived.sources["person.seniority"] == "traits.title"
    assert derived.sources["company.employees"] == "traits.company.employee_count"
    assert derived.sources["company.domain"] == "email_domain"


def test_segment_group_example_gives_the_company() -> None:
    group = traits_of("segment_group.json")
    derived = derive({}, group, account_id="acct_initrode")
    assert derived.company == {
        "id": "acct_initrode",
        "name": "Initrode",
        "employees": 420,
        "employees_max": 420,
        "employees_band": "201-500",
        "industry_raw": "Technology",
        "industry": "it_services",
        "domain": "initrode.com",
        "plan": "enterprise",
    }
    assert derived.person == {}


def test_segment_spec_identify_traits() -> None:
    """The identify spec's reserved traits, as its documentation lists them."""
    traits = {
        "name": "Peter Gibbons",
        "email": "peter@example.com",
        "plan": "premium",
        "logins": 5,
        "title": "Sr. Software Engineer",
        "address": {"street": "6th St", "city": "San Francisco", "state": "CA",
                    "postalCode": "94103", "country": "USA"},
        "company": {"name": "Initech", "id": "initech-1", "industry": "Computer Software",
                    "employee_count": "1,001-5,000", "plan": "enterprise"},
        "website": "https://initech.example/",
    }  # fmt: skip
    derived = derive(traits)
    assert derived.person == {
        "title": "Sr. Software Engineer",
        "seniority": "senior",
        "department": "engineering",
        "country": "US",
    }
    assert derived.company["employees"] == 1001
    assert derived.company["employees_max"] == 5000
    assert derived.company["employees_band"] == "1001-5000"
    assert derived.company["industry"] == "software"
    assert derived.company["plan"] == "enterprise"
    assert derived.company["domain"] == "initech.example"
    assert "country" not in derived.company  # a person's address is not the company's


def test_flat_and_crm_style_traits() -> None:
    """Forms and CRMs: flat ``company``/``employees``/``industry``/``country`` keys in
    any case or separator style (Salesforce ``NumberOfEmployees``, HubSpot ``jobtitle``)."""
    derived = derive(
        {
            "jobtitle": "Directeur Informatique",
            "Company": "Acme SA",
            "NumberOfEmployees": "500+",
            "Industry": "Banking",
            "Country": "France",
        }
    )
    assert derived.person == {
        "title": "Directeur Informatique",
        "seniority": "director",
        "department": "it",
        "country": "FR",
    }
    assert derived.company == {
        "name": "Acme SA",
        "employees": 500,
        "employees_band": "201-500",
        "industry_raw": "Banking",
        "industry": "financial_services",
    }


def test_explicit_traits_win_over_derived_ones() -> None:
    derived = derive({"title": "VP Engineering", "seniority": "Director", "department": "IT"})
    assert derived.person["seniority"] == "director"
    assert derived.person["department"] == "it"
    assert derived.sources["person.seniority"] == "traits.seniority"
    # An explicit value that says nothing leaves the title to speak.
    derived = derive({"title": "VP Engineering", "seniority": "n/a"})
    assert derived.person["seniority"] == "vp"


def test_the_account_wins_over_what_the_person_says() -> None:
    derived = derive(
        {"company": {"name": "Old Name", "employee_count": 50}, "employees": 10},
        {"name": "Initrode", "employees": "1,001-5,000", "address": {"country": "Deutschland"}},
        account_id="acct_initrode",
        account_domain="initrode.com",
        email_domain="initrode-mail.com",
    )
    assert derived.company["name"] == "Initrode"
    assert derived.company["employees"] == 1001
    assert derived.company["country"] == "DE"
    assert derived.company["domain"] == "initrode.com"
    assert derived.sources["company.employees"] == "account.employees"


def test_unusable_values_fall_through_to_the_next_place() -> None:
    derived = derive({"company": {"employee_count": "lots"}, "employees": "11-50"})
    assert derived.company["employees"] == 11
    assert derived.sources["company.employees"] == "traits.employees"


def test_junk_gives_nothing() -> None:
    derived = derive({"title": "n/a", "employees": "?", "country": "-", "company": "", "x": 1})
    assert (derived.person, derived.company) == ({"title": "n/a"}, {})
