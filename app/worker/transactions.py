"""Exactly-once output: the worker's consume-transform-produce loop in Kafka transactions.

Every output record (real and synthetic) is produced inside an open transaction; every
``interval`` seconds the transaction is committed together with the input offsets of what
it released (``send_offsets_to_transaction`` with the consumer's group metadata, KIP-447),
and the next one begins. A worker that dies leaves an open transaction: the restarted worker
with the same transactional id aborts it at ``init_transactions``, and ``read_committed``
readers never see its records; the input is read again from the committed offsets.

Any transaction error is fatal for the loop (:class:`~app.errors.KafkaError`): the current
transaction is aborted where that is possible and the worker restarts from the committed
offsets, which is the recovery Kafka's own clients prescribe.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from app.errors import KafkaError

log = logging.getLogger(__name__)
TIMEOUT = 60.0


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
        self.commits = 0
        self._call("init_transactions", lambda: producer.init_transactions(TIMEOUT))
        self._begin()

    def due(self) -> bool:
        return self.now() - self._begun >= self.interval

    def commit(self, consumer: Consumer, released: dict[int, int]) -> None:
        """Commit the open transaction with the offsets of what was ``released`` (partition
        -> next offset), and begin the next one."""
        if not self.open:
            raise KafkaError("no open transaction: an earlier one failed")
        offsets = [
            TopicPartition(self.topic, p, o)
            for p, o in sorted(released.items())
            if o > self._committed.get(p, 0)
        ]
        if offsets:
            self._call(
                "send_offsets_to_transaction",
                lambda: self.producer.send_offsets_to_transaction(
                    offsets, consumer.consumer_group_metadata(), TIMEOUT
                ),
            )
        self._call("commit_transaction", lambda: self.producer.commit_transaction(TIMEOUT))
        for tp in offsets:
            self._committed[tp.partition] = tp.offset
        self.commits += 1
        self._begin()

    def forget(self, partitions: list[int]) -> None:
        """Partitions revoked: their next owner commits their offsets from now on."""
        for p in partitions:
            self._committed.pop(p, None)

    def abort(self) -> None:
        """Drop the open transaction (after a failure): its records are never read."""
        if not self.open:
            return
        self.open = False
        try:
            self.producer.abort_transaction(TIMEOUT)
        except KafkaException as exc:
            log.warning("could not abort the open transaction: %s", exc)

    def _begin(self) -> None:
        self._call("begin_transaction", self.producer.begin_transaction)
        self._begun = self.now()
        self.open = True

    def _call(self, what: str, step: Callable[[], object], tries: int = 3) -> None:
        for attempt in range(tries):
            try:
                step()
                return
            except KafkaException as exc:
                err = exc.args[0] if exc.args else None
                if err is not None and err.retriable() and attempt + 1 < tries:
                    log.warning("transaction %s: %s (retrying)", what, exc)
                    continue
                if err is not None and err.txn_requires_abort():
                    self.abort()
                self.open = False
                raise KafkaError(
                    f"transaction {what} failed ({exc}); the worker restarts from the "
                    "committed offsets"
                ) from exc
