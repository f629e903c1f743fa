"""Open windows close once every partition that fed them has moved on."""

from __future__ import annotations

from app.detectors import AdwinMonitor
from app.profile import ProfileBuilder
from app.worker.open_windows import Batch, OpenWindows


def _batch(window: int, partitions: set[int], n: int) -> Batch:
    return Batch(window, [{"x": float(i)} for i in range(n)], set(partitions), 0, 10, 20)


def test_window_closes_when_all_its_partitions_moved_on() -> None:
    open_windows = OpenWindows("f", ProfileBuilder, AdwinMonitor())
    open_windows.add(_batch(0, {0, 1}, 10))
    open_windows.add(_batch(1, {0}, 5))
    assert open_windows.closable() == []  # partition 1 may still send window 0
    open_windows.add(_batch(1, {1}, 5))
    [closed] = open_windows.closable()
    assert (closed.window_id, closed.records, closed.partitions) == (0, 10, frozenset({0, 1}))
    assert len(open_windows) == 1


def test_drain_returns_everything_open_in_order() -> None:
    open_windows = OpenWindows("f", ProfileBuilder, AdwinMonitor())
    open_windows.add(_batch(3, {2}, 4))
    open_windows.add(_batch(2, {1}, 4))
    assert [w.window_id for w in open_windows.drain([1, 2])] == [2, 3]
    assert len(open_windows) == 0
