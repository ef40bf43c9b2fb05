"""Sales outcomes' reasons normalized to the rules' reason codes (``outcomes:``).

Pure: a rep's free text in, a ``Reason`` (code and raw text) out. Matching, after
``schemas.outcomes.fold_reason``: the whole text equal to a code or synonym; else the
longest code or synonym found in it as whole words ("chose competitor (RivalCorp)" is
``competitor``); else ``other``. The raw text is always kept, so a report can show what
``other`` holds and a rules change re-files history without touching it.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.outcomes import OTHER, Outcomes, fold_reason


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    #: The text as the CRM sent it; ``None`` when no reason was given.
    raw: str | None


class ReasonCodes:
    """Normalizes reasons with one rules file's ``outcomes`` (build once, call often)."""

    def __init__(self, outcomes: Outcomes) -> None:
        self._table = outcomes.lookup()
        # Longest first, so "no active project" wins over "project" inside a sentence.
        self._phrases = sorted(self._table, key=lambda phrase: (-len(phrase), phrase))

    def normalize(self, raw: str | None) -> Reason:
        """The code for ``raw`` (``other`` when none matches or no reason was given)."""
        folded = fold_reason(raw) if raw else ""
        if not folded:
            return Reason(OTHER, raw)
        exact = self._table.get(folded)
        if exact is not None:
            return Reason(exact, raw)
        padded = f" {folded} "
        for phrase in self._phrases:
            if f" {phrase} " in padded:
                return Reason(self._table[phrase], raw)
        return Reason(OTHER, raw)
