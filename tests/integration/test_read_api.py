"""The read API of a running worker: ``GET /leads/{id}`` and ``GET /accounts/{id}``.

After the two-company story (``scenario.story``) has streamed through, the views carry
the current scores decayed to the request time (equal to the replay's final world read
at the view's ``as_of``), stage, grade, top contributors and the account's engaged
people; identity keys resolve to their lead; unknown ids give 404 with a JSON error.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from agents.worker import build_app
from leadq.compiled import compile_rules
from leadq.transitions import intent_total
from schemas.rules import load_rules
from schemas.views import AccountView, LeadView
from streams.settings import Settings
from tests.helpers import SCENARIO_RULES, running_app
from tests.integration.scenario import (
    feed_in_event_order,
    open_store,
    recent_start,
    replay_of,
    story,
)

pytestmark = pytest.mark.integration


async def test_views_of_leads_and_accounts_and_404s(qualifier_settings: Settings) -> None:
    settings = qualifier_settings.with_changes(rules_path=SCENARIO_RULES)
    rules = compile_rules(load_rules(settings.rules_path))
    messages = story(recent_start())
    reference = await replay_of(messages, rules)
    base = f"http://{settings.web_host}:{settings.web_port}"
    async with running_app(build_app(settings)), open_store(settings, rules) as store:
        await feed_in_event_order(settings, store, messages)
        async with aiohttp.ClientSession(base) as http:

            async def get(path: str) -> tuple[int, Any]:
                async with http.get(path) as response:
                    assert response.content_type == "application/json"
                    return response.status, await response.json()

            ann = await get("/leads/u:ann")
            by_email = await get("/leads/e:ann@acme.com")
            stitched = await get("/leads/a:anon-7f3")
            acme = await get("/accounts/acme.com")
            unknown_lead = await get("/leads/u:nobody")
            unknown_account = await get("/accounts/nowhere.example")

    assert ann[0] == by_email[0] == stitched[0] == acme[0] == 200
    lead = LeadView.model_validate(ann[1])
    assert LeadView.model_validate(by_email[1]).lead_id == "u:ann"
    assert (lead.lead_id, lead.stage, lead.product_stage) == ("u:ann", "sql", "none")
    assert (lead.email, lead.account_id) == ("ann@acme.com", "acme.com")
    assert (lead.fit.grade, lead.fit.score) == ("A", 40.0)
    as_of = int(lead.as_of.timestamp() * 1000)
    ann_state = reference.store.find_lead("u:ann")
    assert ann_state is not None
    decayed = intent_total(ann_state.intent, as_of)
    assert lead.intent_score == pytest.approx(decayed, abs=1e-6)
    assert lead.intent_score < 75  # 75 points earned, decayed since (14-day half-life)
    assert lead.mql_score == pytest.approx(lead.fit.score + lead.answers_score + decayed)
    assert lead.top_signals[0].rule_id == "demo_request"
    assert lead.top_signals[0].weight < lead.top_signals[0].points  # decayed weight
    assert lead.next_decay_transition_at is None  # an SQL does not decay out
    assert lead.traits["seniority"] == "vp"

    dee = LeadView.model_validate(stitched[1])
    assert (dee.lead_id, dee.stage) == ("u:dee", "recycled")

    account = AccountView.model_validate(acme[1])
    assert (account.account_id, account.stage, account.domain) == ("acme.com", "mqa", "acme.com")
    assert account.engaged_people == 3
    assert set(account.personas) == {"decision_maker", "technical_evaluator", "user"}
    people = {p.lead_id: (p.persona, p.engaged) for p in account.people}
    assert people == {
        "u:ann": ("decision_maker", True),
        "u:bob": ("technical_evaluator", True),
        "u:cy": ("user", True),
    }
    account_as_of = int(account.as_of.timestamp() * 1000)
    acme_state = reference.store.find_account("acme.com")
    assert acme_state is not None
    assert account.intent_score == pytest.approx(
        intent_total(acme_state.intent, account_as_of), abs=1e-6
    )
    assert {s.lead_id for s in account.top_signals} >= {"u:ann", "u:cy"}
    assert account.next_decay_transition_at is not None  # MQA cools off by decay, later
    assert account.traits["industry"] == "software"

    assert unknown_lead[0] == unknown_account[0] == 404
    assert "u:nobody" in unknown_lead[1]["error"]
    assert "nowhere.example" in unknown_account[1]["error"]
