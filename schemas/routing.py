"""The routing file: teams, reps, territories and SLAs, validated into a frozen model.

Contract: ``load_routing(path)`` either returns a fully validated ``RoutingConfig`` whose
``version`` is the SHA-256 of the file's canonical content (plus the optional label), or
raises ``RoutingError`` listing every problem with its field path
(``teams[1].reps[0].timezone: ...``), like the rules file (``schemas.rules``). Rules are
tried in file order; the first whose ``when`` holds picks the team. Cross-references
(a rule's team, a region, a fallback rep, a manager for SLAs) are checked here, so the
router never meets a dangling name.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, Field, ValidationError, model_validator

from schemas.base import Contract
from schemas.rules import Duration, Grade, RuleId, parse_rules_document

#: A lead's lifecycle or product stage (``schemas.transition``), as one flat choice.
RoutableStage = Literal["known", "mql", "sql", "recycled", "disqualified", "pql", "pql_lapsed"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PersonId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$")]


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name like 'Europe/Berlin')"
        ) from None
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]


class WorkingHours(Contract):
    """One weekly window, in the owner's time zone: ``start`` ≤ local time < ``end``.

    A night shift that crosses midnight is two windows (``22:00-24:00`` is written
    ``start: "22:00", end: "23:59:59"``)."""

    days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    start: time = time(9)
    end: time = time(17)

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


DEFAULT_HOURS: tuple[WorkingHours, ...] = (WorkingHours(),)


class OutOfOffice(Contract):
    """Away from ``start`` to ``end``, both dates inclusive, in the rep's time zone."""

    start: date
    end: date
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> OutOfOffice:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class Person(Contract):
    """Someone (or a queue) a lead can be given to; ``id`` is what the CRM knows them by."""

    id: PersonId
    name: str | None = None
    email: str | None = None
    #: A Slack-compatible incoming-webhook URL for alerts to this person.
    webhook_url: str | None = None


class Rep(Person):
    #: Share of round-robin assignments: a rep of weight 2 gets twice a weight-1 rep's.
    #: 0 takes no round-robin leads (an owner of named accounts only).
    weight: int = Field(default=1, ge=0, le=1000)
    #: Most round-robin assignments per day (the team's day, in its time zone); none: no cap.
    daily_cap: int | None = Field(default=None, ge=0)
    #: Default: the team's.
    timezone: TimeZoneName | None = None
    #: Default: the team's.
    working_hours: tuple[WorkingHours, ...] | None = None
    out_of_office: tuple[OutOfOffice, ...] = ()


class Fallback(Contract):
    """Who gets a lead when no rep is available: one named rep of the team, or a queue."""

    rep: PersonId | None = None
    queue: Person | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Fallback:
        if (self.rep is None) == (self.queue is None):
            raise ValueError("give exactly one of rep (a rep id of the team) or queue")
        return self


class Stickiness(Contract):
    #: A lead at an account that has an owner in this team goes to that owner (when
    #: available; else round robin, and the account keeps its owner).
    account_owner: bool = True
    #: The first assignment at an account without an owner makes that rep its owner.
    claim_accounts: bool = True
    #: A lead routed again (MQL, later SQL) goes back to the rep who has it.
    lead_owner: bool = True


class Team(Contract):
    id: RuleId
    name: str | None = None
    webhook_url: str | None = None
    #: The team's day (daily caps) and the default for its reps' working hours.
    timezone: TimeZoneName = "UTC"
    working_hours: tuple[WorkingHours, ...] = DEFAULT_HOURS
    reps: tuple[Rep, ...] = Field(min_length=1)
    #: Receives the lead when the SLA was missed by every rep it was given to.
    manager: Person | None = None
    fallback: Fallback
    stickiness: Stickiness = Stickiness()

    @model_validator(mode="after")
    def _references(self) -> Team:
        ids = [rep.id for rep in self.reps]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate rep ids {duplicates}")
        if self.fallback.rep is not None and self.fallback.rep not in ids:
            raise ValueError(f"fallback rep {self.fallback.rep!r} is not one of reps {ids}")
        return self

    def rep(self, rep_id: str) -> Rep | None:
        return next((rep for rep in self.reps if rep.id == rep_id), None)


class Range(Contract):
    gte: float | None = None
    lte: float | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> Range:
        if self.gte is None and self.lte is None:
            raise ValueError("give gte, lte or both")
        return self


class When(Contract):
    """What a transition must be for a rule to match; every given field must hold.

    Text comparisons ignore case. Lead facts (country, size, industry, persona) come
    from the lead's and its account's traits as the worker's read side has them; a fact
    that is unknown never matches a condition on it."""

    #: The stage the transition moved to (``stage_to``).
    stage: tuple[RoutableStage, ...] | None = None
    #: true: only hand-raises (a demo request...); false: only other moves.
    hand_raise: bool | None = None
    fit_grade: tuple[Grade, ...] | None = None
    #: The lead's buying-committee persona (the rules file's ``personas``).
    persona: tuple[str, ...] | None = None
    #: ISO country codes or names, as the traits carry them.
    country: tuple[str, ...] | None = None
    #: Names of ``regions`` of this file.
    region: tuple[str, ...] | None = None
    #: Company size (the account's ``employees``).
    employees: Range | None = None
    industry: tuple[str, ...] | None = None


class Sla(Contract):
    #: Time from assignment to the first CRM touch (wall clock; see docs/consumers.md).
    first_touch: Duration
    #: Reassignments to the next rep after a breach, before escalating to the manager.
    max_reassignments: int = Field(default=1, ge=0, le=20)


class RoutingRule(Contract):
    name: RuleId
    description: str | None = None
    when: When = When()
    team: RuleId
    sla: Sla | None = None


class RoutingConfig(Contract):
    name: str | None = None
    #: Optional label, prefixed to the content hash in ``version`` when loaded.
    version: str | None = None
    #: Region name → countries (codes or names), for ``when.region``.
    regions: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    teams: tuple[Team, ...] = Field(min_length=1)
    #: Tried in order; the first match routes. A transition no rule matches is not routed.
    rules: tuple[RoutingRule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> RoutingConfig:
        teams = {team.id: team for team in self.teams}
        if len(teams) != len(self.teams):
            raise ValueError("teams: duplicate team ids")
        names = [rule.name for rule in self.rules]
        if len(set(names)) != len(names):
            raise ValueError(
                f"rules: duplicate names {sorted({n for n in names if names.count(n) > 1})}"
            )
        for index, rule in enumerate(self.rules):
            where = f"rules[{index}] ({rule.name})"
            team = teams.get(rule.team)
            if team is None:
                raise ValueError(f"{where}: unknown team {rule.team!r} (known: {sorted(teams)})")
            unknown = [r for r in rule.when.region or () if r not in self.regions]
            if unknown:
                raise ValueError(
                    f"{where}: unknown regions {unknown} (known: {sorted(self.regions)})"
                )
            if rule.sla is not None and team.manager is None:
                raise ValueError(
                    f"{where}: has an SLA but team {team.id!r} has no manager to escalate to"
                )
        return self

    def team(self, team_id: str) -> Team:
        return next(team for team in self.teams if team.id == team_id)

    def rule(self, name: str) -> RoutingRule | None:
        return next((rule for rule in self.rules if rule.name == name), None)


class RoutingError(ValueError):
    """The routing file is unreadable or invalid; ``problems`` holds one line per error."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: invalid routing\n" + "\n".join(f"  {p}" for p in problems))


def routing_from_data(data: Any, source: str = "<routing>") -> RoutingConfig:
    """Validate plain data into a stamped ``RoutingConfig``, or raise RoutingError."""
    if not isinstance(data, dict):
        raise RoutingError(source, ["top level: expected a mapping with teams and rules"])
    try:
        config = RoutingConfig.model_validate(data)
    except ValidationError as error:
        raise RoutingError(source, [_describe(e) for e in _root_causes(error)]) from None
    canonical = json.dumps(config.model_dump(mode="json", exclude={"version"}), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    label = data.get("version")
    return config.model_copy(update={"version": f"{label}+{digest}" if label else digest})


def load_routing(path: str | Path) -> RoutingConfig:
    """Read and validate a routing file (YAML or TOML); raises RoutingError with field paths."""
    path = Path(path)
    try:
        data = parse_rules_document(path.read_text(encoding="utf-8"), path.suffix.lower())
    except OSError as error:
        raise RoutingError(str(path), [f"cannot read file: {error.strerror}"]) from None
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as error:
        kind = path.suffix.lstrip(".") or "YAML"
        raise RoutingError(str(path), [f"not valid {kind}: {error}"]) from None
    return routing_from_data(data, str(path))


def _root_causes(error: ValidationError) -> list[Any]:
    """The errors, without a list's "too short" that only echoes a bad item inside it
    (pydantic counts a list whose items failed as empty)."""
    errors = error.errors()
    return [
        e
        for e in errors
        if e["type"] != "too_short"
        or not any(o is not e and o["loc"][: len(e["loc"])] == e["loc"] for o in errors)
    ]


def _describe(error: Any) -> str:
    location = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
    ).lstrip(".")
    given = error.get("input")
    shown = json.dumps(given, default=str)[:80] if not isinstance(given, dict) else "{...}"
    return f"{location or 'top level'}: {error['msg']} (got {shown})"
