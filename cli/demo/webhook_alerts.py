"""The demo's SDR alert: a local stand-in for a Slack incoming webhook, and what it got.

The worker sends an alert for every assignment on ``leadq.assignments`` to the owner's
or the team's webhook, else to ``LEADQ_ALERTS__WEBHOOK_URL``; the demo points that
default at an :class:`AlertInbox` on 127.0.0.1 (:func:`with_alert_inbox`) and, once the
transitions are in, :func:`show_alerts` prints each alert the inbox received for this
run's assignments, laid out roughly as a Slack client shows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Collection, Sequence
from types import TracebackType
from typing import Any

from aiohttp import web
from pydantic import SecretStr, ValidationError

from cli.demo.render import INDENT, Console, stamp
from schemas.assignment import AssignmentEvent
from streams.kafka.topic_reader import Record, TopicReader
from streams.settings import Settings

#: How long the demo waits, after the last transition, for the router's assignments:
#: until none came for ``QUIET_S``, or at most ``ASSIGNMENT_GRACE_S`` when none comes.
ASSIGNMENT_GRACE_S = 3.0
QUIET_S = 1.0
#: How long it then waits for the alert of each assignment.
ALERT_DEADLINE_S = 15.0
PATH = "/services/demo/local-token"


def with_alert_inbox(settings: Settings, port: int) -> Settings:
    """``settings`` whose default alert webhook is an inbox on 127.0.0.1:``port``."""
    url = SecretStr(f"http://127.0.0.1:{port}{PATH}")
    return settings.model_copy(
        update={"alerts": settings.alerts.model_copy(update={"webhook_url": url})}
    )


class AlertInbox:
    """A local webhook that answers ``ok`` (as Slack does) and keeps every message."""

    def __init__(self, settings: Settings) -> None:
        url = settings.alerts.webhook_url
        match = re.search(r":(\d+)/", url.get_secret_value() if url else "")
        if match is None:
            raise ValueError("the demo's alert webhook is not set (use with_alert_inbox)")
        self.port = int(match.group(1))
        self.messages: list[dict[str, Any]] = []
        self._runner: web.AppRunner | None = None

    async def _receive(self, request: web.Request) -> web.Response:
        self.messages.append(json.loads(await request.read()))
        return web.Response(text="ok")

    async def __aenter__(self) -> AlertInbox:
        app = web.Application()
        app.router.add_post(PATH, self._receive)
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

    def alert_for(self, assignment_id: str) -> dict[str, Any] | None:
        """The message about ``assignment_id`` (its context line names it), if received."""
        for message in self.messages:
            if f"alert {assignment_id}" in json.dumps(message["blocks"][-1]):
                return message
        return None


async def show_alerts(
    settings: Settings, inbox: AlertInbox, leads: Collection[str], console: Console
) -> None:
    """Print the alert of each assignment of ``leads`` (see the module docstring)."""
    assignments = await this_runs_assignments(settings, leads)
    if not assignments:
        console.say(
            f"{stamp(console.elapsed())} no assignment on {settings.topics.assignments} "
            f"within {ASSIGNMENT_GRACE_S:g}s, so no alert to show\n"
        )
        return
    give_up = time.monotonic() + ALERT_DEADLINE_S
    for event in assignments:
        while (message := inbox.alert_for(event.id)) is None:
            if time.monotonic() > give_up:
                raise TimeoutError(f"no alert for assignment {event.id} within {ALERT_DEADLINE_S}s")
            await asyncio.sleep(0.05)
        console.say(alert_text(message, console.elapsed()))
        if console.show_json:
            console.say(json.dumps(message, ensure_ascii=False))
        console.say()


async def this_runs_assignments(
    settings: Settings, leads: Collection[str]
) -> list[AssignmentEvent]:
    """The assignments about ``leads`` that arrive within the grace period."""
    async with TopicReader(settings.kafka_bootstrap, [settings.topics.assignments]) as reader:
        with contextlib.suppress(TimeoutError):
            await reader.read_until(Quiet(QUIET_S), ASSIGNMENT_GRACE_S)
    found: list[AssignmentEvent] = []
    for record in reader.records:
        with contextlib.suppress(ValidationError):  # the worker dead-letters those
            found.append(AssignmentEvent.model_validate_json(record.value or b""))
    return [event for event in found if event.subject in leads]


class Quiet:
    """A ``read_until`` condition: records came, then none for ``quiet_s`` seconds."""

    def __init__(self, quiet_s: float) -> None:
        self.quiet_s = quiet_s
        self.count = 0
        self.since = time.monotonic()

    def __call__(self, records: Sequence[Record]) -> bool:
        if len(records) != self.count:
            self.count, self.since = len(records), time.monotonic()
        return self.count > 0 and time.monotonic() - self.since >= self.quiet_s


#: A Slack date token ``<!date^epoch^format|fallback>``: a terminal shows the fallback.
DATE_TOKEN = re.compile(r"<!date\^[^|>]*\|([^>]*)>")


def as_read(mrkdwn: str) -> str:
    """Slack text as a reader sees it: dates as their fallback, entities decoded."""
    text = DATE_TOKEN.sub(r"\1", mrkdwn)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def alert_text(message: dict[str, Any], elapsed_s: float) -> str:
    """A received message as lines: the header, each section, the fields side by side."""
    lines = [f"{stamp(elapsed_s)} alert  received by the local webhook (POST {PATH})"]
    for block in message["blocks"]:
        if block["type"] == "header":
            lines.append(f"{INDENT}{block['text']['text']}")
        elif block["type"] == "section" and "fields" in block:
            pairs = (field["text"].replace("*", "").split("\n", 1) for field in block["fields"])
            lines.append(INDENT + " | ".join(f"{label}: {value}" for label, value in pairs))
        elif block["type"] == "section":
            lines += [f"{INDENT}{line}" for line in block["text"]["text"].split("\n")]
        elif block["type"] == "context":
            lines.append(INDENT + " ".join(e["text"] for e in block["elements"]))
    return as_read("\n".join(lines))
