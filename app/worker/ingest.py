"""The hot path: a confluent-kafka batch consumer that forwards every record unchanged.

Per batch: every record goes to the output gate (same partition when the output has as many
partitions; same key, value, headers and timestamp), which sends it out at once or holds it
until its window's verdict and interleaves synthetic records (``app.worker.gate``); the
batch's values go to the profiler process (decode, windows, dead letters). The profiler
runs one batch behind, on the other core; synthetic records are sampled in a process of
their own.

Delivery, by ``exactly_once``:
- exactly-once (default): the output is produced in Kafka transactions that also commit the
  input offsets of what they released (``app.worker.transactions``); before each commit the
  profiler catches up, so a committed offset is always profiled too.
- at-least-once: offsets are committed once the output *and* the profiler's work are
  acknowledged: per partition, ``min(released and acknowledged, profiled)``.
With the output held per window, nothing of an undecided window is committed, so a
restarted worker reads its open windows again from their start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import (
    OFFSET_END,
    Consumer,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient

from app.errors import DecodeError, DriftmendError, KafkaError, PartitionsLostError
from app.inject.synth_process import SynthClient
from app.inject.verdict import Verdict
from app.kafka.topics import TopicSpec, ensure_topics, mirrored_config, partition_count
from app.metrics import Metrics
from app.settings import Settings
from app.worker.backpressure import Backpressure
from app.worker.baseline_ref import BaselineRef
from app.worker.gate import OutputGate
from app.worker.options import WorkerOptions
from app.worker.polled import Polled
from app.worker.profiler import Stats
from app.worker.profilers import ProfilerPool, Token
from app.worker.transactions import Transactions
from app.worker.windows import WindowClock

log = logging.getLogger(__name__)
MAX_UNACKED_SECONDS = 5.0
# a poll returns at a full batch or after this: short, so that at a slow rate windows close,
# verdicts are read and records go out within ~this of arriving
POLL_SECONDS = 0.05
# while a transaction commits: records read meanwhile go out soon after it has finished
COMMITTING_POLL_SECONDS = 0.005
HEARTBEAT_MS = 1000  # of the input consumer group (librdkafka: 3000)


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
        self._gate_released: dict[int, int] = {}  # released and acknowledged
        self._last_ack = time.monotonic()
        self._consuming = False
        self._synth: SynthClient | None = None
        self.on_new_baseline: Callable[[], None] = lambda: None
        self._same_partitions = False
        self._last_record = time.monotonic()
        self._idle_flushed = True
        self._last_lag = 0.0
        feed = options.feed
        self._m_in = metrics.records_in.labels(feed, options.input_topic)
        self._profiled: dict[int, int] = {}  # partition -> next offset the profiler acked
        self._committed: dict[int, int] = {}
        self._m_dlq = metrics.dlq_records.labels(feed, "decode")
        self._m_republished = metrics.republished_skipped.labels(feed)
        self._m_partials = metrics.partials.labels(feed)
        self._m_latency = metrics.latency.labels(feed)
        self._txn: Transactions | None = None
        self._lost = False
        self._backpressure = Backpressure(
            options.input_topic, settings.hold_max_records, metrics.paused_partitions.labels(feed)
        )

    def _reset(self) -> None:
        """A fresh start (first run, or again after the group dropped this worker)."""
        self._delivery_errors.clear()
        self._gate_released.clear()
        self._profiled.clear()
        self._committed.clear()
        self._txn = None
        self._lost = False
        self._consuming = False
        self._backpressure.forget()

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
                "session.timeout.ms": int(self.settings.kafka_session_timeout_seconds * 1000),
                # a member learns of a rebalance at its next heartbeat: a worker that joins
                # waits up to this long for the others to hand over partitions (3 s by default)
                "heartbeat.interval.ms": HEARTBEAT_MS,
                "fetch.max.bytes": 52428800,
                "queued.max.messages.kbytes": 262144,
            }
        )
        config: dict[str, Any] = {
            **base,
            "enable.idempotence": True,
            "linger.ms": 5,
            "batch.size": 1000000,
            "queue.buffering.max.messages": 500000,
            "compression.type": self.settings.output_compression,
            "on_delivery": self._on_delivery,
            # failures only: a report (a Message and a Python call) per record costs
            # 0.1-0.3 us of CPU each, and only failures are acted on
            "delivery.report.only.error": True,
        }
        if self.settings.exactly_once:
            config["transactional.id"] = self.transactional_id
            config["transaction.timeout.ms"] = int(self.settings.transaction_timeout_seconds * 1000)
        return consumer, Producer(config)

    @property
    def transactional_id(self) -> str:
        return f"driftmend-{self.options.feed}-{self.settings.instance_id}"

    def _verdict_consumer(self) -> Consumer:
        """Reads new baselines from now on and verdicts from ``verdict_lookback_seconds``
        ago (no group: every worker sees every message)."""
        consumer = Consumer(
            {
                **self.settings.kafka_config(),
                "group.id": f"{self.options.group_id}-verdicts",
                "enable.auto.commit": False,
                "enable.partition.eof": False,
            }
        )
        since_ms = int((time.time() - self.settings.verdict_lookback_seconds) * 1000)
        try:
            (start,) = consumer.offsets_for_times(
                [TopicPartition(self.settings.verdicts_topic, 0, since_ms)], 10
            )
            verdicts_from = start.offset if start.offset >= 0 else OFFSET_END
        except KafkaException as exc:
            log.warning("reading verdicts from now on: %s", exc)
            verdicts_from = OFFSET_END
        consumer.assign(
            [
                TopicPartition(self.settings.verdicts_topic, 0, verdicts_from),
                TopicPartition(self.settings.baselines_topic, 0, OFFSET_END),
            ]
        )
        return consumer

    def _on_delivery(self, err: Any, msg: Message) -> None:
        if err is not None:
            self._delivery_errors.append(f"{msg.topic()}: {err}")

    def prepare_output(self) -> None:
        admin = AdminClient(self.settings.kafka_config())
        config = mirrored_config(admin, self.options.input_topic)
        ensure_topics(admin, [TopicSpec(self.options.output_topic, self.partitions, config=config)])
        output = partition_count(admin, self.options.output_topic)
        if output is None:
            raise KafkaError(f"output topic {self.options.output_topic!r} does not exist")
        self._same_partitions = output == self.partitions
        if not self._same_partitions:
            log.warning(
                "output topic %r has %d partitions, the input %d: records keep their key "
                "but not their partition, so order holds per key only",
                self.options.output_topic,
                output,
                self.partitions,
            )

    # -- main loop --------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        self._reset()
        self.prepare_output()
        consumer, producer = self._clients()
        if self.settings.exactly_once:
            self._txn = Transactions(
                producer, self.options.input_topic, self.settings.transaction_interval_seconds
            )
        verdicts = self._verdict_consumer()
        synth = SynthClient(self.settings, self.options) if self.settings.inject_enabled else None
        if synth is not None:
            synth.warm(self.baseline.baseline.version)
        self._synth = synth
        gate = self._gate(producer, synth)
        profiler = ProfilerPool(
            self.settings,
            self.options,
            self.baseline.baseline,
            self.partitions,
            self.settings.profilers,
        )
        consumer.subscribe(
            [self.options.input_topic],
            on_assign=self._on_assign,
            on_revoke=lambda c, parts: self._on_revoke(c, profiler, gate, producer, parts),
            on_lost=self._on_lost,
        )
        self._describe()
        try:
            while not stop.is_set():
                self._step(consumer, producer, profiler, gate, verdicts, synth)
            self._end_commit(gate, wait=True)
            self._settle(profiler)
            gate.release_all()
            self._settle_output(consumer, profiler, gate, producer)
        except BaseException:
            if self._txn is not None:
                self._txn.abort()  # nothing of it is committed: the input is read again
            raise
        finally:
            try:
                consumer.close()  # revokes: settles, releases and commits
            finally:
                profiler.close()
                verdicts.close()
                if synth is not None:
                    synth.close()
                producer.flush(30)

    def _step(
        self,
        consumer: Consumer,
        producer: Producer,
        profiler: ProfilerPool,
        gate: OutputGate,
        verdicts: Consumer,
        synth: SynthClient | None,
    ) -> None:
        """One turn of the loop: a batch in, verdicts and samples, records out, commits.

        Exactly-once, a transaction commits in the background (``Transactions.start_commit``)
        while the loop goes on reading, holding and profiling; the gate produces nothing
        until the commit has finished and the next transaction is open."""
        committing = self._txn is not None and self._txn.committing
        wait = COMMITTING_POLL_SECONDS if committing else POLL_SECONDS
        msgs = consumer.consume(self.settings.batch_size, timeout=wait)
        if self._lost:
            raise PartitionsLostError(
                "the consumer group dropped this worker (session expired): "
                "starting again from the committed offsets"
            )
        if msgs:
            self._process(producer, profiler, gate, msgs)
        elif (
            not self._idle_flushed
            and time.monotonic() - self._last_record > self.settings.window_grace_seconds
        ):
            self._settle(profiler)
            self._account(profiler.command("idle"))
            self._idle_flushed = True
        self._steer(verdicts, synth, gate)
        self._end_commit(gate)
        gate.pump()
        if self.settings.hold_output:
            self._backpressure.adjust(consumer, gate)
        if self._txn is not None:
            caught_up = len(msgs) < self.settings.batch_size
            if self._txn.due(gate.released() if caught_up else None):
                self._commit_transaction(consumer, profiler, gate, wait=False)
        else:
            self._acknowledged(producer, gate)
            self._commit(consumer)
        self._report_lag(consumer)

    def _gate(self, producer: Producer, synth: SynthClient | None) -> OutputGate:
        return OutputGate(
            producer,
            self.options.output_topic,
            self.options.feed,
            self.clock,
            self._same_partitions,
            self.settings.hold_output,
            synth,
            self.metrics,
            max_hold_seconds=self.settings.hold_seconds
            or 3 * self.settings.window_grace_seconds + (self.options.window_seconds or 0.0),
            input_topic=self.options.input_topic,
        )

    def _describe(self) -> None:
        log.info(
            "ingest: %s -> %s, windows of %s, output %s",
            self.options.input_topic,
            self.options.output_topic,
            f"{self.options.window_records} records"
            if self.options.window_records
            else f"{self.options.window_seconds} s",
            "held until each window's verdict" if self.settings.hold_output else "at once",
        )

    def _process(
        self, producer: Producer, profiler: ProfilerPool, gate: OutputGate, msgs: list[Message]
    ) -> None:
        started = time.perf_counter()
        self._last_record = time.monotonic()
        self._idle_flushed = False
        batch = Polled.of(msgs)
        gate.forward(batch)
        self._m_in.inc(len(msgs))
        profiler.set_baseline(self.baseline.baseline)
        topic = self.options.input_topic
        raw = batch.raw_batch(topic, backlog=len(msgs) >= self.settings.batch_size)
        for offsets, stats in profiler.submit(raw, batch.next_offsets(topic), started):
            self._profiled_through(offsets)
            self._account(stats)

    def _commit_transaction(
        self, consumer: Consumer, profiler: ProfilerPool, gate: OutputGate, wait: bool = True
    ) -> None:
        """Commit the open transaction with the offsets of everything released so far; with
        ``wait`` false the commit runs on while the loop goes on (``_end_commit``).

        Every released record is profiled before its offset commits. Held output is
        released after its window's verdict, when its batch is usually acknowledged by the
        profilers already, so they are drained (waited for) only when some released offset
        is past what they acknowledged: otherwise the batch in flight keeps them busy while
        the broker commits."""
        assert self._txn is not None
        self._end_commit(gate, wait=True)
        released = gate.released()
        if any(o > self._profiled.get(p, 0) for p, o in released.items()):
            self._settle(profiler)
        gate.pause()
        self._txn.start_commit(consumer, released)
        if wait:
            self._end_commit(gate, wait=True)

    def _end_commit(self, gate: OutputGate, wait: bool = False) -> None:
        """Once the running commit has finished (``wait``: wait for it), let the gate
        produce again. Raises what the commit raised."""
        if self._txn is None or not self._txn.committing:
            return
        if not wait and not self._txn.commit_done():
            return
        self._txn.finish_commit()
        gate.resume()

    def _settle_output(
        self, consumer: Consumer, profiler: ProfilerPool, gate: OutputGate, producer: Producer
    ) -> None:
        """Make everything released so far durable and committed, synchronously."""
        if self._txn is not None:
            self._commit_transaction(consumer, profiler, gate)
        else:
            self._deliver(producer, gate)
            self._commit(consumer, asynchronous=False)

    def _acknowledged(self, producer: Producer, gate: OutputGate) -> None:
        """Move the committable frontier to what the gate has released, once the producer's
        queue is empty (all of it acknowledged) -- without waiting, unless it has not been
        empty for ``MAX_UNACKED_SECONDS`` (then flush, so commits never starve)."""
        released = gate.released()  # taken first: everything in it was produced before
        producer.poll(0)
        if len(producer) == 0:
            self._check_delivery()
            self._gate_released = released
            self._last_ack = time.monotonic()
        elif time.monotonic() - self._last_ack > MAX_UNACKED_SECONDS:
            self._deliver(producer, gate)

    def _deliver(self, producer: Producer, gate: OutputGate) -> None:
        """Wait until everything produced is acknowledged (or fail: nothing is committed)."""
        released = gate.released()
        producer.flush(60)
        self._check_delivery()
        self._gate_released = released
        self._last_ack = time.monotonic()

    def _check_delivery(self) -> None:
        if self._delivery_errors:
            errors, self._delivery_errors = self._delivery_errors[:3], []
            raise KafkaError(f"output not acknowledged, not committing: {errors}")

    def _steer(self, verdicts: Consumer, synth: SynthClient | None, gate: OutputGate) -> None:
        for m in verdicts.consume(100, timeout=0):
            if m.error() is not None:
                log.debug("verdicts: %s", m.error())
                continue
            if m.topic() == self.settings.baselines_topic:
                if m.key() == self.options.feed.encode():
                    self.on_new_baseline()  # a new version was published: switch to it
                continue
            try:
                gate.on_verdict(Verdict.from_message(m.headers(), m.value()), self.settings.seed)
            except DecodeError as exc:
                log.warning("ignoring a verdict: %s", exc)
        if synth is not None:
            gate.on_results(synth.results())

    def _account(self, stats: Stats) -> None:
        self._m_dlq.inc(stats.dead_lettered)
        self._m_republished.inc(stats.republished_skipped)
        self._m_partials.inc(stats.windows_published)

    def _profiled_through(self, token: Token) -> None:
        offsets, started = token
        for tp in offsets:
            self._profiled[tp.partition] = max(self._profiled.get(tp.partition, 0), tp.offset)
        self._m_latency.observe(time.perf_counter() - started)

    def _commit(self, consumer: Consumer, asynchronous: bool = True) -> None:
        """Commit, per partition, what is both released (and acknowledged) and profiled."""
        due = []
        for p, profiled in self._profiled.items():
            upto = min(profiled, self._gate_released.get(p, 0))
            if upto > self._committed.get(p, 0):
                due.append(TopicPartition(self.options.input_topic, p, upto))
                self._committed[p] = upto
        if not due:
            return
        try:
            if asynchronous:
                consumer.commit(offsets=due, asynchronous=True)
            else:
                consumer.commit(offsets=due, asynchronous=False)
        except KafkaException as exc:
            log.warning("offset commit failed (records will be re-read): %s", exc)

    def _settle(self, profiler: ProfilerPool) -> None:
        for token, stats in profiler.drain():
            self._profiled_through(token)
            self._account(stats)

    @property
    def consuming(self) -> bool:
        """Ready: the loop runs, the consumer group gave this worker its share and the
        synthesis process has its model loaded (or there is none)."""
        return self._consuming and (self._synth is None or self._synth.ready)

    def _on_assign(self, consumer: Consumer, parts: list[TopicPartition]) -> None:
        self._consuming = True
        self._backpressure.forget([tp.partition for tp in parts])
        self.metrics.assigned_partitions.labels(self.options.feed).set(len(parts))

    def _on_lost(self, consumer: Consumer, parts: list[TopicPartition]) -> None:
        """The group gave the partitions away without a revoke (this worker's session
        expired): another worker may own them already, so nothing of them is released or
        committed here. The loop aborts the open transaction and starts again."""
        log.warning("partitions %s lost: the group session expired", [tp.partition for tp in parts])
        self._lost = True
        self.metrics.assigned_partitions.labels(self.options.feed).set(0)

    def _on_revoke(
        self,
        consumer: Consumer,
        profiler: ProfilerPool,
        gate: OutputGate,
        producer: Producer,
        parts: list[TopicPartition],
    ) -> None:
        # release and commit synchronously: the next owner starts where this worker stopped
        lost = [tp.partition for tp in parts]
        if self._lost:  # closing after the group dropped us: nothing here is ours to commit
            return
        try:
            self._end_commit(gate, wait=True)  # nothing is released while it runs
            self._settle(profiler)
            self._account(profiler.command("revoke", lost))
            gate.release_partitions(lost)
            self._settle_output(consumer, profiler, gate, producer)
        except (DriftmendError, OSError) as exc:  # records are read again by the next owner
            log.warning("could not settle revoked partitions: %s", exc)
        if self._txn is not None:
            self._txn.forget(lost)
        self._backpressure.release(consumer, lost)
        for p in lost:
            self._profiled.pop(p, None)
            self._committed.pop(p, None)
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
