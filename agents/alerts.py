"""The ``alerts`` step: assignment events → Slack-compatible messages to webhooks.

For each batch from the assignments topic (``schemas.assignment``): every
``io.leadq.lead.assigned`` and ``io.leadq.lead.sla_breached`` event is rendered
(``leadq.alerts_render``) and POSTed to the owner's webhook, else the team's, else
``LEADQ_ALERTS__WEBHOOK_URL``; with none of them it is skipped with a log line.
Deliveries to different webhooks run concurrently (``streams.alerts.sender``); the
batch's offsets are committed once every alert in it is delivered, skipped or
dead-lettered.

Guarantees: at least once in; an alert is POSTed once per assignment event id,
whatever is re-delivered or restarted (a delivery is recorded in Redis right after the
webhook's 2xx and remembered ``remember_days``). The one exception: a worker that dies
between a request and recording its answer leaves a claim that expires after
``claim_lease_s``; the next owner then sends that alert again (at least once, never
more than once more per crash). An alert that keeps failing goes to the dead-letter
topic with the reason, its webhook URLs redacted (header ``leadq.redacted``); a message
that is not an assignment event goes there as it arrived.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence

from pydantic import SecretStr, ValidationError

from agents.batches import dead_letter_safely
from leadq.alerts_render import render_alert
from schemas.assignment import AssignmentData, AssignmentEvent
from streams.alerts.redact import redact_url, without_webhooks
from streams.alerts.sender import AlertDispatcher, RedisCall, Result
from streams.kafka.dead_letter import dead_letter_headers
from streams.kafka.group_consumer import Record
from streams.kafka.outlet import Outlet
from streams.metrics import ALERTS

log = logging.getLogger("leadq.alerts")
#: Dead-letter header naming what was redacted from the original record.
REDACTED_HEADER = "leadq.redacted"


def webhook_for(data: AssignmentData, default: SecretStr | None) -> str | None:
    """The owner's webhook, else the team's, else the default one, else ``None``."""
    if data.owner.webhook_url:
        return data.owner.webhook_url
    if data.team.webhook_url:
        return data.team.webhook_url
    return default.get_secret_value() if default is not None else None


class Alerter:
    def __init__(
        self,
        dispatcher: AlertDispatcher,
        dead_letter: Outlet,
        default_webhook: SecretStr | None,
        redis: RedisCall,
    ) -> None:
        self.dispatcher = dispatcher
        self.dead_letter = dead_letter
        self.default_webhook = default_webhook
        self.redis = redis

    async def handle(self, messages: Sequence[Record]) -> dict[str, int]:
        """Alert on one batch (see the module docstring); returns counts per outcome."""
        counts: Counter[str] = Counter()
        pending: list[tuple[Record, AssignmentEvent, str]] = []
        for message in messages:
            event = await self._parse(message)
            url = None if event is None else self._webhook(event)
            if event is None or url is None:
                counts["rejected" if event is None else "no_webhook"] += 1
                continue
            pending.append((message, event, url))
        results = await asyncio.gather(*(self._deliver(event, url) for _, event, url in pending))
        for (message, event, url), result in zip(pending, results, strict=True):
            counts[result.kind] += 1
            await self._settle(message, event, url, result)
        for outcome, count in counts.items():
            ALERTS.labels("slack_webhook", outcome).inc(count)
        return dict(counts)

    async def _parse(self, message: Record) -> AssignmentEvent | None:
        try:
            return AssignmentEvent.model_validate_json(message.value or b"")
        except ValidationError as error:
            reason = f"not an assignment event: {error.errors()[0]['msg']}"
            await dead_letter_safely(self.dead_letter, message, reason, "invalid_event")
            return None

    def _webhook(self, event: AssignmentEvent) -> str | None:
        url = webhook_for(event.data, self.default_webhook)
        if url is None:
            data = event.data
            log.info(
                "alert %s skipped: no webhook for owner %s, team %s, nor a default",
                event.id, data.owner.id, data.team.id,
            )  # fmt: skip
        return url

    async def _deliver(self, event: AssignmentEvent, url: str) -> Result:
        body = render_alert(event).model_dump_json(exclude_none=True).encode()
        return await self.dispatcher.deliver(event.id, url, body)

    async def _settle(
        self, message: Record, event: AssignmentEvent, url: str, result: Result
    ) -> None:
        shown = redact_url(url)
        if result.kind != "failed":
            log.info("alert %s (%s) to %s: %s", event.id, event.type, shown, result.kind)
            return
        log.error("alert %s to %s dead-lettered: %s", event.id, shown, result.reason)
        reason = f"alert not delivered: {result.reason}"
        headers = dead_letter_headers(reason, message.topic, message.partition, message.offset)
        headers[REDACTED_HEADER] = b"webhook_url"
        value = without_webhooks(event).model_dump_json().encode()
        await self.dead_letter.send(message.key, value, list(headers.items()))
        ledger, token = self.dispatcher.ledger, result.token
        await self.redis(lambda: ledger.settle(event.id, token, "x"), "alert settle")
