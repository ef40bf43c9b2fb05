"""What routing rules match on besides the transition: the lead's firmographic facts.

The transition carries the stage, hand-raise, fit grade and account context; country,
company size, industry and persona come from the lead's and its account's traits as the
worker's state holds them (the read side: ``Qualifier.lead``). Vendors put them in
different places (Segment's spec nests ``address.country`` and ``company.employee_count``),
so each fact is read from the first place that has it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadq.firmographics import employee_range
from leadq.store import LeadRecord

_COUNTRY = (("country",), ("address", "country"), ("country_code",))
_INDUSTRY = (("industry",), ("company", "industry"))
_EMPLOYEES = (("employees",), ("employee_count",), ("company", "employee_count"))
#: An account's ``name`` is the company's; a person's ``name`` is theirs, not a company's.
_ACCOUNT_NAME = (("name",),)
_LEAD_COMPANY = (("company", "name"), ("company",))


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """A lead's facts for routing and for the assignment's ``lead`` context."""

    lead_id: str
    email: str | None = None
    name: str | None = None
    title: str | None = None
    company: str | None = None
    country: str | None = None
    industry: str | None = None
    employees: float | None = None
    persona: str | None = None


def _first(sources: tuple[Mapping[str, Any], ...], paths: tuple[tuple[str, ...], ...]) -> Any:
    for source in sources:
        for path in paths:
            value: Any = source
            for key in path:
                value = value.get(key) if isinstance(value, Mapping) else None
            if value not in (None, "") and not isinstance(value, Mapping):
                return value
    return None


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


def _employees(value: Any) -> float | None:
    """The lowest count of an employee number or range ("1,001-5,000", "500+"), read as
    the rules' ``company.employees`` reads it."""
    found = employee_range(value)
    return float(found[0]) if found is not None else None


def lead_facts(lead_id: str, record: LeadRecord | None) -> LeadFacts:
    """The facts of ``lead_id`` from its stored state (``None``: unknown, facts empty).

    Country and employees prefer the lead's own traits, then its account's; industry and
    company name prefer the account's (group calls carry firmographics)."""
    if record is None:
        return LeadFacts(lead_id)
    lead = record.lead.trait_values()
    account = record.account.trait_values() if record.account is not None else {}
    member = record.account.members.get(lead_id) if record.account is not None else None
    return LeadFacts(
        lead_id=lead_id,
        email=record.lead.email,
        name=_text(lead.get("name")),
        title=_text(lead.get("title")),
        company=_text(_first((account,), _ACCOUNT_NAME) or _first((lead,), _LEAD_COMPANY)),
        country=_text(_first((lead, account), _COUNTRY)),
        industry=_text(_first((account, lead), _INDUSTRY)),
        employees=_employees(_first((account, lead), _EMPLOYEES)),
        persona=member.persona if member is not None else None,
    )
