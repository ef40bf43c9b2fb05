"""A seeded, streaming generator of a realistic B2B event workload for leadq.

``generate(config)`` yields ``Record(topic, key, value)`` in event-time order: ``topic``
is a short inbound topic name (web, email, product, crm), ``key`` the lead identity the
message is partitioned by (``u:<user id>``, else ``e:<email>``, else ``a:<anonymous
id>``: the key ``leadq produce`` gives the same document), ``value`` one Kafka
message value exactly as a producer sends it (a SendGrid webhook array stays one
value). What it models (companies with buying groups, bursts of buying activity, the
vendor formats) is described in docs/workload.md.

Contract:

- deterministic: the same ``WorkloadConfig`` gives byte-identical records (one
  ``random.Random(seed)``, ids from the seed and a counter, no clock);
- exactly ``config.events`` records, each at or after the previous one in event time
  (a webhook array is placed at its last item's time); times lie in
  [start, start + span] except rare in-session events a few minutes past the end;
- about ``malformed_rate`` of the records are malformed on purpose (not JSON, a wrong
  type, an unknown format, no identity): ``generate_labelled`` says which and how;
  every other record normalizes without a reject on its topic's channel;
- streaming: memory grows with the number of accounts, not of events.
"""

from __future__ import annotations

import asyncio
import heapq
import random
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal, NamedTuple

import orjson

from bench.behaviour import Simulator, Unit
from bench.sessions import Sessions
from bench.wire import MALFORMED_KINDS, Ids, corrupt

if TYPE_CHECKING:
    from streams.settings import Settings

Topic = Literal["web", "email", "product", "crm"]
TOPICS: Final[tuple[Topic, ...]] = ("web", "email", "product", "crm")
#: A Monday; event times never depend on the wall clock.
DEFAULT_START: Final = datetime(2026, 1, 5, tzinfo=UTC)
#: Default number of companies: one per this many records.
EVENTS_PER_ACCOUNT: Final = 40
#: Individuals without a company (free-mail, students) per company.
INDIVIDUALS_PER_ACCOUNT: Final = 0.3


@dataclass(frozen=True)
class WorkloadConfig:
    """What to generate. ``accounts`` counts companies (competitors included); None
    means ``events // EVENTS_PER_ACCOUNT``. Individuals come on top (30% as many)."""

    seed: int = 7
    events: int = 20_000
    accounts: int | None = None
    start: datetime = DEFAULT_START
    span: timedelta = field(default=timedelta(days=90))
    malformed_rate: float = 0.002

    def __post_init__(self) -> None:
        if self.events < 0 or (self.accounts is not None and self.accounts < 1):
            raise ValueError("events must be ≥ 0 and accounts ≥ 1")
        if not 0.0 <= self.malformed_rate <= 1.0:
            raise ValueError(f"malformed_rate must be in [0, 1], got {self.malformed_rate}")
        if self.start.tzinfo is None or self.span < timedelta(days=1):
            raise ValueError("start must be timezone-aware and span at least one day")

    @property
    def start_ms(self) -> int:
        return int(self.start.timestamp() * 1000)

    @property
    def end_ms(self) -> int:
        return self.start_ms + int(self.span.total_seconds() * 1000)

    def company_count(self) -> int:
        return self.accounts or max(1, self.events // EVENTS_PER_ACCOUNT)


class Record(NamedTuple):
    """One Kafka message: short topic name, key (lead identity) and value bytes."""

    topic: Topic
    key: bytes | None
    value: bytes


class LabelledRecord(NamedTuple):
    """A record with its event time (epoch ms) and why it is malformed (None if it is not)."""

    record: Record
    at_ms: int
    malformed: str | None


def generate(config: WorkloadConfig) -> Iterator[Record]:
    """The workload's records, in event-time order; see the module contract."""
    for labelled in generate_labelled(config):
        yield labelled.record


def new_simulator(config: WorkloadConfig) -> Simulator:
    """A fresh simulator for ``config``: pass it to ``generate_labelled`` to read the
    workload's ground truth (units, buying cycles, hand-raises) afterwards."""
    rng = random.Random(config.seed)
    return Simulator(Sessions(rng, Ids(config.seed), config.end_ms), config.seed)


def generate_labelled(
    config: WorkloadConfig, simulator: Simulator | None = None
) -> Iterator[LabelledRecord]:
    """``generate`` with each record's event time and malformed label. ``simulator``
    (fresh, from ``new_simulator(config)``) is the one to run, if the caller wants it."""
    simulator = simulator or new_simulator(config)
    rng = simulator.rng
    plan = plan_units(rng, config)
    # (time, push order, item): item is a plan index (a unit to create), a Unit to
    # wake, or a ready LabelledRecord. The push order breaks ties deterministically.
    heap: list[tuple[int, int, int | Unit | LabelledRecord]] = [
        (first_ms, index, index) for index, (_, _, first_ms) in enumerate(plan)
    ]
    heapq.heapify(heap)
    pushed = len(heap)
    while heap:
        at_ms, _, item = heapq.heappop(heap)
        if isinstance(item, LabelledRecord):
            yield item
            continue
        if isinstance(item, int):
            kind, budget, _ = plan[item]
            unit, next_wake = simulator.new_unit(kind, at_ms, budget)
            heapq.heappush(heap, (next_wake, pushed, unit))
            pushed += 1
            continue
        records, next_at = simulator.wake(item, at_ms)
        for record_at, topic, key, message in records:
            labelled = _labelled(rng, config.malformed_rate, record_at, topic, key, message)
            heapq.heappush(heap, (record_at, pushed, labelled))
            pushed += 1
        if next_at is not None:
            heapq.heappush(heap, (next_at, pushed, item))
            pushed += 1


def _labelled(
    rng: random.Random, rate: float, at_ms: int, topic: str, key: bytes | None, message: object
) -> LabelledRecord:
    value = orjson.dumps(message)
    malformed = None
    if rate and rng.random() < rate:
        malformed = rng.choice(MALFORMED_KINDS)
        value = corrupt(value, malformed)
    return LabelledRecord(Record(topic, key, value), at_ms, malformed)  # type: ignore[arg-type]


def plan_units(rng: random.Random, config: WorkloadConfig) -> list[tuple[str, int, int]]:
    """(kind, record budget, first appearance) per unit; budgets sum to ``events``.

    Budgets follow a heavy-tailed (log-normal) weight, as real account activity does:
    a few accounts in a buying cycle make most of the noise. Units whose share rounds
    to zero records are left out.
    """
    companies = config.company_count()
    individuals = round(companies * INDIVIDUALS_PER_ACCOUNT)
    kinds = ["competitor" if rng.random() < 0.04 else "company" for _ in range(companies)]
    kinds += ["student" if rng.random() < 0.25 else "freemail" for _ in range(individuals)]
    scale = {"company": 1.0, "competitor": 0.6, "freemail": 0.25, "student": 0.25}
    weights = [scale[kind] * rng.lognormvariate(0.0, 1.0) for kind in kinds]
    total, running, given = sum(weights), 0.0, 0
    span_ms = config.end_ms - config.start_ms
    plan = []
    for kind, weight in zip(kinds, weights, strict=True):
        running += weight
        budget = round(config.events * running / total) - given
        given += budget
        first_ms = config.start_ms + int(rng.uniform(0.0, 0.5) * span_ms)
        if budget > 0:
            plan.append((kind, budget, first_ms))
    return plan


async def produce(records: Iterable[Record], settings: Settings) -> int:
    """Send ``records`` to the inbound topics named by ``settings``; returns the count.

    Keys and values go as given; messages are batched by the producer (no wait per
    message) and flushed at the end. Guarantee: when it returns, the partition leader
    acknowledged every record; otherwise it raises (``RuntimeError`` naming the first
    failed send, or aiokafka's error if the broker cannot be reached). Producer retries
    may duplicate a record; the pipeline de-duplicates by event id.
    """
    from aiokafka import AIOKafkaProducer  # only the produce path needs Kafka

    names = {topic: getattr(settings.topics, topic) for topic in TOPICS}
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers(), linger_ms=10, max_batch_size=1 << 18
    )
    failures: list[BaseException] = []

    def check(future: asyncio.Future[object]) -> None:
        if not future.cancelled() and future.exception() is not None:
            failures.append(future.exception())  # type: ignore[arg-type]

    sent = 0
    try:
        await producer.start()
        for topic, key, value in records:
            future = await producer.send(names[topic], value, key=key)
            future.add_done_callback(check)
            sent += 1
        await producer.flush()
    finally:
        await producer.stop()
    if failures:
        raise RuntimeError(f"{len(failures)} of {sent} sends failed, first: {failures[0]!r}")
    return sent


if __name__ == "__main__":
    from bench.workload_cli import main

    sys.exit(main())
