"""Picking items at an index: the same items whether the index is runs or scattered."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from app.codecs.columns import RUN_LENGTH, Columns, pick

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
