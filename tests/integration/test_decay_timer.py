"""Decay alone moves a lead: the worker's timer emits ``recycled`` at the computed time.

With a half-life of 2 s, a lead that is an MQL at time T with 20 fit + 110 intent
falls below the MQL exit (60) when 20 + 110·2^(−(t−T)/2 s) < 60, that is at
t = T + 2 s·log2(110/40) ≈ T + 2.92 s. Nothing is sent after the MQL: the transition
comes from the timer, carries no trigger event, and matches ``leadq replay`` with
``until`` past that time (id, time and explanation).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from agents.worker import build_app
from leadq.compiled import compile_rules
from leadq.replay import replay
from schemas.rules import load_rules
from schemas.transition import TransitionEvent, to_cloudevent
from streams.settings import Settings
from tests.helpers import produce_records, read_until, running_app
from tests.integration.scenario import Inbound, all_signals, open_store, segment

pytestmark = pytest.mark.integration
HALF_LIFE_S = 2.0


def fast_decay_rules(directory: Path) -> Path:
    """The example rules with every half-life at 2 s."""
    data = yaml.safe_load(Path("tests/rules/scenarios.yaml").read_text())
    data["intent"]["half_lives"] = dict.fromkeys(data["intent"]["half_lives"], "2s")
    path = directory / "fast-decay.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def burst(at: datetime) -> list[Inbound]:
    """A VP at a work address (fit 20) and 110 points of intent, all at one instant
    (ids in sending order, so the replay's tie-break keeps that order)."""
    user = "vic"
    calls = [
        segment("identify", "dt-00", at, user_id=user, traits={
            "email": "vic@acme.com", "seniority": "vp"}),
        *[segment("page", f"dt-0{n}", at, user_id=user, properties={"path": path})
          for n, path in enumerate(["/pricing", "/pricing/teams"], start=1)],
        *[segment("page", f"dt-0{n}", at, user_id=user, properties={"path": f"/customers/{n}"})
          for n in range(3, 6)],
        *[segment("track", f"dt-0{n}", at, user_id=user, event="Webinar Attended")
          for n in range(6, 10)],
        segment("track", "dt-10", at, user_id=user, event="Webinar Attended"),
    ]  # fmt: skip
    return [Inbound("web", user, call) for call in calls]


async def test_the_timer_recycles_a_decayed_mql_at_the_computed_time(
    qualifier_settings: Settings, tmp_path: Path
) -> None:
    settings = qualifier_settings.with_changes(rules_path=fast_decay_rules(tmp_path))
    rules = compile_rules(load_rules(settings.rules_path))
    async with running_app(build_app(settings)), open_store(settings, rules) as store:
        now = datetime.now(UTC)
        at = now.replace(microsecond=now.microsecond // 1000 * 1000)  # whole ms
        messages = burst(at)
        await produce_records(settings.kafka_bootstrap, [m.outgoing(settings) for m in messages])
        records = await read_until(
            settings.kafka_bootstrap,
            [settings.topics.routing],
            lambda rs: len(rs) >= 2,
            deadline_s=20,
        )
        lead = await store.lead("u:vic")

    mql, recycled = (TransitionEvent.model_validate_json(r.value or b"") for r in records[:2])
    assert (mql.type, mql.data.trigger_event_id) == ("io.leadq.lead.mql", "dt-07")
    assert mql.data.score == pytest.approx(100.0)  # reached with the second webinar
    assert recycled.type == "io.leadq.lead.recycled"
    assert recycled.data.trigger_event_id is None
    assert recycled.data.reason == "score decayed below MQL exit 60"
    t_ms = int(at.timestamp() * 1000)
    due_ms = t_ms + HALF_LIFE_S * 1000 * math.log2(110 / 40)
    assert abs(recycled.time.timestamp() * 1000 - due_ms) <= 1.0
    assert recycled.data.score == pytest.approx(60.0, abs=0.01)

    reference = await replay(all_signals(messages), rules, until_ms=t_ms + 60_000)
    assert [to_cloudevent(t) for t in reference.transitions] == [mql, recycled]
    assert lead is not None
    assert lead.stage == "recycled"
    assert all(lead.has_seen(s.event_id) for s in all_signals(messages))
