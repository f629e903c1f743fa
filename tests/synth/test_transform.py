"""Field codecs: values survive encoding, decoding stays within the training values' range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.schema.model import FieldSpec
from app.synth.transform import (
    RANKS,
    CategoricalCodec,
    NumericCodec,
    TimeFormat,
    category_key,
    epoch_seconds,
)

floats = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=200)


@settings(max_examples=60, deadline=None)
@given(values=floats, ranks=st.lists(st.floats(0, 1), min_size=1, max_size=50))
def test_numeric_decode_stays_within_training_range(
    values: list[float], ranks: list[float]
) -> None:
    codec = NumericCodec.fit(FieldSpec("v", "float", "continuous"), list(values))
    out = codec.decode(np.array(ranks))
    tol = 1e-6 * max(1.0, *(abs(v) for v in values))
    assert np.all(out >= min(values) - tol) and np.all(out <= max(values) + tol)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.integers(-1000, 1000), min_size=2, max_size=200))
def test_integers_encode_to_normal_scores_and_decode_to_integers(values: list[int]) -> None:
    codec = NumericCodec.fit(FieldSpec("v", "int", "continuous"), list(values))
    z, nulls = codec.encode(list(values), np.random.default_rng(0))
    assert not nulls.any() and np.all(np.abs(z) < 4)
    out = codec.decode(RANKS)
    assert out.dtype == np.int64
    assert set(out.tolist()) <= set(range(min(values), max(values) + 1))
    # the quantile function's ends are the training extremes
    assert out[0] == min(values) and out[-1] == max(values)


def test_decimals_are_kept() -> None:
    values = [round(v, 2) for v in np.random.default_rng(1).normal(50, 10, 500).tolist()]
    codec = NumericCodec.fit(FieldSpec("v", "float", "continuous"), values)
    out = codec.decode(np.random.default_rng(2).random(1000))
    assert np.allclose(out, np.round(out, 2), atol=0) and codec.step == 0.01


scalars = st.one_of(st.integers(-50, 50), st.booleans(), st.floats(-1e3, 1e3, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.text(min_size=1, max_size=5)), min_size=1))
def test_categorical_round_trip(values: list[str | None]) -> None:
    spec = FieldSpec("c", "string", "categorical", nullable=True)
    codec = CategoricalCodec.fit(spec, values, max_categories=5)
    slots = codec.encode(values)
    decoded, nulls, pool, codes = codec.decode(slots, np.random.default_rng(0))
    assert (pool[codes] == decoded).all()
    for value, out, null in zip(values, decoded.tolist(), nulls.tolist(), strict=True):
        if value is None:
            assert null
        elif value in codec.vocab:
            assert out == value and not null
        else:  # a rarer category: decoded as one of the rarer categories
            assert out in codec.tail and not null
    assert abs(codec.probs.sum() - 1) < 1e-9


@given(value=scalars)
def test_category_key_is_the_same_for_numpy_scalars(value: object) -> None:
    assert category_key(np.array([value])[0]) == category_key(value)


@settings(max_examples=60, deadline=None)
@given(
    offsets=st.lists(st.integers(0, 10**9), min_size=1, max_size=20),
    example=st.sampled_from(
        ["2024-01-01T00:00:00Z", "2024-01-01 00:00:00", "2024-01-01T00:00:00.000+00:00"]
    ),
)
def test_timestamps_format_like_the_baseline_and_parse_back(
    offsets: list[int], example: str
) -> None:
    fmt = TimeFormat.of(example)
    base = datetime(2000, 1, 1, tzinfo=UTC)
    seconds = np.array([(base + timedelta(seconds=o)).timestamp() for o in offsets])
    text = fmt.format(seconds)
    assert all(len(t) == len(example) for t in text)
    assert np.array_equal(epoch_seconds(list(text)), seconds)
