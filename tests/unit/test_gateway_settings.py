"""LEADQ_INGEST__* settings: parsing, secrets kept out of repr and logs, the round trip
to a child's environment, and the OpenAPI document covering every route."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from gateway.app import build_app
from gateway.context import Context
from gateway.openapi import document
from gateway.server import describe
from streams.settings import Settings

SECRETS = {
    "LEADQ_INGEST__WRITE_KEYS": '{"wk_web_9f8e7d": "web", "phc_prod_1a2b3c": "product"}',
    "LEADQ_INGEST__MAILGUN_SIGNING_KEY": "key-mailgun-3ax6xnjp29",
    "LEADQ_INGEST__POSTMARK_BASIC_AUTH": "postmark:hunter2-pass",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("LEADQ_")]:
        monkeypatch.delenv(name)


def test_defaults() -> None:
    ingest = Settings().ingest
    assert (ingest.host, ingest.port, ingest.write_keys) == ("127.0.0.1", 8088, {})
    assert (ingest.max_message_bytes, ingest.max_batch_bytes) == (32 * 1024, 500 * 1024)
    assert (ingest.sendgrid_public_key, ingest.mailgun_signing_key) == (None, None)


def test_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**SECRETS, "LEADQ_INGEST__PORT": "9090"}.items():
        monkeypatch.setenv(name, value)
    ingest = Settings().ingest
    assert ingest.port == 9090
    assert ingest.write_keys == {"wk_web_9f8e7d": "web", "phc_prod_1a2b3c": "product"}
    assert ingest.mailgun_signing_key is not None
    assert ingest.mailgun_signing_key.get_secret_value() == "key-mailgun-3ax6xnjp29"


def test_a_write_key_feeds_web_or_product_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADQ_INGEST__WRITE_KEYS", '{"wk": "email"}')
    with pytest.raises(ValidationError):
        Settings()


def test_secrets_stay_out_of_repr_and_the_start_line(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    shown = repr(settings) + str(settings) + describe(settings)
    for secret in ("wk_web_9f8e7d", "phc_prod_1a2b3c", "key-mailgun", "hunter2"):
        assert secret not in shown
    assert "2 write key(s) for product, web; webhooks: mailgun, postmark" in describe(settings)


def test_to_env_round_trips_the_gateway_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    original = Settings()
    env = original.to_env()
    assert "LEADQ_INGEST__SENDGRID_PUBLIC_KEY" not in env  # unset stays unset
    for name in SECRETS:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Settings() == original


async def test_the_openapi_document_lists_every_route() -> None:
    app = build_app(Context.build(Settings()))
    served = {route.resource.canonical for route in app.router.routes() if route.resource}
    described = set(document()["paths"])
    calls = {f"/v1/{call}" for call in ("track", "page", "screen", "identify", "group", "alias")}
    # One route serves every /v1 call; PostHog's paths also answer without the slash.
    posthog = {"/batch/", "/capture/", "/e/", "/i/v0/e/"}
    assert served == (described - calls - {"/v1/batch"}) | {"/v1/{call}"} | {
        path.rstrip("/") for path in posthog
    }
    assert calls | {"/v1/batch"} | posthog <= described
    for operation in document()["paths"].values():
        for method in operation.values():
            assert method["responses"]
