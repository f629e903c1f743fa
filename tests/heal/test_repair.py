"""Repair: the interpolation scale is chosen on validation data and scored on test data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.baseline import build_baseline
from app.errors import ModelError
from app.heal.repair import REPAIR_SCALES, choose_scale, repair
from app.synth.synthesizer import Synthesizer
from app.synth.train import TrainConfig, train_synthesizer
from tests.conftest import make_records


def test_choose_scale_prefers_quality_then_the_champion() -> None:
    assert choose_scale({0.25: 0.7, 0.5: 0.9, 0.75: 0.8}) == 0.5
    assert choose_scale({0.75: 0.9, 0.25: 0.9}) == 0.25
    with pytest.raises(ModelError):
        choose_scale({})


def model(rows: list[dict[str, Any]], seed: int) -> Synthesizer:
    schema = build_baseline("f", rows, "t").schema
    return train_synthesizer(schema, rows, TrainConfig(epochs=3, budget_seconds=2, threads=1), seed)


def test_repair_between_two_models(rng: np.random.Generator) -> None:
    a_rows = make_records(rng, 1_500)
    b_rows = [{**r, "x": r["x"] + 2.0} for r in make_records(rng, 1_500)]  # same schema
    a, b = model(a_rows, 1), model(b_rows, 2)
    target = [{**r, "x": r["x"] + 1.0} for r in make_records(rng, 600)]
    fixed = repair(a, b, target[:300], target[300:], seed=5)
    assert fixed is not None and fixed.scale in REPAIR_SCALES
    assert 0.0 <= fixed.test_quality <= 1.0 and 0.0 <= fixed.validation_quality <= 1.0
    again = repair(a, b, target[:300], target[300:], seed=5)
    assert again is not None and (again.scale, again.test_quality) == (
        fixed.scale,
        fixed.test_quality,
    )
    assert repair(a, b, [], target, seed=5) is None


def test_models_of_other_schemas_are_not_repaired(rng: np.random.Generator) -> None:
    a_rows = make_records(rng, 800)
    other = [{"y": float(v)} for v in rng.normal(size=800)]
    fixed = repair(model(a_rows, 1), model(other, 2), a_rows[:100], a_rows[100:200], seed=1)
    assert fixed is None
