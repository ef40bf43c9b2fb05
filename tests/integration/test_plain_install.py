"""A plain ``pip install`` of the built wheel works outside the source tree.

The wheel is built from this checkout, installed with ``-c constraints.txt`` into a fresh
virtualenv (the pip cache makes that quick), and every command runs from an empty folder,
so nothing can come from the checkout: ``leadq --version``, ``leadq rules example``,
``leadq replay`` and a ``leadq worker`` with no ``LEADQ_RULES_PATH``, which must run the
shipped example rules (and the shipped Lua scripts) against the session's real servers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

import orjson
import pytest

from schemas.rules import load_rules
from schemas.transition import TransitionEvent
from streams.process import ServerProcess
from streams.settings import Settings
from tests.helpers import read_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT_S = 600.0
#: What the running code reads from package data; a wheel without one is broken.
DATA_FILES = (
    "leadq_rules/example.yaml",
    "streams/state/lua/cas.lua",
    "streams/state/lua/commit.lua",
    "schemas/json/transition-data.schema.json",
    "cli/demo/events.jsonl",
)


def run(argv: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> str:
    """Run ``argv``; its stdout, or an assertion error with everything it printed."""
    done = subprocess.run(
        argv,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"{argv}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh virtualenv holding only the wheel and its deps."""
    where = tmp_path_factory.mktemp("plain-install")
    pip = [sys.executable, "-m", "pip"]
    run([*pip, "wheel", "--quiet", "--no-deps", "-w", str(where / "dist"), str(ROOT)], where)
    (wheel,) = (where / "dist").glob("leadq-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert set(DATA_FILES) <= names, set(DATA_FILES) - names
    assert not any(name.startswith("tests/") for name in names)
    run([sys.executable, "-m", "venv", str(where / "venv")], where)
    bin_dir = where / "venv" / "bin"
    constraints = str(ROOT / "constraints.txt")
    run([str(bin_dir / "pip"), "install", "--quiet", "-c", constraints, str(wheel)], where)
    return bin_dir


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def moved(event: dict[str, Any]) -> tuple[str, str]:
    """(type, subject) of a transition CloudEvent: who moved to which stage."""
    return event["type"], event["subject"]


def clean_env(extra: Mapping[str, str] = {}) -> dict[str, str]:
    """Our environment without LEADQ_* settings or anything pointing at this checkout."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("LEADQ_", "PYTHON"))}
    return {**keep, **extra}


def test_version_and_the_shipped_examples(installed: Path, empty: Path) -> None:
    leadq = str(installed / "leadq")
    assert run([leadq, "--version"], empty, clean_env()).strip() == f"leadq {version('leadq')}"
    printed = run([leadq, "rules", "example"], empty, clean_env())
    assert printed == (ROOT / "rules" / "example.yaml").read_text(encoding="utf-8")
    listed = run([leadq, "rules", "example", "--list"], empty, clean_env()).split()
    assert listed[0] == "example.yaml"
    assert set(listed) == {p.name for p in (ROOT / "rules").glob("*.y*ml")}
    assert "ok — version" in run([leadq, "rules", "check"], empty, clean_env())
    where = run(
        [str(installed / "python"), "-c", "import leadq; print(leadq.__file__)"],
        empty,
        clean_env(),
    )
    assert "site-packages" in where  # the installed copy, not this checkout


def test_replay_with_the_printed_rules(installed: Path, empty: Path) -> None:
    leadq = str(installed / "leadq")
    rules = empty / "my-rules.yaml"
    rules.write_text(run([leadq, "rules", "example"], empty, clean_env()))
    events = empty / "events.jsonl"
    events.write_bytes((ROOT / "cli" / "demo" / "events.jsonl").read_bytes())
    out = run([leadq, "replay", "--rules", str(rules), str(events)], empty, clean_env())
    ours = run(
        [sys.executable, "-m", "cli", "replay", "--rules", "rules/example.yaml", str(events)],
        ROOT,
    )
    assert out == ours
    assert len(out.splitlines()) >= 3


async def test_a_worker_without_a_rules_path_runs_the_shipped_rules(
    installed: Path, empty: Path, leadq_settings: Settings
) -> None:
    settings = leadq_settings.with_changes(data_dir=empty / "data")
    env = {k: v for k, v in settings.to_env().items() if k != "LEADQ_RULES_PATH"}
    # The demo's events, all sent to the web topic: the worker dead-letters those of other
    # channels exactly as the replay of ``web=FILE`` rejects them.
    events = empty / "web.jsonl"
    events.write_bytes((ROOT / "cli" / "demo" / "events.jsonl").read_bytes())
    expected = run(
        [str(installed / "leadq"), "replay", "--rules", str(ROOT / "rules/example.yaml"),
         f"web={events}"],
        empty,
        clean_env(),
    )  # fmt: skip
    # Which moves, not their exact ids: one person's events arrive on two partitions (before
    # and after identify), so the stream may cross a threshold an event later than the
    # replay, which reads in event-time order (docs/streaming.md).
    wanted = {moved(orjson.loads(line)) for line in expected.splitlines()}
    assert len(wanted) >= 2
    worker = ServerProcess(
        "installed leadq worker",
        [str(installed / "leadq"), "worker"],
        empty / "worker.log",
        empty,
        env=clean_env(env),
    )
    worker.start()
    try:
        run([str(installed / "leadq"), "produce", "web", str(events)], empty, clean_env(env))
        records = await read_until(
            settings.kafka_bootstrap,
            [settings.topics.routing],
            lambda rs: wanted <= {moved(orjson.loads(r.value or b"{}")) for r in rs},
            90,
            worker.running,
        )
    finally:
        stopped = worker.stop(20.0)
    assert stopped == 0, worker.log_tail(40)
    events_out = [TransitionEvent.model_validate_json(r.value or b"") for r in records]
    shipped = load_rules(ROOT / "rules" / "example.yaml").version
    assert {event.data.rules_version for event in events_out} == {shipped}
