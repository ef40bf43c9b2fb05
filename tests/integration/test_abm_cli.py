"""``leadq abm`` as a process: it signals an account that entered MQA, stops cleanly on
SIGTERM, and a user mistake (broker down, a bad setting) is one line, exit 1."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from schemas.abm import AbmEvent
from schemas.transition import AccountContext, TransitionData, to_cloudevent
from streams.settings import Settings
from tests.helpers import produce_records, read_until

pytestmark = pytest.mark.integration


def _abm(settings: Settings, *args: str, **env_changes: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADQ_")}
    env |= settings.to_env() | env_changes
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "abm", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def entered_mqa() -> bytes:
    at = datetime.now(UTC).replace(microsecond=0)
    data = TransitionData(
        entity="account", entity_id="initech.com", track="account", stage_from="unengaged",
        stage_to="mqa", reason="account score 151.0 reached MQA entry 150", score=151.0,
        threshold=150.0, intent_score=151.0, intent_by_category={"web": 151.0}, top_signals=(),
        trigger_event_id="e-1", rules_version="test", at=at,
        account=AccountContext(account_id="initech.com", domain="initech.com", stage="mqa",
                               intent_score=151.0, engaged_people=3,
                               personas=("decision_maker", "user")),
    )  # fmt: skip
    return to_cloudevent(data).model_dump_json().encode()


async def test_leadq_abm_signals_and_stops_cleanly(qualifier_settings: Settings) -> None:
    settings = qualifier_settings
    process = _abm(settings)
    try:
        await produce_records(
            settings.kafka_bootstrap, [(settings.topics.routing, b"initech.com", entered_mqa())]
        )
        found = await read_until(
            settings.kafka_bootstrap, [settings.topics.abm], lambda rs: len(rs) >= 3
        )
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = await asyncio.to_thread(process.communicate, timeout=30)
    assert process.returncode == 0, errors
    events = [AbmEvent.model_validate_json(r.value or b"") for r in found]
    assert sorted(e.type for e in events) == [
        "io.leadq.account.mqa",
        "io.leadq.account.persona_engaged",
        "io.leadq.account.persona_engaged",
    ]
    assert {r.key for r in found} == {b"initech.com"}
    assert all(r.headers == {"content-type": b"application/cloudevents+json"} for r in found)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"LEADQ_KAFKA_BOOTSTRAP": "127.0.0.1:1"}, "leadq abm: cannot reach Kafka at 127.0.0.1:1"),
        ({"LEADQ_ABM__SURGE_FACTOR": "0.5"}, "leadq abm: invalid LEADQ_* settings: abm.surge"),
    ],
)
def test_leadq_abm_mistakes_are_one_line(
    leadq_settings: Settings, changes: dict[str, str], says: str
) -> None:
    process = _abm(leadq_settings, "--startup-timeout", "0.5", **changes)
    output, errors = process.communicate(timeout=30)
    assert process.returncode == 1
    assert errors.startswith(says), errors
    assert len(errors.strip().splitlines()) == 1, errors
    assert output == ""
