"""``leadq report``: the review report's figures on a history whose answers are known.

The history and the hand-computed figures are in ``tests/unit/review_history.py``.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import cli
from tests.unit import review_history

Q1 = ["--quarter", "2026Q1"]


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = SimpleNamespace(buffer=io.BytesIO(b""))
    sys.stdout, sys.stderr = out, err
    try:
        code = cli.main(args)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return review_history.write(tmp_path_factory.mktemp("review"))


def report(files: tuple[Path, Path], *extra: str) -> dict[str, Any]:
    rules, events = files
    code, out, err = run(["report", "--rules", str(rules), str(events), "--json", *extra])
    assert (code, err) == (0, ""), err
    parsed: dict[str, Any] = json.loads(out)
    return parsed


@pytest.fixture(scope="module")
def q1(files: tuple[Path, Path]) -> dict[str, Any]:
    return report(files, *Q1)


def test_json_has_the_promised_keys(q1: dict[str, Any]) -> None:
    required = {
        "mql", "sql", "sales_accepted", "sales_rejected", "sal_rate", "mql_to_sql",
        "opportunities", "won", "rejection_reasons",
    }  # fmt: skip
    assert required <= set(q1)
    assert isinstance(q1["rejection_reasons"], dict)


def test_funnel_figures(q1: dict[str, Any]) -> None:
    assert q1["period_from"] == "2026-01-01T00:00:00Z"
    assert q1["period_until"] == "2026-04-01T00:00:00Z"
    figures = {k: q1[k] for k in ("leads", "mql", "sql", "sales_accepted", "sales_rejected")}
    assert figures == {"leads": 10, "mql": 5, "sql": 3, "sales_accepted": 3, "sales_rejected": 4}
    assert q1["sal_rate"] == pytest.approx(3 / 7, abs=1e-6)
    assert q1["mql_to_sql"] == 0.4  # ann and fay of ann, ben, cid, fay, ivy
    assert q1["lead_to_opportunity"] == 0.1
    assert (q1["opportunities"], q1["won"], q1["won_amount"], q1["lost"]) == (1, 1, 40000, 0)
    assert q1["funnel"] == [
        ["leads", 10], ["MQL", 5], ["SQL", 3], ["sales accepted", 3], ["opportunities", 1],
        ["won", 1],
    ]  # fmt: skip


def test_times_from_routing(q1: dict[str, Any]) -> None:
    # ann 24 h, fay 72 h after their MQL; dee was never routed (sales took her inbound).
    assert q1["time_to_acceptance"] == {"count": 2, "median_hours": 48.0, "p90_hours": 72.0}
    assert q1["time_to_opportunity"] == {"count": 1, "median_hours": 48.0, "p90_hours": 48.0}


def test_reasons_are_normalized_codes(q1: dict[str, Any]) -> None:
    assert q1["rejection_reasons"] == {"timing": 2, "competitor": 1, "other": 1}
    assert list(q1["rejection_reasons"]) == ["timing", "competitor", "other"]  # most first
    assert q1["disqualification_reasons"] == {"duplicate": 1, "rule:competitor": 1}
    assert q1["other_reasons"] == {"reorg at client": 1}
    assert q1["rejection_reasons_over_time"] == {
        "2026-W02": {"timing": 2, "competitor": 1, "other": 1}
    }


def _rows(q1: dict[str, Any], dimension: str) -> dict[str, tuple[int, ...]]:
    return {
        row["key"]: (row["routed"], row["sales_accepted"], row["sales_rejected"],
                     row["opportunities"], row["won"])
        for row in q1["conversion"][dimension]
    }  # fmt: skip


def test_conversion_by_dimension(q1: dict[str, Any]) -> None:
    # Scores at routing: ann, ben, cid, ivy cross at 50; fay at 70 (her webinar).
    assert _rows(q1, "by_score_band") == {"40-60": (4, 1, 2, 1, 1), "60-80": (1, 1, 0, 0, 0)}
    assert _rows(q1, "by_fit_grade") == {"A": (1, 1, 0, 1, 1), "F": (4, 1, 2, 0, 0)}
    assert _rows(q1, "by_persona") == {
        "decision_maker": (1, 1, 0, 1, 1),
        "other": (3, 1, 1, 0, 0),
        "technical_evaluator": (1, 0, 1, 0, 0),
    }
    assert _rows(q1, "by_intent_rule") == {"visit": (5, 2, 2, 1, 1), "webinar": (1, 1, 0, 0, 0)}


def test_band_width_option(files: tuple[Path, Path]) -> None:
    bands = report(files, *Q1, "--band-width", "10")["conversion"]["by_score_band"]
    assert [(row["key"], row["routed"]) for row in bands] == [("50-60", 4), ("70-80", 1)]


def test_all_data_by_default_and_periods(files: tuple[Path, Path]) -> None:
    everything = report(files)
    assert (everything["period_from"], everything["period_until"]) == (None, None)
    assert (everything["mql"], everything["sales_rejected"]) == (6, 5)  # kim, in April
    assert everything["rejection_reasons"]["no_budget"] == 1
    assert report(files, "--quarter", "last")["mql"] == 5  # Q1: the last full quarter
    april = report(files, "--from", "2026-04-01", "--until", "2026-05-01")
    assert (april["mql"], april["sales_rejected"], april["leads"]) == (1, 1, 1)
    assert april["rejection_reasons"] == {"no_budget": 1}


def test_text_report(files: tuple[Path, Path]) -> None:
    rules, events = files
    code, out, err = run(["report", "--rules", str(rules), str(events), *Q1])
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("Review of 2026-01-01T00:00:00+00:00 to 2026-04-01")
    assert "  MQL                     5" in lines
    assert any(line.split() == ["SAL", "rate", "(accepted", "/", "ruled", "on)", "42.9%"]
               for line in lines)  # fmt: skip
    assert any(line.split() == ["timing", "2"] for line in lines)
    assert any(line.split() == ["reorg", "at", "client", "1"] for line in lines)
    never = [line for line in lines if line.endswith("never converts")]
    assert [line.split()[0] for line in never] == ["technical_evaluator"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rules", "missing.yaml"], "missing.yaml: invalid rules: cannot read file"),
        (["--rules", "{rules}", "nowhere.jsonl"], "cannot read events file nowhere.jsonl"),
        (["--rules", "{rules}", "{events}", "--quarter", "2026Q5"], "--quarter: '2026Q5'"),
        (["--rules", "{rules}", "{events}", "--from", "yesterday"], "--from: 'yesterday'"),
        (
            ["--rules", "{rules}", "{events}", "--from", "2026-02-01", "--until", "2026-01-01"],
            "--until must be after --from",
        ),
        (["--rules", "{rules}", "{events}", "--target-sal", "60"], "--target-sal: 60.0 is not"),
        (["--rules", "{rules}", "{events}", "--compare", "nope.toml"], "nope.toml: invalid rules"),
        (["--rules", "{bad}", "{events}"], "invalid rules: stages.mql: Value error, exit (80.0)"),
    ],
)
def test_user_mistakes_are_one_line(
    files: tuple[Path, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    rules, events = files
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages: {mql: {enter: 50, exit: 80}}\n")
    filled = [a.format(rules=rules, events=events, bad=bad) for a in args]
    if len(filled) == 2:
        filled.append(str(events))
    code, out, err = run(["report", *filled])
    assert (code, out) == (1, "")
    assert err.count("\n") == 1, err
    assert err.startswith("leadq report: ")
    assert message in err
