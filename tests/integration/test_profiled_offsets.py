"""How far each partition's partials are published, in the real Redis: per feed, topic and
partition, expiring."""

from __future__ import annotations

import redis

from app.repository.profiled import TTL_SECONDS, ProfiledOffsets
from tests.integration.harness import redis_url, unique


def test_offsets_round_trip_per_feed_topic_and_partition_and_expire() -> None:
    client = redis.Redis.from_url(redis_url())
    feed, topic = unique("profiled-feed"), unique("profiled-input")
    store = ProfiledOffsets(client, feed, topic)
    store.save({0: 1_999, 3: 41})
    store.save({0: 2_999})
    assert store.load([0, 1, 3]) == {0: 2_999, 3: 41}
    assert store.load([]) == {}
    assert ProfiledOffsets(client, feed, unique("profiled-input")).load([0, 3]) == {}
    assert ProfiledOffsets(client, unique("profiled-feed"), topic).load([0]) == {}
    key = f"driftmend:feed:{feed}:profiled:{topic}:0"
    assert 0 < client.ttl(key) <= TTL_SECONDS
