"""Injection end to end on the real broker and Redis: a sudden sustained shift makes the
worker interleave marked synthetic records into the output; every real record still goes
out exactly once, in order per partition; high drift raises an alert.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pytest
import redis
from confluent_kafka import Message

from app.baseline import build_baseline
from app.inject.smoothing import jumps
from app.repository import BaselineRepository
from app.repository.models import ModelRepository
from app.synth.train import TrainConfig, train_synthesizer
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
WINDOWS = 10
SHIFT_WINDOW = 4
PARTITIONS = 2


@dataclass
class Run:
    feed: str
    sent: dict[int, list[bytes]]  # partition -> values in order
    output: list[Message]
    alerts: list[dict[str, Any]]
    metrics: dict[str, float]


def _synthetic(m: Message) -> bool:
    return ("driftmend-synthetic", b"1") in (m.headers() or [])


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    feed, topic = unique("inj-feed"), unique("inj-input")
    client = redis.Redis.from_url(redis_url())
    records = make_records(np.random.default_rng(5), 20_000)
    baseline = BaselineRepository(client).save(build_baseline(feed, records, "test"))
    synth = train_synthesizer(
        baseline.schema, records, TrainConfig(epochs=40, budget_seconds=8.0), seed=1
    )
    synth.save(ModelRepository(client), feed, baseline.version)
    create_topic(topic, PARTITIONS)
    rng = np.random.default_rng(11)
    rows = make_records(rng, SHIFT_WINDOW * WINDOW) + make_records(
        rng, (WINDOWS - SHIFT_WINDOW) * WINDOW, shift=1.5
    )
    sent: dict[int, list[bytes]] = {p: [] for p in range(PARTITIONS)}
    items = []
    for i, row in enumerate(rows):
        value = orjson.dumps(row)
        sent[i % PARTITIONS].append(value)
        items.append((None, value, None, i % PARTITIONS))
    worker = WorkerProcess(feed, topic, ["--window-records", str(WINDOW)])
    worker.start(tmp_path_factory.mktemp("worker"))
    try:
        produce(topic, items)
        worker.wait_for("driftmend_records_in_total", len(rows))
        worker.wait_for("driftmend_windows_closed_total", WINDOWS - 1, timeout=120)
        output = read_all(f"{topic}.healed", idle=8.0)
        alerts = [
            orjson.loads(m.value())
            for m in read_all("driftmend.alerts", idle=3.0)
            if m.key() == feed.encode()
        ]
        yield Run(feed, sent, output, alerts, worker.metrics())
    finally:
        worker.stop()


def test_synthetic_records_appear_marked_once_drift_starts(run: Run) -> None:
    synthetic = [m for m in run.output if _synthetic(m)]
    assert synthetic, "no synthetic records in the output"
    headers = dict(synthetic[0].headers() or [])
    assert headers["driftmend-drift-event"]
    assert headers["driftmend-baseline-version"] == b"1"
    assert run.metrics["driftmend_synthetic_records_total"] == len(synthetic)
    for m in synthetic:  # encoded exactly like the feed: JSON objects with its fields
        assert set(orjson.loads(m.value())) <= {"x", "amount", "category", "score", "id"}
    # none before the shift: the first synthetic record follows real records of the shift
    first = min(run.output.index(m) for m in synthetic if m.partition() == 0)
    real_before = [m for m in run.output[:first] if m.partition() == 0 and not _synthetic(m)]
    assert len(real_before) >= SHIFT_WINDOW * WINDOW // PARTITIONS


def test_every_real_record_goes_out_once_in_order(run: Run) -> None:
    for p, values in run.sent.items():
        real = [m.value() for m in run.output if m.partition() == p and not _synthetic(m)]
        # a short message on failure: pytest's diff of 10,000 values takes minutes
        first = next(
            (i for i, (a, b) in enumerate(zip(real, values, strict=False)) if a != b), None
        )
        assert first is None, f"partition {p}: output differs from the input at {first}"
        assert len(real) == len(values), f"partition {p}: {len(real)} out, {len(values)} in"


def test_synthetic_share_follows_severity(run: Run) -> None:
    real = sum(1 for m in run.output if not _synthetic(m))
    synthetic = len(run.output) - real
    # windows after the shift drift: up to inject_max_rate (1.0) synthetic per real record
    assert 0 < synthetic <= (WINDOWS - SHIFT_WINDOW) * WINDOW
    assert run.metrics["driftmend_injection_rate"] > 0


def test_high_drift_raises_an_alert(run: Run) -> None:
    drift = [a for a in run.alerts if a["kind"] == "high_drift"]
    assert drift, "no alert"
    assert {a["severity"] for a in drift} == {"high"}
    assert all(a["changed"] and a["event_id"] for a in drift)


def test_the_output_moves_in_smaller_steps_than_the_input(run: Run) -> None:
    inputs = {p: [(orjson.loads(v), False) for v in vs] for p, vs in run.sent.items()}
    outputs = {
        p: [(orjson.loads(m.value()), _synthetic(m)) for m in run.output if m.partition() == p]
        for p in run.sent
    }
    jump_in, jump_out = jumps(inputs, outputs, WINDOW, ["x", "amount", "category"])
    print(f"largest window-to-window PSI jump: input {jump_in:.3f}, output {jump_out:.3f}")
    assert jump_out <= jump_in / 3  # the target of the self-healing loop
