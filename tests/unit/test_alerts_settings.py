"""SDR alert settings, webhook URL redaction, and how a webhook's answer is judged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from streams.alerts.http import judge, parse_retry_after
from streams.alerts.pacing import backoff_s
from streams.alerts.redact import redact_url
from streams.settings import AlertsSettings, Settings

SECRET_URL = "https://hooks.example.com/services/T000/B000/XXXXsecretXXXX"


def test_alert_settings_come_from_the_environment_and_hide_the_webhook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEADQ_ALERTS__WEBHOOK_URL", SECRET_URL)
    monkeypatch.setenv("LEADQ_ALERTS__PER_WEBHOOK_INTERVAL_S", "2.5")
    settings = Settings()
    assert settings.alerts.webhook_url is not None
    assert settings.alerts.webhook_url.get_secret_value() == SECRET_URL
    assert settings.alerts.per_webhook_interval_s == 2.5
    assert SECRET_URL not in repr(settings)
    assert SECRET_URL.rsplit("/", 1)[-1] not in repr(settings)  # not even its token
    assert Settings.model_validate(settings.model_dump()).alerts == settings.alerts
    assert settings.to_env()["LEADQ_ALERTS__WEBHOOK_URL"] == SECRET_URL  # a child worker's


def test_a_claim_lease_must_outlive_one_wait_and_request() -> None:
    with pytest.raises(ValidationError, match="claim_lease_s must exceed"):
        AlertsSettings(claim_lease_s=20.0, backoff_max_s=15.0, request_timeout_s=10.0)


@pytest.mark.parametrize("url", ["hooks.slack.com/services/T/B/secretX", "ftp://h/secretX", "x"])
def test_a_default_webhook_must_be_http_and_is_not_echoed(url: str) -> None:
    with pytest.raises(ValidationError, match="must be an http") as raised:
        AlertsSettings(webhook_url=url)
    assert "secretX" not in str(raised.value)


def test_a_bad_default_webhook_in_the_environment_is_not_echoed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEADQ_ALERTS__WEBHOOK_URL", "hooks.example.com/secretX")
    with pytest.raises(ValidationError, match=r"alerts\.webhook_url") as raised:
        Settings()
    assert "secretX" not in str(raised.value)


def test_a_redacted_url_shows_no_path_or_query() -> None:
    shown = redact_url(SECRET_URL)
    assert shown.startswith("https://hooks.example.com/…#")
    assert "secret" not in shown
    assert "T000" not in shown
    assert redact_url(SECRET_URL) != redact_url(SECRET_URL + "x")  # webhooks told apart
    assert redact_url("http://127.0.0.1:8080/a/b").startswith("http://127.0.0.1:8080/…#")


@pytest.mark.parametrize(
    ("status", "verdict"),
    [(200, "delivered"), (204, "delivered"), (429, "retry_after"), (500, "transient"),
     (503, "transient"), (400, "permanent"), (403, "permanent"), (404, "permanent"),
     (410, "permanent"), (301, "permanent")],
)  # fmt: skip
def test_answers_are_judged_by_status(status: int, verdict: str) -> None:
    assert judge(status, "", None).verdict == verdict


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Thu, 03 Dec 2026 09:00:45 GMT", now) == 45.0
    assert parse_retry_after("Thu, 03 Dec 2026 08:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert judge(429, "rate_limited", "7").wait_s == 7.0


def test_backoff_grows_to_its_cap_with_equal_jitter() -> None:
    def low(a: float, b: float) -> float:
        return a

    def high(a: float, b: float) -> float:
        return b

    assert [backoff_s(n, 0.5, 3.0, high) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert [backoff_s(n, 0.5, 3.0, low) for n in (1, 2, 3)] == [0.25, 0.5, 1.0]
