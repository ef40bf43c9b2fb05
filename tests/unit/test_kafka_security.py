"""LEADQ_KAFKA__* reach every Kafka client: aiokafka's arguments and Faust's credentials.

The worker's consumer and producer are built by Faust from ``broker_credentials``; what
Faust hands aiokafka is checked with Faust's own conversion function, so the test fails
if the app stops passing the settings on.
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from pydantic import ValidationError

from streams.kafka.app import create_app
from streams.kafka.security import client_options, faust_credentials
from streams.settings import KafkaSecurity, Settings

PASSWORD = "kafka-pass-123"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("LEADQ_")]:
        monkeypatch.delenv(name)


def write_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A self-signed CA certificate, and a key and certificate for a client (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leadq test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    ca, certfile, keyfile = folder / "ca.pem", folder / "client.pem", folder / "client.key"
    ca.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca, certfile, keyfile


def test_plaintext_by_default_adds_nothing() -> None:
    security = Settings().kafka
    assert security.security_protocol == "PLAINTEXT"
    assert client_options(security) == {}
    assert faust_credentials(security) is None
    assert create_app(Settings()).conf.broker_credentials is None


def test_sasl_over_tls_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca, _, _ = write_ca(tmp_path)
    for name, value in {
        "SECURITY_PROTOCOL": "SASL_SSL",
        "SASL_MECHANISM": "SCRAM-SHA-512",
        "SASL_USERNAME": "leadq",
        "SASL_PASSWORD": PASSWORD,
        "SSL_CAFILE": str(ca),
    }.items():
        monkeypatch.setenv(f"LEADQ_KAFKA__{name}", value)
    settings = Settings().with_changes(data_dir=tmp_path / "data")
    options = client_options(settings.kafka)
    context = options.pop("ssl_context")
    assert options == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "leadq",
        "sasl_plain_password": PASSWORD,
    }
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert len(context.get_ca_certs()) == 1  # our CA, not the system's
    # What the worker's Faust consumer and producer get, through Faust's own conversion.
    app = create_app(settings)
    faust_auth = dict(credentials_to_aiokafka_auth(app.conf.broker_credentials))
    assert faust_auth.pop("ssl_context").get_ca_certs() == context.get_ca_certs()
    assert faust_auth == options
    # The password never shows in a repr, a log line of the settings or the credentials.
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in repr(app.conf.broker_credentials)


def test_tls_with_a_client_certificate(tmp_path: Path) -> None:
    ca, certfile, keyfile = write_ca(tmp_path)
    security = KafkaSecurity(
        security_protocol="SSL",
        ssl_cafile=ca,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        ssl_check_hostname=False,
    )
    options = client_options(security)
    assert options["security_protocol"] == "SSL"
    assert options["ssl_context"].check_hostname is False
    assert "sasl_mechanism" not in options
    auth = credentials_to_aiokafka_auth(faust_credentials(security))
    assert auth["security_protocol"] == "SSL"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"security_protocol": "SASL_PLAINTEXT"}, "LEADQ_KAFKA__SASL_PASSWORD"),
        ({"security_protocol": "SASL_SSL", "sasl_username": "u"}, "SASL_PASSWORD"),
        ({"ssl_cafile": "/etc/ca.pem"}, "not SSL or SASL_SSL"),
        ({"security_protocol": "SSL", "ssl_certfile": "/c.pem"}, "go together"),
        ({"security_protocol": "TLS"}, "PLAINTEXT"),
        ({"security_protocol": "SASL_SSL", "sasl_mechanism": "GSSAPI"}, "SCRAM"),
    ],
)
def test_incomplete_settings_are_refused(fields: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        KafkaSecurity.model_validate({"sasl_password": None, **fields})
