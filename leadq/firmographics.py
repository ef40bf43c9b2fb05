"""Firmographic values in one vocabulary, whatever form a vendor or a form sent them in.

Pure functions, patterns compiled at import, results memoised per distinct string; each
returns ``None`` for a value that says nothing (never raises on vendor data):

- ``employee_range``: ``1200``, ``"1,200"``, ``"1.200"``, ``"1,001-5,000"``,
  ``"1001 to 5000"``, ``"500+"``, ``"10k+"``, ``"<50"``, LinkedIn's codes and bands →
  (lowest, highest or ``None`` when open). Rules compare the **lowest** count
  (``company.employees``): it is the one number a range guarantees, so ``{gte: 1000}``
  never credits a company that may be smaller, band boundaries keep their meaning
  ("1,001-5,000" is ≥ 1000 and "501-1,000" is not) and open ranges ("10,001+") have
  no midpoint to invent;
- ``employee_band``: the LinkedIn band the lowest count falls in;
- ``industry_value``: a small vocabulary (``firmographic_tables.INDUSTRY_PATTERNS``);
- ``country_code``: ISO 3166-1 alpha-2 from names, common forms and alpha-2/3 codes;
- ``domain_value``: a host name from a domain, URL or email: scheme, user, port,
  path, query, ``www.`` and trailing dot stripped, lower case, IDNA (punycode).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

from leadq.firmographic_tables import (
    COUNTRY_ALPHA3,
    COUNTRY_CODES,
    COUNTRY_NAMES,
    EMPLOYEE_BANDS,
    EMPLOYEE_WORDS,
    INDUSTRY_PATTERNS,
)

EmployeeRange = tuple[int, int | None]
#: Distinct values remembered per normaliser: the same few thousand sizes, industries,
#: countries and domains come back with every profile computed.
CACHE_SIZE: Final = 4096

_NUMBER: Final = r"(\d+(?:[.,]\d+)*)\s*([km])?"
_RANGE: Final = re.compile(rf"^{_NUMBER}\s*(?:-|–|—|to|bis|a|à)\s*{_NUMBER}$")
_AT_LEAST: Final = re.compile(
    rf"^(?:>=?|over|more than|at least)?\s*{_NUMBER}\s*(\+|or more|and up)?$"
)
_BELOW: Final = re.compile(rf"^(?:<=?|under|less than|fewer than|up to)\s*{_NUMBER}$")
_EMPLOYEE_WORDS: Final = re.compile(r"\b(employees?|people|staff|mitarbeiter|empleados)\b")
_INDUSTRIES: Final = tuple((name, re.compile(rf"\b(?:{p})")) for name, p in INDUSTRY_PATTERNS)
_NOT_WORDS: Final = re.compile(r"[^a-z0-9]+")
_HOST: Final = re.compile(
    r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$"
)
#: Two-letter values that are more often "not available" than the country.
_NOT_COUNTRIES: Final = frozenset({"NA"})


def _count(digits: str, suffix: str | None) -> int | None:
    """``1,200``/``1.200`` (thousands separators), ``1.5k``, ``2m`` → an integer."""
    if suffix:
        value = float(digits.replace(",", "."))
        return round(value * (1_000 if suffix == "k" else 1_000_000))
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", digits):
        return int(re.sub(r"[.,]", "", digits))
    try:
        return round(float(digits.replace(",", ".")))
    except ValueError:
        return None


def employee_range(value: object) -> EmployeeRange | None:
    """(lowest, highest or ``None``) of an employee count or range; see the module."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        count = round(value)
        return (count, count) if count > 0 else None
    return _employee_text(value) if isinstance(value, str) else None


@lru_cache(maxsize=CACHE_SIZE)
def _employee_text(value: str) -> EmployeeRange | None:
    text = _EMPLOYEE_WORDS.sub("", value.strip().casefold()).strip()
    if text in EMPLOYEE_WORDS:
        return EMPLOYEE_WORDS[text]
    if (found := _RANGE.match(text)) is not None:
        low, high = _count(*found.group(1, 2)), _count(*found.group(3, 4))
        return (low, high) if low is not None and high is not None and low <= high else None
    if (found := _AT_LEAST.match(text)) is not None:
        low = _count(*found.group(1, 2))
        open_ended = found.group(3) is not None or text.startswith((">", "over", "more", "at"))
        return None if low is None or low <= 0 else (low, None if open_ended else low)
    if (found := _BELOW.match(text)) is not None:
        high = _count(*found.group(1, 2))
        return (1, high) if high is not None and high > 0 else None
    return None


def employee_band(lowest: int) -> str:
    """The LinkedIn band (``firmographic_tables.EMPLOYEE_BANDS``) ``lowest`` falls in."""
    band = EMPLOYEE_BANDS[0][1]
    for floor, name in EMPLOYEE_BANDS:
        if lowest >= floor:
            band = name
    return band


def _plain(value: str) -> str:
    folded = value.casefold().replace("&", " and ")
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORDS.sub(" ", folded).strip()


def industry_value(value: object) -> str | None:
    """The vocabulary's industry for a vendor's industry label (Clearbit, LinkedIn,
    HubSpot's ``COMPUTER_SOFTWARE``, free text), ``None`` if none fits."""
    return _industry_text(value) if isinstance(value, str) else None


@lru_cache(maxsize=CACHE_SIZE)
def _industry_text(value: str) -> str | None:
    text = _plain(value.replace("_", " "))
    return next((name for name, pattern in _INDUSTRIES if pattern.search(text)), None)


def country_code(value: object) -> str | None:
    """ISO 3166-1 alpha-2 of a country name or code (``"Deutschland"``, ``"usa"``,
    ``"DEU"``, ``"de"``), ``None`` if unknown."""
    return _country_text(value) if isinstance(value, str) else None


@lru_cache(maxsize=CACHE_SIZE)
def _country_text(value: str) -> str | None:
    text = _plain(value)
    if text in COUNTRY_NAMES:
        return COUNTRY_NAMES[text]
    code = text.upper()
    if len(code) == 2 and code in COUNTRY_CODES and code not in _NOT_COUNTRIES:
        return code
    return COUNTRY_ALPHA3.get(code)


def domain_value(value: object) -> str | None:
    """The host a domain, URL or email names, normalised (see the module), ``None``
    when there is none (a bare word, an IP address, an empty string)."""
    return _domain_text(value) if isinstance(value, str) else None


@lru_cache(maxsize=CACHE_SIZE)
def _domain_text(value: str) -> str | None:
    host = value.strip().casefold()
    host = host.rpartition("://")[2] if "://" in host else host.removeprefix("//")
    host = re.split(r"[/?#]", host, maxsplit=1)[0].rpartition("@")[2]
    host = host.rpartition(":")[0] if re.search(r":\d*$", host) else host
    host = host.rstrip(".").removeprefix("www.")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if not _HOST.match(host) or host.replace(".", "").isdigit():
        return None
    return host
