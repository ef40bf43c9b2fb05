"""The router's settings: ``LEADQ_ROUTING_PATH`` and ``LEADQ_ROUTING__*``, and back."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.settings import Settings


def test_the_routing_file_and_timings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().routing_path is None
    monkeypatch.setenv("LEADQ_ROUTING_PATH", "rules/routing.example.yaml")
    monkeypatch.setenv("LEADQ_ROUTING__SLA_POLL_INTERVAL_S", "0.5")
    monkeypatch.setenv("LEADQ_ROUTING__DEDUPE_TTL_DAYS", "7")
    settings = Settings()
    assert settings.routing_path == Path("rules/routing.example.yaml")
    assert (settings.routing.sla_poll_interval_s, settings.routing.dedupe_ttl_days) == (0.5, 7)
    env = settings.to_env()
    assert env["LEADQ_ROUTING_PATH"] == "rules/routing.example.yaml"
    assert env["LEADQ_ROUTING__SLA_POLL_INTERVAL_S"] == "0.5"


def test_a_poll_interval_of_zero_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADQ_ROUTING__SLA_POLL_INTERVAL_S", "0")
    with pytest.raises(ValueError, match="sla_poll_interval_s"):
        Settings()
