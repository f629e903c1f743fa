"""Throughput of one worker while the retrain agent trains, next to the same run's idle rate.

A backlog of JSON records of 20 mixed fields: the first part like the baseline, the rest
shifted (high drift). The worker reaches the shifted records after a few seconds, raises a
drift event and hands it to the retrain agent, which reads the window back, trains a
challenger VAE (``DRIFTMEND_RETRAIN_BUDGET_SECONDS``) and validates it in its own process,
while the worker keeps forwarding and profiling. The run samples the worker's metrics
(records out, ``driftmend_retrain_running``) and prints records/s while a retrain runs and
while none does, their ratio, and the cores the worker's processes used in each state.
Run with ``python -m load_tests.retrain_load`` (``--records``, ``--drift-at``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import redis
from confluent_kafka.admin import AdminClient

from app.baseline import build_baseline
from app.kafka.topics import TopicSpec, ensure_topics
from app.repository import BaselineRepository
from load_tests.data import mixed_records
from load_tests.scale import cpu_seconds
from load_tests.throughput import fill
from tests.integration.harness import Scratch, WorkerProcess, bootstrap, redis_url

SHIFT = 2.0  # standard deviations: a high-severity event on the first shifted window
CHUNK = 100_000


@dataclass
class Trace:
    """Records out over time from the first record in to the last out, split by whether a
    retrain was running at the start of each interval (held output comes out in bursts, so
    every interval counts, with output or not)."""

    seconds: dict[bool, float] = field(default_factory=lambda: {False: 0.0, True: 0.0})
    records: dict[bool, float] = field(default_factory=lambda: {False: 0.0, True: 0.0})
    cpu: dict[bool, float] = field(default_factory=lambda: {False: 0.0, True: 0.0})
    retrains: int = 0
    _last: tuple[float, float, float, bool] | None = None

    def saw(self, now: float, out: float, cpu: float, running: bool) -> None:
        if self._last is not None:
            t, n, c, was = self._last
            self.seconds[was] += now - t
            self.records[was] += out - n
            self.cpu[was] += cpu - c
            self.retrains += int(running and not was)
        self._last = (now, out, cpu, running)

    def rate(self, running: bool) -> float:
        return self.records[running] / max(self.seconds[running], 1e-9)

    def cores(self, running: bool) -> float:
        return self.cpu[running] / max(self.seconds[running], 1e-9)


def run(records: int, drift_at: int, window: int, names: Scratch) -> Trace:
    feed = names.name("retrain-load")
    BaselineRepository(redis.Redis.from_url(redis_url())).save(
        build_baseline(feed, mixed_records(20_000, seed=1), "bench")
    )
    values: list[bytes] = []
    for start in range(0, records, CHUNK):  # chunks: a million dicts would take GiBs
        n = min(CHUNK, records - start)
        shift = SHIFT if start >= drift_at else 0.0
        values += map(orjson.dumps, mixed_records(n, seed=1 + start // CHUNK, shift=shift))
    topic = names.name("retrain-load-in")
    ensure_topics(AdminClient({"bootstrap.servers": bootstrap()}), [TopicSpec(topic, 6)])
    fill(topic, values, 6)
    del values
    trace = Trace()
    with tempfile.TemporaryDirectory() as tmp:
        worker = WorkerProcess(
            feed,
            topic,
            ["--window-records", str(window), "--loglevel", "warning"],
            env={"DRIFTMEND_INJECT_ENABLED": "false", "DRIFTMEND_RETRAIN_ENABLED": "true"},
        )
        worker.start(Path(tmp))
        assert worker.proc is not None
        try:
            while True:
                seen = worker.metrics()
                out = seen.get("driftmend_records_out_total", 0.0)
                running = seen.get("driftmend_retrain_running", 0.0) > 0
                if seen.get("driftmend_records_in_total", 0.0) > 0:  # from the first record
                    trace.saw(time.perf_counter(), out, cpu_seconds(worker.proc.pid), running)
                if out >= records:
                    break
                if worker.proc.poll() is not None:
                    raise SystemExit(f"worker died:\n{worker.log()}")
                time.sleep(0.25)
        finally:
            worker.stop()
    return trace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=2_400_000)
    parser.add_argument("--drift-at", type=int, default=400_000)
    parser.add_argument("--window", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    with Scratch() as names:  # deletes the topics at the end
        trace = run(args.records, args.drift_at, args.window, names)
    idle, busy = trace.rate(False), trace.rate(True)
    print(f"{args.records:,} records, shifted from record {args.drift_at:,}; injection off")
    print(f"{'state':<22} {'seconds':>8} {'records':>10} {'records/s':>10} {'worker cores':>13}")
    for running, name in ((False, "no retrain running"), (True, "a retrain running")):
        print(
            f"{name:<22} {trace.seconds[running]:>8.1f} {trace.records[running]:>10,.0f} "
            f"{trace.rate(running):>10,.0f} {trace.cores(running):>13.2f}"
        )
    print(f"retrain jobs: {trace.retrains}; records/s during a retrain / idle: {busy / idle:.2f}")


if __name__ == "__main__":
    main()
