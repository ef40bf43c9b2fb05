"""Identity text cleaned at the edge: the one rule for emails, ids and account names.

Every identity value (``user_id``, ``email``, ``anonymous_id``, ``previous_id``) and
every account value (``account.id``, ``account.domain``) passes through these functions
when a ``Signal``, an inbound event or a routed signal is validated, so every adapter,
the gateway and the command line apply the same rule. Contract:

- the value is Unicode-normalized to NFKC, so compatibility forms are the same text
  (``ａｄａ＠ａｃｍｅ．ｉｏ`` in fullwidth letters is ``ada@acme.io``); emails and domains
  are also stripped and lower-cased (as before), ids keep their case and spaces;
- a value holding a control character (Unicode category Cc: NUL, tabs, line breaks,
  DEL, C1 controls) or a format character (category Cf: the bidi controls U+200E/F,
  U+202A–202E, U+2066–2069, U+061C, and invisible ones such as U+200B, U+FEFF) is
  refused with a ``ValueError`` naming the character, so ``u:ada\\u0000evil`` or a
  right-to-left override never becomes a new lead that looks like an old one;
- cleaning is idempotent: a cleaned value cleans to itself.

Printable ASCII (almost every real value) takes a fast path: it needs no normalization.
"""

from __future__ import annotations

import unicodedata
from typing import Final

#: Unicode categories refused in identity text: controls and format characters.
REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cf"})


def clean_identifier(value: str) -> str:
    """An id (user, anonymous, previous or account id) in NFKC; raises ``ValueError``
    for control or format characters (see the module contract)."""
    if value.isascii() and value.isprintable():
        return value
    _refuse_invisible(value)
    return unicodedata.normalize("NFKC", value)


def clean_email(value: str) -> str:
    """An email address: NFKC, stripped, lower-cased; raises ``ValueError`` for control or
    format characters and for text that is not an address (``x@y`` with both parts)."""
    cleaned = _clean_lower(value)
    if "@" not in cleaned or cleaned.startswith("@") or cleaned.endswith("@"):
        raise ValueError(f"not an email address: {cleaned!r}")
    return cleaned


def clean_domain(value: str) -> str | None:
    """A company domain: NFKC, stripped, lower-cased, without ``www.``; ``""`` gives None."""
    cleaned = _clean_lower(value).removeprefix("www.")
    return cleaned or None


def _clean_lower(value: str) -> str:
    if not (value.isascii() and value.isprintable()):
        _refuse_invisible(value)
        # Lower-casing can leave text that is not NFKC (``İ`` → ``i̇``): normalize after.
        value = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).lower())
    return value.strip().lower()


def _refuse_invisible(value: str) -> None:
    for position, character in enumerate(value):
        category = unicodedata.category(character)
        if category in REFUSED_CATEGORIES:
            kind = "control" if category == "Cc" else "format (bidi or zero-width)"
            name = unicodedata.name(character, "")
            label = f"U+{ord(character):04X}" + (f" {name}" if name else "")
            raise ValueError(
                f"contains an invisible {kind} character ({label}) at position {position};"
                " identities must be visible text"
            )
