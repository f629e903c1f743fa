"""Thresholds follow the window size: few false alarms at any size, small shifts found."""

from __future__ import annotations

import numpy as np
import pytest

from app.analysis import Analyzer
from app.baseline import build_baseline
from app.baseline.model import Baseline
from tests.conftest import make_records, window_of


@pytest.fixture(scope="module")
def baseline() -> Baseline:
    return build_baseline("f", make_records(np.random.default_rng(100), 50_000), "test")


_window = window_of


@pytest.mark.parametrize(("size", "windows"), [(500, 60), (5_000, 30), (50_000, 8)])
def test_stationary_false_alarms_stay_rare(baseline: Baseline, size: int, windows: int) -> None:
    analyzer = Analyzer(baseline, window_alpha=0.01)
    rng = np.random.default_rng(size)
    alarms = sum(
        analyzer.analyze(_window(baseline, make_records(rng, size))).drifted for _ in range(windows)
    )
    # 1 % per window is the design rate; allow sampling luck, never a systematic excess
    assert alarms <= max(1, windows // 20)


def test_small_mean_shift_is_found_at_10k(baseline: Baseline) -> None:
    analyzer = Analyzer(baseline)
    rng = np.random.default_rng(7)
    found = [
        analyzer.analyze(_window(baseline, make_records(rng, 10_000, shift=0.1))) for _ in range(3)
    ]
    assert all(r.drifted for r in found)
    for report in found:
        assert {f.field for f in report.findings} == {"x"}
        assert report.severity is not None and report.severity.label == "low"


def test_thresholds_shrink_with_window_size(baseline: Baseline) -> None:
    analyzer = Analyzer(baseline)
    rng = np.random.default_rng(8)
    thresholds = []
    for size in (1_000, 20_000):
        analyzer.analyze(_window(baseline, make_records(rng, size, shift=2.0)))
        ks = next(
            d
            for d in analyzer._detectors
            if d.spec.name == "x" and d.characteristic == "distribution_shape"
        )
        assert ks.result is not None
        thresholds.append(ks.result.threshold)
    assert thresholds[1] < thresholds[0]
