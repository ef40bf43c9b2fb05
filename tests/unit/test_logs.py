"""Log lines: JSON (one object per line, fields from ``extra``), text, email redaction;
and the two settings that drive operations (``LEADQ_LOG_FORMAT``, ``LEADQ_API_TOKEN``)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os

import pytest
from pydantic import ValidationError

from streams.logs import log_handler, redact, safe_id
from streams.settings import Settings


def _ref(address: str) -> str:
    return f"email:{hashlib.sha256(address.lower().encode()).hexdigest()[:12]}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("u:ann", "u:ann"),
        ("acme.com", "acme.com"),
        ("e:Ann@Acme.com", f"e:{_ref('ann@acme.com')}"),
        (
            "from ann@acme.com to bob@acme.io.",
            f"from {_ref('ann@acme.com')} to {_ref('bob@acme.io')}.",
        ),
        ("topic/2@10: bad", "topic/2@10: bad"),  # not an address
    ],
)
def test_redact_replaces_each_email_address_by_its_hash(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_safe_id_keeps_none() -> None:
    assert safe_id(None) is None
    assert safe_id("e:x@y.io") == f"e:{_ref('x@y.io')}"


def _logged(log_format: str, **extra: object) -> str:
    stream = io.StringIO()
    logger = logging.getLogger(f"leadq.test.{log_format}")
    logger.handlers[:] = [log_handler(log_format, stream)]  # type: ignore[arg-type]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.info("dead letter %s", "t/1@2", extra=extra)
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    return stream.getvalue()


def test_json_lines_carry_level_logger_message_time_and_extra_fields() -> None:
    first, second = (json.loads(line) for line in _logged("json", topic="t", offset=2).splitlines())
    assert first["level"] == "info"
    assert first["logger"] == "leadq.test.json"
    assert first["message"] == "dead letter t/1@2"
    assert (first["topic"], first["offset"]) == ("t", 2)
    assert first["time"].endswith("Z")
    assert "exception" not in first
    assert second["level"] == "error"
    assert "ValueError: boom" in second["exception"]


def test_text_lines_append_the_extra_fields_before_a_traceback() -> None:
    text = _logged("text", topic="t", offset=2)
    first = text.splitlines()[0]
    assert first.endswith("INFO leadq.test.text: dead letter t/1@2 topic=t offset=2")
    assert "Traceback" in text


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("LEADQ_")]:
        monkeypatch.delenv(name)


@pytest.mark.usefixtures("clean_env")
def test_log_format_and_api_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (Settings().log_format, Settings().api_token) == ("text", None)
    monkeypatch.setenv("LEADQ_LOG_FORMAT", "json")
    monkeypatch.setenv("LEADQ_API_TOKEN", "tok-123")
    settings = Settings()
    assert settings.log_format == "json"
    assert settings.api_token is not None
    assert settings.api_token.get_secret_value() == "tok-123"
    assert "tok-123" not in repr(settings)
    assert settings.to_env()["LEADQ_API_TOKEN"] == "tok-123"


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize(("name", "value"), [("LEADQ_LOG_FORMAT", "xml"), ("LEADQ_API_TOKEN", " ")])
def test_bad_log_format_or_blank_token_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_json_lines_redact_addresses_in_the_message_and_the_traceback() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("leadq.test.json_redact")
    logger.handlers[:] = [log_handler("json", stream)]
    logger.propagate = False
    try:
        raise KeyError("e:ann@acme.com")
    except KeyError:
        logger.exception("failed on %s", "bob@acme.com")
    line = json.loads(stream.getvalue())
    assert line["message"] == f"failed on {_ref('bob@acme.com')}"
    assert f"KeyError: 'e:{_ref('ann@acme.com')}'" in line["exception"]
    assert "@" not in stream.getvalue()
