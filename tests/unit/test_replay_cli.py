"""``leadq replay``: the deterministic batch reference of the engine."""

from __future__ import annotations

import io
import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

import cli
from schemas.transition import TransitionEvent

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


def _segment(kind: str, message_id: str, minutes: int, **fields: object) -> dict[str, object]:
    at = (T0 + timedelta(minutes=minutes)).isoformat()
    return {"type": kind, "messageId": message_id, "timestamp": at, "userId": "ann", **fields}


def _lines() -> list[str]:
    events: list[object] = [
        _segment("identify", "id1", 0, traits={"email": "ann@acme.com", "seniority": "vp"}),
        _segment(
            "group", "g1", 1, groupId="acme", traits={"industry": "software", "employees": 900}
        ),
        *[_segment("page", f"p{i}", 2 + i, properties={"path": "/pricing"}) for i in range(2)],
        _segment("track", "w1", 5, event="Webinar Attended"),
        _segment("page", "c1", 6, properties={"path": "/customers/x"}),
        _segment("track", "d1", 30, event="Demo Requested"),
        [
            {
                "email": "ann@acme.com",
                "timestamp": int((T0 + timedelta(hours=1)).timestamp()),
                "event": "open",
                "sg_event_id": "sg1",
                "sg_message_id": "m1",
                "sg_machine_open": True,
            }
        ],
    ]
    return [json.dumps(e) for e in events]


def _run(args: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = SimpleNamespace(buffer=io.BytesIO(stdin))
    sys.stdout, sys.stderr = out, err
    try:
        code = cli.main(args)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(_lines()) + "\n")
    return path


def _types(stdout: str) -> list[str]:
    return [TransitionEvent.model_validate_json(line).type for line in stdout.splitlines()]


def test_prints_every_transition_as_a_cloudevent(events_file: Path) -> None:
    code, out, err = _run(["replay", "--rules", "tests/rules/scenarios.yaml", str(events_file)])
    assert (code, err) == (0, "")
    assert _types(out) == ["io.leadq.lead.mql", "io.leadq.lead.sql"]
    mql = TransitionEvent.model_validate_json(out.splitlines()[0])
    assert mql.data.trigger_event_id == "d1"
    assert mql.data.rules_version.startswith("2026.11+")


def test_output_is_byte_identical_whatever_the_input_order(
    events_file: Path, tmp_path: Path
) -> None:
    args = ["replay", "--rules", "tests/rules/scenarios.yaml"]
    first = _run([*args, str(events_file)])
    shuffled = tmp_path / "shuffled.jsonl"
    lines = _lines()
    random.Random(7).shuffle(lines)
    shuffled.write_text("\n".join(lines))
    assert _run([*args, str(events_file)]) == first
    assert _run([*args, str(shuffled)]) == first


def test_until_fires_decay_driven_transitions(events_file: Path) -> None:
    later = (T0 + timedelta(days=60)).isoformat()
    code, out, _ = _run(
        ["replay", "--rules", "tests/rules/scenarios.yaml", "--until", later, str(events_file)]
    )
    assert code == 0
    assert _types(out) == ["io.leadq.lead.mql", "io.leadq.lead.sql"]  # SQL does not decay
    code, out, _ = _run(
        ["replay", "--rules", "tests/rules/scenarios.yaml", "--until", "now", str(events_file)]
    )
    assert code == 0


def test_until_recycles_an_mql_that_decays(tmp_path: Path) -> None:
    lines = [line for line in _lines() if '"d1"' not in line]
    lines.append(json.dumps(_segment("track", "w2", 7, event="Webinar Attended")))
    lines.append(json.dumps(_segment("track", "w3", 8, event="Webinar Attended")))
    path = tmp_path / "mql.jsonl"
    path.write_text("\n".join(lines))
    _, now, _ = _run(["replay", "--rules", "tests/rules/scenarios.yaml", str(path)])
    assert _types(now) == ["io.leadq.lead.mql"]
    later = (T0 + timedelta(days=60)).isoformat()
    _, out, _ = _run(
        ["replay", "--rules", "tests/rules/scenarios.yaml", "--until", later, str(path)]
    )
    assert _types(out) == ["io.leadq.lead.mql", "io.leadq.lead.recycled"]
    recycled = TransitionEvent.model_validate_json(out.splitlines()[1])
    assert recycled.data.trigger_event_id is None
    assert recycled.time > T0 + timedelta(days=1)


def test_summary_counts_stages_and_scores(events_file: Path) -> None:
    code, out, _ = _run(
        ["replay", "--rules", "tests/rules/scenarios.yaml", "--summary", str(events_file)]
    )
    assert code == 0
    assert "lead.mql" in out
    assert "lead.sql" in out
    assert "u:ann" in out
    assert "acme" in out
    assert "bot" not in out  # machine opens are events, not stages


def test_rejected_input_is_reported_and_skipped(tmp_path: Path, events_file: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(events_file.read_text() + "{not json\n" + '{"hello": "world"}\n')
    code, out, err = _run(["replay", "--rules", "tests/rules/scenarios.yaml", str(bad)])
    assert code == 0
    assert _types(out) == ["io.leadq.lead.mql", "io.leadq.lead.sql"]
    assert "line 9" in err
    assert "line 10" in err
    assert "2 input item(s) rejected" in err
    code, _, _ = _run(["replay", "--rules", "tests/rules/scenarios.yaml", "--strict", str(bad)])
    assert code == 2


def test_reads_stdin_and_reports_bad_rules(events_file: Path, tmp_path: Path) -> None:
    code, out, _ = _run(
        ["replay", "--rules", "tests/rules/scenarios.yaml", "-"], stdin=events_file.read_bytes()
    )
    assert code == 0
    assert len(out.splitlines()) == 2
    rules = tmp_path / "bad.yaml"
    rules.write_text("stages: {mql: {enter: 10, exit: 20}}\n")
    code, _, err = _run(["replay", "--rules", str(rules), str(events_file)])
    assert code == 1
    assert "stages.mql" in err


def test_a_channel_prefix_names_the_topic_of_a_file(tmp_path: Path) -> None:
    signups = [_segment("track", f"s{i}", i, event="Signed Up") for i in range(3)]
    path = tmp_path / "product.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in signups))
    args = ["replay", "--rules", "tests/rules/scenarios.yaml"]
    # Segment track calls do not say their topic: read as web, product rules never match;
    # named as the product topic's, three signups (3 × 20, barely decayed) reach PQL entry 40.
    assert _types(_run([*args, str(path)])[1]) == []
    assert _types(_run([*args, f"product={path}"])[1]) == ["io.leadq.lead.pql"]
