"""The gateway's pure checks: SendGrid's and Mailgun's signatures as the vendors make
them (SendGrid's own documented sample), basic auth parsing, the dead-letter header."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from gateway import items
from gateway.auth import basic_credentials, require_basic
from gateway.responses import HttpError
from gateway.signatures import MailgunSignature, SendGridKeyError, SendGridVerifier
from streams.kafka import dead_letter

# SendGrid's documented sample (also sendgrid-python's test_eventwebhook.py).
PUBLIC_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRq"
    "e62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
)
OTHER_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8R"
    "Entlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA=="
)
SIGNATURE = (
    "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15T"
    "luLtEZtM="
)
OTHER_SIGNATURE = (
    "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDW"
    "YNH3j/0="
)
TIMESTAMP = "1600112502"
PAYLOAD = (
    json.dumps(
        [
            {
                "email": "hello@world.com",
                "event": "dropped",
                "reason": "Bounced Address",
                "sg_event_id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
                "sg_message_id": "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-"
                "18-5F5FC76C-9.0",
                "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
                "timestamp": 1600112492,
            }
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    + "\r\n"
).encode()


@pytest.mark.parametrize(
    ("key", "payload", "signature", "timestamp", "valid"),
    [
        (PUBLIC_KEY, PAYLOAD, SIGNATURE, TIMESTAMP, True),
        (OTHER_KEY, PAYLOAD, SIGNATURE, TIMESTAMP, False),
        (PUBLIC_KEY, b"payload", SIGNATURE, TIMESTAMP, False),
        (PUBLIC_KEY, PAYLOAD.rstrip(), SIGNATURE, TIMESTAMP, False),  # the CRLF is signed
        (PUBLIC_KEY, PAYLOAD, OTHER_SIGNATURE, TIMESTAMP, False),
        (PUBLIC_KEY, PAYLOAD, SIGNATURE, "timestamp", False),
        (PUBLIC_KEY, PAYLOAD, "not base64!", TIMESTAMP, False),
    ],
    ids=["sample", "other key", "other payload", "no CRLF", "other signature",
         "other timestamp", "garbage signature"],
)  # fmt: skip
def test_sendgrid_signature(
    key: str, payload: bytes, signature: str, timestamp: str, valid: bool
) -> None:
    assert SendGridVerifier(key).valid(signature, timestamp, payload) is valid


def test_sendgrid_key_must_be_a_p256_key_as_sendgrid_shows_it() -> None:
    with pytest.raises(SendGridKeyError, match="not a base64 DER public key"):
        SendGridVerifier("-----BEGIN PUBLIC KEY-----")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = rsa_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(SendGridKeyError, match="not a P-256 EC key"):
        SendGridVerifier(base64.b64encode(der).decode())


SIGNING_KEY = b"key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
TOKEN = "70b91a64ed0f1bdf90fb9c6ea7e3c31d5792a3d0945ffc20fe"


def _hex(key: bytes, timestamp: str, token: str) -> str:
    return hmac.new(key, (timestamp + token).encode(), hashlib.sha256).hexdigest()


def test_mailgun_signature_is_hmac_of_timestamp_and_token() -> None:
    good = _hex(SIGNING_KEY, "1521472262", TOKEN)
    block = {"timestamp": "1521472262", "token": TOKEN, "signature": good}
    assert MailgunSignature.of(block).valid(SIGNING_KEY)
    assert MailgunSignature.of({**block, "signature": good.upper()}).valid(SIGNING_KEY)
    assert MailgunSignature.of({**block, "timestamp": 1521472262}).valid(SIGNING_KEY)
    assert not MailgunSignature.of(block).valid(b"key-other")
    assert not MailgunSignature.of({**block, "token": TOKEN[:-1] + "0"}).valid(SIGNING_KEY)
    assert not MailgunSignature.of({**block, "timestamp": "1521472263"}).valid(SIGNING_KEY)


def test_mailgun_sub_account_events_verify_with_the_parent_signature() -> None:
    parent = _hex(SIGNING_KEY, "1770920772", TOKEN)
    block = {
        "timestamp": "1770920772",
        "token": TOKEN,
        "signature": _hex(b"key-sub-account", "1770920772", TOKEN),
        "parent-signature": parent,
    }
    assert MailgunSignature.of(block).valid(SIGNING_KEY)


def test_basic_credentials() -> None:
    header = "Basic " + base64.b64encode(b"wk_web:").decode()
    assert basic_credentials(header) == ("wk_web", "")
    assert basic_credentials(None) is None
    assert basic_credentials("Bearer abc") is None
    with pytest.raises(HttpError) as refused:
        basic_credentials("Basic %%%")
    assert refused.value.status == 401


def test_require_basic_never_echoes_the_credentials() -> None:
    header = "Basic " + base64.b64encode(b"postmark:guess").decode()
    with pytest.raises(HttpError) as refused:
        require_basic(header, SecretStr("postmark:s3cret"))
    assert (refused.value.status, refused.value.headers["WWW-Authenticate"][:5]) == (401, "Basic")
    assert "guess" not in refused.value.message
    assert "s3cret" not in refused.value.message
    require_basic(
        "Basic " + base64.b64encode(b"postmark:s3cret").decode(), SecretStr("postmark:s3cret")
    )


def test_dead_letters_use_the_workers_reason_header() -> None:
    assert (items.REASON_HEADER, items.MAX_REASON_CHARS) == (
        dead_letter.REASON_HEADER,
        dead_letter.MAX_REASON_CHARS,
    )
