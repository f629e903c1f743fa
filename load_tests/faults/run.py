"""Fault suite: records stream in while workers are killed, the broker restarts, workers join
and leave and Redis goes away; then the checker counts lost, duplicated and reordered
records per partition.

    python -m load_tests.faults.run [--records 1000000] [--scenario kill|broker|rebalance|redis|all]

Each scenario runs on a topic of its own, bounded in time (``--max-seconds``). A worker that
exits on its own (e.g. it could not reach Redis) is restarted, as a supervisor would. The
broker and Redis restarts need the services this checkout started (``make up``); with
``KAFKA_BOOTSTRAP_SERVERS`` / ``REDIS_URL`` pointing elsewhere those scenarios are skipped.
Exit status 1 if any record was lost, reordered, or (exactly-once) duplicated.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import redis
from confluent_kafka import Consumer, KafkaException, Message, Producer, TopicPartition

from app.baseline import build_baseline
from app.kafka.readback import read_verdicts
from app.repository import BaselineRepository
from app.settings import Settings
from app.worker.windows import WindowClock
from load_tests.data import mixed_records
from load_tests.faults.checker import (
    Report,
    WindowReport,
    compare,
    compare_windows,
    read_topic,
    sequence_key,
)
from tests.integration.harness import (
    ROOT,
    Scratch,
    WorkerProcess,
    bootstrap,
    create_topic,
    redis_url,
    unique,
)

SERVICES = ROOT / "scripts" / "services.sh"


@dataclass
class Feed:
    """A feed being written at a steady rate in a background thread."""

    topic: str
    partitions: int
    records: int
    rate: float
    sent: dict[int, list[int]] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)

    def start(self, values: list[bytes]) -> threading.Thread:
        thread = threading.Thread(target=self._write, args=(values,), daemon=True)
        thread.start()
        return thread

    def _acked(self, err: object, msg: Message) -> None:
        if err is None:
            p, seq = map(int, (msg.key() or b"-").split(b"-"))
            self.sent[p].append(seq)

    def _write(self, values: list[bytes]) -> None:
        producer = Producer(
            {
                "bootstrap.servers": bootstrap(),
                "enable.idempotence": True,  # the broker may restart: no duplicates, no gaps
                "linger.ms": 20,
                "compression.type": "lz4",
                "message.timeout.ms": 300_000,
                "log_level": 2,  # not a line per reconnect attempt while the broker restarts
            }
        )
        self.sent = {p: [] for p in range(self.partitions)}  # acknowledged by the broker
        started = time.monotonic()
        for i in range(self.records):
            p, seq = i % self.partitions, i // self.partitions
            while True:
                try:
                    producer.produce(
                        self.topic,
                        values[i % len(values)],
                        sequence_key(p, seq),
                        partition=p,
                        on_delivery=self._acked,
                    )
                    break
                except BufferError:
                    producer.poll(0.05)
            if i % 1000 == 999:
                producer.poll(0)
                ahead = (i + 1) / self.rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        remaining = producer.flush(300)
        for seqs in self.sent.values():
            seqs.sort()  # one partition's acknowledgements come in order; keep it certain
        if remaining:
            print(f"  producer: {remaining} records not acknowledged", file=sys.stderr)
        self.done.set()


class Workers:
    """Worker processes of one feed, restarted when they exit on their own."""

    def __init__(self, feed: str, topic: str, window: int, tmp: Path, env: dict[str, str]):
        self.feed, self.topic, self.window, self.tmp, self.env = feed, topic, window, tmp, env
        self.procs: list[WorkerProcess] = []
        self.restarts = 0  # workers that exited on their own and were started again
        self.kills = 0
        self._skipped: dict[int, float] = {}  # per worker process: its counter, last seen

    @property
    def skipped(self) -> int:
        """Records read again after a kill and not profiled twice (what the scrapes saw)."""
        return int(sum(self._skipped.values()))

    def scrape(self) -> None:
        for w in self.procs:
            if w.proc is not None and w.proc.poll() is None:
                seen = w.metrics().get("driftmend_republished_skipped_records_total")
                if seen is not None:
                    self._skipped[w.proc.pid] = seen

    def add(self) -> WorkerProcess:
        w = WorkerProcess(
            self.feed,
            self.topic,
            ["--window-records", str(self.window), "--loglevel", "warning"],
            env=self.env,
        )
        self.procs.append(w.start(self.tmp))
        return w

    def kill(self, w: WorkerProcess) -> None:
        assert w.proc is not None
        self.scrape()
        w.proc.send_signal(signal.SIGKILL)
        w.proc.wait(30)
        w._log_file.close()
        self.kills += 1

    def remove(self, w: WorkerProcess) -> None:
        w.stop()
        self.procs.remove(w)

    def supervise(self) -> None:
        for w in self.procs:
            if w.proc is not None and w.proc.poll() is not None:
                self.restarts += 1
                print(f"  worker on port {w.port} exited ({w.proc.returncode}): restarting")
                w._log_file.close()
                w.start(self.tmp)

    def stop(self) -> None:
        for w in self.procs:
            if w.proc is not None and w.proc.poll() is None:
                w.stop()


def services(*args: str) -> None:
    """``scripts/services.sh ARGS`` on this checkout's own services (not the exported
    addresses, which would make it leave them to whoever runs them)."""
    subprocess.run([str(SERVICES), *args], check=True, cwd=ROOT, env=_own_env())


def _own_env() -> dict[str, str]:
    exported = ("KAFKA_BOOTSTRAP_SERVERS", "REDIS_URL")
    return {k: v for k, v in os.environ.items() if k not in exported}


def own_services() -> bool:
    """Kafka and Redis are the ones this checkout started (so the suite may restart them)."""
    status = subprocess.run(
        [str(SERVICES), "status"],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_own_env(),
    ).stdout
    ours = status.count("running (pid") == 2
    return ours and bootstrap() == "127.0.0.1:9092" and redis_url() == "redis://127.0.0.1:6379/0"


# called about once a second: the workers, seconds since the start, records still streaming
# in (faults start only then; one under way, like an outage, is always ended)
Fault = Callable[[Workers, float, bool], None]


def kill_every(seconds: float) -> Fault:
    state = {"next": seconds}

    def fault(workers: Workers, elapsed: float, streaming: bool) -> None:
        if streaming and elapsed >= state["next"] and workers.procs:
            w = workers.procs[int(elapsed) % len(workers.procs)]
            print(f"  {elapsed:5.1f} s: SIGKILL worker on port {w.port}")
            workers.kill(w)
            w.start(workers.tmp)
            state["next"] = elapsed + seconds

    return fault


def broker_restart(at: float) -> Fault:
    state = {"done": False}

    def fault(workers: Workers, elapsed: float, streaming: bool) -> None:
        if streaming and elapsed >= at and not state["done"]:
            state["done"] = True
            print(f"  {elapsed:5.1f} s: restarting the broker")
            services("stop", "kafka")
            services("up")

    return fault


def redis_outage(at: float, seconds: float) -> Fault:
    state = {"stopped": 0.0, "done": False}

    def fault(workers: Workers, elapsed: float, streaming: bool) -> None:
        if streaming and elapsed >= at and not state["stopped"] and not state["done"]:
            print(f"  {elapsed:5.1f} s: stopping Redis for {seconds:.0f} s")
            services("stop", "redis")
            state["stopped"] = elapsed
        elif state["stopped"] and elapsed - state["stopped"] >= seconds:
            print(f"  {elapsed:5.1f} s: starting Redis again")
            services("up")
            state["stopped"], state["done"] = 0.0, True

    return fault


def join_and_leave(every: float, most: int) -> Fault:
    state = {"next": every, "growing": True}

    def fault(workers: Workers, elapsed: float, streaming: bool) -> None:
        if not streaming or elapsed < state["next"]:
            return
        state["next"] = elapsed + every
        if state["growing"] and len(workers.procs) < most:
            print(f"  {elapsed:5.1f} s: a worker joins ({len(workers.procs) + 1})")
            workers.add()
        elif len(workers.procs) > 1:
            state["growing"] = False
            print(f"  {elapsed:5.1f} s: a worker leaves ({len(workers.procs) - 1})")
            workers.remove(workers.procs[-1])
        else:
            state["growing"] = True

    return fault


@dataclass
class Outcome:
    name: str
    report: Report
    seconds: float
    restarts: int
    kills: int
    exactly_once: bool
    windows: WindowReport = field(default_factory=WindowReport)
    skipped: int = 0  # read again after a kill, already published: not profiled twice

    def ok(self) -> bool:
        bad = self.report.total("lost") + self.report.total("reordered")
        if self.exactly_once:
            bad += self.report.total("duplicated") + self.windows.twice + self.windows.over
        return bad == 0


def run_scenario(
    name: str,
    fault: Fault,
    records: int,
    partitions: int = 6,
    rate: float = 20_000,
    window: int = 20_000,
    max_seconds: float = 600,
    exactly_once: bool = True,
) -> Outcome:
    with Scratch() as names:  # deletes the run's topics at the end
        return _run(
            name, fault, records, partitions, rate, window, max_seconds, exactly_once, names
        )


def _run(
    name: str,
    fault: Fault,
    records: int,
    partitions: int,
    rate: float,
    window: int,
    max_seconds: float,
    exactly_once: bool,
    names: Scratch,
) -> Outcome:
    feed, topic = names.name(f"faults-{name}"), names.name(f"faults-{name}-in")
    rows = mixed_records(20_000, seed=3)
    BaselineRepository(redis.Redis.from_url(redis_url())).save(build_baseline(feed, rows, "faults"))
    create_topic(topic, partitions)
    values = [orjson.dumps(r) for r in rows]
    env = {
        "DRIFTMEND_EXACTLY_ONCE": str(exactly_once).lower(),
        "DRIFTMEND_RETRAIN_ENABLED": "false",
    }
    print(f"{name}: {records:,} records on {partitions} partitions at {rate:,.0f}/s")
    started = time.monotonic()
    started_ms = int(time.time() * 1000)
    with tempfile.TemporaryDirectory() as tmp:
        workers = Workers(feed, topic, window, Path(tmp), env)
        workers.add()
        source = Feed(topic, partitions, records, rate)
        source.start(values)
        try:
            last_tick = 0.0
            while time.monotonic() - started < max_seconds:
                elapsed = time.monotonic() - started
                if elapsed - last_tick >= 1.0:
                    last_tick = elapsed
                    workers.scrape()
                    fault(workers, elapsed, not source.done.is_set())
                workers.supervise()
                if source.done.is_set() and _all_out(feed, topic, partitions):
                    break
                time.sleep(0.2)
        finally:
            workers.scrape()
            workers.stop()
    report = compare(source.sent, read_topic(bootstrap(), f"{topic}.healed"))
    windows = _windows(feed, topic, partitions, window, started_ms)
    seconds = time.monotonic() - started
    return Outcome(
        name,
        report,
        seconds,
        workers.restarts,
        workers.kills,
        exactly_once,
        windows,
        workers.skipped,
    )


def _windows(feed: str, topic: str, partitions: int, window: int, since_ms: int) -> WindowReport:
    """The feed's verdicts against the input's records per partition (count windows)."""
    settings = Settings(kafka_bootstrap_servers=bootstrap())
    verdicts = [v for v in read_verdicts(settings, feed, since_ms) if v.topic == topic]
    consumer = Consumer({"bootstrap.servers": bootstrap(), "group.id": unique("ends")})
    try:
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(partitions)
        }
    finally:
        consumer.close()
    per_partition = WindowClock(partitions, window_records=window).per_partition
    assert per_partition is not None
    return compare_windows(((v.window_id, v.records) for v in verdicts), ends, per_partition)


def _all_out(feed: str, topic: str, partitions: int) -> bool:
    """The feed's consumer group has committed every input offset (with exactly-once, the
    output of those records is committed with them)."""
    consumer = Consumer({"bootstrap.servers": bootstrap(), "group.id": f"driftmend-{feed}"})
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        committed = consumer.committed(tps, timeout=10)
        return all(
            tp.offset >= consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in committed
        )
    except KafkaException:
        return False  # e.g. the broker is restarting
    finally:
        consumer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=20_000)
    parser.add_argument("--scenario", default="all")
    parser.add_argument("--kill-every", type=float, default=5.0)
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument("--at-least-once", action="store_true")
    args = parser.parse_args()
    np.seterr(all="ignore")
    span = args.records / args.rate
    scenarios: dict[str, Fault] = {
        "kill": kill_every(args.kill_every),
        "rebalance": join_and_leave(max(span / 6, 5.0), 3),
    }
    if own_services():
        scenarios["broker"] = broker_restart(span / 2)
        scenarios["redis"] = redis_outage(span / 4, 30.0)
    else:
        print("broker and redis scenarios skipped: the services are not this checkout's")
    names = list(scenarios) if args.scenario == "all" else [args.scenario]
    outcomes = [
        run_scenario(
            n,
            scenarios[n],
            args.records,
            rate=args.rate,
            max_seconds=args.max_seconds,
            exactly_once=not args.at_least_once,
        )
        for n in names
    ]
    for o in outcomes:
        mode = "exactly-once" if o.exactly_once else "at-least-once"
        print(
            f"\n== {o.name} ({mode}): {o.seconds:.0f} s, {o.kills} SIGKILLs, "
            f"{o.restarts} unplanned restarts"
        )
        print(o.report.table())
        print(o.windows.line())
        print(f"records read again and not profiled twice (at least): {o.skipped:,}")
    sys.exit(0 if all(o.ok() for o in outcomes) else 1)


if __name__ == "__main__":
    main()
