"""The rules file: validation with field paths, versions, YAML/TOML, ``leadq rules check``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.rules import run_check
from schemas.rules import Rules, RulesError, load_rules, rules_from_data

EXAMPLE = Path("rules/example.yaml")
MINIMAL: dict[str, Any] = {"stages": {"mql": {"enter": 100, "exit": 60}}}


def _with(path: str, value: Any) -> dict[str, Any]:
    """MINIMAL plus ``value`` at a dotted ``path``."""
    data: dict[str, Any] = yaml.safe_load(yaml.safe_dump(MINIMAL))
    node = data
    *parents, leaf = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
    return data


def test_example_rules_are_valid_and_complete() -> None:
    rules = load_rules(EXAMPLE)
    assert isinstance(rules, Rules)
    assert rules.version.startswith("2026.12+")
    ids = {r.id for r in rules.intent.rules}
    assert {
        "demo_request",
        "contact_sales",
        "quote_request",
        "pricing_page",
        "security_page",
        "integrations_page",
        "case_study",
        "docs",
        "webinar_attended",
        "whitepaper",
        "blog",
        "email_open",
        "unsubscribe",
        "trial_started",
    } <= ids
    assert {d.id for d in rules.fit.disqualifiers} >= {"competitor", "student"}
    assert (rules.stages.mql.enter, rules.stages.mql.exit) == (55, 25)
    assert rules.stages.hand_raise.rules == ("demo_request", "contact_sales", "quote_request")
    assert rules.stages.mqa is not None
    assert rules.stages.mqa.min_engaged_people == 2
    # Ordinary SDK data: the rules read derived person/company traits, not raw ones a
    # tracking plan rarely has (traits.seniority, traits.department).
    text = EXAMPLE.read_text()
    assert "person.seniority" in text
    assert "company.employees" in text
    assert "traits.seniority" not in text


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("stages.mql.exit", 120, "stages.mql: Value error, exit (120.0) must be below enter"),
        (
            "intent.rules",
            [{"id": "x", "when": {"nme": "a"}, "points": 1}],
            "intent.rules[0].when: Value error, unknown field 'nme'",
        ),
        (
            "intent.rules",
            [{"id": "x", "when": {}, "points": "lots"}],
            "intent.rules[0].points: Input should be a valid number",
        ),
        (
            "intent.rules",
            [{"id": "x", "when": {}, "points": 1, "cap": {"count": 1, "per": "1y"}}],
            "intent.rules[0].cap.per: Input should be a valid timedelta",
        ),
        (
            "intent.rules",
            [{"id": "Bad Id", "when": {}, "points": 1}],
            "intent.rules[0].id: String should match pattern",
        ),
        ("intent.half_lives", {"web": "7d"}, "half_lives needs a 'default'"),
        ("stages.sql", {"on_rules": ["nope"]}, "stages.sql.on_rules: unknown ids ['nope']"),
        (
            "fit.rules",
            [{"id": "a", "when": {"traits.x": {"glob": "a", "regex": "b"}}, "points": 1}],
            "fit.rules[0].when.traits.x",
        ),
        ("surprise", 1, "surprise: Extra inputs are not permitted"),
    ],
)
def test_invalid_rules_name_the_field(path: str, value: Any, expected: str) -> None:
    with pytest.raises(RulesError) as caught:
        rules_from_data(_with(path, value))
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_at_once() -> None:
    data = _with("stages.mql.exit", 500)
    data["intent"] = {"rules": [{"id": "x", "when": {}, "points": "many"}]}
    with pytest.raises(RulesError) as caught:
        rules_from_data(data)
    assert len(caught.value.problems) == 2


def test_version_is_the_content_not_the_formatting(tmp_path: Path) -> None:
    reformatted = tmp_path / "same.yaml"
    reformatted.write_text(yaml.safe_dump(yaml.safe_load(EXAMPLE.read_text()), indent=4))
    assert load_rules(reformatted).version == load_rules(EXAMPLE).version
    changed = yaml.safe_load(EXAMPLE.read_text())
    changed["stages"]["mql"]["enter"] = 101
    assert rules_from_data(changed).version != load_rules(EXAMPLE).version


def test_toml_rules_are_equivalent(tmp_path: Path) -> None:
    toml = tmp_path / "rules.toml"
    toml.write_text(
        'version = "t1"\n[stages.mql]\nenter = 100\nexit = 60\n'
        '[[intent.rules]]\nid = "demo"\npoints = 25\nwhen = { name = "Demo Requested" }\n'
        'cap = { count = 1, per = "1d" }\n'
    )
    rules = load_rules(toml)
    assert rules.intent.rules[0].cap is not None
    assert rules.intent.rules[0].cap.per.total_seconds() == 86_400
    assert rules.version.startswith("t1+")


def test_unreadable_or_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read file"):
        load_rules(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("stages: [unclosed\n")
    with pytest.raises(RulesError, match="not valid yaml"):
        load_rules(broken)


class _Args:
    def __init__(self, file: Path) -> None:
        self.file = str(file)


def test_rules_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_check(_Args(EXAMPLE)) == 0  # type: ignore[arg-type]
    assert "ok — version 2026.12+" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(_with("stages.mql.exit", 150)))
    assert run_check(_Args(bad)) == 1  # type: ignore[arg-type]
    err = capsys.readouterr().err
    assert "1 problem(s)" in err
    assert "stages.mql" in err
