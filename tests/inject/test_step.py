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


def _psi_on_rows(before: np.ndarray, after: np.ndarray, edges: np.ndarray) -> float:
    """PSI of ``after`` against ``before`` on bins ``[edges[i-1], edges[i])``."""
    a = np.bincount(np.searchsorted(edges, before, side="right"), minlength=len(edges) + 1)
    b = np.bincount(np.searchsorted(edges, after, side="right"), minlength=len(edges) + 1)
    assert a.all() and b.all()
    pa, pb = a / a.sum(), b / b.sum()
    return float(np.sum((pb - pa) * np.log(pb / pa)))


def test_a_shift_is_psi_on_the_rows_exactly_while_the_sketch_keeps_every_value() -> None:
    # Below the KLL's k (200) nothing is compacted: the deciles are the "higher" order
    # statistics and the masses exact, so the step is PSI on the rows to the last digit.
    rng = np.random.default_rng(2)
    before, after = make_records(rng, 150), make_records(rng, 150, shift=0.6)
    xs = np.asarray([r["x"] for r in before])
    ys = np.asarray([r["x"] for r in after])
    edges = np.quantile(xs, np.linspace(0.1, 0.9, 9), method="higher")
    step = window_step(_window(before), _window(after), ["x"])
    assert step == pytest.approx(_psi_on_rows(xs, ys, edges), rel=1e-9)
    assert step > 0.1


def test_a_shift_is_a_step_close_to_psi_on_the_rows_once_the_sketch_compacts() -> None:
    # 10,000 values: the KLL compacts at random (seeded per process, not by us), which
    # moved this step between 0.281 and 0.342 over fresh processes around a row PSI of
    # 0.310; hence 20 %.
    rng = np.random.default_rng(2)
    before, after = make_records(rng, 10_000), make_records(rng, 10_000, shift=0.6)
    xs = np.asarray([r["x"] for r in before])
    ys = np.asarray([r["x"] for r in after])
    reference = _psi_on_rows(xs, ys, np.quantile(xs, np.linspace(0.1, 0.9, 9)))
    assert window_step(_window(before), _window(after), ["x"]) == pytest.approx(reference, rel=0.2)


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
