"""The injection state in real Redis: it survives a restart, a feed's workers share it,
and it advances in window order."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import redis

from app.inject.policy import InjectionPolicy, InjectionState
from app.metrics import Metrics
from app.profile import ProfileBuilder
from app.profile.window import WindowProfile
from app.repository.injection import Injection, InjectionStore
from app.worker.steering import Steering
from tests.integration.harness import redis_url, unique


async def _sink(**_: Any) -> None:
    return None


def _store() -> InjectionStore:
    return InjectionStore(redis.Redis.from_url(redis_url()))


def _steering(store: InjectionStore, feed: str, topic: str = "") -> Steering:
    policy = InjectionPolicy()
    return Steering(feed, policy, None, Metrics(), _sink, _sink, store=store, topic=topic)


def _window(feed: str, window_id: int, shift: float = 0.0) -> WindowProfile:
    builder = ProfileBuilder()
    builder.add([{"x": float(i % 50) + shift} for i in range(500)])
    return builder.snapshot(feed, window_id, 0, 1, frozenset({0}))


def _event(severity: str, score: float) -> dict[str, Any]:
    return {
        "severity": severity,
        "drift_score": score,
        "event_id": f"ev-{severity}",
        "feed": "f",
        "window_id": 0,
        "baseline_version": 1,
        "changed_characteristics": [],
    }


def test_state_round_trips_and_a_new_steering_resumes() -> None:
    store = _store()
    feed = unique("inj-state")
    assert store.load(feed) == Injection() and store.seq(feed) == 0
    state = InjectionState(0.75, 0.5, "ev-1", "medium")
    shared = Injection(state, b"profile-bytes", 7, 3, ((5, InjectionState()), (7, state)))
    store.save(feed, shared)
    assert store.load(feed) == shared and store.seq(feed) == 3
    steering = _steering(store, feed)
    assert steering.state == shared.state and steering.previous == b"profile-bytes"


def test_a_feed_attached_to_another_topic_starts_afresh() -> None:
    store = _store()
    feed = unique("inj-topic")
    shared = Injection(InjectionState(1.0, 0.25, "ev-2", "high"), b"december", 4, 1)
    store.save(feed, shared, topic="flights.1")
    assert store.load(feed, "flights.1") == shared
    assert store.load(feed, "flights.2") == Injection()
    steering = _steering(store, feed, topic="flights.2")
    assert steering.state == InjectionState() and steering.previous == b""


def test_two_workers_advance_one_state_in_window_order() -> None:
    store = _store()
    feed = unique("inj-shared")
    policy = InjectionPolicy()
    a, b = _steering(store, feed), _steering(store, feed)

    async def run() -> list[float]:
        alphas = []
        high = await a.after(_window(feed, 1, 100.0), 1, _event("high", 3.0))
        alphas.append(high.alpha)
        # worker b judges window 2: it continues a's transition (rate kept, alpha ramps)
        medium = await b.after(_window(feed, 2, 100.0), 1, _event("medium", 0.8))
        alphas.append(medium.alpha)
        # window 1 again (a restart judged it twice): the state stays where it is, and the
        # verdict is the one window 1 had (alpha 0: the start of the transition)
        again = await a.after(_window(feed, 1, 100.0), 1, _event("medium", 0.8))
        alphas.append(again.alpha)
        third = await a.after(_window(feed, 3, 100.0), 1, None)
        alphas.append(third.alpha)
        return alphas

    alphas = asyncio.run(run())
    ramp = 1.0 / policy.ramp_windows
    assert alphas == [0.0, ramp, 0.0, 2 * ramp]
    stored = store.load(feed)
    assert (stored.window, stored.seq) == (3, 3)
    # high: max rate; medium: max(0.4, 1.0 x decay); calm: x decay again
    rate = policy.max_rate * policy.decay * policy.decay
    assert stored.state == a.state == InjectionState(rate, 2 * ramp, "ev-medium", "medium")
    assert WindowProfile.deserialize(stored.previous).window_id == 3


def test_windows_judged_out_of_order_get_the_rate_of_their_place() -> None:
    """A backlog spread over the window-profiles partitions: the drifted window 4 is judged
    before the calm windows 1-3 and the drifted 5; those before the drift get no injection."""
    store, feed = _store(), unique("inj-order")
    a, b = _steering(store, feed), _steering(store, feed)

    async def run() -> dict[int, str]:
        events = {}
        for steering, window in [(a, 4), (b, 1), (a, 6), (b, 3), (a, 5), (b, 0)]:
            event = _event("high", 3.0) if window >= 4 else None
            verdict = await steering.after(_window(feed, window, 100.0 * (window >= 4)), 1, event)
            events[window] = verdict.event_id  # the transition it belongs to ("": none)
        return events

    events = asyncio.run(run())  # (no model here: verdicts name the transition, rate 0)
    assert events == {0: "", 1: "", 3: "", 4: "ev-high", 5: "ev-high", 6: "ev-high"}
    stored = store.load(feed)
    assert (stored.window, [w for w, _ in stored.history]) == (6, [4, 6])


def test_the_feeds_lock_is_given_back_by_another_thread_than_took_it() -> None:
    store, feed = _store(), unique("inj-lock")
    lock = store.lock(feed, 1.0)
    took = threading.Thread(target=lock.acquire)
    took.start()
    took.join()
    assert not store.lock(feed, 0.1).acquire()  # held
    lock.release()  # from this thread (the worker's pool hands turns to any of its threads)
    assert store.lock(feed, 0.1).acquire()
