"""Publishing transitions to the routing topic (CloudEvents, keyed by partition key).

Delivery: at least once. The caller acknowledges the outbox entries only after every
send below has been confirmed by the broker; a crash in between leaves them in the
outbox for the sweeper, and consumers de-duplicate on the CloudEvent ``id``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from leadq.store import Emitted
from schemas.transition import CLOUDEVENTS_JSON, to_cloudevent
from streams.kafka.outlet import Outlet, OutRecord

#: Structured content mode as the CloudEvents Kafka binding defines it: the whole event in
#: the value and this one header. No ``ce_*`` headers: the binding reserves them for
#: binary mode, and SDKs that see one (the Python SDK's ``from_binary`` detection, say)
#: read the record as binary and miss the envelope in the value.
STRUCTURED_HEADERS = [("content-type", CLOUDEVENTS_JSON.encode())]


async def publish(routing: Outlet, emitted: Sequence[Emitted]) -> None:
    """Send every transition and wait until the broker has them all."""
    await routing.send_all(_records(emitted))


def _records(emitted: Sequence[Emitted]) -> Iterator[OutRecord]:
    for item in emitted:
        event = to_cloudevent(item.transition)
        yield event.partitionkey.encode(), event.model_dump_json().encode(), STRUCTURED_HEADERS
