"""Every CLI user mistake ends in one line naming what to change, exit 1, no traceback.

The real ``leadq`` command runs as a subprocess against the session's real servers, or
against a port nothing listens on; ``--debug`` shows the traceback instead. A Redis with a
password of the test's own shows the password travelling in ``LEADQ_REDIS_URL``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest
import redis

from streams.devcluster import redis_server_binary
from streams.process import ServerProcess, free_port
from streams.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
#: A real 'until' for every subprocess: a hung command fails the test, not the run.
RUN_TIMEOUT_S = 60.0
PASSWORD = "s3cret-for-tests"


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str


def leadq(*argv: str, env: Mapping[str, str] | None = None, cwd: Path = ROOT) -> Ran:
    """Run ``python -m cli ARGV`` with only ``env`` as its LEADQ_* settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LEADQ_")}
    done = subprocess.run(
        [sys.executable, "-m", "cli", *argv],
        env={**clean, "LEADQ_STARTUP_TIMEOUT_S": "3", **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def assert_one_line(ran: Ran, *words: str) -> str:
    """The mistake's single stderr line, which names every one of ``words``."""
    assert ran.code == 1, ran
    assert "Traceback" not in ran.stderr, ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1, ran.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def unused_port() -> int:
    return free_port()


@pytest.fixture
def worker_env(leadq_settings: Settings, tmp_path: Path) -> dict[str, str]:
    """A worker's environment on the session's servers (its own group, port, data)."""
    env = leadq_settings.with_changes(data_dir=tmp_path / "data").to_env()
    return {k: v for k, v in env.items() if not k.startswith("LEADQ_INGEST__")}


@pytest.fixture(scope="module")
def password_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of this module's own that requires ``PASSWORD``; yields host:port."""
    workdir = tmp_path_factory.mktemp("redis-auth")
    port = free_port()
    argv = [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1"]
    argv += ["--save", "", "--appendonly", "no", "--requirepass", PASSWORD]
    server = ServerProcess("redis-server (password)", argv, workdir / "redis.log", workdir)
    server.start()
    try:
        client = redis.Redis(port=port, password=PASSWORD, socket_timeout=1.0)
        give_up = time.monotonic() + 10.0
        while not _answers(client):
            assert time.monotonic() < give_up, (workdir / "redis.log").read_text()
            time.sleep(0.05)
        client.close()
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def events_file(tmp_path: Path) -> Path:
    """The demo's events without its deliberately broken lines."""
    path = tmp_path / "events.jsonl"
    lines = (ROOT / "cli/demo/events.jsonl").read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(line for line in lines if _is_json(line)) + "\n")
    return path


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


# --- files and rules ------------------------------------------------------------------


def test_version() -> None:
    ran = leadq("--version")
    assert (ran.code, ran.stdout.strip()) == (0, f"leadq {version('leadq')}")


def test_a_missing_events_file(tmp_path: Path) -> None:
    ran = leadq("replay", "--rules", "rules/example.yaml", str(tmp_path / "nope.jsonl"))
    assert_one_line(ran, "leadq replay:", "nope.jsonl", "No such file")


def test_a_missing_rules_file(tmp_path: Path) -> None:
    ran = leadq("replay", "--rules", str(tmp_path / "nope.yaml"), str(events_file(tmp_path)))
    assert_one_line(ran, "nope.yaml", "--rules")


def test_an_invalid_rules_file_names_the_first_problem_and_the_check_command(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text("stages: {mql: {enter: 10, exit: 20}}\nintent: {rules: 3}\n")
    ran = leadq("replay", "--rules", str(rules), str(events_file(tmp_path)))
    line = assert_one_line(ran, "bad.yaml", "--rules", f"leadq rules check {rules}")
    assert "more" in line


def test_a_bad_until(tmp_path: Path) -> None:
    ran = leadq("replay", "--rules", "rules/example.yaml", "--until", "soon", "-")
    assert_one_line(ran, "--until", "soon")


def test_debug_shows_the_traceback_in_any_position(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.jsonl")
    for argv in (
        ["--debug", "replay", "--rules", "rules/example.yaml", missing],
        ["replay", "--debug", "--rules", "rules/example.yaml", missing],
    ):
        ran = leadq(*argv)
        assert ran.code == 1
        assert "Traceback" in ran.stderr
        assert "FileNotFoundError" in ran.stderr


# --- settings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"LEADQ_PARTITIONS": "many"}, ["bad setting LEADQ_PARTITIONS", "'many'"]),
        ({"LEADQ_INGEST__PORT": "0"}, ["bad setting LEADQ_INGEST__PORT"]),
        ({"LEADQ_KAFKA__SECURITY_PROTOCOL": "SASL_SSL"}, ["LEADQ_KAFKA__SASL_PASSWORD"]),
        ({"LEADQ_KAFKA__SECURITY_PROTOCOL": "TLS"}, ["LEADQ_KAFKA__SECURITY_PROTOCOL"]),
        ({"LEADQ_INGEST__WRITE_KEYS": "{not json"}, ["LEADQ_INGEST"]),
    ],
)
def test_a_bad_setting_names_its_variable(env: dict[str, str], words: list[str]) -> None:
    assert_one_line(leadq("tail", "routing", "--max", "1", env=env), "bad setting", *words)


def test_a_secret_setting_is_never_echoed() -> None:
    ran = leadq("tail", "routing", env={"LEADQ_REDIS_URL": "x" * 3, "LEADQ_PARTITIONS": "0"})
    assert_one_line(ran, "LEADQ_PARTITIONS")
    ran = leadq("worker", env={"LEADQ_KAFKA__SASL_PASSWORD": PASSWORD})
    assert PASSWORD not in ran.stderr


# --- servers --------------------------------------------------------------------------


def test_produce_and_tail_without_a_broker(tmp_path: Path) -> None:
    env = {"LEADQ_KAFKA_BOOTSTRAP": f"127.0.0.1:{unused_port()}"}
    ran = leadq("produce", "web", str(events_file(tmp_path)), env=env)
    assert_one_line(ran, "leadq produce:", "LEADQ_KAFKA_BOOTSTRAP")
    ran = leadq("tail", "routing", "--max", "1", env=env)
    assert_one_line(ran, "leadq tail:", "LEADQ_KAFKA_BOOTSTRAP")


def test_worker_without_a_broker(worker_env: dict[str, str]) -> None:
    port = unused_port()
    ran = leadq("worker", env={**worker_env, "LEADQ_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}"})
    assert_one_line(ran, "leadq worker:", f"127.0.0.1:{port}", "LEADQ_KAFKA_BOOTSTRAP")


def test_worker_and_tail_use_the_kafka_security_settings(worker_env: dict[str, str]) -> None:
    # The dev broker speaks PLAINTEXT only: a client that really attempts SASL is refused
    # (it answers UnsupportedSaslMechanism), so the settings did reach the client.
    sasl = {
        "LEADQ_KAFKA__SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "LEADQ_KAFKA__SASL_USERNAME": "leadq",
        "LEADQ_KAFKA__SASL_PASSWORD": PASSWORD,
    }
    ran = leadq("worker", env={**worker_env, **sasl})
    line = assert_one_line(
        ran, "UnsupportedSaslMechanism", "LEADQ_KAFKA__SECURITY_PROTOCOL is SASL_PLAINTEXT"
    )
    assert PASSWORD not in line
    tail = leadq("tail", "routing", "--max", "1", env={**worker_env, **sasl})
    assert_one_line(tail, "leadq tail:", "LEADQ_KAFKA_BOOTSTRAP")
    assert PASSWORD not in tail.stderr


def test_worker_without_redis(worker_env: dict[str, str]) -> None:
    url = f"redis://127.0.0.1:{unused_port()}/0"
    ran = leadq("worker", env={**worker_env, "LEADQ_REDIS_URL": url})
    assert_one_line(ran, "leadq worker:", url, "LEADQ_REDIS_URL")


def test_worker_with_a_bad_rules_file(worker_env: dict[str, str], tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("fit: [1, 2]\n")
    ran = leadq("worker", env={**worker_env, "LEADQ_RULES_PATH": str(rules)})
    assert_one_line(ran, "leadq worker:", "rules.yaml", "LEADQ_RULES_PATH")


def test_worker_whose_web_port_is_taken(worker_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = leadq("worker", env={**worker_env, "LEADQ_WEB_PORT": str(port)})
        by_option = leadq("worker", "--web-port", str(port), env=worker_env)
    assert_one_line(ran, "leadq worker:", f"127.0.0.1:{port}", "LEADQ_WEB_PORT")
    assert_one_line(by_option, "leadq worker:", f"127.0.0.1:{port}", "--web-port")


def test_ingest_without_a_broker() -> None:
    env = {
        "LEADQ_KAFKA_BOOTSTRAP": f"127.0.0.1:{unused_port()}",
        "LEADQ_INGEST__PORT": str(unused_port()),
        "LEADQ_INGEST__STARTUP_TIMEOUT_S": "2",
    }
    assert_one_line(leadq("ingest", env=env), "leadq ingest:", "LEADQ_KAFKA_BOOTSTRAP")


# --- a Redis with a password ----------------------------------------------------------


def test_the_redis_password_travels_in_the_url(password_redis: str, tmp_path: Path) -> None:
    events = str(events_file(tmp_path))
    args = ("backfill", "--rules", "rules/example.yaml", events)
    ran = leadq(*args, env={"LEADQ_REDIS_URL": f"redis://:{PASSWORD}@{password_redis}/0"})
    assert ran.code == 0, ran
    assert ran.stdout.startswith("backfilled "), ran
    wrong = leadq(*args, env={"LEADQ_REDIS_URL": f"redis://:wrong@{password_redis}/0"})
    line = assert_one_line(wrong, "leadq backfill:", f"redis://:***@{password_redis}/0")
    assert "LEADQ_REDIS_URL" in line
    assert ":wrong@" not in line


def test_worker_refused_by_redis_names_the_url_without_its_password(
    password_redis: str, worker_env: dict[str, str]
) -> None:
    url = f"redis://:not-{PASSWORD}@{password_redis}/0"
    line = assert_one_line(
        leadq("worker", env={**worker_env, "LEADQ_REDIS_URL": url}),
        "leadq worker:",
        "refused the login",
        "LEADQ_REDIS_URL",
    )
    assert PASSWORD not in line
    assert f"redis://:***@{password_redis}/0" in line
