"""``leadq report --compare``: the same history under two rules files (known answers in
``tests/unit/review_history.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit import review_history
from tests.unit.test_report import Q1, run


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backtest")
    for enter in (40, 50, 65):
        review_history.write(path, enter)
    return path


def backtest(directory: Path, a: int, b: int) -> dict[str, Any]:
    code, out, err = run([
        "report", "--rules", str(directory / f"rules-{a}.yaml"), "--compare",
        str(directory / f"rules-{b}.yaml"), str(directory / "history.jsonl"), "--json", *Q1,
    ])  # fmt: skip
    assert (code, err) == (0, "")
    found: dict[str, Any] = json.loads(out)["backtest"]
    return found


def test_a_lower_threshold_gains_leads(directory: Path) -> None:
    found = backtest(directory, 50, 40)
    assert (found["mql_a"], found["mql_b"]) == (5, 7)
    assert found["gained"] == {
        "leads": 2, "sales_accepted": 1, "sales_rejected": 1, "no_verdict": 0,
        "rejection_reasons": {"competitor": 1}, "lead_ids": ["e:dee@beta.com", "e:eve@gamma.com"],
    }  # fmt: skip
    assert found["lost"]["leads"] == 0


def test_a_higher_threshold_loses_leads(directory: Path) -> None:
    found = backtest(directory, 50, 65)
    assert (found["mql_a"], found["mql_b"]) == (5, 2)  # fay and ivy reach 70
    assert found["lost"] == {
        "leads": 3, "sales_accepted": 1, "sales_rejected": 2, "no_verdict": 0,
        "rejection_reasons": {"timing": 2},
        "lead_ids": ["e:ann@acme.com", "e:ben@acme.com", "e:cid@beta.com"],
    }  # fmt: skip
    assert found["gained"]["leads"] == 0
    assert found["rules_a"] != found["rules_b"]


def test_backtest_in_text(directory: Path) -> None:
    code, out, _ = run([
        "report", "--rules", str(directory / "rules-50.yaml"), "--compare",
        str(directory / "rules-65.yaml"), str(directory / "history.jsonl"), *Q1,
    ])  # fmt: skip
    assert code == 0
    assert "  MQLs: 5 → 2" in out
    assert "  lost: 3 lead(s): 1 accepted, 2 rejected (timing 2), 0 without a verdict" in out
    assert "  gained: 0 lead(s)" in out


def test_no_backtest_without_compare(directory: Path) -> None:
    code, out, _ = run([
        "report", "--rules", str(directory / "rules-50.yaml"),
        str(directory / "history.jsonl"), "--json",
    ])  # fmt: skip
    assert code == 0
    assert json.loads(out)["backtest"] is None
