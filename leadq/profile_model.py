"""The ``Profile`` value: who a lead is, as derived by ``leadq.profile``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Profile:
    fit_score: float
    grade: str
    #: (disqualifier id, reason) for every hard disqualifier that matches.
    disqualifiers: tuple[tuple[str, str], ...]
    answers: dict[str, Any]
    answers_score: float
    persona: str

    @property
    def base_score(self) -> float:
        """The part of the MQL score that does not decay: fit plus answers."""
        return self.fit_score + self.answers_score
