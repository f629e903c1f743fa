"""The hot path: a confluent-kafka batch consumer that forwards, profiles and dead-letters.

Per batch: every record goes to the output topic unchanged (same partition when the output
has as many partitions, same key, value, headers and timestamp); decodable records update
their partition's window profile; undecodable ones go to the dead-letter topic with headers
saying why. When a partition's window ends, its partial profile is published to the
window-profiles topic for the aggregator agent. Offsets are committed only after the batch's
output is acknowledged (at-least-once).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from confluent_kafka import Consumer, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from app.detectors.adwin import AdwinMonitor
from app.errors import DecodeError, KafkaError
from app.kafka.topics import TopicSpec, ensure_topics, partition_count
from app.metrics import Metrics
from app.profile.builder import ProfileBuilder
from app.profile.window import WindowProfile
from app.settings import Settings
from app.worker.baseline_ref import BaselineRef
from app.worker.open_windows import Batch, OpenWindows
from app.worker.options import WorkerOptions
from app.worker.windows import WindowClock

log = logging.getLogger(__name__)
STATE_HEADER = "driftmend-window-state"
MAX_ERROR_CHARS = 500


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
        self._windows = OpenWindows(
            options.feed,
            lambda: ProfileBuilder(baseline.baseline.schema, baseline.baseline.edges),
            AdwinMonitor(settings.adwin_delta, settings.adwin_chunk),
        )
        self._delivery_errors: list[str] = []
        self._same_partitions = False
        self._last_record = time.monotonic()
        self._last_lag = 0.0
        self._feed = options.feed
        self._m_in = metrics.records_in.labels(self._feed, options.input_topic)
        self._m_out = metrics.records_out.labels(self._feed, options.output_topic)

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
        consumer.subscribe(
            [self.options.input_topic], on_revoke=lambda c, parts: self._on_revoke(producer, parts)
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
                    self._process(consumer, producer, msgs)
                elif time.monotonic() - self._last_record > self.settings.window_grace_seconds:
                    self._flush_idle(producer)
                self._report_lag(consumer)
        finally:
            producer.flush(30)
            consumer.close()

    def _process(self, consumer: Consumer, producer: Producer, msgs: list[Message]) -> None:
        started = time.perf_counter()
        self._last_record = time.monotonic()
        for batch in self._forward_and_decode(producer, msgs):
            self._windows.add(batch)
        self._publish(producer, self._windows.closable(), "closed")
        producer.flush(60)
        if self._delivery_errors:
            errors, self._delivery_errors = self._delivery_errors[:3], []
            raise KafkaError(f"output not acknowledged, not committing: {errors}")
        try:
            consumer.commit(asynchronous=False)
        except KafkaException as exc:
            log.warning("offset commit failed (records will be re-read): %s", exc)
        self._m_in.inc(len(msgs))
        self.metrics.latency.labels(self._feed).observe(time.perf_counter() - started)

    def _forward_and_decode(self, producer: Producer, msgs: list[Message]) -> list[Batch]:
        out_topic = self.options.output_topic
        same = self._same_partitions
        decode = self.options.codec.decode
        window_of = self.clock.window_of
        batches: dict[int, Batch] = {}
        forwarded = 0
        for msg in msgs:
            if msg.error() is not None:
                log.warning("consumer error: %s", msg.error())
                continue
            partition = msg.partition() or 0
            offset = msg.offset() or 0
            value = msg.value()
            ts = msg.timestamp()[1]
            self._produce(
                producer,
                out_topic,
                value,
                msg.key(),
                msg.headers(),
                partition if same else None,
                ts,
            )
            forwarded += 1
            if value is None:  # tombstone: forwarded, not profiled
                continue
            window = window_of(offset, ts)
            seg = batches.get(window)
            if seg is None:
                seg = batches[window] = Batch(window)
            seg.partitions.add(partition)
            seg.lo_ms = min(seg.lo_ms, ts)
            seg.hi_ms = max(seg.hi_ms, ts)
            try:
                seg.records.append(decode(value))
            except DecodeError as exc:
                seg.errors += 1
                self._dead_letter(producer, msg, exc)
        self._m_out.inc(forwarded)
        return [batches[w] for w in sorted(batches)]

    def _produce(
        self,
        producer: Producer,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        headers: Any,
        partition: int | None,
        ts: int | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"value": value, "key": key, "headers": headers}
        if partition is not None:
            kwargs["partition"] = partition
        if ts is not None and ts > 0:
            kwargs["timestamp"] = ts
        while True:
            try:
                producer.produce(topic, **kwargs)
                return
            except BufferError:
                producer.poll(0.05)

    def _dead_letter(self, producer: Producer, msg: Message, exc: Exception) -> None:
        headers = list(msg.headers() or [])
        headers += [
            ("driftmend-error", str(exc)[:MAX_ERROR_CHARS].encode()),
            ("driftmend-error-type", type(exc).__name__.encode()),
            ("driftmend-source-topic", str(msg.topic()).encode()),
            ("driftmend-source-partition", str(msg.partition()).encode()),
            ("driftmend-source-offset", str(msg.offset()).encode()),
            ("driftmend-source-timestamp", str(msg.timestamp()[1]).encode()),
        ]
        self._produce(producer, self.settings.dlq_topic, msg.value(), msg.key(), headers, None)
        self.metrics.dlq_records.labels(self._feed, "decode").inc()

    # -- windows ----------------------------------------------------------------------------
    # -- windows ----------------------------------------------------------------------------
    def _publish(self, producer: Producer, windows: list[WindowProfile], state: str) -> None:
        for profile in windows:
            self._produce(
                producer,
                self.settings.window_profiles_topic,
                profile.serialize(),
                f"{self._feed}:{profile.window_id}".encode(),
                [(STATE_HEADER, state.encode())],
                None,
            )

    def _flush_idle(self, producer: Producer) -> None:
        if len(self._windows):
            self._publish(producer, self._windows.drain(), "idle")
            producer.flush(30)

    def _on_revoke(self, producer: Producer, parts: list[TopicPartition]) -> None:
        self._publish(producer, self._windows.drain([tp.partition for tp in parts]), "revoked")
        producer.flush(30)

    def _report_lag(self, consumer: Consumer) -> None:
        now = time.monotonic()
        if now - self._last_lag < 5.0:
            return
        self._last_lag = now
        try:
            assigned = consumer.assignment()
            for tp in consumer.position(assigned):
                _lo, hi = consumer.get_watermark_offsets(tp, cached=True)
                if tp.offset >= 0 and hi >= 0:
                    self.metrics.lag.labels(self._feed, str(tp.partition)).set(hi - tp.offset)
        except KafkaException as exc:
            log.debug("lag not available: %s", exc)
