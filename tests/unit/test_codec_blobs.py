"""State blobs round-trip, and are written compactly (streams/codec.py)."""

from __future__ import annotations

import msgpack
import pytest

from leadq.decay import Decayed
from leadq.profile_model import Profile
from leadq.state import AccountState, Contribution, LeadState, Member
from streams.codec import (
    account_facts,
    decode_account,
    decode_lead,
    encode_account,
    encode_lead,
    lead_facts,
    lead_offsets,
    profile_from_wire,
    profile_to_wire,
    unpack,
)

T = 2_091_048_611_203  # an epoch ms far from 0: relative times must round-trip exactly


def _lead() -> LeadState:
    return LeadState(
        lead_id="e:ann@acme.com",
        stage="mql",
        stage_since_ms=T - 5_000,
        disqualified_by="rules",
        product_stage="pql",
        latest_ms=T,
        email="ann@acme.com",
        account_id="acme.com",
        intent={"web": Decayed(12.5, T - 1_000, 1_209_600_000), "email": Decayed(-3.0, T, 7)},
        caps={"pricing_page": {24201: [(T - 10, "ev-1", "web"), (T, "ev-2", "web")]}},
        contributions=[
            Contribution("pricing_page", "ev-1", "web", 10.0, T - 10, "e:ann@acme.com"),
            # brought in by a merge before the survivor's id was rewritten
            Contribution("blog", "ev-0", "web", 2.0, T - 40 * 86_400_000, "a:anon"),
        ],
        traits={"seniority": ("vp", T - 3), "employees": (1200, T - 90 * 86_400_000)},
        seen={"ev-1": T - 10, "ev-2": T},
        last_engaged_ms=T - 2,
        cooldown=True,
        profile=Profile(
            42.0, "B", (("student", "title says student"),), {"budget": "ok"}, 5.0, "vp"
        ),
    )


def _account() -> AccountState:
    return AccountState(
        account_id="acme.com",
        domain="acme.com",
        stage="mqa",
        stage_since_ms=T - 7,
        latest_ms=T,
        intent={"web": Decayed(150.25, T - 1, 1_209_600_000)},
        contributions=[Contribution("pricing_page", "ev-1", "web", 10.0, T - 10, "e:ann@acme.com")],
        traits={"industry": ("software", T - 100)},
        members={"e:ann@acme.com": Member("vp", T - 2), "e:bob@acme.com": Member("other")},
    )


def test_a_lead_round_trips() -> None:
    lead = _lead()
    raw = encode_lead(lead, {"of": {"signals/3": 17}, "mf": ["a:anon"]})
    assert decode_lead(lead.lead_id, raw) == lead
    assert lead_offsets(raw) == {"signals/3": 17}
    assert lead_offsets(unpack(raw)) == {"signals/3": 17}


def test_an_account_round_trips() -> None:
    account = _account()
    assert decode_account(account.account_id, encode_account(account)) == account


@pytest.mark.parametrize("lead", [LeadState("a:new"), LeadState("a:t", latest_ms=T)])
def test_defaults_are_left_out_and_restored(lead: LeadState) -> None:
    raw = encode_lead(lead)
    assert set(unpack(raw)) <= {"lt"}
    assert decode_lead(lead.lead_id, raw) == lead
    assert decode_account("x", encode_account(AccountState("x"))) == AccountState("x")


def test_times_are_stored_relative_to_the_latest_event_and_own_ids_left_out() -> None:
    lead = _lead()
    blob = msgpack.unpackb(encode_lead(lead), strict_map_key=False)
    assert blob["lt"] == T
    assert blob["sn"] == {"ev-1": -10, "ev-2": 0}
    assert blob["co"][0] == ["pricing_page", "ev-1", "web", 10.0, -10]  # no lead id
    assert blob["co"][1][5] == "a:anon"
    assert "id" not in msgpack.unpackb(encode_account(_account()), strict_map_key=False)


def test_facts_hold_what_preparing_reads() -> None:
    lead, account = _lead(), _account()
    facts = lead_facts(lead.lead_id, unpack(encode_lead(lead)))
    assert (facts.latest_ms, facts.email, facts.traits, facts.seen) == (
        lead.latest_ms,
        lead.email,
        lead.traits,
        lead.seen,
    )
    account_view = account_facts(account.account_id, unpack(encode_account(account)))
    assert (account_view.domain, account_view.traits) == (account.domain, account.traits)


def test_a_profile_without_scores_round_trips_compactly() -> None:
    profile = Profile(0.0, "F", (), {}, 0.0, "other")
    wire = profile_to_wire(profile)
    assert wire == {"g": "F", "per": "other"}
    assert profile_from_wire(wire) == profile
    full = _lead().profile
    assert full is not None
    assert profile_from_wire(profile_to_wire(full)) == full
