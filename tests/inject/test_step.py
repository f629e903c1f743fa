"""The window-to-window step: PSI between consecutive windows from their sketches."""

from __future__ import annotations

import numpy as np
import pytest

from app.baseline import build_baseline
from app.inject.step import window_step
from app.profile import ProfileBuilder
from app.profile.window import WindowProfile
from tests.conftest import make_records


def _window(
    records: list[dict[str, object]], builder: ProfileBuilder | None = None
) -> WindowProfile:
    builder = builder or ProfileBuilder()
    builder.add(records)
    return builder.snapshot("f", 1, 0, 0)


def test_windows_of_one_distribution_barely_step() -> None:
    rng = np.random.default_rng(1)
    assert (
        window_step(_window(make_records(rng, 10_000)), _window(make_records(rng, 10_000))) < 0.02
    )


def test_a_shift_is_a_step_and_matches_psi_on_the_rows() -> None:
    rng = np.random.default_rng(2)
    before, after = make_records(rng, 10_000), make_records(rng, 10_000, shift=0.6)
    step = window_step(_window(before), _window(after))
    xs = np.asarray([r["x"] for r in before])
    edges = np.quantile(xs, np.linspace(0.1, 0.9, 9))
    a = np.bincount(np.searchsorted(edges, xs), minlength=10).astype(float)
    ys = np.asarray([r["x"] for r in after])
    b = np.bincount(np.searchsorted(edges, ys), minlength=10).astype(float)
    reference = float(np.sum((b / b.sum() - a / a.sum()) * np.log((b / b.sum()) / (a / a.sum()))))
    assert step == pytest.approx(reference, rel=0.1)
    assert step > 0.1


def test_a_category_shift_is_a_step() -> None:
    rng = np.random.default_rng(3)
    before = make_records(rng, 5_000)
    after = [{**r, "category": "d" if i % 2 else r["category"]} for i, r in enumerate(before)]
    assert window_step(_window(before), _window(after)) > 0.1


def test_windows_profiled_against_different_baselines_compare() -> None:
    rng = np.random.default_rng(4)
    old = build_baseline("f", make_records(rng, 5_000), "t")
    new = build_baseline("f", make_records(rng, 5_000, shift=2.0), "t")
    before = _window(make_records(rng, 5_000), ProfileBuilder(old.schema, old.edges))
    after = _window(make_records(rng, 5_000), ProfileBuilder(new.schema, new.edges))
    assert window_step(before, after) < 0.02


def test_only_the_fields_asked_for_count() -> None:
    rng = np.random.default_rng(5)
    before = make_records(rng, 5_000)
    after = [{**r, "amount": r["amount"] * 3} for r in make_records(rng, 5_000)]
    assert window_step(_window(before), _window(after)) > 0.5
    assert window_step(_window(before), _window(after), ["x", "category"]) < 0.02
