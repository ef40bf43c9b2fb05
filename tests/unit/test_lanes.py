"""Lane registration and the split of a fetch between lanes (no broker needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import faust
import pytest
from faust.types import TP, Message

from streams.kafka.app import create_app
from streams.kafka.lanes import lanes_of, register_lane, split_by_lane
from streams.settings import Settings


async def _nothing(messages: Sequence[Message]) -> None:
    return None


def _app(tmp_path: Path) -> faust.App:
    return create_app(Settings().with_changes(data_dir=tmp_path, app_id="lanes-unit"))


def test_lanes_are_registered_per_topic_and_subscribed(tmp_path: Path) -> None:
    app = _app(tmp_path)
    inbound = app.topic("web", "email", value_serializer="raw")
    lane = register_lane(app, inbound, _nothing, name="normalize", max_batch=7)
    assert lanes_of(app) == {"web": lane, "email": lane}
    assert lane.max_batch == 7
    assert inbound in app.topics


def test_a_topic_has_one_lane_and_batches_hold_something(tmp_path: Path) -> None:
    app = _app(tmp_path)
    register_lane(app, app.topic("web"), _nothing, name="a")
    with pytest.raises(ValueError, match="already have a lane"):
        register_lane(app, app.topic("web", "crm"), _nothing, name="b")
    with pytest.raises(ValueError, match="max_batch"):
        register_lane(app, app.topic("crm"), _nothing, name="c", max_batch=0)


def test_a_fetch_is_split_by_lane_and_other_topics_go_to_faust(tmp_path: Path) -> None:
    app = _app(tmp_path)
    normalize = register_lane(app, app.topic("web", "email"), _nothing, name="n")
    qualify = register_lane(app, app.topic("signals"), _nothing, name="q")
    records = {
        TP("web", 0): ["w0"],
        TP("signals", 1): ["s1"],
        TP("email", 2): ["e2"],
        TP("other", 0): ["o0"],
    }
    by_lane, others = split_by_lane(records, lanes_of(app))
    assert by_lane == {
        normalize: [(TP("web", 0), ["w0"]), (TP("email", 2), ["e2"])],
        qualify: [(TP("signals", 1), ["s1"])],
    }
    assert others == [(TP("other", 0), ["o0"])]
