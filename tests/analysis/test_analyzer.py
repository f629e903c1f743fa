"""The analyzer on whole windows: quiet on stationary data, precise on real changes."""

from __future__ import annotations

import numpy as np
import pytest

from app.analysis import Analyzer
from app.baseline import build_baseline
from app.baseline.model import Baseline
from app.detectors import Severity
from tests.conftest import make_records, window_of


@pytest.fixture(scope="module")
def baseline() -> Baseline:
    return build_baseline("f", make_records(np.random.default_rng(7), 30_000), "test")


_window = window_of


@pytest.mark.parametrize("size", [500, 2_000, 20_000])
def test_stationary_windows_raise_nothing(baseline: Baseline, size: int) -> None:
    analyzer = Analyzer(baseline)
    rng = np.random.default_rng(size)
    for _ in range(5):
        report = analyzer.analyze(_window(baseline, make_records(rng, size)))
        assert not report.drifted, report.findings


def test_mean_shift_names_the_field(baseline: Baseline) -> None:
    report = Analyzer(baseline).analyze(
        _window(baseline, make_records(np.random.default_rng(1), 5_000, shift=1.0))
    )
    assert report.severity == Severity.HIGH
    assert {f.field for f in report.findings} == {"x", "*"}  # x, and the joint distribution
    assert {f.characteristic for f in report.findings} >= {
        "distribution",
        "distribution_shape",
        "joint_distribution",
    }


def test_structural_changes(baseline: Baseline) -> None:
    records = make_records(np.random.default_rng(2), 3_000)
    for i, rec in enumerate(records):
        rec["new_field"] = i
        rec["amount"] = str(rec["amount"])  # number -> string
        del rec["category"]
    report = Analyzer(baseline).analyze(_window(baseline, records))
    found = {(f.field, f.characteristic) for f in report.findings}
    assert {
        ("new_field", "unknown_field"),
        ("amount", "type"),
        ("category", "missing_field"),
    } <= found
    assert report.severity == Severity.HIGH


def test_null_spike_and_new_categories(baseline: Baseline) -> None:
    records = make_records(np.random.default_rng(3), 3_000)
    for i, rec in enumerate(records):
        if i % 3 == 0:
            rec["score"] = None
        if i % 4 == 0:
            rec["category"] = "zz"
    found = {
        (f.field, f.characteristic)
        for f in Analyzer(baseline).analyze(_window(baseline, records)).findings
    }
    assert ("score", "null_rate") in found
    assert ("category", "new_categories") in found


def test_nullability_and_length_range(baseline: Baseline) -> None:
    records = make_records(np.random.default_rng(4), 3_000)
    for i, rec in enumerate(records):
        if i % 50 == 0:
            rec["x"] = None  # never null in the baseline
        if i % 10 == 0:
            rec["id"] = rec["id"] + "-EXTENDED"  # longer than any baseline id
    report = Analyzer(baseline).analyze(_window(baseline, records))
    found = {(f.field, f.characteristic): f for f in report.findings}
    assert found[("x", "nullability")].value == pytest.approx(0.02)
    assert found[("id", "length_range")].value == pytest.approx(0.1, abs=0.03)


def test_score_interval_brackets_the_score(baseline: Baseline) -> None:
    analyzer = Analyzer(baseline, resamples=30)
    for shift in (0.15, 3.0):
        report = analyzer.analyze(
            _window(baseline, make_records(np.random.default_rng(9), 5_000, shift=shift))
        )
        lo, hi = report.interval
        assert report.drifted
        assert 0.0 <= lo <= report.score <= hi <= 1.0
    assert report.interval == (1.0, 1.0)  # far past the high threshold: certain


def test_stationary_report_has_no_interval(baseline: Baseline) -> None:
    report = Analyzer(baseline).analyze(
        _window(baseline, make_records(np.random.default_rng(10), 2_000))
    )
    assert not report.drifted and report.interval == (0.0, 0.0)
