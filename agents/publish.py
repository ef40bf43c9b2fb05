"""Publishing transitions to the routing topic (CloudEvents, keyed by partition key).

Delivery: at least once. The caller acknowledges the outbox entries only after every
send below has been confirmed by the broker; a crash in between leaves them in the
outbox for the sweeper, and consumers de-duplicate on the CloudEvent ``id``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from faust.types import TopicT

from schemas.transition import to_cloudevent
from streams.store import Emitted


async def publish(routing: TopicT, emitted: Sequence[Emitted]) -> None:
    """Send every transition and wait until the broker has them all."""
    pending = []
    for item in emitted:
        event = to_cloudevent(item.transition)
        pending.append(
            await routing.send(
                key=event.partitionkey.encode(),
                value=event.model_dump_json().encode(),
                headers={
                    "ce_id": event.id.encode(),
                    "ce_type": event.type.encode(),
                    "content-type": b"application/cloudevents+json",
                },
                force=True,
            )
        )
    await asyncio.gather(*pending)
