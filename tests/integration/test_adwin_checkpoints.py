"""Each partition's ADWIN state in the real Redis: kept per feed, topic and partition."""

from __future__ import annotations

import numpy as np
import redis

from app.detectors import AdwinMonitor
from app.repository.adwin import AdwinCheckpoints
from tests.integration.harness import redis_url, unique


def test_states_round_trip_per_feed_topic_and_partition() -> None:
    client = redis.Redis.from_url(redis_url())
    feed, topic = unique("adwin-feed"), unique("adwin-input")
    store = AdwinCheckpoints(client, feed, topic)
    monitor = AdwinMonitor()
    monitor.update("x", np.random.default_rng(1).normal(0, 1, 1_050))
    store.save(2, monitor.state(), 1_049)
    state, offset = store.load(2) or (b"", -1)
    assert offset == 1_049 and AdwinMonitor.restore(state).state() == monitor.state()
    assert store.load(3) is None
    assert AdwinCheckpoints(client, feed, unique("adwin-input")).load(2) is None
