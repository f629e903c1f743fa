"""Bad input on a real JSON feed: each kind goes to the DLQ with its headers, every record is
still forwarded byte for byte, windows keep closing and the worker keeps running."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import orjson
import pytest
import redis
from confluent_kafka import Message

from app.baseline import build_baseline
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
WINDOWS = 3
LIMIT = 50_000  # DRIFTMEND_MAX_RECORD_BYTES for this worker
NESTING = 2_000  # deeper than orjson's limit

# offset -> (value, what the DLQ's error should say); each is dead-lettered
BAD = {
    11: (b'{"x": 1.0, "amount":', "JSON"),
    222: (b'{"x": NaN, "amount": 1.0}', "JSON"),
    333: (b'{"x": Infinity, "amount": 1.0}', "JSON"),
    444: (b"[1, 2, 3]", "object"),
    555: (b'"just a string"', "object"),
    666: (b'{"x": "\xff\xfe"}', "JSON"),
    777: (b"", "JSON"),
    888: (b'{"x":' + b"[" * NESTING + b"]" * NESTING + b"}", "JSON"),
    999: (orjson.dumps({"x": 1.0, "blob": "y" * (2 * LIMIT)}), "limit"),
}
# decodable oddities: profiled (as structural drift), never dead-lettered
ODD = {
    1_234: orjson.dumps({"x": {"nested": [1, {"deep": True}]}, "amount": 2.0}),
    1_500: orjson.dumps({"x": 0.5, "id": "z" * (LIMIT // 2)}),  # a huge string under the limit
}
TOMBSTONE = 1_750


@dataclass
class Run:
    topic: str
    sent: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]] | None, int | None]]
    worker: WorkerProcess
    metrics: dict[str, float]
    output: list[Message]
    dlq: list[Message]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    feed, topic = unique("it-bad"), unique("it-bad-in")
    rng = np.random.default_rng(8)
    BaselineRepository(redis.Redis.from_url(redis_url())).save(
        build_baseline(feed, make_records(rng, 10_000), "test")
    )
    create_topic(topic, 1)
    sent: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]] | None, int | None]] = []
    for i, row in enumerate(make_records(rng, WINDOWS * WINDOW + 1)):
        value: bytes | None = BAD[i][0] if i in BAD else ODD.get(i, orjson.dumps(row))
        if i == TOMBSTONE:
            value = None
        sent.append((f"k{i}".encode(), value, [("n", str(i).encode())], 0))
    worker = WorkerProcess(
        feed,
        topic,
        ["--window-records", str(WINDOW)],
        env={"DRIFTMEND_MAX_RECORD_BYTES": str(LIMIT), "DRIFTMEND_INJECT_ENABLED": "false"},
    )
    worker.start(tmp_path_factory.mktemp("worker"))
    try:
        produce(topic, sent)
        worker.wait_for("driftmend_windows_closed_total", WINDOWS)
        output = read_all(f"{topic}.healed", expected=len(sent))
        dlq = [
            m
            for m in read_all("driftmend.dlq", idle=3.0)
            if ("driftmend-source-topic", topic.encode()) in (m.headers() or [])
        ]
        metrics = worker.wait_for("driftmend_dlq_records_total", len(BAD))
        yield Run(topic, sent, worker, metrics, output, dlq)
    finally:
        worker.stop()


def test_each_bad_record_is_dead_lettered_with_why(run: Run) -> None:
    assert sorted(int(dict(m.headers() or [])["driftmend-source-offset"]) for m in run.dlq) == (
        sorted(BAD)
    )
    for m in run.dlq:
        headers = dict(m.headers() or [])
        offset = int(headers["driftmend-source-offset"])
        value, says = BAD[offset]
        assert m.value() == value
        assert headers["driftmend-source-topic"] == run.topic.encode()
        assert headers["driftmend-source-partition"] == b"0"
        assert headers["driftmend-error-type"] == b"DecodeError"
        assert says in headers["driftmend-error"].decode()
        assert headers["n"] == str(offset).encode()  # the record's own headers are kept
    assert run.metrics["driftmend_dlq_records_total"] == len(BAD)


def test_every_record_is_still_forwarded(run: Run) -> None:
    assert [(m.key(), m.value()) for m in run.output] == [(k, v) for k, v, _h, _p in run.sent]


def test_windows_keep_closing_and_the_worker_runs(run: Run) -> None:
    assert run.metrics["driftmend_windows_closed_total"] >= WINDOWS
    assert run.worker.proc is not None and run.worker.proc.poll() is None
