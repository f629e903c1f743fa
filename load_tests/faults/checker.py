"""Compare a feed's input topic with the worker's output topic, per input partition.

Every input record carries a key ``{partition}-{sequence}``. The checker reads both topics
to their ends (``read_committed``, as a consumer of the output should), drops the records
marked ``driftmend-synthetic``, and counts per input partition:

- ``lost``: input records that never reached the output;
- ``duplicated``: output copies beyond the first of a record;
- ``reordered``: first copies that came after a later record of the same partition.

Per window (:func:`compare_windows`, from the feed's verdicts): windows decided, decided
more than once, counted with more records than the window holds (records profiled twice)
and with fewer (decided when the grace ran out before every partition's part arrived).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from confluent_kafka import Consumer, KafkaError, TopicPartition

SYNTHETIC = ("driftmend-synthetic", b"1")
Seen = tuple[int, bytes | None, list[tuple[str, bytes]] | None]  # partition, key, headers


@dataclass
class PartitionReport:
    partition: int
    sent: int = 0
    received: int = 0
    lost: int = 0
    duplicated: int = 0
    reordered: int = 0
    synthetic: int = 0


@dataclass
class Report:
    partitions: list[PartitionReport] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(int(getattr(p, name)) for p in self.partitions)

    def table(self) -> str:
        cols = ("sent", "received", "lost", "duplicated", "reordered", "synthetic")
        lines = ["partition " + " ".join(f"{c:>10}" for c in cols)]
        for p in self.partitions:
            lines.append(f"{p.partition:>9} " + " ".join(f"{getattr(p, c):>10}" for c in cols))
        lines.append("    total " + " ".join(f"{self.total(c):>10}" for c in cols))
        return "\n".join(lines)


@dataclass(frozen=True)
class WindowReport:
    decided: int = 0
    twice: int = 0  # windows with more than one verdict
    over: int = 0  # decided on more records than the window holds
    short: int = 0  # decided on fewer (the grace ran out first)

    def line(self) -> str:
        return (
            f"windows: {self.decided} decided, {self.twice} decided twice, {self.over} with "
            f"records counted twice, {self.short} decided short (grace ran out)"
        )


def compare_windows(
    decided: Iterable[tuple[int, int]], ends: dict[int, int], per_partition: int
) -> WindowReport:
    """``decided``: (window id, records) of every verdict; ``ends``: records per input
    partition (offsets from 0); count windows of ``per_partition`` offsets each."""
    records: dict[int, list[int]] = defaultdict(list)
    for window, n in decided:
        records[window].append(n)
    over = short = 0
    for window, counts in records.items():
        lo = window * per_partition
        expected = sum(max(0, min(per_partition, end - lo)) for end in ends.values())
        over += counts[0] > expected
        short += counts[0] < expected
    return WindowReport(len(records), sum(len(c) > 1 for c in records.values()), over, short)


def sequence_key(partition: int, seq: int) -> bytes:
    return f"{partition}-{seq}".encode()


def _parse(key: bytes | None) -> tuple[int, int] | None:
    try:
        p, s = (key or b"").split(b"-", 1)
        return int(p), int(s)
    except ValueError:
        return None


def compare(sent: dict[int, list[int]], output: Iterable[Seen]) -> Report:
    """``sent``: input partition -> sequence numbers in the order they were written;
    ``output``: the output topic's records in the order read (per partition)."""
    got: dict[int, list[int]] = defaultdict(list)
    synthetic: dict[int, int] = defaultdict(int)
    for partition, key, headers in output:
        if SYNTHETIC in (headers or []):
            synthetic[partition] += 1
            continue
        parsed = _parse(key)
        if parsed is not None:
            got[parsed[0]].append(parsed[1])
    report = Report()
    for p in sorted(sent):
        position = {s: i for i, s in enumerate(sent[p])}
        out = got.get(p, [])
        r = PartitionReport(p, sent=len(sent[p]), received=len(out), synthetic=synthetic[p])
        seen: set[int] = set()
        latest = -1
        for s in out:
            if s in seen:
                r.duplicated += 1
                continue
            seen.add(s)
            i = position.get(s, -1)
            if i < latest:
                r.reordered += 1
            latest = max(latest, i)
        r.lost = len(set(sent[p]) - seen)
        report.partitions.append(r)
    return report


def read_topic(bootstrap: str, topic: str, timeout: float = 120.0) -> list[Seen]:
    """Every committed message of ``topic`` up to its current end."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "driftmend-fault-checker",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "isolation.level": "read_committed",
        }
    )
    try:
        parts = sorted(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
        consumer.assign([TopicPartition(topic, p, 0) for p in parts])
        pending, out = set(parts), list[Seen]()
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            for m in consumer.consume(10_000, timeout=0.5):
                err = m.error()
                if err is None:
                    headers = cast(list[tuple[str, bytes]] | None, m.headers())  # as consumed
                    out.append((m.partition() or 0, m.key(), headers))
                elif err.code() == KafkaError._PARTITION_EOF:
                    pending.discard(m.partition() or 0)
        return out
    finally:
        consumer.close()
