"""Rules reload without a restart: a changed file applies, an invalid one is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agents.runtime import Runtime
from streams.settings import Settings


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    rules = tmp_path / "rules.yaml"
    rules.write_text(Path("rules/example.yaml").read_text())
    return Runtime(Settings().with_changes(rules_path=rules))


def _edit(runtime: Runtime, change: dict[str, object]) -> None:
    path = runtime.settings.rules_path
    data = yaml.safe_load(path.read_text())
    data["stages"]["mql"].update(change)
    path.write_text(yaml.safe_dump(data))


def test_unchanged_file_is_not_reloaded(runtime: Runtime) -> None:
    assert runtime.reload_rules() is False


def test_changed_file_applies_from_the_next_batch(runtime: Runtime) -> None:
    before = runtime.rules.version
    _edit(runtime, {"enter": 120})
    assert runtime.reload_rules() is True
    assert runtime.rules.version != before
    assert runtime.rules.rules.stages.mql.enter == 120
    assert runtime.reload_rules() is False  # once per change


def test_invalid_file_keeps_the_rules_in_force(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    before = runtime.rules
    _edit(runtime, {"exit": 500})  # exit above enter: invalid
    assert runtime.reload_rules() is False
    assert runtime.rules is before
    assert "rules not reloaded" in caplog.text
    assert "stages.mql" in caplog.text
