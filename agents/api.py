"""The read API on the worker's web port.

``GET /leads/{id}``: a lead by lead id (``u:…``, ``e:…``, ``a:…``) or any identity key
that resolves to one; ``GET /accounts/{id}``. Both return the current decayed scores
(as of the request), stage, grade, top contributors and engaged people; 404 with a JSON
error for unknown ids. Read-only: nothing is written back.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.web import Request, Response, View

from agents.runtime import Runtime
from agents.timers import now_ms
from leadq.views import account_view, lead_view


def register_api(app: faust.App, runtime: Runtime) -> None:
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

    app.page("/leads/{lead_id}")(get_lead)
    app.page("/accounts/{account_id}")(get_account)


def _dump(view: Any) -> Any:
    return view.model_dump(mode="json")
