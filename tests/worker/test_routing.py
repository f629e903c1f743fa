"""Windows to partitions of the window-profiles topic: every partition in turn, and with
faust's contiguous ranges, the members of the aggregator group in turn."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.worker.routing import earlier_value, parse_earlier, window_partition


@given(st.integers(1, 64), st.integers(0, 10**6))
def test_any_run_of_p_windows_uses_every_partition_once(partitions: int, first: int) -> None:
    used = [window_partition(k, partitions) for k in range(first, first + partitions)]
    assert sorted(used) == list(range(partitions))


def test_two_members_of_twelve_partitions_take_turns() -> None:
    member = [window_partition(k, 12) // 6 for k in range(12)]  # faust: 0-5 and 6-11
    assert member[:7] == [0, 1, 0, 1, 0, 1, 1] and member.count(0) == 6


@given(st.lists(st.integers(0, 10**9), max_size=16), st.integers(1, 64))
def test_earlier_windows_round_trip_with_their_partitions(windows: list[int], p: int) -> None:
    assert parse_earlier(earlier_value(windows, p)) == [
        (w, window_partition(w, p)) for w in windows
    ]


def test_a_malformed_earlier_header_names_no_window() -> None:
    assert parse_earlier(b"4:x,5") == [] and parse_earlier(None) == []
