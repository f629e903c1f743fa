"""Back-pressure: a worker that reads a backlog holds at most about ``max_held`` records.

With the output held per window, every record read waits in the gate until its window's
verdict. Reading a backlog (a restart after an outage, a burst) is faster than windows are
judged, so without a bound the held output would grow with the backlog. Once the gate holds
``max_held`` records or more, the partitions that are already past the oldest held window
are paused (the client stops fetching them; on resume it fetches again from the next
record not yet read, so nothing is skipped) and the partitions still in that window keep
being read, so the window closes and is judged, then everything resumes. Memory then
depends on ``max_held``, not on the backlog; a window larger than ``max_held`` is still
read to its end (only partitions ahead of it wait). Revoked partitions are resumed before
they go (:meth:`Backpressure.release`).
"""

from __future__ import annotations

import logging
from typing import Protocol

from confluent_kafka import Consumer, KafkaException, TopicPartition
from prometheus_client import Gauge

from app.errors import KafkaError

log = logging.getLogger(__name__)


class Holding(Protocol):
    def held(self) -> int: ...

    def ahead(self) -> set[int]: ...


class Backpressure:
    def __init__(self, topic: str, max_held: int, paused_gauge: Gauge) -> None:
        self.topic = topic
        self.max_held = max_held
        self.paused: set[int] = set()
        self._gauge = paused_gauge

    def wanted(self, gate: Holding) -> set[int]:
        """The partitions that should wait now."""
        return gate.ahead() if gate.held() >= self.max_held else set()

    def adjust(self, consumer: Consumer, gate: Holding) -> None:
        want = self.wanted(gate)
        if want == self.paused:
            return
        stop, go = sorted(want - self.paused), sorted(self.paused - want)
        try:
            if stop:
                consumer.pause([TopicPartition(self.topic, p) for p in stop])
            if go:
                consumer.resume([TopicPartition(self.topic, p) for p in go])
        except KafkaException as exc:
            raise KafkaError(f"could not pause or resume partitions {stop} / {go}: {exc}") from exc
        self.paused = want
        self._gauge.set(len(want))

    def release(self, consumer: Consumer, partitions: list[int]) -> None:
        """Partitions revoked: resume the paused ones first. The client keeps a partition's
        pause across a rebalance, so one given back to this worker would otherwise never
        be fetched again (seen: a worker stalled with 6 partitions assigned, none read)."""
        paused = sorted(self.paused & set(partitions))
        if paused:
            try:
                consumer.resume([TopicPartition(self.topic, p) for p in paused])
            except KafkaException as exc:  # revoked anyway; logged, not raised in the callback
                log.warning("could not resume revoked partitions %s: %s", paused, exc)
        self.forget(partitions)

    def forget(self, partitions: list[int] | None = None) -> None:
        """Drop the bookkeeping of ``partitions`` (or all) without calling the consumer: for
        a new assignment or a consumer that is gone (revoked ones go through ``release``)."""
        self.paused = set() if partitions is None else self.paused - set(partitions)
        self._gauge.set(len(self.paused))
