"""``leadq backfill``: history into the live Redis state, idempotent, then the stream on top.

The story's events are backfilled with the command line into a Redis of the test's own;
the state equals ``leadq replay`` of the same events, lead by lead; running it again
changes nothing; then newer events streamed through a worker end where the replay of
everything ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from agents.worker import build_app
from leadq.compiled import compile_rules
from schemas.rules import load_rules
from streams.settings import Settings
from tests.helpers import running_app
from tests.integration.scenario import (
    feed_in_event_order,
    open_store,
    recent_start,
    replay_of,
    segment,
    settle,
    state_differences,
    story,
)

pytestmark = pytest.mark.integration


def leadq_backfill(settings: Settings, rules: Path, events: Path) -> str:
    env = {**os.environ, **settings.to_env()}
    done = subprocess.run(
        [sys.executable, "-m", "cli", "backfill", "--rules", str(rules), str(events)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_backfill_then_stream_ends_like_the_replay_of_everything(
    qualifier_settings: Settings, tmp_path: Path
) -> None:
    settings = qualifier_settings
    rules = compile_rules(load_rules(settings.rules_path))
    history = story(recent_start(hours_ago=4))
    events = tmp_path / "history.jsonl"
    events.write_bytes(b"".join(m.value + b"\n" for m in history))

    first = leadq_backfill(settings, settings.rules_path, events)
    assert first.startswith(f"backfilled {sum(len(m.signals()) for m in history)} signal(s)")
    assert "unpublished" in first  # the story's stage changes, counted, not published
    reference = await replay_of(history, rules)
    async with open_store(settings, rules) as store:
        assert await state_differences(store, reference) == []
        again = leadq_backfill(settings, settings.rules_path, events)
        assert "duplicate" in again
        assert "applied" not in again
        assert await state_differences(store, reference) == []

    later = recent_start(hours_ago=1)
    newer = [
        m.__class__(m.channel, m.key, segment("page", f"new-{n}", later + timedelta(minutes=n),
                    user_id=m.key, properties={"path": "/pricing"}))
        for n, m in enumerate(history[:3])
        if m.channel == "web"
    ]  # fmt: skip
    everything = await replay_of([*history, *newer], rules)
    async with running_app(build_app(settings)), open_store(settings, rules) as store:
        await feed_in_event_order(settings, store, newer)
        assert await settle(store, everything) == []
