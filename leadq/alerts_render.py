"""An assignment or SLA breach as a Slack-compatible incoming-webhook message (pure).

Contract: :func:`render_alert` maps one ``AssignmentEvent`` to a ``SlackMessage`` that
satisfies Slack's Block Kit limits (``schemas.slack``), whatever the lengths of the
names and texts in it: every value from the event is escaped (``&``, ``<``, ``>``) and
cut with an ellipsis to fit its slot. The same event always renders the same message.

Layout (top to bottom): a header saying what happened and to whom; who (name, title,
email); the facts as fields (company, stage, hand-raise, fit, score, owner, SLA
deadline, and for a breach who missed it and who has it now); why (the routing rule
and reason, the top signals in plain words); the account context; a context line with
the lead id and the event id (for support).
"""

from __future__ import annotations

from datetime import datetime

from leadq.alerts_text import ago, escape, fit_escaped, plain_rule, slack_date
from schemas.assignment import Assignee, AssignmentData, AssignmentEvent
from schemas.slack import (
    MAX_FIELD_TEXT,
    MAX_HEADER_TEXT,
    MAX_SECTION_FIELDS,
    MAX_SECTION_TEXT,
    Block,
    ContextBlock,
    HeaderBlock,
    Mrkdwn,
    PlainText,
    SectionBlock,
    SlackMessage,
)
from schemas.transition import Contributor

#: The notification text is kept short: it is what a phone's lock screen shows.
MAX_NOTIFICATION_TEXT = 300
#: Top signals listed in the "why" section (the transition carries a few more at most).
MAX_SIGNALS_SHOWN = 5
STAGE_NAMES = {"mql": "MQL", "sql": "SQL", "pql": "PQL", "mqa": "MQA"}


def render_alert(event: AssignmentEvent) -> SlackMessage:
    """The webhook message for ``event`` (see the module docstring)."""
    data = event.data
    blocks: list[Block] = [
        HeaderBlock(text=PlainText(text=fit_escaped(headline(data), MAX_HEADER_TEXT))),
        _section(who_line(data)),
        SectionBlock(fields=tuple(_field(label, value) for label, value in facts(data))),
        _section(why_text(data)),
    ]
    if data.account is not None:
        blocks.append(_section(account_text(data)))
    blocks.append(
        ContextBlock(
            elements=(
                Mrkdwn(
                    text=fit_escaped(
                        f"lead {data.lead.lead_id} · alert {event.id}", MAX_SECTION_TEXT
                    )
                ),
            )
        )
    )
    text = fit_escaped(notification(data), MAX_NOTIFICATION_TEXT)
    return SlackMessage(text=text, blocks=tuple(blocks))


def headline(data: AssignmentData) -> str:
    who = lead_label(data)
    if data.kind == "sla_breached":
        return f"⏰ SLA missed: {who} is still waiting"
    if data.hand_raise:
        return f"🙋 Hand-raise: {who} ({stage_name(data.stage)})"
    again = " (reassigned)" if data.attempt else ""
    return f"🔔 New {stage_name(data.stage)} lead: {who}{again}"


def notification(data: AssignmentData) -> str:
    """The message's ``text``: one line that stands alone without the blocks."""
    owner = person(data.owner)
    if data.kind == "sla_breached":
        return f"SLA missed on {lead_label(data)}: {person(missed_by(data))} did not touch it"
    return f"{headline(data)} → {owner}"


def lead_label(data: AssignmentData) -> str:
    lead = data.lead
    name = lead.name or lead.email or lead.lead_id
    return f"{name} at {lead.company}" if lead.company else name


def who_line(data: AssignmentData) -> str:
    lead = data.lead
    parts = [f"*{escape(lead.name or lead.email or lead.lead_id)}*"]
    parts += [escape(value) for value in (lead.title, lead.email, lead.country) if value]
    return " · ".join(parts)


def facts(data: AssignmentData) -> list[tuple[str, str]]:
    """(label, escaped mrkdwn value) pairs for the fields section, at most ten."""
    lead = data.lead
    rows = [
        ("Company", escape(lead.company or _account_name(data) or "unknown")),
        ("Stage", escape(stage_name(data.stage))),
        ("Hand-raise", escape(", ".join(map(plain_rule, data.hand_raise)) or "no")),
        ("Fit", escape(f"{data.fit.grade} ({data.fit.score:g})" if data.fit else "not scored")),
        ("Score", escape(f"{data.score:.1f}")),
    ]
    if data.kind == "sla_breached":
        rows.append(("Missed by", escape(person(missed_by(data)))))
        rows.append(("Now with", escape(now_with(data))))
    else:
        rows.append(("Owner", escape(owner_line(data))))
    rows.append(("SLA deadline", slack_date(data.sla_deadline) if data.sla_deadline else "none"))
    return rows[:MAX_SECTION_FIELDS]


def why_text(data: AssignmentData) -> str:
    lines = [f"*Why*: {escape(data.reason)} (rule {escape(data.rule)})"]
    signals = data.top_signals[:MAX_SIGNALS_SHOWN]
    if signals:
        lines.append("*Top signals*:")
        lines += [f"• {escape(signal_words(s, data.at))}" for s in signals]
    return "\n".join(lines)


def signal_words(signal: Contributor, now: datetime) -> str:
    """A signal in plain words: "pricing page view (web), 2 h ago, worth 8.5 points"."""
    when = ago(signal.occurred_at, now)
    worth = f"worth {signal.weight:.1f} points"
    return f"{plain_rule(signal.rule_id)} ({signal.category}), {when}, {worth}"


def account_text(data: AssignmentData) -> str:
    account = data.account
    assert account is not None
    name = account.domain or account.account_id
    personas = ", ".join(plain_rule(p) for p in account.personas) or "none yet"
    return (
        f"*Account* {escape(name)}: {escape(stage_name(account.stage))}, intent "
        f"{account.intent_score:.1f}, {account.engaged_people} engaged "
        f"{'person' if account.engaged_people == 1 else 'people'} "
        f"(personas: {escape(personas)})"
    )


def owner_line(data: AssignmentData) -> str:
    team = data.team.name or data.team.id
    escalated = ", escalated" if data.escalated else ""
    return f"{person(data.owner)} (team {team}{escalated})"


def missed_by(data: AssignmentData) -> Assignee:
    """Who let the SLA pass: the previous owner when the breach names one, else the owner."""
    return data.previous_owner or data.owner


def now_with(data: AssignmentData) -> str:
    if data.previous_owner is None:
        return f"{person(data.owner)} until it is reassigned"
    return owner_line(data)


def person(who: Assignee) -> str:
    return who.name or who.email or who.id


def stage_name(stage: str) -> str:
    return STAGE_NAMES.get(stage, stage.replace("_", " "))


def _account_name(data: AssignmentData) -> str | None:
    return data.account.domain if data.account else None


def _section(mrkdwn: str) -> SectionBlock:
    return SectionBlock(text=Mrkdwn(text=_cut(mrkdwn, MAX_SECTION_TEXT)))


def _field(label: str, value: str) -> Mrkdwn:
    return Mrkdwn(text=_cut(f"*{label}*\n{value}", MAX_FIELD_TEXT))


def _cut(mrkdwn: str, limit: int) -> str:
    """``mrkdwn`` (already escaped) cut to ``limit`` without splitting an entity."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = mrkdwn[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"
