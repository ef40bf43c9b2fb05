"""The read API on the worker's web port.

``GET /leads/{id}``: a lead by lead id (``u:…``, ``e:…``, ``a:…``) or any identity key
that resolves to one; ``GET /accounts/{id}``. Both return the current decayed scores
(as of the request), stage, grade, top contributors and engaged people; 404 with a JSON
error for unknown ids. Read-only: nothing is written back.

Access: when ``LEADQ_API_TOKEN`` is set, every read-API request must carry
``Authorization: Bearer <token>`` (compared in constant time); anything else gets 401
with ``WWW-Authenticate: Bearer`` before any lookup. The views hold names and emails,
so set a token whenever the port is reachable by more than the machine's own users.
``/health``, ``/ready`` and ``/metrics`` (``agents.ops_pages``) stay open.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

import faust
from faust.web import Request, Response, View

from agents.runtime import Runtime
from agents.timers import now_ms
from leadq.views import account_view, lead_view

Page = Callable[..., Awaitable[Response]]


def register_api(app: faust.App, runtime: Runtime) -> None:
    token = runtime.settings.api_token

    async def get_lead(self: View, request: Request, lead_id: str) -> Response:
        found = await runtime.qualifier.lead(lead_id)
        if found is None:
            return self.json({"error": f"no lead {lead_id!r}"}, status=404)
        view = lead_view(found.lead, found.account, now_ms(), runtime.rules)
        return self.json(_dump(view))

    async def get_account(self: View, request: Request, account_id: str) -> Response:
        account = await runtime.qualifier.account(account_id)
        if account is None:
            return self.json({"error": f"no account {account_id!r}"}, status=404)
        return self.json(_dump(account_view(account, now_ms(), runtime.rules)))

    expected = None if token is None else token.get_secret_value()
    app.page("/leads/{lead_id}")(requires_token(expected, get_lead))
    app.page("/accounts/{account_id}")(requires_token(expected, get_account))


def requires_token(expected: str | None, page: Page) -> Page:
    """``page``, answering 401 unless the request carries ``Bearer <expected>``;
    ``page`` itself when no token is configured."""
    if expected is None:
        return page
    wanted = f"Bearer {expected}".encode()

    async def guarded(self: View, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, wanted):
            return self.json(
                {"error": "missing or wrong bearer token (Authorization: Bearer <token>)"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="leadq"'},
            )
        return await page(self, request, *args, **kwargs)

    return guarded


def _dump(view: Any) -> Any:
    return view.model_dump(mode="json")
