"""Text the demo prints: transitions, dead letters and read-API views, for people.

Pure functions from wire models to multi-line strings (times in UTC), and the
:class:`Console` that writes them and keeps the timings.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from cli.demo.scenario import Expected
from schemas.transition import Contributor, TransitionEvent
from schemas.views import AccountView, LeadView

INDENT = " " * 11
#: Longest part of a dead letter's original bytes shown.
ORIGINAL_CHARS = 100


@dataclass
class Console:
    """Prints the demo's output and remembers when each milestone was reached."""

    out: TextIO
    show_json: bool = False
    started: float = field(default_factory=time.monotonic)
    marks: list[tuple[str, float]] = field(default_factory=list)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def mark(self, milestone: str) -> None:
        self.marks.append((milestone, self.elapsed()))


def clock(moment: datetime | None) -> str:
    """``HH:MM:SS`` in UTC, or ``-``."""
    return moment.strftime("%H:%M:%S") if moment else "-"


def stamp(elapsed_s: float) -> str:
    """The left margin of an output block: seconds since the demo started."""
    return f"[{elapsed_s:5.1f}s]"


def expectation(expected: Expected) -> str:
    """One line: what the batch reference expects the stream to produce."""
    kinds = Counter(f"{t.entity}.{t.stage_to}" for t in expected.transitions)
    listed = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    return (
        f"leadq replay (the batch reference) expects {len(expected.transitions)} "
        f"transitions ({listed}) and {expected.dead_letters} dead letter(s)"
    )


def transition(event: TransitionEvent, elapsed_s: float) -> str:
    """A transition: type and subject, time, reason, scores and top signals."""
    data = event.data
    kind = "lead" if data.entity == "lead" else "account"
    lines = [
        f"{stamp(elapsed_s)} {event.type}  {kind} {event.subject}  at {clock(event.time)} UTC",
        f"{INDENT}{data.stage_from} → {data.stage_to}: {data.reason}"
        + (f" (trigger {data.trigger_event_id})" if data.trigger_event_id else " (decay)"),
        f"{INDENT}{_scores(event)}",
        f"{INDENT}top signals:",
        *_signals(data.top_signals, show_lead=data.entity == "account"),
    ]
    return "\n".join(lines)


def _scores(event: TransitionEvent) -> str:
    data = event.data
    parts = [f"score {data.score:.1f}"]
    if data.fit is not None:
        parts.append(f"fit {data.fit.grade} {data.fit.score:g}")
        parts.append(f"answers {data.answers_score:g}")
    parts.append(f"intent {data.intent_score:.1f} ({_categories(data.intent_by_category)})")
    if data.account is not None and data.entity == "lead":
        parts.append(f"account {data.account.account_id} ({data.account.stage})")
    elif data.account is not None:
        parts.append(f"{data.account.engaged_people} engaged people")
    return " · ".join(parts)


def _categories(scores: Mapping[str, float]) -> str:
    return ", ".join(f"{name} {value:.1f}" for name, value in sorted(scores.items())) or "-"


def _signals(signals: Iterable[Contributor], show_lead: bool) -> list[str]:
    return [
        f"{INDENT}  {s.rule_id:<14}{s.weight:>6.1f} of {s.points:g} pts  "
        f"{s.event_id} at {clock(s.occurred_at)}" + (f"  ({s.lead_id})" if show_lead else "")
        for s in signals
    ] or [f"{INDENT}  (none)"]


def dead_letter(source: str, reason: str, original: bytes, elapsed_s: float) -> str:
    """A dead-lettered message: where it came from, why, and how it began."""
    text = original.decode("utf-8", "replace")
    shown = text if len(text) <= ORIGINAL_CHARS else text[:ORIGINAL_CHARS] + "…"
    return "\n".join(
        [
            f"{stamp(elapsed_s)} dead letter  from {source}",
            f"{INDENT}reason:   {reason}",
            f"{INDENT}original: {shown}",
        ]
    )


def lead_view(view: LeadView) -> str:
    """A ``GET /leads/{id}`` answer."""
    answers = ", ".join(f"{k}={v}" for k, v in sorted(view.answers.items())) or "-"
    return "\n".join(
        [
            f"GET /leads/{view.lead_id}  (as of {clock(view.as_of)} UTC)",
            f"{INDENT}stage {view.stage} since {clock(view.stage_since)}, "
            f"product stage {view.product_stage}, email {view.email}, account {view.account_id}",
            f"{INDENT}MQL score {view.mql_score:.1f} = fit {view.fit.score:g} "
            f"(grade {view.fit.grade}) + answers {view.answers_score:g} + intent "
            f"{view.intent_score:.1f} ({_categories(view.intent_by_category)})",
            f"{INDENT}answers: {answers}",
            f"{INDENT}person: {_fields(view.person)}",
            f"{INDENT}company: {_fields(view.company)}",
            f"{INDENT}top signals:",
            *_signals(view.top_signals, show_lead=False),
        ]
    )


#: Derived fields the demo leaves out (the id is shown already; the others repeat one).
_QUIET_FIELDS = frozenset({"id", "industry_raw", "employees_max", "employees_band"})


def _fields(values: Mapping[str, object]) -> str:
    """Derived traits as ``seniority=vp, department=engineering`` (``-`` if none)."""
    shown = [f"{k}={v}" for k, v in values.items() if k not in _QUIET_FIELDS]
    return ", ".join(shown) or "-"


def account_view(view: AccountView) -> str:
    """A ``GET /accounts/{id}`` answer."""
    people = [
        f"{INDENT}  {p.lead_id:<18}{p.persona:<22}"
        f"{'engaged' if p.engaged else 'not engaged'}, last {clock(p.last_engaged_at)}"
        for p in view.people
    ]
    return "\n".join(
        [
            f"GET /accounts/{view.account_id}  (as of {clock(view.as_of)} UTC)",
            f"{INDENT}stage {view.stage} since {clock(view.stage_since)}, intent "
            f"{view.intent_score:.1f} ({_categories(view.intent_by_category)}), "
            f"{view.engaged_people} engaged people, personas {', '.join(view.personas)}",
            f"{INDENT}company: {_fields(view.company)}",
            f"{INDENT}people:",
            *people,
            f"{INDENT}top signals:",
            *_signals(view.top_signals, show_lead=True),
        ]
    )


def timings(marks: Sequence[tuple[str, float]]) -> str:
    """``timings, seconds since the start: milestone 1.2 · …``."""
    listed = " · ".join(f"{name} {seconds:.1f}" for name, seconds in marks)
    return f"timings, seconds since the start: {listed}"
