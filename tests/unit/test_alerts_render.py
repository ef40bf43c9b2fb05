"""SDR alert messages: what they say, Slack's escaping, and Slack's Block Kit limits."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import ValidationError

from leadq.alerts_render import render_alert
from leadq.alerts_text import ago, escape, fit_escaped, plain_rule
from schemas.assignment import Assignee, LeadContext
from schemas.slack import (
    MAX_BLOCKS,
    MAX_FIELD_TEXT,
    MAX_HEADER_TEXT,
    MAX_SECTION_FIELDS,
    MAX_SECTION_TEXT,
    HeaderBlock,
    Mrkdwn,
    PlainText,
    SectionBlock,
    SlackMessage,
)
from tests.assignment_samples import AT, assignment, breach, signal


def texts(message: SlackMessage) -> str:
    """Every text of the message (header, sections, fields, context), one per line."""
    body = json.loads(message.model_dump_json())
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "text" in node and isinstance(node["text"], str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body["blocks"])
    return "\n".join(found)


def fields_of(message: SlackMessage) -> dict[str, str]:
    sections = [b for b in message.blocks if isinstance(b, SectionBlock) and b.fields]
    assert len(sections) == 1
    pairs = (field.text.split("\n", 1) for field in sections[0].fields or ())
    return {label.strip("*"): value for label, value in pairs}


def test_an_assignment_says_who_company_stage_why_owner_and_deadline() -> None:
    message = render_alert(assignment())
    header = message.blocks[0]
    assert isinstance(header, HeaderBlock)
    assert header.text.text == "🙋 Hand-raise: Ada Lovelace at Acme (SQL)"
    assert message.text == "🙋 Hand-raise: Ada Lovelace at Acme (SQL) → Grace Hopper"
    fields = fields_of(message)
    assert fields == {
        "Company": "Acme",
        "Stage": "SQL",
        "Hand-raise": "demo request",
        "Fit": "A (42)",
        "Score": "74.2",
        "Owner": "Grace Hopper (team EMEA SDRs)",
        "SLA deadline": f"<!date^{int(AT.timestamp()) + 300}^{{date_short_pretty}} at {{time}}"
        "|2026-12-03 09:05 UTC>",
    }
    words = texts(message)
    assert "*Ada Lovelace* · VP Engineering · ada@acme.io · GB" in words
    assert "*Why*: round robin: weight 2, 3 of 10 today (rule hand-raise-emea)" in words
    assert "• demo request (web), 1 min ago, worth 30.0 points" in words
    assert "• pricing page (web), 2 h ago, worth 8.5 points" in words
    assert (
        "*Account* acme.io: MQA, intent 120.5, 3 engaged people "
        "(personas: decision maker, champion)" in words
    )
    assert "lead lead-ada · alert " + assignment().id in words


def test_a_breach_says_who_missed_it_and_who_has_it_now() -> None:
    message = render_alert(breach())
    header = message.blocks[0]
    assert isinstance(header, HeaderBlock)
    assert header.text.text.startswith("⏰ SLA missed: Ada Lovelace at Acme")
    assert message.text == "SLA missed on Ada Lovelace at Acme: Grace Hopper did not touch it"
    fields = fields_of(message)
    assert fields["Missed by"] == "Grace Hopper"
    assert fields["Now with"] == "Alan Turing (team EMEA SDRs)"
    assert "Owner" not in fields


def test_a_breach_without_a_previous_owner_stays_with_the_owner_until_reassigned() -> None:
    fields = fields_of(render_alert(breach(previous_owner=None)))
    assert fields["Missed by"] == "Alan Turing"
    assert fields["Now with"] == "Alan Turing until it is reassigned"


def test_a_sparse_assignment_still_renders() -> None:
    event = assignment(
        lead=LeadContext(lead_id="lead-x"),
        hand_raise=(),
        fit=None,
        top_signals=(),
        account=None,
        sla_deadline=None,
        stage="mql",
        owner=Assignee(id="rep-7"),
    )
    message = render_alert(event)
    assert message.text == "🔔 New MQL lead: lead-x → rep-7"
    fields = fields_of(message)
    assert fields["Company"] == "unknown"
    assert fields["Hand-raise"] == "no"
    assert fields["Fit"] == "not scored"
    assert fields["SLA deadline"] == "none"
    assert "Account" not in texts(message)


def test_values_from_the_event_are_escaped_so_they_cannot_ping_or_link() -> None:
    lead = LeadContext(
        lead_id="lead-evil", name="<!channel> & <https://x.example|click>", company="A&B <Co>"
    )
    message = render_alert(assignment(lead=lead, reason="<@U123> said so"))
    words = texts(message) + "\n" + message.text
    assert "<!channel>" not in words
    assert "<@U123>" not in words
    assert "&lt;!channel&gt; &amp; &lt;https://x.example|click&gt;" in words
    assert fields_of(message)["Company"] == "A&amp;B &lt;Co&gt;"
    assert "&lt;@U123&gt; said so" in words


def test_huge_values_are_cut_to_slacks_limits() -> None:
    name = "<" * 5000
    lead = LeadContext(lead_id="lead-long", name=name, title="t" * 9000, company="c" * 9000)
    event = assignment(
        lead=lead,
        reason="r&" * 4000,
        top_signals=tuple(signal(f"rule-{n}-" + "x" * 900, "web", 1.0, n) for n in range(20)),
    )
    message = render_alert(event)
    SlackMessage.model_validate_json(message.model_dump_json())  # what Slack would check
    header = message.blocks[0]
    assert isinstance(header, HeaderBlock)
    assert len(header.text.text) <= MAX_HEADER_TEXT
    assert header.text.text.endswith("&lt;…")
    for block in message.blocks:
        if isinstance(block, SectionBlock):
            assert block.text is None or len(block.text.text) <= MAX_SECTION_TEXT
            assert all(len(f.text) <= MAX_FIELD_TEXT for f in block.fields or ())
            assert len(block.fields or ()) <= MAX_SECTION_FIELDS
    assert len(message.blocks) <= MAX_BLOCKS
    assert "&l…" not in texts(message)  # no entity cut in half


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: HeaderBlock(text=PlainText(text="h" * 151)), "Slack allows 150"),
        (lambda: SectionBlock(text=Mrkdwn(text="s" * 3001)), "Slack allows 3000"),
        (lambda: SectionBlock(fields=(Mrkdwn(text="f"),) * 11), "at most 10 fields"),
        (lambda: SectionBlock(fields=(Mrkdwn(text="f" * 2001),)), "Slack allows 2000"),
        (lambda: SectionBlock(), "text or fields"),
        (lambda: Mrkdwn(text=""), "at least 1 character"),
        (
            lambda: SlackMessage(text="t", blocks=(SectionBlock(text=Mrkdwn(text="x")),) * 51),
            "at most 50 items",
        ),
    ],
)
def test_the_message_model_refuses_what_slack_refuses(make: object, error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        make()  # type: ignore[operator]


def test_the_same_event_renders_the_same_message() -> None:
    assert render_alert(assignment()) == render_alert(assignment())


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("a<b", 10, "a&lt;b"),
        ("abcdef", 4, "abc…"),
        ("a&b", 5, "a…"),  # "a&amp;" would not fit with the ellipsis
        ("&&", 11, "&amp;&amp;"),
    ],
)
def test_fit_escaped(text: str, limit: int, expected: str) -> None:
    assert fit_escaped(text, limit) == expected
    assert len(fit_escaped(text, limit)) <= limit


def test_plain_words() -> None:
    assert escape("a & <b>") == "a &amp; &lt;b&gt;"
    assert plain_rule("decision_maker") == "decision maker"
    assert plain_rule("web.demo-request") == "web demo request"
    assert ago(AT - timedelta(seconds=30), AT) == "just now"
    assert ago(AT - timedelta(minutes=5), AT) == "5 min ago"
    assert ago(AT - timedelta(days=3, hours=1), AT) == "3 d ago"
