"""Differentially private training: the epsilon spent is reported and within the target;
samples still validate; a bad target is one clear error."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from app.errors import ModelError
from app.schema.infer import infer_schema
from app.synth.train import train_synthesizer
from tests.synth.conftest import TINY


def test_private_training_reports_the_epsilon_spent(records: list[dict[str, Any]]) -> None:
    config = replace(TINY, epochs=4, budget_seconds=30.0, dp_epsilon=2.0, dp_delta=1e-5)
    synth = train_synthesizer(infer_schema(records), records[:3_000], config, seed=5)
    privacy = synth.info["privacy"]
    assert 0 < privacy["epsilon"] <= 2.0
    assert privacy["delta"] == 1e-5 and privacy["noise_multiplier"] > 0
    sample = synth.sample_columns(500, seed=1)
    assert sample.report.kept >= 500  # every returned row passed validation
    assert len(sample.records()) == 500


def test_a_non_positive_epsilon_is_refused(records: list[dict[str, Any]]) -> None:
    config = replace(TINY, epochs=1, dp_epsilon=0.0)
    with pytest.raises(ModelError, match="dp_epsilon"):
        train_synthesizer(infer_schema(records), records[:500], config, seed=5)
