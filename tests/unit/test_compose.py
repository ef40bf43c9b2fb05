"""docker-compose.yml agrees with the code: services, LEADQ_* names, topics, partitions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.settings import IngestSettings, Settings

ROOT = Path(__file__).resolve().parents[2]
TOPIC_CREATE = re.compile(r"kafka-topics\.sh .*--create .*--topic (\S+) --partitions (\d+)")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    parsed: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return parsed


def test_services_and_dependencies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"kafka", "redis", "topics", "worker", "gateway"}
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "broker,controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    assert services["redis"]["image"].startswith("redis:7")
    assert "--appendonly" in services["redis"]["command"]
    assert "healthcheck" in services["kafka"]
    assert "healthcheck" in services["redis"]
    assert services["worker"]["depends_on"] == {
        "kafka": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "topics": {"condition": "service_completed_successfully"},
    }


def test_worker_is_scalable(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert worker["build"] == "."
    assert "container_name" not in worker
    assert "ports" not in worker
    assert (ROOT / "Dockerfile").is_file()


def test_worker_environment_uses_real_settings_names(compose: dict[str, Any]) -> None:
    env: dict[str, str] = compose["services"]["worker"]["environment"]
    known = set(Settings().to_env())
    assert set(env) <= known, f"unknown LEADQ_* names: {set(env) - known}"
    assert {"LEADQ_KAFKA_BOOTSTRAP", "LEADQ_REDIS_URL"} <= set(env)
    settings = Settings.model_validate(
        {name.removeprefix("LEADQ_").lower(): value for name, value in env.items()}
    )
    assert settings.kafka_bootstrap == "kafka:9092"
    assert settings.redis_url.startswith("redis://redis:6379")


def test_topics_match_settings(compose: dict[str, Any]) -> None:
    script = "\n".join(compose["services"]["topics"]["command"])
    created = {name: int(count) for name, count in TOPIC_CREATE.findall(script)}
    env = compose["services"]["worker"]["environment"]
    partitions = int(env["LEADQ_PARTITIONS"])
    assert created == Settings(partitions=partitions).topic_partitions()
    assert script.count("--if-not-exists") == len(created)


def test_gateway_service(compose: dict[str, Any]) -> None:
    gateway = compose["services"]["gateway"]
    assert (gateway["build"], gateway["command"]) == (".", ["leadq", "ingest"])
    assert gateway["depends_on"] == compose["services"]["worker"]["depends_on"]
    assert "/health" in " ".join(gateway["healthcheck"]["test"])
    env: dict[str, str | None] = gateway["environment"]
    ingest_names = {f"LEADQ_INGEST__{name.upper()}" for name in IngestSettings.model_fields}
    assert set(env) <= set(Settings().to_env()) | ingest_names
    secrets = [name for name in env if name.endswith(("KEYS", "KEY", "AUTH"))]
    assert len(secrets) == 4
    assert all(env[name] is None for name in secrets), "secrets come from the environment"
    assert (env["LEADQ_INGEST__HOST"], env["LEADQ_INGEST__PORT"]) == ("0.0.0.0", "8088")
    assert "container_name" not in gateway  # scalable: --scale gateway=M


def test_the_image_holds_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("leadq", "schemas", "streams", "agents", "gateway", "cli"):
        assert f"COPY {package} ./{package}" in dockerfile
