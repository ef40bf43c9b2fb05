"""Seniority and department from a job title, as people type them into forms and CRMs.

Pure and table-driven (the tables are ``leadq.title_tables``); every pattern is compiled
once at import, and results are memoised per distinct title, because the worker asks
for the same titles over and over. Contract of ``classify_title``:

- the title is normalised first: case, accents (``Geschäftsführer`` = ``geschaftsfuhrer``),
  punctuation, ``&``, and abbreviations (``Sr.``, ``Mgr``, ``VP Eng``, ``Dir. IT``);
- seniority is the most senior level any of its words names (``SENIORITIES`` order):
  "Senior Vice President" is ``vp``, "Founder & CEO" ``owner``; a title naming a job
  without a level word is ``individual_contributor``;
- department is the function named first ("VP Sales & Marketing": ``sales``; "Product
  Marketing Manager": ``marketing``, the longer phrase); ``executive`` only when no
  function is named (CEO, Founder, Managing Director);
- a title that names no job at all (``-``, ``n/a``, ``asdf``, an emoji) gives ``None``
  for both: no rule on them matches it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from leadq.title_tables import (
    ABBREVIATIONS,
    DEPARTMENT_ALIASES,
    DEPARTMENT_PATTERNS,
    DEPARTMENTS,
    EXECUTIVE_PATTERNS,
    JUNK,
    PHRASES,
    ROLE_PATTERNS,
    SENIORITIES,
    SENIORITY_ALIASES,
    SENIORITY_PATTERNS,
)


@dataclass(frozen=True, slots=True)
class TitleTraits:
    """What a title says: a ``SENIORITIES`` and a ``DEPARTMENTS`` value, or ``None``."""

    seniority: str | None
    department: str | None


NOTHING: Final = TitleTraits(None, None)
#: How many distinct titles are remembered (a few hundred bytes each).
CACHE_SIZE: Final = 8192


def _words(fragments: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(rf"\b(?:{f})\b" for f in fragments))


def _alternatives(fragment: str) -> list[str]:
    """A fragment split at its top-level ``|`` (the ones outside parentheses)."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(fragment):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(fragment[start:index])
            start = index + 1
    return [*parts, fragment[start:]]


@dataclass(frozen=True, slots=True)
class _FirstMatch:
    """Fragments tried at word starts only, by the word's first letter: one small
    alternation per letter instead of a few hundred alternatives at every character
    (ten times faster). At a position the longest fragment wins, and the earliest
    position wins overall."""

    by_initial: dict[str, re.Pattern[str]]
    #: Fragments that do not start with a plain letter, tried at every word start.
    anywhere: re.Pattern[str] | None
    #: The department of named group ``g<i>``, at index i.
    departments: tuple[str, ...]

    def find(self, text: str) -> str | None:
        start = 0
        while start < len(text):
            best: re.Match[str] | None = None
            for pattern in (self.by_initial.get(text[start]), self.anywhere):
                found = pattern.match(text, start) if pattern is not None else None
                if found is not None and (best is None or found.end() > best.end()):
                    best = found
            if best is not None and best.lastgroup is not None:
                return self.departments[int(best.lastgroup[1:])]
            start = text.find(" ", start) + 1 or len(text)
        return None


def _first_match(fragments: list[tuple[str, str]]) -> _FirstMatch:
    ordered = sorted(fragments, key=lambda item: -len(item[1]))
    groups: dict[str, list[str]] = {}
    for index, (_, fragment) in enumerate(ordered):
        plain = fragment[0].isalpha() and fragment[1:2] not in ("?", "*", "{", "+")
        groups.setdefault(fragment[0] if plain else "", []).append(f"(?P<g{index}>{fragment})")
    compiled = {
        initial: re.compile("(?:" + "|".join(alternatives) + r")\b")
        for initial, alternatives in groups.items()
    }
    return _FirstMatch(
        by_initial={k: v for k, v in compiled.items() if k},
        anywhere=compiled.get(""),
        departments=tuple(department for department, _ in ordered),
    )


_TOKEN: Final = re.compile(r"[a-z0-9_]+")
#: A dot between single letters: "C.E.O." is "ceo".
_DOTTED: Final = re.compile(r"\b([a-z])\.(?=[a-z]\b)")
_PHRASES: Final = tuple((re.compile(pattern), repl) for pattern, repl in PHRASES)
_SENIORITY: Final = tuple((level, _words(frags)) for level, frags in SENIORITY_PATTERNS)
_DEPARTMENT: Final = _first_match(
    [
        (department, alternative)
        for department, fragments in DEPARTMENT_PATTERNS
        for fragment in fragments
        for alternative in _alternatives(fragment)
    ]
)
_EXECUTIVE: Final = _words(EXECUTIVE_PATTERNS)
_ROLE: Final = _words(ROLE_PATTERNS)


def normalise(title: str) -> str:
    """The title as the patterns read it: lower-case ASCII words separated by single
    spaces, abbreviations expanded, the fixed phrases rewritten."""
    folded = title.casefold().replace("&", " and ")
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    tokens = _TOKEN.findall(_DOTTED.sub(r"\1", folded.replace("_", " ")))
    text = " ".join(ABBREVIATIONS.get(token, token) for token in tokens)
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    return text.strip()


@lru_cache(maxsize=CACHE_SIZE)
def classify_title(title: str) -> TitleTraits:
    """Seniority and department of a job title; see the module contract."""
    text = normalise(title)
    if text in JUNK or not any(c.isalpha() for c in text):
        return NOTHING
    department = _department(text)
    seniority = next((level for level, pattern in _SENIORITY if pattern.search(text)), None)
    if seniority is None and (department is not None or _ROLE.search(text)):
        seniority = "individual_contributor"
    return TitleTraits(seniority, department)


def _department(text: str) -> str | None:
    found = _DEPARTMENT.find(text)
    if found is not None:
        return found
    return "executive" if _EXECUTIVE.search(text) else None


@lru_cache(maxsize=1024)
def seniority_value(value: str) -> str | None:
    """An explicit seniority trait in the vocabulary: vendors' own values (``CXO``,
    ``VP``, ``Entry``...) or anything a title would say; ``None`` if it says nothing."""
    text = normalise(value)
    if text.replace(" ", "_") in SENIORITIES:
        return text.replace(" ", "_")
    return SENIORITY_ALIASES.get(text) or classify_title(value).seniority


@lru_cache(maxsize=1024)
def department_value(value: str) -> str | None:
    """An explicit department trait in the vocabulary (``Human Resources`` → ``hr``)."""
    text = normalise(value)
    if text.replace(" ", "_") in DEPARTMENTS:
        return text.replace(" ", "_")
    return DEPARTMENT_ALIASES.get(text) or classify_title(value).department
