"""Weighted training mixtures and splits."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from app.heal.mixture import mixture, split


def test_parts_come_in_their_weights() -> None:
    a = [{"src": "a", "i": i} for i in range(100)]
    b = [{"src": "b", "i": i} for i in range(30)]
    out = mixture([(a, 0.2), (b, 0.8)], 1_000, np.random.default_rng(1))
    assert len(out) == 1_000
    assert sum(r["src"] == "b" for r in out) == 800  # resampled with replacement


def test_empty_or_zero_weight_parts_give_their_share_away() -> None:
    a = [{"src": "a"}] * 10
    out = mixture([(a, 1.0), ([], 5.0), ([{"src": "c"}], 0.0)], 50, np.random.default_rng(2))
    assert {r["src"] for r in out} == {"a"} and len(out) == 50
    assert mixture([([], 1.0)], 10, np.random.default_rng(3)) == []


@given(st.integers(0, 300), st.floats(0.05, 0.95), st.integers(0, 2**32 - 1))
def test_split_is_a_seeded_partition(n: int, holdout: float, seed: int) -> None:
    rows = [{"i": i} for i in range(n)]
    train, hold = split(rows, holdout, np.random.default_rng(seed))
    assert sorted(r["i"] for r in train + hold) == list(range(n))
    assert (train, hold) == split(rows, holdout, np.random.default_rng(seed))
