"""PSI and KS from sketches agree with numpy/scipy computed on the raw data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from app.baseline import build_baseline
from app.detectors import CategoricalPSI, KolmogorovSmirnov, NumericPSI, Tolerance
from app.detectors.chisquare import pearson_p_value
from app.detectors.ks import ks_from_sketches
from app.profile import ProfileBuilder

TOL = Tolerance(0.1, 0.25, 0.5)


def _numpy_psi(base: np.ndarray, cur: np.ndarray, edges: np.ndarray) -> float:
    b = np.bincount(np.searchsorted(edges, base, side="left"), minlength=len(edges) + 1)
    c = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=len(edges) + 1)
    bp = np.maximum(b / b.sum(), 1e-4)
    cp = np.maximum(c / c.sum(), 1e-4)
    return float(np.sum((cp - bp) * np.log(cp / bp)))


@pytest.mark.parametrize("shift", [0.0, 0.1, 0.5, 2.0])
def test_numeric_psi_matches_numpy(rng: np.random.Generator, shift: float) -> None:
    base = rng.normal(0, 1, 20_000)
    cur = rng.normal(shift, 1, 5_000)
    baseline = build_baseline("f", [{"x": float(v)} for v in base], "test")
    builder = ProfileBuilder(baseline.schema, baseline.edges)
    builder.add([{"x": float(v)} for v in cur])
    window = builder.snapshot("f", 1, 0, 0)
    detector = NumericPSI(baseline.schema.fields[0], baseline.profile.fields["x"], TOL)
    result = detector.update(window.fields["x"])
    assert result is not None
    expected = _numpy_psi(base, cur, np.asarray(baseline.edges["x"]))
    assert result.value == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_categorical_psi_matches_numpy(rng: np.random.Generator) -> None:
    cats = np.array(["a", "b", "c"])
    base = rng.choice(cats, 10_000, p=[0.5, 0.3, 0.2])
    cur = rng.choice(cats, 3_000, p=[0.3, 0.3, 0.4])
    baseline = build_baseline("f", [{"c": str(v)} for v in base], "test")
    builder = ProfileBuilder(baseline.schema, baseline.edges)
    builder.add([{"c": str(v)} for v in cur])
    detector = CategoricalPSI(baseline.schema.fields[0], baseline.profile.fields["c"], TOL)
    result = detector.update(builder.snapshot("f", 1, 0, 0).fields["c"])
    assert result is not None
    b = np.array([np.mean(base == k) for k in cats])
    c = np.array([np.mean(cur == k) for k in cats])
    assert result.value == pytest.approx(float(np.sum((c - b) * np.log(c / b))), rel=1e-9)


@pytest.mark.parametrize(
    ("n", "m", "shift"),
    [(500, 500, 0.0), (20_000, 2_000, 0.2), (50_000, 50_000, 0.05), (5_000, 800, 1.0)],
)
def test_ks_from_sketches_matches_scipy(
    rng: np.random.Generator, n: int, m: int, shift: float
) -> None:
    a = rng.normal(0, 1, n)
    b = rng.normal(shift, 1, m)
    builders = [ProfileBuilder(), ProfileBuilder()]
    builders[0].add([{"x": float(v)} for v in a])
    builders[1].add([{"x": float(v)} for v in b])
    sa = builders[0].snapshot("f", 0, 0, 0).fields["x"].numbers
    sb = builders[1].snapshot("f", 0, 0, 0).fields["x"].numbers
    expected = stats.ks_2samp(a, b).statistic
    # KLL (k=200) has a normalized rank error of about 1.3 % per sketch
    assert ks_from_sketches(sa, sb) == pytest.approx(expected, abs=0.03)


def test_ks_detector_flags_shift_not_noise(rng: np.random.Generator) -> None:
    baseline = build_baseline("f", [{"x": float(v)} for v in rng.normal(0, 1, 20_000)], "t")
    spec, ref = baseline.schema.fields[0], baseline.profile.fields["x"]
    detector = KolmogorovSmirnov(spec, ref, Tolerance(0.1, 0.2, 0.35))
    for shift, drifted in [(0.0, False), (1.0, True)]:
        builder = ProfileBuilder(baseline.schema, baseline.edges)
        builder.add([{"x": float(v)} for v in rng.normal(shift, 1, 5_000)])
        result = detector.update(builder.snapshot("f", 1, 0, 0).fields["x"])
        assert result is not None and result.drifted is drifted


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)).filter(lambda c: sum(c) > 0),
        min_size=2,
        max_size=12,
    ).filter(lambda cols: min(map(sum, zip(*cols, strict=True))) > 0)
)
def test_chi_square_p_value_is_scipys(columns: list[tuple[int, int]]) -> None:
    table = np.asarray(columns, dtype=np.float64).T
    expected = stats.chi2_contingency(table, correction=False)[1]
    assert pearson_p_value(table) == pytest.approx(expected, rel=1e-9, abs=1e-300)
