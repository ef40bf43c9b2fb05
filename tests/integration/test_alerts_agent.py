"""SDR alerts end to end: assignment events on the real broker → the worker → a webhook.

A worker (``build_app``) consumes the assignments topic, claims each alert in the real
Redis, and POSTs it to a real local webhook server; re-delivered events and a restarted
worker reading everything again send nothing twice; what cannot be delivered, and what
is not an assignment event, goes to the dead-letter topic (without webhook secrets).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from agents.worker import build_app
from schemas.assignment import Assignee, AssignmentEvent, LeadContext, TeamRef
from streams.alerts.ledger import AlertLedger
from streams.kafka.dead_letter import REASON_HEADER
from streams.process import free_port
from streams.settings import AlertsSettings, Settings
from streams.state.connect import redis_client
from streams.worker_process import WORKER_STOP_TIMEOUT_S, worker_process
from tests.assignment_samples import assignment, breach
from tests.helpers import Outgoing, eventually, produce_records, read_until, running_app
from tests.webhook_server import Scripted, WebhookServer

pytestmark = pytest.mark.integration


def alert_settings(settings: Settings, hooks: WebhookServer, **changes: Any) -> Settings:
    alerts = AlertsSettings(
        webhook_url=hooks.url("default"),
        per_webhook_interval_s=0.0,
        backoff_base_s=0.1,
        backoff_max_s=0.2,
        request_timeout_s=2.0,
        claim_lease_s=5.0,
        max_attempts=3,
    ).model_copy(update=changes)
    return settings.model_copy(update={"alerts": alerts})


def lead_event(lead: str, n: int, **changes: Any) -> AssignmentEvent:
    """An assignment of its own (id) for ``lead``, keyed by it."""
    transition = f"tr-{lead}-{n}-{uuid.uuid4().hex[:6]}"
    lead_context = LeadContext(lead_id=lead, name=lead)
    return assignment(lead=lead_context, transition_id=transition, **changes)


def record(settings: Settings, event: AssignmentEvent) -> Outgoing:
    return (
        settings.topics.assignments,
        event.partitionkey.encode(),
        event.model_dump_json().encode(),
    )


def to_rep(hooks: WebhookServer, name: str) -> Assignee:
    return Assignee(id=name, name=name.title(), webhook_url=hooks.url(name))


async def test_every_assignment_reaches_its_webhook_once_across_redelivery_and_restart(
    qualifier_settings: Settings,
) -> None:
    async with WebhookServer() as hooks:
        settings = alert_settings(qualifier_settings, hooks)
        owners = lead_event("lead-1", 1, owner=to_rep(hooks, "rep-a"))
        teams = lead_event("lead-2", 1, team=TeamRef(id="team-b", webhook_url=hooks.url("team-b")))
        defaults = lead_event("lead-3", 1)
        missed = breach(transition_id=f"tr-b-{uuid.uuid4().hex[:6]}",
                        owner=to_rep(hooks, "rep-a"))  # fmt: skip
        first = [owners, teams, defaults, missed]
        async with running_app(build_app(settings)):
            await produce_records(settings.kafka_bootstrap, [record(settings, e) for e in first])
            await eventually(lambda: len(hooks.received) >= 4)
            assert sorted(r.name for r in hooks.received) == ["default", "rep-a", "rep-a", "team-b"]
            # The same events again (a producer retry, a router restart), then a marker
            # behind them on each webhook: once the markers arrive, the copies are done.
            markers = [lead_event(e.partitionkey, 2, owner=e.data.owner, team=e.data.team)
                       for e in (owners, teams, defaults)]  # fmt: skip
            again = [record(settings, e) for e in first + markers]
            await produce_records(settings.kafka_bootstrap, again)
            await eventually(lambda: len(hooks.received) >= 7)
        # A new worker group reads the whole topic again (as after a crash before commit).
        restarted = settings.with_changes(
            app_id=f"{settings.app_id}-restarted", web_port=free_port()
        )
        late = lead_event("lead-1", 3, owner=to_rep(hooks, "rep-a"))
        async with running_app(build_app(restarted)):
            await produce_records(settings.kafka_bootstrap, [record(settings, late)])
            await eventually(lambda: len(hooks.received) >= 8)
        ids = [r.body["blocks"][-1]["elements"][0]["text"].rsplit(" ", 1)[1]
               for r in hooks.received]  # fmt: skip
    assert len(ids) == len(set(ids)) == 8, "an alert was delivered twice"
    assert set(ids) == {e.id for e in [*first, *markers, late]}
    breach_alert = next(r for r in hooks.received if r.body["text"].startswith("SLA missed"))
    assert breach_alert.name == "rep-a"


async def test_what_cannot_be_delivered_is_dead_lettered_once_without_secrets(
    qualifier_settings: Settings,
) -> None:
    async with WebhookServer() as hooks:
        settings = alert_settings(qualifier_settings, hooks)
        hooks.answer("revoked", Scripted(404, "no_service"))
        hooks.answer("down", *[Scripted(500, "oops")] * 3)
        revoked = lead_event("lead-r", 1, owner=to_rep(hooks, "revoked"))
        down = lead_event("lead-d", 1, owner=to_rep(hooks, "down"))
        records = [record(settings, e) for e in (revoked, down)]
        records.append((settings.topics.assignments, b"lead-x", b'{"not": "an assignment"}'))
        dead = settings.topics.dead_letter
        async with running_app(build_app(settings)):
            await produce_records(settings.kafka_bootstrap, records)
            letters = await read_until(settings.kafka_bootstrap, [dead], lambda rs: len(rs) >= 3)
            # Re-delivered: the failures are remembered, not retried or dead-lettered again.
            marker = lead_event("lead-d", 2, owner=to_rep(hooks, "down"))
            await produce_records(
                settings.kafka_bootstrap, [*records[:2], record(settings, marker)]
            )
            await eventually(lambda: len(hooks.to("down")) >= 4)
        letters = await read_until(settings.kafka_bootstrap, [dead], lambda rs: len(rs) >= 3)
        client = redis_client(settings.redis_url)
        try:
            ledger = AlertLedger(client, "lq", 1.0, 1.0)
            assert await ledger.state(revoked.id) == "x"
            assert await ledger.state(down.id) == "x"
            assert await ledger.state(marker.id) == "d"
        finally:
            await client.aclose()
    assert len(letters) == 3
    assert len(hooks.to("revoked")) == 1  # a 404 is not retried
    assert len(hooks.to("down")) == 4  # three attempts, then the marker
    reasons = {letter.key: letter.headers[REASON_HEADER].decode() for letter in letters}
    assert "HTTP 404 'no_service'" in reasons[b"lead-r"]
    assert "HTTP 500 'oops' (after 3 request(s))" in reasons[b"lead-d"]
    assert reasons[b"lead-x"].startswith("not an assignment event")
    for letter in letters:
        everything = (letter.value or b"") + b"".join(letter.headers.values())
        assert b"secret-token" not in everything
    by_key = {letter.key: letter for letter in letters}
    assert by_key[b"lead-r"].headers["leadq.redacted"] == b"webhook_url"
    kept = AssignmentEvent.model_validate_json(by_key[b"lead-r"].value or b"")
    assert kept.id == revoked.id
    assert by_key[b"lead-x"].value == b'{"not": "an assignment"}'


async def test_a_worker_killed_mid_request_sends_that_alert_at_most_once_more(
    qualifier_settings: Settings, tmp_path: Path
) -> None:
    async with WebhookServer() as hooks:
        # Long enough a request for the kill to land while it waits for the answer.
        hooks.answer("slow", Scripted(200, "ok", delay_s=4.0))
        settings = alert_settings(qualifier_settings, hooks, request_timeout_s=6.0,
                                  claim_lease_s=7.0)  # fmt: skip
        alert = lead_event("lead-k", 1, owner=to_rep(hooks, "slow"))
        first = worker_process(settings, tmp_path, "worker (to be killed)")
        first.start()
        try:
            await produce_records(settings.kafka_bootstrap, [record(settings, alert)])
            await eventually(lambda: len(hooks.to("slow")) == 1)
        finally:
            first.kill()  # SIGKILL mid-request: no answer read, nothing recorded, no commit
        second = worker_process(settings, tmp_path, "worker (restarted)")
        second.start()
        try:
            # Behind the re-delivered alert on the same partition and webhook.
            marker = lead_event("lead-k", 2, owner=to_rep(hooks, "slow"))
            await produce_records(settings.kafka_bootstrap, [record(settings, marker)])
            await eventually(lambda: len(hooks.to("slow")) >= 3, deadline_s=60)
        finally:
            exit_code = second.stop(WORKER_STOP_TIMEOUT_S)
        assert exit_code == 0, second.log_tail(40)
        client = redis_client(settings.redis_url)
        try:
            ledger = AlertLedger(client, "lq", 1.0, 1.0)
            assert await ledger.state(alert.id) == "d"
        finally:
            await client.aclose()
    ids = [r.body["blocks"][-1]["elements"][0]["text"].rsplit(" ", 1)[1]
           for r in hooks.to("slow")]  # fmt: skip
    # The unacknowledged request, then exactly one copy (the claim expired), then the marker.
    assert ids == [alert.id, alert.id, marker.id]
