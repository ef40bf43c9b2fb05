"""The demo's ABM part: wait for the ABM signals of the scenario's accounts and print them.

The worker's ABM consumer (its own consumer group, see ``agents.abm_consumer``) turns the
account's MQA transition and its people's activity into ``io.leadq.account.*`` events on
the ABM topic. Every account the batch reference sees entering MQA must show its ``mqa``
signal; persona and surge signals that have arrived by then (or within a short grace
period) are printed too.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from cli.demo.render import INDENT, Console, clock, stamp
from cli.demo.scenario import Expected
from schemas.abm import AbmEvent
from streams.kafka.topic_reader import Record, TopicReader
from streams.settings import Settings

#: After the MQA signals, how long to wait for the others (surge, personas).
GRACE_S = 1.0


def mqa_accounts(expected: Expected) -> frozenset[str]:
    """Accounts the batch reference sees entering MQA."""
    return frozenset(
        t.entity_id for t in expected.transitions if t.entity == "account" and t.stage_to == "mqa"
    )


async def show_abm_signals(
    settings: Settings, expected: Expected, console: Console, deadline_s: float
) -> None:
    """Print the scenario accounts' ABM signals; ``TimeoutError`` if an MQA one is missing."""
    waiting = set(mqa_accounts(expected))
    shown: set[str] = set()
    settled_at: float | None = None
    read = 0

    def done(records: Sequence[Record]) -> bool:
        nonlocal settled_at, read
        fresh, read = records[read:], len(records)
        for record in fresh:
            event = AbmEvent.model_validate_json(record.value or b"")
            if event.subject not in expected.accounts or event.id in shown:
                continue
            shown.add(event.id)
            if event.type == "io.leadq.account.mqa":
                waiting.discard(event.subject)
            console.say(abm_signal(event, console.elapsed()))
            if console.show_json:
                console.say(event.model_dump_json())
            console.say()
        if waiting:
            return False
        settled_at = settled_at or time.monotonic()
        return time.monotonic() - settled_at >= GRACE_S

    async with TopicReader(settings.kafka_bootstrap, [settings.topics.abm]) as reader:
        try:
            await reader.read_until(done, deadline_s)
        except TimeoutError as error:
            if waiting:
                raise TimeoutError(f"{error}; no ABM mqa signal for {sorted(waiting)}") from error
    if not shown:
        console.say(f"{INDENT}(no ABM signal: no account of the scenario moved or surged)")
    console.mark("ABM signals")


def abm_signal(event: AbmEvent, elapsed_s: float) -> str:
    """An ABM signal: type, account, what happened and the account context."""
    data, account = event.data, event.data.account
    coverage = account.coverage
    named = f"{account.name} ({account.account_id})" if account.name else account.account_id
    lines = [f"{stamp(elapsed_s)} {event.type}  account {named}  at {clock(event.time)} UTC"]
    if data.mqa is not None:
        lines.append(f"{INDENT}MQA {data.mqa.change}: {data.mqa.reason}")
    if data.surge is not None:
        surge = data.surge
        lines.append(
            f"{INDENT}surge #{surge.episode}: {surge.window_intent:.1f} points in "
            f"{surge.window_days} days ({surge.window_per_day:.1f}/day) vs "
            f"{surge.baseline_per_day:.1f}/day over the {surge.baseline_days} before "
            f"(k {surge.factor:g}, minimum {surge.min_intent:g})"
        )
        behind = ", ".join(f"{r.rule_id} {r.points:g}" for r in surge.top_rules)
        people = ", ".join(f"{p.lead_id} {p.points:g}" for p in surge.top_people)
        lines.append(f"{INDENT}behind it: {behind}; people: {people}")
    if data.persona is not None:
        lines.append(
            f"{INDENT}persona {data.persona.persona} engaged ({', '.join(data.persona.people)}): "
            f"coverage now {coverage.covered} of {coverage.of}"
        )
    lines.append(
        f"{INDENT}stage {account.stage}, intent {account.intent_score:.1f}, "
        f"{account.engaged_people} engaged people, personas "
        f"{', '.join(coverage.engaged) or '-'} ({coverage.covered} of {coverage.of})"
    )
    return "\n".join(lines)
