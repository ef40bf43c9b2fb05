"""Who in a team gets a lead: stickiness, weights, caps, availability, fallback."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from leadq.routing.availability import is_available, team_day, unavailable_because
from leadq.routing.decide import TeamSnapshot, decide
from tests.unit.routing_support import ALWAYS, picks, team_config

MONDAY = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def test_weighted_round_robin_gives_each_rep_their_weights_share_interleaved() -> None:
    team = team_config([{"id": "a", "weight": 3}, {"id": "b", "weight": 2}, {"id": "c"}]).teams[0]
    owners = picks(team, MONDAY, 600)
    assert Counter(owners) == {"a": 300, "b": 200, "c": 100}
    # Smooth: every window of one cycle (6 picks) holds exactly each rep's share.
    for start in range(0, 600, 6):
        assert Counter(owners[start : start + 6]) == {"a": 3, "b": 2, "c": 1}
    assert owners[:6] == ["a", "b", "a", "c", "b", "a"]


def test_a_weight_of_zero_takes_no_round_robin_leads() -> None:
    team = team_config([{"id": "a"}, {"id": "owner-only", "weight": 0}]).teams[0]
    assert set(picks(team, MONDAY, 20)) == {"a"}


def test_a_rep_at_their_daily_cap_is_skipped_and_the_reason_says_so() -> None:
    team = team_config([{"id": "a", "daily_cap": 2}, {"id": "b", "daily_cap": 5}]).teams[0]
    owners = picks(team, MONDAY, 7)
    assert Counter(owners) == {"a": 2, "b": 5}
    capped = decide(team, TeamSnapshot(today={"a": 2, "b": 1}), "u:x", None, MONDAY)
    assert capped.owner.id == "b"
    assert capped.reason == "round robin: weight 1, 2 of 5 today"
    full = decide(team, TeamSnapshot(today={"a": 2, "b": 5}), "u:x", None, MONDAY)
    assert (full.how, full.owner.id) == ("fallback", "queue-t")
    assert "a daily cap 2 reached; b daily cap 5 reached" in full.reason


def test_account_owner_stickiness_and_the_first_assignment_claims_the_account() -> None:
    team = team_config([{"id": "a"}, {"id": "b"}]).teams[0]
    first = decide(team, TeamSnapshot(), "u:ada", "acme.io", MONDAY)
    assert first.claims == {("lead", "u:ada"): "a", ("account", "acme.io"): "a"}
    # A colleague at the same account goes to its owner, even if round robin says b.
    sticky = decide(
        team, TeamSnapshot(credit={"b": 50}, account_owner="a"), "u:bob", "acme.io", MONDAY
    )
    assert (sticky.how, sticky.owner.id) == ("account_owner", "a")
    assert sticky.reason == "owner of account acme.io (1 today)"
    assert sticky.credit == {}  # round-robin positions untouched by a sticky assignment
    assert ("account", "acme.io") not in sticky.claims  # it already has an owner


def test_the_lead_owner_comes_first_and_stickiness_can_be_turned_off() -> None:
    config = team_config([{"id": "a"}, {"id": "b"}])
    team = config.teams[0]
    pick = decide(team, TeamSnapshot(lead_owner="b", account_owner="a"), "u:ada", "acme.io", MONDAY)
    assert (pick.how, pick.owner.id) == ("lead_owner", "b")
    loose = team_config(
        [{"id": "a"}, {"id": "b"}],
        stickiness={"account_owner": False, "claim_accounts": False, "lead_owner": False},
    ).teams[0]
    plain = decide(
        loose,
        TeamSnapshot(credit={"b": 5}, lead_owner="a", account_owner="a"),
        "u:ada",
        "acme.io",
        MONDAY,
    )
    assert (plain.how, plain.owner.id, plain.claims) == ("round_robin", "b", {})


def test_an_unavailable_owner_falls_back_to_round_robin_and_keeps_the_account() -> None:
    team = team_config(
        [{"id": "a", "out_of_office": [{"start": "2026-12-07", "end": "2026-12-11"}]}, {"id": "b"}]
    ).teams[0]
    pick = decide(team, TeamSnapshot(account_owner="a"), "u:bob", "acme.io", MONDAY)
    assert (pick.how, pick.owner.id) == ("round_robin", "b")
    assert pick.reason == "round robin: weight 1, 1 today (owner a out of office)"
    assert ("account", "acme.io") not in pick.claims
    # An owner no longer in the team: the account is claimed again.
    gone = decide(team, TeamSnapshot(account_owner="left"), "u:bob", "acme.io", MONDAY)
    assert gone.claims[("account", "acme.io")] == "b"


def test_excluded_reps_are_never_picked_and_a_fallback_rep_who_missed_goes_to_the_manager() -> None:
    config = team_config([{"id": "a"}, {"id": "b"}], fallback={"rep": "a"})
    team = config.teams[0]
    assert (
        decide(
            team, TeamSnapshot(lead_owner="a"), "u:x", None, MONDAY, exclude=frozenset({"a"})
        ).owner.id
        == "b"
    )
    nobody = decide(team, TeamSnapshot(), "u:x", None, MONDAY, exclude=frozenset({"a", "b"}))
    assert (nobody.how, nobody.owner.id) == ("manager", "boss")
    fallback = decide(team, TeamSnapshot(), "u:x", None, MONDAY, exclude=frozenset({"b"}))
    assert fallback.owner.id == "a"


NINE_TO_FIVE = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}]


@pytest.mark.parametrize(
    ("at", "available"),
    [
        # Winter (EST, UTC-5): 09:00 local is 14:00 UTC.
        ("2026-01-12T13:59:00+00:00", False),
        ("2026-01-12T14:00:00+00:00", True),
        ("2026-01-12T21:59:00+00:00", True),
        ("2026-01-12T22:00:00+00:00", False),
        # Summer (EDT, UTC-4): the same local hours are an hour earlier in UTC.
        ("2026-07-13T13:00:00+00:00", True),
        ("2026-07-13T20:59:00+00:00", True),
        ("2026-07-13T21:00:00+00:00", False),
        # The DST switch (Sunday 2026-03-08): Monday 09:00 is already EDT.
        ("2026-03-09T13:00:00+00:00", True),
        ("2026-03-06T13:30:00+00:00", False),  # the Friday before: still EST, 08:30
        # Saturday: not a working day.
        ("2026-07-11T15:00:00+00:00", False),
    ],
)
def test_working_hours_follow_the_reps_zone_through_dst(at: str, available: bool) -> None:
    team = team_config(
        [{"id": "ny", "timezone": "America/New_York", "working_hours": NINE_TO_FIVE}]
    ).teams[0]
    assert is_available(team, team.reps[0], datetime.fromisoformat(at)) is available


def test_reps_in_other_zones_are_judged_by_their_own_clock() -> None:
    team = team_config(
        [{"id": "tokyo", "timezone": "Asia/Tokyo"}, {"id": "berlin", "timezone": "Europe/Berlin"}],
        working_hours=NINE_TO_FIVE,
        timezone="UTC",
    ).teams[0]
    sunday_utc = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # Monday 09:30 in Tokyo
    owners = picks(team, sunday_utc, 3)
    assert owners == ["tokyo", "tokyo", "tokyo"]
    tokyo, berlin = team.reps
    assert unavailable_because(team, berlin, sunday_utc) == "outside working hours"
    assert is_available(team, berlin, datetime(2026, 12, 7, 8, 0, tzinfo=UTC))  # 09:00 CET
    assert not is_available(team, tokyo, datetime(2026, 12, 7, 8, 0, tzinfo=UTC))  # 17:00 JST


def test_out_of_office_covers_whole_local_days_inclusive() -> None:
    team = team_config(
        [
            {
                "id": "a",
                "timezone": "America/Los_Angeles",
                "out_of_office": [{"start": "2026-12-24", "end": "2026-12-26"}],
            }
        ]
    ).teams[0]
    rep = team.reps[0]
    # 2026-12-24T07:59Z is still the 23rd in Los Angeles; 08:00Z is the 24th.
    assert is_available(team, rep, datetime(2026, 12, 24, 7, 59, tzinfo=UTC))
    assert unavailable_because(team, rep, datetime(2026, 12, 24, 8, 0, tzinfo=UTC)) == (
        "out of office"
    )
    assert not is_available(team, rep, datetime(2026, 12, 27, 7, 59, tzinfo=UTC))
    assert is_available(team, rep, datetime(2026, 12, 27, 8, 0, tzinfo=UTC))


def test_nobody_available_goes_to_the_fallback_with_every_reason() -> None:
    team = team_config(
        [
            {"id": "a", "working_hours": NINE_TO_FIVE},
            {"id": "b", "out_of_office": [{"start": "2026-12-01", "end": "2026-12-31"}]},
        ],
        fallback={"rep": "a"},
    ).teams[0]
    night = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
    pick = decide(team, TeamSnapshot(), "u:x", None, night)
    assert (pick.how, pick.owner.id, pick.counted) == ("fallback", "a", "a")
    assert pick.reason == (
        "fallback rep: nobody available (a outside working hours; b out of office)"
    )


def test_the_teams_day_is_its_own_time_zones() -> None:
    team = team_config([{"id": "a"}], timezone="America/Los_Angeles").teams[0]
    assert team_day(team, datetime(2026, 12, 8, 5, 0, tzinfo=UTC)) == "2026-12-07"
    assert team_day(team, datetime(2026, 12, 8, 8, 0, tzinfo=UTC)) == "2026-12-08"
    assert ALWAYS[0]["start"] == "00:00"
