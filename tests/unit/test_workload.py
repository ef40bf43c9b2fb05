"""The benchmark workload: deterministic, realistic in mix, and it exercises every stage."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from bench.behaviour import business_hours, plan_phases
from bench.population import COMPETITOR_DOMAINS
from bench.reference import read_topic_files, replay_records, signals_of
from bench.workload import TOPICS, LabelledRecord, WorkloadConfig, generate, generate_labelled
from bench.workload_cli import main
from leadq.adapters import normalize_bytes
from leadq.compiled import compile_rules
from leadq.identity import identity_keys
from schemas.rules import load_rules
from schemas.signal import Signal

RULES = Path(__file__).resolve().parents[2] / "rules" / "example.yaml"
CONFIG = WorkloadConfig(seed=7, events=5000)


@pytest.fixture(scope="module")
def labelled() -> list[LabelledRecord]:
    return list(generate_labelled(CONFIG))


@pytest.fixture(scope="module")
def signals(labelled: list[LabelledRecord]) -> list[Signal]:
    return signals_of(item.record for item in labelled)[0]


def _documents(labelled: list[LabelledRecord], topic: str) -> list[Any]:
    return [
        orjson.loads(item.record.value)
        for item in labelled
        if item.record.topic == topic and item.malformed is None
    ]


def test_same_seed_same_bytes_other_seed_other_bytes(labelled: list[LabelledRecord]) -> None:
    again = list(generate(CONFIG))
    assert again == [item.record for item in labelled]
    other = list(generate(WorkloadConfig(seed=8, events=5000)))
    assert other != again


def test_exact_count_in_event_time_order_within_the_span(labelled: list[LabelledRecord]) -> None:
    times = [item.at_ms for item in labelled]
    assert len(labelled) == CONFIG.events
    assert times == sorted(times)
    assert CONFIG.start_ms <= times[0]
    assert times[-1] <= CONFIG.end_ms + 3_600_000


def test_topics_and_formats_in_expected_proportions(labelled: list[LabelledRecord]) -> None:
    share: Counter[str] = Counter(item.record.topic for item in labelled)
    bounds = {"web": (0.55, 0.75), "email": (0.15, 0.30), "product": (0.07, 0.20)}
    for topic, (low, high) in bounds.items():
        assert low <= share[topic] / CONFIG.events <= high, (topic, share)
    assert 0.002 <= share["crm"] / CONFIG.events <= 0.03
    web_types = Counter(str(d["type"]) for d in _documents(labelled, "web"))
    assert web_types["page"] > web_types["identify"] > 0
    assert web_types["group"] > 0
    assert web_types["track"] > 0
    assert all(isinstance(d, list) and d for d in _documents(labelled, "email"))  # SendGrid
    products = _documents(labelled, "product")
    assert all(d["type"] == "track" for d in products)
    assert all(d["schema_version"] == 1 for d in _documents(labelled, "crm"))


def test_good_records_normalize_and_malformed_ones_are_rejected() -> None:
    kinds: Counter[str] = Counter()
    for item in generate_labelled(WorkloadConfig(seed=3, events=4000, malformed_rate=0.03)):
        result = normalize_bytes(item.record.value, channel=item.record.topic)
        if item.malformed is None:
            assert not result.rejects, (item, result.rejects)
            assert result.signals, item
        else:
            kinds[item.malformed] += 1
            assert result.rejects, item
    assert set(kinds) == {"not_json", "wrong_type", "unknown_format", "no_identity"}
    assert 60 <= kinds.total() <= 180


def test_keys_are_the_preferred_lead_identity(labelled: list[LabelledRecord]) -> None:
    # The same key ``leadq produce`` derives: the first signal's most preferred identity.
    for item in labelled:
        if item.malformed is None:
            first = normalize_bytes(item.record.value, channel=item.record.topic).signals[0]
            assert item.record.key == identity_keys(first)[0].encode()


def test_machine_opens_scanner_bursts_and_people_alike(signals: list[Signal]) -> None:
    email = Counter((s.name, s.bot_reason) for s in signals if s.channel == "email")
    assert email["open", "sendgrid_machine_open"] > 0
    assert email["click", "scanner_click_burst"] > 0
    assert email["open", None] > 0
    assert email["click", None] > 0
    assert email["delivered", None] > 0
    assert email["unsubscribe", None] > 0


def test_anonymous_visitors_identify_later(signals: list[Signal]) -> None:
    anonymous_first: set[str] = set()
    stitched = 0
    for signal in sorted(signals, key=lambda s: s.occurred_ms):
        identity = signal.identity
        if identity.anonymous_id and not identity.user_id:
            anonymous_first.add(identity.anonymous_id)
        elif signal.type == "identify" and identity.anonymous_id in anonymous_first:
            stitched += bool(identity.user_id and identity.email)
    assert stitched >= 10


def test_replay_reaches_every_stage() -> None:
    config = WorkloadConfig(seed=7, events=2000, accounts=15)
    rules = compile_rules(load_rules(RULES))
    until_ms = config.end_ms + 60 * 86_400_000
    result = replay_records(generate(config), rules, until_ms)
    stages = Counter(f"{t.entity}.{t.stage_to}" for t in result.transitions)
    for stage in ("lead.mql", "lead.sql", "account.mqa", "lead.pql", "lead.disqualified"):
        assert stages[stage] > 0, stages
    by_decay = [
        t for t in result.transitions if t.stage_to == "recycled" and not t.trigger_event_id
    ]
    assert by_decay, stages


def test_competitors_are_the_rules_competitors() -> None:
    rules = yaml.safe_load(RULES.read_text())
    competitor = next(d for d in rules["fit"]["disqualifiers"] if d["id"] == "competitor")
    assert set(COMPETITOR_DOMAINS) <= set(competitor["when"]["email_domain"])


@pytest.mark.parametrize("budget", [1, 11, 12, 121, 301, 5000])
def test_phase_budgets_sum_exactly(budget: int) -> None:
    import random

    phases = plan_phases(random.Random(budget), 0, 90 * 86_400_000, budget)
    assert sum(p.budget for p in phases) == budget
    assert all(p.budget >= 0 for p in phases)
    assert [p.end_ms for p in phases] == sorted(p.end_ms for p in phases)


def test_business_hours_only_moves_forward() -> None:
    import random

    rng = random.Random(1)
    for at_ms in range(0, 14 * 86_400_000, 3_600_000 * 5 + 17):
        assert business_hours(at_ms, -5, rng) >= at_ms


def test_bad_configs_are_refused() -> None:
    with pytest.raises(ValueError, match="malformed_rate"):
        WorkloadConfig(malformed_rate=1.5)
    with pytest.raises(ValueError, match="span"):
        WorkloadConfig(span=timedelta(hours=1))
    assert list(generate(WorkloadConfig(events=0))) == []


def test_cli_writes_json_lines_and_topic_files(tmp_path: Path) -> None:
    out, by_topic = tmp_path / "all.jsonl", tmp_path / "topics"
    assert (
        main(["--seed", "5", "--events", "600", "--out", str(out), "--by-topic", str(by_topic)])
        == 0
    )
    records = list(generate(WorkloadConfig(seed=5, events=600)))
    assert out.read_bytes() == b"".join(r.value + b"\n" for r in records)
    assert sorted(p.name for p in by_topic.iterdir()) == sorted(f"{t}.jsonl" for t in TOPICS)
    from_files = Counter(r.topic for r in read_topic_files(by_topic))
    assert from_files == Counter(r.topic for r in records)
