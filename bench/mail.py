"""Marketing email as SendGrid reports it: one webhook array per delivery, one later.

Contract of ``email``: appends the delivery array at ``at_ms`` (``delivered``, or a rare
``bounce``) with what machines do at once — an Apple Mail Privacy Protection open
(``sg_machine_open: true``) for Apple Mail users, and for companies behind a link
scanner several ``click`` events on the message within the same second. With
probability ``engage`` the person opens it later (a second array: a human open, maybe a
click ≥ 5 s after it, rarely an unsubscribe) and a click lands them on the page.
Human clicks on one message are never less than a second apart, so only scanners
form bursts.
"""

from __future__ import annotations

from typing import Final

from bench import wire
from bench.population import Person
from bench.sessions import HOUR, MINUTE, SECOND, Sessions, lead_key

LINKS: Final = ("/blog/intent-data", "/customers/globex", "/pricing", "/webinars/q1-pipeline")
_SCANNER_AGENT: Final = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Trident/7.0"
_APPLE_PROXY_AGENT: Final = "Mozilla/5.0"


def email(sessions: Sessions, at_ms: int, person: Person, engage: float) -> int:
    """One email to ``person``; returns the time of the delivery array."""
    rng, ids = sessions.rng, sessions.ids
    message_id = ids.next("sgm-")
    at_s, address = at_ms // 1000, person.email
    if rng.random() < 0.01:
        person.in_db = False
        bounce = wire.sendgrid_event(
            ids, at_s, address, "bounce", message_id, type="bounce", status="5.1.1",
            reason="550 5.1.1 The email account that you tried to reach does not exist",
        )  # fmt: skip
        sessions.out.append((at_ms, "email", lead_key(None, address), [bounce]))
        return at_ms
    items = [wire.sendgrid_event(ids, at_s, address, "delivered", message_id, response="250 OK")]
    last_s = at_s
    if person.company is not None and person.company.scanner:
        last_s = at_s + 1
        for link in rng.sample(LINKS, rng.randint(2, 4)):
            items.append(_click(sessions, last_s, person, message_id, link, _SCANNER_AGENT))
    if person.apple_mail:
        open_s = at_s + rng.randint(2, 60)
        items.append(_open(sessions, open_s, person, message_id, _APPLE_PROXY_AGENT, machine=True))
        last_s = max(last_s, open_s)
    at_ms += (last_s - at_s) * SECOND
    sessions.out.append((at_ms, "email", lead_key(None, address), items))
    if rng.random() < engage:
        _engage(sessions, at_ms + rng.randint(5 * MINUTE, 30 * HOUR), person, message_id)
    return at_ms


def _engage(sessions: Sessions, at_ms: int, person: Person, message_id: str) -> None:
    rng = sessions.rng
    at_s = at_ms // 1000
    agent = wire.user_agent(rng)
    items = [_open(sessions, at_s, person, message_id, agent, machine=False)]
    roll = rng.random()
    if roll < 0.35:
        link = rng.choice(LINKS)
        at_s += rng.randint(5, 120)
        items.append(_click(sessions, at_s, person, message_id, link, agent))
        at_ms = at_s * SECOND
        if at_ms + 2 * SECOND <= sessions.end_ms:
            sessions.pages(at_ms + 2 * SECOND, person, [link])
    elif roll < 0.37:
        person.unsubscribed = True
        at_s += rng.randint(5, 60)
        items.append(
            wire.sendgrid_event(sessions.ids, at_s, person.email, "unsubscribe", message_id)
        )
        at_ms = at_s * SECOND
    sessions.later(at_ms, "email", lead_key(None, person.email), items)


def _open(
    sessions: Sessions, at_s: int, person: Person, message_id: str, agent: str, machine: bool
) -> wire.Message:
    return wire.sendgrid_event(
        sessions.ids, at_s, person.email, "open", message_id,
        sg_machine_open=machine, useragent=agent, ip="17.58.0.1" if machine else "73.15.22.9",
    )  # fmt: skip


def _click(
    sessions: Sessions, at_s: int, person: Person, message_id: str, link: str, agent: str
) -> wire.Message:
    return wire.sendgrid_event(
        sessions.ids, at_s, person.email, "click", message_id,
        url=wire.SITE + link, useragent=agent, ip="40.94.0.10",
    )  # fmt: skip
