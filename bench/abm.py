"""``python -m bench.abm [SIGNALS] [ACCOUNTS]``: the ABM consumer's throughput on scored
signals, on an embedded dev cluster.

Produces SIGNALS routed web signals (default 60000; pricing, case-study, blog and other
page views of 5 people per account over the last few days) spread over ACCOUNTS
accounts (default 2000) to the signals topic, then runs one ABM consumer
(``agents.abm_consumer.AbmConsumer``) until it has handled them all. Prints the rate
after its first batch (steady state: the group join, which the dev broker holds for
half the session timeout, is left out) and overall. No engine state exists, so every
account is evaluated from its points alone (the Redis round trips are the same).
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer

from agents.abm_consumer import AbmConsumer
from leadq.identity import account_bucket
from schemas.routed import RoutedSignal, encode_routed
from schemas.signal import Account, Identity, Signal
from streams.devcluster import DevCluster
from streams.settings import Settings

PATHS = ("/pricing", "/customers/1", "/blog/x", "/about")


def routed(n: int, accounts: int, now: datetime) -> RoutedSignal:
    account = f"acct{n % accounts}.example"
    user = f"p{n % (accounts * 5)}"
    signal = Signal(
        event_id=f"bench-{n}",
        channel="web",
        type="page",
        occurred_at=now - timedelta(minutes=n % 5000),
        identity=Identity(user_id=user),
        account=Account(id=account),
        properties={"path": PATHS[n % len(PATHS)]},
    )
    bucket = account_bucket(account)
    return RoutedSignal(lead_id=f"u:{user}", account_id=account, bucket=bucket, signal=signal)


async def measure(signals: int, accounts: int) -> str:
    base = Settings()
    with DevCluster(base.topic_partitions()) as cluster:
        settings = base.with_changes(kafka_bootstrap=cluster.bootstrap, redis_url=cluster.redis_url)
        now = datetime.now(UTC)
        producer = AIOKafkaProducer(bootstrap_servers=cluster.bootstrap, linger_ms=5)
        await producer.start()
        try:
            sent = []
            for n in range(signals):
                r = routed(n, accounts, now)
                value, key = encode_routed(r), r.partition_key.encode()
                sent.append(await producer.send(settings.topics.signals, value, key=key))
            await asyncio.gather(*sent)
        finally:
            await producer.stop()
        consumer = AbmConsumer(settings)
        stop = asyncio.Event()
        started = time.monotonic()
        task = asyncio.create_task(consumer.run(stop.is_set))
        while consumer.records_handled == 0:
            await asyncio.sleep(0.01)
        first, steady_from = consumer.records_handled, time.monotonic()
        while consumer.records_handled < signals:
            await asyncio.sleep(0.02)
        ended = time.monotonic()
        stop.set()
        await task
    steady = (signals - first) / (ended - steady_from)
    overall = signals / (ended - started)
    return (
        f"ABM consumer: {signals} signals over {accounts} accounts: {steady:.0f} signals/s "
        f"after the first batch of {first}, {overall:.0f}/s including the group join"
    )


def main(argv: list[str]) -> int:
    signals = int(argv[0]) if argv else 60_000
    accounts = int(argv[1]) if len(argv) > 1 else 2_000
    print(asyncio.run(measure(signals, accounts)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
