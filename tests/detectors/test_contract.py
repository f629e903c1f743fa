"""The contract every window detector keeps (like river's ``checks`` for its detectors)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.baseline import build_baseline
from app.baseline.model import Baseline
from app.detectors import WINDOW_DETECTORS, WindowDetector
from app.profile import FieldProfile
from tests.conftest import make_records, window_of

DETECTORS = [pytest.param(cls, id=cls.__name__) for cls in WINDOW_DETECTORS]


@pytest.fixture(scope="module")
def baseline() -> Baseline:
    return build_baseline("f", make_records(np.random.default_rng(1), 20_000), "test")


_window = window_of


def _detectors(cls: type[WindowDetector], baseline: Baseline) -> list[WindowDetector]:
    made = [
        cls(
            spec,
            baseline.profile.fields[spec.name],
            baseline.tolerances.for_field(spec.name, cls.characteristic),
        )
        for spec in baseline.schema.fields
        if cls.applies(spec)
    ]
    assert made, f"{cls.__name__} applies to no field of the contract data"
    return made


@pytest.mark.parametrize("cls", DETECTORS)
def test_declares_names(cls: type[WindowDetector]) -> None:
    assert cls.characteristic and cls.statistic


@pytest.mark.parametrize("cls", DETECTORS)
def test_empty_window_gives_no_result(cls: type[WindowDetector], baseline: Baseline) -> None:
    for detector in _detectors(cls, baseline):
        assert detector.update(FieldProfile()) is None
        assert detector.result is None


@pytest.mark.parametrize("cls", DETECTORS)
def test_stationary_window_is_not_drift(cls: type[WindowDetector], baseline: Baseline) -> None:
    window = _window(baseline, make_records(np.random.default_rng(2), 5_000))
    for detector in _detectors(cls, baseline):
        result = detector.update(window.fields[detector.spec.name])
        assert result is not None
        assert not result.drifted and result.severity is None and result.score == 0.0
        assert math.isfinite(result.value)
        assert result.field == detector.spec.name
        assert result.characteristic == cls.characteristic
        assert result.baseline == result.current == ""  # described for a drift only


@pytest.mark.parametrize("cls", DETECTORS)
def test_result_is_deterministic(cls: type[WindowDetector], baseline: Baseline) -> None:
    window = _window(baseline, make_records(np.random.default_rng(3), 3_000, shift=0.7))
    for detector in _detectors(cls, baseline):
        first = detector.update(window.fields[detector.spec.name])
        second = detector.update(window.fields[detector.spec.name])
        assert first == second == detector.result


@pytest.mark.parametrize("cls", DETECTORS)
def test_score_and_severity_agree(cls: type[WindowDetector], baseline: Baseline) -> None:
    window = _window(baseline, make_records(np.random.default_rng(4), 3_000, shift=3.0))
    for detector in _detectors(cls, baseline):
        result = detector.update(window.fields[detector.spec.name])
        assert result is not None
        assert 0.0 <= result.score <= 1.0
        assert result.drifted == (result.severity is not None)
        if result.drifted:
            assert result.value >= result.threshold
            assert result.baseline and result.current  # what was compared, in words
