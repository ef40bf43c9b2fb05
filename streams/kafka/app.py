"""The Faust application factory: every Faust setting leadq relies on, in one place.

Delivery guarantee: at least once. Offsets are committed only after an event is fully
processed (acked), so a crash replays the uncommitted tail; state updates must therefore
be idempotent and outputs carry ids consumers can de-duplicate. Exactly-once is not used:
the dev broker (Tansu) supports neither idempotent nor transactional producers.
"""

from __future__ import annotations

import faust

from streams.kafka import transport
from streams.kafka.security import faust_credentials
from streams.settings import Settings


def broker_urls(settings: Settings, scheme: str = "kafka") -> list[str]:
    """``<scheme>://host:port`` for each bootstrap server."""
    return [f"{scheme}://{server}" for server in settings.bootstrap_servers()]


def create_app(settings: Settings) -> faust.App:
    """A Faust app configured from ``settings`` only, with no agents registered yet.

    Faust would otherwise also read un-prefixed environment variables (``WEB_PORT``,
    ``BROKER_URL``...); ``env={}`` turns that off so ``LEADQ_*`` is the only source.
    """
    session = settings.broker_session_timeout_s
    # Faust creates <data_dir>/<app id>-data itself, but not missing parents.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.app_id,
        env={},
        broker=broker_urls(settings),
        # Faust's transport but with the fetch wait from settings (streams/kafka/transport.py).
        broker_consumer=broker_urls(settings, transport.SCHEME),
        # LEADQ_KAFKA__*: SASL and TLS for the consumer and the producer alike.
        broker_credentials=faust_credentials(settings.kafka),
        processing_guarantee="at_least_once",
        # Topics carry bytes; agents validate at the edge and dead-letter what fails.
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.partitions,
        topic_replication_factor=1,
        # No tables and no leader-only timers: skip Faust's __assignor-__leader topic.
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=session,
        broker_heartbeat_interval=settings.broker_heartbeat_interval_s,
        # How long members may take to rejoin a rebalance: the 60 s default would let
        # one slow member stall the whole group that long. Faust needs request >= session.
        broker_rebalance_timeout=session * 2,
        broker_request_timeout=max(30.0, session * 3),
        producer_max_request_size=settings.producer_max_request_bytes,
        web_host=settings.web_host,
        web_bind=settings.web_host,
        web_port=settings.web_port,
        # Faust's own pages (/router/, /table/, /graph/, statistics) expose internals
        # and its "/" answers OK whatever is down; leadq serves /health and /ready.
        web_router_enabled=False,
        web_tables_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        web_metrics_enabled=False,
        datadir=str(settings.data_dir / "{conf.name}-data"),
        autodiscover=False,
    )
    setattr(app, transport.FETCH_WAIT_KEY, settings.consumer_fetch_max_wait_ms)
    _without_faust_pages(app)
    return app


def _without_faust_pages(app: faust.App) -> None:
    """No built-in Faust blueprint at all: the flags above cover those Faust lets be
    switched off; its production index ("/") has no flag, so the list is emptied (only
    pages leadq registers itself are served)."""
    app.web.blueprints._enabled.clear()
