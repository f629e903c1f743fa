"""Producing without a keyword dict per record, waiting when librdkafka's queue is full."""

from __future__ import annotations

from typing import Any

from confluent_kafka import Producer

# produce()'s positional order: topic, value, key, partition, callback, on_delivery,
# timestamp, headers
Args = tuple[str, bytes | None, bytes | None, int, None, None, int, Any]


def produce_args(
    topic: str,
    value: bytes | None,
    key: bytes | None,
    partition: int = -1,
    timestamp: int = 0,
    headers: Any = None,
) -> Args:
    return (topic, value, key, partition, None, None, max(timestamp, 0), headers)


def produce_blocking(producer: Producer, args: Args) -> None:
    """Produce; while the local queue is full, serve delivery reports and retry."""
    while True:
        try:
            producer.produce(*args)
            return
        except BufferError:
            producer.poll(0.05)
