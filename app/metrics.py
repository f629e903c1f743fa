"""Prometheus metrics of one worker, in a registry of its own (no global state)."""

from __future__ import annotations

import urllib.request

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.parser import text_string_to_metric_families

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.records_in = Counter(
            "driftmend_records_in_total",
            "Records consumed from the input topic",
            ["feed", "topic"],
            registry=r,
        )
        self.records_out = Counter(
            "driftmend_records_out_total",
            "Records written to the output topic",
            ["feed", "topic"],
            registry=r,
        )
        self.dlq_records = Counter(
            "driftmend_dlq_records_total",
            "Undecodable records sent to the dead-letter topic",
            ["feed", "reason"],
            registry=r,
        )
        self.republished_skipped = Counter(
            "driftmend_republished_skipped_records_total",
            "Records read again after their previous reader died whose window profiles it had "
            "published: forwarded, not profiled twice",
            ["feed"],
            registry=r,
        )
        self.windows_closed = Counter(
            "driftmend_windows_closed_total",
            "Windows compared with the baseline",
            ["feed"],
            registry=r,
        )
        self.partials = Counter(
            "driftmend_window_partials_total",
            "Partial window profiles this worker published (one or more per window and "
            "worker; more when partitions are read unevenly)",
            ["feed"],
            registry=r,
        )
        self.late_partials = Counter(
            "driftmend_window_partials_late_total",
            "Partial window profiles that came after their window was judged (the grace "
            "period ran out): their records are not in that verdict",
            ["feed"],
            registry=r,
        )
        self.windows_skipped = Counter(
            "driftmend_windows_skipped_total",
            "Windows too small to judge (e.g. the first, partial window)",
            ["feed"],
            registry=r,
        )
        self.drift_events = Counter(
            "driftmend_drift_events_total", "Drift events emitted", ["feed", "severity"], registry=r
        )
        self.drift_score = Gauge(
            "driftmend_drift_score",
            "Drift score (0..1) of each field in the last closed window",
            ["feed", "field"],
            registry=r,
        )
        self.latency = Histogram(
            "driftmend_processing_latency_seconds",
            "Time from consuming a batch to its output being acknowledged",
            ["feed"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.lag = Gauge(
            "driftmend_consumer_lag_records",
            "Records behind the input partition's high watermark",
            ["feed", "partition"],
            registry=r,
        )
        self.assigned_partitions = Gauge(
            "driftmend_assigned_partitions",
            "Input partitions this worker owns now",
            ["feed"],
            registry=r,
        )
        self.judging_partitions = Gauge(
            "driftmend_judging_partitions",
            "Partitions of the window-profiles topic this worker owns: it judges their windows",
            ["feed"],
            registry=r,
        )
        self.baseline_version = Gauge(
            "driftmend_baseline_version",
            "Baseline version the worker compares with",
            ["feed"],
            registry=r,
        )

        self.synthetic_records = Counter(
            "driftmend_synthetic_records_total",
            "Synthetic records interleaved into the output topic",
            ["feed"],
            registry=r,
        )
        self.injection_rate = Gauge(
            "driftmend_injection_rate",
            "Synthetic records per real record the last verdict asked for",
            ["feed"],
            registry=r,
        )
        self.injection_alpha = Gauge(
            "driftmend_injection_alpha",
            "How far (0..1) the synthetic records lean from the baseline toward current data",
            ["feed"],
            registry=r,
        )
        self.held_records = Gauge(
            "driftmend_held_records",
            "Output records held until their window's verdict",
            ["feed"],
            registry=r,
        )
        self.paused_partitions = Gauge(
            "driftmend_paused_partitions",
            "Input partitions paused because the held output reached its bound",
            ["feed"],
            registry=r,
        )
        self.hold_timeouts = Counter(
            "driftmend_hold_timeouts_total",
            "Windows released without a verdict (none came in time)",
            ["feed"],
            registry=r,
        )
        self.ingest_restarts = Counter(
            "driftmend_ingest_restarts_total",
            "Fresh starts of the ingest loop from the committed offsets (group session lost, "
            "transaction failed or stuck)",
            ["feed"],
            registry=r,
        )
        self.alerts = Counter(
            "driftmend_alerts_total", "Alerts sent (high drift)", ["feed"], registry=r
        )
        self.retrains = Counter(
            "driftmend_retrain_outcomes_total",
            "Outcomes of the retrain agent (retrain, revert, repair, profile_update, ...)",
            ["feed", "action"],
            registry=r,
        )
        self.retrain_running = Gauge(
            "driftmend_retrain_running",
            "1 while the retrain agent works on a drift event (off the hot path), else 0",
            ["feed"],
            registry=r,
        )

    def serve(self, port: int, addr: str = "0.0.0.0") -> None:
        start_http_server(port, addr=addr, registry=self.registry)


def scrape(port: int, host: str = "127.0.0.1") -> dict[str, float]:
    """Sum of each sample name on a worker's /metrics page (empty if it does not answer)."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=2) as resp:
            text = resp.read().decode()
    except OSError:
        return {}
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals
