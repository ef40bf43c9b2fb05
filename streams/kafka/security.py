"""``LEADQ_KAFKA__*`` (``KafkaSecurity``) as each Kafka client library wants it.

Contract: :func:`client_options` gives the keyword arguments every aiokafka client leadq
creates (admin, producers, consumers: gateway, CLI, tests' readers) passes on, and
:func:`faust_credentials` the same settings as Faust's ``broker_credentials``, which
Faust turns into the identical aiokafka arguments for the worker's own consumer and
producer. ``PLAINTEXT`` (the default) adds nothing, so a client is configured exactly as
before. Passwords leave the ``SecretStr`` only here, on their way into the client.
"""

from __future__ import annotations

import ssl
from typing import Any

import faust
from aiokafka.helpers import create_ssl_context
from faust.types.auth import CredentialsT

from streams.settings import KafkaSecurity


def tls_context(security: KafkaSecurity) -> ssl.SSLContext:
    """A client TLS context: the broker verified against ``ssl_cafile`` (else the
    system's CAs), with the client certificate when one is set."""
    context: ssl.SSLContext = create_ssl_context(
        cafile=security.ssl_cafile,
        certfile=security.ssl_certfile,
        keyfile=security.ssl_keyfile,
    )
    context.check_hostname = security.ssl_check_hostname
    return context


def client_options(security: KafkaSecurity) -> dict[str, Any]:
    """Keyword arguments for ``AIOKafkaProducer``/``Consumer``/``AdminClient``."""
    if security.security_protocol == "PLAINTEXT":
        return {}
    options: dict[str, Any] = {"security_protocol": security.security_protocol}
    if security.uses_tls:
        options["ssl_context"] = tls_context(security)
    if security.uses_sasl:
        password = security.sasl_password
        options |= {
            "sasl_mechanism": security.sasl_mechanism,
            "sasl_plain_username": security.sasl_username,
            "sasl_plain_password": password.get_secret_value() if password else None,
        }
    return options


def faust_credentials(security: KafkaSecurity) -> CredentialsT | None:
    """Faust's ``broker_credentials`` for ``security``; ``None`` for ``PLAINTEXT``."""
    if security.uses_sasl:
        password = security.sasl_password
        return faust.SASLCredentials(
            username=security.sasl_username,
            password=password.get_secret_value() if password else None,
            mechanism=security.sasl_mechanism,
            # A context switches Faust's protocol from SASL_PLAINTEXT to SASL_SSL.
            ssl_context=tls_context(security) if security.uses_tls else None,
        )
    if security.uses_tls:
        return faust.SSLCredentials(tls_context(security))
    return None
