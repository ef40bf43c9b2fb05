"""Prometheus metrics of a leadq process, served as text on ``GET /metrics``.

Contract: every metric lives in :data:`REGISTRY` (leadq's own registry, one per
process: a worker's or a gateway's ``/metrics`` renders it with :func:`render`). Names
are stable: dashboards (``docs/grafana-leadq.json``) and alerts are built on them.
Counters are incremented once per *batch* with the batch's totals wherever the hot path
allows it, so metrics cost next to nothing per event; gauges that need a look at Kafka
or Redis (consumer lag, outbox depth) are refreshed when ``/metrics`` is scraped, never
on the hot path.

Labels have bounded values only: a dead letter's ``reason`` is a category
(:data:`DEAD_LETTER_REASONS`), never the free-text reason in the record's header.

Hook points for consumers built elsewhere (the router's SLA timers, alerts):
increment :data:`SLA_BREACHES` and :data:`ALERTS`, or register a metric of your own with
``registry=REGISTRY`` — it then appears on every ``/metrics`` of that process.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

REGISTRY: Final = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # process_cpu_seconds_total, resident memory, fds
CONTENT_TYPE: Final = CONTENT_TYPE_LATEST

#: The categories a dead letter is counted under (the ``reason`` label).
DEAD_LETTER_REASONS: Final = (
    "unreadable",  # not JSON, not UTF-8, too large, a broken batch envelope
    "unknown_format",  # JSON that no adapter recognises
    "invalid_event",  # a recognised format with a missing or bad field
    "not_routed_signal",  # a record on the signals topic that is not leadq's own
    "internal_error",  # a bug or an input that trips one (the record is kept for replay)
)

# ------------------------------------------------------------------ the worker
EVENTS_IN: Final = Counter(
    "leadq_events_in",
    "Inbound events accepted by normalize, by channel and vendor format",
    ["channel", "format"],
    registry=REGISTRY,
)
DEAD_LETTERS: Final = Counter(
    "leadq_dead_letters",
    "Records sent to the dead-letter topic, by reason category",
    ["reason"],
    registry=REGISTRY,
)
SIGNALS: Final = Counter(
    "leadq_signals",
    "Signals qualify handled, by outcome (applied, duplicate, too_late, account_only, parked)",
    ["status"],
    registry=REGISTRY,
)
REFUSED_WRITES: Final = Counter(
    "leadq_refused_writes",
    "Bucket writes Redis refused because the state changed since the read (recomputed)",
    registry=REGISTRY,
)
TRANSITIONS: Final = Counter(
    "leadq_transitions",
    "Stage transitions published to the routing topic, by CloudEvent type",
    ["type"],
    registry=REGISTRY,
)
TRANSITIONS_REPUBLISHED: Final = Counter(
    "leadq_transitions_republished",
    "Transitions the outbox sweeper published again (their first publisher died)",
    registry=REGISTRY,
)
LANE_RECORDS: Final = Counter(
    "leadq_lane_records",
    "Records a batch lane handled (normalize: inbound, qualify: signals)",
    ["lane"],
    registry=REGISTRY,
)
BATCH_SECONDS: Final = Histogram(
    "leadq_batch_duration_seconds",
    "Time to handle one fetched batch in a lane, outputs confirmed",
    ["lane"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
EVENT_TO_TRANSITION_SECONDS: Final = Histogram(
    "leadq_event_to_transition_seconds",
    "From the triggering event's Kafka timestamp on its inbound topic to its transition "
    "confirmed on the routing topic",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
    registry=REGISTRY,
)
CONSUMER_LAG: Final = Gauge(
    "leadq_consumer_lag",
    "Records on an assigned partition not yet committed (high watermark - committed)",
    ["topic", "partition"],
    registry=REGISTRY,
)
OUTBOX_DEPTH: Final = Gauge(
    "leadq_outbox_depth",
    "Transitions written to the outboxes of this worker's buckets, not yet acknowledged",
    registry=REGISTRY,
)

# --------------------------------------------------------------- the gateway
GATEWAY_REQUESTS: Final = Counter(
    "leadq_gateway_requests",
    "HTTP requests the ingest gateway answered, by route and status code",
    ["route", "status"],
    registry=REGISTRY,
)

# ------------------------------------------- hook points for the consumers
SLA_BREACHES: Final = Counter(
    "leadq_sla_breaches",
    "Leads whose owner missed the routing SLA (incremented by the router)",
    ["team"],
    registry=REGISTRY,
)
ALERTS: Final = Counter(
    "leadq_alerts",
    "Alerts sent to reps (incremented by the alerts consumer), by channel and outcome",
    ["channel", "outcome"],
    registry=REGISTRY,
)


def render() -> bytes:
    """Every metric of this process in the Prometheus text format (``CONTENT_TYPE``)."""
    return generate_latest(REGISTRY)
