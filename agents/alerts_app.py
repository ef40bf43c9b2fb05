"""Register the SDR alerts consumer on a Faust app: a batch lane on the assignments topic.

``leadq worker`` runs it unless ``LEADQ_ALERTS__ENABLED=false``. The dispatcher (HTTP
session, one sender task per webhook) is created on the worker's loop at the first
batch and closed when the app stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import faust
from faust.types import Message

from agents.alerts import Alerter
from agents.batches import run_safely
from agents.runtime import Runtime
from streams.alerts.ledger import AlertLedger
from streams.alerts.sender import AlertDispatcher
from streams.kafka.lanes import register_lane
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

    async def handle(messages: Sequence[Message]) -> object:
        return await alerter().handle(messages)

    async def alert(messages: Sequence[Message]) -> None:
        await run_safely(messages, handle, dead_letter, "alerting", stopping)

    async def close_on_stop() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            if found:
                await found[0].dispatcher.close()

    topic = app.topic(
        settings.topics.assignments,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions,
    )
    register_lane(app, topic, alert, name="alerts", max_batch=settings.alerts.max_batch)
    app.task(close_on_stop)


def _alerter(runtime: Runtime, dead_letter: Outlet) -> Alerter:
    alerts = runtime.settings.alerts
    store = runtime.store
    ledger = AlertLedger(
        store.client, store.keys.prefix, alerts.claim_lease_s, alerts.remember_days * 86_400
    )
    dispatcher = AlertDispatcher(alerts, ledger, runtime.until_redis_answers, runtime.stopping)
    return Alerter(dispatcher, dead_letter, alerts.webhook_url, runtime.until_redis_answers)
