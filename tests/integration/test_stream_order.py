"""The stream's final state is a function of the events, not of their arrival order.

- A backlog written topic by topic (every email event first, web last: what a catch-up
  after an outage of one source looks like), drained by one worker, ends lead by lead
  where ``leadq replay`` of the same events ends: scores, fit, traits, identity links,
  account membership (stages may differ: they are judged on arrival).
- An in-order stream where anonymous visitors identify (their earlier activity stitched
  into the identified lead) ends exactly where the replay ends, stages and explanations
  included.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from agents.worker import build_app
from bench.observe import PipelineObserver
from bench.reference import signals_of
from bench.workload import TOPICS, WorkloadConfig, generate
from leadq.compiled import compile_rules
from leadq.replay import replay
from schemas.rules import load_rules
from streams.settings import Settings
from tests.helpers import produce_records, running_app
from tests.integration.scenario import (
    Inbound,
    feed_in_event_order,
    open_store,
    recent_start,
    replay_of,
    segment,
    settle,
)

pytestmark = pytest.mark.integration
#: Written last: the web topic holds the identifies and group calls (who people are).
BACKLOG_ORDER = ("email", "product", "crm", "web")


async def test_a_backlog_drained_topic_by_topic_ends_like_the_replay(
    qualifier_settings: Settings,
) -> None:
    settings = qualifier_settings
    rules = compile_rules(load_rules(settings.rules_path))
    records = list(generate(WorkloadConfig(seed=11, events=3000)))
    signals, _ = signals_of(records)
    assert {r.topic for r in records} == set(TOPICS)
    names = settings.topics
    backlog = [
        (getattr(names, topic), r.key, r.value)
        for topic in BACKLOG_ORDER
        for r in records
        if r.topic == topic
    ]
    await produce_records(settings.kafka_bootstrap, backlog)
    async with PipelineObserver(settings) as observer, running_app(build_app(settings)):
        await observer.wait_applied(len(signals), deadline_s=120, alive=lambda: True)
        # Decay-driven transitions (the workload is months old) are fired by the timer.
        reference = await replay(signals, rules, until_ms=int(time.time() * 1000))
        async with open_store(settings, rules) as store:
            differences = await settle(store, reference, deadline_s=30, exact=False)
    assert differences == []
    assert len(list(reference.store.leads())) > 100  # the comparison saw real work


def stitching_story(people: int) -> list[Inbound]:
    """Each person visits anonymously (pricing, case studies, a webinar), then an identify
    names them (user id, work email, title); people interleave in event time."""
    start = recent_start()
    messages: list[tuple[int, Inbound]] = []
    for n in range(people):
        anon, user = f"anon-{n}", f"p{n}"
        steps = [("page", "/pricing"), ("page", "/customers/x"), ("track", "Webinar Attended")]
        for step, (kind, what) in enumerate(steps):
            at = start + timedelta(minutes=3 * step + n)
            fields = {"properties": {"path": what}} if kind == "page" else {"event": what}
            call = segment(kind, f"{user}-{step}", at, anonymous_id=anon, **fields)
            messages.append((3 * step + n, Inbound("web", anon, call)))
        at = start + timedelta(minutes=20 + n)
        traits = {"email": f"{user}@co{n % 4}.com", "seniority": ["vp", "director"][n % 2]}
        identify = segment(
            "identify", f"{user}-id", at, user_id=user, anonymous_id=anon, traits=traits
        )
        messages.append((20 + n, Inbound("web", anon, identify)))
        more = segment("page", f"{user}-9", at + timedelta(minutes=30), user_id=user,
                       properties={"path": "/pricing/teams"})  # fmt: skip
        messages.append((50 + n, Inbound("web", user, more)))
    return [m for _, m in sorted(messages, key=lambda pair: pair[0])]


async def test_an_in_order_stream_with_stitching_ends_exactly_like_the_replay(
    qualifier_settings: Settings,
) -> None:
    settings = qualifier_settings
    rules = compile_rules(load_rules(settings.rules_path))
    messages = stitching_story(12)
    reference = await replay_of(messages, rules)
    async with running_app(build_app(settings)), open_store(settings, rules) as store:
        await feed_in_event_order(settings, store, messages)
        differences = await settle(store, reference, exact=True)
    assert differences == []
    assert {lead.lead_id for lead in reference.store.leads()} == {f"u:p{n}" for n in range(12)}
