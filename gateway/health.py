"""``GET /health``: whether this gateway can deliver, for load balancers and people.

200 ``{"status": "ok", "broker": "reachable"}`` when the broker answers a metadata
request within 2 s, else 503 ``{"status": "unavailable", "broker": "unreachable",
"detail": why}`` — a balancer then sends traffic to a replica that can deliver.
"""

from __future__ import annotations

from aiohttp import web

from gateway.context import CTX
from gateway.responses import Health, json_response


async def health(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    problem = await ctx.producer.reachable()
    if problem is None:
        return json_response(Health(status="ok", broker="reachable"))
    return json_response(
        Health(status="unavailable", broker="unreachable", detail=problem), status=503
    )
