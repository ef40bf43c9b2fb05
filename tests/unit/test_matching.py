"""Compiled matchers agree with the plain definition of equality on every value shape."""

from __future__ import annotations

import copy
import functools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadq.matching import _equal, _one_of, compile_conditions, lookup

scalars = st.one_of(
    st.booleans(),
    st.integers(-3, 3),
    st.floats(-3, 3, allow_nan=False),
    st.sampled_from(["VP", "vp", "Vp", "cto", "CTO", "1", "/pricing", "straße", "STRASSE", ""]),
)
values = st.recursive(
    st.one_of(scalars, st.none(), st.just({"nested": "x"})),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=6,
)


@given(st.lists(scalars, min_size=1, max_size=4).map(tuple), values)
def test_one_of_is_any_equal(options: tuple[Any, ...], value: Any) -> None:
    assert _one_of(options)(value) == any(_equal(value, o) for o in options)


def test_a_compiled_predicate_follows_dotted_paths() -> None:
    predicate = compile_conditions({"traits.role": ("vp", "cto"), "channel": "web"})
    assert predicate({"channel": "Web", "traits": {"role": "VP"}})
    assert predicate({"channel": "web", "traits": {"role": ["ic", "CTO"]}})
    assert not predicate({"channel": "web", "traits": {"role": "ic"}})
    assert not predicate({"channel": "web", "traits": "vp"})
    assert not predicate({"traits": {"role": "vp"}})
    assert lookup({"a": {"b": {"c": 1}}}, ("a", "b", "c")) == 1


# ------------------------------------------------- the intent index drops no rule
_conditions = st.dictionaries(
    st.sampled_from(["channel", "type", "name"]),
    st.one_of(
        st.sampled_from(["web", "Email", "page", "Track", "demo requested", "Open"]),
        st.lists(st.sampled_from(["web", "PRODUCT", "identify", "Signed Up", "open"]), min_size=1,
                 max_size=3).map(tuple),
        st.sampled_from([{"in": ["web", "crm"]}, {"equals": "page"}, {"glob": "w*"},
                         {"exists": True}, {"regex": "^open$"}, {"in": ["track", 1]}]),
    ),
    max_size=3,
)  # fmt: skip


@settings(deadline=None)
@given(
    st.lists(_conditions, min_size=1, max_size=5),
    st.sampled_from(["web", "email", "product", "crm"]),
    st.sampled_from(["track", "page", "identify"]),
    st.sampled_from(["Demo Requested", "open", "OPEN", "Signed Up", ""]),
)
def test_indexed_intent_matching_equals_a_full_scan(
    conditions: list[dict[str, Any]], channel: str, kind: str, name: str
) -> None:
    from leadq.compiled import compile_rules
    from leadq.intent import match_intent
    from schemas.signal import Signal

    compiled = compile_rules(_rules_with_intent(conditions))
    signal = Signal.model_validate(
        {
            "event_id": "e1",
            "channel": channel,
            "type": kind,
            "name": name,
            "occurred_at": "2026-01-01T00:00:00Z",
            "identity": {"anonymous_id": "a1"},
        }
    )
    subject: dict[str, Any] = {"channel": channel, "type": kind, "name": name, "source": "leadq",
               "properties": {}, "traits": {}, "email": None}  # fmt: skip
    scanned = [c.rule.id for c in compiled.intent if c.matches(subject)]
    assert [m.rule_id for m in match_intent(signal, compiled)] == scanned


def _rules_with_intent(conditions: list[dict[str, Any]]) -> Any:
    """The example rules with these intent rules instead of its own."""
    from schemas.rules import Rules

    raw = copy.deepcopy(_example_rules())
    raw["intent"]["rules"] = [
        {"id": f"r{i}", "when": when, "points": 1} for i, when in enumerate(conditions)
    ]
    raw["stages"]["sql"]["on_rules"] = []
    raw["stages"]["hand_raise"] = {"rules": []}
    return Rules.model_validate(raw)


@functools.cache
def _example_rules() -> dict[str, Any]:
    import yaml

    with open("rules/example.yaml", encoding="utf-8") as file:
        loaded: dict[str, Any] = yaml.safe_load(file)
    return loaded
