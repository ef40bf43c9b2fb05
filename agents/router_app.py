"""Register the router on a worker's app: its group consumer and its timers.

- consumer group ``<app id>.router`` reads the routing topic (transitions to route) and
  the crm topic (touches that stop SLA clocks), see ``agents.router``;
- ``leadq.router.sla`` (every ``LEADQ_ROUTING__SLA_POLL_INTERVAL_S``, default 1 s):
  due SLA deadlines of every team (any router may handle any team: each deadline is
  handled once, by the script's version check);
- ``leadq.router.outbox`` (every 10 s, or ``LEADQ_ROUTING__OUTBOX_ABANDONED_AFTER_S`` if
  shorter): re-publishes assignments a router left unpublished (it died in between);
- ``leadq.router.reload`` (every 5 s): a changed routing file is loaded without a
  restart (an invalid one is logged and the current one stays in force).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import faust
import orjson

from agents.batches import dead_letter_safely
from agents.consumers import ConsumerConfigError
from agents.router import Pending, Router
from agents.runtime import Runtime, WorkerStopping
from agents.sla_clock import SlaClock
from schemas.routing import RoutingError, load_routing
from streams.kafka.group_consumer import GroupConsumer, Record
from streams.kafka.outlet import Outlet, OutRecord
from streams.routing.store import RoutingStore

log = logging.getLogger("leadq.router")


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def out_record(body: str) -> OutRecord:
    """An assignment CloudEvent as a Kafka record: key = partition key; structured mode
    as the Kafka binding says (``content-type`` only, no ``ce_*`` headers)."""
    envelope = orjson.loads(body)
    headers = [("content-type", b"application/cloudevents+json")]
    return str(envelope["partitionkey"]).encode(), body.encode(), headers


async def publish(outlet: Outlet, router: Router, pending: Sequence[Pending]) -> None:
    """Send outbox entries, wait for the broker, then remove them from the outbox."""
    if not pending:
        return
    await outlet.send_all(out_record(body) for _, _, body in pending)
    by_team: dict[str, list[str]] = {}
    for team, event_id, _ in pending:
        by_team.setdefault(team, []).append(event_id)
    store = router.store
    for team, ids in by_team.items():
        await router.runtime.until_redis_answers(partial(store.ack, team, ids), "outbox ack")


def register_router(app: faust.App, runtime: Runtime) -> None:
    settings = runtime.settings
    path = settings.routing_path
    if path is None:
        raise ConsumerConfigError("the router needs a routing file: set LEADQ_ROUTING_PATH")
    config = load_routing(path)  # RoutingError: the worker does not start
    digest = _digest(path)
    store = RoutingStore(
        runtime.store.client, done_ttl_s=round(settings.routing.dedupe_ttl_days * 86_400)
    )
    router = Router(runtime, config, store)
    clock = SlaClock(router)
    assignments = Outlet(app, settings.topics.assignments)
    dead_letter = Outlet(app, settings.topics.dead_letter)
    names = settings.topics

    async def publish_assignments(pending: Sequence[Pending]) -> None:
        await publish(assignments, router, pending)

    async def handle(records: Sequence[Record]) -> None:
        touches = [r for r in records if r.topic == names.crm]
        transitions = [r for r in records if r.topic == names.routing]
        if touches:
            await clock.record_touches(touches)
        if transitions:
            await router.route_batch(transitions, dead_letter, publish_assignments)

    async def poison(record: Record, error: Exception) -> None:
        reason = f"router failed on this record: {type(error).__name__}: {error}"
        await dead_letter_safely(dead_letter, record, reason, "internal_error")

    consumer = GroupConsumer(settings, "router", (names.routing, names.crm), handle, poison)
    app.leadq_router = router  # type: ignore[attr-defined]  # for tests and metrics

    async def consume() -> None:
        try:
            await consumer.run()
        except WorkerStopping:
            log.info("router stopped while Redis was down; its batch is read again")

    async def fire_deadlines() -> None:
        try:
            await publish(assignments, router, await clock.fire_deadlines())
        except WorkerStopping:
            log.info("SLA timer stopped while Redis was down")

    async def sweep_outbox() -> None:
        older = int(time.time() * 1000) - round(settings.routing.outbox_abandoned_after_s * 1000)
        try:
            for team in router.config.teams:
                found = await runtime.until_redis_answers(
                    partial(store.unacked, team.id, older), "router outbox sweep"
                )
                if found:
                    log.warning("re-publishing %d abandoned assignment(s)", len(found))
                    await publish(assignments, router, [(team.id, i, body) for i, body in found])
        except WorkerStopping:
            log.info("router outbox sweep stopped while Redis was down")

    async def reload() -> None:
        nonlocal digest
        current = _digest(path)
        if current == digest:
            return
        digest = current
        try:
            router.config = load_routing(path)
        except RoutingError as error:
            log.error("routing not reloaded, keeping %s: %s", router.config.version, error)
            return
        log.info("routing reloaded: version %s", router.config.version)

    app.task(consume)
    app.timer(interval=settings.routing.sla_poll_interval_s, name="leadq.router.sla")(
        fire_deadlines
    )
    sweep_every = min(10.0, settings.routing.outbox_abandoned_after_s)
    app.timer(interval=sweep_every, name="leadq.router.outbox")(sweep_outbox)
    app.timer(interval=5.0, name="leadq.router.reload")(reload)
