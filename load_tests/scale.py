"""Scale-out: 1, 2 and 4 worker processes on a 12-partition feed, JSON and Avro, next to a
raw confluent-kafka passthrough on the same records and broker.

    python -m load_tests.scale [--records 3000000] [--workers 1,2,4] [--pinned 1,2]
                               [--formats json,avro] [--repeat 1] [--keep-topics]

Per format, the records are written once to a 12-partition topic, before anything reads
it; then the raw passthrough and every worker run drain that same backlog from its start
(each run a consumer group and an output topic of its own; a run's workers are started
together). Per run:

- records/s end to end (steady state: 10-90 % of the output) and the ratio to the raw
  passthrough and to linear scaling from one worker. Held output comes out a window or
  more at a time, at most ``DRIFTMEND_HOLD_MAX_RECORDS`` (400,000) per worker, a small
  part of a 3,000,000-record run; ``overall/s`` is every record from the first one read to
  the last out, start-up to the first verdict, the group's first rebalance and the last
  window's wait included, so it understates;
- CPU seconds per record (every process of every worker: ingest, profiler, analysis);
- peak resident memory per worker (all its processes).

Two series: ``--workers`` share the machine's cores (what one host running N workers gets),
``--pinned`` runs each worker on one core of its own (CPU affinity, like a container with
one CPU; its profiler count follows, so one): scaling to the machine's cores, one core per
worker, without the first worker already using them all.

Then latency from produce to output for one worker at a steady rate (records are produced
with the current time as their timestamp, which the output keeps, once every partition is
assigned; read ``read_committed``): p50 and p99 of the records produced in the middle 80 %
of the time, with the output held per window for its verdict (the default) and without.

``--repeat N`` drains the backlog N times round by round (the raw passthrough and every
configuration once per round, so a machine whose speed drifts affects them alike) and
reports each configuration's medians with the range of its steady rate: single runs on a
shared machine can move by 20 % from one minute to the next.

Every topic a run creates is deleted at the end (several GiB at the defaults), the
partial profiles too (each run's workers use a window-profiles topic of their own);
``--keep-topics`` leaves them.

Injection and retraining are off: nothing drifts, and their processes would only add their
start-up to the figures. Exactly-once is on (the default).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import redis
from confluent_kafka import Consumer, Producer

from app.baseline import build_baseline
from app.codecs.avro import parse_avro_schema, write_avro
from app.cores import available_cores
from app.repository import BaselineRepository
from app.settings import load_settings
from load_tests.data import mixed_records
from load_tests.memory import _children, peak_rss
from load_tests.throughput import Marks, fill, raw_passthrough
from tests.integration.harness import (
    Scratch,
    WorkerProcess,
    bootstrap,
    create_topic,
    redis_url,
    unique,
)

AVRO_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Order",
    "fields": [
        *({"name": f"f{j}", "type": "double"} for j in range(8)),
        *({"name": f"i{j}", "type": "long"} for j in range(4)),
        *({"name": f"c{j}", "type": "string"} for j in range(4)),
        {"name": "b0", "type": "boolean"},
        {"name": "b1", "type": "boolean"},
        {"name": "ts", "type": "string"},
        {"name": "id", "type": "string"},
    ],
}
PARTITIONS = 12
WINDOW_RECORDS = 12_000  # a verdict per 12,000 records: ~8 a second at 100,000 records/s
OFF = {"DRIFTMEND_INJECT_ENABLED": "false", "DRIFTMEND_RETRAIN_ENABLED": "false"}


def encoder(fmt: str) -> Callable[[dict[str, Any]], bytes]:
    if fmt == "json":
        return orjson.dumps
    parsed = parse_avro_schema(AVRO_SCHEMA)
    return lambda r: write_avro(r, parsed)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its descendants so far."""
    tick = 100.0  # USER_HZ on Linux
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclass
class Run:
    fmt: str
    workers: int
    pinned: bool
    rate: float
    overall: float  # every record, from the first written to the last out
    cpu_per_record_us: float
    peak_rss_mib: list[float]


def worker_args(fmt: str, schema_path: Path, window: int, output: str) -> list[str]:
    args = ["--window-records", str(window), "--loglevel", "warning", "--output", output]
    if fmt == "avro":
        args += ["--format", "avro", "--avro-schema", str(schema_path)]
    return args


def scale_run(
    fmt: str,
    topic: str,
    total: int,
    workers: int,
    rows: list[dict[str, Any]],
    tmp: Path,
    names: Scratch,
    pinned: bool = False,
    window: int = WINDOW_RECORDS,
) -> Run:
    """``workers`` processes, started together in a new consumer group, drain the
    pre-filled 12-partition ``topic`` from its start to an output topic of their own.
    Pinned, worker i runs on the i-th core it may use."""
    feed = names.name(f"scale-{fmt}-{workers}")
    BaselineRepository(redis.Redis.from_url(redis_url())).save(
        build_baseline(feed, rows[:20_000], "scale")
    )
    args = worker_args(fmt, tmp / "order.avsc", window, f"{feed}-out")
    env = {**OFF, "DRIFTMEND_WINDOW_PROFILES_TOPIC": f"{feed}-profiles"}
    cores = sorted(os.sched_getaffinity(0))
    procs = [
        WorkerProcess(feed, topic, args, env=env, cpus=frozenset({cores[i]}) if pinned else None)
        for i in range(workers)
    ]
    for w in procs:
        w.spawn(tmp)
    try:
        for w in procs:
            w.wait_started()
        marks = Marks(total)
        started = 0.0
        cpu0: dict[int, float] = {}
        while True:
            scraped = [w.metrics() for w in procs]
            if not started and any(m.get("driftmend_records_in_total", 0.0) for m in scraped):
                started = time.perf_counter()  # the first record read
                cpu0 = {w.port: cpu_seconds(w.proc.pid) for w in procs if w.proc}
            out = sum(m.get("driftmend_records_out_total", 0.0) for m in scraped)
            marks.saw(out)
            if out >= total:
                break
            for w in procs:
                if w.proc is not None and w.proc.poll() is not None:
                    raise SystemExit(f"a worker died:\n{w.log()}")
            time.sleep(0.25)
        overall = total / (time.perf_counter() - started)
        cpu = sum(cpu_seconds(w.proc.pid) - cpu0[w.port] for w in procs if w.proc)
        peaks = [sum(peak_rss(w.proc.pid).values()) for w in procs if w.proc]
    finally:
        for w in procs:
            w.stop()
    return Run(fmt, workers, pinned, marks.rate(), overall, cpu / total * 1e6, peaks)


def latencies(
    fmt: str,
    rows: list[dict[str, Any]],
    rate: float,
    seconds: float,
    hold: bool,
    tmp: Path,
    names: Scratch,
    window: int = WINDOW_RECORDS,
) -> tuple[float, float]:
    """p50 and p99 milliseconds from produce to the output, one worker, ``rate`` records/s,
    of the records produced in the middle 80 % of the time (once every partition is
    assigned): not the first second or two of a worker warming up, nor the feed's end,
    where the last window waits for its idle close."""
    feed, topic = names.name(f"lat-{fmt}"), names.name(f"lat-{fmt}-in")
    BaselineRepository(redis.Redis.from_url(redis_url())).save(
        build_baseline(feed, rows[:20_000], "latency")
    )
    create_topic(topic, PARTITIONS)
    encode = encoder(fmt)
    values = [encode(r) for r in rows]
    env = {
        **OFF,
        "DRIFTMEND_HOLD_OUTPUT": str(hold).lower(),
        "DRIFTMEND_WINDOW_PROFILES_TOPIC": f"{feed}-profiles",
    }
    args = worker_args(fmt, tmp / "order.avsc", window, f"{topic}.healed")
    worker = WorkerProcess(feed, topic, args, env=env)
    worker.start(tmp)
    seen: list[tuple[int, float]] = []
    stop = threading.Event()
    reader = threading.Thread(target=_read_latency, args=(f"{topic}.healed", seen, stop))
    reader.start()
    try:
        worker.wait_for("driftmend_assigned_partitions", PARTITIONS)
        producer = Producer({"bootstrap.servers": bootstrap(), "linger.ms": 5})
        n = int(rate * seconds)
        first_ms = int(time.time() * 1000)
        started = time.monotonic()
        for i in range(n):
            producer.produce(topic, values[i % len(values)], partition=i % PARTITIONS)
            if i % 500 == 0:
                producer.poll(0)
                ahead = i / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        producer.flush(30)
        deadline = time.monotonic() + 60
        while len(seen) < n and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        stop.set()
        reader.join()
        worker.stop()
    produced = np.asarray([p for p, _ in seen], dtype=np.float64) - first_ms
    ms = np.asarray([d for _, d in seen])
    middle = ms[(produced >= 0.1 * seconds * 1000) & (produced < 0.9 * seconds * 1000)]
    return float(np.percentile(middle, 50)), float(np.percentile(middle, 99))


def _read_latency(topic: str, seen: list[tuple[int, float]], stop: threading.Event) -> None:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap(),
            "group.id": unique("lat-reader"),
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
            "topic.metadata.refresh.interval.ms": 1000,
        }
    )
    consumer.subscribe([topic])
    try:
        while not stop.is_set():
            # a batch call waits its whole timeout unless it fills: short, not to add to it
            for m in consumer.consume(1000, timeout=0.02):
                if m.error() is None:
                    produced = m.timestamp()[1]
                    seen.append((produced, time.time() * 1000 - produced))
    finally:
        consumer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=3_000_000)
    parser.add_argument("--workers", default="1,2,4", help="sharing the cores")
    parser.add_argument(
        "--pinned",
        default=",".join(map(str, range(1, available_cores() + 1))),
        help="one core each (at most the cores this process may use); '' for none",
    )
    parser.add_argument("--formats", default="json,avro")
    parser.add_argument("--latency-rate", type=float, default=10_000)
    parser.add_argument("--latency-seconds", type=float, default=20, help="0: no latency runs")
    parser.add_argument(
        "--window-records", type=int, default=WINDOW_RECORDS, help="records per window"
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds of every run (medians)")
    parser.add_argument("--keep-topics", action="store_true", help="do not delete the topics")
    args = parser.parse_args()
    if args.repeat < 1:
        raise SystemExit("--repeat: at least 1")
    counts = [int(n) for n in args.workers.split(",") if n]
    pinned = [int(n) for n in args.pinned.split(",") if n]
    if pinned and max(pinned) > available_cores():
        raise SystemExit(f"--pinned: at most {available_cores()} workers, one per core")
    rows = mixed_records(20_000, seed=11)
    batch = load_settings().batch_size
    runs: list[Run] = []
    raw: dict[str, list[float]] = {}
    lat: dict[tuple[str, bool], tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as name, Scratch(keep=args.keep_topics) as names:
        tmp = Path(name)
        (tmp / "order.avsc").write_bytes(orjson.dumps(AVRO_SCHEMA))
        for fmt in args.formats.split(","):
            encode = encoder(fmt)
            encoded = [encode(r) for r in rows]
            values = [encoded[i % len(rows)] for i in range(args.records)]
            topic = names.name(f"scale-{fmt}-in")
            create_topic(topic, PARTITIONS)
            fill(topic, values, PARTITIONS)  # one backlog, drained by every run
            del values
            for _ in range(args.repeat):
                rate = raw_passthrough(topic, args.records, batch)
                raw.setdefault(fmt, []).append(rate)
                print(f"{fmt}: {args.records:,} records, raw passthrough {rate:,.0f}/s")
                for n, pin in [(n, False) for n in counts] + [(n, True) for n in pinned]:
                    run = scale_run(
                        fmt, topic, args.records, n, rows, tmp, names, pin, args.window_records
                    )
                    runs.append(run)
                    print(f"  {n} worker(s){', one core each' if pin else ''}: {run.rate:,.0f}/s")
            for hold in (True, False) if args.latency_seconds > 0 else ():
                lat[(fmt, hold)] = latencies(
                    fmt,
                    rows,
                    args.latency_rate,
                    args.latency_seconds,
                    hold,
                    tmp,
                    names,
                    args.window_records,
                )
    report(runs, raw, lat, args.latency_rate)


def medians(runs: list[Run]) -> list[tuple[Run, str]]:
    """One run per configuration (format, workers, pinned), in first-seen order, with the
    median of each figure over its repeats, and the range of its steady rate ('' for one)."""
    groups: dict[tuple[str, int, bool], list[Run]] = {}
    for r in runs:
        groups.setdefault((r.fmt, r.workers, r.pinned), []).append(r)
    out = []
    for (fmt, workers, pinned), group in groups.items():
        rates = [r.rate for r in group]
        spread = f"{min(rates):,.0f}-{max(rates):,.0f}" if len(group) > 1 else ""
        per_worker = zip(*(r.peak_rss_mib for r in group), strict=True)
        peaks = [statistics.median(ps) for ps in per_worker]
        out.append(
            (
                Run(
                    fmt,
                    workers,
                    pinned,
                    statistics.median(rates),
                    statistics.median(r.overall for r in group),
                    statistics.median(r.cpu_per_record_us for r in group),
                    peaks,
                ),
                spread,
            )
        )
    return out


def report(
    all_runs: list[Run],
    raws: dict[str, list[float]],
    lat: dict[tuple[str, bool], tuple[float, float]],
    latency_rate: float,
) -> None:
    rows = medians(all_runs)
    runs = [r for r, _ in rows]
    raw = {fmt: statistics.median(rates) for fmt, rates in raws.items()}
    repeated = any(spread for _, spread in rows)
    print()
    print(
        f"{'format':<6} {'workers':>7} {'cores':>9} {'records/s':>10} {'overall/s':>10} "
        f"{'per worker':>10} "
        f"{'x raw':>6} {'x linear':>8} {'CPU us/rec':>10} {'peak RSS MiB/worker':>20}"
        + (f" {'records/s range':>17}" if repeated else "")
    )
    # linear: from the fewest workers of the same format and series
    fewest = {(r.fmt, r.pinned): r for r in sorted(runs, key=lambda r: -r.workers)}
    for r, spread in rows:
        base = fewest[(r.fmt, r.pinned)]
        linear = r.rate / (base.rate / base.workers * r.workers)
        rss = "/".join(f"{v:,.0f}" for v in r.peak_rss_mib)
        cores = "1 each" if r.pinned else "shared"
        print(
            f"{r.fmt:<6} {r.workers:>7} {cores:>9} {r.rate:>10,.0f} {r.overall:>10,.0f} "
            f"{r.rate / r.workers:>10,.0f} "
            f"{r.rate / raw[r.fmt]:>6.2f} {linear:>8.2f} {r.cpu_per_record_us:>10.1f} {rss:>20}"
            + (f" {spread:>17}" if repeated else "")
        )
    for fmt, rate in raw.items():
        rates = raws[fmt]
        spread = ""
        if len(rates) > 1:
            spread = f" (median of {len(rates)}: {min(rates):,.0f}-{max(rates):,.0f})"
        print(f"{fmt:<6} raw confluent-kafka passthrough: {rate:,.0f} records/s{spread}")
    print()
    print(f"latency from produce to output, one worker at {latency_rate:,.0f} records/s:")
    for (fmt, hold), (p50, p99) in lat.items():
        how = "held per window for its verdict" if hold else "forwarded at once (no hold)"
        print(f"  {fmt:<5} {how:<32} p50 {p50:,.0f} ms, p99 {p99:,.0f} ms")


if __name__ == "__main__":
    main()
