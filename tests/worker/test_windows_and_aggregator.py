"""Window assignment and the merge of partial windows into whole ones."""

from __future__ import annotations

import pytest

from app.errors import ConfigError
from app.profile import ProfileBuilder
from app.profile.window import WindowProfile
from app.worker.aggregator import ListeningClock, WindowAggregator
from app.worker.windows import WindowClock


def test_count_windows_split_across_partitions() -> None:
    clock = WindowClock(partitions=3, window_records=10)
    assert clock.per_partition == 4
    assert [clock.window_of(o, 0) for o in (0, 3, 4, 7, 8)] == [0, 0, 1, 1, 2]
    assert clock.min_records() == 5
    assert [clock.last_offset(w) for w in (0, 1)] == [3, 7]
    assert WindowClock(partitions=3, window_seconds=60).last_offset(0) is None


def test_time_windows_tumble_on_timestamps() -> None:
    clock = WindowClock(partitions=2, window_seconds=60)
    assert clock.window_of(999, 59_999) == 0
    assert clock.window_of(0, 60_000) == 1


def test_needs_exactly_one_window_kind() -> None:
    with pytest.raises(ConfigError):
        WindowClock(1)
    with pytest.raises(ConfigError):
        WindowClock(1, window_records=5, window_seconds=5)


def _partial(window: int, partition: int, n: int) -> WindowProfile:
    builder = ProfileBuilder()
    builder.add([{"x": float(i)} for i in range(n)])
    return builder.snapshot(
        "feed", window, 1000 * partition, 1000 * partition + 5, frozenset({partition})
    )


def test_ready_when_every_partition_closed() -> None:
    agg = WindowAggregator(partitions=2, grace_seconds=60, clock=lambda: 0.0)
    assert agg.add(_partial(0, 0, 10), closed=True) == []
    [window] = agg.add(_partial(0, 1, 5), closed=True)
    assert window.records == 15 and window.partitions == frozenset({0, 1})
    assert window.fields["x"].count == 15
    assert (window.start_ms, window.end_ms) == (0, 1005)


def test_revoked_partials_merge_and_late_ones_drop() -> None:
    now = [0.0]
    agg = WindowAggregator(partitions=2, grace_seconds=5, clock=lambda: now[0])
    assert agg.add(_partial(3, 0, 4), closed=False) == []
    assert agg.add(_partial(3, 0, 6), closed=True) == []
    now[0] = 6.0
    [window] = agg.expire()
    assert window.records == 10
    assert agg.add(_partial(3, 1, 6), closed=True) == []
    assert agg.late == 1


def test_an_empty_closed_partial_completes_a_window_for_its_partitions() -> None:
    """A revoke publishes a window's records as they are, then an empty partial for the
    partitions done with it (``Profiler.publish_revoked``)."""
    agg = WindowAggregator(partitions=2, grace_seconds=60, clock=lambda: 0.0)
    assert agg.add(_partial(0, 0, 6).merge(_partial(0, 1, 3)), closed=False) == []
    assert agg.add(_partial(0, 1, 4), closed=True) == []  # the rest, from the next owner
    [window] = agg.add(WindowProfile("feed", 0, 0, 5, partitions=frozenset({0})), closed=True)
    assert window.records == 13 and window.fields["x"].count == 13
    assert (window.start_ms, window.end_ms) == (0, 1005)


def test_a_rebalance_gives_pending_windows_a_whole_grace_period() -> None:
    now = [0.0]
    agg = WindowAggregator(partitions=2, grace_seconds=5, clock=lambda: now[0])
    assert agg.add(_partial(3, 0, 4), closed=True) == []
    now[0] = 4.0
    agg.rebalanced()  # partition 1 went to a worker that starts reading it now
    now[0] = 8.0
    assert agg.expire() == []  # 8 s after the first partial, 4 s after the rebalance
    [window] = agg.add(_partial(3, 1, 6), closed=True)
    assert window.records == 10 and agg.late == 0
    assert agg.add(_partial(4, 0, 1), closed=True) == []
    now[0] = 13.0
    [alone] = agg.expire()  # no rebalance since: the grace period counts as before
    assert alone.records == 1


def test_redelivered_partials_count_once() -> None:
    agg = WindowAggregator(partitions=2, grace_seconds=60, clock=lambda: 0.0)
    assert agg.add(_partial(0, 0, 10), closed=True, source=(0, 17)) == []
    assert agg.add(_partial(0, 0, 10), closed=True, source=(0, 17)) == []  # redelivery
    [window] = agg.add(_partial(0, 1, 5), closed=True, source=(0, 18))
    assert window.records == 15 and agg.duplicates == 1


def test_grace_does_not_count_time_spent_judging() -> None:
    now = [0.0]
    listening = ListeningClock(lambda: now[0])
    agg = WindowAggregator(partitions=2, grace_seconds=5, clock=listening)
    assert agg.add(_partial(4, 0, 10), closed=True) == []
    with listening.busy():  # judging earlier windows for 8 s; the other partial waits behind
        now[0] = 4.0
        with listening.busy():  # a second judgment at the same time counts once
            now[0] = 8.0
        assert agg.expire() == []
    now[0] = 12.0
    assert listening() == 4.0
    assert agg.expire() == []
    [window] = agg.add(_partial(4, 1, 5), closed=True)
    assert window.records == 15
    assert agg.add(_partial(5, 0, 1), closed=True) == []
    now[0] = 17.0
    [late] = agg.expire()  # idle for the grace period: decided with what came
    assert late.records == 1


def test_a_restored_aggregator_continues_where_the_last_one_stopped() -> None:
    agg = WindowAggregator(partitions=3, grace_seconds=60, clock=lambda: 0.0)
    stored = [(_partial(7, 0, 10), True, (0, 1)), (_partial(7, 1, 20), True, (0, 2))]
    agg.restore("feed", decided=[5, 6], partials=stored)
    assert agg.add(_partial(6, 2, 9), closed=True, source=(0, 3)) == []  # decided before
    assert agg.late == 1
    assert agg.add(_partial(7, 1, 20), closed=True, source=(0, 2)) == []  # stored already
    assert agg.duplicates == 1
    [window] = agg.add(_partial(7, 2, 5), closed=True, source=(0, 4))
    assert window.records == 35 and window.partitions == frozenset({0, 1, 2})


def test_a_restored_complete_window_comes_out_at_once() -> None:
    agg = WindowAggregator(partitions=2, grace_seconds=60, clock=lambda: 0.0)
    agg.restore("feed", [], [(_partial(2, 0, 4), True, (0, 8)), (_partial(2, 1, 4), True, (0, 9))])
    [window] = agg.expire()
    assert window.window_id == 2 and window.records == 8


def test_forget_drops_pending_windows_but_not_decisions() -> None:
    agg = WindowAggregator(partitions=2, grace_seconds=60, clock=lambda: 0.0)
    agg.restore("feed", [1], [])
    assert agg.add(_partial(3, 0, 4), closed=True) == []
    agg.forget()
    assert agg.expire() == []
    assert agg.add(_partial(1, 0, 4), closed=True) == [] and agg.late == 1


def test_a_window_waits_for_a_partition_that_is_behind_until_it_goes_silent() -> None:
    """Another worker still reading a backlog sends partials of earlier windows: the window
    waits past its grace period for that partition's part, not judged without it."""
    now = [0.0]
    agg = WindowAggregator(partitions=2, grace_seconds=5, clock=lambda: now[0])
    for window in (8, 9, 10):
        assert agg.add(_partial(window, 0, 4), closed=True) == []
    now[0] = 4.0
    [eight] = agg.add(_partial(8, 1, 6), closed=True)
    now[0] = 6.0
    assert agg.expire() == []  # 9 and 10 are past their grace, partition 1 spoke 2 s ago
    now[0] = 8.0
    [nine] = agg.add(_partial(9, 1, 6), closed=True)
    assert (eight.records, nine.records) == (10, 10)
    now[0] = 12.9
    assert agg.expire() == []
    now[0] = 13.0  # partition 1 silent for the grace period: decided with what came
    [ten] = agg.expire()
    assert ten.window_id == 10 and ten.records == 4 and agg.late == 0


def test_at_most_max_waiting_windows_wait_for_a_partition_that_is_behind() -> None:
    now = [0.0]
    agg = WindowAggregator(partitions=2, grace_seconds=5, clock=lambda: now[0], max_waiting=2)
    for window in range(5):
        assert agg.add(_partial(window, 0, 4), closed=True) == []
    now[0] = 5.5
    assert agg.add(_partial(0, 1, 1), closed=False) == []  # partition 1 is alive, behind
    now[0] = 6.0
    assert [w.window_id for w in agg.expire()] == [0, 1, 2]  # the oldest beyond the two
    assert agg.expire() == []
    now[0] = 10.5
    assert [w.window_id for w in agg.expire()] == [3, 4]


def test_a_backlog_read_out_of_order_is_decided_in_window_order() -> None:
    """Windows 0-3 of one aggregator reach it 2, 0, 3, 1 (each on a partition of its own):
    each waits for the earlier ones its partials name."""
    agg = WindowAggregator(partitions=1, grace_seconds=5, clock=lambda: 0.0)
    decided = []
    for window in (2, 0, 3, 1):
        decided += agg.add(_partial(window, 0, 4), True, earlier=[(w, w) for w in range(window)])
    assert [w.window_id for w in decided] == [0, 1, 2, 3]


def test_a_window_waits_for_an_earlier_one_at_most_the_grace_period() -> None:
    now = [0.0]
    agg = WindowAggregator(partitions=1, grace_seconds=5, clock=lambda: now[0])
    assert agg.add(_partial(7, 0, 4), True, earlier=[(5, 0), (6, 0), (9, 0)]) == []  # 9: later
    assert [w.window_id for w in agg.add(_partial(5, 0, 4), True)] == [5]
    now[0] = 4.9
    assert agg.expire() == []  # 6 not here yet
    now[0] = 5.0  # (6 lost: a profiles topic read from its end) 7 goes on without it
    assert [w.window_id for w in agg.expire()] == [7]
    [six] = agg.add(_partial(6, 0, 4), True)  # 6 after all: judged, not counted late
    assert six.window_id == 6 and agg.late == 0


def test_a_window_stops_waiting_for_earlier_ones_whose_partition_went_to_another() -> None:
    agg = WindowAggregator(partitions=1, grace_seconds=60, clock=lambda: 0.0)
    assert agg.add(_partial(7, 0, 4), True, (0, 70), earlier=[(6, 1)]) == []
    agg.forget([1])  # a rebalance: partition 1 of the window-profiles topic is another's
    assert [w.window_id for w in agg.expire()] == [7]
