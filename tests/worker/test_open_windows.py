"""Open windows close once every partition that fed them has moved on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from app.codecs import JsonCodec
from app.codecs.columns import Columns
from app.detectors import AdwinMonitor
from app.profile import ProfileBuilder
from app.worker.batch import Batch
from app.worker.open_windows import MAX_WAITING, PROFILE_RECORDS, OpenWindows
from app.worker.windows import WindowClock


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


def _windows(wait_seconds: float = 1.0, clock: Callable[[], float] = lambda: 0.0) -> OpenWindows:
    return OpenWindows(
        "f", ProfileBuilder, AdwinMonitor, lambda name: True, wait_seconds=wait_seconds, clock=clock
    )


def test_window_closes_when_all_its_partitions_moved_on() -> None:
    open_windows = _windows()
    open_windows.add(_batch(0, {0, 1}, 10))
    open_windows.add(_batch(1, {0}, 5))
    assert open_windows.closable() == []  # partition 1 may still send window 0
    open_windows.add(_batch(1, {1}, 5))
    [closed] = open_windows.closable()
    assert (closed.window_id, closed.records, closed.partitions) == (0, 10, frozenset({0, 1}))
    assert len(open_windows) == 1


def test_popped_says_up_to_where_each_partition_is_published() -> None:
    open_windows = _windows(wait_seconds=0.0)  # no waiting for partition 1
    early, later = _batch(0, {0, 1}, 10), _batch(1, {0, 2}, 6)
    early.first_offsets, early.last_offsets = {0: 0, 1: 0}, {0: 4, 1: 4}
    later.first_offsets, later.last_offsets = {0: 5, 2: 0}, {0: 7, 2: 2}
    open_windows.add(early)
    open_windows.add(later)
    open_windows.add(_batch(2, {0, 2}, 2))
    # window 1 closes on partitions 0 and 2 while window 0 waits for partition 1: partition
    # 0 is published from window 1 on, but its offsets 0-4 (window 0) are not yet
    assert [w.window_id for w in open_windows.closable()] == [1]
    assert open_windows.popped() == {0: -1, 2: 2}
    assert open_windows.popped() == {}  # reported once
    open_windows.add(_batch(2, {1}, 2))
    assert [w.window_id for w in open_windows.closable()] == [0]
    assert open_windows.popped() == {0: 4, 1: 4}


def test_a_window_waits_for_a_partition_behind_it_and_closes_whole() -> None:
    open_windows = _windows()
    open_windows.add(_batch(0, {0, 1, 2}, 6))
    open_windows.add(_batch(1, {0, 1}, 4))
    open_windows.add(_batch(2, {0, 1}, 4))  # partitions 0 and 1 left window 1; 2 is behind
    assert open_windows.closable() == []
    open_windows.add(_batch(1, {2}, 3))
    assert [(w.window_id, w.partitions) for w in open_windows.closable()] == [
        (0, frozenset({0, 1, 2}))
    ]
    open_windows.add(_batch(2, {2}, 3))
    [closed] = open_windows.closable()  # one partial of window 1, not two
    assert (closed.window_id, closed.partitions, closed.records) == (1, frozenset({0, 1, 2}), 7)


def test_a_partition_that_stays_behind_is_waited_for_a_while() -> None:
    now = [0.0]
    open_windows = _windows(wait_seconds=1.0, clock=lambda: now[0])
    open_windows.add(_batch(0, {0, 1}, 10))  # partition 1 goes idle in window 0
    open_windows.add(_batch(1, {0}, 5))
    open_windows.add(_batch(2, {0}, 5))
    assert open_windows.closable() == []
    now[0] = 0.5
    assert open_windows.closable() == []
    now[0] = 1.2  # window 1 has waited long enough; window 0 still has partition 1 in it
    assert [w.window_id for w in open_windows.closable()] == [1]


def test_only_so_many_windows_wait() -> None:
    open_windows = _windows()
    open_windows.add(_batch(0, {1}, 2))  # partition 1 stays behind every later window
    for window in range(1, MAX_WAITING + 4):
        open_windows.add(_batch(window, {0}, 2))
    closed = [w.window_id for w in open_windows.closable()]
    assert closed == list(range(1, 3))  # the oldest beyond MAX_WAITING go at once
    assert len(open_windows) == MAX_WAITING + 2  # window 0, the waiting, the one filling


def test_drain_returns_everything_open_in_order() -> None:
    open_windows = _windows()
    open_windows.add(_batch(3, {2}, 4))
    open_windows.add(_batch(2, {1}, 4))
    assert [w.window_id for w, _ in open_windows.drain([1, 2])] == [2, 3]
    assert len(open_windows) == 0


def _counted(per_partition: int) -> OpenWindows:
    clock = WindowClock(2, window_records=2 * per_partition)
    return OpenWindows(
        "f", ProfileBuilder, AdwinMonitor, lambda name: True, last_offset=clock.last_offset
    )


def _span(window: int, partition: int, first: int, last: int) -> Batch:
    n = last - first + 1
    return Batch(
        window,
        [{"x": float(i)} for i in range(n)],
        record_partitions=[partition] * n,
        record_offsets=list(range(first, last + 1)),
        partitions={partition},
        first_offsets={partition: first},
        last_offsets={partition: last},
    )


def test_a_count_window_closes_at_its_last_offset() -> None:
    windows = _counted(per_partition=10)
    windows.add(_span(0, 0, 0, 9))
    windows.add(_span(0, 1, 0, 4))
    assert windows.closable() == []  # partition 1 may still send window 0
    windows.add(_span(0, 1, 5, 9))  # its last offset: no record of window 1 is needed
    [closed] = windows.closable()
    assert (closed.window_id, closed.records, closed.partitions) == (0, 20, frozenset({0, 1}))


def test_drained_windows_name_the_partitions_done_with_them() -> None:
    windows = _counted(per_partition=10)
    windows.add(_span(0, 0, 0, 9))  # partition 0: window 0 read to its end
    windows.add(_span(0, 1, 0, 3))  # partition 1: part of window 0
    windows.add(_span(1, 0, 10, 12))  # partition 0 moved on
    drained = windows.drain([1])
    assert [(w.window_id, w.records, done) for w, done in drained] == [
        (0, 14, frozenset({0})),
        (1, 3, frozenset()),
    ]


def test_time_windows_are_done_once_moved_past() -> None:
    windows = _windows()  # no last offsets
    windows.add(_batch(0, {0, 1}, 10))
    windows.add(_batch(1, {0}, 5))
    assert [(w.window_id, done) for w, done in windows.drain()] == [
        (0, frozenset({0})),
        (1, frozenset()),
    ]


def test_adwin_alarms_do_not_depend_on_partition_ownership() -> None:
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
            total += sum(w.fields["x"].adwin_alarms for w, _ in windows.drain())
        return total

    one_worker, two_workers = alarms([{0, 1}]), alarms([{0}, {1}])
    assert one_worker == two_workers >= 1


class _Memory:
    """Checkpoints kept in a dict (the Redis store's interface)."""

    def __init__(self) -> None:
        self.saved: dict[int, tuple[bytes, int]] = {}

    def load(self, partition: int) -> tuple[bytes, int] | None:
        return self.saved.get(partition)

    def save(self, partition: int, state: bytes, offset: int) -> None:
        self.saved[partition] = (state, offset)


def _offset_batch(window: int, values: list[float], first: int) -> Batch:
    return Batch(
        window,
        [{"x": v} for v in values],
        record_partitions=[0] * len(values),
        record_offsets=list(range(first, first + len(values))),
        partitions={0},
    )


@pytest.mark.parametrize("profile_records", [1, PROFILE_RECORDS])
def test_adwin_continues_after_a_restart_and_sees_no_record_twice(profile_records: int) -> None:
    values = np.random.default_rng(9).normal(0, 1, 3_000).tolist()
    store = _Memory()

    def windows(checkpoints: _Memory | None = None) -> OpenWindows:
        return OpenWindows(
            "f",
            ProfileBuilder,
            AdwinMonitor,
            lambda name: True,
            checkpoints,
            profile_records=profile_records,
        )

    before = windows(store)
    before.add(_offset_batch(0, values[:1_000], 0))
    before.add(_offset_batch(1, values[1_000:1_500], 1_000))
    assert [w.window_id for w in before.closable()] == [0]
    # the state as of the last offset it saw (window 1's records are fed with the rest of
    # the window unless every batch is profiled at once)
    assert store.saved[0][1] == (1_499 if profile_records == 1 else 999)
    # restarted: the input is read again from the committed offset (1,000, window 1's start)
    after = windows(store)
    after.add(_offset_batch(1, values[1_000:2_000], 1_000))
    uninterrupted = windows()
    uninterrupted.add(_offset_batch(0, values[:1_000], 0))
    uninterrupted.add(_offset_batch(1, values[1_000:2_000], 1_000))
    [(window, _)] = after.drain()
    uninterrupted.drain()
    assert after._adwin[0].state() == uninterrupted._adwin[0].state()
    assert window.records == 1_000  # the window itself is profiled whole again


class _Seen:
    """An ADWIN monitor that keeps what it is fed, per field."""

    def __init__(self) -> None:
        self.fed: dict[str, list[float]] = {}

    def update(self, name: str, values: object) -> int:
        self.fed.setdefault(name, []).extend(np.asarray(values).tolist())
        return 0


@pytest.mark.parametrize("as_columns", [False, True])
def test_adwin_reads_each_partition_in_offset_order(as_columns: bool) -> None:
    rng = np.random.default_rng(3)
    n = 600
    parts = rng.integers(0, 3, n).tolist()  # partitions interleaved at random
    records = [
        {"x": float(i), "y": None if i % 7 == 0 else float(i), "z": "a" if i % 5 else i}
        for i in range(n)
    ]
    monitors: list[_Seen] = []

    def new_monitor() -> _Seen:
        monitors.append(_Seen())
        return monitors[-1]

    windows = OpenWindows("f", ProfileBuilder, new_monitor, lambda name: True)  # type: ignore[arg-type]
    codec = JsonCodec()
    batch = codec.decode_columns([codec.encode(r) for r in records]) if as_columns else records
    assert as_columns == isinstance(batch, Columns)
    windows.add(Batch(0, batch, record_partitions=parts, partitions=set(parts)))
    [(window, _)] = windows.drain()
    fed = dict(zip(sorted(set(parts)), monitors, strict=True))
    for p, monitor in fed.items():
        mine = [r for r, q in zip(records, parts, strict=True) if q == p]
        assert monitor.fed["x"] == [r["x"] for r in mine]
        assert monitor.fed["y"] == [r["y"] for r in mine if r["y"] is not None]
        assert monitor.fed["z"] == [r["z"] for r in mine if isinstance(r["z"], int)]
    assert window.records == n and window.fields["y"].nulls == len(range(0, n, 7))


class _Counting(ProfileBuilder):
    """A profile builder that notes the size of every batch it is given."""

    calls: list[int] = []

    def add(self, records: Any, keys: np.ndarray | None = None) -> dict[str, np.ndarray]:
        self.calls.append(len(records))
        return super().add(records, keys)


def _run(partition: int, window: int, first: int, last: int, as_columns: bool) -> Batch:
    """Records of ``partition`` at offsets ``first..last`` (x = the partition's offset)."""
    rows = [{"x": float(o), "p": partition} for o in range(first, last + 1)]
    codec = JsonCodec()
    records = codec.decode_columns([codec.encode(r) for r in rows]) if as_columns else rows
    return Batch(
        window,
        records,  # type: ignore[arg-type]
        record_partitions=[partition] * len(rows),
        record_offsets=list(range(first, last + 1)),
        partitions={partition},
        first_offsets={partition: first},
        last_offsets={partition: last},
    )


@pytest.mark.parametrize("as_columns", [False, True])
def test_a_windows_records_wait_and_are_profiled_together(as_columns: bool) -> None:
    _Counting.calls = []
    monitors: dict[int, _Seen] = {}

    def new_monitor() -> _Seen:
        monitors[len(monitors)] = _Seen()
        return monitors[len(monitors) - 1]

    windows = OpenWindows(
        "f",
        _Counting,
        new_monitor,  # type: ignore[arg-type]
        lambda name: name == "x",
        profile_records=1_000,
    )
    # consumer batches as a backlog is read: a run of one partition across two windows
    windows.add(_run(0, 0, 0, 299, as_columns))
    windows.add(_run(0, 1, 300, 499, as_columns))
    windows.add(_run(1, 0, 0, 299, as_columns))
    assert _Counting.calls == []  # nothing profiled yet
    windows.add(_run(1, 1, 300, 1_099, as_columns))  # window 1 has 1,000 records waiting
    assert _Counting.calls == [600, 1_000]  # window 0 first (each partition in order)
    assert monitors[0].fed["x"] == [float(o) for o in range(500)]  # partition 0
    assert monitors[1].fed["x"] == [float(o) for o in range(1_100)]  # partition 1
    windows.add(_run(0, 2, 500, 599, as_columns))
    drained = windows.drain()
    assert [w.records for w, _ in drained] == [600, 1_000, 100]
    assert _Counting.calls == [600, 1_000, 100]
    assert [w.fields["x"].count for w, _ in drained] == [600, 1_000, 100]


def test_profile_waiting_profiles_every_window_in_order() -> None:
    _Counting.calls = []
    windows = OpenWindows("f", _Counting, AdwinMonitor, lambda name: True)
    windows.add(_run(0, 0, 0, 99, as_columns=True))
    windows.add(_run(0, 1, 100, 149, as_columns=True))
    windows.add(_run(1, 0, 0, 99, as_columns=True))
    windows.profile_waiting()
    assert _Counting.calls == [200, 50] and windows._pending == 0


def test_records_waiting_over_all_windows_are_bounded() -> None:
    _Counting.calls = []
    windows = OpenWindows(
        "f", _Counting, AdwinMonitor, lambda name: True, profile_records=1_000, max_pending=500
    )
    for w in range(3):
        windows.add(_run(0, w, 200 * w, 200 * w + 199, as_columns=False))
    assert _Counting.calls == [200, 200, 200]  # past 500 waiting: all of them, in order
    assert windows._pending == 0
