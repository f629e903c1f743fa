"""End-to-end throughput of one driftmend worker vs a raw confluent-kafka passthrough.

Both read the same JSON feed (about 20 mixed fields per record) from the same broker and
write every record to an output topic, committing offsets after the output is acknowledged
(without a flush per batch: once the producer's queue is empty).
The worker runs twice: exactly-once (Kafka transactions, the default) and at-least-once.
Prints records/s of each, their ratio to the raw passthrough and the exactly-once cost.
Run with ``make bench`` (or ``python -m load_tests.throughput --records N``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import redis
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from app.baseline import build_baseline
from app.kafka.produce import produce_args, produce_blocking
from app.kafka.topics import TopicSpec, ensure_topics
from app.repository import BaselineRepository
from app.settings import load_settings
from load_tests.data import mixed_records
from tests.integration.harness import Scratch, WorkerProcess, bootstrap, redis_url, unique


def fill(topic: str, values: list[bytes], partitions: int) -> None:
    producer = Producer(
        {
            "bootstrap.servers": bootstrap(),
            "linger.ms": 20,
            "batch.size": 1_000_000,
            "compression.type": "lz4",
            "queue.buffering.max.messages": 1_000_000,
        }
    )
    for i, value in enumerate(values):
        while True:
            try:
                producer.produce(topic, value, partition=i % partitions)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(120)


def raw_passthrough(topic: str, total: int, batch: int) -> float:
    """The client's own limit for what the worker does: consume, produce, commit.

    One consumer and one producer in a loop, no decoding: every record is produced to the
    same partition of an output topic with as many partitions, keeping its key, headers and
    timestamp. Like the worker, it does not flush per batch: offsets are committed (without
    waiting) up to what was consumed once the producer's queue is empty, with a flush only
    if the queue has not emptied for 5 s. The rate counts acknowledged records. Its output
    is compressed like the worker's (``DRIFTMEND_OUTPUT_COMPRESSION``).
    """
    admin = AdminClient({"bootstrap.servers": bootstrap()})
    partitions = len(admin.list_topics(topic, timeout=10).topics[topic].partitions)
    out = unique(f"{topic}.raw")
    ensure_topics(admin, [TopicSpec(out, partitions)])
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap(),
            "group.id": unique("raw"),
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "fetch.max.bytes": 52428800,
        }
    )
    producer = Producer(
        {
            "bootstrap.servers": bootstrap(),
            "linger.ms": 5,
            "batch.size": 1_000_000,
            "compression.type": load_settings().output_compression,
            "enable.idempotence": True,
            "queue.buffering.max.messages": 500_000,
        }
    )
    consumer.subscribe([topic])
    produced = 0
    pending = False
    marks = Marks(total)
    emptied = time.monotonic()
    produce = producer.produce  # positional: the worker's call, the fastest
    while produced - len(producer) < total:
        msgs = consumer.consume(batch, timeout=0.2)
        for m in msgs:
            args = produce_args(
                out, m.value(), m.key(), m.partition() or 0, m.timestamp()[1], m.headers()
            )
            try:
                produce(*args)
            except BufferError:
                produce_blocking(producer, args)
        produced += len(msgs)
        pending = pending or bool(msgs)
        producer.poll(0)
        if not len(producer):
            emptied = time.monotonic()
            if pending:
                consumer.commit(asynchronous=True)
                pending = False
        elif time.monotonic() - emptied > 5:
            producer.flush(60)
        marks.saw(produced - len(producer))
    producer.flush(60)
    if pending:  # else all is committed: a commit of nothing new fails with _NO_OFFSET
        consumer.commit(asynchronous=False)
    consumer.close()
    return marks.rate()


class Marks:
    """Steady-state rate: records between 10 % and 90 % of the run over the time between."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.t10 = self.t90 = 0.0
        self.n10 = self.n90 = 0.0

    def saw(self, n: float) -> None:
        now = time.perf_counter()
        if not self.t10 and n >= 0.1 * self.total:
            self.t10, self.n10 = now, n
        if not self.t90 and n >= 0.9 * self.total:
            self.t90, self.n90 = now, n

    def rate(self) -> float:
        return (self.n90 - self.n10) / max(self.t90 - self.t10, 1e-9)


def worker_throughput(
    topic: str,
    total: int,
    records: list[dict[str, object]],
    window: int,
    exactly_once: bool,
    names: Scratch,
) -> float:
    feed = names.name("bench")
    BaselineRepository(redis.Redis.from_url(redis_url())).save(
        build_baseline(feed, records[:20_000], "bench")
    )
    with tempfile.TemporaryDirectory() as tmp:
        worker = WorkerProcess(
            feed,
            topic,
            ["--window-records", str(window), "--loglevel", "warning"],
            env={
                "DRIFTMEND_EXACTLY_ONCE": str(exactly_once).lower(),
                "DRIFTMEND_WINDOW_PROFILES_TOPIC": f"{feed}-profiles",
            },
        )
        worker.start(Path(tmp))
        try:
            marks = Marks(total)
            first = last = 0.0
            while True:
                seen = worker.metrics()  # records out: held output counts when released
                now = time.perf_counter()
                out = seen.get("driftmend_records_out_total", 0.0)
                marks.saw(out)
                if seen.get("driftmend_records_in_total", 0.0) > 0 and not first:
                    first = now
                if out >= total:
                    last = now
                    break
                if worker.proc is not None and worker.proc.poll() is not None:
                    raise SystemExit(f"worker died:\n{worker.log()}")
                time.sleep(0.2)  # scraping costs the worker CPU: not too often
        finally:
            worker.stop()
    print(f"worker: first record in to last record out {last - first:.1f} s")
    return marks.rate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--window", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    records = mixed_records(args.records, seed=1)
    values = [orjson.dumps(r) for r in records]
    with Scratch() as names:  # deletes the topics at the end
        run(args, names, records, values)


def run(
    args: argparse.Namespace, names: Scratch, records: list[dict[str, Any]], values: list[bytes]
) -> None:
    topic = names.name("bench-in")
    ensure_topics(
        AdminClient({"bootstrap.servers": bootstrap()}), [TopicSpec(topic, args.partitions)]
    )
    print(
        f"filling {topic}: {args.records} JSON records, {len(records[0])} fields, "
        f"{sum(map(len, values)) / len(values):.0f} bytes each, {args.partitions} partitions"
    )
    fill(topic, values, args.partitions)
    batch = load_settings().batch_size
    raw = raw_passthrough(topic, args.records, batch)
    print(
        f"raw confluent-kafka passthrough (batches of {batch}), steady state: {raw:,.0f} records/s"
    )
    rates = {}
    for eos in (True, False):
        mode = "exactly-once" if eos else "at-least-once"
        rates[eos] = worker_throughput(topic, args.records, records, args.window, eos, names)
        print(
            f"driftmend worker, {mode} (forward + decode + profile + judge, output held per "
            f"window): {rates[eos]:,.0f} records/s, ratio worker/raw: {rates[eos] / raw:.2f}"
        )
    print(f"exactly-once cost: {1 - rates[True] / rates[False]:.1%} of at-least-once throughput")


if __name__ == "__main__":
    main()
