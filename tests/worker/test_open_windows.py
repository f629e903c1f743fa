"""Open windows close once every partition that fed them has moved on."""

from __future__ import annotations

from app.detectors import AdwinMonitor
from app.profile import ProfileBuilder
from app.worker.open_windows import Batch, OpenWindows


def _batch(window: int, partitions: set[int], n: int) -> Batch:
    parts = sorted(partitions)
    return Batch(
        window,
        [{"x": float(i)} for i in range(n)],
        record_partitions=[parts[i % len(parts)] for i in range(n)],
        partitions=set(partitions),
        lo_ms=10,
        hi_ms=20,
    )


def _windows() -> OpenWindows:
    return OpenWindows("f", ProfileBuilder, AdwinMonitor, lambda name: True)


def test_window_closes_when_all_its_partitions_moved_on() -> None:
    open_windows = _windows()
    open_windows.add(_batch(0, {0, 1}, 10))
    open_windows.add(_batch(1, {0}, 5))
    assert open_windows.closable() == []  # partition 1 may still send window 0
    open_windows.add(_batch(1, {1}, 5))
    [closed] = open_windows.closable()
    assert (closed.window_id, closed.records, closed.partitions) == (0, 10, frozenset({0, 1}))
    assert len(open_windows) == 1


def test_drain_returns_everything_open_in_order() -> None:
    open_windows = _windows()
    open_windows.add(_batch(3, {2}, 4))
    open_windows.add(_batch(2, {1}, 4))
    assert [w.window_id for w in open_windows.drain([1, 2])] == [2, 3]
    assert len(open_windows) == 0


def test_adwin_alarms_do_not_depend_on_partition_ownership() -> None:
    import numpy as np

    rng = np.random.default_rng(5)
    n = 30_000
    values = {
        0: np.concatenate([rng.normal(0, 1, n // 2), rng.normal(1, 1, n // 2)]),
        1: rng.normal(0, 1, n),
    }
    records = []
    for i in range(n):  # interleaved as one worker owning both partitions would see them
        records += [({"x": float(values[0][i])}, 0), ({"x": float(values[1][i])}, 1)]

    def alarms(owned: list[set[int]]) -> int:
        total = 0
        for parts in owned:
            mine = [(r, p) for r, p in records if p in parts]
            windows = _windows()
            for start in range(0, len(mine), 5_000):
                chunk = mine[start : start + 5_000]
                windows.add(
                    Batch(
                        0,
                        [r for r, _ in chunk],
                        record_partitions=[p for _, p in chunk],
                        partitions={p for _, p in chunk},
                    )
                )
            total += sum(w.fields["x"].adwin_alarms for w in windows.drain())
        return total

    one_worker, two_workers = alarms([{0, 1}]), alarms([{0}, {1}])
    assert one_worker == two_workers >= 1
