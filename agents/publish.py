"""Publishing transitions to the routing topic (CloudEvents, keyed by partition key).

Delivery: at least once. The caller acknowledges the outbox entries only after every
send below has been confirmed by the broker; a crash in between leaves them in the
outbox for the sweeper, and consumers de-duplicate on the CloudEvent ``id``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from leadq.store import Emitted
from schemas.transition import to_cloudevent
from streams.kafka.outlet import Outlet, OutRecord


async def publish(routing: Outlet, emitted: Sequence[Emitted]) -> None:
    """Send every transition and wait until the broker has them all."""
    await routing.send_all(_records(emitted))


def _records(emitted: Sequence[Emitted]) -> Iterator[OutRecord]:
    for item in emitted:
        event = to_cloudevent(item.transition)
        headers = [
            ("ce_id", event.id.encode()),
            ("ce_type", event.type.encode()),
            ("content-type", b"application/cloudevents+json"),
        ]
        yield event.partitionkey.encode(), event.model_dump_json().encode(), headers
