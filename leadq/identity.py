"""Identity resolution: which lead a signal belongs to, and which account a lead joins.

Keys are ``u:<user id>``, ``e:<email>`` and ``a:<anonymous id>``. A lead's id is always
the most preferred key seen for that person (``u:`` over ``e:`` over ``a:``, then the
smaller id). When a signal names keys of two different leads (an ``identify`` or
``alias`` stitching an anonymous visitor to a known person), or a more preferred key
than its lead's id (an anonymous visitor identifying), the leads merge into the one with
the preferred id, so the survivor never depends on which was seen first.
"""

from __future__ import annotations

from collections.abc import Mapping

from schemas.signal import Signal

_KIND_ORDER = {"u": 0, "e": 1, "a": 2}


def identity_keys(signal: Signal) -> list[str]:
    """The signal's identity keys, most preferred first (alias adds ``previous_id``)."""
    identity = signal.identity
    keys = [
        f"u:{identity.user_id}" if identity.user_id else None,
        f"e:{identity.email}" if identity.email else None,
        f"a:{identity.anonymous_id}" if identity.anonymous_id else None,
    ]
    return [k for k in keys if k]


def previous_keys(signal: Signal) -> list[str]:
    """Keys an ``alias`` links to the current identity (Segment ``previousId``)."""
    previous = signal.identity.previous_id
    return [f"u:{previous}", f"a:{previous}"] if previous else []


def lead_preference(lead_id: str) -> tuple[int, str]:
    """Sort key: the preferred lead of several sorts first."""
    kind, _, _ = lead_id.partition(":")
    return (_KIND_ORDER.get(kind, 3), lead_id)


def resolve(index: Mapping[str, str], signal: Signal) -> tuple[str | None, list[str]]:
    """(the lead to apply to, other leads to merge into it) for ``signal``.

    ``None`` for an account-only ``group`` call. A brand-new person gets the id of their
    most preferred key.
    """
    keys = identity_keys(signal)
    if not keys:
        return None, []
    known = {index[k] for k in keys + previous_keys(signal) if k in index}
    candidates = known | ({keys[0]} if keys[0] not in index else set())
    survivor = min(candidates, key=lead_preference)
    return survivor, sorted(known - {survivor}, key=lead_preference)


def email_domain(email: str | None) -> str | None:
    return email.rpartition("@")[2] if email else None


def domain_candidate(signal: Signal, free_mail: frozenset[str]) -> str | None:
    """The company domain the signal suggests, unless it is a free-mail domain."""
    domain = signal.account.domain or email_domain(signal.identity.email)
    return domain if domain and domain not in free_mail else None


def account_key(signal: Signal, current: str | None, free_mail: frozenset[str]) -> str | None:
    """The account a lead belongs to after ``signal``.

    An explicit account id (a ``group`` call, or ``context.groupId``) wins and moves the
    lead; otherwise the lead keeps its account; otherwise its email's company domain,
    unless that is a free-mail domain (those never form accounts). ``current`` is the
    lead's account, or for a merge the first absorbed lead's when the survivor has none.
    """
    return signal.account.id or current or domain_candidate(signal, free_mail)


def new_account_domain(signal: Signal, account_id: str) -> str | None:
    """The domain recorded for a newly seen account."""
    return signal.account.domain if signal.account.id else account_id
