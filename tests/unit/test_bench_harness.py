"""The harness's own logic: profile summaries, latency matching, log scanning, options."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from bench.__main__ import parse_args
from bench.latency import event_ids, latencies, warmup_record
from bench.profile import component, function, parse, summarize
from bench.runner import SCENARIOS, BenchConfig
from bench.throughput import log_errors

SITE = "/v/lib/python3.11/site-packages"
MAIN = f"thread (11): MainThread;<module> ({SITE}/leadq/__main__.py:3)"
PROFILE = [
    f"{MAIN};qualify (/work/main/agents/qualifier.py:40);apply (/work/main/streams/store.py:10) 6",
    f"{MAIN};send ({SITE}/faust/topics.py:99) 3",
    f"thread (12): Thread-1;run (/usr/lib/python3.11/threading.py:9);fetch "
    f"({SITE}/aiokafka/consumer.py:1) 1",
    "not a sample line",
]


def test_a_py_spy_profile_is_parsed_and_summarized() -> None:
    samples = parse(PROFILE)
    assert [(s.thread, s.count) for s in samples] == [
        ("MainThread", 6),
        ("MainThread", 3),
        ("Thread-1", 1),
    ]
    text = summarize(samples, top=5, seconds=1.0, rate_hz=10)
    assert "10 samples" in text
    assert "90.0%  MainThread, busy 90% of the run" in text
    assert "60.0%  leadq streams (store, codec, prepare)" in text
    assert "30.0%  faust" in text
    # <module> is on every MainThread sample: an entry frame, left out of the ranking.
    inclusive = text.split("inclusive")[1].split("self")[0]
    assert "<module>" not in inclusive
    assert "qualify (agents/qualifier.py)" in inclusive


def test_frames_are_named_without_line_numbers_and_classified() -> None:
    frame = "Topic.send (/v/lib/python3.11/site-packages/faust/topics.py:120)"
    assert function(frame) == "Topic.send (faust/topics.py)"
    assert component(frame) == "faust"
    assert component("apply (/work/main/streams/store.py:1)").startswith("leadq streams")
    assert component("f (/usr/lib/python3.11/threading.py:1)").startswith("other")


def _transition(event_id: str, trigger: str | None) -> bytes:
    return orjson.dumps({"id": event_id, "data": {"trigger_event_id": trigger}})


def test_latencies_match_triggers_to_send_times_once_per_transition_id() -> None:
    sent_at = {"e1": (0, 1000), "e2": (1, 2000)}
    routed = [
        (1050, _transition("t1", "e1")),
        (1070, _transition("t1", "e1")),  # a duplicate delivery: counted once
        (2300, _transition("t2", "e2")),
        (2400, _transition("t3", None)),  # decay-driven: no trigger
        (2500, _transition("t4", "unknown")),  # not an event of ours
    ]
    assert latencies(routed, sent_at, 2) == [[50.0], [300.0]]


def test_event_ids_of_a_record_and_the_warm_up_event() -> None:
    warmup = warmup_record(3)
    assert event_ids(warmup) == ["bench-warmup-3"]
    assert warmup.key == b"u:bench-warmup-3"


def test_worker_log_errors_are_counted_with_their_exception(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    log.write_text(
        "[2026-11-24 10:00:00,000] [1] [INFO] ready\n"
        "[2026-11-24 10:00:01,000] [1] [ERROR] qualifying failed on a batch of 411; isolating\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in f\n'
        "KeyError: 'e:someone'\n"
        "[2026-11-24 10:00:02,000] [1] [ERROR] qualifying failed on a batch of 500; isolating\n"
        "Traceback (most recent call last):\n"
        "KeyError: 'e:other'\n"
        "[2026-11-24 10:00:03,000] [1] [ERROR] something else\n"
        "[2026-11-24 10:00:04,000] [1] [INFO] done\n"
    )
    assert log_errors(log) == {
        "qualifying failed on a batch of N → KeyError": 2,
        "something else": 1,
    }
    assert log_errors(tmp_path / "missing.log") == {}


def test_options_pick_sizes_and_scenarios() -> None:
    quick = parse_args(["--quick"])
    assert quick == BenchConfig.quick()
    assert quick.known_large < BenchConfig.full().known_large
    custom = parse_args(["--events", "5000", "--only", "raw, leadq", "--latency", "100:2,200:1"])
    assert custom.mode == "full"
    assert custom.events == 5000
    assert custom.only == frozenset({"raw", "leadq"})
    assert custom.latency == ((100.0, 2.0), (200.0, 1.0))
    assert custom.latency_workers == 1
    assert parse_args(["--latency-workers", "2"]).latency_workers == 2
    assert parse_args([]).only == frozenset(SCENARIOS)
    with pytest.raises(SystemExit):
        parse_args(["--only", "nonsense"])
