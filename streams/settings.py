"""Runtime configuration of leadq: one frozen settings object read from ``LEADQ_*`` env vars.

Contract: every process (worker, CLI, demo, tests) builds its configuration from
:class:`Settings` only; nothing else reads the environment for configuration. Nested
topic names use ``__`` as the delimiter (``LEADQ_TOPICS__ROUTING=my.routing``). The object
is frozen: derive a variant with ``settings.model_copy(update={...})``.

Environment variables (defaults in brackets):

- ``LEADQ_KAFKA_BOOTSTRAP`` [``localhost:9092``] comma-separated ``host:port`` list.
- ``LEADQ_KAFKA__SECURITY_PROTOCOL`` [``PLAINTEXT``] / ``__SASL_MECHANISM`` /
  ``__SASL_USERNAME`` / ``__SASL_PASSWORD`` / ``__SSL_CAFILE`` / ``__SSL_CERTFILE`` /
  ``__SSL_KEYFILE`` / ``__SSL_CHECK_HOSTNAME``: how every Kafka client of leadq (worker,
  gateway, CLI) authenticates and encrypts, see :class:`KafkaSecurity`.
- ``LEADQ_REDIS_URL`` [``redis://localhost:6379/0``]: ``redis://:PASSWORD@host:port/db``
  with a password (``rediss://`` for TLS); shown only without its password.
- ``LEADQ_TOPICS__WEB`` / ``__EMAIL`` / ``__PRODUCT`` / ``__CRM`` / ``__SIGNALS`` /
  ``__ROUTING`` / ``__DEAD_LETTER`` / ``__ASSIGNMENTS`` / ``__ABM``: topic names, see
  :class:`TopicNames`.
- ``LEADQ_PARTITIONS`` [4]: partition count every leadq topic is created with.
- ``LEADQ_RULES_PATH`` [unset: the example rules shipped in the package].
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
- ``LEADQ_ALERTS__*``: SDR alerts to Slack-compatible webhooks, see :class:`AlertsSettings`.
- ``LEADQ_STARTUP_TIMEOUT_S`` [30]: how long ``leadq worker`` waits for Kafka and Redis
  to answer at start before it exits with a one-line error.
- ``LEADQ_LOG_FORMAT`` [``text``]: ``json`` writes one JSON object per log line
  (``streams.logs``).
- ``LEADQ_API_TOKEN`` [unset]: when set, the worker's read API (``/leads``,
  ``/accounts``) requires ``Authorization: Bearer <token>``; ``/health``, ``/ready`` and
  ``/metrics`` stay open.
- ``LEADQ_INGEST__*``: the HTTP ingest gateway (``leadq ingest``), see :class:`IngestSettings`.
- ``LEADQ_ROUTING_PATH`` [unset]: the routing file; unset, the worker runs no router.
- ``LEADQ_ROUTING__*``: the router's timings and retention, see :class:`RoutingSettings`.
- ``LEADQ_ABM__*``: the ABM signals consumer (surge thresholds), see :class:`AbmSettings`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from leadq.adapters.hubspot import DEFAULT_HUBSPOT_EVENTS, HubSpotEventTable
from schemas.examples import example_rules_path

LogLevel = Literal["debug", "info", "warning", "error"]
LogFormat = Literal["text", "json"]


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


class AlertsSettings(BaseModel):
    """SDR alerts (``agents.alerts``): the default webhook, pacing, retries, memory.

    ``webhook_url`` is a secret (an incoming-webhook URL carries its token): kept out of
    ``repr`` and never logged in full.
    """

    # Inputs stay out of error messages: a mistyped webhook URL is still a secret.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    #: Run the alerts consumer in ``leadq worker``.
    enabled: bool = True
    #: Used when neither the owner nor the team has a webhook in the routing file.
    webhook_url: SecretStr | None = None
    #: Least time between two requests to one webhook (Slack: about one message a second).
    per_webhook_interval_s: float = Field(default=1.0, ge=0.0, le=60.0)
    #: Requests per alert at most (429s included), and the time from the first one after
    #: which an alert that still fails is dead-lettered.
    max_attempts: int = Field(default=6, ge=1, le=50)
    max_retry_s: float = Field(default=120.0, gt=0.0, le=3600.0)
    #: Backoff after a 5xx or a connection error: base · 2^(n−1), capped, with jitter.
    backoff_base_s: float = Field(default=0.5, gt=0.0, le=60.0)
    backoff_max_s: float = Field(default=30.0, gt=0.0, le=600.0)
    request_timeout_s: float = Field(default=10.0, gt=0.0, le=120.0)
    #: How long a worker's claim on an alert lasts without renewal: a crashed worker's
    #: unacknowledged alert is sent again only after this.
    claim_lease_s: float = Field(default=60.0, gt=0.0, le=3600.0)
    #: How long a delivered (or dead-lettered) alert id is remembered.
    remember_days: float = Field(default=7.0, gt=0.0, le=365.0)

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, url: SecretStr | None) -> SecretStr | None:
        parts = urlsplit(url.get_secret_value()) if url is not None else None
        if parts is not None and (parts.scheme not in ("http", "https") or not parts.hostname):
            # The URL itself is a secret: say what is wrong, not what it is.
            raise ValueError("must be an http(s) URL with a host, e.g. https://hooks.slack.com/...")
        return url

    @model_validator(mode="after")
    def _lease_outlives_a_wait(self) -> AlertsSettings:
        if self.claim_lease_s <= self.backoff_max_s + self.request_timeout_s:
            raise ValueError("claim_lease_s must exceed backoff_max_s + request_timeout_s")
        return self


SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class KafkaSecurity(BaseModel):
    """How leadq's Kafka clients authenticate and encrypt (``LEADQ_KAFKA__*``).

    Passed unchanged to every client: the worker's Faust consumer and producer, the
    gateway's producer, the admin and CLI clients (``streams.kafka.security``). SASL
    protocols need a mechanism, user name and password; the password is a ``SecretStr``,
    left out of ``repr`` and never logged. ``SSL``/``SASL_SSL`` verify the broker against
    ``ssl_cafile`` (else the system's CAs); ``ssl_certfile``/``ssl_keyfile`` add a client
    certificate (mutual TLS).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "PLAIN"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_check_hostname: bool = True

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @model_validator(mode="after")
    def _complete(self) -> KafkaSecurity:
        if self.uses_sasl and not (self.sasl_username and self.sasl_password):
            raise ValueError(
                f"security_protocol {self.security_protocol} needs LEADQ_KAFKA__SASL_USERNAME "
                "and LEADQ_KAFKA__SASL_PASSWORD"
            )
        files = (self.ssl_cafile, self.ssl_certfile, self.ssl_keyfile)
        if not self.uses_tls and any(files):
            raise ValueError("ssl_* files are set but security_protocol is not SSL or SASL_SSL")
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("ssl_certfile and ssl_keyfile go together (mutual TLS)")
        return self


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


class RoutingSettings(BaseModel):
    """The router (``agents.router``): how often it checks SLA deadlines, how long it
    remembers what it did. Teams, reps and SLAs are in the routing file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: How often each router checks its teams' SLA deadlines (the breach latency).
    sla_poll_interval_s: float = Field(default=1.0, gt=0.0, le=60.0)
    #: A routed transition id is remembered this long: a re-delivery within it is ignored.
    dedupe_ttl_days: float = Field(default=30.0, gt=0)
    #: CRM touches of a lead are kept this long (longer than any SLA).
    touch_ttl_days: float = Field(default=30.0, gt=0)
    #: Outbox entries older than this are presumed abandoned by a dead router and re-sent.
    outbox_abandoned_after_s: float = Field(default=30.0, gt=0)


class AbmSettings(BaseModel):
    """The ABM signals consumer (``leadq abm``; run by ``leadq worker`` unless disabled).

    An account *surges* when its intent over the last ``surge_window_days`` (per day) is
    at least ``surge_factor`` times its intent over the ``baseline_window_days`` before
    (per day), and at least ``surge_min_intent`` points in the window.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Whether ``leadq worker`` runs the ABM consumer beside its lanes.
    enabled: bool = True
    surge_factor: float = Field(default=3.0, gt=1.0)
    surge_window_days: int = Field(default=7, ge=1, le=90)
    baseline_window_days: int = Field(default=28, ge=1, le=365)
    #: Points the short window must reach, so a tiny account does not "surge" from 0.1 to 0.5.
    surge_min_intent: float = Field(default=50.0, ge=0.0)
    #: How long handled transition and event ids are remembered (re-delivery window).
    dedupe_days: int = Field(default=7, ge=1, le=90)
    #: Consumer group of the ABM consumer: ``<app_id>-abm`` when unset.
    group_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]+$")


class Settings(BaseSettings):
    """The whole configuration of a leadq process. See the module docstring for env names."""

    # Inputs stay out of error messages: several settings are secrets (webhook URLs,
    # signing keys); a message still names the variable and what was expected.
    model_config = SettingsConfigDict(
        env_prefix="LEADQ_",
        env_nested_delimiter="__",
        frozen=True,
        extra="ignore",
        hide_input_in_errors=True,
    )

    kafka_bootstrap: str = "localhost:9092"
    kafka: KafkaSecurity = KafkaSecurity()
    redis_url: str = Field(default="redis://localhost:6379/0", repr=False)
    topics: TopicNames = TopicNames()
    #: Every topic gets this many partitions. It bounds parallelism and cannot grow later
    #: on the dev broker (Tansu has no CreatePartitions), so pick the final number.
    partitions: int = Field(default=4, ge=1, le=10_000)
    #: Default: the example rules shipped inside the package (``leadq rules example``).
    rules_path: Path = Field(default_factory=example_rules_path)
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
    #: ``text`` for people at a terminal; ``json`` (one object per line) for collectors.
    log_format: LogFormat = "text"
    #: The bearer token the read API requires; unset = open (bind it to loopback then).
    api_token: SecretStr | None = Field(default=None, repr=False)
    uvloop: bool = True
    alerts: AlertsSettings = AlertsSettings()
    #: How long ``leadq worker`` waits at start for Kafka and Redis (then exits 1 with
    #: one line naming the setting to fix; a supervisor restarts it).
    startup_timeout_s: float = Field(default=30.0, gt=0.0, le=3600.0)
    ingest: IngestSettings = IngestSettings()
    #: The routing file (teams, reps, SLAs); ``None``: no router runs.
    routing_path: Path | None = None
    routing: RoutingSettings = RoutingSettings()
    abm: AbmSettings = AbmSettings()

    @model_validator(mode="after")
    def _heartbeat_below_session(self) -> Settings:
        if self.broker_heartbeat_interval_s * 3 > self.broker_session_timeout_s:
            raise ValueError("broker_heartbeat_interval_s must be at most a third of the session")
        return self

    @model_validator(mode="after")
    def _api_token_not_blank(self) -> Settings:
        if self.api_token is not None and not self.api_token.get_secret_value().strip():
            raise ValueError("api_token (LEADQ_API_TOKEN) is blank: unset it or set a token")
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
