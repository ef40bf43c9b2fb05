"""The numeric part of the rules, as the Lua fast path reads it (ARGV[1] of apply.lua)."""

from __future__ import annotations

from typing import Any

import msgpack

from leadq.compiled import CompiledRules
from schemas.rules import ScoreStage, duration_ms

#: Engaged window used for account context when the rules define no MQA stage
#: (mirrors leadq.transitions.account_context).
DEFAULT_ENGAGED_WINDOW_MS = 30 * 86_400_000


def _score_stage(stage: ScoreStage) -> dict[str, Any]:
    return {"enter": stage.enter, "exit": stage.exit, "cats": list(stage.categories)}


def engine_config(rules: CompiledRules) -> dict[str, Any]:
    """Everything apply.lua needs from the rules, keyed as the script expects."""
    stages = rules.rules.stages
    config: dict[str, Any] = {
        "version": rules.version,
        "hl": {c: duration_ms(h) for c, h in rules.rules.intent.half_lives.items()},
        "horizon": rules.late_horizon_ms,
        "dedupe": rules.dedupe_window_ms,
        "keep": rules.rules.explain.keep,
        "top": rules.rules.explain.top,
        "persona": rules.rules.default_persona,
        "per": {c.rule.id: c.cap_per_ms for c in rules.intent if c.cap_per_ms is not None},
        "mql": _score_stage(stages.mql),
        "pql": _score_stage(stages.pql) if stages.pql else False,
        "mqa": False,
        "window": DEFAULT_ENGAGED_WINDOW_MS,
    }
    if stages.mqa is not None:
        config["mqa"] = _score_stage(stages.mqa) | {
            "people": stages.mqa.min_engaged_people,
            "personas": stages.mqa.min_personas,
            "req": list(stages.mqa.required_personas),
        }
        config["window"] = duration_ms(stages.mqa.engaged_window)
    return config


def packed_engine_config(rules: CompiledRules) -> bytes:
    return msgpack.packb(engine_config(rules))  # type: ignore[no-any-return]
