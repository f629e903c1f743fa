"""Records of a consumer batch read once into lists, one per attribute.

The ingest loop, the output gate and the profiler hand-over all need the same attributes
of every record; each is read once (list comprehensions: Python 3.11 specializes the
method calls, ``map(methodcaller(...))`` is slower) and the lists are passed on. The gate
holds records in this form too, a run of one partition at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Message, TopicPartition

from app.worker.profiler import RawBatch

log = logging.getLogger(__name__)


@dataclass
class Polled:
    """Records in order: ``values[i]``, ``keys[i]``, ... are the i-th record's."""

    values: list[bytes | None] = field(default_factory=list)
    keys: list[bytes | None] = field(default_factory=list)
    headers: list[Any] = field(default_factory=list)
    partitions: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, msgs: Sequence[Message]) -> Polled:
        """The records of a consumer batch, without its error events (logged)."""
        errors = [m.error() for m in msgs]
        if errors.count(None) < len(msgs):
            for error in errors:
                if error is not None:
                    log.warning("consumer error: %s", error)
            msgs = [m for m, e in zip(msgs, errors, strict=True) if e is None]
        return cls(
            [m.value() for m in msgs],
            [m.key() for m in msgs],
            [m.headers() for m in msgs],
            [m.partition() or 0 for m in msgs],
            [m.offset() or 0 for m in msgs],
            [m.timestamp()[1] for m in msgs],
        )

    def __len__(self) -> int:
        return len(self.values)

    def extend(self, other: Polled, start: int = 0, stop: int | None = None) -> None:
        """Append ``other``'s records ``start:stop``."""
        self.values += other.values[start:stop]
        self.keys += other.keys[start:stop]
        self.headers += other.headers[start:stop]
        self.partitions += other.partitions[start:stop]
        self.offsets += other.offsets[start:stop]
        self.timestamps += other.timestamps[start:stop]

    def raw_batch(self, topic: str, backlog: bool = False) -> RawBatch:
        """What the profiler gets: the live records (tombstones are not profiled);
        ``backlog``: the poll came back full (``RawBatch.backlog``)."""
        if None not in self.values:
            return RawBatch(
                topic,
                self.values,  # type: ignore[arg-type]
                self.keys,
                self.headers,
                self.partitions,
                self.offsets,
                self.timestamps,
                backlog=backlog,
            )
        live = [i for i, v in enumerate(self.values) if v is not None]
        return RawBatch(
            topic,
            *([items[i] for i in live] for items in self._columns()),
            backlog=backlog,
        )

    def next_offsets(self, topic: str) -> list[TopicPartition]:
        """The offsets to commit after these records: one past the last of each partition
        (offsets rise within a partition, so the last pair per partition wins)."""
        last = dict(zip(self.partitions, self.offsets, strict=True))
        return [TopicPartition(topic, p, o + 1) for p, o in last.items()]

    def _columns(self) -> tuple[list[Any], ...]:
        return (
            self.values,
            self.keys,
            self.headers,
            self.partitions,
            self.offsets,
            self.timestamps,
        )
