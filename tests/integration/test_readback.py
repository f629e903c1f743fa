"""Reading a time range of a feed back from the real broker."""

from __future__ import annotations

import orjson
from confluent_kafka import Producer

from app.codecs.json import JsonCodec
from app.kafka.readback import read_range, read_topic
from app.settings import load_settings
from tests.integration.harness import bootstrap, create_topic, unique


def test_reads_the_latest_records_of_a_time_range_from_every_partition() -> None:
    topic = unique("readback")
    create_topic(topic, 3)
    base = 1_700_000_000_000
    items = []
    for i in range(900):
        ts = base + i * 1_000
        items.append((None, orjson.dumps({"i": i}), None, i % 3, ts))
    items.append((None, b"{broken", None, 0, base + 500_500))
    _produce_at(topic, items)
    settings = load_settings(kafka_bootstrap_servers=bootstrap())
    got = read_range(settings, topic, JsonCodec(), base + 300_000, base + 599_000, limit=10_000)
    assert sorted(r["i"] for r in got) == list(range(300, 600))  # the broken one skipped
    latest = read_range(settings, topic, JsonCodec(), base + 300_000, base + 599_000, limit=30)
    assert sorted(r["i"] for r in latest) == list(range(570, 600))  # 10 per partition
    assert read_range(settings, topic, JsonCodec(), base + 10**9, base + 2 * 10**9, 10) == []


def _produce_at(topic: str, items: list[tuple[None, bytes, None, int, int]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap()})
    for key, value, _headers, partition, ts in items:
        producer.produce(topic, value, key, partition=partition, timestamp=ts)
    assert producer.flush(30) == 0


def test_a_transactional_topic_is_read_to_its_end_without_waiting_for_the_timeout() -> None:
    """Committed transactions end in control records that are never delivered: the reader
    must see from its position that it is done, not wait for a record at the last offset."""
    topic = unique("readback-txn")
    create_topic(topic, 2)
    producer = Producer({"bootstrap.servers": bootstrap(), "transactional.id": unique("rb")})
    producer.init_transactions(30)
    for batch in range(3):
        producer.begin_transaction()
        for i in range(10):
            n = batch * 10 + i
            headers = [("driftmend-synthetic", b"1")] if n % 5 == 0 else None
            producer.produce(topic, orjson.dumps({"i": n}), partition=n % 2, headers=headers)
        producer.commit_transaction(30)
    settings = load_settings(kafka_bootstrap_servers=bootstrap())
    got = read_topic(settings, topic, JsonCodec(), timeout=20)  # raises if not read to the end
    assert {p: [r["i"] for r, _ in rows] for p, rows in got.items()} == {
        0: list(range(0, 30, 2)),
        1: list(range(1, 30, 2)),
    }
    assert [r["i"] for rows in got.values() for r, synthetic in rows if synthetic] == [
        0,
        10,
        20,
        5,
        15,
        25,
    ]
