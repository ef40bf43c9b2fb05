"""The router on the real broker and Redis: transitions in, one assignment each out.

Re-deliveries (the same transition produced again), a router restarted mid-way and two
routers racing on one team never assign a transition twice; owners stick to accounts;
round robin follows the weights across restarts (its state is in Redis).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from agents.router import Pending, Router
from agents.worker import build_app
from streams.process import free_port
from streams.settings import RoutingSettings, Settings
from streams.state.connect import redis_client
from streams.state.keys import Keys
from tests.helpers import produce, read_until, running_app, wait_for
from tests.integration.routing_support import (
    assignments,
    read_assignments,
    routing_file,
    send_transitions,
    transition,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def router_settings(qualifier_settings: Settings, tmp_path: Path) -> Settings:
    return qualifier_settings.with_changes(routing_path=routing_file(tmp_path))


def router_of(app: object) -> Router:
    router: Router = app.leadq_router  # type: ignore[attr-defined]
    return router


async def test_a_transition_is_assigned_once_with_owner_team_and_why(
    router_settings: Settings,
) -> None:
    ada = transition("u:ada", account="acme.io")
    app = build_app(router_settings, only=["router"])
    async with running_app(app):
        await send_transitions(router_settings, [ada, ada])  # a re-delivery right away
        [event] = await read_assignments(router_settings, 1)
        router = router_of(app)
        await wait_for(lambda: _value(router.counters.duplicates == 1), "duplicate seen")
    assert event.type == "io.leadq.lead.assigned"
    data = event.data
    assert (data.transition_id, data.team.id, data.owner.id, data.rule) == (
        ada.id,
        "inbound",
        "r1",
        "mql",
    )
    assert data.reason == "round robin: weight 2, 1 today"
    assert data.sla_deadline is not None
    assert data.account is not None
    assert data.account.account_id == "acme.io"
    assert event.partitionkey == "u:ada"


async def _value(value: bool) -> bool:
    return value


async def test_restarts_and_re_deliveries_never_assign_twice_and_round_robin_continues(
    router_settings: Settings,
) -> None:
    first = [transition(f"u:lead-{n}") for n in range(4)]
    second = [transition(f"u:lead-{n}") for n in range(4, 8)]
    async with running_app(build_app(router_settings, only=["router"])):
        await send_transitions(router_settings, first)
        await read_assignments(router_settings, 4)
    # The same transitions again (a replayed outbox), then new ones, to a new router
    # process of the same group: it also re-reads whatever was not committed.
    await send_transitions(router_settings, [*first, *second])
    async with running_app(build_app(router_settings, only=["router"])) as app:
        await read_assignments(router_settings, 8)
        await wait_for(lambda: _value(router_of(app).counters.duplicates >= 4), "duplicates")
        await asyncio.sleep(1.0)  # anything extra would arrive now
        records = await read_until(
            router_settings.kafka_bootstrap,
            [router_settings.topics.assignments],
            lambda found: len(found) >= 8,
        )
    events = assignments(records)
    assert len(events) == 8
    assert len({e.id for e in events}) == 8
    assert sorted(e.data.lead.lead_id for e in events) == sorted(f"u:lead-{n}" for n in range(8))
    # Weights 2:1:1 hold across the restart: the credit lives in Redis.
    assert Counter(e.data.owner.id for e in events) == {"r1": 4, "r2": 2, "r3": 2}


async def test_two_routers_racing_on_one_team_assign_each_transition_once(
    router_settings: Settings,
) -> None:
    leads = [transition(f"u:race-{n}", account=f"acct-{n % 3}.io") for n in range(30)]
    one = build_app(router_settings, only=["router"])
    two = build_app(router_settings.with_changes(web_port=free_port()), only=["router"])
    async with running_app(one), running_app(two):
        router_one, router_two = router_of(one), router_of(two)

        async def route_all(router: Router) -> list[list[Pending]]:
            return [await router.route(event) for event in leads]

        # Both route every transition, as two consumers of one re-delivered batch would,
        # at the same time, straight through their stores; and a third burst at once.
        results = await asyncio.gather(route_all(router_one), route_all(router_two))
        burst = await asyncio.gather(*(router_one.route(event) for event in leads[:10]))
    decided = [item for result in results for found in result for item in found]
    assert all(found == [] for found in burst)
    assert len(decided) == 30
    assert router_one.counters.duplicates + router_two.counters.duplicates == 40
    assert router_one.counters.assigned + router_two.counters.assigned == 30
    events = [__import__("orjson").loads(body)["data"] for _, _, body in decided]
    # Owners stick to accounts: every lead of an account has the account's first owner.
    owners: dict[str, set[str]] = {}
    for data in events:
        owners.setdefault(data["account"]["account_id"], set()).add(data["owner"]["id"])
    assert all(len(found) == 1 for found in owners.values()), owners


async def test_a_record_that_is_not_a_transition_is_dead_lettered_and_routing_goes_on(
    router_settings: Settings,
) -> None:
    topics = router_settings.topics
    async with running_app(build_app(router_settings, only=["router"])):
        await produce(router_settings.kafka_bootstrap, topics.routing, [b"{not json", b"[]"])
        await send_transitions(router_settings, [transition("u:after")])
        [event] = await read_assignments(router_settings, 1)
        letters = await read_until(
            router_settings.kafka_bootstrap, [topics.dead_letter], lambda found: len(found) >= 2
        )
    assert event.data.lead.lead_id == "u:after"
    assert sorted(r.value or b"" for r in letters) == [b"[]", b"{not json"]
    for letter in letters:
        assert letter.headers["leadq.source.topic"] == topics.routing.encode()
        assert letter.headers["leadq.reason"].startswith(b"not a transition: ")


async def test_a_router_that_died_between_deciding_and_publishing_is_covered_once(
    router_settings: Settings,
) -> None:
    """The decision is in Redis, its event only in the team's outbox, the transition
    not committed: the next router finds the transition processed (no second decision)
    and its outbox sweep publishes the one event."""
    settings = router_settings.with_changes(
        routing=RoutingSettings(outbox_abandoned_after_s=0.5).model_dump()
    )
    ada = transition("u:ada")
    async with running_app(build_app(settings, only=["router"])) as crashed:
        pending = await router_of(crashed).route(ada)  # decided, never published
    assert len(pending) == 1
    await send_transitions(settings, [ada])  # read again: it was never committed
    async with running_app(build_app(settings, only=["router"])) as app:
        router = router_of(app)
        [event] = await read_assignments(settings, 1)
        await wait_for(lambda: _value(router.counters.duplicates == 1), "the re-delivery seen")
        await asyncio.sleep(1.5)  # a second publication would arrive by now
        assert len(await read_assignments(settings, 1)) == 1
    assert event.id == pending[0][1]
    assert router.counters.assigned == 0


async def test_a_transition_the_router_fails_on_is_dead_lettered_alone(
    router_settings: Settings,
) -> None:
    """A lead whose stored state cannot be read (here: a corrupt index record) makes
    routing its transition fail every time: that record alone is dead-lettered with
    the error, and the others of its batch are routed."""
    client = redis_client(router_settings.redis_url)
    try:
        await client.set(Keys().identity("u:broken"), b"\xff not a record")
    finally:
        await client.aclose()
    batch = [transition("u:before"), transition("u:broken"), transition("u:after")]
    async with running_app(build_app(router_settings, only=["router"])):
        await send_transitions(router_settings, batch)
        events = await read_assignments(router_settings, 2)
        letters = await read_until(
            router_settings.kafka_bootstrap,
            [router_settings.topics.dead_letter],
            lambda found: len(found) >= 1,
        )
    assert sorted(e.data.lead.lead_id for e in events) == ["u:after", "u:before"]
    [letter] = letters
    assert letter.value == batch[1].model_dump_json().encode()
    assert letter.headers["leadq.reason"].startswith(b"router failed on this record: ")


async def test_a_changed_routing_file_is_used_without_a_restart_and_a_broken_one_is_not(
    router_settings: Settings, tmp_path: Path
) -> None:
    assert router_settings.routing_path is not None
    path = router_settings.routing_path
    async with running_app(build_app(router_settings, only=["router"])) as app:
        router = router_of(app)
        first = router.config.version
        path.write_text("teams: [oops\n", encoding="utf-8")
        await asyncio.sleep(6.0)  # the reload timer runs every 5 s
        assert router.config.version == first
        routing_file(tmp_path, reps=[{"id": "z9"}])  # rewrites the same file

        async def reloaded() -> bool:
            return router.config.version != first

        await wait_for(reloaded, "the new routing file in force", deadline_s=10)
        await send_transitions(router_settings, [transition("u:later")])
        [event] = await read_assignments(router_settings, 1)
    assert event.data.owner.id == "z9"
