"""Slack-compatible incoming-webhook messages: ``text`` plus Block Kit ``blocks``.

Contract: the subset of Block Kit an SDR alert uses (header, section with text and/or
fields, context, divider), with Slack's documented limits enforced at construction so
a message that validates here is one Slack accepts:

- at most 50 blocks per message; ``text`` (the notification and fallback) is
  truncated by Slack past 40,000 characters, so it is refused here beyond that;
- header: ``plain_text`` of at most 150 characters;
- section: ``text`` of at most 3,000 characters and/or at most 10 ``fields`` of at most
  2,000 characters each (one of the two is required);
- context: 1 to 10 text elements;
- every text object: at least one character.

Lengths count the characters as sent, i.e. after escaping ``&``, ``<`` and ``>`` (Slack's
control characters) as ``&amp;``, ``&lt;`` and ``&gt;``; the renderer does that.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from schemas.base import Contract

MAX_BLOCKS = 50
MAX_MESSAGE_TEXT = 40_000
MAX_HEADER_TEXT = 150
MAX_SECTION_TEXT = 3_000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2_000
MAX_CONTEXT_ELEMENTS = 10


class PlainText(Contract):
    type: Literal["plain_text"] = "plain_text"
    text: str = Field(min_length=1)
    emoji: bool = True


class Mrkdwn(Contract):
    type: Literal["mrkdwn"] = "mrkdwn"
    text: str = Field(min_length=1)


class HeaderBlock(Contract):
    type: Literal["header"] = "header"
    text: PlainText

    @model_validator(mode="after")
    def _short(self) -> HeaderBlock:
        _at_most(self.text.text, MAX_HEADER_TEXT, "header text")
        return self


class SectionBlock(Contract):
    type: Literal["section"] = "section"
    text: Mrkdwn | None = None
    fields: tuple[Mrkdwn, ...] | None = None

    @model_validator(mode="after")
    def _within_limits(self) -> SectionBlock:
        if self.text is None and not self.fields:
            raise ValueError("a section needs text or fields")
        if self.text is not None:
            _at_most(self.text.text, MAX_SECTION_TEXT, "section text")
        fields = self.fields or ()
        if len(fields) > MAX_SECTION_FIELDS:
            raise ValueError(f"a section has at most {MAX_SECTION_FIELDS} fields")
        for field in fields:
            _at_most(field.text, MAX_FIELD_TEXT, "section field")
        return self


class ContextBlock(Contract):
    type: Literal["context"] = "context"
    elements: tuple[Mrkdwn | PlainText, ...] = Field(min_length=1, max_length=MAX_CONTEXT_ELEMENTS)


class DividerBlock(Contract):
    type: Literal["divider"] = "divider"


Block = Annotated[
    HeaderBlock | SectionBlock | ContextBlock | DividerBlock, Field(discriminator="type")
]


class SlackMessage(Contract):
    """The JSON body POSTed to a Slack-compatible incoming webhook."""

    #: Shown in notifications and by clients that cannot show blocks (mrkdwn).
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_TEXT)
    blocks: tuple[Block, ...] = Field(min_length=1, max_length=MAX_BLOCKS)


def _at_most(text: str, limit: int, what: str) -> None:
    if len(text) > limit:
        raise ValueError(f"{what} is {len(text)} characters; Slack allows {limit}")
