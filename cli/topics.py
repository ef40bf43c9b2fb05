"""Topic names and broker checks shared by ``leadq produce`` and ``leadq tail``.

Contract: :func:`resolve_topic` maps the short names ``web``, ``email``, ``product``,
``crm``, ``signals``, ``routing``, ``dead-letter`` and ``abm`` through the configured
:class:`~streams.settings.TopicNames` and returns any other name unchanged;
:func:`topic_partitions` returns a topic's partition count or raises
:class:`BrokerError` with a message meant for the user (broker unreachable, topic
missing). Importing this module loads no Kafka client: the pure commands stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from schemas.signal import Channel
    from streams.settings import KafkaSecurity, TopicNames

#: Short name → field of ``TopicNames``.
SHORT_NAMES: Final = {
    "web": "web",
    "email": "email",
    "product": "product",
    "crm": "crm",
    "signals": "signals",
    "routing": "routing",
    "dead-letter": "dead_letter",
    "dead_letter": "dead_letter",
    "abm": "abm",
}
#: How long to wait for a broker that refuses connections before giving up.
CONNECT_DEADLINE_S: Final = 3.0


class BrokerError(RuntimeError):
    """The broker cannot be used for this command; the message says why, for humans."""


def resolve_topic(name: str, names: TopicNames) -> str:
    """The topic ``name`` stands for: a configured topic for a short name, else ``name``."""
    field = SHORT_NAMES.get(name)
    return str(getattr(names, field)) if field else name


def channel_of(topic: str, names: TopicNames) -> Channel | None:
    """The inbound channel whose topic is ``topic``, or None for any other topic."""
    channels: dict[str, Channel] = {
        names.web: "web",
        names.email: "email",
        names.product: "product",
        names.crm: "crm",
    }
    return channels.get(topic)


async def topic_partitions(
    bootstrap: str, topic: str, security: KafkaSecurity | None = None
) -> int:
    """Partition count of ``topic`` on ``bootstrap``; :class:`BrokerError` if the broker
    does not answer within :data:`CONNECT_DEADLINE_S` or the topic does not exist.

    A missing topic is an error rather than auto-created: Kafka (and the dev broker)
    would create it with a default partition count that can never be changed here.
    """
    from streams.kafka.admin import PLAINTEXT, describe_partitions, wait_for_kafka

    security = security or PLAINTEXT
    try:
        await wait_for_kafka(bootstrap, CONNECT_DEADLINE_S, security=security)
        counts = await describe_partitions(bootstrap, [topic], security)
    except Exception as error:
        raise BrokerError(
            f"cannot reach Kafka at {bootstrap} (LEADQ_KAFKA_BOOTSTRAP): {error}"
        ) from error
    if topic not in counts:
        short = ", ".join(sorted(set(SHORT_NAMES) - {"dead_letter"}))
        raise BrokerError(
            f"topic {topic!r} does not exist on {bootstrap}; create it first, or use one of "
            f"the short names {short}"
        )
    return counts[topic]
