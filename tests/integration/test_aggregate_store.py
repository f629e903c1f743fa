"""The aggregator's windows in flight in the real Redis: a worker that takes over the
window-profiles topic from a dead owner loses no partial, counts none twice and decides no
window twice; one that loses the topic stops deciding."""

from __future__ import annotations

import asyncio
from collections import namedtuple

import redis

from app.profile import ProfileBuilder
from app.profile.window import WindowProfile
from app.repository.aggregates import AggregateStore
from app.worker.aggregator import WindowAggregator
from app.worker.durable_aggregator import DurableAggregator
from tests.integration.harness import redis_url, unique

TP = namedtuple("TP", "topic partition")
PROFILES = "driftmend.window-profiles"


def _partial(feed: str, window: int, partition: int, n: int) -> WindowProfile:
    builder = ProfileBuilder()
    builder.add([{"x": float(i)} for i in range(n)])
    return builder.snapshot(feed, window, 0, 5, frozenset({partition}))


def _worker(feed: str, topic: str) -> DurableAggregator:
    store = AggregateStore(redis.Redis.from_url(redis_url()))
    agg = WindowAggregator(partitions=3, grace_seconds=60, clock=lambda: 0.0)
    durable = DurableAggregator(agg, store, feed, topic, PROFILES)
    asyncio.run(durable.assigned({TP(PROFILES, 0), TP("input", 1)}))
    return durable


def _add(worker: DurableAggregator, p: WindowProfile, offset: int) -> list[WindowProfile]:
    return asyncio.run(worker.add(p, p.serialize(), True, (0, offset)))


def test_a_takeover_continues_the_windows_in_flight() -> None:
    feed, topic = unique("agg-feed"), unique("agg-input")
    first = _worker(feed, topic)
    assert _add(first, _partial(feed, 0, 0, 10), 1) == []
    assert _add(first, _partial(feed, 0, 1, 20), 2) == []
    assert _add(first, _partial(feed, 1, 0, 7), 3) == []
    # the owner dies; the next one reads the topic again from its last commit (offset 2)
    second = _worker(feed, topic)
    assert _add(second, _partial(feed, 0, 1, 20), 2) == []  # redelivered: counted once
    assert second.aggregator.duplicates == 1
    [window] = _add(second, _partial(feed, 0, 2, 5), 4)
    assert window.records == 35 and window.partitions == frozenset({0, 1, 2})
    asyncio.run(second.decided(window))
    # and dies too, before its commit: the third owner re-reads window 0's last partial
    third = _worker(feed, topic)
    assert _add(third, _partial(feed, 0, 2, 5), 4) == []
    assert third.late == 1  # decided before: not judged again
    [pending] = third.aggregator.pending()
    assert pending.window_id == 1 and pending.records == 7


def test_another_feed_topic_starts_empty() -> None:
    feed, topic = unique("agg-feed"), unique("agg-input")
    first = _worker(feed, topic)
    _add(first, _partial(feed, 0, 0, 10), 1)
    other = _worker(feed, unique("agg-input"))
    assert other.aggregator.expire() == [] == other.aggregator.pending()


def test_losing_the_topic_stops_deciding() -> None:
    feed, topic = unique("agg-feed"), unique("agg-input")
    worker = _worker(feed, topic)
    _add(worker, _partial(feed, 0, 0, 10), 1)
    asyncio.run(worker.assigned({TP("input", 1)}))
    assert not worker.owned and worker.aggregator.pending() == []
