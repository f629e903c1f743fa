"""The fault suite's checker counts lost, duplicated and reordered records per partition."""

from __future__ import annotations

from load_tests.faults.checker import SYNTHETIC, Seen, compare, compare_windows, sequence_key


def _out(*items: tuple[int, int]) -> list[Seen]:
    return [(p, sequence_key(p, s), [("trace", b"x")]) for p, s in items]


def test_an_exact_copy_is_clean() -> None:
    sent = {0: [0, 1, 2], 1: [0, 1]}
    report = compare(sent, _out((0, 0), (1, 0), (0, 1), (1, 1), (0, 2)))
    assert [(r.sent, r.received) for r in report.partitions] == [(3, 3), (2, 2)]
    assert report.total("lost") == report.total("duplicated") == report.total("reordered") == 0


def test_counts_lost_duplicated_and_reordered() -> None:
    sent = {0: [0, 1, 2, 3, 4]}
    # 1 and 2 replayed after 3 (at-least-once), 2 then 1 swapped, 4 never arrives
    report = compare(sent, _out((0, 0), (0, 2), (0, 1), (0, 3), (0, 1), (0, 2)))
    (r,) = report.partitions
    assert (r.lost, r.duplicated, r.reordered) == (1, 2, 1)


def test_synthetic_records_are_counted_apart() -> None:
    sent = {0: [0, 1]}
    out = [*_out((0, 0)), (0, None, [SYNTHETIC]), *_out((0, 1))]
    (r,) = compare(sent, out).partitions
    assert (r.received, r.synthetic, r.lost) == (2, 1, 0)
    assert "total" in compare(sent, out).table()


def test_windows_decided_twice_over_or_short_are_counted() -> None:
    ends = {0: 25, 1: 20}  # 10 offsets per partition and window: 20, 20, 5 records
    decided = [(0, 20), (1, 20), (1, 20), (2, 5)]
    report = compare_windows(decided, ends, 10)
    assert (report.decided, report.twice, report.over, report.short) == (3, 1, 0, 0)
    report = compare_windows([(0, 30), (1, 12), (2, 5)], ends, 10)
    assert (report.twice, report.over, report.short) == (0, 1, 1)
    assert "decided twice" in report.line()
