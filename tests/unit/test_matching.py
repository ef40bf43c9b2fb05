"""Compiled matchers agree with the plain definition of equality on every value shape."""

from __future__ import annotations

from typing import Any

from hypothesis import given
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
