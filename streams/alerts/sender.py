"""Delivering SDR alerts: one queue and one sender task per webhook, claims in Redis.

Contract: :meth:`AlertDispatcher.deliver` returns once the alert is settled, with a
:class:`Result`:

- ``delivered``: the webhook answered 2xx, and the ledger records it;
- ``skipped``: the ledger says it was delivered or dead-lettered before (a re-delivered
  or replayed assignment): nothing was sent;
- ``failed``: a 4xx other than 429, or 5xx / timeouts / connection errors / 429s past
  ``max_attempts`` requests or ``max_retry_s`` seconds: the caller dead-letters it and
  then settles it as ``"x"`` with the result's token (a crash in between re-sends it).

Each webhook URL has its own queue and task: requests to one webhook go one at a time,
at least ``per_webhook_interval_s`` apart, after any ``Retry-After`` a 429 asked for and
after the backoff of a 5xx; a slow or failing webhook delays only its own alerts. When
another worker holds a live claim on the alert (it is sending it, or it died and its
lease has not expired), ``deliver`` waits, off the queue, until that claim is settled
or expires, then tries again: the alert is settled exactly once in the ledger. One
alert id always goes to one webhook (the URL comes from the event), so two copies of it
in one worker queue behind each other and the second finds the first settled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

import aiohttp

from streams.alerts.http import Answer, post_message
from streams.alerts.ledger import AlertLedger, Claim
from streams.alerts.pacing import Pacer, backoff_s
from streams.alerts.redact import redact_url
from streams.kafka.lanes import BatchAbandoned
from streams.settings import AlertsSettings

log = logging.getLogger("leadq.alerts")
T = TypeVar("T")


class RedisCall(Protocol):
    """Runs a Redis call, waiting out an outage (``Runtime.until_redis_answers``)."""

    def __call__(self, call: Callable[[], Awaitable[T]], what: str, /) -> Awaitable[T]: ...


#: How often a wait for another worker's claim looks again, at most.
CLAIM_POLL_S = 0.5


@dataclass(frozen=True, slots=True)
class Result:
    kind: Literal["delivered", "skipped", "failed", "busy"]
    reason: str
    #: The claim token of this delivery (``failed``: settle with it after dead-lettering).
    token: str
    attempts: int = 0
    #: For ``busy``: how long the other worker's claim still runs.
    lease_left_ms: int = 0


@dataclass(slots=True)
class Job:
    alert_id: str
    body: bytes
    token: str
    done: asyncio.Future[Result] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


async def _direct(call: Callable[[], Awaitable[T]], what: str, /) -> T:
    return await call()


class WebhookSender:
    """The queue and task of one webhook URL (see the module docstring)."""

    def __init__(self, url: str, dispatcher: AlertDispatcher) -> None:
        self.url = url
        self.shown = redact_url(url)
        self.dispatcher = dispatcher
        self.pacer = Pacer(dispatcher.settings.per_webhook_interval_s)
        self.queue: asyncio.Queue[Job] = asyncio.Queue()
        self.task = asyncio.create_task(self._run(), name=f"alerts {self.shown}")

    def submit(self, job: Job) -> asyncio.Future[Result]:
        self.queue.put_nowait(job)
        return job.done

    async def _run(self) -> None:
        while True:
            job = await self.queue.get()
            if job.done.done():  # its caller gave up (cancelled)
                continue
            try:
                result = await self._attempts(job)
            except BaseException as error:
                if not job.done.done():
                    job.done.set_exception(error)
                if isinstance(error, asyncio.CancelledError):
                    raise
                continue
            if not job.done.done():
                job.done.set_result(result)

    async def _attempts(self, job: Job) -> Result:
        settings, ledger = self.dispatcher.settings, self.dispatcher.ledger
        redis = self.dispatcher.redis
        attempts, started = 0, 0.0
        while True:
            await self.pacer.wait()
            claim = await redis(lambda: ledger.claim(job.alert_id, job.token), "alert claim")
            if not claim.held:
                return self._not_ours(claim, job, attempts)
            attempts += 1
            started = started or self.pacer.now()
            self.pacer.started()
            answer = await post_message(
                self.dispatcher.session(), self.url, job.body, settings.request_timeout_s
            )
            if answer.verdict == "delivered":
                await redis(lambda: ledger.settle(job.alert_id, job.token, "d"), "alert settle")
                return Result("delivered", answer.reason, job.token, attempts)
            wait = self._retry_wait(answer, attempts, self.pacer.now() - started)
            if wait is None:
                reason = f"{self.shown}: {answer.reason} (after {attempts} request(s))"
                return Result("failed", reason, job.token, attempts)
            log.warning(
                "alert %s to %s: %s; retrying in %.1fs",
                job.alert_id,
                self.shown,
                answer.reason,
                wait,
            )
            self.pacer.hold(wait)

    @staticmethod
    def _not_ours(claim: Claim, job: Job, attempts: int) -> Result:
        """Settled before (skip it), or claimed by another worker (wait for it)."""
        kind: Literal["skipped", "busy"] = "skipped" if claim.settled else "busy"
        return Result(kind, f"ledger: {claim.state}", job.token, attempts, claim.lease_left_ms)

    def _retry_wait(self, answer: Answer, attempts: int, elapsed_s: float) -> float | None:
        """Seconds until the next attempt, or ``None`` when the alert has failed."""
        settings = self.dispatcher.settings
        if answer.verdict == "permanent" or attempts >= settings.max_attempts:
            return None
        if answer.verdict == "retry_after" and answer.wait_s is not None:
            wait = answer.wait_s
        else:
            wait = backoff_s(attempts, settings.backoff_base_s, settings.backoff_max_s)
        return None if elapsed_s + wait > settings.max_retry_s else wait

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


class AlertDispatcher:
    """Every webhook's sender, the HTTP session and the ledger of one worker."""

    def __init__(
        self,
        settings: AlertsSettings,
        ledger: AlertLedger,
        redis: RedisCall = _direct,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.redis: RedisCall = redis
        self.stopping = stopping
        #: This dispatcher's claim token: its own claims are renewed, not waited for (a
        #: batch run again after a broker error finds them), another's are waited for.
        self.token = uuid.uuid4().hex
        self._senders: dict[str, WebhookSender] = {}
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def deliver(self, alert_id: str, url: str, body: bytes) -> Result:
        """Deliver one alert (see the module docstring); never raises for HTTP failures."""
        sender = self._senders.get(url)
        if sender is None:
            sender = self._senders[url] = WebhookSender(url, self)
        while True:
            result = await sender.submit(Job(alert_id, body, self.token))
            if result.kind != "busy":
                return result
            if self.stopping():
                raise BatchAbandoned(f"alert {alert_id}: claimed elsewhere while stopping")
            await asyncio.sleep(min(CLAIM_POLL_S, max(result.lease_left_ms, 1) / 1000))

    async def close(self) -> None:
        senders, self._senders = list(self._senders.values()), {}
        for sender in senders:
            await sender.close()
        if self._session is not None:
            await self._session.close()
            self._session = None
