"""The demo's report: per-window rows from events, verdicts and the output; a real PNG."""

from __future__ import annotations

from pathlib import Path

from app.demo_report import plot, synthetic_shares, window_rows
from app.inject.verdict import Verdict


def test_synthetic_share_per_window_cut_by_real_records() -> None:
    # two partitions, windows of 4 real records (2 per partition); window 1 half synthetic
    p0 = [({"i": 0}, False), ({"i": 1}, False), ({"i": 2}, False), ({"s": 0}, True)]
    p0 += [({"i": 3}, False), ({"s": 1}, True)]
    p1 = [({"i": 0}, False), ({"i": 1}, False), ({"i": 2}, False), ({"i": 3}, False)]
    shares = synthetic_shares({0: p0, 1: p1}, 4)
    assert shares == [0.0, 2 / 6]


def test_rows_join_events_and_verdicts_by_window(tmp_path: Path) -> None:
    verdicts = [
        Verdict("f", 0, 1),
        Verdict("f", 1, 1, rate=0.8, alpha=0.0, event_id="e", severity="high"),
        Verdict("f", 2, 2),
    ]
    events = [{"window_id": 1, "drift_score": 0.9, "severity": "high"}]
    rows = window_rows(events, verdicts, [0.0, 0.4, 0.1])
    assert [(r.window_id, r.score, r.severity, r.rate) for r in rows] == [
        (0, 0.0, "", 0.0),
        (1, 0.9, "high", 0.8),
        (2, 0.0, "", 0.0),
    ]
    assert [r.baseline_version for r in rows] == [1, 1, 2]
    path = plot(rows, tmp_path / "r.png", "test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
