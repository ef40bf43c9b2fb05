"""MessagePack state blobs of apply.lua ↔ the engine's ``LeadState``/``AccountState``.

Field names are the script's (short, to keep a lead under 1 KB). Lua packs an empty
table as an empty array, so every map field accepts ``[]`` as ``{}``. Every time in a
blob except ``lt`` (the latest event time) is stored relative to ``lt`` (absolute when
there is none), which packs in 3-5 bytes instead of 9; ``_base`` gives the offset.
"""

from __future__ import annotations

from typing import Any

import msgpack

from leadq.decay import Decayed
from leadq.explain import RawContributor
from leadq.profile_model import Profile
from leadq.state import AccountState, Contribution, LeadState, Member
from leadq.transitions import Move, RawAccountContext, build_transition
from schemas.transition import TransitionData


def unpack(raw: bytes) -> Any:
    return msgpack.unpackb(raw, raw=False, strict_map_key=False)


def _map(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _base(blob: dict[str, Any]) -> int:
    """What the blob's times are relative to: its latest event time, else 0."""
    return int(blob.get("lt") or 0)


def _later_by(value: Any, base: int) -> int | None:
    return None if value is None else int(value) + base


def _intent(raw: Any, base: int) -> dict[str, Decayed]:
    return {c: Decayed(float(v), int(t) + base, int(h)) for c, (v, t, h) in _map(raw).items()}


def _contributions(raw: Any, base: int, owner: str | None = None) -> list[Contribution]:
    """Contributions of a blob; a lead's own leave out its id (``owner``)."""
    return [
        Contribution(
            entry[0],
            entry[1],
            entry[2],
            float(entry[3]),
            int(entry[4]) + base,
            _owner(entry, owner),
        )
        for entry in raw or []
    ]


def _owner(entry: list[Any], owner: str | None) -> str:
    if len(entry) > 5:
        return str(entry[5])
    if owner is None:
        raise ValueError(f"contribution without a lead id: {entry}")
    return owner


def _traits(raw: Any, base: int) -> dict[str, tuple[Any, int]]:
    return {name: (value, int(t) + base) for name, (value, t) in _map(raw).items()}


def _seen(raw: Any, base: int) -> dict[str, int]:
    return {e: int(t) + base for e, t in _map(raw).items()}


def profile_to_wire(profile: Profile) -> dict[str, Any]:
    """A profile as apply.lua stores it; zero scores and empty lists are left out (every
    lead blob holds one), and read back as such."""
    wire: dict[str, Any] = {
        "b": profile.base_score,
        "f": profile.fit_score,
        "g": profile.grade,
        "dq": [list(pair) for pair in profile.disqualifiers],
        "ans": profile.answers,
        "as": profile.answers_score,
        "per": profile.persona,
    }
    return {k: v for k, v in wire.items() if v or k in ("g", "per")}


def profile_from_wire(raw: Any) -> Profile | None:
    if not isinstance(raw, dict):
        return None
    return Profile(
        fit_score=float(raw.get("f", 0.0)),
        grade=raw["g"],
        disqualifiers=tuple((d, reason) for d, reason in raw.get("dq") or []),
        answers=_map(raw.get("ans")),
        answers_score=float(raw.get("as", 0.0)),
        persona=raw["per"],
    )


def decode_lead(lead_id: str, raw: bytes) -> LeadState:
    return lead_from_blob(lead_id, unpack(raw))


def lead_from_blob(lead_id: str, blob: dict[str, Any]) -> LeadState:
    """The lead of an unpacked blob."""
    base = _base(blob)
    return LeadState(
        lead_id=lead_id,
        stage=blob.get("st", "known"),
        stage_since_ms=_later_by(blob.get("ss"), base),
        disqualified_by=blob.get("dq"),
        product_stage=blob.get("ps", "none"),
        latest_ms=blob.get("lt"),
        email=blob.get("em"),
        account_id=blob.get("ac"),
        intent=_intent(blob.get("it"), base),
        caps={
            rule: {
                int(b): [(int(t) + base, e, c) for t, e, c in awards]
                for b, awards in _map(bs).items()
            }
            for rule, bs in _map(blob.get("cp")).items()
        },
        contributions=_contributions(blob.get("co"), base, lead_id),
        traits=_traits(blob.get("tr"), base),
        seen=_seen(blob.get("sn"), base),
        last_engaged_ms=_later_by(blob.get("le"), base),
        cooldown=bool(blob.get("cd")),
        profile=profile_from_wire(blob.get("pf")),
    )


def lead_facts(lead_id: str, blob: dict[str, Any]) -> LeadState:
    """Only what preparing a signal reads (streams/prepare.py): seen event ids, latest
    event time, email, traits. Scores, caps, contributions, stages and profile are left
    at their defaults: apply.lua works on the stored ones, so they need no decoding."""
    return LeadState(
        lead_id=lead_id,
        latest_ms=blob.get("lt"),
        email=blob.get("em"),
        traits=_traits(blob.get("tr"), _base(blob)),
        seen=_seen(blob.get("sn"), _base(blob)),
    )


def account_facts(account_id: str, blob: dict[str, Any]) -> AccountState:
    """Only what preparing a signal reads: domain and traits (see :func:`lead_facts`)."""
    return AccountState(
        account_id=account_id, domain=blob.get("dom"), traits=_traits(blob.get("tr"), _base(blob))
    )


def decode_account(account_id: str, raw: bytes) -> AccountState:
    blob = unpack(raw)
    base = _base(blob)
    return AccountState(
        account_id=account_id,
        domain=blob.get("dom"),
        stage=blob.get("st", "unengaged"),
        stage_since_ms=_later_by(blob.get("ss"), base),
        latest_ms=blob.get("lt"),
        intent=_intent(blob.get("it"), base),
        contributions=_contributions(blob.get("co"), base),
        traits=_traits(blob.get("tr"), base),
        members={
            lead: Member(
                persona=m[0], last_engaged_ms=_later_by(m[1], base) if len(m) > 1 else None
            )
            for lead, m in _map(blob.get("mb")).items()
        },
    )


def _compact(blob: dict[str, Any], defaults: dict[str, Any]) -> bytes:
    """Pack ``blob`` without what loading restores: ``None``, empty tables and fields at
    their ``defaults`` (apply.lua leaves out the same)."""
    kept = {
        k: v
        for k, v in blob.items()
        if v is not None and v != {} and v != [] and defaults.get(k) != v
    }
    return msgpack.packb(kept)  # type: ignore[no-any-return]


def encode_lead(lead: LeadState, extra: dict[str, Any] | None = None) -> bytes:
    """The blob apply.lua reads; used when the Python side rewrites a lead (moves, merges).
    ``extra`` carries blob fields the engine state does not model (``of``, ``mf``). The
    lead's own contributions leave out its id (apply.lua writes them so too)."""
    base = lead.latest_ms or 0
    blob: dict[str, Any] = {
        "st": lead.stage,
        "ps": lead.product_stage,
        "it": {c: [d.value, d.at_ms - base, d.half_life_ms] for c, d in lead.intent.items()},
        "cp": {
            r: {str(b): [[t - base, e, c] for t, e, c in aw] for b, aw in bs.items()}
            for r, bs in lead.caps.items()
        },
        "co": [
            [c.rule_id, c.event_id, c.category, c.points, c.earned_ms - base]
            + ([] if c.lead_id == lead.lead_id else [c.lead_id])
            for c in lead.contributions
        ],
        "tr": {n: [v, t - base] for n, (v, t) in lead.traits.items()},
        "sn": {e: t - base for e, t in lead.seen.items()},
        "ss": _later_by(lead.stage_since_ms, -base),
        "dq": lead.disqualified_by,
        "lt": lead.latest_ms,
        "em": lead.email,
        "ac": lead.account_id,
        "le": _later_by(lead.last_engaged_ms, -base),
        "cd": True if lead.cooldown else None,
        "pf": profile_to_wire(lead.profile) if lead.profile else None,
    }
    blob.update(extra or {})
    return _compact(blob, {"st": "known", "ps": "none"})


def encode_account(account: AccountState) -> bytes:
    """An account blob as apply.lua writes it (its id is in its key, not repeated)."""
    base = account.latest_ms or 0
    blob: dict[str, Any] = {
        "st": account.stage,
        "it": {c: [d.value, d.at_ms - base, d.half_life_ms] for c, d in account.intent.items()},
        "co": [
            [c.rule_id, c.event_id, c.category, c.points, c.earned_ms - base, c.lead_id]
            for c in account.contributions
        ],
        "tr": {n: [v, t - base] for n, (v, t) in account.traits.items()},
        "mb": {
            lead: [m.persona]
            + ([m.last_engaged_ms - base] if m.last_engaged_ms is not None else [])
            for lead, m in account.members.items()
        },
        "dom": account.domain,
        "ss": _later_by(account.stage_since_ms, -base),
        "lt": account.latest_ms,
    }
    return _compact(blob, {"st": "unengaged"})


def lead_offsets(raw: bytes | dict[str, Any]) -> dict[str, int]:
    """The last applied offset per source partition of a lead blob (packed or not)."""
    blob = unpack(raw) if isinstance(raw, bytes) else raw
    return {k: int(v) for k, v in _map(blob.get("of")).items()}


def _none(value: Any) -> Any:
    return None if value is False else value


def decode_record(record: list[Any]) -> TransitionData:
    """A transition record from apply.lua as the wire ``TransitionData``."""
    (
        entity,
        entity_id,
        track,
        stage_from,
        stage_to,
        reason,
        score,
        threshold,
        profile,
        intent_score,
        by_category,
        top,
        trigger,
        context,
        version,
        at_ms,
    ) = record
    move = Move(
        track,
        stage_from,
        stage_to,
        int(at_ms),
        reason,
        float(score),
        _none(threshold),
        _none(trigger),
    )
    raw_top: list[RawContributor] = [
        (r, e, c, float(p), int(t), float(w), lead) for r, e, c, p, t, w, lead in top or []
    ]
    raw_context: RawAccountContext | None = None
    if context:
        account_id, domain, stage, account_score, engaged, personas = context
        raw_context = (
            account_id,
            _none(domain),
            stage,
            float(account_score),
            int(engaged),
            list(personas or []),
        )
    return build_transition(
        entity,
        entity_id,
        move,
        profile_from_wire(_none(profile)),
        float(intent_score),
        {c: float(v) for c, v in _map(by_category).items()},
        raw_top,
        raw_context,
        version,
    )
