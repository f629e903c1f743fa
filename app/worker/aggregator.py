"""Merges partial window profiles (one or more per partition) into whole windows.

A window is ready when every partition has closed it, or when ``grace`` seconds passed since
its first partial arrived (idle partitions, parts that never come), or since the last
rebalance that moved partitions (:meth:`rebalanced`: their new owners start reading), and
the partitions it still waits for have sent nothing for ``grace`` seconds either: a
partition whose partials of earlier windows keep coming is behind (another worker still
reading a backlog), not gone, and its part of the window is on its way. At most
``max_waiting`` windows wait like that; beyond, the oldest go by the grace period alone
(memory stays bounded when one worker stays far behind). Grace is counted on a
:class:`ListeningClock`: time the aggregator spends judging windows does not count, since
the partials it has not read yet are waiting behind that work, not missing. Partials of
windows already decided are dropped and counted as late. Partials are idempotent by their
source (partition, offset) in the window-profiles topic, so a redelivery after a consumer
rebalance counts once. A window's partials are kept as they come and merged once, when it
is decided (one sketch union for all of them). A window ready to be decided waits, up to
``grace`` seconds more, for the earlier windows of this aggregator that its partials name
(``earlier``): their partials were sent before its own, so they are on their way, and the
windows are judged in window order even when a backlog is read out of order.

The aggregator itself is a value in memory; the agent that feeds it keeps its partials and
decisions in Redis too (``app.repository.aggregates``). Each worker aggregates the windows
of its partitions of the window-profiles topic (``app.worker.routing``): given partitions,
it continues their windows from Redis (:meth:`restore`); losing some, it drops theirs
(:meth:`forget`).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from app.profile.window import WindowProfile

REMEMBERED = 1024
# windows past their grace period waiting for partitions that are behind: each keeps its
# partials (~160 kB each for 20 fields) until decided; a worker held back by its output
# (DRIFTMEND_HOLD_MAX_RECORDS) is ~40 windows of 10,000 records ahead at most
MAX_WAITING = 64


class ListeningClock:
    """Monotonic seconds that stand still while the aggregator is busy (``with busy():``,
    nested or overlapping uses count once)."""

    def __init__(self, base: Callable[[], float] = time.monotonic) -> None:
        self._base = base
        self._paused = 0.0
        self._depth = 0
        self._since = 0.0

    def __call__(self) -> float:
        now = self._base()
        return now - self._paused - (now - self._since if self._depth else 0.0)

    @contextmanager
    def busy(self) -> Iterator[None]:
        if self._depth == 0:
            self._since = self._base()
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._paused += self._base() - self._since


@dataclass
class _Pending:
    parts: list[WindowProfile]  # merged once, when the window is decided
    closed: set[int] = field(default_factory=set)
    sources: set[tuple[int, int]] = field(default_factory=set)
    first_seen: float = 0.0
    earlier: dict[int, int] = field(default_factory=dict)  # its windows sent before -> partition
    ready_at: float = math.inf  # when it could be decided (it waits for ``earlier``)

    @property
    def profile(self) -> WindowProfile:
        return WindowProfile.merged(self.parts)


class WindowAggregator:
    def __init__(
        self,
        partitions: int,
        grace_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_waiting: int = MAX_WAITING,
    ) -> None:
        self.partitions = partitions
        self.grace = grace_seconds
        self.clock = clock
        self.max_waiting = max_waiting
        self.late = 0
        self.duplicates = 0
        self._pending: dict[tuple[str, int], _Pending] = {}
        self._decided: OrderedDict[tuple[str, int], None] = OrderedDict()
        self._heard: dict[int, float] = {}  # partition -> when a partial of it last came

    def add(
        self,
        partial: WindowProfile,
        closed: bool,
        source: tuple[int, int] | None = None,
        earlier: Iterable[tuple[int, int]] = (),
    ) -> list[WindowProfile]:
        """Merge a partial; ``closed``: its partitions will send nothing more for the window;
        ``source``: where the partial was read (a second delivery of it is ignored);
        ``earlier``: windows of this aggregator sent before it, each with the partition of
        the window-profiles topic it goes to. The windows now decided."""
        key = (partial.feed, partial.window_id)
        now = self.clock()
        self._heard.update(dict.fromkeys(partial.partitions, now))  # late ones too: alive
        if key in self._decided:
            self.late += 1
            return []
        pending = self._pending.get(key)
        if pending is not None and source is not None and source in pending.sources:
            self.duplicates += 1
            return []
        if pending is None:
            pending = self._pending[key] = _Pending([partial], first_seen=now)
        else:
            pending.parts.append(partial)
        if source is not None:
            pending.sources.add(source)
        if closed:
            pending.closed |= partial.partitions
        pending.earlier.update((w, p) for w, p in earlier if w < partial.window_id)
        if len(pending.closed) >= self.partitions:
            return self._release([key], now)
        return []

    def expire(self) -> list[WindowProfile]:
        """Windows whose grace ran out (for them and for the partitions they wait for), and
        restored ones that are complete."""
        now = self.clock()
        order = sorted(self._pending, key=_wid)
        beyond = set(order[: max(len(order) - self.max_waiting, 0)])  # the oldest, if too many
        due = []
        for key in order:
            pending = self._pending[key]
            if len(pending.closed) >= self.partitions or (
                now - pending.first_seen >= self.grace
                and (key in beyond or self._silent(pending.closed, now))
            ):
                due.append(key)
        return self._release(due, now)

    def _release(self, due: Iterable[tuple[str, int]], now: float) -> list[WindowProfile]:
        """Mark ``due`` ready; decide, in window order, the ready windows whose earlier
        windows are decided, or that waited ``grace`` for them."""
        for key in due:
            pending = self._pending[key]
            pending.ready_at = min(pending.ready_at, now)
        ready = sorted((k for k, p in self._pending.items() if p.ready_at <= now), key=_wid)
        out = []
        for key in ready:
            pending = self._pending[key]
            waiting = any((key[0], w) not in self._decided for w in pending.earlier)
            if not waiting or now - pending.ready_at >= self.grace:
                out.append(self._decide(key))
        return out

    def _silent(self, closed: set[int], now: float) -> bool:
        """Whether every partition not in ``closed`` sent nothing for the grace period."""
        return all(
            now - self._heard.get(p, -math.inf) >= self.grace
            for p in range(self.partitions)
            if p not in closed
        )

    def rebalanced(self) -> None:
        """Partitions changed hands (a worker published partials of the partitions it lost):
        every pending window gets a whole grace period from now for their new owners."""
        now = self.clock()
        for pending in self._pending.values():
            pending.first_seen = now

    def restore(
        self,
        feed: str,
        decided: Iterable[int],
        partials: Iterable[tuple[WindowProfile, bool, tuple[int, int]]],
    ) -> None:
        """Continue from a stored state: windows already decided, then the partials of the
        pending ones (complete windows come out of the next :meth:`expire`)."""
        for window_id in sorted(decided):
            self._remember((feed, window_id))
        for partial, closed, source in partials:
            key = (partial.feed, partial.window_id)
            if key in self._decided:
                continue
            pending = self._pending.get(key)
            if pending is not None and source in pending.sources:
                continue
            if pending is None:
                pending = self._pending[key] = _Pending([partial], first_seen=self.clock())
            else:
                pending.parts.append(partial)
            pending.sources.add(source)
            if closed:
                pending.closed |= partial.partitions

    def pending(self) -> list[WindowProfile]:
        """The windows not decided yet, as merged so far (in window order)."""
        return [p.profile for _, p in sorted(self._pending.items(), key=lambda kv: kv[0][1])]

    def forget(self, sources: Iterable[int] | None = None) -> None:
        """Drop the pending windows read from these partitions of the window-profiles topic
        (another worker owns them now; None: every one)."""
        if sources is None:
            self._pending.clear()
            return
        lost = set(sources)
        for key in [k for k, p in self._pending.items() if {s for s, _ in p.sources} & lost]:
            del self._pending[key]
        for pending in self._pending.values():  # their windows are another's to decide now
            pending.earlier = {w: p for w, p in pending.earlier.items() if p not in lost}

    def _decide(self, key: tuple[str, int]) -> WindowProfile:
        pending = self._pending.pop(key)
        self._remember(key)
        return pending.profile

    def _remember(self, key: tuple[str, int]) -> None:
        self._decided[key] = None
        while len(self._decided) > REMEMBERED:
            self._decided.popitem(last=False)


def _wid(key: tuple[str, int]) -> int:
    return key[1]
