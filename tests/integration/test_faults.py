"""The short fault run of ``make test``: a worker is SIGKILLed and restarted while records
stream in; with exactly-once output nothing is lost, duplicated or reordered, and no window
is decided twice or counts a record twice.

The full suite (1,000,000 records; broker restart, rebalances, a Redis outage) is
``python -m load_tests.faults.run``.
"""

from __future__ import annotations

from load_tests.faults.run import kill_every, run_scenario

RECORDS = 80_000  # 20 s at 4,000 records/s: about two kills while they stream in


def test_sigkilled_worker_loses_and_duplicates_nothing() -> None:
    outcome = run_scenario(
        "short-kill",
        kill_every(7.0),
        records=RECORDS,
        partitions=3,
        rate=4_000,
        window=6_000,
        max_seconds=240,
    )
    print(outcome.report.table())
    print(outcome.windows.line())
    print(f"records read again and not profiled twice (at least): {outcome.skipped:,}")
    assert outcome.kills >= 2
    assert outcome.report.total("sent") == RECORDS
    assert outcome.report.total("lost") == 0
    assert outcome.report.total("duplicated") == 0
    assert outcome.report.total("reordered") == 0
    assert outcome.windows.decided >= RECORDS // 6_000
    assert outcome.windows.twice == 0
    assert outcome.windows.over == 0
