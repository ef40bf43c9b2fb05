"""The benchmark's output: a readable table, then one JSON object on the last line.

``figures`` turns a :class:`RunResults` into the flat dict printed as JSON (medians over
repeats; NaN, printed as ``null``, where a scenario did not run or failed). Its keys
always include :data:`REQUIRED_KEYS`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from bench.results import LatencyPhase, RunResults, Throughput
from bench.stats import median, ratio

REQUIRED_KEYS = (
    "rate_raw",
    "rate_faust_noop",
    "rate_naive",
    "rate_leadq",
    "rate_leadq_2workers",
    "p50_ms",
    "p99_ms",
    "bytes_per_lead",
)
#: The offered load whose latencies are the headline p50/p99.
HEADLINE_RATE = 5000.0


@dataclass(frozen=True)
class Target:
    name: str
    key: str
    threshold: float
    at_least: bool
    kind: str  # "required", "stretch" or "target"

    def met(self, value: float) -> bool | None:
        if math.isnan(value):
            return None
        return value >= self.threshold if self.at_least else value <= self.threshold


TARGETS = (
    Target("d ≥ 1.0 × b", "ratio_d_b", 1.0, True, "required"),
    Target("d ≥ 3 × c", "ratio_d_c", 3.0, True, "required"),
    Target("d ≥ 2.5 × b", "ratio_d_b", 2.5, True, "stretch"),
    Target("p99 ≤ 100 ms at 5k/s", "p99_ms", 100.0, False, "target"),
    Target("p50 ≤ 20 ms at 5k/s", "p50_ms", 20.0, False, "target"),
    Target("Redis ≤ 1 KB per lead", "bytes_per_lead", 1024.0, False, "target"),
    Target("large/small known-lead cost ≤ 1.3", "scale_cost_ratio", 1.3, False, "target"),
    Target("2 workers ≥ 1.6 × 1", "ratio_2w_1w", 1.6, True, "target"),
    Target(
        "ingest ≥ 20k events/s (batches of 100)", "ingest_events_per_s", 20000.0, True, "target"
    ),
    Target("ingest p99 ≤ 50 ms at 2k events/s", "ingest_p99_ms", 50.0, False, "target"),
    Target("quality: recall ≥ 0.85", "quality_recall", 0.85, True, "target"),
    Target("quality: precision ≥ 0.90", "quality_precision", 0.90, True, "target"),
    Target("quality: hand-raises ready ≤ 1 min", "quality_hand_raise_ready", 1.0, True, "target"),
    Target("quality: disqualified promotions 0", "quality_disqualified", 0.0, False, "target"),
)


def rate_of(runs: Sequence[Throughput]) -> float:
    return median(t.rate for t in runs)


def _cpu(runs: Sequence[Throughput]) -> dict[str, float]:
    names = sorted({name for t in runs if t.error is None for name in t.cpu_us})
    return {n: median(t.cpu_us.get(n, math.nan) for t in runs if t.error is None) for n in names}


def headline_phase(phases: Sequence[LatencyPhase], offered: float) -> LatencyPhase | None:
    for phase in phases:
        if phase.offered == offered:
            return phase
    return None


def figures(r: RunResults) -> dict[str, object]:
    """The flat JSON-ready dict of a run (see the module docstring)."""
    a, b, c = rate_of(r.raw), rate_of(r.noop), rate_of(r.naive)
    d, d2 = rate_of(r.leadq), rate_of(r.leadq2)
    large = median(p.run.rate for p in r.scale)
    out: dict[str, object] = {
        "mode": r.mode,
        "events": r.events,
        "signals": r.signals,
        "partitions": r.partitions,
        "seed": r.seed,
        "repeats": max(len(r.leadq), len(r.raw), 1),
        "rate_raw": a,
        "rate_faust_noop": b,
        "rate_naive": c,
        "rate_leadq": d,
        "rate_leadq_2workers": d2,
        "ratio_d_a": ratio(d, a),
        "ratio_d_b": ratio(d, b),
        "ratio_d_c": ratio(d, c),
        "ratio_2w_1w": ratio(d2, d),
        "cpu_us_per_event_leadq": _cpu(r.leadq),
        "cpu_us_per_event_leadq_2workers": _cpu(r.leadq2),
        "cpu_us_per_event_noop": _cpu(r.noop).get("process", math.nan),
        "cpu_us_per_event_naive": _cpu(r.naive).get("process", math.nan),
        "known_leads_small": r.known_small,
        "known_leads_large": r.scale[0].known_leads if r.scale else 0,
        "rate_leadq_known_large": large,
        # Per-event cost is 1/rate: cost(large)/cost(small) = rate(small)/rate(large).
        "scale_cost_ratio": ratio(d, large),
    }
    headline = headline_phase(r.latency, HEADLINE_RATE)
    out["p50_ms"] = headline.summary.p50_ms if headline else math.nan
    out["p99_ms"] = headline.summary.p99_ms if headline else math.nan
    out["max_ms"] = headline.summary.max_ms if headline else math.nan
    out["latency_workers"] = r.latency_workers
    out["latency"] = [
        {
            "offered": p.offered,
            "achieved": p.achieved,
            "events": p.events,
            "transitions": p.summary.count,
            "p50_ms": p.summary.p50_ms,
            "p99_ms": p.summary.p99_ms,
            "max_ms": p.summary.max_ms,
            "drain_s": p.drain_s,
        }
        for p in r.latency
    ]
    m = r.memory
    out["bytes_per_lead"] = m.bytes_per_lead if m else math.nan
    out["bytes_per_account"] = m.account_blob if m else math.nan
    out["lead_blob_bytes"] = m.lead_blob if m else math.nan
    out["lead_blob_bytes_p99"] = m.lead_blob_p99 if m else math.nan
    out["lead_key_set_bytes"] = m.lead_keys_set if m else math.nan
    out["identity_hashes_bytes_per_lead"] = m.index_per_lead if m else math.nan
    out["bytes_per_known_lead"] = m.bytes_per_known_lead if m else math.nan
    e = r.engine
    out["engine_signals_per_s"] = e.engine_signals
    out["normalize_records_per_s"] = e.normalize_records
    out["routed_json_signals_per_s"] = e.routed_json_signals
    out["store_signals_per_s"] = e.store_signals
    out["errors"] = [
        f"{t.name}: {t.error.splitlines()[0]}"
        for t in (*r.raw, *r.noop, *r.naive, *r.leadq, *r.leadq2, *(p.run for p in r.scale))
        if t.error
    ] + [f"latency {p.offered:.0f}/s: {p.error}" for p in r.latency if p.error]
    out["applied_s_leadq"] = median(t.applied_seconds for t in r.leadq)
    out["applied_s_leadq_2workers"] = median(t.applied_seconds for t in r.leadq2)
    out["seconds_leadq"] = median(t.seconds for t in r.leadq)
    out["seconds_leadq_2workers"] = median(t.seconds for t in r.leadq2)
    out["worker_errors"] = {
        t.name: dict(t.worker_errors)
        for t in (*r.leadq, *r.leadq2, *(p.run for p in r.scale))
        if t.worker_errors
    }
    out.update(_ingest_figures(r))
    out.update(_quality_figures(r))
    out["machine"] = r.machine
    out["duration_s"] = r.duration_s
    return out


def _quality_figures(r: RunResults) -> dict[str, object]:
    q = r.quality
    return {
        "quality_recall": q.recall if q else math.nan,
        "quality_precision": q.precision if q else math.nan,
        "quality_hand_raise_ready": q.hand_raise_ready if q else math.nan,
        "quality_disqualified": float(q.disqualified_promotions) if q else math.nan,
        "quality": q.as_dict() if q else {},
    }


def _ingest_figures(r: RunResults) -> dict[str, object]:
    """The ingest scenario's figures: median events/s, the headline latency (batches of
    100 at 2k events/s) and every phase."""
    g = r.ingest
    phases = g.latency if g else []
    headline = next((p for p in phases if p.batch == 100), None)
    return {
        "ingest_events_per_s": median(g.rates) if g else math.nan,
        "ingest_runs": list(g.rates) if g else [],
        "ingest_cpu_us_per_event": dict(g.cpu_us) if g else {},
        "ingest_p50_ms": headline.summary.p50_ms if headline else math.nan,
        "ingest_p99_ms": headline.summary.p99_ms if headline else math.nan,
        "ingest_latency": [
            {
                "batch": p.batch,
                "offered": p.offered,
                "achieved": p.achieved,
                "requests": p.summary.count,
                "failed": p.failed,
                "p50_ms": p.summary.p50_ms,
                "p99_ms": p.summary.p99_ms,
                "max_ms": p.summary.max_ms,
            }
            for p in phases
        ],
        "ingest_errors": list(g.errors) if g else [],
    }


def json_line(values: dict[str, object]) -> str:
    """One line of JSON; NaN becomes null, floats keep at most 4 decimals."""
    return orjson.dumps(_rounded(values)).decode()


def _rounded(value: object) -> object:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def _n(value: float, digits: int = 0) -> str:
    return "—" if math.isnan(value) else f"{value:,.{digits}f}"


def _cpu_text(cpu: dict[str, float]) -> str:
    return ", ".join(f"{name} {_n(us)}" for name, us in cpu.items()) or "—"


def table(r: RunResults, f: dict[str, object]) -> str:
    """The human-readable report of a run (``f`` = ``figures(r)``)."""
    m = r.machine
    lines = [
        f"leadq benchmark ({r.mode}): {r.events:,} events ({r.signals:,} signals), seed "
        f"{r.seed}, {r.partitions} partitions, {f['repeats']} run(s) per throughput figure",
        f"machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memory', '?')}; "
        f"Python {m.get('python', '?')}, Redis {m.get('redis', '?')}, "
        f"faust-streaming {m.get('faust', '?')}, aiokafka {m.get('aiokafka', '?')}; "
        f"commit {m.get('commit', '?')}",
        "",
        "Throughput: drain a pre-filled workload      events/s   CPU µs per event",
    ]
    rows = [
        (r.raw, "(a) raw aiokafka consumer + orjson"),
        (r.noop, "(b) Faust agent, no-op"),
        (r.naive, "(c) Faust agent, 1 Redis script/event"),
        (r.leadq, f"(d) leadq, 1 worker ({r.known_small:,} known leads)"),
        (r.leadq2, "(d) leadq, 2 workers"),
    ]
    for runs, label in rows:
        if runs:
            lines.append(f"  {label:<42}{_n(rate_of(runs)):>9}   {_cpu_text(_cpu(runs))}")
    for runs, label in ((r.leadq, "1 worker"), (r.leadq2, "2 workers")):
        seconds = median(t.seconds for t in runs)
        applied = median(t.applied_seconds for t in runs)
        if applied < seconds - 1.0:
            lines.append(
                f"  (d) {label}: every signal applied after {applied:.1f}s, the outbox "
                f"drained after {seconds:.1f}s (transitions of a failed batch wait for the "
                "outbox sweeper)"
            )
    lines.append(
        f"  ratios: d/a {_n(_f(f, 'ratio_d_a'), 3)}  d/b {_n(_f(f, 'ratio_d_b'), 3)}  "
        f"d/c {_n(_f(f, 'ratio_d_c'), 3)}  2 workers/1 {_n(_f(f, 'ratio_2w_1w'), 2)}"
    )
    if r.latency:
        lines += [
            "",
            "Latency: event produced → its transition on the routing topic "
            f"({r.latency_workers} worker{'s' if r.latency_workers > 1 else ''})",
            "  offered/s  achieved/s  transitions  p50 ms  p99 ms  max ms  drain s",
        ]
        for p in r.latency:
            s = p.summary
            lines.append(
                f"  {_n(p.offered):>9}  {_n(p.achieved):>10}  {s.count:>11,}  {_n(s.p50_ms):>6}"
                f"  {_n(s.p99_ms):>6}  {_n(s.max_ms):>6}  {_n(p.drain_s, 1):>7}"
                + (f"  ERROR {p.error}" if p.error else "")
            )
    if r.scale:
        lines += [
            "",
            f"Scale: {r.known_small:,} vs {_f(f, 'known_leads_large'):,.0f} known leads: "
            f"{_n(_f(f, 'rate_leadq'))} vs {_n(_f(f, 'rate_leadq_known_large'))} events/s, "
            f"per-event cost ratio {_n(_f(f, 'scale_cost_ratio'), 2)}",
        ]
    if r.memory is not None:
        mem = r.memory
        lines += [
            "",
            f"Redis memory: {_n(mem.bytes_per_lead)} B per lead (used_memory growth over "
            f"{mem.leads:,} leads, {mem.accounts:,} accounts made by the pipeline)",
            f"  MEMORY USAGE: lead blob {_n(mem.lead_blob)} B (p99 {_n(mem.lead_blob_p99)}), "
            f"other identity keys {_n(mem.lead_keys_set)} B, identity hashes "
            f"{_n(mem.index_per_lead)} B per lead; account blob {_n(mem.account_blob)} B",
            f"  known (cloned) lead: {_n(mem.bytes_per_known_lead)} B each; Redis used_memory "
            f"{_n(mem.used_memory_mb, 1)} MB after the run",
        ]
    lines += _ingest_lines(r, f)
    if r.quality is not None:
        lines += ["", *r.quality.lines()]
    e = r.engine
    lines += [
        "",
        "Alone, in one process: normalize "
        f"{_n(e.normalize_records)} records/s; routed-signal JSON out+in "
        f"{_n(e.routed_json_signals)} signals/s; engine (replay) {_n(e.engine_signals)} "
        f"signals/s; store path, Redis without Kafka {_n(e.store_signals)} signals/s",
        "",
        "Targets:",
    ]
    for target in TARGETS:
        value = _f(f, target.key)
        met = target.met(value)
        verdict = "—" if met is None else ("met" if met else "MISSED")
        sign = "≥" if target.at_least else "≤"
        lines.append(
            f"  {target.name:<36} {_n(value, 2):>10}  ({target.kind}: {sign} "
            f"{target.threshold:g})  {verdict}"
        )
    errors = f.get("errors") or []
    if isinstance(errors, list) and errors:
        lines += ["", "Errors:", *(f"  {error}" for error in errors)]
    logged = f.get("worker_errors") or {}
    if isinstance(logged, dict) and logged:
        lines += ["", "ERROR lines in worker logs (the run went on, slower):"]
        for name, counts in logged.items():
            lines += [f"  {name}: {n} × {message}" for message, n in counts.items()]
    if r.profile:
        lines += ["", "Profile of one leadq worker (py-spy, separate run):", r.profile]
    return "\n".join(lines)


def _ingest_lines(r: RunResults, f: dict[str, object]) -> list[str]:
    g = r.ingest
    if g is None:
        return []
    runs = ", ".join(_n(rate) for rate in g.rates)
    lines = [
        "",
        "Ingest gateway: one `leadq ingest` process, Segment /v1/batch requests",
        f"  batches of 100, 8 in flight: {_n(_f(f, 'ingest_events_per_s'))} events/s "
        f"(median of {runs}); CPU µs per event: {_cpu_text(g.cpu_us)}",
        "  open loop at 2k events/s    requests  failed  p50 ms  p99 ms  max ms",
    ]
    for p in g.latency:
        s = p.summary
        lines.append(
            f"  batches of {p.batch:<3} ({_n(p.achieved)}/s) {s.count:>9,}  {p.failed:>6}"
            f"  {_n(s.p50_ms, 1):>6}  {_n(s.p99_ms, 1):>6}  {_n(s.max_ms, 1):>6}"
        )
    lines += [f"  ERROR {error.splitlines()[0]}" for error in g.errors]
    return lines


def _f(values: dict[str, object], key: str) -> float:
    value = values.get(key)
    return float(value) if isinstance(value, int | float) else math.nan
