"""Distinct-count ratio: the expected band at any window size, and the changes it finds."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from app.baseline import build_baseline
from app.baseline.model import Baseline
from app.detectors import Severity
from app.detectors.distinct import DistinctCount, concave_band, rescaled
from tests.conftest import make_records, window_of


@pytest.fixture(scope="module")
def baseline() -> Baseline:
    return build_baseline("f", make_records(np.random.default_rng(41), 20_000), "test")


def _detector(baseline: Baseline, name: str) -> DistinctCount:
    spec = baseline.schema.get(name)
    assert spec is not None
    tol = baseline.tolerances.for_field(name, DistinctCount.characteristic)
    return DistinctCount(spec, baseline.profile.fields[name], tol, alpha=1e-4)


def _exact_expected(shares: np.ndarray, n: int) -> float:
    return float(np.sum(1.0 - (1.0 - shares) ** n))


def test_rescaling_model_is_exact_for_equally_likely_values() -> None:
    k, big = 5_000, 40_000
    shares = np.full(k, 1.0 / k)
    d_big = _exact_expected(shares, big)
    for n in (500, 5_000, 200_000):
        assert rescaled(d_big, big, n) == pytest.approx(_exact_expected(shares, n), rel=0.01)


@pytest.mark.parametrize("n", [500, 10_000, 100_000, 1_000_000])
def test_band_holds_for_a_skewed_distribution(n: int) -> None:
    # half the mass on one value, the rest over 50,000 rare ones
    shares = np.concatenate([[0.5], np.full(50_000, 0.5 / 50_000)])
    big = 100_000
    low, high = concave_band(_exact_expected(shares, big), big, n)
    assert low <= _exact_expected(shares, n) <= high


@pytest.mark.parametrize("size", [500, 10_000, 60_000])
def test_stationary_windows_of_any_size_are_quiet(baseline: Baseline, size: int) -> None:
    window = window_of(baseline, make_records(np.random.default_rng(size), size))
    for spec in baseline.schema.fields:
        if DistinctCount.applies(spec):
            result = _detector(baseline, spec.name).update(window.fields[spec.name])
            assert result is not None and not result.drifted, result


def _with(rows: list[dict[str, Any]], name: str, values: list[Any]) -> list[dict[str, Any]]:
    for row, value in zip(rows, values, strict=True):
        row[name] = value
    return rows


def test_duplicated_ids_halve_the_distinct_count(baseline: Baseline) -> None:
    rows = make_records(np.random.default_rng(5), 10_000)
    rows = _with(rows, "id", [rows[i - i % 2]["id"] for i in range(len(rows))])
    result = _detector(baseline, "id").update(window_of(baseline, rows).fields["id"])
    assert result is not None and result.drifted
    assert result.value == pytest.approx(math.log(2), abs=0.05)
    assert result.severity == Severity.MEDIUM


def test_rounded_amounts_fall_below_the_band(baseline: Baseline) -> None:
    rows = make_records(np.random.default_rng(6), 10_000)
    rows = _with(rows, "amount", [float(round(r["amount"])) for r in rows])
    result = _detector(baseline, "amount").update(window_of(baseline, rows).fields["amount"])
    assert result is not None and result.drifted and result.severity == Severity.HIGH


def test_categories_collapsing_or_multiplying(baseline: Baseline) -> None:
    detector = _detector(baseline, "category")
    assert detector.shares is not None  # four categories: frequencies known exactly
    rows = _with(make_records(np.random.default_rng(7), 5_000), "category", ["a"] * 5_000)
    collapsed = detector.update(window_of(baseline, rows).fields["category"])
    assert collapsed is not None and collapsed.drifted
    assert collapsed.value == pytest.approx(math.log(4), abs=1e-3)
    rows = make_records(np.random.default_rng(8), 5_000)
    rows = _with(rows, "category", [f"{r['category']}{i % 2}" for i, r in enumerate(rows)])
    doubled = detector.update(window_of(baseline, rows).fields["category"])
    assert doubled is not None and doubled.drifted
    assert doubled.value == pytest.approx(math.log(2), abs=1e-3)


def test_detected_from_the_first_changed_window(baseline: Baseline) -> None:
    detector = _detector(baseline, "x")
    rng = np.random.default_rng(9)
    drifted = []
    for k in range(5):
        rows = make_records(rng, 5_000)
        if k >= 2:  # the sensor starts reporting one decimal
            rows = _with(rows, "x", [round(r["x"], 1) for r in rows])
        result = detector.update(window_of(baseline, rows).fields["x"])
        assert result is not None
        drifted.append(result.drifted)
    assert drifted == [False, False, True, True, True]
