"""Lead-to-account matching: a group whose ``website``/``domain`` names a company domain and
the people whose email is at that domain are one account (keyed by the domain, listing
the group ids), whatever the order the events arrive in; free-mail domains never form or
link accounts. Runs on the in-memory store and on Redis (``store_kind``).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from pydantic import JsonValue

from leadq.adapters._common import domain_of
from leadq.compiled import CompiledRules, compile_rules
from leadq.identity import AccountFacts, Fact, signal_facts
from leadq.views import account_view
from schemas.rules import load_rules
from schemas.signal import Account, Identity, Signal, SignalType
from schemas.transition import ms_to_datetime
from tests.harness import World, new_world

pytestmark = pytest.mark.usefixtures("store_kind")

RULES: CompiledRules = compile_rules(
    load_rules(Path(__file__).resolve().parents[1] / "rules" / "scenarios.yaml")
)
T0 = 1_767_225_600_000
_ids = itertools.count(1)


def sig(
    user: str,
    *,
    at: int,
    kind: SignalType = "track",
    name: str = "",
    email: str | None = None,
    group: str | None = None,
    domain: str | None = None,
    traits: dict[str, JsonValue] | None = None,
) -> Signal:
    return Signal(
        event_id=f"am-{next(_ids):05d}",
        channel="web",
        type=kind,
        name=name,
        occurred_at=ms_to_datetime(at),
        identity=Identity(user_id=user, email=email),
        account=Account(id=group, domain=domain),
        properties={"path": "/pricing"} if kind == "page" else {},
        traits=traits or {},
    )


def _acme_events() -> list[Signal]:
    """Ada is known only by her email at acme-robotics.com; Bob's app sends a group call
    for acct-acme-robotics whose website is that domain."""
    return [
        sig("ada", at=T0, kind="identify", email="ada@acme-robotics.com",
            traits={"title": "VP Engineering"}),
        sig("ada", at=T0 + 1, kind="page"),
        sig("bob", at=T0 + 2, kind="group", group="acct-acme-robotics",
            domain=domain_of("https://www.Acme-Robotics.com/about"),
            traits={"name": "Acme Robotics", "employees": 1200}),
        sig("bob", at=T0 + 3, kind="page", group="acct-acme-robotics"),
    ]  # fmt: skip


async def _run(events: list[Signal]) -> World:
    world = new_world(RULES)
    for signal in events:
        await world.process(signal)
    return world


@pytest.mark.parametrize("order", ["in order", "reversed"])
async def test_a_group_and_the_people_at_its_domain_are_one_account(order: str) -> None:
    events = _acme_events()
    world = await _run(events if order == "in order" else events[::-1])
    ada, bob = await world.lead("u:ada"), await world.lead("u:bob")
    assert ada.account_id == bob.account_id == "acme-robotics.com"
    account = await world.account("acme-robotics.com")
    assert sorted(account.members) == ["u:ada", "u:bob"]
    view = account_view(account, T0 + 3, RULES)
    assert view.ids == ("acct-acme-robotics", "acme-robotics.com")
    assert view.domains == ("acme-robotics.com",)
    assert view.traits["employees"] == 1200  # the group call's firmographics are there


async def test_a_group_without_a_website_stays_its_own_account() -> None:
    world = await _run(
        [
            sig("ada", at=T0, kind="identify", email="ada@acme-robotics.com"),
            sig("bob", at=T0 + 1, kind="group", group="acct-acme-robotics"),
        ]
    )
    assert (await world.lead("u:ada")).account_id == "acme-robotics.com"
    assert (await world.lead("u:bob")).account_id == "acct-acme-robotics"


async def test_free_mail_never_forms_or_links_an_account() -> None:
    world = await _run(
        [
            sig("ada", at=T0, kind="identify", email="ada@gmail.com"),
            sig("bob", at=T0 + 1, kind="group", group="acct-solo", domain="gmail.com"),
        ]
    )
    assert (await world.lead("u:ada")).account_id is None
    assert (await world.lead("u:bob")).account_id == "acct-solo"


async def test_a_later_group_call_without_website_keeps_the_link() -> None:
    world = await _run(
        [
            sig("bob", at=T0, kind="group", group="acct-acme", domain="acme.io"),
            sig("bob", at=T0 + 1, kind="group", group="acct-acme", traits={"plan": "pro"}),
        ]
    )
    bob = await world.lead("u:bob")
    assert bob.account_id == "acme.io"
    assert (await world.account("acme.io")).traits["plan"][0] == "pro"


def test_account_facts_join_in_any_order() -> None:
    facts = [
        signal_facts(s, RULES.free_mail)
        for s in [
            sig("x", at=T0, kind="group", group="g1", domain="one.io"),
            sig("x", at=T0 + 5, kind="group", group="g2"),
            sig("x", at=T0 + 9, kind="group", group="g1"),
            sig("x", at=T0 + 2, kind="group", group="g1", domain="uno.io"),
            sig("x", at=T0 + 1, email="x@corp.io"),
        ]
    ]  # fmt: skip
    results = set()
    for perm in itertools.permutations(facts):
        joined = AccountFacts()
        for f in perm:
            joined = joined.join(f)
        results.add((joined.account, joined.links, joined.domain))
    assert results == {
        (
            "one.io",  # the newest group is g1; its earliest linked domain is one.io
            (("g1", Fact("one.io", T0, facts[0].links[0][1].event_id)),),
            Fact("one.io", T0, facts[0].links[0][1].event_id),
        )
    }


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("https://www.Acme.com/about?x=1", "www.acme.com"),
        ("acme.com", "acme.com"),
        ("acme.com:8443/path", "acme.com"),
        ("http://user:pw@acme.com.", "acme.com"),
        ("//acme.com", "acme.com"),
        ("  ", None),
        ("", None),
    ],
)
def test_websites_are_normalised_to_a_host(raw: str, host: str | None) -> None:
    assert domain_of(raw) == host
