"""Helpers for the router's integration tests: a routing file, transitions, reading back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from schemas.assignment import AssignmentEvent
from schemas.transition import AccountContext, Fit, TransitionData, TransitionEvent, to_cloudevent
from streams.kafka.topic_reader import Record
from streams.settings import Settings
from tests.helpers import produce_records, read_until

ALWAYS = [
    {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "23:59:59"}
]


def routing_file(
    directory: Path, first_touch: str = "1h", max_reassignments: int = 1, **team: Any
) -> Path:
    """One around-the-clock team ``inbound``: reps r1 (weight 2), r2, r3; SLA per rule."""
    spec: dict[str, Any] = {
        "id": "inbound",
        "name": "Inbound",
        "working_hours": ALWAYS,
        "manager": {"id": "boss", "name": "The Boss"},
        "reps": [{"id": "r1", "weight": 2}, {"id": "r2"}, {"id": "r3"}],
        "fallback": {"queue": {"id": "queue", "name": "Queue"}},
    }
    spec.update(team)
    data = {
        "teams": [spec],
        "rules": [
            {
                "name": "mql",
                "team": "inbound",
                "when": {"stage": ["mql", "sql"]},
                "sla": {"first_touch": first_touch, "max_reassignments": max_reassignments},
            },
        ],
    }
    path = directory / "routing.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def transition(lead_id: str, account: str | None = None, **changes: Any) -> TransitionEvent:
    data: dict[str, Any] = {
        "entity": "lead",
        "entity_id": lead_id,
        "track": "lifecycle",
        "stage_from": "known",
        "stage_to": "mql",
        "reason": "score reached the MQL threshold",
        "score": 120.0,
        "threshold": 100.0,
        "intent_score": 80.0,
        "intent_by_category": {"web": 80.0},
        "top_signals": (),
        "trigger_event_id": f"ev-{lead_id}",
        "rules_version": "test",
        "at": datetime.now(UTC).replace(microsecond=0),
        "fit": Fit(score=40.0, grade="A"),
    }
    if account is not None:
        data["account"] = AccountContext(
            account_id=account,
            domain=account,
            stage="unengaged",
            intent_score=80.0,
            engaged_people=1,
            personas=("decision_maker",),
        )
    data.update(changes)
    return to_cloudevent(TransitionData(**data))


async def send_transitions(settings: Settings, events: Sequence[TransitionEvent]) -> None:
    routing = settings.topics.routing
    await produce_records(
        settings.kafka_bootstrap,
        [(routing, e.partitionkey.encode(), e.model_dump_json().encode()) for e in events],
    )


def crm_touch(email: str, event_id: str, at: datetime, name: str = "sales_accepted") -> bytes:
    return (
        f'{{"schema_version": 1, "channel": "crm", "event_id": "{event_id}", "name": "{name}", '
        f'"occurred_at": "{at.isoformat()}", "identity": {{"email": "{email}"}}}}'
    ).encode()


def assignments(records: Sequence[Record]) -> list[AssignmentEvent]:
    return [AssignmentEvent.model_validate_json(r.value or b"") for r in records]


async def read_assignments(
    settings: Settings, count: int, deadline_s: float = 30.0
) -> list[AssignmentEvent]:
    records = await read_until(
        settings.kafka_bootstrap,
        [settings.topics.assignments],
        lambda found: len(found) >= count,
        deadline_s,
    )
    return assignments(records)
