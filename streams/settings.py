"""Runtime configuration of leadq: one frozen settings object read from ``LEADQ_*`` env vars.

Contract: every process (worker, CLI, demo, tests) builds its configuration from
:class:`Settings` only; nothing else reads the environment for configuration. Nested
topic names use ``__`` as the delimiter (``LEADQ_TOPICS__ROUTING=my.routing``). The object
is frozen: derive a variant with ``settings.model_copy(update={...})``.

Environment variables (defaults in brackets):

- ``LEADQ_KAFKA_BOOTSTRAP`` [``localhost:9092``] comma-separated ``host:port`` list.
- ``LEADQ_REDIS_URL`` [``redis://localhost:6379/0``].
- ``LEADQ_TOPICS__WEB`` / ``__EMAIL`` / ``__PRODUCT`` / ``__CRM`` / ``__SIGNALS`` /
  ``__ROUTING`` / ``__DEAD_LETTER`` / ``__ASSIGNMENTS`` / ``__ABM``: topic names, see
  :class:`TopicNames`.
- ``LEADQ_PARTITIONS`` [4]: partition count every leadq topic is created with.
- ``LEADQ_RULES_PATH`` [``rules/example.yaml``].
- ``LEADQ_APP_ID`` [``leadq``]: Faust app id, also the Kafka consumer group.
- ``LEADQ_WEB_HOST`` [``127.0.0.1``] / ``LEADQ_WEB_PORT`` [6066]: the worker's web server.
- ``LEADQ_BROKER_SESSION_TIMEOUT_S`` [8.0], ``LEADQ_BROKER_HEARTBEAT_INTERVAL_S`` [2.0].
- ``LEADQ_BATCH_SIZE`` [4000]: most records a lane handles in one call (a fetch that
  returned more is cut into batches of this size; a lane never waits to fill one, so
  only a backlog makes batches this large: each bucket is then read and written once
  for many events; a batch in hand delays a rebalance by about a second).
- ``LEADQ_COLD_LEAD_TTL_DAYS`` [180]: days without an event after which a lead that was
  never staged (and an account never engaged) is dropped from Redis.
- ``LEADQ_DATA_DIR`` [``.leadq``]: Faust's local data directory.
- ``LEADQ_LOG_LEVEL`` [``info``], ``LEADQ_UVLOOP`` [true].
- ``LEADQ_INGEST__*``: the HTTP ingest gateway (``leadq ingest``), see :class:`IngestSettings`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from leadq.adapters.hubspot import DEFAULT_HUBSPOT_EVENTS, HubSpotEventTable

LogLevel = Literal["debug", "info", "warning", "error"]


class TopicNames(BaseModel):
    """Names of every Kafka topic leadq reads or writes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    web: str = "leadq.events.web"
    email: str = "leadq.events.email"
    product: str = "leadq.events.product"
    crm: str = "leadq.events.crm"
    signals: str = "leadq.signals"
    routing: str = "leadq.routing"
    dead_letter: str = "leadq.dead-letter"
    #: Routing decisions and SLA breaches (``schemas.assignment``), keyed by lead.
    assignments: str = "leadq.assignments"
    #: Account-based-marketing signals (MQA, surge, persona engaged, cooling), keyed by account.
    abm: str = "leadq.abm"

    def inbound(self) -> tuple[str, ...]:
        """The topics external producers write raw events to."""
        return (self.web, self.email, self.product, self.crm)

    def all(self) -> tuple[str, ...]:
        """Every topic, in a stable order: what the dev cluster and compose create."""
        return (
            *self.inbound(),
            self.signals,
            self.routing,
            self.dead_letter,
            self.assignments,
            self.abm,
        )


#: The inbound channel a tracking SDK's write key (or PostHog project key) feeds.
TrackingChannel = Literal["web", "product"]


class IngestSettings(BaseModel):
    """The HTTP ingest gateway (``leadq ingest``): where it listens, who may send, limits.

    Secrets (write keys, the Mailgun signing key, the Postmark credentials) are kept out
    of ``repr`` and never logged; an unset verifier refuses its vendor's requests.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8088, ge=1, le=65535)
    #: Segment/RudderStack write key or PostHog project API key -> channel (a JSON object
    #: in ``LEADQ_INGEST__WRITE_KEYS``, e.g. ``{"wk_web": "web", "phc_prod": "product"}``).
    write_keys: dict[str, TrackingChannel] = Field(default_factory=dict, repr=False)
    #: SendGrid's Signed Event Webhook verification key as SendGrid shows it (base64 DER).
    sendgrid_public_key: str | None = None
    mailgun_signing_key: SecretStr | None = None
    #: ``user:password`` that Postmark sends as HTTP basic auth (set in the webhook URL).
    postmark_basic_auth: SecretStr | None = None
    #: The HubSpot app's client secret: the key of its v3 request signatures
    #: (``LEADQ_INGEST__HUBSPOT_CLIENT_SECRET``); unset, ``/webhooks/hubspot`` refuses.
    hubspot_client_secret: SecretStr | None = None
    #: The webhook's target URL as configured in HubSpot, which the signature covers;
    #: unset, the request's own URL (its Host header, and X-Forwarded-Proto from a proxy).
    hubspot_webhook_url: str | None = None
    #: HubSpot property value → crm event (``leadq.adapters.hubspot``), e.g.
    #: ``{"lifecyclestage": {"customer": "opportunity_won"}}``; replaces the default.
    hubspot_events: HubSpotEventTable = Field(default_factory=lambda: DEFAULT_HUBSPOT_EVENTS)
    #: HubSpot's rule: refuse a signature whose timestamp is older than five minutes.
    hubspot_max_age_s: int = Field(default=300, ge=1)
    #: Oldest Mailgun signature timestamp accepted. Mailgun retries a failed delivery for
    #: 8 hours with the signature it first sent, so a shorter window would refuse the
    #: retries that follow a broker outage; seen tokens are kept in Redis this long.
    mailgun_max_age_s: int = Field(default=9 * 3600, ge=60)
    #: Segment's documented limits: 32 KB per message, 500 KB per batch request.
    max_message_bytes: int = Field(default=32 * 1024, ge=1024)
    max_batch_bytes: int = Field(default=500 * 1024, ge=1024)
    #: PostHog's: its SDKs drop events over 900 KiB and its capture takes 20 MiB bodies.
    posthog_max_event_bytes: int = Field(default=900 * 1024, ge=1024)
    posthog_max_body_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    #: ESP webhook bodies (SendGrid posts batches of up to ~768 KB).
    webhook_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: How long a request waits for the broker's acknowledgements before it answers 503.
    produce_timeout_s: float = Field(default=5.0, gt=0.0, le=120.0)
    #: The ``Retry-After`` seconds of a 503 (the SDKs wait that long before retrying).
    retry_after_s: int = Field(default=2, ge=1, le=300)
    #: How long ``leadq ingest`` waits for the broker at start before it gives up.
    startup_timeout_s: float = Field(default=30.0, gt=0.0)


class Settings(BaseSettings):
    """The whole configuration of a leadq process. See the module docstring for env names."""

    model_config = SettingsConfigDict(
        env_prefix="LEADQ_", env_nested_delimiter="__", frozen=True, extra="ignore"
    )

    kafka_bootstrap: str = "localhost:9092"
    redis_url: str = "redis://localhost:6379/0"
    topics: TopicNames = TopicNames()
    #: Every topic gets this many partitions. It bounds parallelism and cannot grow later
    #: on the dev broker (Tansu has no CreatePartitions), so pick the final number.
    partitions: int = Field(default=4, ge=1, le=10_000)
    rules_path: Path = Path("rules/example.yaml")
    app_id: str = Field(default="leadq", min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    web_host: str = "127.0.0.1"
    #: Each worker process on one host needs its own port (Faust binds it even when the
    #: web server is disabled).
    web_port: int = Field(default=6066, ge=1, le=65535)
    #: Short enough that a consumer group forms in seconds (the dev broker holds a
    #: JoinGroup for half of it) and a dead worker is replaced quickly.
    broker_session_timeout_s: float = Field(default=8.0, ge=1.0, le=300.0)
    broker_heartbeat_interval_s: float = Field(default=2.0, gt=0.0)
    #: How long the consumer lets the broker hold an empty fetch. Faust's own 1500 ms
    #: costs ~0.75 s per hop on the dev broker (it holds fetches even when data
    #: arrives); Apache Kafka answers as soon as data is there (streams/kafka/transport.py).
    consumer_fetch_max_wait_ms: int = Field(default=20, ge=1, le=10_000)
    #: Largest record a worker produces; above Faust's ~1 MB so an oversized inbound
    #: event the broker accepted can be dead-lettered whole (else it goes truncated).
    producer_max_request_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    batch_size: int = Field(default=4000, ge=1)
    #: A lead never staged (and an account never engaged) is dropped from Redis after
    #: this many days without an event; staged leads are kept.
    cold_lead_ttl_days: float = Field(default=180.0, gt=0)
    data_dir: Path = Path(".leadq")
    log_level: LogLevel = "info"
    uvloop: bool = True
    ingest: IngestSettings = IngestSettings()

    @model_validator(mode="after")
    def _heartbeat_below_session(self) -> Settings:
        if self.broker_heartbeat_interval_s * 3 > self.broker_session_timeout_s:
            raise ValueError("broker_heartbeat_interval_s must be at most a third of the session")
        return self

    def bootstrap_servers(self) -> list[str]:
        """``kafka_bootstrap`` split into ``host:port`` entries."""
        return [part.strip() for part in self.kafka_bootstrap.split(",") if part.strip()]

    def with_changes(self, **changes: object) -> Settings:
        """A validated copy with ``changes`` applied (the environment is not re-read)."""
        return type(self).model_validate({**self.model_dump(), **changes})

    def to_env(self) -> dict[str, str]:
        """``LEADQ_*`` variables that rebuild exactly these settings in a child process."""
        env: dict[str, str] = {}
        for name, value in self.model_dump().items():
            nested = value.items() if isinstance(value, dict) else [(None, value)]
            for field, item in nested:
                if item is not None:
                    env[f"LEADQ_{name}{f'__{field}' if field else ''}".upper()] = _env_value(item)
        return env

    def topic_partitions(self) -> dict[str, int]:
        """Every topic name mapped to the partition count it must be created with."""
        return dict.fromkeys(self.topics.all(), self.partitions)


def _env_value(value: object) -> str:
    """``value`` as pydantic-settings reads it back from an environment variable."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once and then cached."""
    return Settings()
