"""Vendors' webhook signatures, checked as the vendors sign them. Pure: no I/O, no clock.

- SendGrid (Signed Event Webhook): ECDSA on P-256 with SHA-256 over the
  ``X-Twilio-Email-Event-Webhook-Timestamp`` header followed by the raw body bytes; the
  signature header is base64 DER; the verification key is shown by SendGrid as base64
  DER (SubjectPublicKeyInfo) without PEM framing.
- Mailgun: HMAC-SHA256, keyed with the webhook signing key, over ``timestamp + token``
  (no separator), hex; sub-account events also carry ``parent-signature``, made with
  the primary account's key, which is accepted too. Mailgun signs neither the body nor
  anything else, which is why stale timestamps and replayed tokens must be refused.
- HubSpot (v3): HMAC-SHA256, keyed with the app's client secret, over the UTF-8 text
  ``method + URI + body + timestamp`` (the ``X-HubSpot-Request-Timestamp`` header, epoch
  milliseconds), base64 in ``X-HubSpot-Signature-v3``. The URI is the full URL HubSpot
  called, with the percent-escapes HubSpot lists decoded (``hubspot_request_uri``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pydantic import BaseModel, ConfigDict, field_validator

HUBSPOT_SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
HUBSPOT_TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"
#: The escapes HubSpot decodes in the URI before signing (its validation guide's table).
_HUBSPOT_DECODED = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
    "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip
_HUBSPOT_ESCAPE = re.compile("|".join(_HUBSPOT_DECODED), re.IGNORECASE)
SENDGRID_SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
SENDGRID_TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


class SendGridKeyError(ValueError):
    """The configured SendGrid verification key cannot be used (say why, not the key)."""


class SendGridVerifier:
    """Checks SendGrid signatures with one verification key (loaded once)."""

    def __init__(self, public_key: str) -> None:
        try:
            key = load_der_public_key(base64.b64decode(public_key.strip(), validate=True))
        except (binascii.Error, ValueError, UnsupportedAlgorithm) as error:
            raise SendGridKeyError(
                f"LEADQ_INGEST__SENDGRID_PUBLIC_KEY is not a base64 DER public key: {error}"
            ) from None
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            raise SendGridKeyError("LEADQ_INGEST__SENDGRID_PUBLIC_KEY is not a P-256 EC key")
        self._key = key

    def valid(self, signature: str, timestamp: str, body: bytes) -> bool:
        """True when ``signature`` signs ``timestamp`` + ``body`` with this key."""
        try:
            der = base64.b64decode(signature.strip(), validate=True)
            self._key.verify(der, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        except (binascii.Error, ValueError, InvalidSignature):
            return False
        return True


class MailgunSignature(BaseModel):
    """A Mailgun body's ``signature`` block (unknown fields tolerated, as from a vendor)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    timestamp: str
    token: str
    signature: str
    parent_signature: str | None = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _timestamp_text(cls, value: object) -> object:
        # Mailgun sends a string; an integer is the same number of seconds.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @classmethod
    def of(cls, block: Mapping[str, object]) -> MailgunSignature:
        """Validate a ``signature`` block (``parent-signature`` as Mailgun spells it)."""
        return cls.model_validate({**block, "parent_signature": block.get("parent-signature")})

    def valid(self, signing_key: bytes) -> bool:
        """True when ``signature`` (or ``parent-signature``) is this block's HMAC."""
        expected = hmac.new(
            signing_key, (self.timestamp + self.token).encode(), hashlib.sha256
        ).hexdigest()
        given = [self.signature, self.parent_signature or ""]
        return any(hmac.compare_digest(expected, value.lower()) for value in given if value)


def hubspot_request_uri(url: str) -> str:
    """``url`` as HubSpot signs it: the escapes of ``_HUBSPOT_DECODED`` decoded."""
    return _HUBSPOT_ESCAPE.sub(lambda match: _HUBSPOT_DECODED[match.group().upper()], url)


def hubspot_signature(secret: bytes, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """The v3 signature HubSpot sends for this request (base64 of the HMAC-SHA256)."""
    message = method.encode() + hubspot_request_uri(uri).encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret, message, hashlib.sha256).digest()).decode()


def hubspot_valid(
    secret: bytes, signature: str, method: str, uri: str, body: bytes, timestamp: str
) -> bool:
    """True when ``signature`` is HubSpot's v3 signature of this request."""
    expected = hubspot_signature(secret, method, uri, body, timestamp)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())
