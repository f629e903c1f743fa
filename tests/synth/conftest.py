"""A small trained synthesizer shared by the engine's tests (trained once per session)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.schema.infer import infer_schema
from app.synth.synthesizer import Synthesizer
from app.synth.train import TrainConfig, train_synthesizer
from tests.conftest import make_records

# epochs bound the training (~3-4 s here), not the clock: a slow hour must not stop it early
TINY = TrainConfig(epochs=60, budget_seconds=120.0, threads=2)


def base_records(n: int = 6_000, seed: int = 11) -> list[dict[str, Any]]:
    """Mixed records plus a bool, a timestamp and a nullable string category."""
    rng = np.random.default_rng(seed)
    rows = make_records(rng, n)
    flags = rng.random(n) < 0.3
    hours = rng.integers(0, 24 * 30, n)
    tiers = rng.choice(np.array(["gold", "silver", "bronze"]), n, p=[0.2, 0.3, 0.5])
    empty = rng.random(n) < 0.1
    for i, row in enumerate(rows):
        row["flag"] = bool(flags[i])
        row["at"] = (
            str(np.datetime64("2024-01-01T00:00:00") + np.timedelta64(int(hours[i]), "h")) + "Z"
        )
        row["tier"] = None if empty[i] else str(tiers[i])
        row["amount"] = round(row["amount"] + 8 * row["x"], 2)  # a correlation to keep
    return rows


@pytest.fixture(scope="session")
def records() -> list[dict[str, Any]]:
    return base_records()


@pytest.fixture(scope="session")
def synth(records: list[dict[str, Any]]) -> Synthesizer:
    return train_synthesizer(infer_schema(records), records, TINY, seed=3)
