"""The ABM consumer's Redis state: intent points per account and event-time day, and the
marks of what was already signalled.

Contract: ``record`` counts each (event, rule) of an account once, atomically with its
de-duplication mark and cap count (``abm_record.lua``), so a re-delivered or re-produced
signal never counts twice into a window or a baseline. ``mark`` writes the marks and the
handled transitions in one step, refused if another writer changed the marks since
``read`` (``abm_mark.lua``). No surge, persona or stage rule lives in a script.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadq.abm.decide import Marks, PersonaMark
from leadq.abm.points import AccountPoints
from leadq.abm.surge import DAY_MS, SurgeThresholds, day_of
from leadq.state import event_digest
from streams.abm.keys import AbmKeys
from streams.state.scripts import Client, Script, raise_errors, run_all, run_commands

RECORD = Script("abm_record")
MARK = Script("abm_mark")
#: ``record`` outcomes.
COUNTED, DUPLICATE, OVER_CAP, TOO_OLD = 1, 0, 2, 3


@dataclass(frozen=True, slots=True)
class Stored:
    """What the store holds about one account."""

    marks: Marks = field(default_factory=Marks)
    version: int = 0
    day_totals: Mapping[int, float] = field(default_factory=dict)
    newest_day: int | None = None
    #: Of the transition ids asked about, those already handled.
    handled: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Marking:
    """What to remember about one account, and the marks version it was decided on."""

    account_id: str
    version: int
    marks: Marks
    handled: Sequence[str] = ()


class AbmStore:
    def __init__(
        self,
        client: Client,
        thresholds: SurgeThresholds,
        *,
        dedupe_s: int,
        idle_s: int,
        keys: AbmKeys | None = None,
    ) -> None:
        self.client = client
        self.thresholds = thresholds
        self.dedupe_s = dedupe_s
        #: How long an account's days and marks live after its last write.
        self.idle_s = idle_s
        self.keys = keys or AbmKeys()

    async def record(self, points: Sequence[AccountPoints]) -> list[int]:
        """Count each (event, rule) once into its account's day; the outcome of each."""
        return [int(reply) for reply in await run_all(self.client, RECORD, [
            self._record_call(p) for p in points
        ])]  # fmt: skip

    def _record_call(self, p: AccountPoints) -> tuple[list[str], list[Any]]:
        keys, span = self.keys, self.thresholds.span_days
        day = day_of(p.occurred_ms)
        count, window, expire_cap = 0, 0, 0
        if p.cap is not None:
            count, per_ms = p.cap
            window = p.occurred_ms // per_ms
            expire_cap = ((window + 1) * per_ms + span * DAY_MS) // 1000 + 86_400
        expire_day = (day + 1 + span) * 86_400 + 86_400
        digest = f"{event_digest(p.event_id):016x}"
        return (
            [
                keys.day(p.account_id, day),
                keys.days(p.account_id),
                keys.cap(p.account_id, p.lead_id, p.rule_id, window),
            ],
            [
                f"e:{digest}:{p.rule_id}", day, repr(p.points), f"r:{p.rule_id}",
                f"l:{p.lead_id}", span, expire_day, count, expire_cap, self.idle_s,
            ],
        )  # fmt: skip

    async def read(self, account_id: str, transition_ids: Sequence[str] = ()) -> Stored:
        """The account's marks, day totals and which of ``transition_ids`` were handled."""
        return (await self.read_many({account_id: transition_ids}))[account_id]

    async def read_many(self, wanted: Mapping[str, Sequence[str]]) -> dict[str, Stored]:
        """``read`` for several accounts (account → transition ids), in one round trip."""
        keys = self.keys
        commands: list[Sequence[Any]] = []
        for account_id, transition_ids in wanted.items():
            commands += [("HGETALL", keys.marks(account_id)), ("HGETALL", keys.days(account_id))]
            commands += [("EXISTS", keys.handled(account_id, t)) for t in transition_ids]
        replies = await run_commands(self.client, commands)
        raise_errors(replies)
        found: dict[str, Stored] = {}
        at = 0
        for account_id, transition_ids in wanted.items():
            size = 2 + len(transition_ids)
            found[account_id] = _stored(replies[at : at + size], transition_ids)
            at += size
        return found

    async def window_points(
        self, wanted: Mapping[str, range]
    ) -> dict[str, tuple[dict[str, float], dict[str, float]]]:
        """Points per rule and per person over each account's ``days`` (account → days),
        in one round trip: the signals behind a surge."""
        commands = [
            ("HGETALL", self.keys.day(account_id, day))
            for account_id, days in wanted.items()
            for day in days
        ]
        replies = await run_commands(self.client, commands)
        raise_errors(replies)
        found: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
        at = 0
        for account_id, days in wanted.items():
            found[account_id] = _window_totals(replies[at : at + len(days)])
            at += len(days)
        return found

    async def mark(self, marks: Sequence[Marking]) -> list[bool]:
        """Remember each account's marks and handled transitions, in one round trip;
        per account, ``False`` if its marks changed since they were read (nothing
        written for it)."""
        calls = []
        for m in marks:
            handled = (self.keys.handled(m.account_id, t) for t in m.handled)
            keys = [self.keys.marks(m.account_id), *handled]
            args: list[Any] = [m.version, self.dedupe_s, self.idle_s, *_encode_marks(m.marks)]
            calls.append((keys, args))
        return [int(reply) >= 0 for reply in await run_all(self.client, MARK, calls)]


def _stored(replies: Sequence[Any], transition_ids: Sequence[str]) -> Stored:
    marks_hash, days_hash, *exists = replies
    marks, version = _decode_marks(_text(marks_hash))
    totals = _text(days_hash)
    newest = totals.pop("newest", None)
    return Stored(
        marks=marks,
        version=version,
        day_totals={int(day): float(points) for day, points in totals.items()},
        newest_day=None if newest is None else int(newest),
        handled=frozenset(t for t, found in zip(transition_ids, exists, strict=True) if found),
    )


def _window_totals(replies: Sequence[Any]) -> tuple[dict[str, float], dict[str, float]]:
    rules: dict[str, float] = {}
    people: dict[str, float] = {}
    for reply in replies:
        for name, value in _text(reply).items():
            kind, _, what = name.partition(":")
            target = rules if kind == "r" else people if kind == "l" else None
            if target is not None:
                target[what] = target.get(what, 0.0) + float(value)
    return rules, people


def _text(reply: Any) -> dict[str, str]:
    return {_str(name): _str(value) for name, value in (reply or {}).items()}


def _str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _encode_marks(marks: Marks) -> list[str]:
    fields = ["se", str(marks.surge_episodes), "sg", "1" if marks.surging else "0"]
    fields += ["sd", str(marks.surge_day)]
    for persona, mark in sorted(marks.personas.items()):
        fields += [f"p:{persona}", f"{mark.count},{1 if mark.engaged else 0},{mark.seen_ms}"]
    return fields


def _decode_marks(fields: dict[str, str]) -> tuple[Marks, int]:
    personas: dict[str, PersonaMark] = {}
    for name, value in fields.items():
        if name.startswith("p:"):
            count, engaged, seen_ms = value.split(",")
            personas[name[2:]] = PersonaMark(int(count), engaged == "1", int(seen_ms))
    marks = Marks(
        surge_episodes=int(fields.get("se", "0")),
        surging=fields.get("sg") == "1",
        surge_day=int(fields.get("sd", "-1")),
        personas=personas,
    )
    return marks, int(fields.get("v", "0"))
