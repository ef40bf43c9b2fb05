"""``Contract.from_validated``: the no-revalidation constructor equals a validated one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.events import CrmEvent, EmailEvent, WebEvent
from schemas.signal import Account, Identity, Signal

WHEN = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def _fields() -> dict[str, object]:
    return {
        "event_id": "e-1",
        "channel": "web",
        "type": "page",
        "name": "Pricing",
        "occurred_at": WHEN,
        "identity": Identity(anonymous_id="a-1"),
        "account": Account(id="acme"),
        "properties": {"path": "/pricing", "n": [1, 2.5, None, {"x": True}]},
        "source": "segment",
    }


def test_equals_the_validated_model_with_the_same_fields_set() -> None:
    built = Signal.from_validated(_fields())
    validated = Signal(**_fields())
    assert built == validated
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_dump_json() == validated.model_dump_json()


def test_defaults_and_factories_are_filled_in() -> None:
    first = Signal.from_validated(_fields())
    second = Signal.from_validated(_fields())
    assert first.schema_version == 1
    assert first.traits == {}
    assert first.is_bot is False
    assert first.traits is not second.traits  # a fresh dict per instance, as pydantic does


def test_unknown_or_missing_fields_are_programming_errors() -> None:
    with pytest.raises(TypeError, match="unknown fields"):
        Signal.from_validated({**_fields(), "colour": "red"})
    fields = _fields()
    del fields["event_id"]
    with pytest.raises(TypeError, match="event_id is required"):
        Signal.from_validated(fields)


@pytest.mark.parametrize(
    "event",
    [
        WebEvent(event_id="w", occurred_at=WHEN, identity=Identity(user_id="u"), traits={"a": 1}),
        EmailEvent(
            event_id="m", name="click", occurred_at=WHEN, identity=Identity(email="A@B.co"),
            message_id="msg", url="https://x.example", properties={"tags": ["t"]},
        ),
        CrmEvent(
            event_id="c", name="opportunity_created", occurred_at=WHEN,
            identity=Identity(email="a@b.co"), amount=10.5, owner="rep",
        ),
    ],
)  # fmt: skip
def test_to_signal_equals_validating_the_same_fields(
    event: WebEvent | EmailEvent | CrmEvent,
) -> None:
    signal = event.to_signal("leadq")
    fields = {name: getattr(signal, name) for name in signal.model_fields_set}
    revalidated = Signal.model_validate(fields)
    assert signal == revalidated
    assert signal.model_fields_set == revalidated.model_fields_set
