"""``encode_routed``/``decode_routed``: the signals topic's fast JSON pair."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from pydantic import TypeAdapter, ValidationError

from bench.reference import signals_of
from bench.workload import WorkloadConfig, generate
from schemas.routed import RoutedSignal, Source, decode_routed, encode_routed
from schemas.signal import Account, Identity, Signal

ROUTED = TypeAdapter(RoutedSignal)
WHEN = datetime(2026, 1, 5, 9, 30, 0, 250_000, tzinfo=UTC)


def _signal(**changes: object) -> Signal:
    fields: dict[str, object] = {
        "event_id": "e-1",
        "channel": "web",
        "occurred_at": WHEN,
        "identity": Identity(anonymous_id="a-1"),
    }
    return Signal.model_validate({**fields, **changes})


EDGE_CASES = [
    RoutedSignal(lead_id="u:1", bucket=1, signal=_signal()),
    RoutedSignal(
        lead_id=None,
        account_id="acme",
        bucket=5,
        signal=_signal(type="group", identity=Identity(), account=Account(id="acme")),
    ),
    RoutedSignal(
        lead_id="u:2",
        account_id="acme",
        bucket=127,
        gen=3,
        sources=(Source(lead_id="u:3", bucket=0), Source(lead_id="u:2", bucket=9, account_id="x")),
        domain_account=True,
        signal=_signal(
            type="identify",
            name="",
            identity=Identity(user_id="", email="A@Acme.com", anonymous_id="x", previous_id="p"),
            account=Account(domain="www.Acme.com"),
            properties={"n": 2**63 - 1, "f": 1e16, "l": [None, True, {"é": "ü"}], "": ""},
            traits={"title": "CTO"},
            is_bot=True,
            bot_reason="scanner_click_burst",
            source="leadq",
        ),
    ),
    # Beyond 64 bits orjson cannot write: pydantic's writer takes over.
    RoutedSignal(lead_id="u:5", bucket=1, signal=_signal(properties={"big": 2**70})),
    RoutedSignal(lead_id="u:6", bucket=1, signal=_signal(occurred_at=WHEN.replace(microsecond=0))),
]


@pytest.mark.parametrize("routed", EDGE_CASES)
def test_round_trip_gives_an_equal_routed_signal(routed: RoutedSignal) -> None:
    data = encode_routed(routed)
    assert decode_routed(data) == routed
    assert ROUTED.validate_json(data) == routed
    assert decode_routed(routed.model_dump_json().encode()) == routed


def test_round_trip_on_the_benchmark_workload() -> None:
    records = list(generate(WorkloadConfig(seed=7, events=2_000)))
    signals, _ = signals_of(records)
    for signal in signals:
        routed = RoutedSignal(
            lead_id=f"u:{signal.event_id}", account_id=signal.account.id, bucket=2, signal=signal
        )
        assert decode_routed(encode_routed(routed)) == routed


def test_defaults_are_left_out_and_the_version_kept() -> None:
    message = orjson.loads(encode_routed(EDGE_CASES[0]))
    assert message == {
        "schema_version": 2,
        "lead_id": "u:1",
        "bucket": 1,
        "signal": {
            "schema_version": 1,
            "event_id": "e-1",
            "channel": "web",
            "occurred_at": "2026-01-05T09:30:00.250000Z",
            "identity": {"anonymous_id": "a-1"},
        },
    }


def test_a_present_lead_id_of_none_is_written() -> None:
    # lead_id is required (nullable): leaving it out would not validate.
    assert orjson.loads(encode_routed(EDGE_CASES[1]))["lead_id"] is None


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b'{"schema_version": 1, "lead_id": "u:1"}',
        b'{"lead_id": "u:1", "signal": {"event_id": "e", "channel": "web",'
        b' "occurred_at": "2026-01-05T09:30:00"}}',
        b'{"lead_id": "u:1", "colour": 1, "signal": {"event_id": "e", "channel": "web",'
        b' "occurred_at": "2026-01-05T09:30:00Z", "identity": {"user_id": "u"}}}',
    ],
)
def test_decode_rejects_what_the_type_adapter_rejects(data: bytes) -> None:
    with pytest.raises(ValidationError) as fast:
        decode_routed(data)
    with pytest.raises(ValidationError) as reference:
        ROUTED.validate_json(data)
    assert fast.value.errors() == reference.value.errors()


def test_decode_converts_event_times_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    data = encode_routed(RoutedSignal(lead_id="u:1", bucket=1, signal=_signal())).replace(
        b"09:30:00.250000Z", b"11:30:00.250000+02:00"
    )
    decoded = decode_routed(data)
    assert decoded.signal.occurred_at == WHEN.astimezone(plus_two)
    assert decoded.signal.occurred_at.tzinfo is UTC
