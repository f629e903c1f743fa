"""End to end on the real broker and Redis: one worker, a JSON feed that shifts at record N.

The scenario runs once per module; each test checks one promise of the worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
import redis
from confluent_kafka import Message

from app.baseline import build_baseline
from app.events import decode_event
from app.repository import BaselineRepository
from tests.conftest import make_records
from tests.integration.harness import (
    WorkerProcess,
    create_topic,
    produce,
    read_all,
    redis_url,
    unique,
)

WINDOW = 2_000
WINDOWS = 8
SHIFT_AT = 5 * WINDOW + 700  # inside window 5
MALFORMED = {123: b"{not json", 4_567: b"[1, 2, 3]", 9_001: b"\x00\x01garbage"}


@dataclass
class Scenario:
    feed: str
    topic: str
    sent: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]] | None, int | None]]
    worker: WorkerProcess
    metrics: dict[str, float]
    events: list[dict[str, Any]]
    output: list[Message]
    dlq: list[Message]


def _records() -> list[dict[str, Any]]:
    rng = np.random.default_rng(99)
    before = make_records(rng, SHIFT_AT)
    after = make_records(rng, WINDOWS * WINDOW - SHIFT_AT, shift=1.0)
    return before + after


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    feed, topic = unique("it-feed"), unique("it-input")
    repo = BaselineRepository(redis.Redis.from_url(redis_url()))
    repo.save(build_baseline(feed, make_records(np.random.default_rng(5), 30_000), "test"))
    create_topic(topic, 1)
    rows = _records()
    sent: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]] | None, int | None]] = []
    for i, row in enumerate(rows):
        value = MALFORMED.get(i, orjson.dumps(row))
        sent.append((f"k{i}".encode(), value, [("trace", str(i).encode())], 0))
    worker = WorkerProcess(feed, topic, ["--window-records", str(WINDOW)])
    worker.start(tmp_path_factory.mktemp("worker"))
    try:
        produce(topic, sent)
        worker.wait_for("driftmend_records_in_total", len(sent))
        worker.wait_for("driftmend_windows_closed_total", WINDOWS)
        output = read_all(f"{topic}.healed", expected=len(sent))
        # the gate holds the last window's records until its verdict: count them once out
        metrics = worker.wait_for("driftmend_records_out_total", len(sent))
        dlq = [
            m
            for m in read_all("driftmend.dlq", idle=3.0)
            if m.headers() and (("driftmend-source-topic", topic.encode()) in m.headers())
        ]
        events = [
            e
            for e in map(
                decode_event, (m.value() for m in read_all("driftmend.drift-events", idle=3.0))
            )
            if e["feed"] == feed
        ]
        yield Scenario(feed, topic, sent, worker, metrics, events, output, dlq)
    finally:
        worker.stop()


def test_every_record_is_forwarded_byte_for_byte(scenario: Scenario) -> None:
    got = [(m.key(), m.value(), m.headers()) for m in scenario.output]
    assert got == [(k, v, h) for k, v, h, _p in scenario.sent]


def test_no_event_before_the_shift(scenario: Scenario) -> None:
    early = [e for e in scenario.events if e["window_id"] < SHIFT_AT // WINDOW]
    assert early == []


def test_shift_is_reported_in_its_window_naming_the_field(scenario: Scenario) -> None:
    windows = sorted(e["window_id"] for e in scenario.events)
    assert windows[0] == SHIFT_AT // WINDOW  # the window holding record N
    assert windows == list(range(SHIFT_AT // WINDOW, WINDOWS))
    for event in scenario.events:
        assert event["severity"] in ("medium", "high")
        assert event["baseline_version"] == 1
        assert {c["field"] for c in event["changed_characteristics"]} <= {"x", "*"}  # * = joint
        assert "x" in {c["field"] for c in event["changed_characteristics"]}
        assert event["window_records"] in (WINDOW, WINDOW - 1)


def test_malformed_records_go_to_the_dlq_with_headers(scenario: Scenario) -> None:
    assert len(scenario.dlq) == len(MALFORMED)
    for msg in scenario.dlq:
        headers = dict(msg.headers() or [])
        offset = int(headers["driftmend-source-offset"])
        assert msg.value() == MALFORMED[offset]
        assert headers["driftmend-source-partition"] == b"0"
        assert headers["driftmend-error"]
        assert headers["trace"] == str(offset).encode()


def test_metrics_show_the_counts(scenario: Scenario) -> None:
    m = scenario.metrics
    assert m["driftmend_records_in_total"] == len(scenario.sent)
    assert m["driftmend_records_out_total"] == len(scenario.sent)
    assert m["driftmend_dlq_records_total"] == len(MALFORMED)
    assert m["driftmend_windows_closed_total"] == WINDOWS
    assert m["driftmend_drift_events_total"] == len(scenario.events)
    assert m["driftmend_processing_latency_seconds_count"] >= 1
    assert "driftmend_consumer_lag_records" in m or m["driftmend_records_in_total"] > 0


def test_worker_is_still_running(scenario: Scenario, tmp_path: Path) -> None:
    assert scenario.worker.proc is not None and scenario.worker.proc.poll() is None
