"""Batch-level bot marking: link scanners that click every link of an email at once.

Security scanners (Microsoft Defender Safe Links, Mimecast, Proofpoint...) follow every
tracked link of a message within moments of delivery; a person does not click two links
of one email in the same second. The rule needs several events together, so it runs on
one delivered batch (a SendGrid array, a Segment batch), never across batches.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import timedelta
from typing import Final

from schemas.signal import Signal

SCANNER_BURST_REASON: Final = "scanner_click_burst"
#: Clicks closer together than this (same recipient, same message) are a scanner's.
SCANNER_BURST_WINDOW: Final = timedelta(seconds=1)

_ClickKey = tuple[str, str, str]


def mark_scanner_bursts(signals: list[Signal]) -> list[Signal]:
    """``signals`` with every click of a burst marked ``is_bot`` (reason ``scanner_click_burst``).

    A burst is two or more ``click`` signals for the same recipient and the same
    ``properties.message_id`` less than ``SCANNER_BURST_WINDOW`` apart (chained: each
    click within the window of the previous one). Order is kept; signals already marked
    as bots keep their own reason; clicks without a message id are never grouped.
    """
    if len(signals) < 2:
        return signals
    burst = _burst_indexes(signals)
    if not burst:
        return signals
    return [
        _as_scanner(signal) if index in burst and not signal.is_bot else signal
        for index, signal in enumerate(signals)
    ]


def _burst_indexes(signals: list[Signal]) -> set[int]:
    clicks: defaultdict[_ClickKey, list[int]] = defaultdict(list)
    for index, signal in enumerate(signals):
        key = _click_key(signal)
        if key is not None:
            clicks[key].append(index)
    burst: set[int] = set()
    for indexes in clicks.values():
        ordered = sorted(indexes, key=lambda index: signals[index].occurred_at)
        for earlier, later in itertools.pairwise(ordered):
            if signals[later].occurred_at - signals[earlier].occurred_at < SCANNER_BURST_WINDOW:
                burst.update((earlier, later))
    return burst


def _click_key(signal: Signal) -> _ClickKey | None:
    if signal.name != "click":
        return None
    message_id = signal.properties.get("message_id")
    identity = signal.identity
    recipient = identity.email or identity.user_id or identity.anonymous_id
    if not isinstance(message_id, str) or recipient is None:
        return None
    return (signal.channel, recipient, message_id)


def _as_scanner(signal: Signal) -> Signal:
    # model_copy skips validation, which is right: only two already-valid fields change.
    return signal.model_copy(update={"is_bot": True, "bot_reason": SCANNER_BURST_REASON})
