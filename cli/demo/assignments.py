"""The demo's routing part: the worker routes with ``rules/routing.example.yaml`` (unless
``LEADQ_ROUTING_PATH`` names another file), and the demo prints each assignment of the
scenario's leads from ``leadq.assignments``: owner, team, rule, why, SLA deadline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cli.demo.render import INDENT, Console, clock, stamp
from cli.demo.scenario import Expected
from leadq.routing.facts import LeadFacts
from leadq.routing.match import match_rule
from schemas.assignment import AssignmentEvent
from schemas.routing import load_routing
from streams.kafka.topic_reader import Record, TopicReader
from streams.settings import Settings

DEMO_ROUTING = Path("rules/routing.example.yaml")
#: How long the demo waits for the assignments after the last transition arrived.
ASSIGNMENTS_DEADLINE_S = 20.0


def with_routing(settings: Settings) -> Settings:
    """``settings`` routing with the example file, unless a routing file is set."""
    if settings.routing_path is not None or not DEMO_ROUTING.exists():
        return settings
    return settings.with_changes(routing_path=DEMO_ROUTING)


def expected_assignments(settings: Settings, expected: Expected) -> int:
    """How many of the scenario's transitions the routing file routes (the scenario's
    people carry no country, size or persona facts a rule could need)."""
    if settings.routing_path is None:
        return 0
    config = load_routing(settings.routing_path)
    return sum(
        match_rule(config, t, LeadFacts(t.entity_id)) is not None for t in expected.transitions
    )


def assignment(event: AssignmentEvent, elapsed_s: float) -> str:
    """An assignment or SLA breach: lead, owner, team, rule, why and the SLA deadline."""
    data = event.data
    kind = "assigned" if data.kind == "assigned" else "SLA breached"
    sla = f"first touch by {clock(data.sla_deadline)} UTC" if data.sla_deadline else "no SLA"
    return "\n".join(
        [
            f"{stamp(elapsed_s)} {event.type}  lead {data.lead.lead_id} ({data.stage})",
            f"{INDENT}{kind}: {data.owner.name or data.owner.id} ({data.owner.id}), team "
            f"{data.team.name or data.team.id}, rule {data.rule}",
            f"{INDENT}why: {data.reason}; {sla}",
        ]
    )


async def show_assignments(settings: Settings, expected: Expected, console: Console) -> None:
    """Print the scenario's assignments as the router publishes them; ``TimeoutError``
    if fewer than the routing file routes arrive in time."""
    wanted = expected_assignments(settings, expected)
    if not wanted:
        return
    shown: list[AssignmentEvent] = []

    def done(records: Sequence[Record]) -> bool:
        for record in records[len(shown) :]:
            event = AssignmentEvent.model_validate_json(record.value or b"")
            shown.append(event)
            if event.data.lead.lead_id in expected.leads:
                console.say(assignment(event, console.elapsed()))
                console.say((record.value or b"").decode() if console.show_json else "")
        return sum(e.data.lead.lead_id in expected.leads for e in shown) >= wanted

    async with TopicReader(settings.kafka_bootstrap, [settings.topics.assignments]) as reader:
        try:
            await reader.read_until(done, ASSIGNMENTS_DEADLINE_S)
        except TimeoutError as error:
            raise TimeoutError(f"expected {wanted} assignment(s) from the router") from error
    console.mark("assignments")
