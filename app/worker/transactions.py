"""Exactly-once output: the worker's consume-transform-produce loop in Kafka transactions.

Every output record (real and synthetic) is produced inside an open transaction; every
``interval`` seconds the transaction is committed together with the input offsets of what
it released (``send_offsets_to_transaction`` with the consumer's group metadata, KIP-447),
and the next one begins. A worker that dies leaves an open transaction: the restarted worker
with the same transactional id aborts it at ``init_transactions``, and ``read_committed``
readers never see its records; the input is read again from the committed offsets.

A transaction error ends the loop: the current transaction is aborted where that is
possible and ingest starts again from the committed offsets, in-process
(:class:`~app.errors.IngestRestartError`), which is the recovery Kafka's own clients
prescribe; a fatal one (fenced by another instance) stops the worker. Each call runs under a
watchdog: librdkafka's ``send_offsets_to_transaction`` can block past its timeout while the
group coordinator is away (e.g. a broker restart); then the producer is abandoned
(:class:`~app.errors.TransactionStuckError`) and the next one, with the same transactional
id, fences it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from app.errors import IngestRestartError, KafkaError, TransactionStuckError

log = logging.getLogger(__name__)
_Outcome = list[BaseException | None]
TIMEOUT = 30.0  # the broker aborts a transaction open longer than its timeout (10 s) anyway
WATCHDOG = TIMEOUT + 10.0  # a call still running after this is stuck


class Transactions:
    def __init__(
        self,
        producer: Producer,
        topic: str,
        interval: float,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.producer = producer
        self.topic = topic
        self.interval = interval
        self.now = now
        self._committed: dict[int, int] = {}
        self._begun = 0.0
        self.open = False  # a transaction is open; never again after a failure
        self.watchdog = WATCHDOG
        self._running: tuple[threading.Thread, _Outcome] | None = None
        self._call("init_transactions", lambda: producer.init_transactions(TIMEOUT))
        self._begin()

    def due(self, released: dict[int, int] | None = None) -> bool:
        """Time to commit: ``interval`` seconds after the transaction began, or a fifth of
        that when ``released`` (given when the input is caught up: the last poll was not a
        full batch) holds offsets not committed yet. A slow feed's records then wait
        ~0.1 s for their commit instead of up to ``interval``, while under load (full
        batches) the commits stay as far apart as configured."""
        if self._running is not None:
            return False
        elapsed = self.now() - self._begun
        if elapsed >= self.interval:
            return True
        return (
            released is not None
            and elapsed >= self.interval / 5
            and any(o > self._committed.get(p, 0) for p, o in released.items())
        )

    def commit(self, consumer: Consumer, released: dict[int, int]) -> None:
        """Commit the open transaction with the offsets of what was ``released`` (partition
        -> next offset), and begin the next one."""
        self.start_commit(consumer, released)
        self.finish_commit()

    def start_commit(self, consumer: Consumer, released: dict[int, int]) -> None:
        """``commit`` in a thread of its own, so the caller can go on reading and profiling
        while the broker writes the transaction's markers. Nothing may be produced until
        ``finish_commit`` has returned (the next transaction is open then)."""
        if not self.open:
            raise KafkaError("no open transaction: an earlier one failed")
        if self._running is not None:
            raise KafkaError("a commit is already running")
        offsets = [
            TopicPartition(self.topic, p, o)
            for p, o in sorted(released.items())
            if o > self._committed.get(p, 0)
        ]
        # on the consumer's own thread
        group = consumer.consumer_group_metadata() if offsets else None
        self._running = _started("commit", lambda: self._commit(offsets, group))

    @property
    def committing(self) -> bool:
        """A commit started and not yet finished (``finish_commit``)."""
        return self._running is not None

    def commit_done(self) -> bool:
        """The running commit has returned (or none runs): ``finish_commit`` won't wait."""
        return self._running is None or not self._running[0].is_alive()

    def finish_commit(self) -> None:
        """Wait for the running commit, if any; raise what it raised."""
        if self._running is None:
            return
        thread, outcome = self._running
        thread.join()
        self._running = None
        if outcome and outcome[0] is not None:
            raise outcome[0]

    def _commit(self, offsets: list[TopicPartition], group: object) -> None:
        if offsets:
            self._call(
                "send_offsets_to_transaction",
                lambda: self.producer.send_offsets_to_transaction(offsets, group, TIMEOUT),
            )
        self._call("commit_transaction", lambda: self.producer.commit_transaction(TIMEOUT))
        for tp in offsets:
            self._committed[tp.partition] = tp.offset
        self._begin()

    def forget(self, partitions: list[int]) -> None:
        """Partitions revoked: their next owner commits their offsets from now on."""
        for p in partitions:
            self._committed.pop(p, None)

    def abort(self) -> None:
        """Drop the open transaction (after a failure): its records are never read. A
        running commit is waited for first (whatever it raised, the open transaction, if
        any, is the one dropped)."""
        try:
            self.finish_commit()
        except Exception as exc:  # the failure being handled already, or one like it
            log.warning("the running commit failed too: %s", exc)
        if not self.open:
            return
        self.open = False
        try:
            self.producer.abort_transaction(TIMEOUT)
        except KafkaException as exc:
            log.warning("could not abort the open transaction: %s", exc)

    def _guarded(self, what: str, step: Callable[[], object]) -> None:
        """``step()`` in a thread of its own, given up on after ``watchdog`` seconds."""
        thread, outcome = _started(what, step)
        thread.join(self.watchdog)
        if not outcome:
            self.open = False  # never abort through a producer that is stuck in a call
            raise TransactionStuckError(
                f"transaction {what} did not return within {self.watchdog:.0f} s; "
                "starting again from the committed offsets with a new producer"
            )
        if outcome[0] is not None:
            raise outcome[0]

    def _begin(self) -> None:
        self._call("begin_transaction", self.producer.begin_transaction)
        self._begun = self.now()
        self.open = True

    def _call(self, what: str, step: Callable[[], object], tries: int = 3) -> None:
        for attempt in range(tries):
            try:
                self._guarded(what, step)
                return
            except KafkaException as exc:
                err = exc.args[0] if exc.args else None
                if err is not None and err.retriable() and attempt + 1 < tries:
                    log.warning("transaction %s: %s (retrying)", what, exc)
                    continue
                if err is not None and err.txn_requires_abort():
                    self.abort()
                self.open = False
                if err is not None and err.fatal():  # e.g. fenced by another instance
                    raise KafkaError(f"transaction {what} failed for good ({exc})") from exc
                raise IngestRestartError(
                    f"transaction {what} failed ({exc}); starting again from the committed offsets"
                ) from exc


def _started(what: str, step: Callable[[], object]) -> tuple[threading.Thread, _Outcome]:
    """``step()`` running in a daemon thread; its outcome (None, or what it raised, for the
    caller's thread) lands in the list once it returns."""
    outcome: _Outcome = []

    def run() -> None:
        try:
            step()
            outcome.append(None)
        except BaseException as exc:  # handed to the caller's thread
            outcome.append(exc)

    thread = threading.Thread(target=run, name=f"driftmend-txn-{what}", daemon=True)
    thread.start()
    return thread, outcome
