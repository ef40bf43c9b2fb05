"""A real local HTTP server standing in for Slack's incoming webhooks in tests.

``async with WebhookServer() as hooks:`` listens on 127.0.0.1 (a free port);
``hooks.url("rep-a")`` is a webhook URL; every POST is recorded (``hooks.received``:
path name, loop time, parsed JSON body); ``hooks.answer("rep-a", Scripted(429,
retry_after="2"), ...)`` queues the answers that webhook gives next (then 200 ``ok``,
as Slack answers).
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from streams.process import free_port


@dataclass(frozen=True)
class Scripted:
    status: int
    body: str = "error"
    retry_after: str | None = None
    #: Seconds to wait before answering (a slow webhook).
    delay_s: float = 0.0


@dataclass(frozen=True)
class Received:
    name: str
    at: float
    body: dict[str, Any]
    status: int


class WebhookServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self._answers: dict[str, deque[Scripted]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/services/{name}/secret-token-{name}"

    def answer(self, name: str, *answers: Scripted) -> None:
        self._answers[name].extend(answers)

    def to(self, name: str) -> list[Received]:
        return [r for r in self.received if r.name == name]

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        body = json.loads(await request.read())
        queued = self._answers[name]
        scripted = queued.popleft() if queued else Scripted(200, "ok")
        self.received.append(
            Received(name, asyncio.get_running_loop().time(), body, scripted.status)
        )
        if scripted.delay_s:
            await asyncio.sleep(scripted.delay_s)
        headers = {"Retry-After": scripted.retry_after} if scripted.retry_after else {}
        return web.Response(status=scripted.status, text=scripted.body, headers=headers)

    async def __aenter__(self) -> WebhookServer:
        app = web.Application()
        app.router.add_post("/services/{name}/{token}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
