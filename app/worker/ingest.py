"""The hot path: a confluent-kafka batch consumer that forwards every record unchanged.

Per batch: every record goes to the output topic (same partition when the output has as
many partitions; same key, value, headers and timestamp); the batch's values then go to the
profiler process (decode, windows, dead letters). Offsets are committed once the output
*and* the profiler's work on that batch are acknowledged (at-least-once); the profiler runs
one batch behind, on the other core.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from confluent_kafka import Consumer, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from app.errors import DriftmendError, KafkaError
from app.kafka.produce import produce_blocking
from app.kafka.topics import TopicSpec, ensure_topics, partition_count
from app.metrics import Metrics
from app.settings import Settings
from app.worker.baseline_ref import BaselineRef
from app.worker.options import WorkerOptions
from app.worker.profiler import ProfilerClient, RawBatch, Stats
from app.worker.windows import WindowClock

log = logging.getLogger(__name__)


class Ingest:
    def __init__(
        self,
        settings: Settings,
        options: WorkerOptions,
        baseline: BaselineRef,
        metrics: Metrics,
        partitions: int,
    ) -> None:
        self.settings = settings
        self.options = options
        self.baseline = baseline
        self.metrics = metrics
        self.partitions = partitions
        self.clock = WindowClock(partitions, options.window_records, options.window_seconds)
        self._delivery_errors: list[str] = []
        self._same_partitions = False
        self._last_record = time.monotonic()
        self._idle_flushed = True
        self._last_lag = 0.0
        feed = options.feed
        self._m_in = metrics.records_in.labels(feed, options.input_topic)
        self._m_out = metrics.records_out.labels(feed, options.output_topic)
        self._m_dlq = metrics.dlq_records.labels(feed, "decode")
        self._m_latency = metrics.latency.labels(feed)

    # -- set-up ---------------------------------------------------------------------------
    def _clients(self) -> tuple[Consumer, Producer]:
        base = self.settings.kafka_config()
        consumer = Consumer(
            {
                **base,
                "group.id": self.options.group_id,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "enable.partition.eof": False,
                "fetch.max.bytes": 52428800,
                "queued.max.messages.kbytes": 262144,
            }
        )
        producer = Producer(
            {
                **base,
                "enable.idempotence": True,
                "linger.ms": 5,
                "batch.size": 1000000,
                "queue.buffering.max.messages": 500000,
                "compression.type": "lz4",
                "on_delivery": self._on_delivery,
            }
        )
        return consumer, producer

    def _on_delivery(self, err: Any, msg: Message) -> None:
        if err is not None:
            self._delivery_errors.append(f"{msg.topic()}: {err}")

    def prepare_output(self) -> None:
        admin = AdminClient(self.settings.kafka_config())
        ensure_topics(admin, [TopicSpec(self.options.output_topic, self.partitions)])
        self._same_partitions = partition_count(admin, self.options.output_topic) == self.partitions

    # -- main loop --------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        self.prepare_output()
        consumer, producer = self._clients()
        profiler = ProfilerClient(
            self.settings, self.options, self.baseline.baseline, self.partitions
        )
        consumer.subscribe(
            [self.options.input_topic],
            on_assign=self._on_assign,
            on_revoke=lambda c, parts: self._on_revoke(c, profiler, parts),
        )
        log.info(
            "ingest: %s -> %s, windows of %s",
            self.options.input_topic,
            self.options.output_topic,
            f"{self.options.window_records} records"
            if self.options.window_records
            else f"{self.options.window_seconds} s",
        )
        try:
            while not stop.is_set():
                msgs = consumer.consume(self.settings.batch_size, timeout=0.5)
                if msgs:
                    self._process(consumer, producer, profiler, msgs)
                elif (
                    not self._idle_flushed
                    and time.monotonic() - self._last_record > self.settings.window_grace_seconds
                ):
                    self._settle(consumer, profiler)
                    self._account(profiler.command("idle"))
                    self._idle_flushed = True
                self._report_lag(consumer)
            self._settle(consumer, profiler)
        finally:
            try:
                consumer.close()  # revokes: settles and commits through the profiler
            finally:
                profiler.close()
                producer.flush(30)

    def _process(
        self, consumer: Consumer, producer: Producer, profiler: ProfilerClient, msgs: list[Message]
    ) -> None:
        started = time.perf_counter()
        self._last_record = time.monotonic()
        self._idle_flushed = False
        raw = self._forward(producer, msgs)
        producer.flush(60)
        if self._delivery_errors:
            errors, self._delivery_errors = self._delivery_errors[:3], []
            raise KafkaError(f"output not acknowledged, not committing: {errors}")
        self._m_in.inc(len(msgs))
        profiler.set_baseline(self.baseline.baseline)
        for offsets, stats in profiler.submit(raw, (_next_offsets(msgs), started)):
            self._commit(consumer, offsets)
            self._account(stats)

    def _forward(self, producer: Producer, msgs: list[Message]) -> RawBatch:
        topic = self.options.output_topic
        produce = producer.produce
        same = self._same_partitions
        raw = RawBatch(self.options.input_topic)
        for m in msgs:
            if m.error() is not None:
                log.warning("consumer error: %s", m.error())
                continue
            value, key, headers = m.value(), m.key(), m.headers()
            partition, ts = m.partition() or 0, m.timestamp()[1]
            args = (topic, value, key, partition if same else -1, None, None, max(ts, 0), headers)
            try:
                produce(*args)
            except BufferError:
                produce_blocking(producer, args)
            if value is not None:  # tombstones are forwarded, not profiled
                raw.values.append(value)
                raw.keys.append(key)
                raw.headers.append(headers)
                raw.partitions.append(partition)
                raw.offsets.append(m.offset() or 0)
                raw.timestamps.append(ts)
        self._m_out.inc(len(msgs))
        return raw

    def _account(self, stats: Stats) -> None:
        self._m_dlq.inc(stats.dead_lettered)

    def _commit(
        self,
        consumer: Consumer,
        token: tuple[list[TopicPartition], float],
        asynchronous: bool = True,
    ) -> None:
        offsets, started = token
        try:
            if asynchronous:
                consumer.commit(offsets=offsets, asynchronous=True)
            else:
                consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            log.warning("offset commit failed (records will be re-read): %s", exc)
        self._m_latency.observe(time.perf_counter() - started)

    def _settle(
        self, consumer: Consumer, profiler: ProfilerClient, asynchronous: bool = True
    ) -> None:
        for token, stats in profiler.drain():
            self._commit(consumer, token, asynchronous)
            self._account(stats)

    def _on_assign(self, consumer: Consumer, parts: list[TopicPartition]) -> None:
        self.metrics.assigned_partitions.labels(self.options.feed).set(len(parts))

    def _on_revoke(
        self, consumer: Consumer, profiler: ProfilerClient, parts: list[TopicPartition]
    ) -> None:
        # commit synchronously: the next owner starts exactly where this worker stopped
        try:
            self._settle(consumer, profiler, asynchronous=False)
            self._account(profiler.command("revoke", [tp.partition for tp in parts]))
        except (DriftmendError, OSError) as exc:  # the profiler is gone: records re-read
            log.warning("could not settle revoked partitions: %s", exc)
        self.metrics.assigned_partitions.labels(self.options.feed).set(0)

    def _report_lag(self, consumer: Consumer) -> None:
        now = time.monotonic()
        if now - self._last_lag < 5.0:
            return
        self._last_lag = now
        try:
            for tp in consumer.position(consumer.assignment()):
                _lo, hi = consumer.get_watermark_offsets(tp, cached=True)
                if tp.offset >= 0 and hi >= 0:
                    self.metrics.lag.labels(self.options.feed, str(tp.partition)).set(
                        hi - tp.offset
                    )
        except KafkaException as exc:
            log.debug("lag not available: %s", exc)


def _next_offsets(msgs: list[Message]) -> list[TopicPartition]:
    """The offsets to commit after a batch: one past the last record of each partition."""
    last: dict[tuple[str, int], int] = {}
    for m in msgs:
        if m.error() is None:
            last[(m.topic() or "", m.partition() or 0)] = m.offset() or 0
    return [TopicPartition(t, p, o + 1) for (t, p), o in last.items()]
