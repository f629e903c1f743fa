"""The aggregator's Redis calls leave the event loop free (a store that hangs, in memory)."""

from __future__ import annotations

import asyncio
import time
from collections import namedtuple
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client import Counter as PromCounter

from app.profile import ProfileBuilder
from app.repository.aggregates import StoredPartial
from app.worker.aggregator import WindowAggregator
from app.worker.durable_aggregator import DurableAggregator

TP = namedtuple("TP", "topic partition")


class SlowStore:
    """An AggregateStore whose every call takes ``seconds`` (a Redis that hangs)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.added: list[StoredPartial] = []
        self.decided_ids: list[int] = []

    def load(self, feed: str, topic: str) -> tuple[list[StoredPartial], list[int]]:
        time.sleep(self.seconds)
        return [], []

    def add(self, feed: str, topic: str, partial: StoredPartial) -> None:
        time.sleep(self.seconds)
        self.added.append(partial)

    def decided(self, feed: str, topic: str, window_id: int) -> None:
        time.sleep(self.seconds)
        self.decided_ids.append(window_id)


def test_a_hanging_store_does_not_stop_the_event_loop() -> None:
    builder = ProfileBuilder()
    builder.add([{"x": float(i)} for i in range(10)])
    partial = builder.snapshot("f", 0, 0, 5, frozenset({0}))
    store = SlowStore(0.3)
    durable = DurableAggregator(
        WindowAggregator(partitions=1, grace_seconds=60, clock=lambda: 0.0),
        store,  # type: ignore[arg-type]
        "f",
        "in",
        "profiles",
    )

    async def run() -> tuple[list[Any], int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        await durable.assigned({TP("profiles", 0)})
        [window] = await durable.add(partial, partial.serialize(), True, (0, 7))
        await durable.decided(window)
        ticker.cancel()
        return [window], ticks

    [window], ticks = asyncio.run(run())
    assert window.records == 10
    assert [p.source for p in store.added] == [(0, 7)] and store.decided_ids == [0]
    assert ticks >= 30  # ~0.9 s of store calls: the loop ran all along (10 ms ticks)


def test_a_partial_after_its_windows_verdict_is_counted_and_dropped() -> None:
    registry = CollectorRegistry()
    late = PromCounter("late_partials", "test", registry=registry)
    now = [0.0]
    durable = DurableAggregator(
        WindowAggregator(partitions=2, grace_seconds=5, clock=lambda: now[0]),
        None,
        "f",
        "in",
        "profiles",
        late_partials=late,
    )

    def partial(partition: int) -> Any:
        builder = ProfileBuilder()
        builder.add([{"x": float(i)} for i in range(10)])
        return builder.snapshot("f", 3, 0, 5, frozenset({partition}))

    first, second = partial(0), partial(1)
    assert asyncio.run(durable.add(first, first.serialize(), True, (0, 1))) == []
    now[0] = 6.0
    [window] = durable.expire()  # the grace period ran out: judged on partition 0 alone
    assert window.records == 10
    assert asyncio.run(durable.add(second, second.serialize(), True, (0, 2))) == []
    assert durable.late == 1
    assert registry.get_sample_value("late_partials_total") == 1.0


class StoredState(SlowStore):
    """An AggregateStore holding partials of windows read from two partitions."""

    def __init__(self, partials: list[StoredPartial]) -> None:
        super().__init__(0.0)
        self.partials = partials

    def load(self, feed: str, topic: str) -> tuple[list[StoredPartial], list[int]]:
        return self.partials, []


def _partial(window_id: int, partition: int) -> Any:
    builder = ProfileBuilder()
    builder.add([{"x": float(i)} for i in range(10)])
    return builder.snapshot("f", window_id, 0, 5, frozenset({partition}))


def test_partitions_gained_restore_their_windows_and_partitions_lost_drop_theirs() -> None:
    # windows 4 and 5 were read from partitions 0 and 1 of the window-profiles topic
    stored = [StoredPartial(w, (w % 2, 10 + w), False, _partial(w, 0).serialize()) for w in (4, 5)]
    aggregator = WindowAggregator(partitions=2, grace_seconds=60, clock=lambda: 0.0)
    durable = DurableAggregator(aggregator, StoredState(stored), "f", "in", "profiles")  # type: ignore[arg-type]

    asyncio.run(durable.assigned({TP("profiles", 1), TP("other", 0)}))
    assert [w.window_id for w in aggregator.pending()] == [5]  # partition 0's is another's
    asyncio.run(durable.assigned({TP("profiles", 0), TP("profiles", 1)}))
    assert [w.window_id for w in aggregator.pending()] == [4, 5]  # 5 is not restored twice
    assert [w.records for w in aggregator.pending()] == [10, 10]
    new = _partial(6, 1)
    asyncio.run(durable.add(new, new.serialize(), False, (0, 30)))
    asyncio.run(durable.assigned({TP("profiles", 1)}))
    assert [w.window_id for w in aggregator.pending()] == [5]  # 4 and 6 came from partition 0


def test_a_window_waits_only_for_the_earlier_windows_of_this_worker() -> None:
    aggregator = WindowAggregator(partitions=1, grace_seconds=60, clock=lambda: 0.0)
    durable = DurableAggregator(aggregator, None, "f", "in", "profiles")
    asyncio.run(durable.assigned({TP("profiles", 0)}))

    def add(window: int, earlier: list[tuple[int, int]]) -> list[int]:
        partial = _partial(window, 0)
        done = asyncio.run(durable.add(partial, b"", True, (0, window), earlier))
        return [w.window_id for w in done]

    # window 3 names 1 (partition 0: this worker's) and 2 (partition 1: another's)
    assert add(3, [(1, 0), (2, 1)]) == []
    assert add(1, []) == [1, 3]
