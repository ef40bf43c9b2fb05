"""The derived-traits vocabulary: what rules can read under ``person.`` and ``company.``.

``leadq.derived`` computes these views from a lead's traits and its account's
(``docs/rules.md``, "Derived traits"); the rules validator accepts exactly these
fields, and rejects a value of a closed vocabulary that no lead could ever have
(``person.seniority: vice_president``).
"""

from __future__ import annotations

from typing import Final

#: Seniority levels, most senior first. ``owner``: owners, founders, partners of a firm;
#: ``head``: "Head of X" (between VP and director); ``individual_contributor``: a job
#: without a level word.
SENIORITIES: Final = (
    "owner",
    "c_level",
    "vp",
    "head",
    "director",
    "manager",
    "senior",
    "individual_contributor",
    "intern",
    "student",
)

#: Departments; ``executive`` only when a title names no function (CEO, Founder).
DEPARTMENTS: Final = (
    "executive",
    "engineering",
    "it",
    "security",
    "data",
    "product",
    "design",
    "marketing",
    "sales",
    "customer_success",
    "operations",
    "finance",
    "procurement",
    "hr",
    "legal",
    "research",
    "education",
)

INDUSTRIES: Final = (
    "software",
    "it_services",
    "internet",
    "hardware",
    "telecommunications",
    "insurance",
    "financial_services",
    "life_sciences",
    "healthcare",
    "education",
    "government",
    "nonprofit",
    "aerospace_defense",
    "automotive",
    "energy",
    "manufacturing",
    "retail",
    "food_beverage",
    "agriculture",
    "transportation",
    "real_estate",
    "construction",
    "hospitality",
    "media",
    "marketing_advertising",
    "legal",
    "professional_services",
)

#: Company-size bands (LinkedIn's), smallest first.
EMPLOYEE_BANDS: Final = (
    "1-10",
    "11-50",
    "51-200",
    "201-500",
    "501-1000",
    "1001-5000",
    "5001-10000",
    "10001+",
)

#: ``person.<field>``: field → its closed vocabulary (``None``: free text or a code).
PERSON_FIELDS: Final[dict[str, tuple[str, ...] | None]] = {
    "title": None,
    "seniority": SENIORITIES,
    "department": DEPARTMENTS,
    "country": None,  # ISO 3166-1 alpha-2
}

#: ``company.<field>``: field → its closed vocabulary (``None``: free text, a number
#: or a code).
COMPANY_FIELDS: Final[dict[str, tuple[str, ...] | None]] = {
    "id": None,
    "name": None,
    "domain": None,
    "employees": None,  # the lowest count a size or range gives
    "employees_max": None,  # the highest, absent for open ranges ("500+")
    "employees_band": EMPLOYEE_BANDS,
    "industry": INDUSTRIES,
    "industry_raw": None,
    "country": None,  # ISO 3166-1 alpha-2
    "plan": None,
}

DERIVED_FIELDS: Final = {"person": PERSON_FIELDS, "company": COMPANY_FIELDS}
