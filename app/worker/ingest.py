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
        try:  # after the output is acknowledged: at-least-once
            consumer.commit(asynchronous=True)
        except KafkaException as exc:
            log.warning("offset commit failed (records will be re-read): %s", exc)
        self._m_in.inc(len(msgs))
        self.metrics.latency.labels(self._feed).observe(time.perf_counter() - started)

    def _forward_and_decode(self, producer: Producer, msgs: list[Message]) -> list[Batch]:
        """Forward every record, then decode the batch and group it by window."""
        good = [m for m in msgs if m.error() is None]
        for m in msgs:
            if m.error() is not None:
                log.warning("consumer error: %s", m.error())
        self._forward(producer, good)
        live = [m for m in good if m.value() is not None]  # tombstones: forwarded only
        decoded = self.options.codec.decode_many([m.value() for m in live])  # type: ignore[misc]
        window_of = self.clock.window_of
        batches: dict[int, Batch] = {}
        for msg, record in zip(live, decoded, strict=True):
            ts = msg.timestamp()[1]
            window = window_of(msg.offset() or 0, ts)
            batch = batches.get(window)
            if batch is None:
                batch = batches[window] = Batch(window)
            batch.partitions.add(msg.partition() or 0)
            batch.lo_ms = min(batch.lo_ms, ts)
            batch.hi_ms = max(batch.hi_ms, ts)
            if isinstance(record, DecodeError):
                batch.errors += 1
                self._dead_letter(producer, msg, record)
            else:
                batch.records.append(record)
        return [batches[w] for w in sorted(batches)]

    def _forward(self, producer: Producer, msgs: list[Message]) -> None:
        topic = self.options.output_topic
        produce = producer.produce
        same = self._same_partitions
        for m in msgs:
            # produce()'s positional order: topic, value, key, partition, callback,
            # on_delivery, timestamp, headers (no keyword dict per record)
            args = (
                topic,
                m.value(),
                m.key(),
                m.partition() if same else -1,
                None,
                None,
                max(m.timestamp()[1], 0),
                m.headers(),
            )
            try:
                produce(*args)  # type: ignore[arg-type]
            except BufferError:
                self._produce_blocking(producer, args)
        self._m_out.inc(len(msgs))

    @staticmethod
    def _produce_blocking(producer: Producer, args: tuple[Any, ...]) -> None:
        while True:
            producer.poll(0.05)
            try:
                producer.produce(*args)
                return
            except BufferError:
                continue

    def _produce(
        self,
        producer: Producer,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        headers: Any,
    ) -> None:
        self._produce_blocking(producer, (topic, value, key, -1, None, None, 0, headers))

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
        self._produce(producer, self.settings.dlq_topic, msg.value(), msg.key(), headers)
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
