"""The rules file: one YAML or TOML document validated into a frozen ``Rules`` model.

Contract: ``load_rules(path)`` either returns a fully validated ``Rules`` whose
``version`` is the SHA-256 of the file's canonical content (so equal rules give the same
version whatever their formatting), or raises ``RulesError`` listing every problem with
its field path (``intent.rules[2].cap.per: ...``). The version stamps every transition.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from schemas.base import Contract
from schemas.conditions import Conditions, Matcher
from schemas.freemail import DEFAULT_FREE_MAIL_DOMAINS
from schemas.outcomes import Outcomes
from schemas.traits import DERIVED_FIELDS

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _parse_duration(value: object) -> object:
    """Accept ``"14d"``, ``"36h"``, ``"90s"``, ``"250ms"`` besides pydantic's own forms."""
    if isinstance(value, str) and (match := _DURATION.match(value)):
        return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2]])
    return value


def _format_duration(value: timedelta) -> str:
    return f"{round(value.total_seconds() * 1000)}ms"


#: A positive duration, written ``"14d"``, ``"12h"``, ``"30m"``, ``"90s"`` or ISO-8601.
Duration = Annotated[
    timedelta,
    BeforeValidator(_parse_duration),
    PlainSerializer(_format_duration, return_type=str),
    Field(gt=timedelta(0)),
]

Grade = Literal["A", "B", "C", "D", "F"]
RuleId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]


def duration_ms(value: timedelta) -> int:
    """A duration in whole milliseconds, the engine's time unit."""
    return round(value.total_seconds() * 1000)


class FitRule(Contract):
    """Points for who someone is (traits, firmographics). Every matching rule adds."""

    id: RuleId
    description: str = ""
    when: Conditions
    points: float


class Disqualifier(Contract):
    """A hard stop: while it matches, the lead is ``disqualified`` and cannot be promoted."""

    id: RuleId
    reason: str
    when: Conditions


class Fit(Contract):
    rules: tuple[FitRule, ...] = ()
    #: Minimum fit score for each grade, checked A first; below every minimum is F.
    grades: dict[Literal["A", "B", "C", "D"], float] = Field(
        default_factory=lambda: {"A": 40.0, "B": 25.0, "C": 15.0, "D": 5.0}  # type: ignore[arg-type]
    )
    disqualifiers: tuple[Disqualifier, ...] = ()

    @field_validator("grades")
    @classmethod
    def _grades_descend(cls, grades: dict[str, float]) -> dict[str, float]:
        ordered = [grades[g] for g in "ABCD" if g in grades]
        if ordered != sorted(ordered, reverse=True):
            raise ValueError("grade minimums must not increase from A to D")
        return grades


class Answer(Contract):
    """A qualification answer gathered progressively (BANT/CHAMP style).

    ``field`` is read from a signal's traits or properties (a form field) and kept on the
    lead. ``points`` maps an answer value (case-insensitive) to points; ``"*"`` matches
    any non-empty value not listed.
    """

    id: RuleId
    field: str = Field(min_length=1)
    description: str = ""
    points: dict[str, float] = Field(default_factory=dict)


class Cap(Contract):
    """At most ``count`` scoring events per rule per event-time bucket of length ``per``.

    When more arrive, the earliest ``count`` (by event time, then event id) score, so the
    result does not depend on arrival order.
    """

    count: int = Field(ge=1, le=1000)
    per: Duration


class IntentRule(Contract):
    """Points for what someone does. Every matching rule adds (negative points allowed)."""

    id: RuleId
    description: str = ""
    when: Conditions
    points: float
    #: Decay category; defaults to the signal's channel (web, email, product, crm).
    category: str | None = None
    cap: Cap | None = None
    #: Machine activity (``Signal.is_bot``) scores only if this is set.
    count_bots: bool = False

    @field_validator("when")
    @classmethod
    def _event_fields_only(cls, when: dict[str, Matcher]) -> dict[str, Matcher]:
        for path in when:
            if path.partition(".")[0] in DERIVED_FIELDS:
                raise ValueError(
                    f"{path!r} describes a person, not an event: use it in fit rules, "
                    "disqualifiers or personas"
                )
        return when


class Intent(Contract):
    #: Half-life per decay category; ``default`` applies to categories not listed.
    half_lives: dict[str, Duration] = Field(default_factory=lambda: {"default": timedelta(days=14)})
    rules: tuple[IntentRule, ...] = ()
    #: Events older than this behind the lead's newest event are recorded but not scored.
    #: Within it, arrival order does not change any score: a catch-up after an outage of
    #: up to this long ends as if the events had arrived in order.
    late_event_horizon: Duration = timedelta(days=90)
    #: A repeated event id within this window of event time is ignored (vendor retries).
    #: Must be at least the late-event horizon, so a retried late event is recognised.
    dedupe_window: Duration = timedelta(days=90)

    @model_validator(mode="after")
    def _retries_recognisable(self) -> Intent:
        if self.dedupe_window < self.late_event_horizon:
            raise ValueError(
                "dedupe_window must be at least late_event_horizon, or a retried late "
                "event could be scored twice"
            )
        return self

    @field_validator("half_lives")
    @classmethod
    def _has_default(cls, half_lives: dict[str, timedelta]) -> dict[str, timedelta]:
        if "default" not in half_lives:
            raise ValueError("half_lives needs a 'default' entry")
        return half_lives


class ScoreStage(Contract):
    """A stage entered when a score reaches ``enter`` and left when it falls below ``exit``."""

    enter: float
    exit: float
    #: Intent categories counted; empty means all.
    categories: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _hysteresis(self) -> ScoreStage:
        if self.exit >= self.enter:
            raise ValueError(f"exit ({self.exit}) must be below enter ({self.enter})")
        return self


class MqlStage(ScoreStage):
    """Lead MQL: fit + answers + intent reaches ``enter``; recycled below ``exit``."""

    min_grade: Grade = "F"
    requires_answers: tuple[RuleId, ...] = ()


class SqlStage(Contract):
    """Lead SQL: an MQL raises a hand (an intent rule listed here) or sales accepts it."""

    on_rules: tuple[RuleId, ...] = ()
    #: CRM signal names that make any not-disqualified lead an SQL.
    on_crm: tuple[str, ...] = ("sales_accepted",)
    #: CRM signal names that recycle an MQL or SQL.
    recycle_on_crm: tuple[str, ...] = ("sales_rejected",)
    #: CRM signal names that disqualify the lead.
    disqualify_on_crm: tuple[str, ...] = ("disqualified",)
    requires_answers: tuple[RuleId, ...] = ()


class HandRaiseStage(Contract):
    """The fast lane: an event matching one of ``rules`` (a demo request, contact sales, a
    quote request...) makes a lead sales-ready (SQL) at once, whatever its score.

    Applies to a lead that is known, an MQL or recycled (a new hand-raise after a sales
    rejection is new news: it lifts the cool-down), never to a disqualified one, and only
    if its fit grade is at least ``min_grade``. Machine traffic never raises a hand.
    """

    rules: tuple[RuleId, ...] = ()
    min_grade: Grade = "F"


class PqlStage(ScoreStage):
    """Product-qualified lead: product-usage intent reaches ``enter``."""

    categories: tuple[str, ...] = ("product",)


class MqaStage(ScoreStage):
    """Account MQA: account intent reaches ``enter`` with enough engaged people."""

    min_engaged_people: int = Field(default=1, ge=1)
    min_personas: int = Field(default=1, ge=1)
    required_personas: tuple[RuleId, ...] = ()
    #: A member is engaged if they had a scoring intent event within this window.
    engaged_window: Duration = timedelta(days=30)


class Stages(Contract):
    mql: MqlStage
    sql: SqlStage = SqlStage()
    hand_raise: HandRaiseStage = HandRaiseStage()
    pql: PqlStage | None = None
    mqa: MqaStage | None = None


class Persona(Contract):
    """A buying-group role; the first persona whose conditions match is the lead's."""

    id: RuleId
    when: Conditions


class Accounts(Contract):
    #: Domains that never form an account (added to the built-in free-mail list).
    free_mail_domains: tuple[str, ...] = ()
    #: Replace the built-in free-mail list instead of extending it.
    replace_builtin_free_mail: bool = False

    def free_mail(self) -> frozenset[str]:
        own = {d.lower() for d in self.free_mail_domains}
        return frozenset(own if self.replace_builtin_free_mail else own | DEFAULT_FREE_MAIL_DOMAINS)


class Explain(Contract):
    #: Contributions kept per lead/account for explanations (largest decayed first).
    keep: int = Field(default=10, ge=1, le=100)
    #: Contributors listed on a transition.
    top: int = Field(default=5, ge=1, le=50)


class Rules(Contract):
    """The whole rules file. ``version`` is filled in by ``load_rules`` from the content."""

    name: str = "leadq rules"
    version: str = ""
    fit: Fit = Fit()
    answers: tuple[Answer, ...] = ()
    intent: Intent = Intent()
    stages: Stages
    personas: tuple[Persona, ...] = ()
    default_persona: RuleId = "other"
    accounts: Accounts = Accounts()
    explain: Explain = Explain()
    #: Reason codes for sales outcomes, read by the review report (``leadq report``).
    outcomes: Outcomes = Outcomes()

    @model_validator(mode="after")
    def _references_exist(self) -> Rules:
        intent_ids = [r.id for r in self.intent.rules]
        answer_ids = {a.id for a in self.answers}
        persona_ids = {p.id for p in self.personas} | {self.default_persona}
        _unique("intent.rules", intent_ids)
        _unique("fit.rules", [r.id for r in self.fit.rules])
        _unique("answers", [a.id for a in self.answers])
        _missing("stages.sql.on_rules", self.stages.sql.on_rules, set(intent_ids))
        _missing("stages.hand_raise.rules", self.stages.hand_raise.rules, set(intent_ids))
        _missing("stages.mql.requires_answers", self.stages.mql.requires_answers, answer_ids)
        _missing("stages.sql.requires_answers", self.stages.sql.requires_answers, answer_ids)
        if self.stages.mqa is not None:
            _missing("stages.mqa.required_personas", self.stages.mqa.required_personas, persona_ids)
        return self

    def half_life_ms(self, category: str) -> int:
        half_lives = self.intent.half_lives
        return duration_ms(half_lives.get(category, half_lives["default"]))


def _unique(where: str, ids: list[str]) -> None:
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"{where}: duplicate ids {duplicates}")


def _missing(where: str, wanted: tuple[str, ...], known: set[str]) -> None:
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise ValueError(f"{where}: unknown ids {unknown} (known: {sorted(known)})")


class RulesError(ValueError):
    """The rules file is unreadable or invalid; ``problems`` holds one line per error."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: invalid rules\n" + "\n".join(f"  {p}" for p in problems))


def parse_rules_document(text: str, suffix: str) -> Any:
    """Parse YAML (``.yaml``/``.yml``) or TOML (``.toml``) text into plain data."""
    if suffix == ".toml":
        return tomllib.loads(text)
    return yaml.safe_load(text)


def rules_from_data(data: Any, source: str = "<rules>") -> Rules:
    """Validate plain data into ``Rules`` stamped with its content hash, or raise RulesError."""
    if not isinstance(data, dict):
        raise RulesError(source, ["top level: expected a mapping of sections"])
    try:
        rules = Rules.model_validate(data)
    except ValidationError as error:
        raise RulesError(source, [_describe(e) for e in error.errors()]) from None
    # Sorted keys: mapping order (grades, half-lives) is formatting, not content. The
    # reason codes decide no stage (only how the review report files reasons), so they
    # are left out: editing them does not make every past transition look outdated.
    content = rules.model_dump(mode="json", exclude={"version", "outcomes"})
    canonical = json.dumps(content, sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    label = data.get("version")
    version = f"{label}+{digest}" if label else digest
    return rules.model_copy(update={"version": version})


def load_rules(path: str | Path) -> Rules:
    """Read and validate a rules file (YAML or TOML); raises RulesError with field paths."""
    path = Path(path)
    try:
        data = parse_rules_document(path.read_text(encoding="utf-8"), path.suffix.lower())
    except OSError as error:
        raise RulesError(str(path), [f"cannot read file: {error.strerror}"]) from None
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as error:
        raise RulesError(
            str(path), [f"not valid {path.suffix.lstrip('.') or 'YAML'}: {error}"]
        ) from None
    return rules_from_data(data, str(path))


def _describe(error: Any) -> str:
    location = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
    ).lstrip(".")
    given = error.get("input")
    shown = json.dumps(given, default=str)[:80] if not isinstance(given, dict) else "{...}"
    return f"{location or 'top level'}: {error['msg']} (got {shown})"
