"""``/health``, ``/ready`` and ``/metrics`` on the worker's web port (no token needed).

- ``GET /health``: 200 while the worker's event loop serves requests (liveness).
- ``GET /ready``: 200 when the broker answers a metadata request, Redis answers PING
  (each within ``PROBE_TIMEOUT_S``), the consumer group has assigned this worker
  partitions and no rebalance is under way, and the worker is not stopping; else 503
  with the reason per check (``schemas.ops``). A worker with no partitions (more
  workers than partitions) is therefore not ready: it does no work.
- ``GET /metrics``: Prometheus text (``streams.metrics``); consumer lag and outbox
  depth are read when scraped. A scrape while Redis is down still answers, with the
  outbox depth last read.

Faust's own pages are switched off (``streams.kafka.app``): its ``/`` answers OK even
while Redis is down, so it must not be mistaken for readiness.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
from faust.web import Request, Response, View

from agents.runtime import Runtime
from agents.timers import owned_buckets
from schemas.ops import CHECK_OK, Alive, Readiness
from streams.metrics import CONSUMER_LAG, CONTENT_TYPE, OUTBOX_DEPTH, render

log = logging.getLogger("leadq.worker")
#: How long ``/ready`` waits for the broker and for Redis, each.
PROBE_TIMEOUT_S = 2.0


def register_ops_pages(app: faust.App, runtime: Runtime) -> None:
    async def health(self: View, request: Request) -> Response:
        return self.json(Alive().model_dump())

    async def ready(self: View, request: Request) -> Response:
        readiness = await check_readiness(app, runtime)
        return self.json(readiness.model_dump(), status=200 if readiness.ready else 503)

    async def metrics(self: View, request: Request) -> Response:
        await refresh_gauges(app, runtime)
        # The full type (with version and charset) as a header: aiohttp refuses a
        # charset inside ``content_type``.
        return self.bytes(render(), headers={"Content-Type": CONTENT_TYPE})

    app.page("/health")(health)
    app.page("/ready")(ready)
    app.page("/metrics")(metrics)


async def check_readiness(app: faust.App, runtime: Runtime) -> Readiness:
    """Every check at once (see the module docstring)."""
    broker, redis = await asyncio.gather(_broker(app), _redis(runtime))
    checks = {"broker": broker, "redis": redis, "partitions": _partitions(app)}
    checks["stopping"] = "the worker is stopping" if app.should_stop else CHECK_OK
    return Readiness.of(checks)


async def _broker(app: faust.App) -> str:
    try:
        client: Any = app.producer._ensure_producer().client  # type: ignore[attr-defined]
        await asyncio.wait_for(client.fetch_all_metadata(), PROBE_TIMEOUT_S)
    except TimeoutError:
        return f"the broker did not answer a metadata request within {PROBE_TIMEOUT_S:g} s"
    except Exception as error:
        return f"the broker is unreachable: {type(error).__name__}: {error}"
    return CHECK_OK


async def _redis(runtime: Runtime) -> str:
    try:
        await asyncio.wait_for(runtime.store.client.ping(), PROBE_TIMEOUT_S)
    except TimeoutError:
        return f"Redis did not answer PING within {PROBE_TIMEOUT_S:g} s"
    except Exception as error:
        return f"Redis is unreachable: {type(error).__name__}: {error}"
    return CHECK_OK


def _partitions(app: faust.App) -> str:
    if getattr(app, "rebalancing", False):
        return "a consumer-group rebalance is under way"
    if not app.consumer.assignment():
        return "no partitions assigned to this worker"
    return CHECK_OK


async def refresh_gauges(app: faust.App, runtime: Runtime) -> None:
    """Set the gauges read at scrape time: consumer lag, outbox depth."""
    CONSUMER_LAG.clear()
    try:
        lags = _consumer_lags(app.consumer)
    except Exception as error:  # e.g. the consumer is not started yet: no lag to show
        log.debug("consumer lag not read: %r", error)
        lags = {}
    for (topic, partition), lag in lags.items():
        CONSUMER_LAG.labels(topic, str(partition)).set(lag)
    try:
        buckets = owned_buckets(app, runtime)
        depth = await asyncio.wait_for(runtime.store.outbox_depth(buckets), PROBE_TIMEOUT_S)
    except Exception as error:
        log.debug("outbox depth not read: %r", error)
        return
    OUTBOX_DEPTH.set(depth)


def _consumer_lags(consumer: Any) -> dict[tuple[str, int], int]:
    """Per assigned partition: high watermark (from the last fetch) minus the committed
    offset; partitions nothing was fetched from yet are left out."""
    lags = {}
    for tp in consumer.assignment():
        highwater = consumer.highwater(tp)
        if highwater is None:
            continue
        committed = consumer._committed_offset.get(tp) or 0
        lags[(tp.topic, tp.partition)] = max(0, highwater - committed)
    return lags
