"""Where a consumer group starts the first time: a recent point of its topic.

faust starts a group without committed offsets at the earliest or the latest offset only.
The aggregator's topic (``driftmend.window-profiles``) holds every feed's partial profiles
for a day, so a new feed's aggregator group read from the start would wade through all of
them before its own (seen: 3.7 GB on a broker that had run many feeds, and the held output
of the new feed waited 9-23 s for verdicts instead of ~1 s). Before the app starts, a
group with no committed offset on a partition gets one there: the first offset written at
``now - since_seconds`` or later (the end if there is none). A group that has committed
offsets is left alone, so a restarted worker continues where it stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaException, TopicPartition

log = logging.getLogger(__name__)
TIMEOUT = 10.0


def start_group_at(
    config: dict[str, Any],
    group: str,
    topic: str,
    since_seconds: float,
    now: Callable[[], float] = time.time,
) -> list[TopicPartition]:
    """Commit a start for ``group`` on each partition of ``topic`` it has none for; returns
    what was committed (nothing when the group had offsets, or on an error: logged, and the
    group then starts where its client's offset reset says)."""
    consumer = Consumer({**config, "group.id": group, "enable.auto.commit": False})
    try:
        meta = consumer.list_topics(topic, timeout=TIMEOUT).topics.get(topic)
        if meta is None or meta.error is not None:
            return []
        parts = [TopicPartition(topic, p) for p in sorted(meta.partitions)]
        missing = [
            tp.partition for tp in consumer.committed(parts, timeout=TIMEOUT) if tp.offset < 0
        ]
        if not missing:
            return []
        since_ms = int((now() - since_seconds) * 1000)
        found = consumer.offsets_for_times(
            [TopicPartition(topic, p, since_ms) for p in missing], timeout=TIMEOUT
        )
        starts = []
        for tp in found:
            offset = tp.offset
            if offset < 0:  # nothing that recent: from the end
                offset = consumer.get_watermark_offsets(tp, timeout=TIMEOUT)[1]
            starts.append(TopicPartition(topic, tp.partition, offset))
        consumer.commit(offsets=starts, asynchronous=False)
        log.info(
            "group %s starts %s at %s", group, topic, [(t.partition, t.offset) for t in starts]
        )
        return starts
    except KafkaException as exc:  # e.g. another member joined first: it starts as it would
        log.warning("group %s: no start committed on %s: %s", group, topic, exc)
        return []
    finally:
        consumer.close()
