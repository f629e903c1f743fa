"""Structural drift on a three-partition feed (a new field and a number->string type change),
and a new writer schema id on a Confluent-framed feed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
import redis

from app.baseline import build_baseline
from app.codecs import ConfluentAvroCodec, LocalSchemaRegistry
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


READING = [{"name": "sensor", "type": "string"}, {"name": "value", "type": "double"}]
WRITERS = {42: READING, 43: [*READING, {"name": "unit", "type": "string", "default": "C"}]}
FRAMED_WINDOW = 1_000


@pytest.fixture(scope="module")
def schema_events(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    registry = tmp_path_factory.mktemp("registry")
    for sid, fields in WRITERS.items():
        schema = {"type": "record", "name": "Reading", "fields": fields}
        (registry / f"{sid}.avsc").write_text(json.dumps(schema))
    codecs = {sid: ConfluentAvroCodec(LocalSchemaRegistry(Path(registry)), sid) for sid in WRITERS}
    rng = np.random.default_rng(13)

    def framed(sid: int, n: int) -> list[bytes]:
        rows = [{"sensor": f"s{rng.integers(0, 5)}", "value": rng.normal(20, 2)} for _ in range(n)]
        return [codecs[sid].encode({**r, "unit": "C"} if sid == 43 else r) for r in rows]

    feed, topic = unique("it-schema"), unique("it-schema-in")
    sample = [codecs[42].decode(v) for v in framed(42, 5_000)]  # as `baseline create --from-topic`
    BaselineRepository(redis.Redis.from_url(redis_url())).save(build_baseline(feed, sample, "test"))
    create_topic(topic, 1)
    values = framed(42, 2 * FRAMED_WINDOW) + framed(43, 2 * FRAMED_WINDOW)
    args = ["--window-records", str(FRAMED_WINDOW), "--format", "confluent-avro"]
    worker = WorkerProcess(feed, topic, [*args, "--registry-dir", str(registry)])
    worker.start(tmp_path_factory.mktemp("worker"))
    try:
        produce(topic, ((None, v, None, 0) for v in values))
        worker.wait_for("driftmend_windows_closed_total", 4)
        return [
            e
            for e in map(
                decode_event, (m.value() for m in read_all("driftmend.drift-events", idle=3.0))
            )
            if e["feed"] == feed
        ]
    finally:
        worker.stop()


def test_new_schema_id_reported_from_its_first_window(schema_events: list[dict[str, Any]]) -> None:
    assert sorted(e["window_id"] for e in schema_events) == [2, 3]
    for event in schema_events:
        found = [c for c in event["changed_characteristics"] if c["characteristic"] == "schema_id"]
        assert len(found) == 1
        assert found[0]["field"] == "*" and found[0]["baseline"] == "id 42"
        assert found[0]["current"] == "id 43 FULL (100.0% of records)"
        assert found[0]["severity"] == "low"
