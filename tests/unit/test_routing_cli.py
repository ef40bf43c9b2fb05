"""``leadq routing check`` and ``leadq worker --only``: one clear line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "rules" / "routing.example.yaml"


def test_routing_check_prints_the_version_or_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["routing", "check", str(EXAMPLE)]) == 0
    assert "ok — version 2026.12+" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "teams: [{id: t, reps: [{id: r}], fallback: {rep: nobody}}]\n"
        "rules: [{name: a, team: t, when: {fit_grade: [Z]}}]\n",
        encoding="utf-8",
    )
    assert main(["routing", "check", str(bad)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{bad}: 2 problem(s)"
    assert "fallback rep 'nobody' is not one of reps ['r']" in err[1]
    assert err[2].startswith("  rules[0].when.fit_grade[0]: Input should be 'A', 'B'")


@pytest.mark.parametrize(
    ("only", "message"),
    [
        (
            "bogus",
            "leadq worker: unknown part(s) bogus: choose from qualifier, router, alerts, abm",
        ),
        ("router", "leadq worker: the router needs a routing file: set LEADQ_ROUTING_PATH"),
    ],
)
def test_worker_only_names_a_mistake_in_one_line(
    only: str, message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEADQ_ROUTING_PATH", raising=False)
    monkeypatch.setenv("LEADQ_UVLOOP", "false")
    from streams.settings import get_settings

    get_settings.cache_clear()
    try:
        assert main(["worker", "--only", only]) == 2
    finally:
        get_settings.cache_clear()
    assert capsys.readouterr().err.strip() == message
