"""RowSample: a bottom-k sample, the same however the records were split and merged."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.profile.sample import RowSample

FIELDS = ("a", "b")


def _offer(ids: list[int], k: int = 16) -> RowSample:
    records = [{"a": float(i), "b": None if i % 3 else i * 2} for i in ids]
    return RowSample.empty(FIELDS, k).offer(records, np.asarray(ids, dtype=np.uint64))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10**6), unique=True, max_size=80), st.integers(0, 80))
def test_split_then_merge_equals_whole(ids: list[int], cut: int) -> None:
    whole = _offer(ids)
    parts = _offer(ids[:cut]).merge(_offer(ids[cut:]))
    assert np.array_equal(whole.priority, parts.priority)
    assert np.array_equal(whole.rows, parts.rows, equal_nan=True)
    assert len(whole) == min(len(ids), 16)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 10**6), unique=True, max_size=40))
def test_serialize_round_trip(ids: list[int]) -> None:
    sample = _offer(ids)
    again = RowSample.from_dict(sample.to_dict())
    assert again.fields == sample.fields and again.k == sample.k
    assert np.array_equal(again.rows, sample.rows, equal_nan=True)
    assert np.array_equal(again.priority, sample.priority)


def test_missing_and_non_numeric_values_are_nan() -> None:
    sample = RowSample.empty(FIELDS, 4).offer([{"a": "x"}], np.asarray([1], dtype=np.uint64))
    assert np.isnan(sample.rows).all()
