"""Identities cleaned at the edge: one rule (``schemas.identifiers``) for every path in."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from leadq.adapters import normalize
from leadq.identity import identity_keys
from schemas.identifiers import clean_domain, clean_email, clean_identifier
from schemas.signal import Account, Identity

FULLWIDTH_ADA = "ａｄａ＠ａｃｍｅ．ｉｏ"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("ada@acme.io", "ada@acme.io"),
        (" Ada@ACME.io ", "ada@acme.io"),
        (FULLWIDTH_ADA, "ada@acme.io"),
        ("ＡＤＡ@acme.io", "ada@acme.io"),
        ("ada@acme\u2024io", "ada@acme.io"),  # ONE DOT LEADER is a compatibility dot
        ("ﬁnance@acme.io", "finance@acme.io"),  # the ﬁ ligature
        ("José@acme.io", "josé@acme.io"),
        ("Jose\u0301@acme.io", "josé@acme.io"),  # combining accent composed
    ],
)
def test_emails_are_nfkc_and_lower_case(raw: str, clean: str) -> None:
    assert clean_email(raw) == clean
    assert clean_email(clean_email(raw)) == clean_email(raw)  # idempotent


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("u_97", "u_97"),
        ("User 97", "User 97"),  # ids keep their case and spaces
        ("ｕ＿９７", "u_97"),
        ("u\u00a097", "u 97"),  # no-break space is a space
        ("Ⅻ", "XII"),
    ],
)
def test_ids_are_nfkc_and_keep_their_case(raw: str, clean: str) -> None:
    assert clean_identifier(raw) == clean


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ("u:ada\u0000evil", "U+0000"),
        ("ada\u0007", "U+0007"),
        ("ada\ttab", "U+0009"),
        ("ada\nnext", "U+000A"),
        ("ada\x7f", "U+007F"),
        ("ada\x85", "U+0085"),
        ("ada\u202eevil", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u202aada", "U+202A"),
        ("ada\u2066x\u2069", "U+2066"),
        ("ada\u200e", "U+200E"),
        ("ada\u200f", "U+200F"),
        ("ada\u061c", "U+061C"),
        ("ad\u200ba", "U+200B ZERO WIDTH SPACE"),
        ("\ufeffada", "U+FEFF"),
    ],
)
def test_control_and_invisible_characters_are_refused(raw: str, named: str) -> None:
    for clean in (clean_identifier, clean_email, clean_domain):
        with pytest.raises(ValueError, match=named.replace("+", r"\+")):
            clean(raw if clean is clean_identifier else f"{raw}@acme.io")


def test_domains_are_cleaned_like_emails() -> None:
    assert clean_domain("ＷＷＷ．Acme．io") == "acme.io"
    assert clean_domain("") is None


def test_the_contract_models_clean_every_identity_field() -> None:
    identity = Identity(user_id="ｕ１", email=FULLWIDTH_ADA, anonymous_id="ａ", previous_id="ｐ")
    assert identity.model_dump() == {
        "user_id": "u1",
        "email": "ada@acme.io",
        "anonymous_id": "a",
        "previous_id": "p",
    }
    assert Account(id="ａｃｍｅ", domain="ＡＣＭＥ.io").model_dump() == {
        "id": "acme",
        "domain": "acme.io",
    }
    for field in ("user_id", "email", "anonymous_id", "previous_id"):
        with pytest.raises(ValidationError, match=field):
            Identity(**{field: "x\u0000y@z"})
    with pytest.raises(ValidationError, match="id"):
        Account(id="acme\u202e")


def _segment(user_id: str, email: str | None = None) -> dict[str, object]:
    traits = {"email": email} if email else {}
    return {"type": "identify", "userId": user_id, "traits": traits, "timestamp": 1.7e9}


def test_a_fullwidth_email_is_the_same_lead_key_through_every_adapter() -> None:
    documents = [
        _segment("u1", FULLWIDTH_ADA),
        {"event": "$identify", "distinct_id": "u1", "$set": {"email": FULLWIDTH_ADA},
         "timestamp": 1},
        {"event_type": "x", "user_id": "u1", "time": 1,
         "user_properties": {"email": FULLWIDTH_ADA}},
        {"event": "x", "properties": {"distinct_id": "u1", "time": 1, "$email": FULLWIDTH_ADA}},
        {"schema_version": 1, "channel": "web", "event_id": "e", "occurred_at": "2026-01-01T00:00Z",
         "identity": {"user_id": "u1", "email": FULLWIDTH_ADA}},
    ]  # fmt: skip
    for document in documents:
        result = normalize(document, channel="web", received_at=None)
        assert result.rejects == [], document
        assert identity_keys(result.signals[0]) == ["u:u1", "e:ada@acme.io"], document


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (_segment("u:ada\u0000evil"), "userId"),
        (_segment("u1", "ada\u202e@acme.io"), "traits.email"),
        ({"event": "x", "distinct_id": "ada\u0000", "timestamp": 1.7e9}, "distinct_id"),
        ({"event_type": "x", "device_id": "d\u200f", "time": 1}, "device_id"),
        ({"event": "x", "properties": {"distinct_id": "d\x00", "time": 1}},
         "properties.distinct_id"),
        ({"type": "track", "event": "x", "userId": "u", "timestamp": 1.7e9,
          "context": {"groupId": "acme\u2066"}}, "context.groupId"),
        ({"schema_version": 1, "channel": "web", "event_id": "e",
          "occurred_at": "2026-01-01T00:00Z", "identity": {"user_id": "u\x00"}},
         "web.identity.user_id"),
    ],
)  # fmt: skip
def test_a_poisoned_identity_is_rejected_with_a_reason_naming_its_field(
    document: dict[str, object], field: str
) -> None:
    result = normalize(document, channel="web")
    assert result.signals == []
    [reject] = result.rejects
    assert reject.reason.startswith(f"{field}: "), reject.reason
    assert "invisible" in reject.reason
