"""The demo's alert part: a worker alerts the demo's local webhook, and the demo prints it."""

from __future__ import annotations

import io
import uuid

import pytest

from agents.worker import build_app
from cli.demo.render import Console
from cli.demo.webhook_alerts import AlertInbox, show_alerts, with_alert_inbox
from schemas.assignment import LeadContext
from streams.process import free_port
from streams.settings import Settings
from tests.assignment_samples import assignment
from tests.helpers import produce_records, running_app

pytestmark = pytest.mark.integration


async def test_the_demo_prints_the_alert_its_webhook_received(
    qualifier_settings: Settings,
) -> None:
    settings = with_alert_inbox(qualifier_settings, free_port())
    ada = assignment(
        lead=LeadContext(lead_id="u:ada", name="Ada Lovelace", company="Acme"),
        transition_id=f"tr-{uuid.uuid4().hex[:8]}",
    )
    other = assignment(transition_id=f"tr-{uuid.uuid4().hex[:8]}")  # not this run's lead
    topic = settings.topics.assignments
    console = Console(io.StringIO())
    async with AlertInbox(settings) as inbox, running_app(build_app(settings)):
        await produce_records(
            settings.kafka_bootstrap,
            [(topic, e.partitionkey.encode(), e.model_dump_json().encode()) for e in (ada, other)],
        )
        await show_alerts(settings, inbox, {"u:ada"}, console)
    out = console.out.getvalue()  # type: ignore[attr-defined]
    assert out.count("alert  received by the local webhook") == 1
    assert "🙋 Hand-raise: Ada Lovelace at Acme (SQL)" in out
    assert "Company: Acme | Stage: SQL | Hand-raise: demo request" in out
    assert "• demo request (web), 1 min ago, worth 30.0 points" in out
    assert "| SLA deadline: 2026-12-03 09:05 UTC" in out
    assert f"alert {ada.id}" in out


async def test_without_assignments_the_demo_says_there_is_no_alert(
    leadq_settings: Settings,
) -> None:
    settings = with_alert_inbox(leadq_settings, free_port())
    console = Console(io.StringIO())
    async with AlertInbox(settings) as inbox:
        await show_alerts(settings, inbox, {"u:ada"}, console)
    assert "no assignment on" in console.out.getvalue()  # type: ignore[attr-defined]
