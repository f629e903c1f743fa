"""Structural drift on a three-partition feed: a new field and a number->string type change."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pytest
import redis

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

PARTITIONS = 3
WINDOW = 3_000
WINDOWS = 4
CHANGE_FROM_WINDOW = 2


def _rows() -> list[dict[str, Any]]:
    rows = make_records(np.random.default_rng(11), WINDOW * WINDOWS)
    per_partition = WINDOW // PARTITIONS
    for i, row in enumerate(rows):
        offset = i // PARTITIONS  # round-robin: record i is offset i // 3 of its partition
        if offset // per_partition >= CHANGE_FROM_WINDOW:
            row["coupon"] = "SPRING"
            row["amount"] = f"{row['amount']:.2f}"
    return rows


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    feed, topic = unique("it-struct"), unique("it-struct-in")
    repo = BaselineRepository(redis.Redis.from_url(redis_url()))
    repo.save(build_baseline(feed, make_records(np.random.default_rng(12), 20_000), "test"))
    create_topic(topic, PARTITIONS)
    rows = _rows()
    worker = WorkerProcess(feed, topic, ["--window-records", str(WINDOW)])
    worker.start(tmp_path_factory.mktemp("worker"))
    try:
        produce(topic, ((None, orjson.dumps(r), None, i % PARTITIONS) for i, r in enumerate(rows)))
        worker.wait_for("driftmend_windows_closed_total", WINDOWS)
        return [
            e
            for e in map(
                decode_event, (m.value() for m in read_all("driftmend.drift-events", idle=3.0))
            )
            if e["feed"] == feed
        ]
    finally:
        worker.stop()


def test_windows_merge_all_partitions(events: list[dict[str, Any]]) -> None:
    assert events, "expected structural drift events"
    assert all(e["window_records"] == WINDOW for e in events)


def test_no_event_before_the_change(events: list[dict[str, Any]]) -> None:
    assert sorted(e["window_id"] for e in events) == list(range(CHANGE_FROM_WINDOW, WINDOWS))


def test_new_field_and_type_change_are_reported(events: list[dict[str, Any]]) -> None:
    for event in events:
        changed = {(c["field"], c["characteristic"]) for c in event["changed_characteristics"]}
        assert ("coupon", "unknown_field") in changed
        assert ("amount", "type") in changed
        assert event["severity"] == "high"
