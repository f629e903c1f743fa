"""Sampling: every record conforms, seeds decide, parameters interpolate, no training copies."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import torch

from app.errors import ModelError
from app.synth.columns import Column
from app.synth.copies import record_hashes
from app.synth.drift import DriftPlan
from app.synth.synthesizer import COPY, Synthesizer, interpolate
from app.synth.train import train_synthesizer
from app.synth.validate import constraints, record_problems, validate
from tests.synth.conftest import TINY


def test_every_sampled_record_conforms(synth: Synthesizer) -> None:
    rows = synth.sample(20_000, seed=1)
    rules = constraints(synth.codecs, DriftPlan())
    problems = [p for row in rows for p in record_problems(row, rules)]
    assert len(rows) == 20_000 and problems == []
    assert list(rows[0]) == synth.schema.names


def test_record_check_catches_what_the_schema_forbids(synth: Synthesizer) -> None:
    rules = constraints(synth.codecs, DriftPlan())
    good = synth.sample(1, seed=2)[0]
    assert record_problems(good, rules) == []
    bad = {**good, "category": "zzz", "x": "text", "flag": None, "extra": 1}
    found = " ".join(record_problems(bad, rules))
    for part in ("unknown category", "x: string", "flag: null", "unknown field"):
        assert part in found


def test_validation_repairs_and_rejects_and_counts(synth: Synthesizer) -> None:
    rules = constraints(synth.codecs, DriftPlan())
    columns = synth.sample_columns(100, seed=3).columns
    broken = dict(columns)
    x = columns["x"].values.copy()
    x[:5] = 1e9  # out of range: clipped
    broken["x"] = Column(x, columns["x"].nulls)
    cats = columns["category"].values.copy()
    cats[10:13] = "nope"  # unknown: rejected
    broken["category"] = Column(cats, columns["category"].nulls)
    ids = columns["id"].values.copy()
    ids[20] = "short"  # too short for the schema: rejected
    broken["id"] = Column(ids, columns["id"].nulls)
    fixed, keep, report = validate(broken, rules)
    assert report.repaired["x"] == 5 and fixed["x"].values[:5].max() <= rules["x"].high
    assert report.rejected["category"] == 3 and report.rejected["id"] == 1
    assert keep.sum() == 96 and report.rejected_rows == 4


def test_same_seed_same_records_other_seed_other_records(synth: Synthesizer) -> None:
    assert synth.sample(50, seed=9) == synth.sample(50, seed=9)
    assert synth.sample(50, seed=9) != synth.sample(50, seed=10)
    assert synth.sample(0) == []


def test_no_record_repeats_a_training_row(
    synth: Synthesizer, records: list[dict[str, Any]]
) -> None:
    # remember a sample as if it were the training rows: the same draws again are all
    # copies, so they are rejected and replaced by fresh ones
    rows = synth.sample(500, seed=5)
    memory = record_hashes(synth.codecs, rows)
    copycat = replace(synth, memory=memory)
    result = copycat.sample_columns(500, seed=5)
    assert result.report.rejected[COPY] == 500 and len(result.records()) == 500
    assert not np.isin(record_hashes(synth.codecs, result.records()), memory).any()
    trained = record_hashes(synth.codecs, records)
    assert not np.isin(record_hashes(synth.codecs, synth.sample(5_000, seed=6)), trained).any()


def test_interpolation_ends_are_the_two_models(
    synth: Synthesizer, records: list[dict[str, Any]]
) -> None:
    other = train_synthesizer(synth.schema, records, replace(TINY, epochs=3), seed=8)
    for t, ref in ((0.0, synth), (1.0, other)):
        mixed = interpolate(synth, other, t)
        for key, value in mixed.state_dict().items():
            assert torch.allclose(value, ref.state_dict()[key])
    half = interpolate(synth, other, 0.5)
    key = "decoder.0.weight"
    expected = (synth.state_dict()[key] + other.state_dict()[key]) / 2
    assert torch.allclose(half.state_dict()[key], expected)
    assert len(half.sample(100, seed=1)) == 100


def test_interpolation_needs_the_same_architecture(
    synth: Synthesizer, records: list[dict[str, Any]]
) -> None:
    wider = train_synthesizer(
        synth.schema, records[:500], replace(TINY, epochs=1, hidden=16), seed=1
    )
    with pytest.raises(ModelError, match="architecture"):
        interpolate(synth, wider, 0.5)
    with pytest.raises(ModelError, match="do not fit"):
        synth.with_state_dict(wider.state_dict())


def test_marginals_match_the_training_data(
    synth: Synthesizer, records: list[dict[str, Any]]
) -> None:
    rows = synth.sample(20_000, seed=6)
    for name in ("tier", "score"):
        real = np.mean([r[name] is None for r in records])
        fake = np.mean([r[name] is None for r in rows])
        assert abs(real - fake) < 0.02
    real_x = np.sort([r["x"] for r in records])
    fake_x = np.array([r["x"] for r in rows])
    grid = np.linspace(real_x[0], real_x[-1], 200)
    ks = np.abs(
        np.searchsorted(real_x, grid) / len(real_x)
        - np.searchsorted(np.sort(fake_x), grid) / len(fake_x)
    ).max()
    assert ks < 0.05
