"""The injection state survives a restart: stored in real Redis, and a new Steering
continues from it."""

from __future__ import annotations

from typing import Any

import redis

from app.inject.policy import InjectionPolicy, InjectionState
from app.metrics import Metrics
from app.repository.injection import InjectionStore
from app.worker.steering import Steering
from tests.integration.harness import redis_url, unique


async def _sink(**_: Any) -> None:
    return None


def test_state_round_trips_and_a_new_steering_resumes() -> None:
    store = InjectionStore(redis.Redis.from_url(redis_url()))
    feed = unique("inj-state")
    assert store.load(feed) == (InjectionState(), b"")
    state = InjectionState(0.75, 0.5, "ev-1", "medium")
    store.save(feed, state, b"profile-bytes")
    assert store.load(feed) == (state, b"profile-bytes")
    steering = Steering(feed, InjectionPolicy(), None, Metrics(), _sink, _sink, store=store)
    assert steering.state == state and steering.previous == b"profile-bytes"


def test_a_feed_attached_to_another_topic_starts_afresh() -> None:
    store = InjectionStore(redis.Redis.from_url(redis_url()))
    feed = unique("inj-topic")
    state = InjectionState(1.0, 0.25, "ev-2", "high")
    store.save(feed, state, b"december", topic="flights.1")
    assert store.load(feed, "flights.1") == (state, b"december")
    assert store.load(feed, "flights.2") == (InjectionState(), b"")
    steering = Steering(
        feed, InjectionPolicy(), None, Metrics(), _sink, _sink, store=store, topic="flights.2"
    )
    assert steering.state == InjectionState() and steering.previous == b""
