"""Which partition of the window-profiles topic carries a window's partials.

Every partial of window ``k`` goes to partition ``k mod P`` (``P``: the topic's partition
count), whichever worker or profiler sends it. The member of the feed's aggregator group
that owns that partition so gets the whole window, merges and judges it; consecutive
windows go to consecutive partitions, so the judging is spread over the workers the way
the faust group spreads the partitions (with one partition, one worker judges them all).
"""

from __future__ import annotations

from confluent_kafka import KafkaException, Producer

from app.errors import KafkaError

TIMEOUT = 10.0


def window_partition(window_id: int, partitions: int) -> int:
    return window_id % max(partitions, 1)


def topic_partitions(producer: Producer, topic: str, timeout: float = TIMEOUT) -> int:
    """How many partitions ``topic`` has (the worker created it before: at least one)."""
    try:
        meta = producer.list_topics(topic, timeout=timeout).topics.get(topic)
    except KafkaException as exc:
        raise KafkaError(f"cannot read the partitions of {topic!r}: {exc}") from exc
    if meta is None or meta.error is not None or not meta.partitions:
        raise KafkaError(f"topic {topic!r} has no partitions in the broker's metadata")
    return len(meta.partitions)
