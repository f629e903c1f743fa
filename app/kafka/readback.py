"""Read a feed's recent records back from its input topic (for retraining on current data).

Kafka keeps the feed, so the retrain agent needs no copy of it: the records of a time range
are found with ``offsets_for_times`` on every partition and read with a group-less
consumer. At most ``limit`` records, the latest ones of the range, spread over partitions.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from confluent_kafka import Consumer, KafkaException, TopicPartition

from app.codecs.base import Codec
from app.errors import DecodeError, KafkaError
from app.inject.verdict import Verdict
from app.settings import Settings


def _bounds(
    consumer: Consumer, topic: str, start_ms: int, end_ms: int
) -> list[tuple[int, int, int]]:
    """(partition, first offset, end offset) of the time range on every partition."""
    meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
    if meta is None or meta.error is not None:
        raise KafkaError(f"topic {topic!r} is not readable")
    parts = sorted(meta.partitions)
    lo = consumer.offsets_for_times([TopicPartition(topic, p, start_ms) for p in parts], 10)
    hi = consumer.offsets_for_times([TopicPartition(topic, p, end_ms + 1) for p in parts], 10)
    out = []
    for a, b in zip(lo, hi, strict=True):
        _low, high = consumer.get_watermark_offsets(TopicPartition(topic, a.partition), 10)
        start = a.offset if a.offset >= 0 else high
        end = b.offset if b.offset >= 0 else high
        out.append((a.partition, start, end))
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
    """Decoded records with timestamps in ``[start_ms, end_ms]`` (undecodable ones skipped)."""
    consumer = Consumer(
        {
            **settings.kafka_config(),
            "group.id": "driftmend-readback",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
        }
    )
    try:
        bounds = _bounds(consumer, topic, start_ms, end_ms)
        per_part = max(1, limit // max(1, len(bounds)))
        ends: dict[int, int] = {}
        assign = []
        for partition, first, end in bounds:
            start = max(first, end - per_part)
            if end > start:
                ends[partition] = end
                assign.append(TopicPartition(topic, partition, start))
        if not assign:
            return []
        consumer.assign(assign)
        records: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while ends and time.monotonic() < deadline:
            for m in consumer.consume(1000, timeout=0.5):
                p, offset = m.partition() or 0, m.offset() or 0
                if m.error() is not None or p not in ends or offset >= ends[p]:
                    continue
                value = m.value()
                if value is not None:
                    with contextlib.suppress(DecodeError):  # the worker dead-lettered it
                        records.append(codec.decode(value))
                if offset + 1 >= ends[p]:
                    del ends[p]
        return records
    except KafkaException as exc:
        raise KafkaError(f"cannot read back {topic}: {exc}") from exc
    finally:
        consumer.close()


def read_topic(
    settings: Settings, topic: str, codec: Codec, timeout: float = 120.0
) -> dict[int, list[tuple[dict[str, Any], bool]]]:
    """Every decodable record of ``topic`` up to its high watermarks, per partition in
    order, each with whether it is marked synthetic (for reports on a finished run)."""
    consumer = Consumer(
        {
            **settings.kafka_config(),
            "group.id": "driftmend-readback",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    out: dict[int, list[tuple[dict[str, Any], bool]]] = {}
    try:
        meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if meta is None or meta.error is not None:
            raise KafkaError(f"topic {topic!r} is not readable")
        ends = {}
        for p in sorted(meta.partitions):
            _low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), 10)
            out[p] = []
            if high > 0:
                ends[p] = high
        consumer.assign([TopicPartition(topic, p, 0) for p in ends])
        deadline = time.monotonic() + timeout
        while ends and time.monotonic() < deadline:
            for m in consumer.consume(5000, timeout=0.5):
                p, offset, value = m.partition() or 0, m.offset() or 0, m.value()
                if m.error() is not None or p not in ends:
                    continue
                if value is not None:
                    synthetic = ("driftmend-synthetic", b"1") in (m.headers() or [])
                    with contextlib.suppress(DecodeError):
                        out[p].append((codec.decode(value), synthetic))
                if offset + 1 >= ends[p]:
                    del ends[p]
        return out
    except KafkaException as exc:
        raise KafkaError(f"cannot read {topic}: {exc}") from exc
    finally:
        consumer.close()


def read_verdicts(settings: Settings, feed: str, since_ms: int) -> list[Verdict]:
    """The verdicts on ``feed``'s windows published since ``since_ms`` (for reports)."""
    consumer = Consumer(
        {**settings.kafka_config(), "group.id": "driftmend-readback", "enable.auto.commit": False}
    )
    topic = settings.verdicts_topic
    out: list[Verdict] = []
    try:
        (start,) = consumer.offsets_for_times([TopicPartition(topic, 0, since_ms)], 10)
        _low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), 10)
        if start.offset < 0 or start.offset >= high:
            return []
        consumer.assign([TopicPartition(topic, 0, start.offset)])
        deadline = time.monotonic() + 30
        done = False
        while not done and time.monotonic() < deadline:
            for m in consumer.consume(1000, timeout=0.5):
                if m.error() is None and m.key() == feed.encode():
                    with contextlib.suppress(DecodeError):
                        out.append(Verdict.from_message(m.headers(), m.value()))
                done = done or (m.offset() or 0) + 1 >= high
        return out
    except KafkaException as exc:
        raise KafkaError(f"cannot read verdicts: {exc}") from exc
    finally:
        consumer.close()
