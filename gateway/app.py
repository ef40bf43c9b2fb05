"""The gateway's aiohttp application: routes and how failures become answers.

Every failure becomes a JSON ``ErrorBody`` (see ``gateway.responses``): a ``HttpError``
with its own status; aiohttp's own 404/405 with theirs; anything unexpected a 500,
logged with its traceback. A 500 is retried by every SDK and webhook sender, and
nothing was acknowledged to them, so a bug loses no data; the process keeps serving.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway import amplitude, health, hubspot, mixpanel, openapi, posthog, segment, webhooks
from gateway.context import CTX, Context
from gateway.responses import HttpError
from streams.metrics import GATEWAY_REQUESTS

log = logging.getLogger("leadq.gateway")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_CALLS = "|".join((*segment.CALLS, "batch"))


@web.middleware
async def counted(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count every answer by route (its pattern, never the raw path) and status."""
    response = await handler(request)
    route = request.match_info.route.resource
    name = route.canonical if route is not None else "unmatched"
    GATEWAY_REQUESTS.labels(name, str(response.status)).inc()
    return response


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render every refusal and error as JSON (see the module docstring)."""
    try:
        return await handler(request)
    except HttpError as problem:
        return problem.response()
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = error.reason.lower().replace(" ", "_")
        return HttpError(error.status, code, error.text or error.reason).response()
    except Exception:
        # Never log the body or headers: they may hold keys and personal data.
        log.exception("unexpected error on %s %s", request.method, request.path)
        return HttpError(500, "internal_error", "unexpected error; retry later").response()


def build_app(ctx: Context) -> web.Application:
    """The application serving ``ctx`` (routes listed in ``gateway.openapi``)."""
    app = web.Application(middlewares=[counted, problems])
    app[CTX] = ctx
    document = openapi.document()

    async def openapi_json(request: web.Request) -> web.Response:
        return web.json_response(document)

    app.router.add_post(f"/v1/{{call:{_CALLS}}}", segment.handle)
    for path in posthog.PATHS:
        app.router.add_post(path, posthog.capture)
        app.router.add_post(path.rstrip("/"), posthog.capture)
    app.router.add_post(amplitude.PATH, amplitude.httpapi)
    for path in mixpanel.PATHS:
        app.router.add_post(path, mixpanel.ingest)
    app.router.add_post("/webhooks/sendgrid", webhooks.sendgrid)
    app.router.add_post("/webhooks/mailgun", webhooks.mailgun)
    app.router.add_post("/webhooks/postmark", webhooks.postmark)
    app.router.add_post("/webhooks/hubspot", hubspot.webhook)
    app.router.add_get("/health", health.health)
    app.router.add_get("/ready", health.ready)
    app.router.add_get("/metrics", health.metrics)
    app.router.add_get("/openapi.json", openapi_json)
    return app
