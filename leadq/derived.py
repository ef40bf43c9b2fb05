"""The ``person`` and ``company`` views rules read: traits in one vocabulary.

Vendors put the same fact in different places and forms (Segment identify traits
``title`` and ``company.employee_count``, group traits ``employees`` and ``website``,
CRM fields ``NumberOfEmployees``, a form's ``company_size: "1,001-5,000"``). ``derive``
reads each fact from the first place that has a usable value and normalises it; keys
are matched ignoring case, ``_``, ``-`` and spaces (``jobTitle`` = ``job_title``).

Precedence: an explicit trait wins over a derived one (a ``seniority`` trait over the
title's); for the company, the account's own traits (``group`` calls) win over what
the person's traits say about their company (the ``company`` object, then flat traits).
``sources`` names where each value came from (``person.seniority`` →
``traits.title``), for explanations. Pure; recomputed only with the profile (when a
value it reads changed, see ``leadq.engine.profile_basis``).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

from leadq import firmographic_tables, title_tables
from leadq.firmographics import (
    country_code,
    domain_value,
    employee_band,
    employee_range,
    industry_value,
)
from leadq.titles import classify_title, department_value, seniority_value


def _canonical(value: Any) -> Any:
    """A table as plain sorted data: sets in sorted order, so the digest is the same in
    every process (string hashing, hence set order, differs between processes)."""
    if isinstance(value, frozenset | set):
        return sorted(map(_canonical, value), key=repr)
    if isinstance(value, dict):
        return [(k, _canonical(v)) for k, v in value.items()]
    if isinstance(value, tuple | list):
        return [_canonical(v) for v in value]
    return value


#: Changes whenever a table changes, so cached profiles are computed again after an
#: upgrade (part of ``leadq.engine.profile_basis``).
TABLES_DIGEST: Final = zlib.crc32(
    repr(
        [
            _canonical(getattr(module, name))
            for module in (title_tables, firmographic_tables)
            for name in sorted(vars(module))
            if name.isupper()
        ]
    ).encode()
)

TITLE_KEYS: Final = ("title", "jobtitle", "position", "jobposition")
SENIORITY_KEYS: Final = ("seniority", "senioritylevel", "managementlevel", "joblevel")
DEPARTMENT_KEYS: Final = ("department", "jobfunction", "function", "jobdepartment")
COUNTRY_KEYS: Final = ("country", "countrycode", "countryname")
#: Keys of a company object (group traits, Segment's identify ``company``).
NAME_KEYS: Final = ("name", "companyname")
EMPLOYEE_KEYS: Final = (
    "employees",
    "employeecount",
    "numberofemployees",
    "numemployees",
    "employeerange",
    "employeesrange",
    "companysize",
    "headcount",
    "size",
)
INDUSTRY_KEYS: Final = ("industry", "sector")
DOMAIN_KEYS: Final = ("domain", "website", "url", "companydomain", "companywebsite")
PLAN_KEYS: Final = ("plan",)
#: A person's flat traits about their company (``company`` as a string is its name).
FLAT_NAME_KEYS: Final = ("company", "companyname", "organization", "organisation")
FLAT_EMPLOYEE_KEYS: Final = (
    "employees",
    "employeecount",
    "numberofemployees",
    "numemployees",
    "companysize",
    "companyemployees",
    "headcount",
)
FLAT_INDUSTRY_KEYS: Final = ("industry", "companyindustry", "sector")
FLAT_DOMAIN_KEYS: Final = ("companydomain", "companywebsite", "website")

Lookup = tuple["_Place", tuple[str, ...]]  # where to look, and under which folded keys


@dataclass(frozen=True, slots=True)
class Derived:
    """The ``person`` and ``company`` views, and where each value came from."""

    person: dict[str, Any] = field(default_factory=dict)
    company: dict[str, Any] = field(default_factory=dict)
    #: ``"person.seniority"`` → ``"traits.title"``, ``"company.employees"`` →
    #: ``"account.employees"``, ...
    sources: dict[str, str] = field(default_factory=dict)

    def put(self, view: str, key: str, value: Any, source: str) -> None:
        getattr(self, view)[key] = value
        self.sources[f"{view}.{key}"] = source


@lru_cache(maxsize=2048)
def _fold(key: str) -> str:
    return key.casefold().replace("_", "").replace("-", "").replace(" ", "")


class _Place:
    """A trait object with its keys folded, named for ``sources``."""

    __slots__ = ("label", "values")

    def __init__(self, label: str, traits: Mapping[str, Any] | None) -> None:
        self.label = label
        self.values = {_fold(k): (k, v) for k, v in traits.items()} if traits else {}

    def nested(self, key: str) -> _Place:
        found = self.values.get(key)
        inner = found[1] if found is not None and isinstance(found[1], Mapping) else None
        return _Place(f"{self.label}.{found[0] if found else key}", inner)


def _pick(lookups: Iterable[Lookup], normalise: Callable[[Any], Any]) -> tuple[Any, str] | None:
    """The first value under ``keys`` in ``place``, for each (place, keys) in turn, that
    ``normalise`` makes something of, with where it was read; plain loops: it runs for
    every field of every profile computed."""
    for place, keys in lookups:
        values = place.values
        if not values:
            continue
        for key in keys:
            found = values.get(key)
            if found is None or found[1] is None or found[1] == "":
                continue
            value = normalise(found[1])
            if value is not None:
                return value, f"{place.label}.{found[0]}" if place.label else found[0]
    return None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _if_text(normalise: Callable[[str], str | None]) -> Callable[[Any], str | None]:
    return lambda value: normalise(value) if isinstance(value, str) else None


def derive(
    traits: Mapping[str, Any],
    account_traits: Mapping[str, Any] | None = None,
    *,
    account_id: str | None = None,
    account_domain: str | None = None,
    email_domain: str | None = None,
) -> Derived:
    """The views of a person with ``traits`` (their merged traits) in an account with
    ``account_traits``; ``email_domain`` only when it is not a free-mail one."""
    derived = Derived()
    person = _Place("traits", traits)
    _person(derived, person)
    _company(derived, person, _Place("account", account_traits), account_id, account_domain,
             email_domain)  # fmt: skip
    return derived


def _person(derived: Derived, person: _Place) -> None:
    title = _pick([(person, TITLE_KEYS)], _text)
    if title is not None:
        derived.put("person", "title", *title)
    traits_of_title = classify_title(title[0]) if title else None
    for key, keys, explicit in (
        ("seniority", SENIORITY_KEYS, seniority_value),
        ("department", DEPARTMENT_KEYS, department_value),
    ):
        given = _pick([(person, keys)], _if_text(explicit))
        if given is not None:
            derived.put("person", key, *given)
        elif title is not None and traits_of_title is not None:
            value = getattr(traits_of_title, key)
            if value is not None:
                derived.put("person", key, value, title[1])
    country = _pick(
        [(person.nested("address"), COUNTRY_KEYS), (person, COUNTRY_KEYS)], country_code
    )
    if country is not None:
        derived.put("person", "country", *country)


def _company(
    derived: Derived,
    person: _Place,
    account: _Place,
    account_id: str | None,
    account_domain: str | None,
    email_domain: str | None,
) -> None:
    company = person.nested("company")
    objects = (account, company)
    if account_id is not None:
        derived.put("company", "id", account_id, "account.id")
    fields: tuple[tuple[str, tuple[str, ...], tuple[str, ...], Callable[[Any], Any]], ...] = (
        ("name", NAME_KEYS, FLAT_NAME_KEYS, _text),
        ("employees", EMPLOYEE_KEYS, FLAT_EMPLOYEE_KEYS, employee_range),
        ("industry_raw", INDUSTRY_KEYS, FLAT_INDUSTRY_KEYS, _text),
        ("plan", PLAN_KEYS, (), _text),
    )
    for key, keys, flat_keys, normalise in fields:
        found = _pick([*((o, keys) for o in objects), (person, flat_keys)], normalise)
        if found is not None:
            _put_company(derived, key, *found)
    country = _pick(
        [(p, COUNTRY_KEYS) for o in objects for p in (o.nested("address"), o)], country_code
    )
    if country is not None:
        derived.put("company", "country", *country)
    domain = _pick(
        [
            (_Place("account", {"domain": account_domain}), ("domain",)),
            *((o, DOMAIN_KEYS) for o in objects),
            (_Place("", {"email_domain": email_domain}), ("emaildomain",)),
            (person, FLAT_DOMAIN_KEYS),
        ],
        domain_value,
    )
    if domain is not None:
        derived.put("company", "domain", *domain)


def _put_company(derived: Derived, key: str, value: Any, source: str) -> None:
    """A company field, and what it implies: employee bounds and band, the industry in
    the vocabulary beside the industry as given."""
    if key == "employees":
        lowest, highest = value
        derived.put("company", "employees", lowest, source)
        if highest is not None:
            derived.put("company", "employees_max", highest, source)
        derived.put("company", "employees_band", employee_band(lowest), source)
    elif key == "industry_raw":
        derived.put("company", "industry_raw", value, source)
        industry = industry_value(value)
        if industry is not None:
            derived.put("company", "industry", industry, source)
    else:
        derived.put("company", key, value, source)
