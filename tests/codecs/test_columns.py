"""Picking items at an index: the same items whether the index is runs or scattered;
joining batches of columns."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from app.codecs.columns import RUN_LENGTH, Columns, concat, pick

# an index as runs of consecutive items (any start, any length, in any order): from a
# batch read partition by partition, or scattered when the runs are short
runs = st.lists(st.tuples(st.integers(0, 400), st.integers(1, 3 * RUN_LENGTH)), max_size=12)


@given(runs)
def test_pick_takes_the_items_at_the_index_in_its_order(spans: list[tuple[int, int]]) -> None:
    items = [f"v{i}" for i in range(500)]
    index = np.array([i for start, n in spans for i in range(start, start + n)], dtype=np.int64)
    assert pick(items, index) == [items[i] for i in index.tolist()]


@given(runs)
def test_take_of_list_and_arrow_columns_agree(spans: list[tuple[int, int]]) -> None:
    values = list(range(500))
    index = np.array([i for start, n in spans for i in range(start, start + n)], dtype=np.int64)
    taken = Columns({"a": values, "b": pa.array(values)}, 500).take(index)
    assert taken.arrays["a"] == taken.arrays["b"].to_pylist() == index.tolist()  # type: ignore[union-attr]
    assert len(taken) == len(index)


@given(st.lists(st.integers(0, 60), min_size=1, max_size=6))
def test_concat_of_consecutive_parts_is_the_whole(sizes: list[int]) -> None:
    values = list(range(sum(sizes)))
    whole = Columns({"a": [str(v) for v in values], "b": pa.array(values)}, len(values))
    bounds = np.cumsum([0, *sizes])
    parts = [whole.take(np.arange(lo, hi)) for lo, hi in pairwise(bounds.tolist())]
    joined = concat(parts)
    assert joined is not None and len(joined) == len(whole)
    assert joined.arrays["a"] == whole.arrays["a"]
    assert joined.arrays["b"].equals(whole.arrays["b"])  # type: ignore[union-attr]


def test_concat_refuses_parts_that_are_not_one_batch() -> None:
    ints = Columns({"a": pa.array([1, 2])}, 2)
    assert concat([ints, Columns({"a": pa.array(["x"])}, 1)]) is None  # another type
    assert concat([ints, Columns({"b": pa.array([3])}, 1)]) is None  # another field
    assert concat([ints, Columns({"a": [3]}, 1)]) is None  # decoded values, not Arrow
