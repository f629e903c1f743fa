"""Read records back from topics Kafka keeps: the feed's recent records (for retraining on
current data) and, for reports on a finished run, whole topics and the verdicts.

Each reader is a group-less consumer assigned to offset ranges per partition; one scan
(:func:`_scan`) yields the messages inside the ranges and stops when every range is read.
The records of a time range are found with ``offsets_for_times``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from app.codecs.base import Codec
from app.errors import DecodeError, KafkaError
from app.inject.verdict import Verdict
from app.settings import Settings

Ranges = dict[int, tuple[int, int]]  # partition -> [start, end) offsets
OFFSETS_SECONDS = 10.0


@contextlib.contextmanager
def _reader(settings: Settings, what: str) -> Iterator[Consumer]:
    consumer = Consumer(
        {
            **settings.kafka_config(),
            "group.id": "driftmend-readback",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
            "isolation.level": "read_committed",
        }
    )
    try:
        yield consumer
    except KafkaException as exc:
        raise KafkaError(f"cannot read {what}: {exc}") from exc
    finally:
        consumer.close()


def _scan(
    consumer: Consumer, topic: str, ranges: Ranges, timeout: float, whole: bool = False
) -> Iterator[Message]:
    """The error-free messages inside ``ranges``, each partition in offset order; with
    ``whole``, a range not read to its end within ``timeout`` is an error."""
    ends = {p: end for p, (start, end) in ranges.items() if end > start}
    if not ends:
        return
    consumer.assign([TopicPartition(topic, p, ranges[p][0]) for p in ends])
    deadline = time.monotonic() + timeout
    while ends and time.monotonic() < deadline:
        for m in consumer.consume(5000, timeout=0.5):
            p, offset = m.partition() or 0, m.offset() or 0
            if m.error() is not None or p not in ends or offset >= ends[p]:
                continue
            yield m
            if offset + 1 >= ends[p]:
                del ends[p]
        # a transactional topic ends in a commit marker that is never delivered: the
        # consumer's position (past the markers) tells when a range is read
        for tp in consumer.position([TopicPartition(topic, p) for p in ends]):
            if tp.offset >= ends.get(tp.partition, 0) > 0:
                del ends[tp.partition]
    if ends and whole:
        raise KafkaError(f"{topic}: partitions {sorted(ends)} not read to the end in {timeout} s")


def _partitions(consumer: Consumer, topic: str) -> list[int]:
    meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
    if meta is None or meta.error is not None:
        raise KafkaError(f"topic {topic!r} is not readable")
    return sorted(meta.partitions)


def _high(consumer: Consumer, topic: str, partition: int) -> int:
    return int(consumer.get_watermark_offsets(TopicPartition(topic, partition), 10)[1])


def _offsets_at(consumer: Consumer, topic: str, parts: list[int], ms: int) -> dict[int, int]:
    """Per partition, the first offset with a timestamp at or after ``ms`` (-1: none). A
    partition the answer has an error for (its leader not yet in the client's metadata, just
    after the topic was made) is asked again until ``OFFSETS_SECONDS`` are over."""
    out: dict[int, int] = {}
    deadline = time.monotonic() + OFFSETS_SECONDS
    while True:
        asked = [TopicPartition(topic, p, ms) for p in parts if p not in out]
        failed = []
        for tp in consumer.offsets_for_times(asked, OFFSETS_SECONDS):
            if tp.error is None:
                out[tp.partition] = tp.offset
            else:
                failed.append(tp)
        if not failed:
            return out
        if time.monotonic() > deadline:
            raise KafkaError(
                f"{topic}: no offsets for time {ms} of partitions "
                + ", ".join(f"{tp.partition} ({tp.error})" for tp in failed)
            )
        time.sleep(0.2)


def _bounds(consumer: Consumer, topic: str, start_ms: int, end_ms: int) -> Ranges:
    """The offsets of the time range on every partition."""
    parts = _partitions(consumer, topic)
    lo = _offsets_at(consumer, topic, parts, start_ms)
    hi = _offsets_at(consumer, topic, parts, end_ms + 1)
    out = {}
    for p in parts:
        high = _high(consumer, topic, p)
        out[p] = (lo[p] if lo[p] >= 0 else high, hi[p] if hi[p] >= 0 else high)
    return out


def read_range(
    settings: Settings,
    topic: str,
    codec: Codec,
    start_ms: int,
    end_ms: int,
    limit: int,
    timeout: float = 60.0,
) -> list[dict[str, Any]]:
    """Decoded records with timestamps in ``[start_ms, end_ms]``: at most ``limit``, the
    latest ones of the range, spread over partitions (undecodable ones skipped: the worker
    dead-lettered them)."""
    records: list[dict[str, Any]] = []
    with _reader(settings, f"back {topic}") as consumer:
        bounds = _bounds(consumer, topic, start_ms, end_ms)
        per_part = max(1, limit // max(1, len(bounds)))
        ranges = {p: (max(first, end - per_part), end) for p, (first, end) in bounds.items()}
        for m in _scan(consumer, topic, ranges, timeout):
            value = m.value()
            if value is not None:
                with contextlib.suppress(DecodeError):
                    records.append(codec.decode(value))
    return records


def read_topic(
    settings: Settings, topic: str, codec: Codec, timeout: float = 120.0
) -> dict[int, list[tuple[dict[str, Any], bool]]]:
    """Every decodable record of ``topic`` up to its high watermarks, per partition in
    order, each with whether it is marked synthetic (for reports on a finished run)."""
    with _reader(settings, topic) as consumer:
        parts = _partitions(consumer, topic)
        out: dict[int, list[tuple[dict[str, Any], bool]]] = {p: [] for p in parts}
        ranges = {p: (0, _high(consumer, topic, p)) for p in parts}
        for m in _scan(consumer, topic, ranges, timeout, whole=True):
            value = m.value()
            if value is not None:
                synthetic = ("driftmend-synthetic", b"1") in (m.headers() or [])
                with contextlib.suppress(DecodeError):
                    out[m.partition() or 0].append((codec.decode(value), synthetic))
    return out


def read_verdicts(settings: Settings, feed: str, since_ms: int) -> list[Verdict]:
    """The verdicts on ``feed``'s windows published since ``since_ms`` (for reports)."""
    topic = settings.verdicts_topic
    out: list[Verdict] = []
    with _reader(settings, "verdicts") as consumer:
        (start,) = consumer.offsets_for_times([TopicPartition(topic, 0, since_ms)], 10)
        if start.offset < 0:
            return []
        for m in _scan(consumer, topic, {0: (start.offset, _high(consumer, topic, 0))}, 30):
            if m.key() == feed.encode():
                with contextlib.suppress(DecodeError):
                    out.append(Verdict.from_message(m.headers(), m.value()))
    return out
