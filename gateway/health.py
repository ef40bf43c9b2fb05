"""``GET /health`` and ``GET /ready``: whether this gateway can deliver; ``GET /metrics``.

``/health`` (kept as it always was): 200 ``{"status": "ok", "broker": "reachable"}``
when the broker answers a metadata request within 2 s, else 503 ``{"status":
"unavailable", "broker": "unreachable", "detail": why}``.

``/ready``: the same broker check in the shape every leadq process answers it
(``schemas.ops.Readiness``, like a worker's ``/ready``): 200 ``{"status": "ready",
"checks": {"broker": "ok"}}``, else 503 with the reason under ``checks.broker``. A
balancer then sends traffic to a replica that can deliver.

``/metrics``: Prometheus text (``streams.metrics``: requests by route and status).
"""

from __future__ import annotations

from aiohttp import web

from gateway.context import CTX
from gateway.responses import Health, json_response
from schemas.ops import CHECK_OK, Readiness
from streams.metrics import CONTENT_TYPE, render


async def health(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    problem = await ctx.producer.reachable()
    if problem is None:
        return json_response(Health(status="ok", broker="reachable"))
    return json_response(
        Health(status="unavailable", broker="unreachable", detail=problem), status=503
    )


async def ready(request: web.Request) -> web.Response:
    problem = await request.app[CTX].producer.reachable()
    broker = CHECK_OK if problem is None else f"the broker is unreachable: {problem}"
    readiness = Readiness.of({"broker": broker})
    return web.json_response(readiness.model_dump(), status=200 if readiness.ready else 503)


async def metrics(request: web.Request) -> web.Response:
    return web.Response(body=render(), headers={"Content-Type": CONTENT_TYPE})
