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
