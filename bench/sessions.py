"""Sessions: what one person does in one visit, as timed wire messages.

Contract: every session method appends at least one ``(at_ms, topic, key, message)``
tuple to ``out``, each timed at or after the ``at_ms`` it was given, and returns the
time its in-session activity ends; follow-ups (a CRM verdict days after a demo
request, a webinar attendance) later than ``end_ms`` are left out. Keys are the lead
identity Kafka partitions by (``lead_key``).
"""

from __future__ import annotations

import random
from typing import Final

from bench import wire
from bench.population import Company, Person

Out = list[tuple[int, str, bytes | None, object]]
SECOND: Final = 1000
MINUTE: Final = 60 * SECOND
HOUR: Final = 60 * MINUTE
DAY: Final = 24 * HOUR
BLOG: Final = ("/blog/lead-scoring-101", "/blog/intent-data", "/blog/abm-playbook", "/blog/revops")
CASES: Final = tuple(f"/customers/{s}" for s in ["initrode", "globex", "umbrella", "hooli"])
PRODUCT: Final = tuple(f"/product/{s}" for s in ["scoring", "routing", "integrations"])
DOCS: Final = tuple(f"/docs/{s}" for s in ["api", "webhooks", "sso", "kafka"])
PRICING: Final = ("/pricing", "/pricing/enterprise")
FEATURES: Final = ("scoring", "routing", "dashboards", "alerts", "crm-sync")


class Sessions:
    """Builds sessions into ``out``; holds the shared random source and id counter."""

    def __init__(self, rng: random.Random, ids: wire.Ids, end_ms: int) -> None:
        self.rng, self.ids, self.end_ms = rng, ids, end_ms
        self.out: Out = []
        #: Every demo request in the workload: (who, its ``Demo Requested`` event time).
        self.hand_raises: list[tuple[Person, int]] = []
        #: This session's demo requests: (who, when, index of the track in ``out``);
        #: the simulator keeps those whose record fits the unit's budget.
        self.session_hand_raises: list[tuple[Person, int, int]] = []

    def _web(self, at_ms: int, person: Person, device: int, message: dict[str, object]) -> None:
        user_id, anonymous_id = person.identity(device)
        self.out.append((at_ms, "web", lead_key(user_id, None, anonymous_id), message))

    def pages(self, at_ms: int, person: Person, paths: list[str], device: int = 0) -> int:
        """Page views ``paths`` by ``person`` on ``device``; returns the last one's time."""
        return self._pages(at_ms, person.identity(device), paths)

    def _pages(self, at_ms: int, identity: tuple[str | None, str], paths: list[str]) -> int:
        rng, at, (user_id, anonymous_id) = self.rng, at_ms, identity
        key = lead_key(user_id, None, anonymous_id)
        for number, path in enumerate(paths):
            at += rng.randint(15 * SECOND, 4 * MINUTE) if number else 0
            title = path.rsplit("/", 1)[-1].replace("-", " ").title() or "Home"
            message = wire.page(self.ids, at, user_id, anonymous_id, path, title)
            self.out.append((at, "web", key, message))
        return at

    def identify(self, at_ms: int, person: Person, device: int, **answers: str) -> int:
        """A form fill or login: identify (stitching the device), then group once."""
        person.known_devices |= 1 << device
        person.in_db = True
        user_id, anonymous_id = person.identity(device)
        traits = person.traits() | answers
        message = wire.segment(self.ids, "identify", at_ms, user_id, anonymous_id, traits=traits)
        self._web(at_ms, person, device, message)
        company = person.company
        if company is None or person.grouped:
            return at_ms
        person.grouped = True
        at_ms += rng_ms(self.rng, 1, 3)
        group = wire.segment(
            self.ids, "group", at_ms, user_id, anonymous_id,
            groupId=company.group_id, traits=company.group_traits(),
        )  # fmt: skip
        self._web(at_ms, person, device, group)
        return at_ms

    def track(self, at_ms: int, person: Person, device: int, event: str, **props: object) -> None:
        """A browser ``track`` call (form submissions)."""
        user_id, anonymous_id = person.identity(device)
        message = wire.segment(
            self.ids, "track", at_ms, user_id, anonymous_id, event=event, properties=props
        )
        self._web(at_ms, person, device, message)

    def later(self, at_ms: int, topic: str, key: bytes, message: object) -> None:
        """A follow-up, kept only inside the workload's time span."""
        if at_ms <= self.end_ms:
            self.out.append((at_ms, topic, key, message))

    def product(self, at_ms: int, person: Person, count: int, team: list[Person]) -> int:
        """``count`` product events by a signed-up person; an invite marks one of ``team``."""
        rng, at = self.rng, at_ms
        group_id = person.company.group_id if person.company else None
        props: wire.Message
        for number in range(count):
            at += rng.randint(20 * SECOND, 10 * MINUTE) if number else 0
            roll = rng.random()
            if roll >= 0.93 and team:
                rng.choice(team).invited = True
            if roll < 0.6:
                event, props = "Feature Used", {"feature": rng.choice(FEATURES)}
            elif roll < 0.8:
                event, props = "Report Created", {"format": rng.choice(("csv", "pdf"))}
            elif roll < 0.93:
                event, props = "Dashboard Viewed", {}
            else:
                event, props = "Teammate Invited", {"invitee_role": "member"}
            message = wire.server_track(self.ids, at, person.user_id, event, group_id, props)
            self.out.append((at, "product", lead_key(person.user_id), message))
        return at

    def signup(self, at_ms: int, person: Person, device: int, team: list[Person]) -> int:
        """The sign-up page, identify, ``Signed Up`` on the product topic, first use."""
        at = self.pages(at_ms, person, ["/signup"], device) + rng_ms(self.rng, 30, 180)
        at = self.identify(at, person, device) + rng_ms(self.rng, 2, 10)
        person.signed_up = True
        group_id = person.company.group_id if person.company else None
        props = {"plan": "trial", "invited": person.invited}
        message = wire.server_track(self.ids, at, person.user_id, "Signed Up", group_id, props)
        self.out.append((at, "product", lead_key(person.user_id), message))
        return self.product(at + rng_ms(self.rng, 30, 300), person, self.rng.randint(2, 6), team)

    def webinar(self, at_ms: int, person: Person, device: int) -> int:
        """Registration (identify + ``Webinar Registered``); 60% attend 1–7 days later."""
        at = self.pages(at_ms, person, ["/webinars/q1-pipeline"], device) + rng_ms(self.rng, 20, 90)
        at = self.identify(at, person, device)
        self.track(at + SECOND, person, device, "Webinar Registered", webinar="q1-pipeline")
        if self.rng.random() < 0.6:  # attendance, reported by the webinar platform's sync
            when = at + self.rng.randint(1 * DAY, 7 * DAY)
            props = {"webinar": "q1-pipeline", "minutes": self.rng.randint(10, 55)}
            message = wire.server_track(
                self.ids, when, person.user_id, "Webinar Attended", None, props
            )
            self.later(when, "web", lead_key(person.user_id), message)
        return at + SECOND

    def demo_request(self, at_ms: int, person: Person, device: int, company: Company) -> int:
        """Pricing, the demo form (identify with BANT answers), then sales' verdict."""
        rng = self.rng
        at = self.pages(at_ms, person, [rng.choice(PRICING), "/demo"], device)
        role = "decision_maker" if person.persona == "decision_maker" else "influencer"
        answers = {
            "budget": rng.choice(("approved", "planned", "planned", "none")),
            "purchase_role": role,
            "timeline": rng.choice(("this_quarter", "this_year", "this_year", "next_year")),
        }
        at = self.identify(at + rng_ms(rng, 30, 120), person, device, **answers) + SECOND
        self.track(at, person, device, "Demo Requested", form="demo", employees=company.employees)
        self.session_hand_raises.append((person, at, len(self.out) - 1))
        self.sales_verdict(at, person, company)
        return at

    def sales_verdict(self, at_ms: int, person: Person, company: Company) -> None:
        """Sales rejects (35%) or accepts the lead; 60% of accepted get an opportunity."""
        rng, domain = self.rng, company.domain
        when = at_ms + rng.randint(4 * HOUR, 3 * DAY)
        owner = f"sdr{rng.randint(1, 9)}@example.com"
        if rng.random() < 0.35:
            reason = rng.choice(("no budget", "not a fit", "bad timing"))
            message = wire.crm_event(
                self.ids, when, "sales_rejected", person.email, domain, owner=owner, reason=reason
            )
            self.later(when, "crm", lead_key(None, person.email), message)
            return
        message = wire.crm_event(
            self.ids, when, "sales_accepted", person.email, domain, owner=owner
        )
        self.later(when, "crm", lead_key(None, person.email), message)
        if rng.random() < 0.6:
            when += rng.randint(2 * DAY, 12 * DAY)
            seats = round(company.employees * rng.uniform(0.2, 0.6))
            amount = float(min(250_000, max(6_000, 100 * seats)))
            message = wire.crm_event(
                self.ids, when, "opportunity_created", person.email, domain,
                owner=f"ae{rng.randint(1, 5)}@example.com", amount=amount, currency="USD",
                opportunity_id=f"006{self.ids.seed}x{self.ids.counter}",
            )  # fmt: skip
            self.later(when, "crm", lead_key(None, person.email), message)

    def drive_by(self, at_ms: int) -> int:
        """An anonymous visitor who reads a page or two and never comes back."""
        rng = self.rng
        paths = [rng.choice(BLOG)]
        if rng.random() < 0.5:
            paths = ["/", *rng.sample(BLOG, rng.randint(0, 2))]
        return self._pages(at_ms, (None, f"{rng.getrandbits(128):032x}"), paths)


def lead_key(
    user_id: str | None, email: str | None = None, anonymous_id: str | None = None
) -> bytes:
    """The Kafka key of a message: its preferred identity as the engine writes it
    (``u:<user id>``, else ``e:<email>``, else ``a:<anonymous id>``), as ``leadq
    produce`` keys the same document."""
    if user_id:
        return f"u:{user_id}".encode()
    return f"e:{email}".encode() if email else f"a:{anonymous_id}".encode()


def rng_ms(rng: random.Random, low_s: int, high_s: int) -> int:
    """A random delay between ``low_s`` and ``high_s`` seconds, in ms."""
    return rng.randint(low_s * SECOND, high_s * SECOND)
