"""Who is in the synthetic workload: companies, the people in them, and individuals.

Contract: everything is drawn from the caller's ``random.Random`` in a fixed order, so
the same draws give the same population. Data looks as tracking SDKs send it: people
have a job ``title`` (no seniority or department trait: the rules derive them), a
company's Segment ``groupId`` is an opaque id (``acct-northwind-12``) whose group
``website`` names its domain, written the ways people write websites; its CRM account
id is its domain. Leads reached only by email (no group call) then fall into the same
account as their colleagues: the engine links a group to the domain its website names.
Personas match ``rules/example.yaml``: a decision maker is a VP/C-level/director, a
technical evaluator works in engineering/IT/security/data, a user is a manager or an
individual contributor; students and competitors match its disqualifiers.
"""

from __future__ import annotations

import random
from typing import Final

#: The ``competitor`` disqualifier's domains in rules/example.yaml (a test checks this).
COMPETITOR_DOMAINS: Final = ("rivalcorp.com", "competitor.io", "leadscorer.example")
FREE_MAIL_DOMAINS: Final = ("gmail.com", "gmail.com", "gmail.com", "outlook.com")
SCHOOL_DOMAINS: Final = ("stateu.edu", "techinstitute.edu", "lakeside.edu", "cam.ac.uk")
INDUSTRIES: Final = (
    ("software", 25), ("saas", 15), ("fintech", 10), ("financial services", 10),
    ("e-commerce", 10), ("healthcare", 10), ("manufacturing", 10), ("retail", 5),
    ("logistics", 5),
)  # fmt: skip
_INDUSTRY_NAMES: Final = [name for name, _ in INDUSTRIES]
_INDUSTRY_WEIGHTS: Final = [weight for _, weight in INDUSTRIES]
_FIRST: Final = (
    "ada", "grace", "alan", "linus", "margaret", "barbara", "dennis", "ken", "radia",
    "frances", "john", "katherine", "tim", "sophie", "omar", "priya", "chen", "yuki", "lars",
    "ines", "mateo", "amara", "noah", "zoe", "ravi", "elena",
)  # fmt: skip
_LAST: Final = (
    "lovelace", "hopper", "turing", "torvalds", "hamilton", "liskov", "ritchie", "thompson",
    "perlman", "allen", "backus", "johnson", "lee", "wilson", "haddad", "patel", "wang",
    "tanaka", "nilsson", "garcia", "diaz", "okafor", "meyer", "novak", "rossi",
)  # fmt: skip
_PREFIX: Final = (
    "north", "blue", "bright", "iron", "silver", "cedar", "summit", "harbor", "quantum",
    "granite", "atlas",
)  # fmt: skip
_SUFFIX: Final = (
    "wind", "peak", "labs", "works", "soft", "data", "logic", "stack", "forge", "scale", "ridge",
)  # fmt: skip

# (title, seniority, department) per persona; the first persona rule that matches wins.
TITLES: Final[dict[str, tuple[tuple[str, str, str], ...]]] = {
    "decision_maker": (
        ("VP Marketing", "vp", "marketing"), ("CTO", "c_level", "engineering"),
        ("Chief Revenue Officer", "c_level", "sales"),
        ("Head of Growth", "director", "marketing"),
        ("Director of Sales Operations", "director", "sales"),
        ("Founder & CEO", "founder", "executive"), ("SVP, Engineering", "vp", "engineering"),
        ("Sr. Director, IT", "director", "it"), ("CISO", "c_level", "security"),
        ("VP of Revenue Operations", "vp", "operations"),
        ("Dir. Marketing Ops", "director", "marketing"),
    ),
    "technical_evaluator": (
        ("Staff Engineer", "individual_contributor", "engineering"),
        ("Engineering Manager", "manager", "engineering"),
        ("Solutions Architect", "individual_contributor", "it"),
        ("Data Engineer", "individual_contributor", "data"),
        ("Sr. Software Engineer", "senior", "engineering"),
        ("IT Manager", "manager", "it"),
        ("Security Engineer", "individual_contributor", "security"),
        ("Principal Data Scientist", "senior", "data"), ("DevOps Lead", "manager", "engineering"),
    ),
    "user": (
        ("Marketing Manager", "manager", "marketing"),
        ("Sales Development Rep", "individual_contributor", "sales"),
        ("Revenue Operations Analyst", "individual_contributor", "operations"),
        ("Account Executive", "individual_contributor", "sales"),
        ("Demand Generation Manager", "manager", "marketing"),
        ("Marketing Coordinator", "individual_contributor", "marketing"),
    ),
    "student": (("Student", "student", "education"), ("MBA Student", "student", "education")),
    "competitor": (
        ("Product Manager", "manager", "product"), ("Competitive Analyst", "ic", "strategy"),
    ),
    "individual": (
        ("Consultant", "individual_contributor", "consulting"),
        ("Freelance Marketer", "owner", "marketing"),
    ),
}  # fmt: skip


#: How people type a company website into a CRM or a group call's traits.
_WEBSITES: Final = ("https://{}", "https://www.{}/", "{}", "http://www.{}/about", "www.{}")


class Company:
    """A company: a Segment ``group_id``, and a ``domain`` (its people's email domain,
    its website's host and its CRM account id)."""

    __slots__ = ("domain", "employees", "group_id", "industry", "name", "scanner", "tz_hours",
                 "website")  # fmt: skip

    def __init__(self, rng: random.Random, number: int, competitor: bool) -> None:
        prefix, suffix = rng.choice(_PREFIX), rng.choice(_SUFFIX)
        self.name = f"{prefix.title()}{suffix} {number}"
        self.group_id = f"acct-{prefix}{suffix}-{number}"
        if competitor:
            self.domain, self.industry = rng.choice(COMPETITOR_DOMAINS), "software"
        else:
            self.domain = f"{prefix}{suffix}{number}.example"
            self.industry = rng.choices(_INDUSTRY_NAMES, _INDUSTRY_WEIGHTS)[0]
        self.website = rng.choice(_WEBSITES).format(self.domain)
        # Median ~400 employees; a few under 10 (the too_small disqualifier).
        self.employees = max(2, min(200_000, round(rng.lognormvariate(6.0, 1.6))))
        #: Mail filtered by a link scanner that clicks every link on delivery.
        self.scanner = rng.random() < 0.15
        self.tz_hours = rng.choice((-8, -7, -6, -5, -5, -5, 0, 1, 1, 2))

    def group_traits(self) -> dict[str, object]:
        return {
            "name": self.name,
            "website": self.website,
            "industry": self.industry,
            "employees": self.employees,
        }


class Person:
    """One buyer, with the identities and habits that shape their events."""

    __slots__ = (
        "anon_ids", "apple_mail", "company", "demo_phase", "department", "email", "first",
        "grouped", "in_db", "invited", "known_devices", "last", "persona", "seniority",
        "signed_up", "title", "unsubscribed", "user_id",
    )  # fmt: skip

    def __init__(
        self, rng: random.Random, number: int, seed: int, persona: str, company: Company | None
    ) -> None:
        self.persona, self.company = persona, company
        self.first, self.last = rng.choice(_FIRST), rng.choice(_LAST)
        self.title, self.seniority, self.department = rng.choice(TITLES[persona])
        self.email = f"{self.first}.{self.last}{number}@{_email_domain(rng, persona, company)}"
        self.user_id = f"u{seed}-{number}"
        devices = 2 if rng.random() < 0.2 else 1
        self.anon_ids = [f"{rng.getrandbits(128):032x}" for _ in range(devices)]
        #: Bit d set: device d has identified, so its calls carry the user id too.
        self.known_devices = 0
        #: In the marketing database: receives emails before ever identifying.
        self.in_db = rng.random() < 0.7
        self.apple_mail = rng.random() < 0.4
        self.grouped = self.signed_up = self.invited = self.unsubscribed = False
        self.demo_phase = -1

    def identity(self, device: int) -> tuple[str | None, str]:
        """(user id or None, anonymous id) as a browser on ``device`` reports them."""
        known = self.known_devices >> device & 1
        return (self.user_id if known else None), self.anon_ids[device]

    def traits(self) -> dict[str, object]:
        traits: dict[str, object] = {
            "email": self.email, "firstName": self.first.title(), "lastName": self.last.title(),
            "title": self.title,
        }  # fmt: skip
        if self.company is not None:
            traits["company"] = self.company.name
        return traits


def _email_domain(rng: random.Random, persona: str, company: Company | None) -> str:
    if company is not None:
        return company.domain
    if persona == "student" and rng.random() < 0.7:
        return rng.choice(SCHOOL_DOMAINS)
    return rng.choice(FREE_MAIL_DOMAINS)


def company_personas(rng: random.Random) -> list[str]:
    """A buying group: usually a decision maker and an evaluator, then users."""
    size = 2 + min(6, int(rng.expovariate(0.5)))
    personas = ["decision_maker" if rng.random() < 0.85 else "user"]
    personas.append("technical_evaluator" if rng.random() < 0.8 else "user")
    others = ("user", "user", "technical_evaluator", "decision_maker")
    return personas + [rng.choice(others) for _ in range(size - 2)]
