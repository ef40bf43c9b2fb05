"""Reason codes: sales' free-text reasons filed under the rules' ``outcomes`` codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from leadq.outcomes import Reason, ReasonCodes
from schemas.outcomes import DEFAULT_CODES, Outcomes
from schemas.rules import RulesError, load_rules, rules_from_data

MINIMAL: dict[str, Any] = {"stages": {"mql": {"enter": 100, "exit": 60}}}
DEFAULTS = ReasonCodes(Outcomes())


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("Bad timing", "timing"),
        ("not now", "timing"),
        ("NOT NOW!!", "timing"),
        ("Chose competitor", "competitor"),
        ("chose competitor (RivalCorp)", "competitor"),
        ("not_a_fit", "not_a_fit"),
        ("Not a fit", "not_a_fit"),
        ("no budget", "no_budget"),
        ("No-Budget", "no_budget"),
        ("budget freeze until Q3", "no_budget"),
        ("No active project", "no_active_project"),
        ("duplicate", "duplicate"),
        ("ghosted", "no_response"),
        ("invalid email", "bad_data"),
    ],
)
def test_default_codes_and_synonyms(raw: str, code: str) -> None:
    assert DEFAULTS.normalize(raw) == Reason(code, raw)


@pytest.mark.parametrize("raw", ["Reorg at the client", "", "   ", "?!", None])
def test_unknown_or_missing_reasons_are_other_and_keep_their_text(raw: str | None) -> None:
    assert DEFAULTS.normalize(raw) == Reason("other", raw)


def test_the_longest_phrase_in_a_sentence_wins() -> None:
    # "budget" (no_budget) and "no active need" (no_active_project) both occur.
    assert DEFAULTS.normalize("budget exists but no active need").code == "no_active_project"


def test_default_code_list() -> None:
    assert DEFAULT_CODES == (
        "not_a_fit", "no_active_project", "timing", "no_budget", "competitor",
        "bad_data", "no_response", "duplicate", "other",
    )  # fmt: skip
    assert rules_from_data(MINIMAL).outcomes == Outcomes()


def test_a_rules_file_configures_codes_and_synonyms(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "stages: {mql: {enter: 100, exit: 60}}\n"
        "outcomes:\n"
        "  codes: [timing, wrong_region, other]\n"
        "  synonyms:\n"
        "    wrong_region: [outside territory, EMEA only]\n"
        "    timing: [ask again in spring]\n"
    )
    codes = ReasonCodes(load_rules(path).outcomes)
    assert codes.normalize("Outside territory").code == "wrong_region"
    assert codes.normalize("wrong region").code == "wrong_region"
    assert codes.normalize("Ask again in spring").code == "timing"
    assert codes.normalize("not now").code == "timing"  # built-in synonym of a listed code
    assert codes.normalize("no budget").code == "other"  # no_budget is not a code here


def test_builtin_synonyms_can_be_replaced() -> None:
    outcomes = Outcomes(
        codes=("timing", "other"), synonyms={"timing": ("later",)}, replace_builtin_synonyms=True
    )
    codes = ReasonCodes(outcomes)
    assert codes.normalize("later").code == "timing"
    assert codes.normalize("not now").code == "other"


def test_own_synonym_overrides_a_builtin_one() -> None:
    outcomes = Outcomes(synonyms={"not_a_fit": ("budget",)})
    assert ReasonCodes(outcomes).normalize("budget").code == "not_a_fit"


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ({"codes": ["timing"]}, "outcomes: Value error, codes: must include 'other'"),
        ({"codes": ["timing", "timing", "other"]}, "duplicate codes ['timing']"),
        ({"synonyms": {"weather": ["rain"]}}, "synonyms: unknown codes ['weather']"),
        (
            {"synonyms": {"timing": ["Not now"], "no_budget": ["not-now"]}},
            "synonyms.no_budget: 'not-now' already means 'timing'",
        ),
        ({"synonyms": {"timing": ["--"]}}, "has no letters or digits"),
        ({"codes": ["Bad Code", "other"]}, "outcomes.codes[0]: String should match pattern"),
    ],
)
def test_invalid_outcomes_name_the_problem(outcomes: dict[str, Any], expected: str) -> None:
    with pytest.raises(RulesError) as caught:
        rules_from_data({**MINIMAL, "outcomes": outcomes})
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_reason_codes_do_not_change_the_rules_version() -> None:
    plain = rules_from_data(MINIMAL)
    coded = rules_from_data({**MINIMAL, "outcomes": {"codes": ["timing", "other"]}})
    assert plain.version == coded.version
    assert rules_from_data({**MINIMAL, "stages": {"mql": {"enter": 90, "exit": 60}}}).version != (
        plain.version
    )
