"""docs/grafana-leadq.json queries only metrics leadq exports, by labels they have, and
shows every one of them (``streams.metrics``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.metrics import MetricWrapperBase

from streams import metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-leadq.json"
#: Labels Prometheus adds (or histograms have) rather than leadq.
SCRAPE_LABELS = {"le", "job", "instance"}
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def _leadq_metrics() -> dict[str, MetricWrapperBase]:
    found = [m for m in vars(metrics).values() if isinstance(m, MetricWrapperBase)]
    return {m._name: m for m in found}


def _series() -> dict[str, tuple[str, ...]]:
    """Every series name leadq exports → its label names."""
    return {
        name + suffix: tuple(metric._labelnames)
        for name, metric in _leadq_metrics().items()
        for suffix in SUFFIXES[str(metric._type)]
    }


def _expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]


def test_every_query_names_exported_series_and_their_labels() -> None:
    series = _series()
    expressions = _expressions()
    assert len(expressions) >= 12
    for expr in expressions:
        names = set(re.findall(r"\b(leadq_[a-z_]+)\b", expr))
        assert names <= series.keys(), (expr, names - series.keys())
        labels = {
            label.strip()
            for group in re.findall(r"by \(([^)]*)\)", expr)
            for label in group.split(",")
        }
        known = {label for name in names for label in series[name]} | SCRAPE_LABELS
        assert labels <= known, (expr, labels - known)


def test_every_leadq_metric_is_on_the_dashboard() -> None:
    text = " ".join(_expressions())
    missing = [name for name in _leadq_metrics() if name not in text]
    assert missing == []
