"""A new consumer group starts a shared topic at a recent point, on a real broker; a group
with committed offsets is left where it is."""

from __future__ import annotations

import time

from confluent_kafka import Consumer, Producer, TopicPartition

from app.kafka.group_start import start_group_at
from tests.integration.harness import bootstrap, create_topic, unique

HOUR_MS = 3_600_000


def _committed(group: str, topic: str, partitions: int) -> list[int]:
    consumer = Consumer({"bootstrap.servers": bootstrap(), "group.id": group})
    try:
        parts = [TopicPartition(topic, p) for p in range(partitions)]
        return [tp.offset for tp in consumer.committed(parts, timeout=10)]
    finally:
        consumer.close()


def test_a_new_group_starts_at_the_lookback_and_an_old_one_stays() -> None:
    topic = unique("group-start")
    create_topic(topic, 2)
    now_ms = int(time.time() * 1000)
    producer = Producer({"bootstrap.servers": bootstrap()})
    for i in range(10):  # partition 0: ten records two hours old, then four recent ones
        producer.produce(topic, b"old", partition=0, timestamp=now_ms - 2 * HOUR_MS + i)
    for i in range(4):
        producer.produce(topic, b"new", partition=0, timestamp=now_ms - 1_000 + i)
    for i in range(3):  # partition 1: only old records
        producer.produce(topic, b"old", partition=1, timestamp=now_ms - 2 * HOUR_MS + i)
    assert producer.flush(10) == 0
    config = {"bootstrap.servers": bootstrap()}
    group = unique("group-start-g")

    started = start_group_at(config, group, topic, since_seconds=600)
    assert [(tp.partition, tp.offset) for tp in started] == [(0, 10), (1, 3)]
    assert _committed(group, topic, 2) == [10, 3]  # the first recent record; the end

    assert start_group_at(config, group, topic, since_seconds=3 * 3600) == []  # has offsets
    assert _committed(group, topic, 2) == [10, 3]
    assert start_group_at(config, group, unique("no-such-topic"), 600) == []
