"""The windows a worker is still filling, across all partitions it owns.

Records of one window from several partitions share one profile builder (one set of sketch
calls per batch, not one per partition). A window closes once every partition that fed it
has moved on to a later window; its profile is then published as a partial for the
aggregator, naming the partitions it covers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.detectors.adwin import AdwinMonitor
from app.profile.builder import ProfileBuilder
from app.profile.window import WindowProfile

NO_TIME = 2**62


@dataclass
class Batch:
    """Decoded records of one window from one consumer batch."""

    window_id: int
    records: list[dict[str, Any]] = field(default_factory=list)
    partitions: set[int] = field(default_factory=set)
    errors: int = 0
    lo_ms: int = NO_TIME
    hi_ms: int = 0


@dataclass
class _Open:
    builder: ProfileBuilder
    partitions: set[int] = field(default_factory=set)
    lo_ms: int = NO_TIME
    hi_ms: int = 0


class OpenWindows:
    def __init__(
        self, feed: str, new_builder: Callable[[], ProfileBuilder], adwin: AdwinMonitor
    ) -> None:
        self.feed = feed
        self.new_builder = new_builder
        self.adwin = adwin
        self._open: dict[int, _Open] = {}
        self._position: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._open)

    def add(self, batch: Batch) -> None:
        window = self._open.get(batch.window_id)
        if window is None:
            window = self._open[batch.window_id] = _Open(self.new_builder())
        window.partitions |= batch.partitions
        window.lo_ms = min(window.lo_ms, batch.lo_ms)
        window.hi_ms = max(window.hi_ms, batch.hi_ms)
        window.builder.decode_errors += batch.errors
        for p in batch.partitions:
            self._position[p] = max(self._position.get(p, batch.window_id), batch.window_id)
        if not batch.records:
            return
        for name, values in window.builder.add(batch.records).items():
            alarms = self.adwin.update(name, values)
            if alarms:
                window.builder.add_alarms(name, alarms)

    def closable(self) -> list[WindowProfile]:
        """Pop the windows every contributing partition has moved past."""
        done = [
            wid
            for wid, w in self._open.items()
            if all(self._position.get(p, wid) > wid for p in w.partitions)
        ]
        return [self._pop(wid) for wid in sorted(done)]

    def drain(self, partitions: Sequence[int] | None = None) -> list[WindowProfile]:
        """Pop every open window (``partitions`` given: forget those partitions too)."""
        out = [self._pop(wid) for wid in sorted(self._open)]
        for p in partitions or ():
            self._position.pop(p, None)
        return out

    def _pop(self, window_id: int) -> WindowProfile:
        w = self._open.pop(window_id)
        return w.builder.snapshot(
            self.feed,
            window_id,
            w.lo_ms if w.lo_ms < NO_TIME else 0,
            w.hi_ms,
            frozenset(w.partitions),
        )
