"""Decay timers over one bucket: fire the transitions that decay alone causes.

Pure; changes the :class:`~leadq.bucket.Bucket` in place (its outbox and due times).
"""

from __future__ import annotations

import heapq

from leadq.bucket import Bucket
from leadq.compiled import CompiledRules
from leadq.engine import fire_account, fire_lead


def fire_due(
    bucket: Bucket, due: list[tuple[int, str]], until_ms: int, rules: CompiledRules
) -> None:
    """Fire, in place and in time order, every decay-driven transition due by
    ``until_ms`` among ``due`` (``(due ms, member)`` of this bucket), as
    ``leadq.replay`` does across all buckets; fired entities are refiled."""
    heap = list(due)
    heapq.heapify(heap)
    while heap and heap[0][0] <= until_ms:
        due_ms, member = heapq.heappop(heap)
        kind, entity_id = member[:1], member[2:]
        if kind == "L":
            lead = bucket.live_lead(entity_id)
            if lead is None:
                bucket.due[member] = None
                continue
            account = bucket.account(lead.account_id)
            bucket.outbox += fire_lead(lead, account, due_ms, rules)
            bucket.touch_lead(lead, rules)
        else:
            account = bucket.account(entity_id)
            if account is None:
                bucket.due[member] = None
                continue
            bucket.outbox += fire_account(account, due_ms, rules)
            bucket.touch_account(account, rules)
        refiled = bucket.due.get(member)
        if refiled is not None and refiled <= until_ms:
            heapq.heappush(heap, (refiled, member))
