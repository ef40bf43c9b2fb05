"""Faust topic declarations for a leadq app, all carrying raw bytes.

Contract: every topic is declared with ``settings.partitions`` partitions (they are
created up front with that count by the dev cluster and docker-compose; Faust only
creates a topic it finds missing). Keys are lead ids encoded as UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust
from faust.types import TopicT

from streams.settings import Settings


@dataclass(frozen=True)
class AppTopics:
    """The Faust topic objects of one app."""

    #: Web, email, product and CRM topics: raw inbound events in any accepted format.
    inbound: TopicT
    signals: TopicT
    routing: TopicT
    dead_letter: TopicT


def declare_topics(app: faust.App, settings: Settings) -> AppTopics:
    """Declare leadq's topics on ``app``, named and sized from ``settings``."""
    names = settings.topics

    def topic(*topic_names: str) -> TopicT:
        return app.topic(
            *topic_names,
            key_serializer="raw",
            value_serializer="raw",
            partitions=settings.partitions,
        )

    return AppTopics(
        inbound=topic(*names.inbound()),
        signals=topic(names.signals),
        routing=topic(names.routing),
        dead_letter=topic(names.dead_letter),
    )
