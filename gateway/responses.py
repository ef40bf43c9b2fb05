"""The JSON bodies the gateway answers with, as pydantic models, and ``HttpError``.

One error shape serves every vendor's SDK: Segment's and RudderStack's libraries read
``code`` and ``message``, PostHog's reads ``detail``; all of them decide whether to
retry from the status alone (429 and 5xx retried, other 4xx given up), so the status is
the contract and the body explains it to a person.
"""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RejectedItem(_Body):
    """An item of an accepted request that went to the dead-letter topic instead."""

    index: int = Field(description="position of the item in the request (0 for a single item)")
    reason: str


class Accepted(_Body):
    """2xx: every record below is acknowledged by the broker."""

    success: Literal[True] = True
    #: PostHog's SDKs and clients look for ``status: 1``.
    status: Literal[1] = 1
    accepted: int = Field(description="items produced to their inbound topic")
    rejected: list[RejectedItem] = Field(
        default_factory=list, description="items produced to the dead-letter topic, with why"
    )


class AmplitudeAccepted(Accepted):
    """2xx of ``/2/httpapi``: ``Accepted`` plus the fields Amplitude's SDKs read."""

    code: Literal[200] = 200
    events_ingested: int
    payload_size_bytes: int
    server_upload_time: int = Field(description="epoch milliseconds")


class ErrorBody(_Body):
    """4xx/5xx: nothing of the request was produced (except the 503 case, see docs)."""

    success: Literal[False] = False
    code: str
    message: str
    #: The same text as ``message``, under the name PostHog's SDKs read.
    detail: str


class Health(_Body):
    """``GET /health``: 200 when the broker answers, else 503."""

    status: Literal["ok", "unavailable"]
    broker: Literal["reachable", "unreachable"]
    detail: str = ""


class HttpError(Exception):
    """A request the gateway refuses: ``status``, a stable ``code`` and a human message.

    Raised anywhere in a handler; the app's middleware renders it as an ``ErrorBody``.
    The message must never contain a secret (keys, signatures, credentials).
    """

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> web.Response:
        body = ErrorBody(code=self.code, message=self.message, detail=self.message)
        return json_response(body, self.status, self.headers)


def json_response(
    body: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """``body`` serialized by pydantic as an ``application/json`` response."""
    return web.Response(
        body=body.model_dump_json().encode(),
        status=status,
        headers=headers,
        content_type="application/json",
    )
