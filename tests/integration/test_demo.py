"""``leadq demo`` end to end, exactly as ``./dev demo`` runs it: a child process that
starts its own cluster and worker, and must show every kind of outcome."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from schemas.abm import ABM_SOURCE, AbmEvent
from schemas.assignment import ASSIGNMENT_SOURCE, AssignmentEvent
from schemas.transition import CLOUDEVENT_SOURCE, TransitionEvent
from schemas.views import AccountView, LeadView

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
#: The demo takes ~6 s here; the margin covers a loaded CI machine.
DEMO_TIMEOUT_S = 120


def is_transition(document: dict[str, object]) -> bool:
    return document.get("source") == CLOUDEVENT_SOURCE


def is_assignment(document: dict[str, object]) -> bool:
    return document.get("source") == ASSIGNMENT_SOURCE


@pytest.mark.parametrize("api_token", [None, "demo-token-1234"])
def test_the_demo_shows_mql_sql_mqa_a_dead_letter_and_the_read_api(api_token: str | None) -> None:
    # Its own embedded cluster, even when the suite runs against external servers.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADQ_")}
    if api_token is not None:  # the demo's worker then requires it, and the demo sends it
        env["LEADQ_API_TOKEN"] = api_token
    done = subprocess.run(
        [sys.executable, "-m", "cli", "demo", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for readable in (
        "io.leadq.lead.mql  lead u:ada",
        "io.leadq.lead.sql  lead u:ada",
        "io.leadq.account.mqa  account acme.io",
        "io.leadq.lead.sql  lead e:grace@globex.com",
        "dead letter  from leadq.events.web",
        "reason:   document is not JSON",
        "GET /leads/u:ada",
        "GET /accounts/acme.io",
        "every expected output arrived",
        "io.leadq.lead.assigned  lead u:ada (mql)",
        "io.leadq.lead.assigned  lead u:ada (sql)",
        "team Inbound SDRs, rule hand-raise",  # the demo request's SQL, its own SLA
        "why: owner of lead u:ada (",  # the rep who has the lead keeps it
        "alert  received by the local webhook",
        "worker stopped (exit code 0)",
        "io.leadq.account.mqa  account Acme (acme.io)",
        "MQA entered: account score",
        "io.leadq.account.persona_engaged  account Acme (acme.io)",
    ):
        assert readable in out
    documents = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    events = [TransitionEvent.model_validate(d) for d in documents if is_transition(d)]
    abm = [AbmEvent.model_validate(d) for d in documents if d.get("source") == ABM_SOURCE]
    assert {"io.leadq.account.mqa", "io.leadq.account.persona_engaged"} <= {e.type for e in abm}
    assert {e.subject for e in abm} <= {"acme.io", "globex.com"}
    assert sorted(e.type for e in events) == [
        "io.leadq.account.mqa",
        *["io.leadq.lead.mql"] * 4,
        "io.leadq.lead.sql",
        "io.leadq.lead.sql",
    ]
    assert "hand-raise: demo_request (Requested a demo)" in out
    assigned = [AssignmentEvent.model_validate(d) for d in documents if is_assignment(d)]
    assert sorted((e.data.lead.lead_id, e.data.stage) for e in assigned) == [
        ("e:bob@acme.io", "mql"),
        ("e:grace@globex.com", "mql"),
        ("e:grace@globex.com", "sql"),
        ("u:ada", "mql"),
        ("u:ada", "sql"),
        ("u:carol", "mql"),
    ]
    [ada_sql] = [e for e in assigned if (e.data.lead.lead_id, e.data.stage) == ("u:ada", "sql")]
    assert (ada_sql.data.rule, ada_sql.data.hand_raise) == ("hand-raise", ("demo_request",))
    [lead] = [LeadView.model_validate(d) for d in documents if "mql_score" in d]
    [account] = [AccountView.model_validate(d) for d in documents if "people" in d]
    assert (lead.lead_id, lead.stage, lead.fit.grade) == ("u:ada", "sql", "A")
    assert (account.account_id, account.stage, account.engaged_people) == ("acme.io", "mqa", 3)
