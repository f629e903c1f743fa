"""The joint (multivariate) detector: quiet on stationary windows, finds joint shifts."""

from __future__ import annotations

import numpy as np
import pytest

from app.baseline import build_baseline
from app.baseline.model import Baseline
from app.detectors import Tolerance
from app.detectors.mmd import JointMMD
from app.profile import ProfileBuilder
from app.profile.sample import RowSample
from tests.conftest import make_records

TOL = Tolerance(0.005, 0.05, 0.15)


@pytest.fixture(scope="module")
def baseline() -> Baseline:
    return build_baseline("f", make_records(np.random.default_rng(31), 20_000), "test")


def _sample(baseline: Baseline, records: list[dict[str, object]]) -> RowSample | None:
    builder = ProfileBuilder(baseline.schema, baseline.edges)
    builder.add(records)
    return builder.snapshot("f", 1, 0, 0).sample


def test_needs_enough_rows(baseline: Baseline) -> None:
    assert baseline.profile.sample is not None
    detector = JointMMD(baseline.profile.sample, TOL, alpha=1e-3)
    assert detector.update(None) is None
    assert detector.update(_sample(baseline, make_records(np.random.default_rng(1), 20))) is None


def test_stationary_windows_are_quiet(baseline: Baseline) -> None:
    assert baseline.profile.sample is not None
    detector = JointMMD(baseline.profile.sample, TOL, alpha=1e-3)
    rng = np.random.default_rng(2)
    results = [detector.update(_sample(baseline, make_records(rng, 2_000))) for _ in range(20)]
    assert all(r is not None and not r.drifted for r in results)


def test_correlation_change_is_found(baseline: Baseline) -> None:
    """Marginals kept, joint changed: amount now follows x."""
    assert baseline.profile.sample is not None
    detector = JointMMD(baseline.profile.sample, TOL, alpha=1e-3)
    rng = np.random.default_rng(3)
    rows = make_records(rng, 5_000)
    amounts = sorted(r["amount"] for r in rows)  # type: ignore[type-var]
    for r, a in zip(sorted(rows, key=lambda r: r["x"]), amounts, strict=True):  # type: ignore[arg-type, return-value]
        r["amount"] = a
    result = detector.update(_sample(baseline, rows))
    assert result is not None and result.drifted and result.field == "*"


def test_a_detector_that_judged_other_sample_sizes_judges_as_a_new_one(
    baseline: Baseline,
) -> None:
    # the permutations are made once per window sample size and kept
    assert baseline.profile.sample is not None
    rng = np.random.default_rng(9)
    windows = [_sample(baseline, make_records(rng, n, shift=0.3)) for n in (60, 120, 5_000)]
    used = JointMMD(baseline.profile.sample, TOL, alpha=1e-3)
    for window in [*windows, *windows[::-1]]:
        assert used.update(window) == JointMMD(baseline.profile.sample, TOL, 1e-3).update(window)
