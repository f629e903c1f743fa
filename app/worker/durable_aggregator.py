"""The aggregator of a worker's partitions of the window-profiles topic, with its state in Redis.

Every partial is stored (as read) before it is merged, and every decided window is marked
after it is judged. When this worker is given partitions of the window-profiles topic it
restores their windows from the stored state, so a takeover after the owner died loses no
partial, counts none twice and decides no window twice; when partitions go to another
worker it drops their pending windows (``app.worker.routing``: a window's partials all come
from one partition).
Redis being away costs durability only: the aggregation goes on in memory (and says so).
The Redis calls run in a thread: a Redis that hangs (up to the client's 10 s timeout)
delays the aggregation, not the worker's event loop (its group heartbeats, the REST API).

Left open: a crash between publishing a window's verdict and marking it decided lets the
next owner decide that one window again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from prometheus_client import Counter, Gauge

from app.errors import DriftmendError, SketchError
from app.profile.window import WindowProfile
from app.repository.aggregates import AggregateStore, StoredPartial
from app.worker.aggregator import WindowAggregator

log = logging.getLogger(__name__)


class DurableAggregator:
    def __init__(
        self,
        aggregator: WindowAggregator,
        store: AggregateStore | None,
        feed: str,
        input_topic: str,
        profiles_topic: str,
        late_partials: Counter | None = None,
        judging: Gauge | None = None,
    ) -> None:
        """``late_partials``: counts the partials that came after their window's verdict;
        ``judging``: set to how many partitions of the window-profiles topic this owns."""
        self.aggregator = aggregator
        self.late_partials = late_partials
        self.judging = judging
        self.store = store
        self.feed = feed
        self.input_topic = input_topic
        self.profiles_topic = profiles_topic
        self.owned: set[int] = set()  # partitions of the window-profiles topic

    async def assigned(self, partitions: Iterable[Any]) -> None:
        """The faust consumer's new assignment (topic-partition tuples): windows of the
        partitions gained are restored, those of the partitions lost dropped."""
        owned = {tp.partition for tp in partitions if tp.topic == self.profiles_topic}
        lost, gained = self.owned - owned, owned - self.owned
        if lost:
            self.aggregator.forget(lost)
        if gained:
            await self._restore(gained)
        self.owned = owned
        if self.judging is not None:
            self.judging.set(len(owned))

    async def _restore(self, gained: set[int]) -> None:
        if self.store is None:
            return
        try:
            stored, decided = await asyncio.to_thread(self.store.load, self.feed, self.input_topic)
        except DriftmendError as exc:
            log.warning("windows in flight not restored: %s", exc)
            return
        partials = []
        for item in stored:
            if item.source[0] not in gained:  # another worker's window
                continue
            try:
                partials.append((WindowProfile.deserialize(item.data), item.closed, item.source))
            except SketchError as exc:
                log.warning("dropping a stored partial of window %d: %s", item.window_id, exc)
        self.aggregator.restore(self.feed, decided, partials)
        if partials:
            log.info(
                "restored %d partials of %d windows in flight",
                len(partials),
                len({p.window_id for p, _, _ in partials}),
            )

    async def add(
        self,
        partial: WindowProfile,
        data: bytes,
        closed: bool,
        source: tuple[int, int],
        earlier: Iterable[tuple[int, int]] = (),
    ) -> list[WindowProfile]:
        """Store the partial, then merge it; the windows now decided (``earlier``: the
        windows its profiler sent before, with their partitions: it waits for this
        worker's)."""
        if self.store is not None:
            try:
                await asyncio.to_thread(
                    self.store.add,
                    self.feed,
                    self.input_topic,
                    StoredPartial(partial.window_id, source, closed, data),
                )
            except DriftmendError as exc:
                log.warning("partial of window %d kept in memory only: %s", partial.window_id, exc)
        late = self.aggregator.late
        own = [(w, p) for w, p in earlier if p in self.owned]
        complete = self.aggregator.add(partial, closed, source, own)
        if self.aggregator.late > late:
            if self.late_partials is not None:
                self.late_partials.inc()
            log.warning(
                "window %d was judged before this partial of partitions %s came (the grace "
                "period ran out): its %d records are not in the verdict",
                partial.window_id,
                sorted(partial.partitions),
                partial.records,
            )
        return complete

    def expire(self) -> list[WindowProfile]:
        return self.aggregator.expire()

    @property
    def late(self) -> int:
        """Partials that came after their window was decided, so far."""
        return self.aggregator.late

    def rebalanced(self) -> None:
        self.aggregator.rebalanced()

    async def decided(self, window: WindowProfile) -> None:
        if self.store is not None:
            try:
                await asyncio.to_thread(
                    self.store.decided, self.feed, self.input_topic, window.window_id
                )
            except DriftmendError as exc:
                log.warning("decision of window %d not stored: %s", window.window_id, exc)
