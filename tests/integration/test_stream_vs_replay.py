"""Streaming a file of events gives the transitions ``leadq replay`` gives on that file.

The file (``scenario.story``) mixes every inbound format: Segment calls, SendGrid
webhook arrays, leadq canonical product and CRM events. It holds two companies' buying
groups: identify stitching of an anonymous visitor, a demo request (MQL then SQL), an
MQA, a sales rejection (recycled) and a sales acceptance (SQL).

What is compared: every transition, whole — CloudEvent id, type, subject, trigger, time
and the full explanation (reason, scores, fit, top signals with decayed weights,
account context, rules version). Decay-driven transitions fire on wall-clock time in
the stream but only up to the last event's time in the replay; the story's events are
two hours old and its decay exits are days away, so neither side has any, and the test
checks that every transition was triggered by an event.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agents.worker import build_app
from leadq.compiled import compile_rules
from schemas.rules import load_rules
from schemas.transition import TransitionEvent
from streams.settings import Settings
from tests.helpers import read_until, running_app
from tests.integration.scenario import (
    distinct,
    feed_in_event_order,
    has_ids,
    open_store,
    recent_start,
    story,
    transition_events,
)

pytestmark = pytest.mark.integration


def leadq_replay(rules: Path, events: Path) -> list[TransitionEvent]:
    """``leadq replay --rules RULES EVENTS``: one CloudEvent JSON line per transition."""
    done = subprocess.run(
        [sys.executable, "-m", "cli", "replay", "--rules", str(rules), "--strict", str(events)],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    return [TransitionEvent.model_validate_json(line) for line in done.stdout.splitlines()]


def summary(event: TransitionEvent) -> tuple[str, str, str | None, str]:
    return (event.type, event.subject, event.data.trigger_event_id, event.time.isoformat())


async def test_streaming_a_file_gives_the_transitions_of_leadq_replay(
    qualifier_settings: Settings, tmp_path: Path
) -> None:
    settings = qualifier_settings
    messages = story(recent_start())
    events_file = tmp_path / "events.jsonl"
    events_file.write_bytes(b"".join(m.value + b"\n" for m in messages))
    replayed = distinct(leadq_replay(settings.rules_path, events_file))
    assert {e.type for e in replayed.values()} >= {
        "io.leadq.lead.mql",
        "io.leadq.lead.sql",
        "io.leadq.lead.recycled",
        "io.leadq.account.mqa",
    }
    assert all(e.data.trigger_event_id for e in replayed.values())

    rules = compile_rules(load_rules(settings.rules_path))
    async with running_app(build_app(settings)), open_store(settings, rules) as store:
        await feed_in_event_order(settings, store, messages)
        records = await read_until(
            settings.kafka_bootstrap, [settings.topics.routing], has_ids(replayed)
        )
    streamed = distinct(transition_events(records))

    assert sorted(map(summary, streamed.values())) == sorted(map(summary, replayed.values()))
    for event_id, event in replayed.items():
        assert streamed[event_id].data.reason == event.data.reason
        assert streamed[event_id].data.top_signals == event.data.top_signals
        assert streamed[event_id] == event
