"""Redis blobs round-trip exactly (streams/state/codec.py), and are compact."""

from __future__ import annotations

import asyncio

import pytest

from bench.reference import signals_of
from bench.workload import WorkloadConfig, generate
from leadq.bucket import Item, Kept
from leadq.compiled import compile_rules
from leadq.identity import AccountFacts, Fact, KeyRecord
from leadq.replay import replay
from leadq.state import Tombstone
from schemas.routed import RoutedSignal, Source
from schemas.rules import load_rules
from streams.state.codec import (
    DEFLATED,
    decode_account,
    decode_items,
    decode_kept,
    decode_lead,
    decode_record,
    encode_account,
    encode_items,
    encode_kept,
    encode_lead,
    encode_record,
    encode_tombstone,
    pack,
    unpack,
)

RULES = compile_rules(load_rules("tests/rules/scenarios.yaml"))
REPLAY = asyncio.run(replay(signals_of(generate(WorkloadConfig(seed=3, events=3000)))[0], RULES))
LEADS = sorted(REPLAY.store.leads(), key=lambda lead: lead.lead_id)
ACCOUNTS = sorted(REPLAY.store.accounts(), key=lambda account: account.account_id)


def test_every_lead_and_account_of_a_workload_round_trips() -> None:
    assert len(LEADS) > 100
    for lead in LEADS:
        assert decode_lead(lead.lead_id, encode_lead(lead)) == lead
    for account in ACCOUNTS:
        assert decode_account(account.account_id, encode_account(account)) == account


def test_larger_blobs_are_deflated_and_smaller_for_it() -> None:
    blobs = [encode_lead(lead) for lead in LEADS]
    deflated = [b for b in blobs if b[:1] == DEFLATED]
    assert len(deflated) > len(blobs) / 2
    plain = sum(len(pack(unpack(b))) for b in blobs)
    assert sum(map(len, blobs)) < 0.8 * plain


def test_tombstones_kept_hand_overs_and_parked_items_round_trip() -> None:
    tombstone = Tombstone("u:1", 17, "acme.com", 3, "5.9.1", True)
    assert decode_lead("a:x", encode_tombstone(tombstone)) == tombstone
    routed = RoutedSignal(
        lead_id="u:1",
        bucket=17,
        gen=3,
        sources=(Source(lead_id="a:x", bucket=5),),
        signal=next(iter(signals_of(generate(WorkloadConfig(seed=3, events=10)))[0])),
    )
    items = [Item(routed, "signals/2", 41), Item(routed, None, None, ("u:1", 17))]
    assert decode_items(encode_items(items)) == items
    kept = Kept(LEADS[0], tuple(items))
    assert decode_kept(encode_kept(kept)) == kept
    assert decode_kept(encode_kept(Kept(None, ()))) == Kept(None, ())


@pytest.mark.parametrize(
    "record",
    [
        KeyRecord(parent="u:1"),
        KeyRecord(parent="u:1", touched=20_000, pinned=True),
        KeyRecord(),
        KeyRecord(
            facts=AccountFacts(Fact("acme", 5, "e-1"), Fact("acme.com", 1, "e-0")),
            gen=2,
            pending=(Source(lead_id="a:x", bucket=3, account_id=None),),
            touched=20_001,
            pinned=True,
        ),
    ],
)
def test_index_records_round_trip(record: KeyRecord) -> None:
    assert decode_record(encode_record(record)) == record
