"""Run the ABM step on Kafka: its own consumer group on the routing and signals topics.

The ABM consumer reads every scored signal (not only transitions), so it has its own
consumer group (``LEADQ_ABM__GROUP_ID``, default ``<app id>-abm``) and pace: it never
holds up the qualifier's lanes, and a slow ABM consumer only lags. ``leadq worker`` runs
it beside its lanes (``register_abm``; ``LEADQ_ABM__ENABLED=false`` turns that off) and
``leadq abm`` runs it alone (``run_abm``).

Delivery: offsets are committed only after a batch was handled (its events confirmed
by the broker, its marks written), so a crash or a rebalance re-delivers the
uncommitted tail, which the step handles idempotently. While Redis or the broker is
unreachable the batch is retried with backoff, never skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Collection, Sequence

import faust
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import CommitFailedError, KafkaError

from agents.abm import AbmStep, AccountRead, InRecord, Need, Outcome
from agents.runtime import REDIS_DOWN, Runtime
from leadq.abm.surge import SurgeThresholds
from leadq.compiled import CompiledRules
from leadq.identity import account_bucket
from leadq.store import Wants
from schemas.abm import AbmEvent
from streams.abm.store import AbmStore
from streams.kafka.dead_letter import dead_letter_headers
from streams.settings import Settings

log = logging.getLogger("leadq.abm")
#: How often the rules file is checked for changes.
RULES_CHECK_S = 5.0
#: An account whose points the engine's state does not show yet (the qualifier has not
#: applied them: its bucket's watermark is short of the signal) is evaluated again this
#: often, this many times (a minute: long enough for a worker restart or a rebalance),
#: before waiting for its next touch.
REVISIT_EVERY_S = 1.0
REVISITS = 60


def thresholds_of(settings: Settings) -> SurgeThresholds:
    abm = settings.abm
    return SurgeThresholds(
        factor=abm.surge_factor,
        window_days=abm.surge_window_days,
        baseline_days=abm.baseline_window_days,
        min_intent=abm.surge_min_intent,
    )


def group_id(settings: Settings) -> str:
    return settings.abm.group_id or f"{settings.app_id}-abm"


class AbmConsumer:
    """The ABM step with its Kafka consumer and producer (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runtime = Runtime(settings)
        self._rules_checked = time.monotonic()
        #: Records handled so far (tests and logs read it).
        self.records_handled = 0
        #: account → (looks left, what its state must have applied).
        self._revisit: dict[str, tuple[int, Need]] = {}
        self._revisited_at = time.monotonic()
        store = AbmStore(
            self.runtime.store.client,
            thresholds_of(settings),
            dedupe_s=settings.abm.dedupe_days * 86_400,
            idle_s=round(settings.cold_lead_ttl_days * 86_400),
        )
        topics = settings.topics
        self.producer = AIOKafkaProducer(
            bootstrap_servers=settings.bootstrap_servers(),
            max_request_size=settings.producer_max_request_bytes,
        )
        self.step = AbmStep(
            routing_topic=topics.routing,
            signals_topic=topics.signals,
            store=store,
            rules=self._rules,
            read_accounts=self._read_accounts,
            publish=self._publish,
            dead_letter=self._dead_letter,
        )

    async def _read_accounts(self, account_ids: Sequence[str]) -> dict[str, AccountRead]:
        """Each account's engine state and its bucket's watermark (the read side's
        store), in one round trip."""
        store = self.runtime.store
        wants: dict[int, Wants] = {}
        for account_id in account_ids:
            wants.setdefault(account_bucket(account_id, store.buckets), Wants()).accounts.add(
                account_id
            )
        buckets = await store.read_buckets(wants)
        found = {}
        for account_id in account_ids:
            bucket = buckets[account_bucket(account_id, store.buckets)]
            found[account_id] = AccountRead(bucket.account(account_id), bucket.watermark)
        return found

    def _rules(self) -> CompiledRules:
        if time.monotonic() - self._rules_checked >= RULES_CHECK_S:
            self._rules_checked = time.monotonic()
            self.runtime.reload_rules()
        return self.runtime.rules

    async def _publish(self, events: Sequence[AbmEvent]) -> None:
        topic = self.settings.topics.abm
        sent = []
        for event in events:
            # Structured mode as the Kafka binding says: no ce_* headers (a consumer's
            # SDK would take them for binary mode).
            headers = [("content-type", b"application/cloudevents+json")]
            value = event.model_dump_json().encode()
            key = event.partitionkey.encode()
            sent.append(await self.producer.send(topic, value, key=key, headers=headers))
        await asyncio.gather(*sent)

    async def _dead_letter(self, rejected: Sequence[tuple[InRecord, str]]) -> None:
        topic = self.settings.topics.dead_letter
        sent = []
        for record, reason in rejected:
            log.warning("abm: dead-lettering %s[%d]@%d: %s", record.topic, record.partition,
                        record.offset, reason[:200])  # fmt: skip
            headers = dead_letter_headers(reason, record.topic, record.partition, record.offset)
            sent.append(
                await self.producer.send(
                    topic, record.value, key=record.key, headers=list(headers.items())
                )
            )
        await asyncio.gather(*sent)

    async def run(self, stopping: Callable[[], bool]) -> None:
        """Consume until ``stopping()`` (or cancellation); commits after each batch."""
        settings = self.settings
        topics = settings.topics
        consumer = AIOKafkaConsumer(
            topics.routing,
            topics.signals,
            bootstrap_servers=settings.bootstrap_servers(),
            group_id=group_id(settings),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=round(settings.broker_session_timeout_s * 1000),
            heartbeat_interval_ms=round(settings.broker_heartbeat_interval_s * 1000),
            fetch_max_wait_ms=max(settings.consumer_fetch_max_wait_ms, 100),
        )
        try:
            # Inside the try: a broker that is down at start still leaves both closed.
            await self.producer.start()
            await consumer.start()
            while not stopping():
                fetched = await consumer.getmany(timeout_ms=500, max_records=settings.batch_size)
                records = [
                    InRecord(r.topic, r.partition, r.offset, r.key, r.value or b"")
                    for batch in fetched.values()
                    for r in batch
                ]
                if records:
                    await self._handle_until_done(records, stopping)
                await self._revisit_unknown()
                if not records:
                    continue
                try:
                    await consumer.commit()
                except CommitFailedError as error:  # a rebalance: the next owner re-reads
                    log.warning("abm: commit refused (%s); the batch will be re-read", error)
        finally:
            await consumer.stop()
            await self.producer.stop()
            await self.runtime.close()

    async def _handle_until_done(
        self, records: Sequence[InRecord], stopping: Callable[[], bool]
    ) -> None:
        delay = 0.05
        while True:
            try:
                try:
                    outcome = await self.step.handle(records)
                except (*REDIS_DOWN, KafkaError):
                    raise
                except Exception:  # a bug tripped by some record: isolate it
                    log.exception("abm: a batch of %d failed; handling one by one", len(records))
                    outcome = await self._one_by_one(records)
                self.records_handled += len(records)
                self._note(outcome)
                return
            except (*REDIS_DOWN, KafkaError) as error:
                if stopping():
                    raise asyncio.CancelledError from error
                log.warning("abm: %s; retrying the batch in %.2fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _one_by_one(self, records: Sequence[InRecord]) -> Outcome:
        """Each record alone; one that still fails is dead-lettered with the error."""
        published, later = 0, dict[str, Need]()
        good: list[InRecord] = []
        for record in records:
            try:
                outcome = await self.step.handle([record])
            except (*REDIS_DOWN, KafkaError):
                raise
            except Exception as error:
                await self._dead_letter([(record, f"abm: error: {type(error).__name__}: {error}")])
                continue
            good.append(record)
            published += outcome.published
            later |= outcome.later
        if good and len(good) < len(records):
            # Once more as one batch without the records that failed: one record's
            # decision can need another's context (an account transition's snapshot of
            # an account the engine's state does not show yet). Idempotent: every
            # (event, rule) counts once and signal ids are deterministic.
            outcome = await self.step.handle(good)
            published += outcome.published
            later |= outcome.later
        return Outcome(published, later)

    def _note(self, outcome: Outcome, revisited: Collection[str] = ()) -> None:
        if outcome.published:
            log.info("abm: %d signal(s) published", outcome.published)
        for account_id in revisited:
            if account_id not in outcome.later:
                self._revisit.pop(account_id, None)
        for account_id, need in outcome.later.items():
            looked = account_id in revisited and account_id in self._revisit
            left = self._revisit[account_id][0] - 1 if looked else REVISITS
            if left > 0:
                self._revisit[account_id] = (left, need)
            else:
                self._revisit.pop(account_id, None)

    async def _revisit_unknown(self) -> None:
        """Evaluate again the accounts whose points the worker had not applied yet (best
        effort: a failure, or ``REVISITS`` looks in vain, leave them to their next touch)."""
        if not self._revisit or time.monotonic() - self._revisited_at < REVISIT_EVERY_S:
            return
        self._revisited_at = time.monotonic()
        needs = {account_id: need for account_id, (_, need) in self._revisit.items()}
        try:
            outcome = await self.step.revisit(needs)
        except (*REDIS_DOWN, KafkaError) as error:
            log.warning("abm: revisit failed (%s); retried later", error)
            return
        self._note(outcome, needs)


def register_abm(app: faust.App, settings: Settings) -> None:
    """Run the ABM consumer as a task of ``app`` (unless ``LEADQ_ABM__ENABLED`` is false)."""
    if not settings.abm.enabled:
        return

    async def abm_consumer() -> None:
        await AbmConsumer(settings).run(lambda: bool(app.should_stop))

    app.task(abm_consumer)


def register_abm_consumer(app: faust.App, runtime: Runtime) -> None:
    """``register_abm`` as ``agents.consumers`` calls it (``leadq worker --only abm``)."""
    register_abm(app, runtime.settings)


async def run_abm(settings: Settings, stop: asyncio.Event) -> None:
    """Run the ABM consumer alone until ``stop`` is set."""
    consumer = AbmConsumer(settings)
    task = asyncio.create_task(consumer.run(stop.is_set))
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if not task.done():
        task.cancel()
    waiter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
