"""Settings: defaults, LEADQ_* environment parsing, validation, round trip to env."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from schemas.examples import example_rules_path
from streams.settings import Settings, TopicNames


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests here control the environment: drop any LEADQ_* of the caller."""
    for name in [n for n in os.environ if n.startswith("LEADQ_")]:
        monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = Settings()
    assert settings.kafka_bootstrap == "localhost:9092"
    assert settings.redis_url == "redis://localhost:6379/0"
    assert settings.topics.all() == (
        "leadq.events.web",
        "leadq.events.email",
        "leadq.events.product",
        "leadq.events.crm",
        "leadq.signals",
        "leadq.routing",
        "leadq.dead-letter",
        "leadq.assignments",
        "leadq.abm",
    )
    assert (settings.partitions, settings.web_port, settings.app_id) == (4, 6066, "leadq")
    # The example rules shipped in the package, found wherever the process runs.
    assert settings.rules_path == example_rules_path()
    assert settings.rules_path.is_absolute()
    assert settings.rules_path.is_file()
    assert settings.broker_session_timeout_s == 8.0


@pytest.mark.parametrize(
    ("env", "field", "expected"),
    [
        ({"LEADQ_KAFKA_BOOTSTRAP": "k1:9092,k2:9092"}, "kafka_bootstrap", "k1:9092,k2:9092"),
        ({"LEADQ_REDIS_URL": "redis://r:6380/2"}, "redis_url", "redis://r:6380/2"),
        ({"LEADQ_PARTITIONS": "48"}, "partitions", 48),
        ({"LEADQ_WEB_PORT": "7001"}, "web_port", 7001),
        ({"LEADQ_APP_ID": "leadq-eu"}, "app_id", "leadq-eu"),
        ({"LEADQ_BROKER_SESSION_TIMEOUT_S": "10"}, "broker_session_timeout_s", 10.0),
        (
            {"LEADQ_RULES_PATH": "/etc/leadq/rules.toml"},
            "rules_path",
            Path("/etc/leadq/rules.toml"),
        ),
        ({"LEADQ_UVLOOP": "false"}, "uvloop", False),
        ({"LEADQ_LOG_LEVEL": "debug"}, "log_level", "debug"),
    ],
)
def test_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], field: str, expected: object
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert getattr(Settings(), field) == expected


def test_nested_topic_names_use_double_underscore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADQ_TOPICS__ROUTING", "acme.routing")
    monkeypatch.setenv("LEADQ_TOPICS__DEAD_LETTER", "acme.dlq")
    topics = Settings().topics
    assert (topics.routing, topics.dead_letter, topics.web) == (
        "acme.routing",
        "acme.dlq",
        "leadq.events.web",
    )


@pytest.mark.parametrize(
    "env",
    [
        {"LEADQ_PARTITIONS": "0"},
        {"LEADQ_WEB_PORT": "70000"},
        {"LEADQ_APP_ID": "has space"},
        {"LEADQ_LOG_LEVEL": "loud"},
        {"LEADQ_BROKER_SESSION_TIMEOUT_S": "3", "LEADQ_BROKER_HEARTBEAT_INTERVAL_S": "2"},
        {"LEADQ_TOPICS__NOPE": "x"},
    ],
)
def test_rejects_invalid_values(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_is_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.partitions = 8  # type: ignore[misc]


def test_with_changes_validates_and_ignores_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEADQ_WEB_PORT", "7001")
    settings = Settings(web_port=6100)
    assert settings.with_changes(app_id="x").web_port == 6100
    with pytest.raises(ValidationError):
        settings.with_changes(partitions=-1)


def test_to_env_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Settings(
        partitions=12,
        uvloop=False,
        topics=TopicNames(routing="r.out"),
        data_dir=Path("/tmp/x"),
        broker_session_timeout_s=6.5,
    )
    for name, value in original.to_env().items():
        monkeypatch.setenv(name, value)
    assert Settings() == original


def test_topic_partitions_and_bootstrap_list() -> None:
    settings = Settings(kafka_bootstrap=" a:1, b:2 ,", partitions=3)
    assert settings.bootstrap_servers() == ["a:1", "b:2"]
    assert set(settings.topic_partitions().values()) == {3}
    assert len(settings.topic_partitions()) == 9


def test_nothing_listens_beyond_loopback_by_default() -> None:
    settings = Settings()
    assert (settings.web_host, settings.ingest.host) == ("127.0.0.1", "127.0.0.1")


def test_the_redis_password_stays_out_of_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADQ_REDIS_URL", "redis://:hunter2-redis@r:6379/0")
    monkeypatch.setenv("LEADQ_KAFKA__SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("LEADQ_KAFKA__SASL_USERNAME", "leadq")
    monkeypatch.setenv("LEADQ_KAFKA__SASL_PASSWORD", "hunter2-kafka")
    settings = Settings()
    assert "hunter2" not in repr(settings) + str(settings)
    # A child process still gets both (streams.worker_process passes settings.to_env()).
    env = settings.to_env()
    assert env["LEADQ_KAFKA__SASL_PASSWORD"] == "hunter2-kafka"
    assert (
        Settings.model_validate({"redis_url": env["LEADQ_REDIS_URL"]}).redis_url
        == "redis://:hunter2-redis@r:6379/0"
    )
