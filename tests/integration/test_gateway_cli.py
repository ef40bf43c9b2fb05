"""``leadq ingest`` as a process: --port, /health, the OpenAPI document, no secret in its
output, a clean stop on SIGTERM, and a clear exit when the broker cannot be reached."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from streams.process import free_port
from streams.settings import Settings
from tests.integration.gateway_support import (
    MAILGUN_KEY,
    POSTMARK_AUTH,
    WEB_KEY,
    gateway_settings,
    get,
    on,
    post,
    produced,
)

pytestmark = pytest.mark.integration
HUBSPOT_SECRET = "hubspot-client-secret-4f1d"
ENDPOINTS = {
    *(f"/v1/{call}" for call in ("track", "page", "screen", "identify", "group", "alias", "batch")),
    "/batch/", "/capture/", "/e/", "/i/v0/e/",
    "/2/httpapi", "/track", "/import",
    "/webhooks/sendgrid", "/webhooks/mailgun", "/webhooks/postmark", "/webhooks/hubspot",
    "/health", "/openapi.json", "/ready", "/metrics",
}  # fmt: skip


def _ingest(settings: Settings, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADQ_")}
    env |= settings.to_env() | {"LEADQ_LOG_LEVEL": "debug"}
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "ingest", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def test_leadq_ingest_serves_on_the_given_port_and_stops_cleanly(
    leadq_settings: Settings,
) -> None:
    settings = gateway_settings(
        leadq_settings,
        mailgun_signing_key=MAILGUN_KEY,
        postmark_basic_auth=POSTMARK_AUTH,
        hubspot_client_secret=HUBSPOT_SECRET,
    )
    port = free_port()
    served = settings.with_changes(ingest=settings.ingest.model_copy(update={"port": port}))
    process = _ingest(settings, "--port", str(port))
    try:
        assert process.stdout is not None
        first = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 30)
        assert f"listening on http://127.0.0.1:{port}" in first
        health = await get(served, "/health")
        document = await get(served, "/openapi.json")
        answer = await post(served, "/v1/track", {"userId": "ada", "event": "Signed Up"},
                            auth=(WEB_KEY, ""))  # fmt: skip
        records = await produced(served)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.to_thread(process.communicate, timeout=30)
    assert process.returncode == 0, output
    assert (health.status, health.body["broker"]) == (200, "reachable")
    assert document.body["openapi"].startswith("3.")
    assert set(document.body["paths"]) == ENDPOINTS
    assert answer.status == 200
    assert [r.key for r in on(records, settings.topics.web)] == [b"u:ada"]
    everything = first + output
    for secret in (WEB_KEY, MAILGUN_KEY, POSTMARK_AUTH.split(":")[1], HUBSPOT_SECRET):
        assert secret not in everything


async def test_leadq_ingest_exits_when_the_broker_cannot_be_reached(
    leadq_settings: Settings,
) -> None:
    settings = gateway_settings(leadq_settings, startup_timeout_s=1.0).with_changes(
        kafka_bootstrap=f"127.0.0.1:{free_port()}"
    )
    process = _ingest(settings)
    output, _ = await asyncio.to_thread(process.communicate, timeout=60)
    assert process.returncode == 1
    assert "leadq ingest: cannot reach Kafka at 127.0.0.1:" in output


async def test_leadq_ingest_refuses_an_unusable_sendgrid_key(leadq_settings: Settings) -> None:
    settings = gateway_settings(leadq_settings, sendgrid_public_key="not-a-key")
    process = _ingest(settings)
    output, _ = await asyncio.to_thread(process.communicate, timeout=60)
    assert process.returncode == 1
    assert "LEADQ_INGEST__SENDGRID_PUBLIC_KEY is not a base64 DER public key" in output
