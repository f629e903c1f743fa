"""A Confluent-framed Avro feed (ids from a local folder): profiled, bad ids dead-lettered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis

from app.baseline import build_baseline
from app.codecs import ConfluentAvroCodec, LocalSchemaRegistry
from app.repository import BaselineRepository
from tests.integration.harness import (
    WorkerProcess,
    create_topic,
    produce,
    read_all,
    redis_url,
    unique,
)

SCHEMA = {
    "type": "record",
    "name": "Reading",
    "fields": [
        {"name": "sensor", "type": "string"},
        {"name": "value", "type": "double"},
        {"name": "ok", "type": "boolean"},
    ],
}
WINDOW = 1_000


def _rows(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    return [
        {
            "sensor": f"s{rng.integers(0, 5)}",
            "value": float(rng.normal(20, 2)),
            "ok": bool(rng.random() < 0.9),
        }
        for _ in range(n)
    ]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, float], list[Any]]:
    registry = tmp_path_factory.mktemp("registry")
    (registry / "42.avsc").write_text(json.dumps(SCHEMA))
    codec = ConfluentAvroCodec(LocalSchemaRegistry(Path(registry)), write_schema_id=42)
    feed, topic = unique("it-avro"), unique("it-avro-in")
    rng = np.random.default_rng(3)
    BaselineRepository(redis.Redis.from_url(redis_url())).save(
        build_baseline(feed, _rows(rng, 5_000), "test")
    )
    create_topic(topic, 1)
    values = [codec.encode(r) for r in _rows(rng, 3 * WINDOW)]
    values[10] = b"\x00\x00\x00\x00\x07" + values[10][5:]  # schema id 7 is unknown
    worker = WorkerProcess(
        feed,
        topic,
        [
            "--window-records",
            str(WINDOW),
            "--format",
            "confluent-avro",
            "--registry-dir",
            str(registry),
        ],
    )
    worker.start(tmp_path_factory.mktemp("worker"))
    try:
        produce(topic, ((None, v, None, 0) for v in values))
        metrics = worker.wait_for("driftmend_windows_closed_total", 3)
        dlq = [
            m
            for m in read_all("driftmend.dlq", idle=3.0)
            if ("driftmend-source-topic", topic.encode()) in (m.headers() or [])
        ]
        return metrics, dlq
    finally:
        worker.stop()


def test_avro_windows_are_judged_without_drift(run: tuple[dict[str, float], list[Any]]) -> None:
    metrics, _ = run
    assert metrics["driftmend_windows_closed_total"] == 3
    assert metrics["driftmend_window_partials_total"] >= 3  # one worker: a partial or more each
    assert metrics.get("driftmend_drift_events_total", 0) == 0


def test_unknown_schema_id_is_dead_lettered(run: tuple[dict[str, float], list[Any]]) -> None:
    _, dlq = run
    assert len(dlq) == 1
    headers = dict(dlq[0].headers())
    assert headers["driftmend-source-offset"] == b"10"
    assert b"unknown schema id 7" in headers["driftmend-error"]
