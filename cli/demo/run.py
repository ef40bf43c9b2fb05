"""``leadq demo``: the whole loop through a real worker, Kafka and Redis, in ~6 seconds.

Steps, all printed on the :class:`~cli.demo.render.Console` as they happen:

1. load the scenario (``cli/demo/events.jsonl`` unless told otherwise), moved to the
   present, and compute what ``leadq replay`` — the batch reference — expects of it;
2. use the servers named by ``LEADQ_KAFKA_BOOTSTRAP`` + ``LEADQ_REDIS_URL`` (both set;
   refused if that Redis already holds the scenario's people, whose events would then
   be duplicates) or start the embedded dev cluster;
3. start ``leadq worker`` as a child process and an ingest gateway (``leadq ingest``'s
   server, in this process); send the web events through the gateway with Segment's
   own Python SDK, and the email and CRM documents (and a malformed line) straight to
   their inbound topics, keyed by lead as ``leadq produce`` does, in three waves
   (anonymous visits, identified activity, sales feedback; see ``cli.demo.waves``);
4. meanwhile print each transition (routing topic) and dead letter of this run as it
   arrives, until everything expected has arrived or the deadline passes
   (:class:`DemoError`, with the worker's log);
5. query the worker's read API for one lead and one account and print both;
6. print the SDR alert of each assignment, as a local stand-in for a Slack webhook
   received it (``cli.demo.webhook_alerts``);
7. print the ABM signals of the scenario's accounts (``cli.demo.abm``);
7. stop the worker and the servers; print timings.

The first wave is produced before the worker is ready: a new consumer group starts at
the earliest offset, so nothing is missed, and the wait overlaps the worker's start.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

import redis

from cli.demo import render
from cli.demo.abm import show_abm_signals
from cli.demo.assignments import show_assignments, with_routing
from cli.demo.render import Console
from cli.demo.scenario import Document, Expected, expect, load_scenario, plan_waves
from cli.demo.waves import api_base, api_token, get_json, send_in_waves
from cli.demo.webhook_alerts import AlertInbox, show_alerts, with_alert_inbox
from gateway.server import running_gateway
from leadq.compiled import compile_rules
from leadq.identity import identity_keys
from schemas.rules import load_rules
from schemas.transition import TransitionEvent
from schemas.views import AccountView, LeadView
from streams.devcluster import DevCluster, run_async
from streams.kafka.admin import ensure_topics
from streams.kafka.dead_letter import REASON_HEADER
from streams.kafka.topic_reader import Record, TopicReader
from streams.process import ServerProcess, free_port
from streams.settings import IngestSettings, Settings
from streams.state.connect import redacted_url
from streams.state.keys import Keys
from streams.worker_process import WORKER_STOP_TIMEOUT_S, worker_process

EXTERNAL_ENV = ("LEADQ_KAFKA_BOOTSTRAP", "LEADQ_REDIS_URL")
#: The embedded broker holds a JoinGroup for half the session timeout: with 3 s instead
#: of 8 s the demo's lone worker gets its partitions ~2.5 s sooner. Failover speed, the
#: reason for a longer session, does not matter for a demo.
QUICK_GROUP = {"broker_session_timeout_s": 3.0, "broker_heartbeat_interval_s": 1.0}


class DemoError(RuntimeError):
    """The demo could not complete; the message says why."""


def run_demo(settings: Settings, events: Path, deadline_s: float, console: Console) -> int:
    """Run the whole demo (see the module docstring); return the exit code."""
    documents = load_scenario(events, int(time.time() * 1000))
    expected = expect(documents, compile_rules(load_rules(settings.rules_path)))
    console.say(
        f"scenario {_shown(events)}: {len(documents)} documents about {len(expected.leads)} "
        f"people at {len(expected.accounts)} companies, event times moved so the newest is now"
    )
    console.say(render.expectation(expected))
    with (
        tempfile.TemporaryDirectory(prefix="leadq-demo-") as tmp,
        demo_servers(settings, console) as live,
    ):
        external = live is settings
        ensure_fresh(live, documents, external)
        worker_settings = with_routing(live).with_changes(
            web_port=free_port(), data_dir=tmp, **({} if external else QUICK_GROUP)
        )
        worker_settings = with_alert_inbox(worker_settings, free_port())
        with running_worker(worker_settings, Path(tmp), console) as worker:
            asyncio.run(drive(worker_settings, documents, expected, worker, deadline_s, console))
    console.mark("everything stopped")
    console.say(render.timings(console.marks))
    return 0


@contextlib.contextmanager
def running_worker(settings: Settings, workdir: Path, console: Console) -> Iterator[ServerProcess]:
    """A ``leadq worker`` child for the block, stopped on exit; a failure inside the
    block becomes a :class:`DemoError` carrying the worker's log."""
    worker = worker_process(settings, workdir)
    worker.start()
    console.say(f"worker started: pid {worker.pid}, read API on port {settings.web_port}")
    try:
        yield worker
    except (TimeoutError, RuntimeError, LookupError, OSError) as error:
        raise DemoError(f"{error}\n--- worker log ---\n{worker.log_tail(40)}") from error
    finally:
        code = worker.stop(WORKER_STOP_TIMEOUT_S)
        console.say(f"worker stopped (exit code {code})")


@contextlib.contextmanager
def demo_servers(settings: Settings, console: Console) -> Iterator[Settings]:
    """``settings`` itself for external servers (both env vars set), else settings
    pointing at an embedded cluster that is stopped on exit."""
    given = [name for name in EXTERNAL_ENV if os.environ.get(name)]
    if len(given) == len(EXTERNAL_ENV):
        console.say(f"using {settings.kafka_bootstrap} and {redacted_url(settings.redis_url)}")
        run_async(
            lambda: ensure_topics(
                settings.kafka_bootstrap, settings.topic_partitions(), settings.kafka
            )
        )
        yield settings
    elif given:
        raise DemoError(f"set both {' and '.join(EXTERNAL_ENV)}, or neither (only {given[0]})")
    else:
        with DevCluster(settings.topic_partitions()) as cluster:
            console.mark("cluster up")
            console.say(f"embedded cluster: kafka {cluster.bootstrap}, {cluster.redis_url}")
            yield settings.with_changes(
                kafka_bootstrap=cluster.bootstrap, redis_url=cluster.redis_url
            )


def ensure_fresh(settings: Settings, documents: Sequence[Document], external: bool) -> None:
    """Refuse external servers whose Redis already knows the scenario's people: their
    events would be de-duplicated and their stages already reached, so nothing happens."""
    if not external:
        return
    keys = sorted({k for d in documents for s in d.signals for k in identity_keys(s)})
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=5.0)
    try:
        index_keys = [Keys().identity(k) for k in keys]
        known = [k for k, v in zip(keys, client.mget(index_keys), strict=True) if v is not None]
    finally:
        client.close()
    if known:
        raise DemoError(
            f"the Redis at {settings.redis_url} already holds this scenario's people "
            f"({', '.join(known[:3])}…), from an earlier demo: use a fresh one (restart "
            f"`leadq dev up`) or unset {' and '.join(EXTERNAL_ENV)}"
        )


async def drive(
    settings: Settings,
    documents: Sequence[Document],
    expected: Expected,
    worker: ServerProcess,
    deadline_s: float,
    console: Console,
) -> None:
    """The scenario (:func:`drive_scenario`) with a local webhook receiving the alerts,
    then the alerts it received."""
    async with AlertInbox(settings) as alert_inbox:
        await drive_scenario(settings, documents, expected, worker, deadline_s, console)
        await show_alerts(settings, alert_inbox, expected.entities, console)
        console.mark("alerts shown")


async def drive_scenario(
    settings: Settings,
    documents: Sequence[Document],
    expected: Expected,
    worker: ServerProcess,
    deadline_s: float,
    console: Console,
) -> None:
    """Produce the scenario in waves while printing outputs as they arrive; once every
    expected output is in, query the read API."""
    give_up = time.monotonic() + deadline_s
    watch = Watch(settings, expected, {d.message.value for d in documents}, console)
    topics = [settings.topics.routing, settings.topics.dead_letter]
    settings = settings.with_changes(
        ingest=IngestSettings(port=free_port(), write_keys={f"wk_demo_{os.getpid()}": "web"})
    )
    async with (
        running_gateway(settings) as gateway,
        TopicReader(settings.kafka_bootstrap, topics, settings.kafka) as outputs,
    ):
        console.say(f"ingest gateway listening on {gateway.url} (leadq ingest, in-process)")
        watching = asyncio.create_task(outputs.read_until(watch, deadline_s, alive=worker.running))
        try:
            await send_in_waves(settings, plan_waves(list(documents)), worker, give_up, console)
            await watching
        except TimeoutError as error:
            raise TimeoutError(f"{error}; still missing: {watch.missing_text()}") from error
        finally:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)
    console.mark("all expected outputs")
    console.say(f"{render.stamp(console.elapsed())} every expected output arrived\n")
    await show_views(settings, expected, console)
    console.mark("read API answered")
    await show_assignments(settings, expected, console)
    await show_abm_signals(settings, expected, console, max(give_up - time.monotonic(), 10.0))


class Watch:
    """The ``read_until`` condition: prints each new record of this run once, and holds
    once every expected transition and dead letter has arrived. Transitions of other
    entities (an earlier run on external servers) are ignored; unexpected ones of this
    scenario are printed and flagged. Dead letters are this run's when their original
    bytes are one of the documents sent."""

    def __init__(
        self, settings: Settings, expected: Expected, payloads: set[bytes], console: Console
    ) -> None:
        self.dead_letter_topic = settings.topics.dead_letter
        self.expected = expected
        self.missing = expected.counts()
        self.dead_letters_missing = expected.dead_letters
        self.payloads = payloads
        self.console = console
        self.seen = 0

    def __call__(self, records: Sequence[Record]) -> bool:
        if records and not self.seen:
            self.console.mark("first output")
        for record in records[self.seen :]:
            if record.topic == self.dead_letter_topic:
                self._dead_letter(record)
            else:
                self._transition(record)
        self.seen = len(records)
        return not +self.missing and self.dead_letters_missing <= 0

    def missing_text(self) -> str:
        """What has not arrived yet, for error messages."""
        parts = [f"{type_} {subject}" for (type_, subject), n in self.missing.items() if n > 0]
        if self.dead_letters_missing > 0:
            parts.append(f"{self.dead_letters_missing} dead letter(s)")
        return ", ".join(parts) or "nothing"

    def _transition(self, record: Record) -> None:
        event = TransitionEvent.model_validate_json(record.value or b"")
        if event.subject not in self.expected.entities:
            return
        key = (event.type, event.subject)
        surprise = self.missing[key] <= 0
        self.missing[key] -= 1
        self.console.say(render.transition(event, self.console.elapsed()))
        if surprise:
            self.console.say(f"{render.INDENT}(not expected by the batch reference)")
        if self.console.show_json:
            self.console.say((record.value or b"").decode())
        self.console.say()

    def _dead_letter(self, record: Record) -> None:
        if record.value not in self.payloads:
            return
        self.dead_letters_missing -= 1
        h = record.headers
        source = (
            f"{h['leadq.source.topic'].decode()} partition "
            f"{h['leadq.source.partition'].decode()} offset {h['leadq.source.offset'].decode()}"
        )
        reason = h.get(REASON_HEADER, b"").decode()
        self.console.say(
            render.dead_letter(source, reason, record.value or b"", self.console.elapsed())
        )
        self.console.say()


async def show_views(settings: Settings, expected: Expected, console: Console) -> None:
    """Print ``GET /leads/{id}`` and ``GET /accounts/{id}`` for the scenario's busiest
    lead and account, as the worker's read API answers them."""
    base = api_base(settings)
    lead_id, account_id = featured(expected)
    if lead_id:
        raw = await get_json(f"{base}/leads/{quote(lead_id, safe=':@')}", api_token(settings))
        console.say(render.lead_view(LeadView.model_validate_json(raw)))
        console.say(raw.decode() if console.show_json else "")
    if account_id:
        raw = await get_json(f"{base}/accounts/{quote(account_id, safe=':@')}", api_token(settings))
        console.say(render.account_view(AccountView.model_validate_json(raw)))
        console.say(raw.decode() if console.show_json else "")


def featured(expected: Expected) -> tuple[str | None, str | None]:
    """The lead with the most transitions (first to reach it wins) and the first
    account that moved (else that lead's account)."""
    leads = [t for t in expected.transitions if t.entity == "lead"]
    lead = max(leads, key=lambda t: sum(o.entity_id == t.entity_id for o in leads), default=None)
    accounts = [t.entity_id for t in expected.transitions if t.entity == "account"]
    fallback = lead.account.account_id if lead and lead.account else None
    return (lead.entity_id if lead else None), (accounts[0] if accounts else fallback)


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
