"""Shared fixtures: seeded data generators for unit tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.baseline.model import Baseline
from app.profile import ProfileBuilder
from app.profile.window import WindowProfile


def make_records(rng: np.random.Generator, n: int, shift: float = 0.0) -> list[dict[str, Any]]:
    """Mixed-type records: two continuous, one categorical, one nullable, one id-like string."""
    xs = rng.normal(shift, 1.0, n)
    amounts = rng.lognormal(3.0, 0.5, n)
    cats = rng.choice(np.array(["a", "b", "c", "d"]), n, p=[0.4, 0.3, 0.2, 0.1])
    nulls = rng.random(n) < 0.05
    return [
        {
            "x": float(xs[i]),
            "amount": round(float(amounts[i]), 2),
            "category": str(cats[i]),
            "score": None if nulls[i] else int(i % 97),
            "id": f"ID-{rng.integers(0, 10**9):09d}",
        }
        for i in range(n)
    ]


def window_of(baseline: Baseline, records: list[dict[str, Any]]) -> WindowProfile:
    """The profile of one window of ``records`` against ``baseline`` (its bins)."""
    builder = ProfileBuilder(baseline.schema, baseline.edges)
    builder.add(records)
    return builder.snapshot("f", 1, 0, 0)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20131)
