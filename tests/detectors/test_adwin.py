"""ADWIN on chunk means: quiet on a stationary stream, pinned detection point on a step."""

from __future__ import annotations

import numpy as np

from app.detectors import AdwinMonitor


def _alarms(values: np.ndarray, step: int = 1_000) -> list[int]:
    monitor = AdwinMonitor(delta=1e-4, chunk=100)
    out = []
    for start in range(0, len(values), step):
        if monitor.update("x", values[start : start + step]):
            out.append(start)
    return out


def test_stationary_stream_raises_no_alarm() -> None:
    rng = np.random.default_rng(42)
    assert _alarms(rng.normal(0, 1, 200_000)) == []


def test_step_change_is_found_at_a_pinned_point() -> None:
    rng = np.random.default_rng(42)
    values = np.concatenate([rng.normal(0, 1, 50_000), rng.normal(0.5, 1, 20_000)])
    alarms = _alarms(values)
    # pinned like river's detector tests: the 0.5-sigma step at 50,000 is flagged in the
    # batch of records 54,000-54,999 (40-50 chunk means after it)
    assert alarms[0] == 54_000


def test_partial_chunks_carry_over_between_batches() -> None:
    monitor = AdwinMonitor(chunk=100)
    assert monitor.update("x", np.zeros(150)) == 0
    assert len(monitor._pending["x"]) == 50
    monitor.update("x", np.zeros(60))
    assert len(monitor._pending["x"]) == 10


def test_a_restored_monitor_flags_the_change_where_an_uninterrupted_one_does() -> None:
    rng = np.random.default_rng(42)
    values = np.concatenate([rng.normal(0, 1, 50_000), rng.normal(0.5, 1, 20_000)])
    first = AdwinMonitor(delta=1e-4, chunk=100)
    for start in range(0, 30_050, 1_000):  # stops mid-chunk
        first.update("x", values[start : min(start + 1_000, 30_050)])
    restored = AdwinMonitor.restore(first.state())
    alarms = []
    for start in range(30_050, len(values), 1_000):
        if restored.update("x", values[start : start + 1_000]):
            alarms.append(start)
    assert alarms[0] == 54_050  # the batch holding record 54,000+, as in the pinned test


def test_a_malformed_state_is_a_sketch_error() -> None:
    import pytest

    from app.errors import SketchError

    with pytest.raises(SketchError, match="ADWIN state"):
        AdwinMonitor.restore(b'{"delta": 0.1}')
