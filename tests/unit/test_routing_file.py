"""The routing file: the shipped example loads, and mistakes name their field path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schemas.routing import RoutingError, load_routing, routing_from_data

EXAMPLE = Path(__file__).resolve().parents[2] / "rules" / "routing.example.yaml"


def minimal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "teams": [
            {
                "id": "t",
                "reps": [{"id": "r1"}, {"id": "r2", "weight": 2}],
                "fallback": {"rep": "r1"},
                "manager": {"id": "boss"},
            }
        ],
        "rules": [{"name": "all", "team": "t", "sla": {"first_touch": "5m"}}],
    }
    data.update(changes)
    return data


def problems(data: Any) -> list[str]:
    with pytest.raises(RoutingError) as caught:
        routing_from_data(data, "x.yaml")
    return caught.value.problems


def test_the_example_loads_with_a_content_version() -> None:
    config = load_routing(EXAMPLE)
    assert config.version is not None
    assert config.version.startswith("2026.12+")
    assert next(rule.name for rule in config.rules) == "enterprise-hand-raise"
    assert "NO" in config.regions["emea"]  # quoted: a bare NO is YAML's false


def test_equal_content_gives_equal_versions_whatever_the_order_of_keys() -> None:
    one = routing_from_data(minimal())
    two = routing_from_data(dict(reversed(list(minimal().items()))))
    assert one.version == two.version
    assert routing_from_data(minimal(regions={"na": ["US"]})).version != one.version


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"rules": [{"name": "all", "team": "nope"}]}, "unknown team 'nope'"),
        (
            {"rules": [{"name": "a", "team": "t", "when": {"region": ["mars"]}}]},
            "unknown regions ['mars']",
        ),
        (
            {"rules": [{"name": "a", "team": "t", "when": {"stage": ["vip"]}}]},
            "rules[0].when.stage[0]: Input should be",
        ),
        (
            {"rules": [{"name": "a", "team": "t", "sla": {"first_touch": "5 parsecs"}}]},
            "rules[0].sla.first_touch",
        ),
        (
            {
                "teams": [
                    {
                        "id": "t",
                        "reps": [{"id": "r", "timezone": "Mars/Olympus"}],
                        "fallback": {"rep": "r"},
                    }
                ]
            },
            "teams[0].reps[0].timezone: Value error, unknown time zone 'Mars/Olympus'",
        ),
        (
            {"teams": [{"id": "t", "reps": [{"id": "r"}], "fallback": {"rep": "ghost"}}]},
            "fallback rep 'ghost' is not one of reps",
        ),
        (
            {"teams": [{"id": "t", "reps": [{"id": "r"}], "fallback": {}}]},
            "teams[0].fallback: Value error, give exactly one of rep",
        ),
        (
            {"teams": [{"id": "t", "reps": [{"id": "r"}], "fallback": {"rep": "r"}}]},
            "has an SLA but team 't' has no manager",
        ),
        (
            {
                "teams": [
                    {
                        "id": "t",
                        "reps": [
                            {
                                "id": "r",
                                "out_of_office": [{"start": "2026-12-24", "end": "2026-12-20"}],
                            }
                        ],
                        "fallback": {"rep": "r"},
                    }
                ]
            },
            "teams[0].reps[0].out_of_office[0]: Value error, end (2026-12-20) is before",
        ),
        (
            {
                "teams": [
                    {
                        "id": "t",
                        "working_hours": [{"start": "18:00", "end": "09:00"}],
                        "reps": [{"id": "r"}],
                        "fallback": {"rep": "r"},
                    }
                ]
            },
            "teams[0].working_hours[0]: Value error, end (09:00:00) must be after start",
        ),
    ],
)
def test_a_mistake_is_reported_with_its_field_path(change: dict[str, Any], expected: str) -> None:
    found = problems(minimal(**change))
    assert any(expected in problem for problem in found), found


def test_an_unreadable_or_malformed_file_is_one_clear_problem(tmp_path: Path) -> None:
    with pytest.raises(RoutingError, match="cannot read file"):
        load_routing(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("teams: [\n", encoding="utf-8")
    with pytest.raises(RoutingError, match="not valid yaml"):
        load_routing(bad)
    assert problems([1, 2]) == ["top level: expected a mapping with teams and rules"]


def test_a_bad_item_is_reported_once_not_echoed_by_its_lists(tmp_path: Path) -> None:
    bad = {
        "teams": [{"id": "t", "reps": [{"id": "r", "timezone": "Mars/X"}],
                   "fallback": {"rep": "r"}}],
        "rules": [{"name": "a", "team": "t"}],
    }  # fmt: skip
    assert problems(bad) == [
        "teams[0].reps[0].timezone: Value error, unknown time zone 'Mars/X' (use an IANA name "
        "like 'Europe/Berlin') (got \"Mars/X\")"
    ]
    assert problems({"teams": [], "rules": [{"name": "a", "team": "t"}]}) == [
        "teams: Tuple should have at least 1 item after validation, not 0 (got [])"
    ]
