"""docker-compose.yml agrees with the code and is safe to run: services, LEADQ_* names,
topics, partitions, ports on loopback only, Redis durable and with a password, Kafka
reachable from the host, health checks on /ready, the rules mounted, images pinned.

No Docker engine runs here, so the file is checked as `docker compose config` would
read it: parsed with PyYAML, ``${VAR}`` references interpolated the way Compose does
(``${VAR:?message}`` refuses to start when VAR is unset), then asserted on.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from schemas.examples import EXAMPLE_RULES
from schemas.rules import load_rules
from streams.settings import IngestSettings, KafkaSecurity, Settings

ROOT = Path(__file__).resolve().parents[2]
TOPIC_CREATE = re.compile(r"kafka-topics\.sh .*--create .*--topic (\S+) --partitions (\d+)")
#: ``${NAME}``, ``${NAME:-default}``, ``${NAME:?message}`` (and ``-``/``?`` without colon).
REFERENCE = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")
PASSWORD = "0123abcd" * 6
#: An image reference pinned to a full release: name:MAJOR.MINOR.PATCH[-variant][@digest].
PINNED = re.compile(r"^[\w./-]+:\d+\.\d+\.\d+(-[\w.-]+)?(@sha256:[0-9a-f]{64})?$")


class MissingVariableError(LookupError):
    pass


def interpolate(node: Any, env: dict[str, str]) -> Any:
    """``node`` with Compose's variable interpolation applied to every string in it."""
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if not isinstance(node, str):
        return node

    def substitute(found: re.Match[str]) -> str:
        name, kind, argument = found.groups()
        value = env.get(name) or None
        if value is None and kind == "?":
            raise MissingVariableError(f"{name}: {argument}")
        return value if value is not None else (argument if kind == "-" else "")

    parts = node.split("$$")  # "$$" is a literal "$" and starts no reference
    return "$".join(REFERENCE.sub(substitute, part) for part in parts)


def load(env: dict[str, str]) -> dict[str, Any]:
    parsed: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    resolved: dict[str, Any] = interpolate(parsed, env)
    return resolved


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load({"LEADQ_REDIS_PASSWORD": PASSWORD})


def leadq_env(service: dict[str, Any]) -> dict[str, str]:
    """The LEADQ_* variables a container gets (unset pass-through names left out)."""
    return {k: v for k, v in service["environment"].items() if v is not None}


def published(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(host address, host port or range, container port) of every published port."""
    entries: list[str] = service.get("ports", [])
    return [(host, port, inside) for host, port, inside in (e.split(":") for e in entries)]


def test_services_and_dependencies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"kafka", "redis", "topics", "worker", "gateway"}
    assert "broker,controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    assert "healthcheck" in services["kafka"]
    assert "healthcheck" in services["redis"]
    assert services["worker"]["depends_on"] == {
        "kafka": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "topics": {"condition": "service_completed_successfully"},
    }


def test_images_are_pinned_to_a_release() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    images = re.findall(r"^\s*image:\s*(\S+)", text, flags=re.MULTILINE)
    assert len(images) == 3
    assert all(PINNED.match(image) for image in images), images
    assert any(image.startswith("apache/kafka:") for image in images)
    assert any(image.startswith("redis:7.") for image in images)
    base = re.search(r"^FROM\s+(\S+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert base is not None
    assert PINNED.match(base.group(1)), base.group(1)


def test_nothing_is_published_beyond_loopback(compose: dict[str, Any]) -> None:
    ports = {name: published(service) for name, service in compose["services"].items()}
    assert all(host == "127.0.0.1" for entries in ports.values() for host, _, _ in entries)
    assert ports["kafka"] == [("127.0.0.1", "9094", "9094")]
    assert ports["redis"] == [("127.0.0.1", "6379", "6379")]
    # One host port per replica: --scale worker=4 / gateway=4 still start.
    assert ports["worker"] == [("127.0.0.1", "6066-6069", "6066")]
    assert ports["gateway"] == [("127.0.0.1", "8088-8091", "8088")]


def test_kafka_has_an_internal_and_a_host_listener(compose: dict[str, Any]) -> None:
    env = compose["services"]["kafka"]["environment"]
    listeners = dict(item.split("://") for item in env["KAFKA_LISTENERS"].split(","))
    advertised = dict(item.split("://") for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    protocols = dict(
        item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert set(listeners) == set(protocols) == {"INTERNAL", "EXTERNAL", "CONTROLLER"}
    assert advertised == {"INTERNAL": "kafka:9092", "EXTERNAL": "localhost:9094"}
    # The host port published is the one advertised to host clients, and it listens there.
    host_port = published(compose["services"]["kafka"])[0][1]
    assert advertised["EXTERNAL"] == f"localhost:{host_port}"
    assert listeners["EXTERNAL"] == f":{host_port}"
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] == "INTERNAL"
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    # Services in the network bootstrap from the internal listener.
    assert leadq_env(compose["services"]["worker"])["LEADQ_KAFKA_BOOTSTRAP"] == "kafka:9092"


def test_redis_is_durable_and_needs_the_password(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    assert redis["image"].startswith("redis:7.")
    script = "\n".join(redis["command"])
    assert "--appendonly yes --appendfsync always" in script
    assert "everysec" not in script
    assert redis["environment"]["REDIS_PASSWORD"] == PASSWORD
    # The password reaches redis-server through a config file, not its arguments.
    assert "printf 'requirepass %s\\n' \"$REDIS_PASSWORD\" > /tmp/redis-auth.conf" in script
    assert "redis-server /tmp/redis-auth.conf" in script
    assert PASSWORD not in script
    assert "REDISCLI_AUTH" in " ".join(redis["healthcheck"]["test"])


def test_compose_refuses_to_start_without_a_redis_password() -> None:
    with pytest.raises(MissingVariableError, match="LEADQ_REDIS_PASSWORD"):
        load({})


@pytest.mark.parametrize("service", ["worker", "gateway"])
def test_leadq_services_carry_the_password_in_their_redis_url(
    compose: dict[str, Any], service: str
) -> None:
    env = leadq_env(compose["services"][service])
    settings = Settings.model_validate(
        {name.removeprefix("LEADQ_").lower(): value for name, value in env.items()
         if "__" not in name}
    )  # fmt: skip
    assert settings.redis_url == f"redis://:{PASSWORD}@redis:6379/0"
    assert PASSWORD not in repr(settings)


def test_worker_is_scalable_and_checked_on_ready(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert worker["build"] == "."
    assert "container_name" not in worker
    assert (ROOT / "Dockerfile").is_file()
    probe = " ".join(worker["healthcheck"]["test"])
    port = leadq_env(worker)["LEADQ_WEB_PORT"]
    assert f"http://127.0.0.1:{port}/ready" in probe
    assert published(worker)[0][2] == port


def test_the_rules_folder_is_mounted_where_the_workers_read_it(compose: dict[str, Any]) -> None:
    for name in ("worker", "gateway"):
        service = compose["services"][name]
        rules_path = PurePosixPath(leadq_env(service)["LEADQ_RULES_PATH"])
        if name == "gateway":
            assert "volumes" not in service  # the gateway reads no rules
            continue
        (mount,) = service["volumes"]
        # The folder, not the file: an editor that replaces the file is still seen.
        assert mount == {
            "type": "bind",
            "source": "./rules",
            "target": str(rules_path.parent),
            "read_only": True,
        }
        on_host = ROOT / mount["source"] / rules_path.name
        assert rules_path.name == EXAMPLE_RULES
        load_rules(on_host)  # the file the workers will run is valid


def test_worker_environment_uses_real_settings_names(compose: dict[str, Any]) -> None:
    env: dict[str, str | None] = compose["services"]["worker"]["environment"]
    known = set(Settings().to_env())
    security = {f"LEADQ_KAFKA__{name.upper()}" for name in KafkaSecurity.model_fields}
    assert set(env) <= known | security, f"unknown LEADQ_* names: {set(env) - known}"
    passed_through = {name for name, value in env.items() if value is None}
    assert passed_through == {
        "LEADQ_KAFKA__SECURITY_PROTOCOL",
        "LEADQ_KAFKA__SASL_MECHANISM",
        "LEADQ_KAFKA__SASL_USERNAME",
        "LEADQ_KAFKA__SASL_PASSWORD",
        "LEADQ_KAFKA__SSL_CAFILE",
    }
    assert leadq_env(compose["services"]["worker"])["LEADQ_WEB_HOST"] == "0.0.0.0"


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
    assert "http://127.0.0.1:8088/ready" in " ".join(gateway["healthcheck"]["test"])
    env: dict[str, str | None] = gateway["environment"]
    ingest_names = {f"LEADQ_INGEST__{name.upper()}" for name in IngestSettings.model_fields}
    security = {f"LEADQ_KAFKA__{name.upper()}" for name in KafkaSecurity.model_fields}
    assert set(env) <= set(Settings().to_env()) | ingest_names | security
    secrets = [
        name
        for name in env
        if name.startswith("LEADQ_INGEST__") and name.endswith(("KEYS", "KEY", "AUTH"))
    ]
    assert len(secrets) == 4
    assert all(env[name] is None for name in secrets), "secrets come from the environment"
    assert (env["LEADQ_INGEST__HOST"], env["LEADQ_INGEST__PORT"]) == ("0.0.0.0", "8088")
    assert "container_name" not in gateway  # scalable: --scale gateway=M


def test_the_image_holds_every_package_and_installs_the_pinned_versions() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("leadq", "schemas", "streams", "agents", "gateway", "cli", "rules"):
        assert f"COPY {package} ./{package}" in dockerfile
    assert "constraints.txt" in dockerfile.split("COPY leadq", 1)[0]
    assert "pip install --constraint constraints.txt ." in dockerfile
    assert "LEADQ_RULES_PATH" not in dockerfile.split("ENV LEADQ_DATA_DIR", 1)[1]
