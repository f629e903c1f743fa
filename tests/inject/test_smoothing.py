"""The smoothing measure: jumps between windows cut by real records."""

from __future__ import annotations

import numpy as np
import pytest

from app.inject.smoothing import largest_jump, window_jumps, windows_by_real
from tests.conftest import make_records


def test_windows_are_cut_by_real_records_only() -> None:
    rows = [({"i": i}, i % 3 == 2) for i in range(12)]  # every third synthetic
    windows = windows_by_real(rows, 4)
    assert [len(w) for w in windows] == [6, 6]  # 4 real each, synthetic ones go along
    assert sum(1 for w in windows for r in w if r["i"] % 3 != 2) == 8


def test_a_mixture_halfway_halves_the_largest_jump_or_better() -> None:
    rng = np.random.default_rng(1)
    a, b = make_records(rng, 4_000), make_records(rng, 4_000, shift=1.5)
    fields = ["x", "category"]
    sudden = largest_jump([a[:2_000], a[2_000:], b[:2_000], b[2_000:]], fields)
    half = b[:1_000] + a[:1_000]  # half the new data, half the old
    smooth = largest_jump([a[:2_000], a[2_000:], half, b[2_000:]], fields)
    assert sudden > 1.0
    assert smooth < sudden / 2


def test_stationary_windows_barely_jump() -> None:
    rows = make_records(np.random.default_rng(2), 8_000)
    jump = largest_jump([rows[i : i + 2_000] for i in range(0, 8_000, 2_000)], ["x", "amount"])
    assert jump == pytest.approx(0.0, abs=0.05)


def test_each_step_names_the_window_and_the_field_that_moved() -> None:
    rng = np.random.default_rng(3)
    a, b = make_records(rng, 4_000), make_records(rng, 2_000, shift=1.5)
    steps = window_jumps([a[:2_000], a[2_000:], b], ["x", "category"])
    assert [s.window for s in steps] == [1, 2]
    assert steps[0].psi < 0.05
    assert steps[1].field == "x" and steps[1].psi > 1.0
    assert largest_jump([a[:2_000], a[2_000:], b], ["x", "category"]) == steps[1].psi
