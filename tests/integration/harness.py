"""Helpers for tests against the real broker and Redis: services, worker processes, topics."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from confluent_kafka import Consumer, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from app.kafka.topics import TopicSpec, ensure_topics
from app.metrics import scrape
from app.worker.options import worker_command

ROOT = Path(__file__).resolve().parents[2]
LEAK_REPORT = ("nanobind: leaked", " - leaked ")


def bootstrap() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def check_services() -> str | None:
    """None when Kafka and Redis answer, else what is missing."""
    try:
        _admin().list_topics(timeout=10)
    except KafkaException as exc:
        return f"Kafka at {bootstrap()} does not answer ({exc}); run `make up`"
    try:
        redis.Redis.from_url(redis_url(), socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at {redis_url()} does not answer ({exc}); run `make up`"
    return None


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Scratch:
    """Names for one run's topics and feeds; on leaving, every topic created since entering
    whose name holds one of them (inputs, outputs, the worker's own topics named after its
    feed) is deleted: a benchmark writes millions of records, and a broker that kept them
    run after run would fill its disk. ``keep`` leaves them for a look afterwards."""

    def __init__(self, keep: bool = False) -> None:
        self.keep = keep
        self.names: list[str] = []
        self.before: set[str] = set()

    def name(self, prefix: str) -> str:
        self.names.append(unique(prefix))
        return self.names[-1]

    def __enter__(self) -> Scratch:
        self.before = set(_admin().list_topics(timeout=10).topics)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.keep:
            return
        admin = _admin()
        ours = [
            t
            for t in set(admin.list_topics(timeout=10).topics) - self.before
            if any(n in t for n in self.names)
        ]
        for name, fut in admin.delete_topics(ours).items() if ours else ():
            try:
                fut.result()
            except KafkaException as e:
                print(f"could not delete topic {name}: {e}")


def _admin() -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap()})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_topic(name: str, partitions: int) -> None:
    ensure_topics(_admin(), [TopicSpec(name, partitions)])


def produce(
    topic: str,
    items: Iterable[tuple[bytes | None, bytes | None, list[tuple[str, bytes]] | None, int | None]],
) -> int:
    producer = Producer(
        {"bootstrap.servers": bootstrap(), "linger.ms": 10, "enable.idempotence": True}
    )
    n = 0
    for key, value, headers, partition in items:
        kwargs: dict[str, Any] = {"key": key, "value": value, "headers": headers}
        if partition is not None:
            kwargs["partition"] = partition
        producer.produce(topic, **kwargs)
        producer.poll(0)
        n += 1
    assert producer.flush(30) == 0
    return n


def read_all(
    topic: str, expected: int | None = None, timeout: float = 60.0, idle: float = 5.0
) -> list[Message]:
    """Every message of ``topic`` (from the start), waiting for ``expected`` if given."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap(),
            "group.id": unique("reader"),
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    meta = consumer.list_topics(topic, timeout=10).topics[topic]
    consumer.assign([TopicPartition(topic, p, 0) for p in meta.partitions])
    out: list[Message] = []
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    try:
        while time.monotonic() < deadline:
            batch = consumer.consume(1000, timeout=0.5)
            batch = [m for m in batch if m.error() is None]
            if batch:
                out.extend(batch)
                last = time.monotonic()
            if expected is not None and len(out) >= expected:
                break
            if expected is None and time.monotonic() - last > idle:
                break
    finally:
        consumer.close()
    return out


@dataclass
class WorkerProcess:
    feed: str
    input_topic: str
    args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    cpus: frozenset[int] | None = None  # CPU affinity of the worker and its children
    log_path: Path | None = None
    _log_file: Any = None

    def start(self, tmp: Path) -> WorkerProcess:
        return self.spawn(tmp).wait_started()

    def spawn(self, tmp: Path) -> WorkerProcess:
        """Start the process without waiting for it (see :meth:`wait_started`)."""
        self.log_path = tmp / f"worker-{self.feed}-{self.port}.log"
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap(),
            "REDIS_URL": redis_url(),
            "DRIFTMEND_WINDOW_GRACE_SECONDS": "3",
            "DRIFTMEND_STATE_DIR": str(tmp / "state"),
            "DRIFTMEND_INSTANCE_ID": f"test-{self.port}",  # its transactional id
            # a first verdict comes late on a busy machine
            "DRIFTMEND_HOLD_SECONDS": os.environ.get("DRIFTMEND_HOLD_SECONDS", "30"),
            **self.env,
        }
        cmd = worker_command(
            self.feed,
            self.input_topic,
            "--metrics-port",
            str(self.port),
            "--web-port",
            str(self.web_port),
            *self.args,
        )
        self._log_file = self.log_path.open("wb")
        if self.cpus is not None:  # util-linux; children inherit the affinity
            cmd = ["taskset", "--cpu-list", ",".join(map(str, sorted(self.cpus))), *cmd]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT
        )
        return self

    def wait_started(self) -> WorkerProcess:
        """Wait until its metrics endpoint answers."""
        assert self.proc is not None
        deadline = time.monotonic() + 60
        while not self.metrics():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker did not start:\n{self.log()}")
            time.sleep(0.3)
        return self

    def log(self) -> str:
        """The end of the worker's output, without nanobind's list of what a process that
        died left behind (thousands of lines that hide why it died)."""
        if self.log_path is None:
            return ""
        lines = self.log_path.read_text(errors="replace").splitlines()
        kept = [line for line in lines if not line.startswith(LEAK_REPORT)]
        return "\n".join(kept)[-5000:]

    def metrics(self) -> dict[str, float]:
        return scrape(self.port)

    def wait_for(self, name: str, value: float, timeout: float = 90.0) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"worker died:\n{self.log()}")
            m = self.metrics()
            if m.get(name, 0.0) >= value:
                return m
            time.sleep(0.5)
        raise AssertionError(f"{name} did not reach {value}: {self.metrics()}\n{self.log()}")

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.terminate()
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)
        finally:
            self._log_file.close()
