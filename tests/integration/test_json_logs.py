"""``LEADQ_LOG_FORMAT=json``: a real worker process writes one JSON object per line.

The worker streams the two-company story, an email-only lead accepted by sales (its
lead id is an email address) and one unreadable message, then stops on SIGTERM. Every
line of its output parses as JSON with ``time``, ``level``, ``logger`` and ``message``;
the dead letter is logged at info with its topic, partition, offset and reason, and
each transition with its type, entity and stages; no line holds an email address
(the story's people have emails in their traits; the sales-accepted lead's id is
logged as ``e:email:<hash>``).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.settings import Settings
from streams.worker_process import WORKER_STOP_TIMEOUT_S, worker_process
from tests.helpers import produce_records, read_until
from tests.integration.scenario import canonical, recent_start, story

pytestmark = pytest.mark.integration
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


async def test_a_json_worker_logs_one_object_per_line_without_emails(
    qualifier_settings: Settings, tmp_path: Path
) -> None:
    settings = qualifier_settings.with_changes(log_format="json")
    start = recent_start()
    zed = canonical("crm", "sales_accepted", "zed-ok", start, email="zed@initech.io")
    records = [m.outgoing(settings) for m in story(start)]
    records += [
        (settings.topics.web, b"bad", b"{not json"),
        (settings.topics.crm, b"e:zed", orjson.dumps(zed)),
    ]
    worker = worker_process(settings, tmp_path, "worker (json logs)")
    worker.start()
    try:
        await produce_records(settings.kafka_bootstrap, records)
        topics = [settings.topics.routing, settings.topics.dead_letter]
        await read_until(
            settings.kafka_bootstrap, topics, lambda rs: _zed_and_dead(rs, settings), 60,
            worker.running,
        )  # fmt: skip
    finally:
        assert worker.stop(WORKER_STOP_TIMEOUT_S) == 0, worker.log_tail(40)
    text = worker.log_path.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]

    assert len(lines) > 5
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys(), line
        assert line["time"].endswith("Z")
    dead = [line for line in lines if line.get("event") == "dead_letter"]
    assert len(dead) == 1
    assert dead[0]["level"] == "info"
    assert dead[0]["topic"] == settings.topics.web
    assert dead[0]["category"] == "unreadable"
    assert isinstance(dead[0]["partition"], int)
    assert isinstance(dead[0]["offset"], int)
    assert dead[0]["reason"]
    moves = {line["entity_id"]: line for line in lines if line.get("event") == "transition"}
    assert {"u:ann", "acme.com"} <= moves.keys()
    zed_ref = f"e:email:{hashlib.sha256(b'zed@initech.io').hexdigest()[:12]}"
    assert moves[zed_ref]["type"] == "io.leadq.lead.sql"
    assert all(line["level"] == "info" for line in moves.values())
    assert not EMAIL.search(text), EMAIL.findall(text)
    for address in ("zed@initech.io", "ann@acme.com", "bob@acme.com"):
        assert address not in text


def _zed_and_dead(records: Any, settings: Settings) -> bool:
    topics = {r.topic for r in records}
    zed = any(b"zed-ok" in (r.value or b"") for r in records)
    return settings.topics.dead_letter in topics and zed
