"""Register the SDR alerts consumer on a worker's app: consumer group ``<app id>.alerts``.

It reads the assignments topic with a consumer group of its own
(``streams.kafka.group_consumer``): whatever else a process runs, every assignment is
alerted on by one member of that group. ``leadq worker`` runs it unless
``LEADQ_ALERTS__ENABLED=false``. The dispatcher (HTTP session, one sender task per
webhook) is created on the worker's loop at the first batch and closed when the app
stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import faust

from agents.alerts import Alerter
from agents.batches import dead_letter_safely, run_safely
from agents.runtime import Runtime
from streams.alerts.ledger import AlertLedger
from streams.alerts.sender import AlertDispatcher
from streams.kafka.group_consumer import GroupConsumer, Record
from streams.kafka.outlet import Outlet


def register_alerts(app: faust.App, runtime: Runtime) -> None:
    settings = runtime.settings
    if not settings.alerts.enabled:
        return
    dead_letter = Outlet(app, settings.topics.dead_letter)
    found: list[Alerter] = []

    def stopping() -> bool:
        return bool(app.should_stop)

    runtime.stopping = stopping

    def alerter() -> Alerter:
        if not found:
            found.append(_alerter(runtime, dead_letter))
        return found[0]

    async def handle(records: Sequence[Record]) -> object:
        return await alerter().handle(records)

    async def alert(records: Sequence[Record]) -> None:
        await run_safely(records, handle, dead_letter, "alerting", stopping)

    async def close_on_stop() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            if found:
                await found[0].dispatcher.close()

    async def poison(record: Record, error: Exception) -> None:
        # Unreachable in practice: ``run_safely`` already isolates a failing record.
        reason = f"alerting failed on this record: {type(error).__name__}: {error}"
        await dead_letter_safely(dead_letter, record, reason, "internal_error")

    consumer = GroupConsumer(settings, "alerts", [settings.topics.assignments], alert, poison)
    app.task(consumer.run)
    app.task(close_on_stop)


def _alerter(runtime: Runtime, dead_letter: Outlet) -> Alerter:
    alerts = runtime.settings.alerts
    store = runtime.store
    ledger = AlertLedger(
        store.client, store.keys.prefix, alerts.claim_lease_s, alerts.remember_days * 86_400
    )
    dispatcher = AlertDispatcher(alerts, ledger, runtime.until_redis_answers, runtime.stopping)
    return Alerter(dispatcher, dead_letter, alerts.webhook_url, runtime.until_redis_answers)
