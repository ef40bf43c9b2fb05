"""What every handler of one gateway process shares, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from gateway.kafka import Producer
from gateway.signatures import SendGridVerifier
from gateway.tokens import TokenLedger
from streams.settings import IngestSettings, Settings, TopicNames


@dataclass(frozen=True)
class Context:
    """Settings, the producer, and the verifiers that are configured (None: refused)."""

    settings: IngestSettings
    topics: TopicNames
    producer: Producer
    sendgrid: SendGridVerifier | None
    tokens: TokenLedger | None

    @classmethod
    def build(cls, settings: Settings) -> Context:
        """The context for ``settings``; raises ``SendGridKeyError`` for an unusable key.
        Nothing connects yet: see ``gateway.server``."""
        ingest = settings.ingest
        # The largest record is one whole webhook body or one PostHog event.
        largest = max(ingest.webhook_max_bytes, ingest.posthog_max_event_bytes)
        producer = Producer(
            settings.kafka_bootstrap,
            ingest.produce_timeout_s,
            ingest.retry_after_s,
            max_request_bytes=largest + 64 * 1024,
            security=settings.kafka,
        )
        sendgrid = (
            SendGridVerifier(ingest.sendgrid_public_key) if ingest.sendgrid_public_key else None
        )
        tokens = (
            TokenLedger(settings.redis_url, ingest.mailgun_max_age_s, ingest.retry_after_s)
            if ingest.mailgun_signing_key
            else None
        )
        return cls(ingest, settings.topics, producer, sendgrid, tokens)

    def channel_topic(self, channel: str) -> str:
        """The inbound topic of ``channel`` (web, email, product, crm)."""
        topic: str = getattr(self.topics, channel)
        return topic


#: Where the application keeps its ``Context`` (``request.app[CTX]``).
CTX = web.AppKey("ctx", Context)
