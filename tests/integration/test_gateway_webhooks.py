"""The ESP webhook endpoints on the real broker (and Redis for Mailgun's tokens): the
vendors' documented payloads and signatures, forged ones, wrong keys, stale timestamps,
replayed tokens — refused requests produce nothing."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import orjson
import pytest
import redis.asyncio as aioredis
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.server import running_gateway
from gateway.signatures import SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER
from gateway.tokens import KEY_PREFIX
from streams.settings import Settings
from tests.integration.gateway_support import (
    MAILGUN_KEY,
    POSTMARK_AUTH,
    gateway_settings,
    mailgun_signed,
    on,
    post,
    produced,
    values,
)

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[1] / "unit" / "vendor_examples"

# SendGrid's documented Signed Event Webhook sample (the verification key, signature and
# timestamp SendGrid's docs and its sendgrid-python tests use, and the exact body bytes,
# trailing CRLF included).
SENDGRID_PUBLIC_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRq"
    "e62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
)
SENDGRID_SIGNATURE = (
    "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15T"
    "luLtEZtM="
)
SENDGRID_TIMESTAMP = "1600112502"
SENDGRID_PAYLOAD = (
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
# Another key, from the same tests ("bad key").
OTHER_PUBLIC_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8R"
    "Entlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA=="
)


def _sendgrid_headers(
    signature: str = SENDGRID_SIGNATURE, timestamp: str = SENDGRID_TIMESTAMP
) -> dict[str, str]:
    return {SENDGRID_SIGNATURE_HEADER: signature, SENDGRID_TIMESTAMP_HEADER: timestamp}


async def test_sendgrid_documented_sample_is_verified_and_produced(
    leadq_settings: Settings,
) -> None:
    settings = gateway_settings(leadq_settings, sendgrid_public_key=SENDGRID_PUBLIC_KEY)
    async with running_gateway(settings):
        answer = await post(settings, "/webhooks/sendgrid", SENDGRID_PAYLOAD, _sendgrid_headers())
        records = await produced(settings)
    assert (answer.status, answer.body["accepted"], answer.body["rejected"]) == (200, 1, [])
    (record,) = on(records, settings.topics.email)
    assert record.key == b"e:hello@world.com"
    assert orjson.loads(record.value or b"") == orjson.loads(SENDGRID_PAYLOAD)


SENDGRID_REFUSED = [
    pytest.param(SENDGRID_PUBLIC_KEY, SENDGRID_PAYLOAD.replace(b"dropped", b"dropper"),
                 _sendgrid_headers(), 401, "invalid_signature", id="forged body"),
    pytest.param(OTHER_PUBLIC_KEY, SENDGRID_PAYLOAD, _sendgrid_headers(), 401,
                 "invalid_signature", id="wrong key"),
    pytest.param(SENDGRID_PUBLIC_KEY, SENDGRID_PAYLOAD, _sendgrid_headers(timestamp="1600112503"),
                 401, "invalid_signature", id="other timestamp"),
    pytest.param(SENDGRID_PUBLIC_KEY, SENDGRID_PAYLOAD, _sendgrid_headers(signature="bm9wZQ=="),
                 401, "invalid_signature", id="forged signature"),
    pytest.param(SENDGRID_PUBLIC_KEY, SENDGRID_PAYLOAD, {}, 401, "unauthorized",
                 id="no signature"),
    pytest.param(None, SENDGRID_PAYLOAD, _sendgrid_headers(), 403, "not_configured",
                 id="not configured"),
]  # fmt: skip


@pytest.mark.parametrize(("key", "body", "headers", "status", "code"), SENDGRID_REFUSED)
async def test_sendgrid_refusals_produce_nothing(
    leadq_settings: Settings,
    key: str | None,
    body: bytes,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    settings = gateway_settings(leadq_settings, sendgrid_public_key=key)
    async with running_gateway(settings):
        answer = await post(settings, "/webhooks/sendgrid", body, headers)
        records = await produced(settings)
    assert (answer.status, answer.body["code"]) == (status, code)
    assert records == []


def _sign_sendgrid(private_key: ec.EllipticCurvePrivateKey, body: bytes) -> dict[str, str]:
    """Sign as SendGrid does: ECDSA P-256 / SHA-256 over timestamp + body, base64 DER."""
    timestamp = str(int(time.time()))
    der = private_key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return _sendgrid_headers(base64.b64encode(der).decode(), timestamp)


async def test_sendgrid_batch_groups_by_recipient_and_dead_letters_bad_events(
    leadq_settings: Settings,
) -> None:
    private_key = ec.generate_private_key(ec.SECP256R1())
    public = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    settings = gateway_settings(
        leadq_settings, sendgrid_public_key=base64.b64encode(public).decode()
    )
    events = orjson.loads((EXAMPLES / "sendgrid_events.json").read_bytes())
    bad = {"email": "x@initrode.com", "event": "teleported", "timestamp": 1714993200,
           "sg_event_id": "bad-1"}  # fmt: skip
    body = orjson.dumps([*events, bad])
    async with running_gateway(settings):
        answer = await post(settings, "/webhooks/sendgrid", body, _sign_sendgrid(private_key, body))
        records = await produced(settings)
    assert answer.status == 200
    assert answer.body["accepted"] == len(events)
    assert [item["index"] for item in answer.body["rejected"]] == [len(events)]
    email = on(records, settings.topics.email)
    # One record per recipient, each holding that person's events in their order.
    by_key = {record.key or b"": orjson.loads(record.value or b"") for record in email}
    recipients = sorted({e["email"] for e in events})
    assert sorted(by_key) == sorted(f"e:{r}".encode() for r in recipients)
    for recipient in recipients:
        mine = [e for e in events if e["email"] == recipient]
        assert by_key[f"e:{recipient}".encode()] == mine
    (dead,) = on(records, settings.topics.dead_letter)
    assert orjson.loads(dead.value or b"") == bad
    assert b"teleported" in dead.headers["leadq.reason"]


def _mailgun_example(name: str = "mailgun_delivered.json") -> dict[str, object]:
    body = orjson.loads((EXAMPLES / name).read_bytes())
    return {k: v for k, v in body.items() if k != "signature"}


async def test_mailgun_signed_event_is_produced_once_and_its_token_replay_refused(
    leadq_settings: Settings,
) -> None:
    settings = gateway_settings(leadq_settings, mailgun_signing_key=MAILGUN_KEY)
    signed = mailgun_signed(_mailgun_example())
    token = signed["signature"]["token"]  # type: ignore[index]
    async with running_gateway(settings):
        first = await post(settings, "/webhooks/mailgun", signed)
        replay = await post(settings, "/webhooks/mailgun", signed)
        records = await produced(settings)
    assert (first.status, first.body["accepted"]) == (200, 1)
    assert (replay.status, replay.body["code"]) == (403, "replayed_token")
    (record,) = on(records, settings.topics.email)
    assert record.key == b"e:alice@initrode.com"
    assert orjson.loads(record.value or b"") == signed  # the raw body, as Mailgun sent it
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        ttl = await client.ttl(KEY_PREFIX + str(token))
    finally:
        await client.aclose()
    assert 0 < ttl <= settings.ingest.mailgun_max_age_s


async def test_mailgun_replay_is_refused_by_another_replica(leadq_settings: Settings) -> None:
    first_replica = gateway_settings(leadq_settings, mailgun_signing_key=MAILGUN_KEY)
    second_replica = gateway_settings(leadq_settings, mailgun_signing_key=MAILGUN_KEY)
    signed = mailgun_signed(_mailgun_example("mailgun_clicked.json"))
    async with running_gateway(first_replica), running_gateway(second_replica):
        first = await post(first_replica, "/webhooks/mailgun", signed)
        replay = await post(second_replica, "/webhooks/mailgun", signed)
    assert (first.status, replay.status, replay.body["code"]) == (200, 403, "replayed_token")


MAILGUN_REFUSED = [
    pytest.param(lambda: mailgun_signed(_mailgun_example(), key="key-wrong"), 401,
                 "invalid_signature", id="wrong key"),
    pytest.param(lambda: {**mailgun_signed(_mailgun_example()),
                          "signature": {**mailgun_signed(_mailgun_example())["signature"],  # type: ignore[dict-item]
                                        "signature": "0" * 64}},
                 401, "invalid_signature", id="forged signature"),
    pytest.param(lambda: orjson.loads((EXAMPLES / "mailgun_delivered.json").read_bytes()), 401,
                 "invalid_signature", id="documented example, unknown key"),
    pytest.param(lambda: mailgun_signed(_mailgun_example(), at=time.time() - 10 * 3600), 403,
                 "stale_timestamp", id="stale timestamp"),
    pytest.param(lambda: mailgun_signed(_mailgun_example(), at=time.time() + 10 * 3600), 403,
                 "stale_timestamp", id="timestamp in the future"),
    pytest.param(_mailgun_example, 401, "unauthorized", id="no signature"),
]  # fmt: skip


@pytest.mark.parametrize(("make", "status", "code"), MAILGUN_REFUSED)
async def test_mailgun_refusals_produce_nothing(
    leadq_settings: Settings, make: object, status: int, code: str
) -> None:
    settings = gateway_settings(leadq_settings, mailgun_signing_key=MAILGUN_KEY)
    assert callable(make)
    async with running_gateway(settings):
        answer = await post(settings, "/webhooks/mailgun", make())
        records = await produced(settings)
    assert (answer.status, answer.body["code"]) == (status, code)
    assert records == []


async def test_postmark_basic_auth(leadq_settings: Settings) -> None:
    settings = gateway_settings(leadq_settings, postmark_basic_auth=POSTMARK_AUTH)
    user, password = POSTMARK_AUTH.split(":")
    body = (EXAMPLES / "postmark_delivery.json").read_bytes()
    async with running_gateway(settings):
        wrong = await post(settings, "/webhooks/postmark", body, auth=(user, "guess"))
        missing = await post(settings, "/webhooks/postmark", body)
        nothing = await produced(settings)
        right = await post(settings, "/webhooks/postmark", body, auth=(user, password))
        records = await produced(settings)
    assert (wrong.status, wrong.body["code"]) == (401, "unauthorized")
    assert wrong.headers["WWW-Authenticate"].startswith("Basic")
    assert (missing.status, missing.body["code"]) == (401, "unauthorized")
    assert nothing == []
    assert (right.status, right.body["accepted"]) == (200, 1)
    (record,) = on(records, settings.topics.email)
    assert (record.key, record.value) == (b"e:peter.gibbons@initrode.com", body)


async def test_webhook_bodies_the_worker_cannot_read(leadq_settings: Settings) -> None:
    settings = gateway_settings(
        leadq_settings, mailgun_signing_key=MAILGUN_KEY, postmark_basic_auth=POSTMARK_AUTH
    )
    user, password = POSTMARK_AUTH.split(":")
    unknown_record = {"RecordType": "Inbound", "MessageID": "m-1"}
    async with running_gateway(settings):
        not_json = await post(settings, "/webhooks/postmark", b"RecordType=Delivery",
                              auth=(user, password))  # fmt: skip
        unknown = await post(settings, "/webhooks/postmark", unknown_record, auth=(user, password))
        bad_mailgun = await post(
            settings, "/webhooks/mailgun", mailgun_signed({"event-data": {"event": "delivered"}})
        )
        records = await produced(settings)
    assert (not_json.status, not_json.body["code"]) == (400, "invalid_json")
    assert (unknown.status, unknown.body["accepted"]) == (200, 0)
    assert (bad_mailgun.status, bad_mailgun.body["accepted"]) == (200, 0)
    dead = on(records, settings.topics.dead_letter)
    assert sorted(d.headers["leadq.source.endpoint"] for d in dead) == [
        b"/webhooks/mailgun", b"/webhooks/postmark"
    ]  # fmt: skip
    assert unknown_record in values(dead)
    assert on(records, settings.topics.email) == []
