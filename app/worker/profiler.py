"""The profiler: decodes, windows and dead-letters batches in a process of its own.

The ingest loop (main process) forwards records and hands each batch's raw values here, so
decoding and sketching use the second core instead of queueing behind the GIL. The
profiler acknowledges a batch only after its dead-letter records and closed window
profiles are acknowledged by Kafka; the ingest loop commits offsets after that. Then it
stores how far each partition is published (``app.worker.published``), and skips what a
predecessor that died had published already.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import signal
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
from confluent_kafka import Producer
from threadpoolctl import threadpool_limits

from app.baseline.model import Baseline
from app.codecs.base import Codec
from app.codecs.columns import Columns, pick
from app.detectors.adwin import AdwinMonitor
from app.errors import DecodeError, DriftmendError, KafkaError
from app.kafka.produce import produce_args, produce_blocking
from app.kafka.topics import LARGE_MESSAGE_BYTES, partition_count
from app.profile.builder import ProfileBuilder
from app.profile.window import WindowProfile
from app.repository.adwin import AdwinCheckpoints
from app.repository.baselines import connect_redis
from app.repository.profiled import ProfiledOffsets
from app.settings import Settings
from app.worker.batch import Batch, take
from app.worker.open_windows import Checkpoints, OpenWindows
from app.worker.options import WorkerOptions
from app.worker.published import PublishedOffsets, Store
from app.worker.routing import EARLIER, earlier_value, window_partition
from app.worker.windows import WindowClock

log = logging.getLogger(__name__)
STATE_HEADER = "driftmend-window-state"
EARLIER_HEADER = "driftmend-earlier-windows"  # the windows this profiler sent before
REBALANCE = "rebalance"  # a state without a window: partitions of the input change hands
MAX_ERROR_CHARS = 500


@dataclass
class RawBatch:
    """What the ingest loop hands over: the live (non-tombstone) records of one poll."""

    topic: str
    values: list[bytes] = field(default_factory=list)
    keys: list[bytes | None] = field(default_factory=list)
    headers: list[Any] = field(default_factory=list)
    partitions: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)
    # the poll came back full: more records wait, so a window's records wait to be profiled
    # together (throughput); otherwise they are profiled at once (the verdict comes sooner)
    backlog: bool = field(default=False, kw_only=True)

    def select(self, index: np.ndarray) -> RawBatch:
        """The records at ``index``, in its order."""
        return RawBatch(
            self.topic,
            pick(self.values, index),
            pick(self.keys, index),
            pick(self.headers, index),
            pick(self.partitions, index),
            pick(self.offsets, index),
            pick(self.timestamps, index),
            backlog=self.backlog,
        )


@dataclass
class Stats:
    dead_lettered: int = 0
    windows_published: int = 0
    republished_skipped: int = 0  # read again, their window profiles published before


class Profiler:
    """Decode -> window -> sketch; publishes closed windows and dead letters (pure logic
    around an injected producer, testable in-process)."""

    def __init__(
        self,
        settings: Settings,
        options: WorkerOptions,
        baseline: Baseline,
        producer: Producer,
        partitions: int,
        checkpoints: Checkpoints | None = None,
        published: Store | None = None,
        profile_partitions: int = 1,
    ) -> None:
        """``profile_partitions``: of the window-profiles topic (``app.worker.routing``)."""
        self.settings = settings
        self.profile_partitions = profile_partitions
        self.options = options
        self.producer = producer
        self.baseline = baseline
        self.clock = WindowClock(partitions, options.window_records, options.window_seconds)
        self.windows = OpenWindows(
            options.feed,
            lambda: ProfileBuilder(self.baseline.schema, self.baseline.edges),
            lambda: AdwinMonitor(settings.adwin_delta, settings.adwin_chunk),
            self._streamed,
            checkpoints,
            last_offset=self.clock.last_offset,
        )
        self.published = PublishedOffsets(published)
        self._sent: deque[int] = deque(maxlen=EARLIER)  # the last windows published

    def _streamed(self, name: str) -> bool:
        spec = self.baseline.schema.get(name)
        return spec is not None and spec.kind == "continuous"

    def process(self, raw: RawBatch) -> Stats:
        stats = Stats()
        offsets = np.asarray(raw.offsets, dtype=np.int64)
        parts = np.asarray(raw.partitions, dtype=np.int64)
        keep = self.published.keep(parts, offsets)
        if keep is not None:
            stats.republished_skipped = len(keep) - int(keep.sum())
            index = np.flatnonzero(keep)
            raw, parts, offsets = raw.select(index), parts[index], offsets[index]
        decoded = decode_bounded(self.options.codec, raw.values, self.settings.max_record_bytes)
        n = len(decoded)
        if not n:
            return stats
        stamps = np.asarray(raw.timestamps, dtype=np.int64)
        failed = np.zeros(n, dtype=bool)
        if not isinstance(decoded, Columns) and DecodeError in set(map(type, decoded)):
            failed = np.fromiter(map(DecodeError.__instancecheck__, decoded), bool, n)
            for i in np.flatnonzero(failed).tolist():
                self._dead_letter(raw, i, decoded[i])  # type: ignore[arg-type]
            stats.dead_lettered = int(failed.sum())
        windows = self.clock.windows_of(offsets, stamps)
        for window in np.unique(windows).tolist():  # in window order
            rows = np.flatnonzero(windows == window)
            first, last = _bounds(parts[rows], offsets[rows])
            batch = Batch(window, partitions=set(first), first_offsets=first, last_offsets=last)
            batch.lo_ms, batch.hi_ms = int(stamps[rows].min()), int(stamps[rows].max())
            good = rows[~failed[rows]]
            batch.errors = len(rows) - len(good)
            # no DecodeError at ``good``
            kept: Any = decoded if len(good) == n else take(decoded, good)
            batch.records = kept
            batch.record_partitions = parts[good].tolist()
            batch.record_offsets = offsets[good].tolist()
            self.windows.add(batch)
        if not raw.backlog:
            self.windows.profile_waiting()
        stats.windows_published = self.publish(self.windows.closable(), "closed")
        return stats

    def publish(self, windows: list[WindowProfile], state: str) -> int:
        self.published.published(self.windows.popped())
        for profile in windows:
            wid = profile.window_id
            earlier = earlier_value((w for w in self._sent if w < wid), self.profile_partitions)
            produce_blocking(
                self.producer,
                produce_args(
                    self.settings.window_profiles_topic,
                    profile.serialize(),
                    f"{self.options.feed}:{wid}".encode(),
                    window_partition(wid, self.profile_partitions),
                    headers=[(STATE_HEADER, state.encode()), (EARLIER_HEADER, earlier)],
                ),
            )
            if wid not in self._sent:
                self._sent.append(wid)
        return len(windows)

    def publish_revoked(self, drained: list[tuple[WindowProfile, frozenset[int]]]) -> int:
        """The open windows at a revoke: each as it is ("revoked": the next owner of a
        partition may send more of it), then an empty partial that closes it for the
        partitions done with it, so it need not wait for its grace period; how many partials
        went out."""
        closing = [
            WindowProfile(p.feed, p.window_id, p.start_ms, p.end_ms, partitions=done)
            for p, done in drained
            if done
        ]
        sent = self.publish([profile for profile, _ in drained], "revoked") + self.publish(
            closing, "closed"
        )
        self._announce_rebalance()
        return sent

    def _announce_rebalance(self) -> None:
        """Tell every aggregator of the feed that partitions change hands (an empty record
        on each partition of the window-profiles topic): each restarts the grace period of
        its pending windows, also of those no revoked partial went to."""
        for partition in range(self.profile_partitions):
            produce_blocking(
                self.producer,
                produce_args(
                    self.settings.window_profiles_topic,
                    b"",
                    f"{self.options.feed}:rebalance".encode(),
                    partition,
                    headers=[(STATE_HEADER, REBALANCE.encode())],
                ),
            )

    def _dead_letter(self, raw: RawBatch, i: int, exc: Exception) -> None:
        headers = list(raw.headers[i] or [])
        headers += [
            ("driftmend-error", str(exc)[:MAX_ERROR_CHARS].encode()),
            ("driftmend-error-type", type(exc).__name__.encode()),
            ("driftmend-source-topic", raw.topic.encode()),
            ("driftmend-source-partition", str(raw.partitions[i]).encode()),
            ("driftmend-source-offset", str(raw.offsets[i]).encode()),
            ("driftmend-source-timestamp", str(raw.timestamps[i]).encode()),
        ]
        produce_blocking(
            self.producer,
            produce_args(self.settings.dlq_topic, raw.values[i], raw.keys[i], headers=headers),
        )


def _bounds(parts: np.ndarray, offsets: np.ndarray) -> tuple[dict[int, int], dict[int, int]]:
    """Each partition's first and last offset among ``offsets``."""
    size = int(parts.max()) + 1
    first = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(size, -1, dtype=np.int64)
    np.minimum.at(first, parts, offsets)
    np.maximum.at(last, parts, offsets)
    present = np.flatnonzero(last >= 0).tolist()
    return {p: int(first[p]) for p in present}, {p: int(last[p]) for p in present}


# -- the child process ---------------------------------------------------------------------
def _serve(
    conn: Connection, settings: Settings, options: WorkerOptions, baseline: bytes, partitions: int
) -> None:
    threadpool_limits(1)  # see app.cli.worker
    gc.collect()  # decoding allocates ~20 objects a record: collect the young seldom
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    errors: list[str] = []

    def on_delivery(err: Any, msg: Any) -> None:
        if err is not None:
            errors.append(f"{msg.topic()}: {err}")

    producer = Producer(
        {
            **settings.kafka_config(),
            "enable.idempotence": True,
            "linger.ms": 5,
            "compression.type": "lz4",
            "message.max.bytes": LARGE_MESSAGE_BYTES,  # partial profiles of wide records
            "on_delivery": on_delivery,
            "delivery.report.only.error": True,
        }
    )
    try:
        client = connect_redis(settings)
        checkpoints: AdwinCheckpoints | None = AdwinCheckpoints(
            client, options.feed, options.input_topic
        )
        published: ProfiledOffsets | None = ProfiledOffsets(
            client, options.feed, options.input_topic
        )
    except DriftmendError as exc:  # Redis away: ADWIN starts afresh, monitoring goes on
        log.warning("ADWIN states and published offsets not restored or kept: %s", exc)
        checkpoints = published = None
    profiler = Profiler(
        settings,
        options,
        Baseline.deserialize(baseline),
        producer,
        partitions,
        checkpoints,
        published,
        partition_count(producer, settings.window_profiles_topic) or 1,  # made by the worker
    )
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        try:
            if kind == "baseline":
                profiler.baseline = Baseline.deserialize(payload)
                continue
            stats = Stats()
            if kind == "batch":
                stats = profiler.process(payload)
            elif kind == "idle":
                drained = profiler.windows.drain()
                stats.windows_published = profiler.publish([w for w, _ in drained], "idle")
            elif kind == "revoke":
                stats.windows_published = profiler.publish_revoked(profiler.windows.drain(payload))
            producer.flush(60)
            if errors:
                raise KafkaError(f"profiler output not acknowledged: {errors[:3]}")
            profiler.published.flush()
            if kind == "revoke":
                profiler.published.forget(payload)
            conn.send(("ack", stats))
        except Exception as exc:
            log.exception("profiler failed")
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            return
        if kind == "stop":
            return


class ProfilerClient:
    """The ingest loop's handle on the profiler process; at most ``depth`` batches in flight."""

    def __init__(
        self,
        settings: Settings,
        options: WorkerOptions,
        baseline: Baseline,
        partitions: int,
        depth: int = 1,
    ) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(
            target=_serve,
            name="driftmend-profiler",
            daemon=True,
            args=(child, settings, options, baseline.serialize(), partitions),
        )
        self._proc.start()
        child.close()
        self.depth = depth
        self.version = baseline.version
        self._pending: deque[Any] = deque()

    def set_baseline(self, baseline: Baseline) -> None:
        if baseline.version != self.version:
            self._conn.send(("baseline", baseline.serialize()))
            self.version = baseline.version

    def submit(self, raw: RawBatch, token: Any) -> list[tuple[Any, Stats]]:
        """Hand over a batch; returns (token, stats) of the batches now acknowledged."""
        self._conn.send(("batch", raw))
        self._pending.append(token)
        done = []
        while len(self._pending) > self.depth:
            done.append((self._pending.popleft(), self._ack()))
        return done

    def drain(self) -> list[tuple[Any, Stats]]:
        done = []
        while self._pending:
            done.append((self._pending.popleft(), self._ack()))
        return done

    def command(self, kind: str, payload: Any = None) -> Stats:
        """Run idle/revoke/stop after every pending batch (call ``drain`` first)."""
        self._conn.send((kind, payload))
        return self._ack()

    def _ack(self) -> Stats:
        try:
            kind, payload = self._conn.recv()
        except EOFError as exc:
            raise DriftmendError("the profiler process died") from exc
        if kind == "error":
            raise DriftmendError(f"profiler failed: {payload}")
        stats: Stats = payload
        return stats

    def close(self) -> None:
        if self._proc.is_alive():
            with contextlib.suppress(DriftmendError, OSError, BrokenPipeError):
                self.command("stop")
            self._proc.join(30)
        if self._proc.is_alive():
            self._proc.kill()


def decode_bounded(
    codec: Codec, values: Sequence[bytes], limit: int
) -> list[dict[str, Any] | DecodeError] | Columns:
    """The batch as columns where the codec can and every record is good, else
    ``codec.decode_many``; a value over ``limit`` bytes is not decoded: it yields a
    DecodeError (and goes to the dead-letter topic like any undecodable record)."""
    if max(map(len, values), default=0) <= limit:
        columns = codec.decode_columns(values)
        return codec.decode_many(values) if columns is None else columns
    small = [i for i, v in enumerate(values) if len(v) <= limit]
    out: list[dict[str, Any] | DecodeError] = [
        DecodeError(
            f"record of {len(v):,} bytes is over the {limit:,}-byte limit "
            "(DRIFTMEND_MAX_RECORD_BYTES)"
        )
        for v in values
    ]
    for i, record in zip(small, codec.decode_many([values[i] for i in small]), strict=True):
        out[i] = record
    return out
