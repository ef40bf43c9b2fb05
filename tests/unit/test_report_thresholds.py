"""Threshold suggestion: the curve from per-lead peak scores, checked by hand and against
the engine itself (a replay with ``enter`` set to each threshold)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from leadq.compiled import compile_rules
from leadq.outcomes import Reason
from leadq.review.history import CrmOutcome, History, LeadHistory
from leadq.review.period import Period
from leadq.review.thresholds import round_down, suggest_threshold
from schemas.rules import rules_from_data
from tests.unit import review_history
from tests.unit.test_report import Q1, run

#: threshold → (MQLs, accepted captured, rejected captured), from the table in
#: review_history: peaks before the verdict ann 60 A, ben 60 R, cid 50 R, dee 40 A,
#: eve 40 R, fay 70 A, jon 20 R; peaks of all: those, hal 30, ivy 70 (gus disqualified).
CURVE = {20: (9, 3, 4), 40: (7, 3, 3), 50: (5, 2, 2), 60: (4, 2, 1), 70: (2, 1, 0)}


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("thresholds")
    review_history.write(path)
    return path


def thresholds(directory: Path, *extra: str, enter: int = 50) -> dict[str, Any]:
    rules = directory / f"rules-{enter}.yaml"
    if not rules.exists():
        rules.write_text(review_history.RULES.replace("exit: 20", "exit: 10") % {"enter": enter})
    code, out, err = run(
        ["report", "--rules", str(rules), str(directory / "history.jsonl"), "--json", *Q1, *extra]
    )
    assert (code, err) == (0, "")
    found: dict[str, Any] = json.loads(out)
    return found


def test_curve_and_suggestion(directory: Path) -> None:
    found = thresholds(directory)["thresholds"]
    curve = {
        p["threshold"]: (p["mqls"], p["sales_accepted"], p["sales_rejected"])
        for p in found["curve"]
    }
    assert curve == CURVE
    assert (found["target_sal_rate"], found["current_threshold"]) == (0.6, 50)
    assert found["current"]["threshold"] == 50
    assert found["suggested"] == {
        "threshold": 60, "mqls": 4, "sales_accepted": 2, "sales_rejected": 1,
        "sal_rate": pytest.approx(2 / 3, abs=1e-6),
    }  # fmt: skip


@pytest.mark.parametrize(("target", "best"), [("0.5", 40), ("0.4", 40), ("0.67", 70), ("1", 70)])
def test_the_target_decides(directory: Path, target: str, best: int) -> None:
    # At 0.4, 20 and 40 both capture 3 accepted leads: the higher one wins (fewer rejected).
    found = thresholds(directory, "--target-sal", target)["thresholds"]
    assert found["suggested"]["threshold"] == best


@pytest.mark.parametrize("threshold", [20, 40, 60, 70])
def test_the_curve_predicts_what_the_engine_does(directory: Path, threshold: int) -> None:
    """Replaying the history with ``enter`` at a curve threshold makes exactly the MQLs
    the curve predicted, and sales ruled on the predicted leads among them."""
    under = thresholds(directory, enter=threshold)
    mqls, accepted, rejected = CURVE[threshold]
    assert under["mql"] == mqls
    point = next(p for p in under["thresholds"]["curve"] if p["threshold"] == threshold)
    assert (point["mqls"], point["sales_accepted"], point["sales_rejected"]) == CURVE[threshold]
    assert under["thresholds"]["current"] == point
    ruled = sum(
        r["sales_accepted"] + r["sales_rejected"] for r in under["conversion"]["by_fit_grade"]
    )
    assert ruled == accepted + rejected


def test_the_text_report_prints_the_suggestion(directory: Path) -> None:
    code, out, _ = run(
        [
            "report",
            "--rules",
            str(directory / "rules-50.yaml"),
            str(directory / "history.jsonl"),
            *Q1,
        ]
    )
    assert code == 0
    assert (
        "  suggested MQL entry threshold: 60 (now 50): 2 accepted, 1 rejected, SAL 66.7% "
        "(target 60.0%)"
    ) in out
    rows = [line.split() for line in out.splitlines()]
    assert ["50", "5", "2", "2", "50.0%", "current"] in rows
    assert ["60", "4", "2", "1", "66.7%", "suggested"] in rows


RULES = rules_from_data({"stages": {"mql": {"enter": 100, "exit": 60}}})


def _lead(lead_id: str, peak: float, verdict: str | None) -> LeadHistory:
    lead = LeadHistory(lead_id, 0, peaks=[(0, peak / 2), (1000, peak)])
    if verdict is not None:
        lead.outcomes.append(CrmOutcome(verdict, 2000, Reason("other", None), None, None, peak))
    return lead


def test_candidates_are_peaks_rounded_down() -> None:
    leads = [_lead("e:a", 57.46, "sales_accepted"), _lead("e:b", 57.41, "sales_rejected"),
             _lead("e:c", 80.0, None)]  # fmt: skip
    found = suggest_threshold(
        History(compile_rules(RULES), {lead.lead_id: lead for lead in leads}, 3000), Period()
    )
    points = {p.threshold: (p.mqls, p.sales_accepted, p.sales_rejected) for p in found.curve}
    assert points == {57.4: (3, 1, 1), 100: (0, 0, 0)}
    assert found.suggested is None  # 50% < 60%: no threshold reaches the target
    assert round_down(0.1 * 3) == 0.3  # 0.30000000000000004
    assert round_down(0.3 * 3) == 0.8  # 0.8999999999999999: 0.9 would not capture it
    assert round_down(59.99999) == 59.9


def test_no_outcomes_means_no_suggestion() -> None:
    found = suggest_threshold(History(compile_rules(RULES), {}, None), Period())
    assert found.suggested is None
    assert [p.threshold for p in found.curve] == [100]
