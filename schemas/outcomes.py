"""The rules file's ``outcomes:`` section: the reason codes sales outcomes are filed under.

Reps type reasons in their own words ("Bad timing", "not now", "went with RivalCorp");
the review report counts them by code. A reason is matched after folding case and
punctuation (``"Not-a-fit!"`` is ``not a fit``) against each code itself (``not_a_fit``
matches ``Not a fit``) and its synonyms; what matches nothing is filed under ``other``
with its raw text kept. Codes and synonyms are validated like the rest of the rules:
unique codes, ``other`` present, every synonym under one code only.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, model_validator

from schemas.base import Contract

ReasonCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]

#: The code of every reason that matches no code or synonym.
OTHER = "other"

DEFAULT_CODES: tuple[str, ...] = (
    "not_a_fit",
    "no_active_project",
    "timing",
    "no_budget",
    "competitor",
    "bad_data",
    "no_response",
    "duplicate",
    OTHER,
)

DEFAULT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "not_a_fit": ("not a fit", "no fit", "poor fit", "bad fit", "wrong persona", "not icp",
                  "too small", "wrong industry", "not qualified", "unqualified"),
    "no_active_project": ("no project", "no active need", "no need", "no initiative",
                          "just researching", "student research"),
    "timing": ("bad timing", "not now", "wrong timing", "too early", "next year",
               "next quarter", "later", "not the right time", "follow up later"),
    "no_budget": ("budget", "no money", "lack of budget", "budget freeze", "too expensive",
                  "price", "pricing"),
    "competitor": ("chose competitor", "went with competitor", "lost to competitor",
                   "using competitor", "works at competitor", "competitor employee"),
    "bad_data": ("invalid email", "fake", "spam", "junk", "bad contact data",
                 "wrong contact", "bounced"),
    "no_response": ("unresponsive", "no reply", "no answer", "ghosted", "not reachable",
                    "unreachable", "no show"),
    "duplicate": ("dupe", "duplicate lead", "already in crm", "existing customer",
                  "already a customer", "existing opportunity"),
}  # fmt: skip

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold_reason(text: str) -> str:
    """``text`` as compared: lower case, every run of punctuation or space one space."""
    return _NOT_WORD.sub(" ", text.casefold()).strip()


class Outcomes(Contract):
    """Reason codes for sales outcomes (rejections, disqualifications, lost deals).

    The built-in synonyms of the listed codes apply unless ``replace_builtin_synonyms``;
    ``synonyms`` adds phrases (one of yours wins over a built-in one).
    """

    #: The codes reasons are counted under; must include ``other``.
    codes: tuple[ReasonCode, ...] = DEFAULT_CODES
    #: code → phrases reps use for it (compared after :func:`fold_reason`).
    synonyms: dict[ReasonCode, tuple[str, ...]] = Field(default_factory=dict)
    replace_builtin_synonyms: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Outcomes:
        duplicates = sorted({c for c in self.codes if self.codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"codes: duplicate codes {duplicates}")
        if OTHER not in self.codes:
            raise ValueError(f"codes: must include '{OTHER}' (where unknown reasons go)")
        unknown = sorted(set(self.synonyms) - set(self.codes))
        if unknown:
            raise ValueError(f"synonyms: unknown codes {unknown} (codes: {list(self.codes)})")
        owner: dict[str, str] = {fold_reason(c): c for c in self.codes}
        for code, phrases in self.synonyms.items():
            for phrase in phrases:
                folded = fold_reason(phrase)
                if not folded:
                    raise ValueError(f"synonyms.{code}: {phrase!r} has no letters or digits")
                if owner.setdefault(folded, code) != code:
                    raise ValueError(f"synonyms.{code}: {phrase!r} already means '{owner[folded]}'")
        return self

    def lookup(self) -> dict[str, str]:
        """Folded phrase → code: built-in synonyms of the listed codes, then your own
        synonyms, then the codes themselves (each overriding what came before)."""
        table: dict[str, str] = {}
        if not self.replace_builtin_synonyms:
            for code in self.codes:
                table.update((fold_reason(p), code) for p in DEFAULT_SYNONYMS.get(code, ()))
        for code, phrases in self.synonyms.items():
            table.update((fold_reason(phrase), code) for phrase in phrases)
        table.update((fold_reason(code), code) for code in self.codes)
        return table
